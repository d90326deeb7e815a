package agent

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/plait-ai/plait/llm"
)

// TestJoinRequest checks the join's request for every number of sources
// (those that share the request's allocation and those that do not),
// with and without history: its messages, and as sources the outputs of
// the completed steps, in order, and no others.
func TestJoinRequest(t *testing.T) {
	history := []llm.Message{llm.UserMessage("earlier"), llm.AssistantMessage("reply")}
	for steps := range 7 {
		for _, hist := range [][]llm.Message{nil, history} {
			t.Run(fmt.Sprintf("%d-steps-%d-history", steps, len(hist)), func(t *testing.T) {
				var records recordSet
				var want []llm.Source
				for i := range steps {
					id := fmt.Sprint("s", i+1)
					rec := &StepRecord{ID: id, Status: StepDone, Content: "out " + id}
					switch i % 3 {
					case 1:
						rec.Status, rec.Content = StepFailed, "error: boom"
					case 2:
						if i == 5 {
							rec.Content = "" // done, with nothing to cite
						}
					}
					if rec.Status == StepDone && rec.Content != "" {
						want = append(want, llm.Source{ID: id, Text: rec.Content})
					}
					records = append(records, recordEntry{id, rec})
				}
				req := joinRequest("sys", hist, "user", records)
				if !reflect.DeepEqual(req.Sources, want) || (req.Sources == nil) != (want == nil) {
					t.Errorf("sources %+v, want %+v", req.Sources, want)
				}
				if len(req.Sources) != cap(req.Sources) {
					t.Errorf("sources: length %d, capacity %d", len(req.Sources), cap(req.Sources))
				}
				wantMsgs := append(append([]llm.Message{{Role: llm.RoleSystem, Content: "sys"}}, hist...), llm.Message{Role: llm.RoleUser, Content: "user"})
				if !reflect.DeepEqual(req.Messages, wantMsgs) {
					t.Errorf("messages %+v, want %+v", req.Messages, wantMsgs)
				}
			})
		}
	}
}
