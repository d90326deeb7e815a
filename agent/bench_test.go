package agent_test

import (
	"context"
	"encoding/json"
	"github.com/plait-ai/plait/internal/testenv"
	"strconv"
	"strings"
	"testing"
	"time"

	lcagents "github.com/tmc/langchaingo/agents"
	"github.com/tmc/langchaingo/chains"
	lctools "github.com/tmc/langchaingo/tools"

	"github.com/plait-ai/plait/agent"
	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/llm/langchain"
	"github.com/plait-ai/plait/llm/llmtest"
	"github.com/plait-ai/plait/tools"
)

// The benchmarks run with zero-latency scripted models (llmtest.Loop), so
// what they measure is the frameworks' own time: prompt building, plan
// parsing and validation, dispatch, scheduling, bookkeeping.
//
//	go test -run '^$' -bench . -benchmem ./agent

type queryIn struct {
	Query string `json:"query"`
}

func echoTool(opts ...tools.Option) tools.Tool {
	return tools.MustFunc("search", "Search the knowledge base.", func(ctx context.Context, in queryIn) (string, error) {
		return "result for " + in.Query, nil
	}, opts...)
}

func slowTool(d time.Duration) tools.Tool {
	return tools.MustFunc("search", "Search the knowledge base (slowly).", func(ctx context.Context, in queryIn) (string, error) {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			return "result for " + in.Query, nil
		case <-ctx.Done():
			return "", ctx.Err()
		}
	})
}

func planOf(queries ...string) string {
	var b strings.Builder
	b.WriteString(`{"thought":"The searches are independent: run them together.","steps":[`)
	for i, q := range queries {
		if i > 0 {
			b.WriteByte(',')
		}
		id := "s" + string(rune('1'+i))
		b.WriteString(`{"id":"` + id + `","task":"search ` + q + `","tool":"search","args":{"query":"` + q + `"},"deps":[]}`)
	}
	b.WriteString(`]}`)
	return b.String()
}

func reactTurns(parallel bool, queries ...string) []llmtest.Step {
	var steps []llmtest.Step
	var batch []llm.ToolCall
	for i, q := range queries {
		c := llm.ToolCall{ID: "c" + string(rune('1'+i)), Name: "search", Arguments: json.RawMessage(`{"query":"` + q + `"}`)}
		if parallel {
			batch = append(batch, c)
		} else {
			steps = append(steps, llmtest.ToolCalls(c))
		}
	}
	if parallel {
		steps = append(steps, llmtest.ToolCalls(batch...))
	}
	return append(steps, llmtest.Text("Done [c1]."))
}

// bareExec is an executor with no validation, guards or timeouts: it
// calls the tool directly, to separate the agent's and planner's own cost
// from the dispatcher's.
type bareExec struct{ t tools.Tool }

func (e bareExec) Specs(names ...string) []llm.ToolSpec { return []llm.ToolSpec{e.t.Spec()} }

func (e bareExec) Validate(name string, args json.RawMessage) error { return nil }

// Quick reports that calls run where they are made and return at once
// (tools.QuickExecutor), as the tool's do, so that the agent runs plan
// steps here as it does with a dispatcher's quick tool.
func (e bareExec) Quick(name string) bool { return true }

func (e bareExec) Dispatch(ctx context.Context, calls ...llm.ToolCall) []tools.Result {
	out := make([]tools.Result, len(calls))
	for i, c := range calls {
		v, err := e.t.Call(ctx, c.Arguments)
		s, _ := v.(string)
		out[i] = tools.Result{Call: c, Output: v, Content: s, Err: err}
	}
	return out
}

type lcSearch struct{}

func (lcSearch) Name() string        { return "search" }
func (lcSearch) Description() string { return "Search the knowledge base." }
func (lcSearch) Call(ctx context.Context, input string) (string, error) {
	return "result for " + input, nil
}

// reportPerStep reports the wall time (µs/step) and the CPU time the
// process spent since cpu0 (cpu-µs/step: all threads, the garbage
// collector's included, which other work sharing the machine disturbs
// less) per tool step of b's runs of steps steps each.
func reportPerStep(b *testing.B, steps int, cpu0 time.Duration) {
	cpu := testenv.CPUTime() - cpu0
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(steps)/1000, "µs/step")
	if cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N)/float64(steps)/1000, "cpu-µs/step")
	}
}

