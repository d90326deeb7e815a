package agent_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/plait-ai/plait/agent"
	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/llm/llmtest"
	"github.com/plait-ai/plait/memory"
	"github.com/plait-ai/plait/planner"
	"github.com/plait-ai/plait/tools"
)

const parallelPlan = `{"thought":"Three independent searches, then read the best RAG hit.","steps":[
	{"id":"s1","task":"search RAG","tool":"search","args":{"query":"rag"},"deps":[]},
	{"id":"s2","task":"search agents","tool":"search","args":{"query":"agents"},"deps":[]},
	{"id":"s3","task":"search LLMs","tool":"search","args":{"query":"llm"},"deps":[]},
	{"id":"s4","task":"read the top RAG hit","tool":"fetch","args":{"url":"${s1.hits[0].url}"},"when":"len(s1.hits) > 0"}]}`

func TestPlanExecuteParallel(t *testing.T) {
	k := newKit()
	k.bar = newBarrier(3)
	m := llmtest.New(llmtest.Text(parallelPlan), llmtest.Text("RAG retrieves documents first [s1, s4]; agents plan [s2]."))
	a := mustAgent(t, agent.Config{Model: m, ToolList: k.tools(t), Instructions: "Be precise."})
	res, err := a.Run(context.Background(), "Explain RAG")
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got := k.g.max.Load(); got < 2 {
		t.Errorf("max tools in flight = %d, want >= 2 (independent steps run in parallel)", got)
	}
	if res.Answer != "RAG retrieves documents first [s1, s4]; agents plan [s2]." {
		t.Errorf("answer = %q", res.Answer)
	}
	if fmt.Sprint(res.Citations) != "[s1 s4 s2]" {
		t.Errorf("citations = %v", res.Citations)
	}
	if res.RunID.Version() != 7 {
		t.Errorf("run id %s is not a UUID v7", res.RunID)
	}
	if len(res.Plans) != 1 || len(res.Plans[0].Steps) != 4 || res.Plans[0].Thought == "" {
		t.Errorf("plans = %+v", res.Plans)
	}
	if res.ModelCalls != 2 || res.Usage != (llm.Usage{InputTokens: 20, OutputTokens: 10}) {
		t.Errorf("model calls %d usage %+v; want 2 calls, usage summed", res.ModelCalls, res.Usage)
	}
	if len(res.Steps) != 4 {
		t.Fatalf("steps = %d, want 4", len(res.Steps))
	}
	s4, ok := res.Step("s4")
	if !ok || s4.Status != agent.StepDone || string(s4.Args) != `{"url":"https://example.com/rag"}` || s4.Output != "page https://example.com/rag says hello" {
		t.Errorf("s4 = %+v (the reference must resolve to the first hit's url)", s4)
	}
	if s1, _ := res.Step("s1"); s1.Tool != "search" || s1.Duration <= 0 || !strings.Contains(s1.Content, `"hits"`) {
		t.Errorf("s1 = %+v", s1)
	}
	// The join saw every observation.
	join := lastUser(m.Requests()[1])
	for _, want := range []string{"Explain RAG", "[s1]", "[s4]", "https://example.com/rag", "page https://example.com/rag says hello"} {
		if !strings.Contains(join, want) {
			t.Errorf("the join prompt lacks %q:\n%s", want, join)
		}
	}
	// ... and carries every step's output as a source, by step id.
	srcs := m.Requests()[1].Sources
	if len(srcs) != 4 {
		t.Errorf("the join has %d sources, want the 4 steps' outputs: %+v", len(srcs), srcs)
	}
	for _, s := range srcs {
		if rec, ok := res.Step(s.ID); !ok || rec.Content != s.Text || s.Text == "" {
			t.Errorf("source %+v is not step %s's output %+v", s, s.ID, rec)
		}
	}
	if len(m.Requests()[0].Sources) != 0 {
		t.Error("the planning request has sources")
	}
	if sys := m.Requests()[1].Messages[0].Content; !strings.Contains(sys, "Be precise.") || !strings.Contains(sys, "cite") {
		t.Errorf("join system prompt = %q", sys)
	}
	if n := res.Scratchpad.Len(); n < 9 { // thought, plan, 4 calls, 4 observations
		t.Errorf("scratchpad has %d entries", n)
	}
}

func TestConditionSkipsAndReasoningStep(t *testing.T) {
	k := newKit()
	plan := `{"thought":"t","steps":[
		{"id":"s1","task":"search","tool":"search","args":{"query":"rag"}},
		{"id":"s2","task":"fetch only with many hits","tool":"fetch","args":{"url":"${s1.hits[0].url}"},"when":"len(s1.hits) > 5"},
		{"id":"s3","task":"needs s2","tool":"fetch","args":{"url":"x"},"deps":["s2"]},
		{"id":"s4","task":"Pick the better title","deps":["s1"]}]}`
	m := llmtest.New(llmtest.Text(plan), llmtest.Text("About rag"), llmtest.Text("The answer [s4]."))
	a := mustAgent(t, agent.Config{Model: m, ToolList: k.tools(t)})
	res, err := a.Run(context.Background(), "g")
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	for id, want := range map[string]agent.StepStatus{"s1": agent.StepDone, "s2": agent.StepSkipped, "s3": agent.StepSkipped, "s4": agent.StepDone} {
		if s, _ := res.Step(id); s.Status != want {
			t.Errorf("%s status %q, want %q", id, s.Status, want)
		}
	}
	if k.count("fetch:x") != 0 {
		t.Error("a step after a skipped step ran")
	}
	if s4, _ := res.Step("s4"); s4.Output != "About rag" {
		t.Errorf("reasoning step output = %v", s4.Output)
	}
	// The reasoning step's prompt carries its dependency's output.
	if p := lastUser(m.Requests()[1]); !strings.Contains(p, "Pick the better title") || !strings.Contains(p, "About rag") {
		t.Errorf("reasoning prompt = %q", p)
	}
	if res.ModelCalls != 3 {
		t.Errorf("model calls = %d", res.ModelCalls)
	}
}

