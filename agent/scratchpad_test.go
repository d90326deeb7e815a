package agent_test

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/plait-ai/plait/agent"
	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/llm/llmtest"
	"github.com/plait-ai/plait/memory"
	"github.com/plait-ai/plait/planner"
	"github.com/plait-ai/plait/tools"
)

// TestScratchpadOfRun checks a run's scratchpad entry by entry, and that
// the join prompt carries it exactly, for plans whose entries fit in the
// room a run starts with and plans that outgrow it; and that a later run
// leaves an earlier run's result as it was.
func TestScratchpadOfRun(t *testing.T) {
	for _, n := range []int{1, 3, 4, 7} {
		t.Run(fmt.Sprint(n, "-steps"), func(t *testing.T) {
			queries := make([]string, n)
			for i := range queries {
				queries[i] = fmt.Sprintf("q%d", i+1)
			}
			plan, answer := llmtest.Text(planOfN(queries...)), llmtest.Text("Done [s1].")
			m := llmtest.New(plan, answer, plan, answer)
			a := mustAgent(t, agent.Config{Model: m, ToolList: []tools.Tool{echoTool(tools.Inline())}})
			check := func(res *agent.Result) {
				t.Helper()
				got := res.Scratchpad.Entries()
				if len(got) != 2+2*n {
					t.Fatalf("%d entries, want %d: %+v", len(got), 2+2*n, got)
				}
				if e := got[0]; e.Kind != memory.KindThought || e.Text != "The searches are independent: run them together." {
					t.Errorf("entry 0 = %+v, want the plan's thought", e)
				}
				if e := got[1]; e.Kind != memory.KindPlan || !strings.Contains(e.Text, fmt.Sprintf(`s%d: search{"query":"q%d"}`, n, n)) {
					t.Errorf("entry 1 = %+v, want the plan", e)
				}
				// Each step's call, then (not necessarily next) its
				// observation.
				called := map[string]bool{}
				observed := map[string]bool{}
				for i, e := range got {
					if e.Seq != i+1 {
						t.Errorf("entry %d has Seq %d", i, e.Seq)
					}
					if i < 2 {
						continue
					}
					rec, ok := res.Step(e.Step)
					switch {
					case !ok || e.Tool != "search":
						t.Errorf("entry %d = %+v: no such tool step", i, e)
					case e.Kind == memory.KindToolCall && !called[e.Step] && e.Text == string(rec.Args):
						called[e.Step] = true
					case e.Kind == memory.KindObservation && called[e.Step] && !observed[e.Step] && e.Text == rec.Content:
						observed[e.Step] = true
					default:
						t.Errorf("entry %d = %+v, step %+v", i, e, rec)
					}
				}
				if len(called) != n || len(observed) != n {
					t.Errorf("%d calls, %d observations, want %d each", len(called), len(observed), n)
				}
				if fmt.Sprint(res.Citations) != "[s1]" {
					t.Errorf("citations %v", res.Citations)
				}
			}
			res1, err := a.Run(context.Background(), "first goal")
			if err != nil {
				t.Fatal(err)
			}
			check(res1)
			join := lastUser(m.Requests()[1])
			prefix := "Goal: first goal\n\nWhat the steps did:\n" + res1.Scratchpad.Render(0)
			if !strings.HasPrefix(join, prefix) || !strings.Contains(join[len(prefix):], "\nAnswer the goal now") {
				t.Errorf("join prompt:\n%s\nwant it to start with:\n%s", join, prefix)
			}
			before := res1.Scratchpad.Entries()
			plans, cites := res1.Plans[0], res1.Citations[0]
			res2, err := a.Run(context.Background(), "second goal")
			if err != nil {
				t.Fatal(err)
			}
			check(res2)
			if res2.Scratchpad == res1.Scratchpad || res2 == res1 {
				t.Fatal("two runs share a result or a scratchpad")
			}
			if after := res1.Scratchpad.Entries(); fmt.Sprint(after) != fmt.Sprint(before) || res1.Plans[0] != plans || res1.Citations[0] != cites || len(res1.Plans) != 1 {
				t.Errorf("the first run's result changed with the second run:\n%+v\n%+v", before, after)
			}
		})
	}
}

