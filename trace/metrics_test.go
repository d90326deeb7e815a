package trace_test

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/llm/llmtest"
	"github.com/plait-ai/plait/trace"
)

func TestMetrics(t *testing.T) {
	t.Run("traces on", func(t *testing.T) { testMetrics(t, newRecorder(t)) })
	t.Run("traces off", func(t *testing.T) {
		rec := newRecorder(t, trace.WithTracerProvider(tracenoop.NewTracerProvider()))
		testMetrics(t, rec)
		if n := len(rec.spans()); n != 0 {
			t.Errorf("%d spans recorded with the no-op tracer provider", n)
		}
	})
}

func testMetrics(t *testing.T, rec *recorder) {
	m := trace.Model(llmtest.New(
		llmtest.Text("plan"), llmtest.Text("paper"), llmtest.Text("replan"), llmtest.Text("answer"),
	).WithInfo(llm.Info{Provider: "deepseek", Model: "deepseek-chat"}))
	start := func(ctx context.Context) (context.Context, trace.Span) {
		return rec.tracer.StartAgent(ctx, trace.AgentInfo{Name: "researcher"})
	}
	_ = simulateRun(context.Background(), start, m, trace.Tools(nil)(fakeTools))
	ms := rec.metrics(t)

	type want struct {
		name   string
		attrs  map[string]string
		count  uint64
		sum    float64 // checked when >= 0
		bounds []float64
	}
	tests := []want{
		{"gen_ai.client.token.usage", map[string]string{"gen_ai.token.type": "input", "gen_ai.provider.name": "deepseek", "gen_ai.request.model": "deepseek-chat", "gen_ai.operation.name": "chat"}, 4, 40, trace.TokenUsageBuckets},
		{"gen_ai.client.token.usage", map[string]string{"gen_ai.token.type": "output"}, 4, 20, trace.TokenUsageBuckets},
		{"gen_ai.client.operation.duration", map[string]string{"gen_ai.operation.name": "chat", "gen_ai.provider.name": "deepseek"}, 4, -1, trace.DurationBuckets},
		{trace.MetricToolDuration, map[string]string{"gen_ai.tool.name": "search"}, 1, -1, trace.DurationBuckets},
		{trace.MetricToolDuration, map[string]string{"gen_ai.tool.name": "fail", "error.type": "tool_failed"}, 1, -1, trace.DurationBuckets},
		{trace.MetricToolErrors, map[string]string{"gen_ai.tool.name": "fail", "error.type": "tool_failed"}, 1, 1, nil},
		{trace.MetricRunSteps, map[string]string{"gen_ai.agent.name": "researcher"}, 1, 3, nil},
		{trace.MetricRunReplans, map[string]string{"gen_ai.agent.name": "researcher"}, 1, 1, nil},
	}
	for _, tt := range tests {
		m, ok := ms[tt.name]
		if !ok {
			t.Errorf("no metric %s", tt.name)
			continue
		}
		found := false
		for _, p := range points(m) {
			match := true
			for k, v := range tt.attrs {
				if got, ok := p.attrs.Value(attribute.Key(k)); !ok || got.Emit() != v {
					match = false
				}
			}
			if !match {
				continue
			}
			found = true
			if p.count != tt.count {
				t.Errorf("%s %v: count %d, want %d", tt.name, tt.attrs, p.count, tt.count)
			}
			if tt.sum >= 0 && p.sum != tt.sum {
				t.Errorf("%s %v: sum %v, want %v", tt.name, tt.attrs, p.sum, tt.sum)
			}
			if tt.bounds != nil && !slices.Equal(p.bounds, tt.bounds) {
				t.Errorf("%s: bounds %v", tt.name, p.bounds)
			}
		}
		if !found {
			t.Errorf("%s: no point with %v", tt.name, tt.attrs)
		}
	}
	// A tool that succeeded is not an error.
	if hasAttr(ms[trace.MetricToolErrors], "gen_ai.tool.name", "search") {
		t.Error("a successful call counted as an error")
	}
}

func TestJSONLExporter(t *testing.T) {
	var buf bytes.Buffer
	exp := trace.NewJSONLExporter(&buf)
	spans := stubRun().Snapshots()
	if err := exp.ExportSpans(context.Background(), spans); err != nil {
		t.Fatal(err)
	}
	if err := exp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := exp.ExportSpans(context.Background(), spans); err != nil {
		t.Fatal(err) // after shutdown: dropped quietly
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != len(spans) {
		t.Fatalf("%d lines for %d spans", len(lines), len(spans))
	}
	var failed, agent trace.JSONLSpan
	for _, l := range lines {
		var s trace.JSONLSpan
		if err := json.Unmarshal([]byte(l), &s); err != nil {
			t.Fatalf("%v: %s", err, l)
		}
		switch s.Name {
		case "step s2":
			failed = s
		case "invoke_agent researcher":
			agent = s
		}
	}
	if failed.Status != "error" || failed.StatusMessage != "llm (openai): timeout" || failed.Attributes["error.type"] != "timeout" {
		t.Errorf("failed step: %+v", failed)
	}
	if failed.ParentSpanID != agent.SpanID || agent.ParentSpanID != "" {
		t.Errorf("parents: step %q, agent %q (id %q)", failed.ParentSpanID, agent.ParentSpanID, agent.SpanID)
	}
	if agent.DurationMS != 1520 || agent.Kind != "internal" || agent.TraceID != "4bf92f3577b34da6a3ce929d0e0e4736" {
		t.Errorf("agent: %+v", agent)
	}
	if agent.Attributes["gen_ai.usage.input_tokens"] != float64(1270) {
		t.Errorf("attributes: %v", agent.Attributes)
	}
}