func TestMalformedPlans(t *testing.T) {
	good := `{"thought":"ok","steps":[{"id":"s1","task":"search","tool":"search","args":{"query":"rag"}}]}`
	tests := []struct {
		name    string
		bad     string
		problem string // what the repair prompt must say
	}{
		{"missing fields", `{"thought":"t","steps":[{"task":"search","tool":"search","args":{"query":"x"}},{"id":"s2"}]}`, "has no id"},
		{"a cycle", `{"thought":"t","steps":[{"id":"s1","task":"a","tool":"search","args":{"query":"x"},"deps":["s2"]},{"id":"s2","task":"b","tool":"search","args":{"query":"y"},"deps":["s1"]}]}`, "cycle"},
		{"an unknown tool", `{"thought":"t","steps":[{"id":"s1","task":"a","tool":"browse","args":{"url":"x"}}]}`, `unknown tool "browse"`},
		{"invalid arguments", `{"thought":"t","steps":[{"id":"s1","task":"a","tool":"search","args":{"query":5}}]}`, "arguments break the schema"},
		{"a reference to a later step", `{"thought":"t","steps":[{"id":"s1","task":"a","tool":"fetch","args":{"url":"${s2.hits[0].url}"}},{"id":"s2","task":"b","tool":"search","args":{"query":"y"}}]}`, "comes later"},
		{"LLMCompiler text that cannot be read", "1. search for rag\n2. join()", "expected (arguments)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := newKit()
			m := llmtest.New(llmtest.Text(tt.bad), llmtest.Text(good), llmtest.Text("done [s1]"))
			a := mustAgent(t, agent.Config{Model: m, ToolList: k.tools(t)})
			res, err := a.Run(context.Background(), "g")
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if res.Answer != "done [s1]" || len(res.Steps) != 1 {
				t.Errorf("answer %q steps %d", res.Answer, len(res.Steps))
			}
			if len(k.calls) != 1 {
				t.Errorf("tool calls %v: the invalid plan must never run", k.calls)
			}
			repair := lastUser(m.Requests()[1])
			if !strings.Contains(repair, tt.problem) {
				t.Errorf("repair prompt lacks %q:\n%s", tt.problem, repair)
			}
		})
	}

	t.Run("LLMCompiler text with missing parentheses is repaired", func(t *testing.T) {
		k := newKit()
		m := llmtest.New(llmtest.Text("Thought: two searches\n1. search(query=\"rag\"\n2. search query=\"agents\"\n3. fetch(url=$1.hits[0].url)\n4. join"), llmtest.Text("ok [s1]"))
		a := mustAgent(t, agent.Config{Model: m, ToolList: k.tools(t)})
		res, err := a.Run(context.Background(), "g")
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		if res.ModelCalls != 2 || k.count("search:rag") != 1 || k.count("search:agents") != 1 || k.count("fetch:https://example.com/rag") != 1 {
			t.Errorf("calls %d, tools %v", res.ModelCalls, k.calls)
		}
	})

	t.Run("rejected after the repairs run out", func(t *testing.T) {
		k := newKit()
		bad := llmtest.Text(`{"thought":"t","steps":[{"id":"s1","task":"a","tool":"browse","args":{}}]}`)
		m := llmtest.New(bad, bad)
		a := mustAgent(t, agent.Config{Model: m, ToolList: k.tools(t), Limits: agent.Limits{MaxRepairs: 1}})
		res, err := a.Run(context.Background(), "g")
		var ve *planner.ValidationError
		if !errors.As(err, &ve) || !ve.Has(planner.ProblemUnknownTool, "s1") {
			t.Fatalf("err = %v, want the plan's validation error", err)
		}
		if res == nil || res.ModelCalls != 2 || k.count("search:x")+len(k.calls) != 0 {
			t.Errorf("res %+v, tool calls %v", res, k.calls)
		}
	})
}

func TestToolFailureReplans(t *testing.T) {
	k := newKit()
	k.failOn["agents"] = 1
	plan1 := `{"thought":"t","steps":[
		{"id":"s1","task":"a","tool":"search","args":{"query":"rag"}},
		{"id":"s2","task":"b","tool":"search","args":{"query":"agents"}},
		{"id":"s3","task":"c","tool":"fetch","args":{"url":"${s2.hits[0].url}"}}]}`
	plan2 := `{"thought":"retry the failed search","steps":[
		{"id":"s1","task":"a","tool":"search","args":{"query":"rag"}},
		{"id":"s7","task":"a again, under a new id","tool":"search","args":{ "query" : "rag" }},
		{"id":"s5","task":"b again","tool":"search","args":{"query":"agents"}},
		{"id":"s6","task":"c","tool":"fetch","args":{"url":"${s5.hits[0].url} and ${s1.hits[1].url}"}}]}`
	m := llmtest.New(llmtest.Text(plan1), llmtest.Text(plan2), llmtest.Text("answer [s1] [s6]"))
	a := mustAgent(t, agent.Config{Model: m, ToolList: k.tools(t)})
	var events []agent.Event
	var res *agent.Result
	for ev, err := range a.Stream(context.Background(), "g") {
		if err != nil {
			t.Fatalf("Stream: %v", err)
		}
		events = append(events, ev)
		res = ev.Result
	}
	if res == nil || res.Answer != "answer [s1] [s6]" || res.Replans != 1 || len(res.Plans) != 2 {
		t.Fatalf("result %+v", res)
	}
	if n := k.count("search:rag"); n != 1 {
		t.Errorf("s1 ran %d times; a completed step must not run again", n)
	}
	if s2, _ := res.Step("s2"); s2.Status != agent.StepFailed || s2.Err == nil {
		t.Errorf("s2 = %+v", s2)
	}
	if s3, ok := res.Step("s3"); ok {
		t.Errorf("s3 ran after its dependency failed: %+v", s3)
	}
	if s1, _ := res.Step("s1"); s1.Status != agent.StepReused || s1.Plan != 1 {
		t.Errorf("s1 in the second plan = %+v, want reused", s1)
	}
	if s7, _ := res.Step("s7"); s7.Status != agent.StepReused || s7.Output == nil {
		t.Errorf("s7 (the same call as s1) = %+v, want reused", s7)
	}
	if s6, _ := res.Step("s6"); string(s6.Args) != `{"url":"https://example.com/agents and https://example.org/rag"}` {
		t.Errorf("s6 args = %s", s6.Args)
	}
	replan := lastUser(m.Requests()[1])
	for _, want := range []string{"step s2 (search) failed", "search backend unavailable", "step s3 (fetch) did not run", "Completed steps keep their ids"} {
		if !strings.Contains(replan, want) {
			t.Errorf("replan prompt lacks %q:\n%s", want, replan)
		}
	}
	var kinds []string
	for _, ev := range events {
		if ev.Type == agent.EventPlan || ev.Type == agent.EventReplan || ev.Type == agent.EventDone {
			kinds = append(kinds, ev.Type.String())
		}
	}
	if fmt.Sprint(kinds) != "[plan replan done]" {
		t.Errorf("events %v", kinds)
	}
}