// TestResultOutlivesRunContext checks that a result kept by the caller
// does not keep the run's context (and what it carries) alive.
func TestResultOutlivesRunContext(t *testing.T) {
	for _, strategy := range []agent.Strategy{agent.PlanExecute, agent.ReAct} {
		t.Run(fmt.Sprint(strategy), func(t *testing.T) {
			turns := []llmtest.Step{llmtest.Text(planOf("rag")), llmtest.Text("Done [s1].")}
			if strategy == agent.ReAct {
				turns = reactTurns(false, "rag")
			}
			a := mustAgent(t, agent.Config{Model: llmtest.Loop(turns...), Strategy: strategy, ToolList: []tools.Tool{echoTool(tools.Inline())}})
			type key struct{}
			payload := new([1 << 16]byte)
			collected := make(chan struct{})
			runtime.AddCleanup(payload, func(ch chan struct{}) { close(ch) }, collected)
			ctx, cancel := context.WithCancel(context.WithValue(context.Background(), key{}, payload))
			payload = nil
			res, err := a.Run(ctx, "g")
			cancel()
			ctx = nil
			if err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(5 * time.Second)
			for {
				runtime.GC()
				select {
				case <-collected:
					runtime.KeepAlive(res)
					return
				case <-time.After(10 * time.Millisecond):
				}
				if time.Now().After(deadline) {
					t.Fatal("the run's context is still reachable while its result is")
				}
			}
		})
	}
}

// TestPlanSummaries checks the scratchpad's summary of each plan of a
// run that replans, written from the run's plans: short plans, whose
// first summary fits in the room the run starts with, and longer ones,
// whose summaries do not; the first plan's summary stays as it was
// when the second is written.
func TestPlanSummaries(t *testing.T) {
	summary := func(p *planner.Plan) string {
		parts := make([]string, len(p.Steps))
		for i, s := range p.Steps {
			parts[i] = s.ID + ": " + s.Tool + string(s.Args)
		}
		return strings.Join(parts, "; ")
	}
	for _, n := range []int{1, 3, 4, 9} {
		t.Run(fmt.Sprint(n, "-steps"), func(t *testing.T) {
			queries := make([]string, n)
			for i := range queries {
				queries[i] = fmt.Sprintf("q%d", i+1)
			}
			// The replan's steps have new ids and arguments: its
			// summary differs from the first one from its start.
			again := strings.ReplaceAll(planOfN(append(queries, "more")...), `"id":"s`, `"id":"t`)
			m := llmtest.New(llmtest.Text(planOfN(queries...)), llmtest.Text("REPLAN: more"),
				llmtest.Text(again), llmtest.Text("Done [t1]."))
			a := mustAgent(t, agent.Config{Model: m, ToolList: []tools.Tool{echoTool(tools.Inline())}})
			res, err := a.Run(context.Background(), "goal")
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Plans) != 2 {
				t.Fatalf("%d plans, want 2", len(res.Plans))
			}
			var got []string
			for _, e := range res.Scratchpad.Entries() {
				if e.Kind == memory.KindPlan {
					got = append(got, e.Text)
				}
			}
			want := []string{summary(res.Plans[0]), summary(res.Plans[1])}
			if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want) {
				t.Errorf("plan entries\n%q\nwant\n%q", got, want)
			}
		})
	}
}

// TestReActStepRecords checks a ReAct run's step records, in order, for
// runs whose records fit in the room a run starts with and runs that
// outgrow it, one call a turn or several at once; and that a later run
// leaves an earlier run's records as they were.
func TestReActStepRecords(t *testing.T) {
	call := func(i int) llm.ToolCall {
		return llm.ToolCall{ID: fmt.Sprintf("c%d", i), Name: "search", Arguments: json.RawMessage(fmt.Sprintf(`{"query":"q%d"}`, i))}
	}
	for _, turns := range [][]int{{1}, {1, 1, 1}, {1, 1, 1, 1}, {3, 1}, {2, 5}, {5}, {1, 1, 1, 1, 1, 1, 1}} {
		t.Run(fmt.Sprint(turns), func(t *testing.T) {
			var script []llmtest.Step
			n := 0
			for _, k := range turns {
				calls := make([]llm.ToolCall, k)
				for j := range calls {
					n++
					calls[j] = call(n)
				}
				script = append(script, llmtest.ToolCalls(calls...))
			}
			script = append(script, llmtest.Text("Done [c1]."))
			m := llmtest.New(append(script, script...)...)
			a := mustAgent(t, agent.Config{Model: m, Strategy: agent.ReAct, ToolList: []tools.Tool{echoTool(tools.Inline())}})
			check := func(res *agent.Result) {
				t.Helper()
				if len(res.Steps) != n {
					t.Fatalf("%d steps, want %d", len(res.Steps), n)
				}
				for i, rec := range res.Steps {
					if want := call(i + 1); rec.ID != want.ID || string(rec.Args) != string(want.Arguments) || rec.Content != fmt.Sprintf("result for q%d", i+1) || rec.Status != agent.StepDone {
						t.Errorf("step %d = %+v", i, rec)
					}
				}
			}
			res1, err := a.Run(context.Background(), "goal")
			if err != nil {
				t.Fatal(err)
			}
			check(res1)
			before := fmt.Sprintf("%+v", res1.Steps)
			res2, err := a.Run(context.Background(), "goal")
			if err != nil {
				t.Fatal(err)
			}
			check(res2)
			if after := fmt.Sprintf("%+v", res1.Steps); after != before {
				t.Errorf("the first run's steps changed with the second run:\n%s\n%s", before, after)
			}
		})
	}
}
