package agent_test

import (
	"context"
	"errors"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/plait-ai/plait/agent"
	"github.com/plait-ai/plait/llm/llmtest"
	"github.com/plait-ai/plait/tools"
)

// callers records, for each call of a tool, the functions on its
// goroutine's stack, cheaply enough (program counters, resolved later)
// that the tool stays quick.
type callers struct {
	mu  sync.Mutex
	pcs [][]uintptr
}

func (c *callers) record() {
	pc := make([]uintptr, 64)
	pc = pc[:runtime.Callers(2, pc)]
	c.mu.Lock()
	c.pcs = append(c.pcs, pc)
	c.mu.Unlock()
}

// take returns how many calls were recorded since the last take, and how
// many of them ran on a goroutine with fn on its stack.
func (c *callers) take(fn string) (calls, under int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, pc := range c.pcs {
		frames := runtime.CallersFrames(pc)
		for {
			f, more := frames.Next()
			if strings.HasSuffix(f.Function, "."+fn) {
				under++
				break
			}
			if !more {
				break
			}
		}
	}
	calls = len(c.pcs)
	c.pcs = nil
	return calls, under
}

// runFromHere runs a on the benchmarks' goal: a tool call made on this
// goroutine has it on its stack.
//
//go:noinline
func runFromHere(ctx context.Context, a *agent.Agent) (*agent.Result, error) {
	return a.Run(ctx, "Search three topics.")
}

// TestQuickStepsRunHere: once a tool has proved quick
// (tools.Dispatcher.Quick), whether marked tools.Inline or left to the
// dispatcher's default, the executor runs the plan's ready steps of it one
// after another on the goroutine that runs the plan, the one calling Run,
// rather than handing them to workers to run side by side; a tool marked
// tools.Isolated never runs there, nor does one whose calls wait on
// ctx.Done, nor a tool whose calls take long, which runs side by side, as
// always, even when marked Inline.
func TestQuickStepsRunHere(t *testing.T) {
	queries := []string{"rag", "agents", "llm"}
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		opts []tools.Option
		here bool
	}{
		{"inline", []tools.Option{tools.Inline()}, true},
		{"default", nil, true},
		{"isolated", []tools.Option{tools.Isolated()}, false},
		{"waits on ctx.Done", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c callers
			waits := strings.HasPrefix(tc.name, "waits")
			quick := tools.MustFunc("search", "Search the knowledge base.", func(ctx context.Context, in queryIn) (string, error) {
				c.record()
				if waits {
					select { // a wait that is over at once
					case <-ctx.Done():
						return "", ctx.Err()
					default:
					}
				}
				return "result for " + in.Query, nil
			}, tc.opts...)
			m := llmtest.Loop(llmtest.Text(planOf(queries...)), llmtest.Text("Done [s1]."))
			a := mustAgent(t, agent.Config{Model: m, ToolList: []tools.Tool{quick}})
			// The first runs' steps run side by side: the tool is not
			// known to be quick yet. After a few calls (32 of a tool
			// with a timeout) it is (a call slowed by a collection or a
			// preemption makes it wait for a few more; on a machine
			// loaded with other work, such calls come often, so the
			// runs go on for up to ten seconds, or, for a tool that
			// must never run here, for a hundred runs).
			here, runs := false, 0
			for deadline := time.Now().Add(10 * time.Second); tc.here && time.Now().Before(deadline) || !tc.here && runs < 100; runs++ {
				res, err := runFromHere(ctx, a)
				if err != nil || len(res.Steps) != len(queries) {
					t.Fatalf("run: %v", err)
				}
				calls, under := c.take("runFromHere")
				if calls != len(queries) {
					t.Fatalf("%d calls, want %d", calls, len(queries))
				}
				if under > 0 && !tc.here {
					t.Fatalf("run %d: %d of the steps of a tool that must not be quick ran on the goroutine calling Run", runs, under)
				}
				if under == calls {
					here = true
					break
				}
			}
			if tc.here && !here {
				t.Fatal("in ten seconds of runs, the steps of a quick tool never all ran on the goroutine calling Run")
			}
			if tc.here && tc.opts == nil && runs*len(queries) < 32 {
				t.Errorf("the steps of a tool with a timeout ran here after %d calls, want 32 at least", runs*len(queries))
			}
		})
	}

	// A slow inline tool (a millisecond a call), run after run: its
	// steps meet at a barrier, which they pass only when all three run
	// at once.
	k := newKit()
	search := k.tools(t)[0]
	slow := tools.MustFunc("search", "Search the knowledge base.", func(ctx context.Context, in queryIn) (string, error) {
		time.Sleep(time.Millisecond)
		_, err := search.Call(ctx, []byte(`{"query":"`+in.Query+`"}`))
		return "result for " + in.Query, err
	}, tools.Inline())
	sa := mustAgent(t, agent.Config{Model: llmtest.Loop(llmtest.Text(planOf(queries...)), llmtest.Text("Done [s1].")), ToolList: []tools.Tool{slow}})
	for range 6 {
		k.bar = newBarrier(len(queries))
		k.g.max.Store(0)
		if _, err := sa.Run(ctx, "Search three topics."); err != nil {
			t.Fatal(err)
		}
		if got := k.g.max.Load(); got != int32(len(queries)) {
			t.Fatalf("a slow inline tool's steps ran %d at most at once, want %d", got, len(queries))
		}
	}
}