func TestJoinAsksToReplan(t *testing.T) {
	k := newKit()
	m := llmtest.New(
		llmtest.Text(`{"thought":"t","steps":[{"id":"s1","task":"a","tool":"search","args":{"query":"rag"}}]}`),
		llmtest.Text("REPLAN: need the page itself"),
		llmtest.Text(`{"thought":"read it","steps":[{"id":"s2","task":"b","tool":"fetch","args":{"url":"${s1.hits[0].url}"}}]}`),
		llmtest.Text("It says hello [s2]."),
	)
	a := mustAgent(t, agent.Config{Model: m, ToolList: k.tools(t)})
	res, err := a.Run(context.Background(), "g")
	if err != nil {
		t.Fatal(err)
	}
	if res.Answer != "It says hello [s2]." || res.Replans != 1 || k.count("search:rag") != 1 {
		t.Errorf("answer %q replans %d calls %v", res.Answer, res.Replans, k.calls)
	}
	if p := lastUser(m.Requests()[2]); !strings.Contains(p, "need the page itself") {
		t.Errorf("replan prompt lacks the join's reason: %s", p)
	}
}

func TestBudgets(t *testing.T) {
	twoSteps := `{"thought":"t","steps":[{"id":"s1","task":"a","tool":"search","args":{"query":"rag"}},{"id":"s2","task":"b","tool":"fetch","args":{"url":"${s1.hits[0].url}"}}]}`
	t.Run("steps", func(t *testing.T) {
		k := newKit()
		a := mustAgent(t, agent.Config{Model: llmtest.New(llmtest.Text(twoSteps)), ToolList: k.tools(t), Limits: agent.Limits{MaxSteps: 1}})
		res, err := a.Run(context.Background(), "g")
		if !isBudget(err, "steps") {
			t.Fatalf("err = %v", err)
		}
		if res == nil || len(res.Steps) != 1 || res.Steps[0].ID != "s1" || len(res.Plans) != 1 {
			t.Errorf("partial result %+v", res)
		}
	})
	t.Run("tokens", func(t *testing.T) {
		k := newKit()
		a := mustAgent(t, agent.Config{Model: llmtest.New(llmtest.Text(twoSteps), llmtest.Text("x")), ToolList: k.tools(t), Limits: agent.Limits{MaxTokens: 20}})
		res, err := a.Run(context.Background(), "g")
		if !isBudget(err, "tokens") {
			t.Fatalf("err = %v", err)
		}
		if res.Usage.Total() != 30 || len(res.Steps) != 2 {
			t.Errorf("usage %+v steps %d", res.Usage, len(res.Steps))
		}
	})
	t.Run("replans", func(t *testing.T) {
		k := newKit()
		k.failOn["rag"] = 5
		a := mustAgent(t, agent.Config{Model: llmtest.New(llmtest.Text(twoSteps), llmtest.Text(twoSteps)), ToolList: k.tools(t), Limits: agent.Limits{MaxReplans: -1}})
		res, err := a.Run(context.Background(), "g")
		if !isBudget(err, "replans") || !strings.Contains(err.Error(), "search backend unavailable") {
			t.Fatalf("err = %v", err)
		}
		if len(res.Steps) != 1 || res.Steps[0].Status != agent.StepFailed {
			t.Errorf("steps %+v", res.Steps)
		}
	})
	t.Run("time", func(t *testing.T) {
		k := newKit()
		k.block = make(chan struct{})
		a := mustAgent(t, agent.Config{Model: llmtest.New(llmtest.Text(twoSteps)), ToolList: k.tools(t), Limits: agent.Limits{MaxDuration: 200 * time.Millisecond}})
		res, err := a.Run(context.Background(), "g")
		if !isBudget(err, "time") || res == nil {
			t.Fatalf("err = %v", err)
		}
		// The fetch blocks until the run's deadline: it must see it.
		if k.count("fetch:https://example.com/rag") == 1 && !k.waitDone() {
			t.Errorf("the running tool did not see the deadline")
		}
	})
	t.Run("react turns", func(t *testing.T) {
		k := newKit()
		m := llmtest.Loop(llmtest.ToolCalls(llmtest.Call("search", `{"query":"rag"}`)))
		a := mustAgent(t, agent.Config{Model: m, ToolList: k.tools(t), Strategy: agent.ReAct, Limits: agent.Limits{MaxTurns: 3}})
		res, err := a.Run(context.Background(), "g")
		if !isBudget(err, "turns") || len(res.Steps) != 3 {
			t.Fatalf("err = %v, steps %d", err, len(res.Steps))
		}
	})
}

func TestCancelMidRun(t *testing.T) {
	k := newKit()
	k.block = make(chan struct{})
	k.started = make(chan string, 8)
	m := llmtest.New(llmtest.Text(`{"thought":"t","steps":[{"id":"s1","task":"a","tool":"search","args":{"query":"rag"}},{"id":"s2","task":"b","tool":"fetch","args":{"url":"${s1.hits[0].url}"}}]}`))
	a := mustAgent(t, agent.Config{Model: m, ToolList: k.tools(t)})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for s := range k.started {
			if strings.HasPrefix(s, "fetch:") {
				cancel()
				return
			}
		}
	}()
	res, err := a.Run(ctx, "g")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if !k.waitDone() {
		t.Error("the running tool did not see the cancellation")
	}
	if res == nil || len(res.Plans) != 1 || len(res.Steps) != 2 || res.Steps[0].Status != agent.StepDone {
		t.Errorf("partial result %+v", res)
	}
	if m.Remaining() != 0 {
		t.Error("the model was not called as expected")
	}
}

func TestCancelDuringModelCall(t *testing.T) {
	m := llmtest.New(llmtest.Step{Response: &llm.Response{Message: llm.AssistantMessage("late")}, Delay: time.Minute})
	a := mustAgent(t, agent.Config{Model: m})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := a.Run(ctx, "g")
	if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, llm.ErrTimeout) {
		t.Fatalf("err = %v", err)
	}
}

