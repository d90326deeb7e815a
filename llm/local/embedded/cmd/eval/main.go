// Command eval measures a model on held-out synthetic traces (package gen's
// Eval split), without and with constrained decoding:
//
//	go run ./llm/local/embedded/cmd/eval -model model.gguf -n 50
//
// It prints the share of plans that parse and validate, tool-selection
// accuracy, argument exact match and answers that contain the expected
// fact.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"slices"
	"time"

	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/llm/local"
	"github.com/plait-ai/plait/llm/local/embedded/eval"
	"github.com/plait-ai/plait/llm/local/embedded/gen"
	"github.com/plait-ai/plait/llm/local/sample"
)

func main() {
	var (
		model   = flag.String("model", "model.gguf", "the GGUF model")
		n       = flag.Int("n", 50, "held-out examples")
		seed    = flag.Uint64("seed", 1000, "seed of the held-out examples")
		split   = flag.String("split", "eval", "eval (held out) or train")
		threads = flag.Int("threads", 0, "threads (0: all)")
		verbose = flag.Bool("v", false, "print each example's plan")
		// A model exported before plait.quotes existed does not ask for
		// verbatim quotes; -verbatim holds its answers to them anyway.
		verbatim = flag.Bool("verbatim", false, "hold constrained answers' quotations to whole sentences of the sources even if the file does not ask for it")
	)
	flag.Parse()
	ctx := context.Background()
	quotes := local.QuotesAsFile
	if *verbatim {
		quotes = local.QuotesSentences
	}
	m, err := local.Load(ctx, *model, local.Options{Threads: *threads, Defaults: &sample.Params{}, Quotes: quotes})
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()
	sp := gen.Eval
	if *split == "train" {
		sp = gen.Train
	}
	exs := gen.Generate(gen.Config{Seed: *seed, Split: sp}, *n)
	if *verbose {
		zero := 0.0
		for _, e := range exs[:min(3, len(exs))] {
			msgs := e.PlanMessages()
			resp, err := m.Generate(ctx, &llm.Request{Messages: msgs[:2], Temperature: &zero, MaxTokens: 400})
			if err != nil {
				log.Fatal(err)
			}
			fmt.Fprintf(os.Stderr, "goal: %s\nwant: %s\ngot:  %s\n\n", e.Goal, e.PlanJSON, resp.Message.Content)
		}
	}
	// The held-out split mixes two kinds of novelty; each is reported on
	// its own as well: unseen goal phrasings over training catalogs, and
	// the unseen catalog.
	groups := map[string][]gen.Example{}
	var order []string
	for _, e := range exs {
		g := "all"
		switch {
		case sp == gen.Train:
		case gen.HeldOutCatalogs[e.Catalog]:
			g = "held-out catalog"
		default:
			g = "held-out templates"
		}
		if groups[g] == nil {
			order = append(order, g)
		}
		groups[g] = append(groups[g], e)
	}
	slices.Sort(order)
	for _, constrained := range []bool{false, true} {
		t0 := time.Now()
		var total eval.Metrics
		for _, g := range order {
			res, err := eval.Run(ctx, m, groups[g], eval.Options{Constrained: constrained})
			if err != nil {
				log.Fatal(err)
			}
			if len(order) > 1 {
				fmt.Printf("constrained=%v %-18s %s\n", constrained, g, res)
			}
			total.Add(res)
		}
		fmt.Printf("constrained=%v %-18s %s (%v)\n", constrained, "all", total, time.Since(t0).Round(time.Second))
	}
}
