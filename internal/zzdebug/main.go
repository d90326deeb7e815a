package main

import (
	"context"
	"fmt"
	"os"
	"strconv"

	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/llm/local"
	"github.com/plait-ai/plait/llm/local/embedded/gen"
	"github.com/plait-ai/plait/llm/local/sample"
	"github.com/plait-ai/plait/planner"
)

func main() {
	ctx := context.Background()
	m, err := local.Load(ctx, os.Args[1], local.Options{Defaults: &sample.Params{}})
	if err != nil {
		panic(err)
	}
	n, _ := strconv.Atoi(os.Args[2])
	sp := gen.Eval
	if len(os.Args) > 3 {
		sp = gen.Train
	}
	exs := gen.Generate(gen.Config{Seed: 1000, Split: sp}, n)
	zero := 0.0
	for i, e := range exs {
		msgs := e.PlanMessages()
		resp, err := m.Generate(ctx, &llm.Request{Messages: msgs[:2], Temperature: &zero, MaxTokens: 300, ResponseSchema: &llm.JSONSchema{Name: "plan", Schema: planner.SchemaFor(e.Tools)}})
		if err != nil {
			panic(err)
		}
		fmt.Printf("#%d [%s/%s] goal: %s\n want plan: %s\n got plan:  %s\n", i, e.Template, e.Catalog, e.Goal, e.PlanJSON, resp.Message.Content)
		am := e.AnswerMessages()
		resp, err = m.Generate(ctx, &llm.Request{Messages: am[:2], Temperature: &zero, MaxTokens: 150})
		if err != nil {
			panic(err)
		}
		fmt.Printf(" want answer: %s\n got answer:  %s\n", e.Answer, resp.Message.Content)
	}
}