func TestReActParallelToolCalls(t *testing.T) {
	k := newKit()
	k.bar = newBarrier(2)
	m := llmtest.New(
		llmtest.ToolCalls(llmtest.Call("search", `{"query":"rag"}`), llmtest.Call("search", `{"query":"agents"}`)),
		llmtest.ToolCalls(llm.ToolCall{ID: "c9", Name: "fetch", Arguments: json.RawMessage(`{"url":"https://example.com/rag"}`)}),
		llmtest.Text("RAG reads first [call_1] [c9]."),
	)
	a := mustAgent(t, agent.Config{Model: m, ToolList: k.tools(t), Strategy: agent.ReAct, Instructions: "Be brief."})
	res, err := a.Run(context.Background(), "Explain RAG")
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if k.g.max.Load() < 2 {
		t.Errorf("max in flight %d: parallel tool calls must run together", k.g.max.Load())
	}
	if res.Answer != "RAG reads first [call_1] [c9]." || fmt.Sprint(res.Citations) != "[call_1 c9]" || len(res.Steps) != 3 || res.ModelCalls != 3 {
		t.Errorf("result %+v", res)
	}
	if res.Usage != (llm.Usage{InputTokens: 30, OutputTokens: 15}) {
		t.Errorf("usage %+v", res.Usage)
	}
	reqs := m.Requests()
	if len(reqs[0].Tools) != 2 || !strings.Contains(reqs[0].Messages[0].Content, "Be brief.") {
		t.Errorf("first request: tools %d, system %q", len(reqs[0].Tools), reqs[0].Messages[0].Content)
	}
	second := reqs[1].Messages
	if len(second) != 5 || second[3].Role != llm.RoleTool || second[3].ToolCallID != "call_1" || second[4].ToolCallID != "call_2" || !strings.Contains(second[4].Content, "example.com/agents") {
		t.Errorf("second request messages %+v", second)
	}
}

func TestConcurrentRuns(t *testing.T) {
	for _, strategy := range []agent.Strategy{agent.PlanExecute, agent.ReAct} {
		t.Run(strategy.String(), func(t *testing.T) {
			k := newKit()
			var m llm.Model
			if strategy == agent.PlanExecute {
				m = routed(parallelPlan, "answer [s1]")
			} else {
				turn := llmtest.Func(func(ctx context.Context, req *llm.Request) (*llm.Response, error) {
					if req.Messages[len(req.Messages)-1].Role == llm.RoleTool {
						return &llm.Response{Message: llm.AssistantMessage("answer"), Usage: llm.Usage{InputTokens: 1}}, nil
					}
					return &llm.Response{Message: llm.Message{Role: llm.RoleAssistant, ToolCalls: []llm.ToolCall{
						{ID: "a", Name: "search", Arguments: json.RawMessage(`{"query":"x"}`)},
						{ID: "b", Name: "search", Arguments: json.RawMessage(`{"query":"y"}`)}}}, Usage: llm.Usage{InputTokens: 1}}, nil
				})
				m = llmtest.Loop(turn)
			}
			a := mustAgent(t, agent.Config{Model: m, ToolList: k.tools(t), Strategy: strategy})
			const runs = 24
			var wg sync.WaitGroup
			ids := make([]uuid.UUID, runs)
			errs := make([]error, runs)
			for i := range runs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if i%2 == 0 {
						res, err := a.Run(context.Background(), fmt.Sprint("goal ", i))
						if err == nil {
							ids[i] = res.RunID
							if len(res.Steps) == 0 || res.Answer == "" {
								err = fmt.Errorf("result %+v", res)
							}
						}
						errs[i] = err
						return
					}
					for ev, err := range a.Stream(context.Background(), fmt.Sprint("goal ", i)) {
						if err != nil {
							errs[i] = err
						}
						if ev.Type == agent.EventDone {
							ids[i] = ev.Result.RunID
						}
					}
				}()
			}
			wg.Wait()
			seen := map[uuid.UUID]bool{}
			for i := range runs {
				if errs[i] != nil {
					t.Errorf("run %d: %v", i, errs[i])
				}
				if seen[ids[i]] {
					t.Errorf("run id %s twice", ids[i])
				}
				seen[ids[i]] = true
			}
		})
	}
}

// TestConcurrentRunsKeepTheirSteps: concurrent runs of one agent, each
// with its own plan of many parallel tool steps (started on the
// dispatcher, their bookkeeping reused from run to run), each get the
// records, scratchpad entries and outputs of their own steps.
func TestConcurrentRunsKeepTheirSteps(t *testing.T) {
	const runs, steps = 8, 12
	for _, started := range []bool{true, false} {
		for _, parallelism := range []int{0, 3, -1} {
			t.Run(fmt.Sprintf("started=%v/parallelism=%d", started, parallelism), func(t *testing.T) {
				testConcurrentRunsKeepTheirSteps(t, runs, steps, parallelism, started, false)
			})
		}
	}
	// A quick inline tool (see tools.Dispatcher.Quick): once it is
	// quick, each run's steps run one after another on its own
	// goroutine, while the runs share the tool.
	for _, parallelism := range []int{0, 3} {
		t.Run(fmt.Sprintf("quick/parallelism=%d", parallelism), func(t *testing.T) {
			testConcurrentRunsKeepTheirSteps(t, runs, steps, parallelism, true, true)
		})
	}
}

// plainExecutor shows only the tools.Executor methods of an executor, so
// that plan steps go to the agent's workers rather than start on it.
type plainExecutor struct{ tools.Executor }

