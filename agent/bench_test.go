package agent_test

import (
	"context"
	"encoding/json"
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

func echoTool() tools.Tool {
	return tools.MustFunc("search", "Search the knowledge base.", func(ctx context.Context, in queryIn) (string, error) {
		return "result for " + in.Query, nil
	})
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

// BenchmarkOverhead is the framework's own time for a run of three tool
// steps with a zero-latency model and a trivial tool.
func BenchmarkOverhead(b *testing.B) {
	queries := []string{"rag", "agents", "llm"}
	const steps = 3
	// µs/step is wall time; cpu-µs/step is the CPU time the process
	// spent (all threads, the garbage collector's included), which other
	// work sharing the machine disturbs less.
	var cpu0 time.Duration
	start := func(b *testing.B) {
		b.ReportAllocs()
		b.ResetTimer()
		cpu0 = cpuTime()
	}
	report := func(b *testing.B, calls int) {
		cpu := cpuTime() - cpu0
		perStep := float64(b.Elapsed().Nanoseconds()) / float64(b.N) / steps
		b.ReportMetric(perStep/1000, "µs/step")
		if cpu > 0 {
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N)/steps/1000, "cpu-µs/step")
		}
		b.ReportMetric(float64(calls)/float64(b.N), "model-calls/op")
	}
	executors := []struct {
		name string
		cfg  func(*agent.Config)
	}{
		{"dispatcher", func(c *agent.Config) { c.ToolList = []tools.Tool{echoTool()} }},
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
