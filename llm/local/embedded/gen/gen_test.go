package gen_test

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/llm/local/embedded/gen"
	"github.com/plait-ai/plait/planner"
	"github.com/plait-ai/plait/tools"
)

// executor builds a real tools executor over specs, so plans validate
// against the tools' schemas exactly as the agent would.
func executor(t *testing.T, specs []llm.ToolSpec) tools.Executor {
	t.Helper()
	var ts []tools.Tool
	for _, s := range specs {
		rt, err := tools.Raw(s, func(ctx context.Context, args json.RawMessage) (any, error) { return "ok", nil })
		if err != nil {
			t.Fatal(err)
		}
		ts = append(ts, rt)
	}
	set, err := tools.NewSet(ts...)
	if err != nil {
		t.Fatal(err)
	}
	return tools.NewDispatcher(set)
}

func TestPlansParseAndValidate(t *testing.T) {
	for _, split := range []gen.Split{gen.Train, gen.Eval} {
		exs := gen.Generate(gen.Config{Seed: 7, Split: split}, 150)
		if len(exs) != 150 {
			t.Fatalf("got %d examples", len(exs))
		}
		langs := map[gen.Lang]int{}
		tmpls := map[string]int{}
		for i, e := range exs {
			langs[e.Lang]++
			tmpls[e.Template]++
			held := gen.HeldOutTemplates[e.Template] || gen.HeldOutCatalogs[e.Catalog]
			if held != (split == gen.Eval) {
				t.Fatalf("split %v example %d uses template %s catalog %s", split, i, e.Template, e.Catalog)
			}
			if err := matchesSchema(e.PlanJSON); err != nil {
				t.Fatalf("example %d: %v\n%s", i, err, e.PlanJSON)
			}
			p, err := planner.Parse(e.PlanJSON, e.Tools)
			if err != nil {
				t.Fatalf("example %d: %v\n%s", i, err, e.PlanJSON)
			}
			if _, err := planner.Compile(p, executor(t, e.Tools), planner.Options{}); err != nil {
				t.Fatalf("example %d: plan does not validate: %v\n%s", i, err, e.PlanJSON)
			}
			if !strings.Contains(e.Answer, e.Fact) || e.Fact == "" {
				t.Fatalf("example %d: answer %q lacks fact %q", i, e.Answer, e.Fact)
			}
			grounded := false
			for _, o := range e.Observations {
				grounded = grounded || strings.Contains(o.Content, e.Fact) || strings.Contains(string(o.Args), e.Fact)
			}
			if !grounded {
				t.Fatalf("example %d: fact %q is in no observation", i, e.Fact)
			}
			msgs := e.PlanMessages()
			if msgs[2].Content != e.PlanJSON || !strings.Contains(msgs[0].Content, e.Plan.Steps[0].Tool) {
				t.Fatalf("example %d: plan messages wrong", i)
			}
			if a := e.AnswerMessages(); a[2].Content != e.Answer {
				t.Fatalf("example %d: answer messages wrong", i)
			}
		}
		if langs[gen.English] == 0 || langs[gen.Chinese] == 0 || len(tmpls) < 2 {
			t.Fatalf("split %v: not varied: %v %v", split, langs, tmpls)
		}
	}
}

// matchesSchema validates a plan against planner.Schema, the response
// schema constrained decoding enforces.
func matchesSchema(plan string) error {
	c := jsonschema.NewCompiler()
	var sch any
	if err := json.Unmarshal(planner.Schema, &sch); err != nil {
		return err
	}
	if err := c.AddResource("plan.json", sch); err != nil {
		return err
	}
	s, err := c.Compile("plan.json")
	if err != nil {
		return err
	}
	var v any
	if err := json.Unmarshal([]byte(plan), &v); err != nil {
		return err
	}
	return s.Validate(v)
}

func TestDeterministic(t *testing.T) {
	a := gen.Generate(gen.Config{Seed: 3}, 50)
	b := gen.Generate(gen.Config{Seed: 3}, 50)
	c := gen.Generate(gen.Config{Seed: 4}, 50)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same seed, different examples")
	}
	if reflect.DeepEqual(a, c) {
		t.Fatal("different seeds, same examples")
	}
}

func TestLangFilter(t *testing.T) {
	for _, e := range gen.Generate(gen.Config{Seed: 1, Lang: gen.Chinese}, 40) {
		if e.Lang != gen.Chinese {
			t.Fatalf("got %s", e.Lang)
		}
	}
}

// TestRandomCatalogsHoldOut checks that procedural catalogs never offer a
// held-out catalog's tool names or descriptions, and that they vary.
func TestRandomCatalogsHoldOut(t *testing.T) {
	held := map[string]bool{}
	for _, c := range gen.Catalogs {
		if gen.HeldOutCatalogs[c.Name] {
			for _, tl := range c.Tools {
				held[tl.Name], held[tl.Description] = true, true
			}
		}
	}
	if len(held) == 0 {
		t.Fatal("no held-out catalog")
	}
	names := map[string]bool{}
	for i := range 5000 {
		c := gen.RandomCatalog(rand.New(rand.NewPCG(9, uint64(i))))
		for _, tl := range c.Tools {
			if held[tl.Name] || held[tl.Description] {
				t.Fatalf("catalog %d offers held-out %q: %q", i, tl.Name, tl.Description)
			}
			names[tl.Name] = true
		}
	}
	if len(names) < 1000 {
		t.Fatalf("only %d distinct tool names in 5000 catalogs", len(names))
	}
}
