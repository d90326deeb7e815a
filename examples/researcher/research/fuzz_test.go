package research_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/plait-ai/plait/agent"
	"github.com/plait-ai/plait/examples/researcher/research"
)

// FuzzReport feeds model-written answers (and tool contents) to the report
// builder: whatever they hold, it must not panic, and its sources must be
// documents of the knowledge base, each once.
func FuzzReport(f *testing.F) {
	f.Add("RAG [s1] and [s2, s3] and [rag] [nope] [", `{"id":"rag"}`, `{"hits":[{"id":"bert"},{"id":"gpt"}]}`)
	f.Add("[s1][s1][s1]", `{"id":""}`, `not json`)
	f.Add("中文答案 [s2]。", `{"id":"rag.zh"}`, `{"hits":[{"id":"user/x"}]}`)
	f.Add("]]][[[ [s1,,s2] [ s1 ]", `{}`, `{"hits":null}`)
	kb, err := research.NewKB(context.Background())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, answer, readOut, searchOut string) {
		res := &agent.Result{Answer: answer, Steps: []agent.StepRecord{
			{ID: "s1", Tool: "read_doc", Content: readOut, Status: agent.StepDone},
			{ID: "s2", Tool: "search_kb", Content: searchOut, Status: agent.StepDone},
			{ID: "s3", Tool: "take_note", Args: json.RawMessage(`{"text":"x","sources":["t5"]}`), Status: agent.StepDone},
		}}
		rep := kb.Report("q", res)
		seen := map[string]bool{}
		for _, d := range rep.Sources {
			if _, err := kb.Get(d.ID); err != nil {
				t.Errorf("source %q is not in the knowledge base", d.ID)
			}
			if seen[d.ID] {
				t.Errorf("source %q listed twice", d.ID)
			}
			seen[d.ID] = true
		}
		if !strings.Contains(answer, "[") && rep.Answer != answer {
			t.Errorf("an answer without brackets changed: %q -> %q", answer, rep.Answer)
		}
		_ = rep.Markdown()
	})
}