// BenchmarkOverhead is the framework's own time for a run of three tool
// steps with a zero-latency model and a trivial tool.
func BenchmarkOverhead(b *testing.B) {
	queries := []string{"rag", "agents", "llm"}
	const steps = 3
	var cpu0 time.Duration
	start := func(b *testing.B) {
		b.ReportAllocs()
		b.ResetTimer()
		cpu0 = testenv.CPUTime()
	}
	report := func(b *testing.B, calls int) {
		reportPerStep(b, steps, cpu0)
		b.ReportMetric(float64(calls)/float64(b.N), "model-calls/op")
	}
	executors := []struct {
		name string
		cfg  func(*agent.Config)
	}{
		// The default: the tool's first calls run on the dispatcher's
		// workers, where its timeout can abandon them; once it has
		// proved quick (after 32 calls, in the benchmark's first runs)
		// they run where they are made, and steps of it one after
		// another on the goroutine that runs the plan.
		{"dispatcher", func(c *agent.Config) { c.ToolList = []tools.Tool{echoTool()} }},
		// The tool marked tools.Inline: its calls run where they are
		// made from the first, with no timeout that could abandon them,
		// as langchaingo's executor runs its tools; it proves quick
		// after 4 calls.
		{"dispatcher-inline-tool", func(c *agent.Config) { c.ToolList = []tools.Tool{echoTool(tools.Inline())} }},
		// The tool marked tools.Isolated: every call on a worker, so
		// that its timeout always abandons it. What a hand-over to
		// another goroutine and back costs per step.
		{"dispatcher-isolated-tool", func(c *agent.Config) { c.ToolList = []tools.Tool{echoTool(tools.Isolated())} }},
		{"bare-executor", func(c *agent.Config) { c.Tools = bareExec{echoTool()} }},
	}
	for _, ex := range executors {
		b.Run("plait-plan-execute/"+ex.name, func(b *testing.B) {
			m := llmtest.Loop(llmtest.Text(planOf(queries...)), llmtest.Text("Done [s1]."))
			cfg := agent.Config{Model: m}
			ex.cfg(&cfg)
			a := mustAgent(b, cfg)
			ctx := context.Background()
			start(b)
			for b.Loop() {
				res, err := a.Run(ctx, "Search three topics.")
				if err != nil || len(res.Steps) != steps {
					b.Fatalf("run: %v", err)
				}
			}
			report(b, m.Calls())
		})
		b.Run("plait-react/"+ex.name, func(b *testing.B) {
			m := llmtest.Loop(reactTurns(false, queries...)...)
			cfg := agent.Config{Model: m, Strategy: agent.ReAct}
			ex.cfg(&cfg)
			a := mustAgent(b, cfg)
			ctx := context.Background()
			start(b)
			for b.Loop() {
				res, err := a.Run(ctx, "Search three topics.")
				if err != nil || len(res.Steps) != steps {
					b.Fatalf("run: %v", err)
				}
			}
			report(b, m.Calls())
		})
	}
	b.Run("langchaingo-executor", func(b *testing.B) {
		var turns []llmtest.Step
		for _, q := range queries {
			turns = append(turns, llmtest.Text("Thought: I should search.\nAction: search\nAction Input: "+q))
		}
		turns = append(turns, llmtest.Text("Thought: I now know the final answer\nFinal Answer: Done."))
		m := llmtest.Loop(turns...)
		ex := lcagents.NewExecutor(lcagents.NewOneShotAgent(langchain.New(m), []lctools.Tool{lcSearch{}}), lcagents.WithMaxIterations(5))
		ctx := context.Background()
		start(b)
		for b.Loop() {
			out, err := chains.Run(ctx, ex, "Search three topics.")
			if err != nil || out != "Done." {
				b.Fatalf("run: %q %v", out, err)
			}
		}
		report(b, m.Calls())
	})
}

// BenchmarkHandOvers is BenchmarkOverhead's plan-and-execute run with the
// dispatcher, with and without the hand-overs of its steps to other
// goroutines: with the tool marked tools.Isolated (every call started on
// a dispatcher worker, so that a timeout can abandon a tool that ignores
// its context); as it is (the tool's first calls so, and once it has
// proved quick, every step on the scheduling goroutine, one after
// another); with the tool marked tools.Inline (the same, the call running
// where the step runs from the first); and at Parallelism 1 (one step at
// a time).
func BenchmarkHandOvers(b *testing.B) {
	queries := []string{"rag", "agents", "llm"}
	const steps = 3
	for _, c := range []struct {
		name     string
		opts     []tools.Option
		parallel int
	}{
		{"isolated-tool", []tools.Option{tools.Isolated()}, 0},
		{"default", nil, 0},
		{"inline-tool", []tools.Option{tools.Inline()}, 0},
		{"isolated-tool,parallelism=1", []tools.Option{tools.Isolated()}, 1},
		{"default,parallelism=1", nil, 1},
	} {
		b.Run(c.name, func(b *testing.B) {
			m := llmtest.Loop(llmtest.Text(planOf(queries...)), llmtest.Text("Done [s1]."))
			t := echoTool(c.opts...)
			cfg := agent.Config{Model: m, ToolList: []tools.Tool{t}}
			cfg.Limits.Parallelism = c.parallel
			a := mustAgent(b, cfg)
			ctx := context.Background()
			b.ReportAllocs()
			cpu0 := testenv.CPUTime()
			for b.Loop() {
				res, err := a.Run(ctx, "Search three topics.")
				if err != nil || len(res.Steps) != steps {
					b.Fatalf("run: %v", err)
				}
			}
			reportPerStep(b, steps, cpu0)
		})
	}
}

