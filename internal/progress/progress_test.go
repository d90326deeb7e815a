package progress_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/plait-ai/plait/agent"
	"github.com/plait-ai/plait/internal/progress"
	"github.com/plait-ai/plait/planner"
)

func TestPlainLines(t *testing.T) {
	var b bytes.Buffer
	p := progress.New(&b)
	if p.TTY() {
		t.Fatal("a buffer is not a terminal")
	}
	stop := p.Start("loading model")
	stop(nil)
	stop = p.Start("connecting")
	stop(errors.New("refused"))
	plan := &planner.Plan{Thought: "search then read", Steps: []planner.Step{{ID: "s1", Task: "search", Tool: "search_kb"}, {ID: "s2", Task: "think it over", Deps: []string{"s1"}}}}
	evs := []agent.Event{
		{Type: agent.EventPlan, Plan: plan},
		{Type: agent.EventStepStarted, Step: &agent.StepRecord{ID: "s1", Task: "search", Tool: "search_kb", Args: []byte(`{"query":"rag"}`)}},
		{Type: agent.EventStepFinished, Step: &agent.StepRecord{ID: "s1", Status: agent.StepDone, Content: "3 hits", Duration: 12 * time.Millisecond}},
		{Type: agent.EventStepFinished, Step: &agent.StepRecord{ID: "s2", Status: agent.StepFailed, Err: errors.New("boom")}},
		{Type: agent.EventAnswerDelta, Text: "The answer"},
		{Type: agent.EventAnswerDelta, Text: " is 42."},
		{Type: agent.EventDone, Result: &agent.Result{ModelCalls: 2}},
	}
	for _, ev := range evs {
		p.Event(ev, nil)
	}
	p.Close()
	got := b.String()
	for _, want := range []string{
		"loading model ...\n", "✓ loading model (", "✗ connecting failed after", "refused",
		"plan: search then read\n", "  s1 [search_kb] search\n", "  s2 [think] think it over after s1\n",
		"▶ s1 search [search_kb] {\"query\":\"rag\"}\n", "✓ s1 done 12ms 3 hits\n", "✗ s2 failed 0s: boom\n",
		"The answer is 42.\ndone in 0s: 0 steps, 2 model calls",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "\x1b[") || strings.Contains(got, "\r") {
		t.Errorf("plain output has terminal codes:\n%q", got)
	}
}

func TestAnswerWriterAndWrite(t *testing.T) {
	var prog, ans bytes.Buffer
	p := progress.New(&prog)
	p.Answer = &ans
	p.Event(agent.Event{Type: agent.EventAnswerDelta, Text: "hello"}, nil)
	p.Write([]byte("? question\n"))
	if ans.String() != "hello" || prog.String() != "? question\n" {
		t.Errorf("answer %q progress %q", ans.String(), prog.String())
	}
}

func TestIsTerminal(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if progress.IsTerminal(f) || progress.IsTerminal(&bytes.Buffer{}) {
		t.Error("a file or a buffer reported as a terminal")
	}
	if dev, err := os.OpenFile("/dev/null", os.O_WRONLY, 0); err == nil {
		defer dev.Close()
		// /dev/null is a character device but not a terminal; accept either,
		// only check it does not fail.
		_ = progress.IsTerminal(dev)
	}
}