// testConcurrentRunsKeepTheirSteps runs the test with steps started on
// the dispatcher (started) or run by the agent's workers.
func testConcurrentRunsKeepTheirSteps(t *testing.T, runs, steps, parallelism int, started, quick bool) {
	var opts []tools.Option
	if quick {
		opts = append(opts, tools.Inline())
	}
	// The most steps in flight at once in any run.
	var mu sync.Mutex
	inFlight := map[string]int{}
	most := 0
	echo := tools.MustFunc("echo", "Echo a word.", func(ctx context.Context, in struct {
		Word string `json:"word"`
	}) (string, error) {
		goal, _, _ := strings.Cut(in.Word, "-")
		mu.Lock()
		inFlight[goal]++
		most = max(most, inFlight[goal])
		mu.Unlock()
		if !quick {
			time.Sleep(50 * time.Microsecond)
		}
		mu.Lock()
		inFlight[goal]--
		mu.Unlock()
		return "echo " + in.Word, nil
	}, opts...)
	// The plan of goal "g<r>" has steps whose words are "g<r>-<i>".
	m := llmtest.Loop(llmtest.Func(func(ctx context.Context, req *llm.Request) (*llm.Response, error) {
		goal := strings.TrimPrefix(strings.SplitN(lastUser(*req), "\n", 2)[0], "Goal: ")
		if req.ResponseSchema == nil {
			return &llm.Response{Message: llm.AssistantMessage("done [s1]")}, nil
		}
		var b strings.Builder
		b.WriteString(`{"thought":"t","steps":[`)
		for i := range steps {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"id":"s%d","task":"echo","tool":"echo","args":{"word":"%s-%d"},"deps":[]}`, i+1, goal, i+1)
		}
		b.WriteString(`]}`)
		return &llm.Response{Message: llm.AssistantMessage(b.String())}, nil
	}))
	cfg := agent.Config{Model: m, ToolList: []tools.Tool{echo}, Limits: agent.Limits{Parallelism: parallelism}}
	if !started {
		cfg.ToolList, cfg.Tools = nil, plainExecutor{tools.NewDispatcher(tools.MustSet(echo))}
	}
	a := mustAgent(t, cfg)
	var wg sync.WaitGroup
	for r := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for round := range 5 {
				goal := fmt.Sprintf("g%d", r*10+round)
				res, err := a.Run(context.Background(), goal)
				if err != nil {
					t.Errorf("run %s: %v", goal, err)
					return
				}
				if len(res.Steps) != steps {
					t.Errorf("run %s: %d steps, want %d", goal, len(res.Steps), steps)
					return
				}
				for _, rec := range res.Steps {
					n := strings.TrimPrefix(rec.ID, "s")
					word := goal + "-" + n
					if want := `{"word":"` + word + `"}`; string(rec.Args) != want || rec.Content != "echo "+word || rec.Output != "echo "+word || rec.Status != agent.StepDone {
						t.Errorf("run %s: step %s: args %s, content %q, output %v, status %v", goal, rec.ID, rec.Args, rec.Content, rec.Output, rec.Status)
					}
					calls := 0
					for _, e := range res.Scratchpad.Step(rec.ID) {
						switch e.Kind {
						case memory.KindToolCall:
							calls++
							if e.Text != string(rec.Args) {
								t.Errorf("run %s: step %s: scratchpad call %q, args %s", goal, rec.ID, e.Text, rec.Args)
							}
						case memory.KindObservation:
							if e.Text != rec.Content {
								t.Errorf("run %s: step %s: scratchpad observation %q, content %q", goal, rec.ID, e.Text, rec.Content)
							}
						}
					}
					if calls != 1 {
						t.Errorf("run %s: step %s: %d calls in the scratchpad", goal, rec.ID, calls)
					}
				}
			}
		}()
	}
	wg.Wait()
	limit := parallelism
	if limit == 0 {
		limit = 8
	}
	if limit > 0 && most > limit {
		t.Errorf("%d steps of a run at once, parallelism %d", most, limit)
	}
}

func TestStreamEvents(t *testing.T) {
	k := newKit()
	m := llmtest.New(
		llmtest.Text(`{"thought":"t","steps":[{"id":"s1","task":"a","tool":"search","args":{"query":"rag"}}]}`),
		llmtest.Stream(llm.Chunk{Text: "RAG "}, llm.Chunk{Text: "retrieves "}, llm.Chunk{Text: "[s1]."}, llm.Chunk{Usage: &llm.Usage{InputTokens: 3, OutputTokens: 4}, FinishReason: llm.FinishStop}),
	)
	var observed []agent.EventType
	var mu sync.Mutex
	a := mustAgent(t, agent.Config{Model: m, ToolList: k.tools(t), Observe: func(ctx context.Context, ev agent.Event) {
		mu.Lock()
		observed = append(observed, ev.Type)
		mu.Unlock()
	}})
	var types []string
	var deltas []string
	var final *agent.Result
	for ev, err := range a.Stream(context.Background(), "g") {
		if err != nil {
			t.Fatal(err)
		}
		types = append(types, ev.Type.String())
		if ev.Type == agent.EventAnswerDelta {
			deltas = append(deltas, ev.Text)
		}
		if ev.Type == agent.EventDone {
			final = ev.Result
		}
	}
	want := "[plan step_started tool_call tool_result step_finished answer_delta answer_delta answer_delta done]"
	if fmt.Sprint(types) != want {
		t.Errorf("events %v\nwant %s", types, want)
	}
	if strings.Join(deltas, "") != final.Answer || final.Answer != "RAG retrieves [s1]." {
		t.Errorf("deltas %q answer %q", deltas, final.Answer)
	}
	if final.Usage != (llm.Usage{InputTokens: 13, OutputTokens: 9}) {
		t.Errorf("usage %+v", final.Usage)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(observed) != len(types) {
		t.Errorf("Observe saw %d events, the stream %d", len(observed), len(types))
	}
}

func TestStreamBreakCancels(t *testing.T) {
	k := newKit()
	k.block = make(chan struct{})
	k.started = make(chan string, 1)
	m := llmtest.New(llmtest.Text(`{"thought":"t","steps":[{"id":"s1","task":"a","tool":"fetch","args":{"url":"u"}}]}`))
	a := mustAgent(t, agent.Config{Model: m, ToolList: k.tools(t)})
	for ev := range a.Stream(context.Background(), "g") {
		if ev.Type == agent.EventToolCall {
			<-k.started // the tool is running
			break
		}
	}
	if !k.waitDone() {
		t.Error("breaking out of Stream did not cancel the running tool")
	}
}

func TestApproval(t *testing.T) {
	k := newKit()
	plan := `{"thought":"t","steps":[
		{"id":"s1","task":"a","tool":"search","args":{"query":"rag"}},
		{"id":"s2","task":"b","tool":"fetch","args":{"url":"https://evil.example"}},
		{"id":"s3","task":"c","tool":"search","args":{"query":"secret"}}]}`
	plan2 := `{"thought":"without the denied fetch","steps":[{"id":"s4","task":"d","tool":"fetch","args":{"url":"${s1.hits[0].url}"}}]}`
	m := llmtest.New(llmtest.Text(plan), llmtest.Text(plan2), llmtest.Text("fine [s4]"))
	asked := make(chan agent.ApprovalRequest)
	answer := make(chan agent.Approval)
	a := mustAgent(t, agent.Config{Model: m, ToolList: k.tools(t), Approve: func(ctx context.Context, req agent.ApprovalRequest) (agent.Approval, error) {
		if req.Tool == "search" && req.Step == "s1" {
			return agent.Approval{}, nil
		}
		select { // wait for the person
		case asked <- req:
		case <-ctx.Done():
			return agent.Approval{}, ctx.Err()
		}
		return <-answer, nil
	}})
	done := make(chan struct{})
	var res *agent.Result
	var err error
	go func() {
		res, err = a.Run(context.Background(), "g")
		close(done)
	}()
	for range 3 {
		req := <-asked
		switch req.Step {
		case "s2":
			answer <- agent.Approval{Decision: agent.Deny, Reason: "not that host"}
		case "s3":
			answer <- agent.Approval{Decision: agent.Edit, Args: json.RawMessage(`{"query":"public"}`)}
		case "s4":
			answer <- agent.Approval{Decision: agent.Allow}
		}
	}
	<-done
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if k.count("fetch:https://evil.example") != 0 || k.count("search:public") != 1 || k.count("search:secret") != 0 || k.count("fetch:https://example.com/rag") != 1 {
		t.Errorf("tool calls %v", k.calls)
	}
	s2, _ := res.Step("s2")
	if s2.Status != agent.StepDenied || !errors.Is(s2.Err, tools.ErrDenied) {
		t.Errorf("s2 = %+v", s2)
	}
	if !strings.Contains(lastUser(m.Requests()[1]), "not that host") {
		t.Error("the replan prompt lacks the denial's reason")
	}
}

func TestAgentAsTool(t *testing.T) {
	k := newKit()
	inner := mustAgent(t, agent.Config{
		Name: "researcher", Description: "Researches a topic.",
		Model:    llmtest.New(llmtest.Text(`{"thought":"t","steps":[{"id":"s1","task":"a","tool":"search","args":{"query":"rag"}}]}`), llmtest.Text("RAG is retrieval then generation [s1].")),
		ToolList: k.tools(t),
	})
	outerModel := llmtest.New(
		llmtest.ToolCalls(llmtest.Call("researcher", `{"goal":"what is RAG"}`)),
		llmtest.Text("Summary: retrieval then generation."),
	)
	outer := mustAgent(t, agent.Config{Model: outerModel, ToolList: []tools.Tool{inner.AsTool()}, Strategy: agent.ReAct})
	res, err := outer.Run(context.Background(), "Summarize RAG")
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if len(res.Steps) != 1 || res.Steps[0].Output != "RAG is retrieval then generation [s1]." {
		t.Errorf("steps %+v", res.Steps)
	}
	if spec := inner.AsTool().Spec(); spec.Name != "researcher" || spec.Description != "Researches a topic." {
		t.Errorf("spec %+v", spec)
	}
}

func TestConversation(t *testing.T) {
	store := memory.NewMemStore()
	m := routed(`{"thought":"t","steps":[{"id":"s1","task":"a","tool":"search","args":{"query":"rag"}}]}`, "It is RAG [s1].")
	k := newKit()
	a := mustAgent(t, agent.Config{Model: m, ToolList: k.tools(t), Memory: agent.Memory{Store: store}})
	conv := uuid.New()
	ctx := agent.WithConversation(context.Background(), conv)
	if _, err := a.Run(ctx, "first question"); err != nil {
		t.Fatal(err)
	}
	res, err := a.Run(ctx, "second question")
	if err != nil {
		t.Fatal(err)
	}
	if res.ConversationID != conv {
		t.Errorf("conversation id %s", res.ConversationID)
	}
	msgs, err := memory.NewHistory(store, conv, memory.HistoryOptions{}).Messages(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 4 || msgs[0].Content != "first question" || msgs[1].Content != "It is RAG [s1]." || msgs[2].Content != "second question" {
		t.Errorf("history %+v", msgs)
	}
}

func TestConversationReachesPrompt(t *testing.T) {
	store := memory.NewMemStore()
	conv := uuid.New()
	if _, err := memory.NewHistory(store, conv, memory.HistoryOptions{}).Append(context.Background(), llm.UserMessage("my name is Ada"), llm.AssistantMessage("Hello Ada")); err != nil {
		t.Fatal(err)
	}
	m := llmtest.New(llmtest.Text("Your name is Ada."))
	a := mustAgent(t, agent.Config{Model: m, Strategy: agent.ReAct, Memory: agent.Memory{Store: store}})
	if _, err := a.Run(agent.WithConversation(context.Background(), conv), "what is my name?"); err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, msg := range m.Requests()[0].Messages {
		texts = append(texts, msg.Content)
	}
	if !strings.Contains(strings.Join(texts, "|"), "my name is Ada|Hello Ada|what is my name?") {
		t.Errorf("messages %q", texts)
	}
}

func TestNewErrors(t *testing.T) {
	if _, err := agent.New(agent.Config{}); !errors.Is(err, agent.ErrNoModel) {
		t.Errorf("no model: %v", err)
	}
	k := newKit()
	ts := k.tools(t)
	if _, err := agent.New(agent.Config{Model: llmtest.New(), ToolList: append(ts, ts[0])}); err == nil {
		t.Error("duplicate tools accepted")
	}
	if _, err := agent.New(agent.Config{Model: llmtest.New(), Strategy: 7}); err == nil {
		t.Error("unknown strategy accepted")
	}
}

func TestModelFailure(t *testing.T) {
	boom := &llm.Error{Kind: llm.KindUnavailable, Message: "down"}
	a := mustAgent(t, agent.Config{Model: llmtest.New(llmtest.Fail(boom))})
	res, err := a.Run(context.Background(), "g")
	if !errors.Is(err, llm.ErrUnavailable) || res == nil || res.ModelCalls != 1 {
		t.Errorf("err %v res %+v", err, res)
	}
}

func TestReActStreamAndApproval(t *testing.T) {
	k := newKit()
	m := llmtest.New(
		llmtest.ToolCalls(llmtest.Call("search", `{"query":"rag"}`), llmtest.Call("fetch", `{"url":"https://evil.example"}`)),
		llmtest.Stream(llm.Chunk{Text: "Only "}, llm.Chunk{Text: "the search ran [call_1]."}, llm.Chunk{FinishReason: llm.FinishStop}),
	)
	a := mustAgent(t, agent.Config{Model: m, ToolList: k.tools(t), Strategy: agent.ReAct,
		Approve: func(ctx context.Context, req agent.ApprovalRequest) (agent.Approval, error) {
			if req.Tool == "fetch" {
				return agent.Approval{Decision: agent.Deny, Reason: "no fetching"}, nil
			}
			return agent.Approval{Decision: agent.Allow}, nil
		}})
	var text strings.Builder
	var final *agent.Result
	for ev, err := range a.Stream(context.Background(), "g") {
		if err != nil {
			t.Fatal(err)
		}
		switch ev.Type {
		case agent.EventAnswerDelta:
			text.WriteString(ev.Text)
		case agent.EventDone:
			final = ev.Result
		}
	}
	if text.String() != "Only the search ran [call_1]." || final.Answer != text.String() {
		t.Errorf("streamed %q, answer %q", text.String(), final.Answer)
	}
	if k.count("fetch:https://evil.example") != 0 || k.count("search:rag") != 1 {
		t.Errorf("tool calls %v", k.calls)
	}
	denied, _ := final.Step("call_2")
	if denied.Status != agent.StepDenied || !strings.Contains(denied.Content, "no fetching") {
		t.Errorf("denied step %+v", denied)
	}
	// The model saw the denial as the call's result.
	msgs := m.Requests()[1].Messages
	if last := msgs[len(msgs)-1]; last.ToolCallID != "call_2" || !strings.Contains(last.Content, "no fetching") {
		t.Errorf("last message %+v", last)
	}
}

// countingExec counts which path each call takes through a dispatcher:
// validated (DispatchValidated, StartValidated) or plain (Dispatch, Start).
type countingExec struct {
	*tools.Dispatcher
	plain, validated sync.Map // tool name -> *atomic.Int32
}

func bump(m *sync.Map, calls []llm.ToolCall) {
	for _, c := range calls {
		v, _ := m.LoadOrStore(c.Name, new(atomic.Int32))
		v.(*atomic.Int32).Add(1)
	}
}

func count(m *sync.Map, name string) int32 {
	if v, ok := m.Load(name); ok {
		return v.(*atomic.Int32).Load()
	}
	return 0
}

func (c *countingExec) Dispatch(ctx context.Context, calls ...llm.ToolCall) []tools.Result {
	bump(&c.plain, calls)
	return c.Dispatcher.Dispatch(ctx, calls...)
}

func (c *countingExec) DispatchValidated(ctx context.Context, calls ...llm.ToolCall) []tools.Result {
	bump(&c.validated, calls)
	return c.Dispatcher.DispatchValidated(ctx, calls...)
}

func (c *countingExec) Start(ctx context.Context, call llm.ToolCall, done func(tools.Result)) {
	bump(&c.plain, []llm.ToolCall{call})
	c.Dispatcher.Start(ctx, call, done)
}

func (c *countingExec) StartValidated(ctx context.Context, call llm.ToolCall, done func(tools.Result)) {
	bump(&c.validated, []llm.ToolCall{call})
	c.Dispatcher.StartValidated(ctx, call, done)
}

// TestPrevalidatedSteps: steps whose arguments the planner validated are
// dispatched without validating them again; a step whose arguments come
// from a reference is validated by the dispatcher.
func TestPrevalidatedSteps(t *testing.T) {
	k := newKit()
	exec := &countingExec{Dispatcher: tools.NewDispatcher(tools.MustSet(k.tools(t)...))}
	m := llmtest.New(llmtest.Text(parallelPlan), llmtest.Text("done [s1]"))
	a := mustAgent(t, agent.Config{Model: m, Tools: exec})
	res, err := a.Run(context.Background(), "Explain RAG")
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if s4, _ := res.Step("s4"); s4.Status != agent.StepDone {
		t.Fatalf("s4 = %+v", s4)
	}
	if v, p := count(&exec.validated, "search"), count(&exec.plain, "search"); v != 3 || p != 0 {
		t.Errorf("search: %d pre-validated, %d plain dispatches; want 3 and 0", v, p)
	}
	if v, p := count(&exec.validated, "fetch"), count(&exec.plain, "fetch"); v != 0 || p != 1 {
		t.Errorf("fetch (arguments from a reference): %d pre-validated, %d plain dispatches; want 0 and 1", v, p)
	}
}

// TestReActRecordsAcrossTurns: each turn's records are written into the
// result in place; over several turns (the result's slice grows) every
// record and every step-finished event stays right.
func TestReActRecordsAcrossTurns(t *testing.T) {
	k := newKit()
	var script []llmtest.Step
	queries := []string{"a", "b", "c", "d", "e", "f"}
	for i := 0; i < len(queries); i += 2 {
		script = append(script, llmtest.ToolCalls(
			llm.ToolCall{ID: "q" + queries[i], Name: "search", Arguments: json.RawMessage(`{"query":"` + queries[i] + `"}`)},
			llm.ToolCall{ID: "q" + queries[i+1], Name: "search", Arguments: json.RawMessage(`{"query":"` + queries[i+1] + `"}`)}))
	}
	script = append(script, llmtest.Text("done [qa]"))
	a := mustAgent(t, agent.Config{Model: llmtest.New(script...), ToolList: k.tools(t), Strategy: agent.ReAct})
	var finished []string
	var final *agent.Result
	for ev, err := range a.Stream(context.Background(), "g") {
		if err != nil {
			t.Fatal(err)
		}
		switch ev.Type {
		case agent.EventStepFinished:
			finished = append(finished, ev.Step.ID+"="+string(ev.Step.Status))
		case agent.EventDone:
			final = ev.Result
		}
	}
	if len(final.Steps) != len(queries) {
		t.Fatalf("%d steps, want %d", len(final.Steps), len(queries))
	}
	for i, q := range queries {
		st := final.Steps[i]
		if st.ID != "q"+q || st.Plan != i/2 || st.Status != agent.StepDone || !strings.Contains(st.Content, "example.com/"+q+`"`) {
			t.Errorf("step %d = %+v", i, st)
		}
		if want := "q" + q + "=" + string(agent.StepDone); i >= len(finished) || finished[i] != want {
			t.Errorf("finished event %d: %v, want %s", i, finished, want)
		}
	}
}