// BenchmarkParallel is the wall time of a goal that needs four independent
// tool calls of 50 ms each.
func BenchmarkParallel(b *testing.B) {
	queries := []string{"rag", "agents", "llm", "memory"}
	const latency = 50 * time.Millisecond
	run := func(b *testing.B, m *llmtest.Model, strategy agent.Strategy) {
		a := mustAgent(b, agent.Config{Model: m, ToolList: []tools.Tool{slowTool(latency)}, Strategy: strategy})
		ctx := context.Background()
		b.ResetTimer()
		for b.Loop() {
			res, err := a.Run(ctx, "Search four topics.")
			if err != nil || len(res.Steps) != len(queries) {
				b.Fatalf("run: %v", err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/run")
		b.ReportMetric(float64(m.Calls())/float64(b.N), "model-calls/op")
	}
	b.Run("plait-plan-execute", func(b *testing.B) {
		run(b, llmtest.Loop(llmtest.Text(planOf(queries...)), llmtest.Text("Done [s1].")), agent.PlanExecute)
	})
	b.Run("plait-react", func(b *testing.B) {
		run(b, llmtest.Loop(reactTurns(false, queries...)...), agent.ReAct)
	})
	b.Run("plait-react-parallel-calls", func(b *testing.B) {
		run(b, llmtest.Loop(reactTurns(true, queries...)...), agent.ReAct)
	})
}

// stepsQueries returns n distinct search queries.
func stepsQueries(n int) []string {
	qs := make([]string, n)
	for i := range qs {
		qs[i] = "topic " + strconv.Itoa(i+1)
	}
	return qs
}

// planOfN is planOf for any number of steps: ids s1, s2, ... s16.
func planOfN(queries ...string) string {
	var b strings.Builder
	b.WriteString(`{"thought":"The searches are independent: run them together.","steps":[`)
	for i, q := range queries {
		if i > 0 {
			b.WriteByte(',')
		}
		id := "s" + strconv.Itoa(i+1)
		b.WriteString(`{"id":"` + id + `","task":"search ` + q + `","tool":"search","args":{"query":"` + q + `"},"deps":[]}`)
	}
	b.WriteString(`]}`)
	return b.String()
}

// reactTurnsN is reactTurns (one call a turn) for any number of calls.
func reactTurnsN(queries ...string) []llmtest.Step {
	var steps []llmtest.Step
	for i, q := range queries {
		c := llm.ToolCall{ID: "c" + strconv.Itoa(i+1), Name: "search", Arguments: json.RawMessage(`{"query":"` + q + `"}`)}
		steps = append(steps, llmtest.ToolCalls(c))
	}
	return append(steps, llmtest.Text("Done [c1]."))
}

// BenchmarkSteps separates the framework's cost per tool step from its
// cost per run: the same goal shape (independent searches with a trivial
// tool and the zero-latency scripted model) with 1, 4 and 16 tool steps.
// Plan-and-execute makes one plan of n independent steps (run up to the
// default parallelism of 8 at once) and answers: two model calls whatever
// n. ReAct calls one tool a turn: n+1 model calls. Each steps=N
// sub-benchmark reports µs/step and cpu-µs/step over its n steps, fixed
// cost included. The marginal sub-benchmark alternates a 16-step and a
// 1-step run of the same agent configuration in each iteration, so that
// both see the same conditions, and reports the cost of each step beyond
// the first, (t16 − t1)/15, and the fixed cost of a run, t1 minus one
// marginal step.
//
//	go test -run '^$' -bench Steps -benchmem ./agent
func BenchmarkSteps(b *testing.B) {
	type variant struct {
		name     string
		strategy agent.Strategy
		cfg      func(*agent.Config)
	}
	variants := []variant{
		{"plan-execute/dispatcher", agent.PlanExecute, func(c *agent.Config) { c.ToolList = []tools.Tool{echoTool()} }},
		{"plan-execute/bare-executor", agent.PlanExecute, func(c *agent.Config) { c.Tools = bareExec{echoTool()} }},
		{"react/dispatcher", agent.ReAct, func(c *agent.Config) { c.ToolList = []tools.Tool{echoTool()} }},
		{"react/bare-executor", agent.ReAct, func(c *agent.Config) { c.Tools = bareExec{echoTool()} }},
	}
	// newAgent returns an agent whose runs take n tool steps, and its
	// model.
	newAgent := func(b *testing.B, v variant, n int) (*agent.Agent, *llmtest.Model) {
		qs := stepsQueries(n)
		var m *llmtest.Model
		if v.strategy == agent.ReAct {
			m = llmtest.Loop(reactTurnsN(qs...)...)
		} else {
			m = llmtest.Loop(llmtest.Text(planOfN(qs...)), llmtest.Text("Done [s1]."))
		}
		// Room for 16 tool turns and the answer under ReAct.
		cfg := agent.Config{Model: m, Strategy: v.strategy, Limits: agent.Limits{MaxTurns: 32}}
		v.cfg(&cfg)
		return mustAgent(b, cfg), m
	}
	runOnce := func(b *testing.B, a *agent.Agent, n int) {
		res, err := a.Run(context.Background(), "Search these topics.")
		if err != nil || len(res.Steps) != n {
			b.Fatalf("run: %v (%d steps, want %d)", err, len(res.Steps), n)
		}
	}
	for _, v := range variants {
		for _, n := range []int{1, 4, 16} {
			b.Run(v.name+"/steps="+strconv.Itoa(n), func(b *testing.B) {
				a, m := newAgent(b, v, n)
				b.ReportAllocs()
				cpu0 := testenv.CPUTime()
				for b.Loop() {
					runOnce(b, a, n)
				}
				reportPerStep(b, n, cpu0)
				b.ReportMetric(float64(m.Calls())/float64(b.N), "model-calls/op")
			})
		}
		b.Run(v.name+"/marginal", func(b *testing.B) {
			a16, _ := newAgent(b, v, 16)
			a1, _ := newAgent(b, v, 1)
			var wall16, wall1, cpu16, cpu1 time.Duration
			for b.Loop() {
				t0, c0 := time.Now(), testenv.CPUTime()
				runOnce(b, a16, 16)
				t1, c1 := time.Now(), testenv.CPUTime()
				runOnce(b, a1, 1)
				t2, c2 := time.Now(), testenv.CPUTime()
				wall16 += t1.Sub(t0)
				wall1 += t2.Sub(t1)
				cpu16 += c1 - c0
				cpu1 += c2 - c1
			}
			per := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / float64(b.N) / 1000 }
			marginal := (per(wall16) - per(wall1)) / 15
			b.ReportMetric(marginal, "µs/extra-step")
			b.ReportMetric(per(wall1)-marginal, "µs/run-fixed")
			if cpu16 > 0 {
				cpuMarginal := (per(cpu16) - per(cpu1)) / 15
				b.ReportMetric(cpuMarginal, "cpu-µs/extra-step")
				b.ReportMetric(per(cpu1)-cpuMarginal, "cpu-µs/run-fixed")
			}
		})
	}
}

// BenchmarkStepsCancellable is plan-and-execute with the dispatcher, as in
// BenchmarkSteps, under a context that can be cancelled, as a service's
// request context can: each tool call then also watches it (the other
// benchmarks run under context.Background, which never ends).
//
//	go test -run '^$' -bench StepsCancellable -benchmem ./agent
func BenchmarkStepsCancellable(b *testing.B) {
	for _, n := range []int{1, 4, 16} {
		b.Run("plan-execute/dispatcher/steps="+strconv.Itoa(n), func(b *testing.B) {
			m := llmtest.Loop(llmtest.Text(planOfN(stepsQueries(n)...)), llmtest.Text("Done [s1]."))
			a := mustAgent(b, agent.Config{Model: m, ToolList: []tools.Tool{echoTool()}})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			b.ReportAllocs()
			cpu0 := testenv.CPUTime()
			for b.Loop() {
				res, err := a.Run(ctx, "Search these topics.")
				if err != nil || len(res.Steps) != n {
					b.Fatalf("run: %v", err)
				}
			}
			reportPerStep(b, n, cpu0)
		})
	}
}
