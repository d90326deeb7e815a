package model_test

import (
	"context"
	"testing"

	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/llm/local"
	"github.com/plait-ai/plait/llm/local/embedded"
	"github.com/plait-ai/plait/llm/local/embedded/eval"
	"github.com/plait-ai/plait/llm/local/embedded/gen"
	"github.com/plait-ai/plait/llm/local/embedded/model"
)

func open(t *testing.T) llm.Model {
	t.Helper()
	m, err := llm.Open("local")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if c, ok := m.(interface{ Close() error }); ok {
			c.Close()
		}
	})
	return m
}

func TestRegistered(t *testing.T) {
	name, data, ok := embedded.Default()
	if !ok || name != model.Name || len(data) == 0 {
		t.Fatalf("Default() = %q, %d bytes, %v", name, len(data), ok)
	}
	m := open(t)
	lm, ok := m.(*local.Model)
	if !ok {
		t.Fatalf("llm.Open(\"local\") = %T, want *local.Model", m)
	}
	if d := lm.Defaults(); d.Temperature != 0 {
		t.Errorf("sampling defaults %+v: the model recommends greedy decoding", d)
	}
	if c := lm.Config(); c.Arch != "llama" {
		t.Errorf("architecture %q, want llama", c.Arch)
	}
}

// TestHeldOutSample evaluates the model on a small sample of held-out
// traces (unseen goal phrasings and an unseen tool catalog) with
// constrained decoding, as cmd/eval does on a larger one; the model card
// has the full figures.
func TestHeldOutSample(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the embedded model")
	}
	n := 12
	if raceEnabled {
		n = 3
	}
	exs := gen.Generate(gen.Config{Seed: 1000, Split: gen.Eval}, n)
	res, err := eval.Run(context.Background(), open(t), exs, eval.Options{Constrained: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(res)
	if res.Parsed != n || res.Rate(res.Valid) < 0.9 {
		t.Errorf("%s: want every plan to parse and at least 90%% to validate under constraints", res)
	}
	// Answers quote the observations under the sources' constraint; the
	// model card has 78-84% on larger samples.
	if !raceEnabled && res.Rate(res.AnswerFacts) < 0.5 {
		t.Errorf("%s: want at least half the answers to hold the expected fact", res)
	}
}
