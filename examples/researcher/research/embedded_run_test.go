package research_test

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/plait-ai/plait/agent"
	"github.com/plait-ai/plait/examples/researcher/research"
	"github.com/plait-ai/plait/llm"
	_ "github.com/plait-ai/plait/llm/local" // the "local" provider
	_ "github.com/plait-ai/plait/llm/local/embedded/model"
)

// TestEmbeddedModelResearches runs the researcher on the embedded default
// model, as the quick start does, in English and in Chinese: the run must
// plan, search, read the document the question is about, answer with a
// quotation of that document, and report it as its source.
func TestEmbeddedModelResearches(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("runs the embedded model (tens of times slower under the race detector; CI runs it without)")
	}
	m, err := llm.Open("local")
	if err != nil {
		t.Fatal(err)
	}
	kb := newKB(t)
	r, err := research.New(research.Config{Model: m, KB: kb, NoTrace: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ question, doc string }{
		{"What is retrieval-augmented generation?", "rag"},
		{"What is chain of thought?", "chain-of-thought"},
		{"检索增强生成是什么？", "rag.zh"},
		{"介绍一下思维链。", "chain-of-thought.zh"},
	} {
		t.Run(tt.question, func(t *testing.T) {
			rep, err := r.Run(context.Background(), tt.question, nil)
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			tools := map[string]bool{}
			for _, s := range rep.Result.Steps {
				if s.Status == agent.StepDone {
					tools[s.Tool] = true
				}
			}
			if !tools["search_kb"] || !tools["read_doc"] {
				t.Errorf("steps %+v: want search_kb and read_doc to have run", rep.Result.Steps)
			}
			read := false
			for _, id := range rep.Consulted {
				read = read || id == tt.doc
			}
			if !read {
				t.Errorf("consulted %v, want %s", rep.Consulted, tt.doc)
			}
			doc, err := kb.Get(tt.doc)
			if err != nil {
				t.Fatal(err)
			}
			if strings.TrimSpace(rep.Result.Answer) == "" {
				t.Error("the run ended without an answer")
			}
			cited := false
			for _, s := range rep.Sources {
				cited = cited || s.ID == tt.doc
			}
			if !cited {
				t.Errorf("sources %v: want %s", rep.Sources, tt.doc)
			}
			if !grounded(rep.Result.Answer, doc.Text) {
				t.Errorf("the answer %q does not quote %s", rep.Result.Answer, tt.doc)
			}
			t.Logf("%s\n%s", tt.question, rep.Answer)
		})
	}
}

// grounded reports whether answer repeats a run of at least 24 characters
// of text (line breaks read as spaces), the way an extractive answer does.
func grounded(answer, text string) bool {
	text = strings.Join(strings.Fields(text), " ")
	answer = strings.Join(strings.Fields(answer), " ")
	const n = 24
	for i := 0; i < len(answer); {
		j, k := i, 0
		for j < len(answer) && k < n {
			_, w := utf8.DecodeRuneInString(answer[j:])
			j += w
			k++
		}
		if k == n && strings.Contains(text, answer[i:j]) {
			return true
		}
		_, w := utf8.DecodeRuneInString(answer[i:])
		i += w
	}
	return false
}
