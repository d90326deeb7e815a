package gen_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"

	"github.com/plait-ai/plait/agent"
	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/llm/llmtest"
	"github.com/plait-ai/plait/llm/local/embedded/gen"
	"github.com/plait-ai/plait/tools"
)

// TestPromptsMatchTheAgent runs a real agent on examples, with a scripted
// model that replies with the example's plan and answer and tools that
// return the example's observations, and checks that the model saw
// exactly the prompts the example trains on: the training data must be
// what the agent sends.
func TestPromptsMatchTheAgent(t *testing.T) {
	exs := gen.Generate(gen.Config{Seed: 11, Split: gen.Train}, 60)
	exs = append(exs, gen.Generate(gen.Config{Seed: 11, Split: gen.Eval}, 20)...)
	for i, e := range exs {
		if len(e.Observations) == 0 {
			continue
		}
		var mu sync.Mutex
		next := map[string]int{}
		var ts []tools.Tool
		for _, spec := range e.Tools {
			name := spec.Name
			rt, err := tools.Raw(spec, func(ctx context.Context, args json.RawMessage) (any, error) {
				mu.Lock()
				defer mu.Unlock()
				for j := next[name]; j < len(e.Observations); j++ {
					if o := e.Observations[j]; o.Tool == name {
						next[name] = j + 1
						return json.RawMessage(o.Content), nil
					}
				}
				t.Errorf("example %d: unexpected call of %s", i, name)
				return nil, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			ts = append(ts, rt)
		}
		m := llmtest.New(llmtest.Text(e.PlanJSON), llmtest.Text(e.Answer))
		a, err := agent.New(agent.Config{Model: m, Instructions: e.Instructions, ToolList: ts, NoTrace: true, Limits: agent.Limits{Parallelism: 1}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Run(context.Background(), e.Goal); err != nil {
			t.Fatalf("example %d: %v", i, err)
		}
		reqs := m.Requests()
		if len(reqs) != 2 {
			t.Fatalf("example %d: %d model calls", i, len(reqs))
		}
		same := func(what string, got []llm.Message, want []llm.Message) {
			if len(got) != len(want) {
				t.Fatalf("example %d %s: %d messages, want %d", i, what, len(got), len(want))
			}
			for k := range got {
				if got[k].Role != want[k].Role || got[k].Content != want[k].Content {
					t.Fatalf("example %d %s message %d:\ngot:  %q\nwant: %q", i, what, k, got[k].Content, want[k].Content)
				}
			}
		}
		same("plan", reqs[0].Messages, e.PlanMessages()[:2])
		same("answer", reqs[1].Messages, e.AnswerMessages()[:2])
	}
}