// TestStepRecordsOfQuickSteps checks the records of a run whose steps of
// a quick inline tool run on the goroutine that runs the plan (whose
// records are completed in place in the result) beside steps that end
// without running (skipped, reused) and a step that fails: each step is
// recorded once, as the EventStepFinished event showed it when it ended,
// in the order they ended.
func TestStepRecordsOfQuickSteps(t *testing.T) {
	search := tools.MustFunc("search", "Search the knowledge base.", func(ctx context.Context, in queryIn) (string, error) {
		if in.Query == "boom" {
			return "", errors.New("search backend unavailable")
		}
		return "result for " + in.Query, nil
	}, tools.Inline())
	plan1 := `{"thought":"t","steps":[
		{"id":"s1","task":"search rag","tool":"search","args":{"query":"rag"}},
		{"id":"s2","task":"search boom","tool":"search","args":{"query":"boom"}},
		{"id":"s3","task":"never","tool":"search","args":{"query":"x"},"when":"len(s1) > 1000"},
		{"id":"s4","task":"after s2","tool":"search","args":{"query":"y"},"deps":["s2"]}]}`
	plan2 := `{"thought":"t","steps":[
		{"id":"s5","task":"search rag again","tool":"search","args":{"query":"rag"}},
		{"id":"s6","task":"search llm","tool":"search","args":{"query":"llm"},"deps":["s5"]}]}`
	var mu sync.Mutex
	var finished []agent.StepRecord
	observe := func(ctx context.Context, ev agent.Event) {
		if ev.Type == agent.EventStepFinished {
			mu.Lock()
			finished = append(finished, *ev.Step) // as it was when the step ended
			mu.Unlock()
		}
	}
	// The same run again and again: the tool proves quick after the
	// first few (see TestQuickStepsRunHere), and its steps then run here.
	m := llmtest.Loop(llmtest.Text(plan1), llmtest.Text(plan2), llmtest.Text("Done [s6]."))
	a := mustAgent(t, agent.Config{Model: m, ToolList: []tools.Tool{search}, Observe: observe})
	for round := range 20 {
		mu.Lock()
		finished = nil
		mu.Unlock()
		res, err := a.Run(context.Background(), "g")
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		want := map[string]agent.StepStatus{"s1": agent.StepDone, "s2": agent.StepFailed, "s3": agent.StepSkipped, "s5": agent.StepReused, "s6": agent.StepDone}
		if len(res.Steps) != len(want) {
			t.Fatalf("round %d: %d records, want %d: %+v", round, len(res.Steps), len(want), res.Steps)
		}
		for _, rec := range res.Steps {
			if st, ok := want[rec.ID]; !ok || rec.Status != st {
				t.Errorf("round %d: step %s: status %q, want %q", round, rec.ID, rec.Status, st)
			}
			delete(want, rec.ID)
		}
		if s6, _ := res.Step("s6"); s6.Content != "result for llm" || s6.Plan != 1 || s6.Tool != "search" || string(s6.Args) != `{"query":"llm"}` || s6.Task != "search llm" {
			t.Errorf("round %d: s6 = %+v", round, s6)
		}
		if s5, _ := res.Step("s5"); s5.Content != "result for rag" {
			t.Errorf("round %d: s5 = %+v, want s1's output", round, s5)
		}
		if s2, _ := res.Step("s2"); s2.Err == nil || !strings.Contains(s2.Content, "unavailable") {
			t.Errorf("round %d: s2 = %+v", round, s2)
		}
		mu.Lock()
		if len(finished) != len(res.Steps) {
			t.Errorf("round %d: %d steps finished, %d recorded", round, len(finished), len(res.Steps))
		}
		for i := range min(len(finished), len(res.Steps)) {
			if !reflect.DeepEqual(finished[i], res.Steps[i]) {
				t.Errorf("round %d: record %d is\n%+v\nwhen it finished, and in the result\n%+v", round, i, finished[i], res.Steps[i])
			}
		}
		mu.Unlock()
	}
}
