// Command researcher answers a question by planning, searching a knowledge
// base of notes about large language models (English and Chinese, bundled
// in the binary), reading documents, taking notes and writing a report that
// cites the documents it used.
//
//	go run ./examples/researcher "What is retrieval-augmented generation?"
//	go run ./examples/researcher -model deepseek/deepseek-chat -trace "什么是思维链？"
//	go run ./examples/researcher -docs ./my-notes -strategy react "How do we deploy?"
//
// Progress (the plan, each step, the answer as it streams) goes to standard
// error; the final report, in Markdown, to standard output.
//
// Flags:
//
//	-model SPEC      the model: a preset ("deepseek/deepseek-chat"), a local GGUF
//	                 ("local/path/to/model.gguf"); default $PLAIT_MODEL, else the
//	                 embedded local model
//	-docs DIR        add the Markdown and text files under DIR to the knowledge base
//	-web HOSTS       allow the http_get tool to fetch from these hosts (comma-separated)
//	-strategy S      plan (plan, then run steps in parallel; default) or react
//	-trace           print the run's timeline of spans when it ends
//	-no-schema       do not send the plan's JSON schema (for backends that reject it)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/plait-ai/plait/agent"
	"github.com/plait-ai/plait/examples/researcher/research"
	"github.com/plait-ai/plait/internal/cli"
	"github.com/plait-ai/plait/internal/progress"
	"github.com/plait-ai/plait/trace"
)

func main() {
	ctx, stop := cli.SignalContext()
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("researcher", flag.ContinueOnError)
	fs.SetOutput(stderr)
	model := fs.String("model", "", "model spec (default $PLAIT_MODEL, else the embedded local model)")
	docs := fs.String("docs", "", "folder of your own Markdown or text documents to add to the knowledge base")
	web := fs.String("web", "", "comma-separated hosts the http_get tool may fetch from (none by default)")
	strategy := fs.String("strategy", "plan", "plan or react")
	traceOn := fs.Bool("trace", false, "print the run's timeline when it ends")
	noSchema := fs.Bool("no-schema", false, "do not send the plan's JSON schema to the model")
	fs.Usage = func() {
		fmt.Fprintln(stderr, `usage: researcher [flags] "question"`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return cli.ExitUsage
	}
	question := strings.TrimSpace(strings.Join(fs.Args(), " "))
	if question == "" {
		fs.Usage()
		return cli.ExitUsage
	}
	var strat agent.Strategy
	switch *strategy {
	case "plan", "plan-execute":
		strat = agent.PlanExecute
	case "react":
		strat = agent.ReAct
	default:
		fmt.Fprintf(stderr, "researcher: -strategy %q: want plan or react\n", *strategy)
		return cli.ExitUsage
	}

	p := progress.New(stderr)
	defer p.Close()

	if *traceOn {
		shutdown, err := trace.Setup(ctx, trace.Config{ServiceName: "researcher", Timeline: p})
		if err != nil {
			fmt.Fprintf(stderr, "researcher: trace: %v\n", err)
			return cli.ExitFail
		}
		defer shutdown(context.WithoutCancel(ctx))
	}

	kb, err := research.NewKB(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "researcher: %v\n", err)
		return cli.ExitFail
	}
	if *docs != "" {
		n, err := kb.AddDir(ctx, *docs)
		if err != nil {
			fmt.Fprintf(stderr, "researcher: %v\n", err)
			return cli.ExitFail
		}
		p.Linef("added %d documents from %s", n, *docs)
	}

	spec, _ := cli.Spec(*model)
	done := p.Start("opening model " + spec)
	m, _, err := cli.OpenModel(ctx, *model)
	done(err)
	if err != nil {
		if errors.Is(err, cli.ErrNoModel) {
			return cli.ExitUsage
		}
		return cli.ExitFail
	}
	var hosts []string
	for h := range strings.SplitSeq(*web, ",") {
		if h = strings.TrimSpace(h); h != "" {
			hosts = append(hosts, h)
		}
	}
	r, err := research.New(research.Config{Model: m, KB: kb, Strategy: strat, AllowHosts: hosts, NoSchema: *noSchema, NoTrace: !*traceOn})
	if err != nil {
		fmt.Fprintf(stderr, "researcher: %v\n", err)
		return cli.ExitFail
	}
	p.Linef("researching with %d documents: %s", kb.Len(), question)
	rep, err := r.Run(ctx, question, p.Event)
	if rep != nil {
		fmt.Fprintln(stdout)
		fmt.Fprint(stdout, rep.Markdown())
	}
	if err != nil {
		fmt.Fprintf(stderr, "researcher: %v\n", err)
		return cli.ExitFail
	}
	return 0
}
