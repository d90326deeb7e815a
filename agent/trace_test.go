package agent_test

import (
	"context"
	"sort"
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/plait-ai/plait/agent"
	"github.com/plait-ai/plait/llm/llmtest"
	"github.com/plait-ai/plait/trace"
)

func TestTraceSpans(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	defer tp.Shutdown(context.Background())
	k := newKit()
	m := llmtest.New(llmtest.Text(parallelPlan), llmtest.Text("done [s1]"))
	a := mustAgent(t, agent.Config{Name: "researcher", Model: m, ToolList: k.tools(t), Tracer: trace.New(trace.WithTracerProvider(tp))})
	if _, err := a.Run(context.Background(), "g"); err != nil {
		t.Fatal(err)
	}
	spans := exp.GetSpans()
	byID := map[string]tracetest.SpanStub{}
	for _, s := range spans {
		byID[s.SpanContext.SpanID().String()] = s
	}
	parent := func(s tracetest.SpanStub) string {
		if p, ok := byID[s.Parent.SpanID().String()]; ok {
			return p.Name
		}
		return ""
	}
	var edges []string
	for _, s := range spans {
		edges = append(edges, parent(s)+" > "+s.Name)
	}
	sort.Strings(edges)
	got := strings.Join(edges, "\n")
	for _, want := range []string{
		" > invoke_agent researcher",
		"invoke_agent researcher > plan",
		"plan > chat scripted",
		"invoke_agent researcher > step s1",
		"invoke_agent researcher > step s4",
		"step s1 > execute_tool search",
		"step s4 > execute_tool fetch",
		"invoke_agent researcher > summarize",
		"summarize > chat scripted",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("no span edge %q in\n%s", want, got)
		}
	}
}

func TestTraceSpansReAct(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	defer tp.Shutdown(context.Background())
	k := newKit()
	k.bar = newBarrier(2)
	m := llmtest.New(
		llmtest.ToolCalls(llmtest.Call("search", `{"query":"a"}`), llmtest.Call("search", `{"query":"b"}`)),
		llmtest.Text("done"),
	)
	a := mustAgent(t, agent.Config{Name: "r", Model: m, ToolList: k.tools(t), Strategy: agent.ReAct, Tracer: trace.New(trace.WithTracerProvider(tp))})
	if _, err := a.Run(context.Background(), "g"); err != nil {
		t.Fatal(err)
	}
	if k.g.max.Load() < 2 {
		t.Errorf("traced ReAct calls did not run together (max in flight %d)", k.g.max.Load())
	}
	names := map[string]string{}
	byID := map[string]string{}
	for _, s := range exp.GetSpans() {
		byID[s.SpanContext.SpanID().String()] = s.Name
	}
	for _, s := range exp.GetSpans() {
		names[byID[s.Parent.SpanID().String()]+" > "+s.Name] = s.Name
	}
	for _, want := range []string{"invoke_agent r > step call_1", "invoke_agent r > step call_2", "step call_1 > execute_tool search", "invoke_agent r > chat scripted"} {
		if _, ok := names[want]; !ok {
			t.Errorf("no span edge %q in %v", want, names)
		}
	}
}
