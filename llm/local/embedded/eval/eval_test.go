package eval_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/plait-ai/plait/llm/llmtest"
	"github.com/plait-ai/plait/llm/local/constrain"
	"github.com/plait-ai/plait/llm/local/embedded/eval"
	"github.com/plait-ai/plait/llm/local/embedded/gen"
	"github.com/plait-ai/plait/planner"
)

func TestScorePlan(t *testing.T) {
	exs := gen.Generate(gen.Config{Seed: 5, Split: gen.Eval}, 4)
	e := &exs[0]
	wrongTool := strings.Replace(e.PlanJSON, `"tool":"`+e.Plan.Steps[0].Tool+`"`, `"tool":"`+otherTool(e)+`"`, 1)
	wrongArg := strings.Replace(e.PlanJSON, `"args":{`, `"args":{"zz":1,`, 1)
	cases := []struct {
		name  string
		reply string
		want  eval.Metrics
	}{
		{"gold", e.PlanJSON, eval.Metrics{Examples: 1, Parsed: 1, Valid: 1, ToolsRight: 1, ArgsExact: 1}},
		{"fenced with prose", "Here:\n```json\n" + e.PlanJSON + "\n```", eval.Metrics{Examples: 1, Parsed: 1, Valid: 1, ToolsRight: 1, ArgsExact: 1}},
		{"garbage", "I cannot plan", eval.Metrics{Examples: 1}},
		{"unknown tool", strings.Replace(e.PlanJSON, `"tool":"`+e.Plan.Steps[0].Tool+`"`, `"tool":"no_such_tool"`, 1), eval.Metrics{Examples: 1, Parsed: 1}},
		{"other tool", wrongTool, eval.Metrics{Examples: 1, Parsed: 1}},
		{"extra argument", wrongArg, eval.Metrics{Examples: 1, Parsed: 1}},
	}
	for _, c := range cases {
		var m eval.Metrics
		eval.ScorePlan(&m, e, c.reply)
		if m != c.want {
			t.Errorf("%s: got %+v, want %+v", c.name, m, c.want)
		}
	}
}

// otherTool names a tool offered to e that its first step does not call.
func otherTool(e *gen.Example) string {
	for _, s := range e.Tools {
		if s.Name != e.Plan.Steps[0].Tool {
			return s.Name
		}
	}
	return "none"
}

func TestRunScripted(t *testing.T) {
	exs := gen.Generate(gen.Config{Seed: 6, Split: gen.Eval}, 2)
	m := llmtest.New(
		llmtest.Text(exs[0].PlanJSON), llmtest.Text(exs[0].Answer),
		llmtest.Text("{}"), llmtest.Text("no idea"),
	)
	got, err := eval.Run(context.Background(), m, exs, eval.Options{Constrained: true})
	if err != nil {
		t.Fatal(err)
	}
	want := eval.Metrics{Examples: 2, Parsed: 1, Valid: 1, ToolsRight: 1, ArgsExact: 1, AnswerFacts: 1}
	if got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	reqs := m.Requests()
	if reqs[0].ResponseSchema == nil || reqs[1].ResponseSchema != nil {
		t.Fatal("the plan request must carry the schema, the answer request not")
	}
	if len(reqs[1].Sources) != len(exs[0].Observations) || reqs[1].Sources[0].Text != exs[0].Observations[0].Content {
		t.Errorf("the answer request's sources %+v are not the example's observations", reqs[1].Sources)
	}
	if !bytes.Equal(reqs[0].ResponseSchema.Schema, planner.SchemaForNumbered(exs[0].Tools)) {
		t.Error("the plan request does not carry the schema of the example's tools")
	}
	if !strings.Contains(got.String(), "valid 50%") {
		t.Fatalf("String: %s", got)
	}
}

// TestGoldPlansFitTheSchema checks that constrained decoding leaves the
// expected plans possible: each is accepted by the grammar of the schema
// the constrained evaluation sends.
func TestGoldPlansFitTheSchema(t *testing.T) {
	for _, split := range []gen.Split{gen.Train, gen.Eval} {
		for i, e := range gen.Generate(gen.Config{Seed: 7, Split: split}, 40) {
			g, err := constrain.CompileSchema(planner.SchemaForNumbered(e.Tools), constrain.Options{})
			if err != nil {
				t.Fatalf("example %d: CompileSchema: %v", i, err)
			}
			m := g.NewMatcher()
			if !m.Accept([]byte(e.PlanJSON)) || !m.Done() {
				t.Errorf("split %v example %d (%s): the grammar rejects the expected plan\n%s", split, i, e.Template, e.PlanJSON)
			}
		}
	}
}

func TestMetricsAdd(t *testing.T) {
	a := eval.Metrics{Examples: 2, Parsed: 2, Valid: 1, ToolsRight: 1, ArgsExact: 1, AnswerFacts: 2}
	a.Add(eval.Metrics{Examples: 3, Parsed: 1, Valid: 1, AnswerFacts: 1, TooLong: 1})
	want := eval.Metrics{Examples: 5, Parsed: 3, Valid: 2, ToolsRight: 1, ArgsExact: 1, AnswerFacts: 3, TooLong: 1}
	if a != want {
		t.Fatalf("got %+v, want %+v", a, want)
	}
	if r := a.Rate(a.Parsed); r != 0.6 {
		t.Fatalf("rate %v", r)
	}
}
