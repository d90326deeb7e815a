package research_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/plait-ai/plait/examples/researcher/research"
	"github.com/plait-ai/plait/llm/local/embedded/gen"
	"github.com/plait-ai/plait/tools/builtin"
)

// TestEmbeddedModelTrainsOnTheseTools checks that the researcher catalog
// the embedded model is trained on is this agent's: the same
// instructions and the same tool specs, byte for byte.
func TestEmbeddedModelTrainsOnTheseTools(t *testing.T) {
	if gen.ResearcherInstructions != research.Instructions {
		t.Errorf("gen.ResearcherInstructions differ from research.Instructions")
	}
	kb, err := research.NewKB(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ts, err := kb.Tools()
	if err != nil {
		t.Fatal(err)
	}
	ts = append(ts, builtin.Calculator())
	if len(ts) != len(gen.Researcher.Tools) {
		t.Fatalf("%d tools, gen has %d", len(ts), len(gen.Researcher.Tools))
	}
	for i, tool := range ts {
		got, want := tool.Spec(), gen.Researcher.Tools[i].Spec()
		if got.Name != want.Name || got.Description != want.Description {
			t.Errorf("tool %d: %s %q, gen has %s %q", i, got.Name, got.Description, want.Name, want.Description)
		}
		var a, b bytes.Buffer
		if err := json.Compact(&a, got.Parameters); err != nil {
			t.Fatal(err)
		}
		if err := json.Compact(&b, want.Parameters); err != nil {
			t.Fatal(err)
		}
		if a.String() != b.String() {
			t.Errorf("tool %s: parameters\n%s\ngen has\n%s", got.Name, a.String(), b.String())
		}
	}
}