// TestReadyStepNotDelayed checks that a step runs as soon as the steps it
// needs are done, whatever the other running steps do: here s3 must start
// while s2, which waits for s3 to start, still runs.
func TestReadyStepNotDelayed(t *testing.T) {
	type in struct {
		Q string `json:"q"`
	}
	tests := []struct {
		name string
		plan string
	}{
		{"dependent of the first", `{"thought":"t","steps":[
			{"id":"s1","task":"a","tool":"quick","args":{"q":"a"}},
			{"id":"s2","task":"b","tool":"wait","args":{"q":"b"}},
			{"id":"s3","task":"c","tool":"mark","args":{"q":"c"},"deps":["s1"]}]}`},
		{"dependent of a dependent", `{"thought":"t","steps":[
			{"id":"s1","task":"a","tool":"quick","args":{"q":"a"}},
			{"id":"s2","task":"b","tool":"wait","args":{"q":"b"}},
			{"id":"s4","task":"d","tool":"quick","args":{"q":"d"},"deps":["s1"]},
			{"id":"s3","task":"c","tool":"mark","args":{"q":"c"},"deps":["s4"]}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			started := make(chan struct{})
			var once sync.Once
			list := []tools.Tool{
				tools.MustFunc("quick", "Quick.", func(ctx context.Context, v in) (string, error) { return "q " + v.Q, nil }),
				tools.MustFunc("mark", "Mark.", func(ctx context.Context, v in) (string, error) {
					once.Do(func() { close(started) })
					return "marked", nil
				}),
				tools.MustFunc("wait", "Wait for mark.", func(ctx context.Context, v in) (string, error) {
					select {
					case <-started:
						return "saw mark", nil
					case <-time.After(3 * time.Second):
						return "", errors.New("mark never started while this step ran")
					}
				}),
			}
			m := llmtest.New(llmtest.Text(tt.plan), llmtest.Text("Done [s2]."))
			a := mustAgent(t, agent.Config{Model: m, ToolList: list})
			res, err := a.Run(context.Background(), "go")
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if s2, _ := res.Step("s2"); s2.Status != agent.StepDone {
				t.Errorf("s2 = %+v; s3 had to start while s2 ran", s2)
			}
		})
	}
}

// TestStuckToolStepTimeoutAndCancel: a tool that ignores its context does
// not hold a run past the step's timeout, nor past a cancellation.
func TestStuckToolStepTimeoutAndCancel(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	stuckTool := func(started chan<- struct{}) tools.Tool {
		return tools.MustFunc("stuck", "Ignores its context.", func(ctx context.Context, in searchIn) (string, error) {
			started <- struct{}{}
			<-release
			return "late", nil
		})
	}
	plan := `{"thought":"t","steps":[{"id":"s1","task":"a","tool":"stuck","args":{"query":"a"}},{"id":"s2","task":"b","tool":"stuck","args":{"query":"b"}}]}`
	t.Run("step timeout", func(t *testing.T) {
		a := mustAgent(t, agent.Config{Model: llmtest.New(llmtest.Text(plan)), ToolList: []tools.Tool{stuckTool(make(chan struct{}, 2))},
			Limits: agent.Limits{StepTimeout: 30 * time.Millisecond, MaxReplans: -1}})
		res, err := a.Run(context.Background(), "g")
		if !isBudget(err, "replans") {
			t.Fatalf("err = %v, want the replans budget", err)
		}
		if len(res.Steps) != 2 {
			t.Fatalf("steps %+v", res.Steps)
		}
		for _, s := range res.Steps {
			if s.Status != agent.StepFailed || !strings.Contains(s.Content, "timed out after 30ms") || !errors.Is(s.Err, context.DeadlineExceeded) {
				t.Errorf("step %s: %s %q %v", s.ID, s.Status, s.Content, s.Err)
			}
		}
	})
	t.Run("cancel", func(t *testing.T) {
		started := make(chan struct{}, 2)
		a := mustAgent(t, agent.Config{Model: llmtest.New(llmtest.Text(plan)), ToolList: []tools.Tool{stuckTool(started)}})
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			<-started
			<-started
			cancel()
		}()
		res, err := a.Run(ctx, "g")
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		if len(res.Steps) != 2 || res.Steps[0].Status != agent.StepFailed || res.Steps[1].Status != agent.StepFailed {
			t.Errorf("steps %+v", res.Steps)
		}
	})
}

// TestStepWorkersRetire: the workers that ran steps in parallel retire
// once they have been idle for a while.
func TestStepWorkersRetire(t *testing.T) {
	restore := agent.SetWorkerIdle(5 * time.Millisecond)
	defer restore()
	k := newKit()
	k.bar = newBarrier(3) // the three searches run at once, on workers
	a := mustAgent(t, agent.Config{Model: llmtest.New(llmtest.Text(parallelPlan), llmtest.Text("done [s1]")), Tools: setExec{tools.MustSet(k.tools(t)...)}})
	if _, err := a.Run(context.Background(), "Explain RAG"); err != nil {
		t.Fatal(err)
	}
	if n := agent.LiveWorkers(); n < 2 {
		t.Fatalf("%d step workers after a run of parallel steps, want at least 2", n)
	}
	deadline := time.Now().Add(10 * time.Second)
	for agent.LiveWorkers() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d step workers still live", agent.LiveWorkers())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// setExec runs a set's tools directly: an executor that cannot start
// calls, so that plan steps run on the agent's own workers.
type setExec struct{ set *tools.Set }

func (e setExec) Specs(names ...string) []llm.ToolSpec { return e.set.Specs(names...) }

func (e setExec) Validate(name string, args json.RawMessage) error {
	return e.set.Validate(name, args)
}

func (e setExec) Dispatch(ctx context.Context, calls ...llm.ToolCall) []tools.Result {
	out := make([]tools.Result, len(calls))
	for i, c := range calls {
		out[i].Call = c
		t, ok := e.set.Tool(c.Name)
		if !ok {
			out[i].Err = fmt.Errorf("unknown tool %q", c.Name)
			out[i].Content = "error: " + out[i].Err.Error()
			continue
		}
		v, err := t.Call(ctx, c.Arguments)
		out[i].Output, out[i].Err = v, err
		if err != nil {
			out[i].Content = "error: " + err.Error()
		} else {
			b, _ := json.Marshal(v)
			out[i].Content = string(b)
		}
	}
	return out
}
