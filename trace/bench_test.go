package trace_test

import (
	"context"
	"crypto/sha256"
	"github.com/plait-ai/plait/internal/testenv"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/llm/llmtest"
	"github.com/plait-ai/plait/tools"
	"github.com/plait-ai/plait/trace"
)

// discard is a span exporter that drops everything.
type discard struct{}

func (discard) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discard) Shutdown(context.Context) error                             { return nil }

// tracers returns the configurations the benchmarks compare: tracing off
// (the no-op provider) and on (the SDK, a batch or a simple processor and
// an exporter that discards, with SDK metrics).
func benchTracers(b *testing.B) []struct {
	name string
	t    *trace.Tracer
} {
	batch := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sdktrace.NewBatchSpanProcessor(discard{})))
	simple := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sdktrace.NewSimpleSpanProcessor(discard{})))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	b.Cleanup(func() {
		_ = batch.Shutdown(context.Background())
		_ = simple.Shutdown(context.Background())
		_ = mp.Shutdown(context.Background())
	})
	return []struct {
		name string
		t    *trace.Tracer
	}{
		{"off", trace.New(trace.WithTracerProvider(tracenoop.NewTracerProvider()))},
		{"sdk-batch", trace.New(trace.WithTracerProvider(batch), trace.WithMeterProvider(mp))},
		{"sdk-simple", trace.New(trace.WithTracerProvider(simple), trace.WithMeterProvider(mp))},
	}
}

// loop runs f b.N times and reports its CPU time per operation.
func loop(b *testing.B, unit string, f func()) float64 {
	b.ReportAllocs()
	c0 := testenv.CPUTime()
	for b.Loop() {
		f()
	}
	per := float64((testenv.CPUTime() - c0).Nanoseconds()) / float64(b.N)
	b.ReportMetric(per, "cpu-ns/"+unit)
	return per
}

// BenchmarkSpan measures one span: StartStep and End inside a run.
func BenchmarkSpan(b *testing.B) {
	for _, tc := range benchTracers(b) {
		b.Run(tc.name, func(b *testing.B) {
			ctx, run := tc.t.StartAgent(context.Background(), trace.AgentInfo{Name: "bench"})
			defer run.End(nil)
			loop(b, "span", func() {
				_, s := trace.StartStep(ctx, "s1", "task")
				s.End(nil)
			})
		})
	}
}

// BenchmarkSpanRawSDK measures a bare OpenTelemetry SDK span (Start and
// End, no attributes) through the same processors, as the reference
// BenchmarkSpan's figures are compared with: the difference is plait's.
func BenchmarkSpanRawSDK(b *testing.B) {
	for _, p := range []struct {
		name string
		proc func() sdktrace.SpanProcessor
	}{
		{"batch", func() sdktrace.SpanProcessor { return sdktrace.NewBatchSpanProcessor(discard{}) }},
		{"simple", func() sdktrace.SpanProcessor { return sdktrace.NewSimpleSpanProcessor(discard{}) }},
	} {
		b.Run(p.name, func(b *testing.B) {
			tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(p.proc()))
			defer tp.Shutdown(context.Background())
			tr := tp.Tracer("bench")
			ctx, root := tr.Start(context.Background(), "root")
			defer root.End()
			loop(b, "span", func() {
				_, s := tr.Start(ctx, "step s1")
				s.End()
			})
		})
	}
}

// BenchmarkModelCall measures a chat span around a model call that costs
// nothing, so the figure is the instrumentation's cost.
func BenchmarkModelCall(b *testing.B) {
	resp := &llm.Response{Message: llm.AssistantMessage("ok"), FinishReason: llm.FinishStop, Usage: llm.Usage{InputTokens: 10, OutputTokens: 5}}
	req := &llm.Request{Messages: []llm.Message{llm.UserMessage("hi")}, Temperature: llm.Ptr(0.2), MaxTokens: 64}
	inner := llmtest.Loop(llmtest.Reply(resp)).WithInfo(llm.Info{Provider: "openai", Model: "gpt-4o-mini"})
	b.Run("bare", func(b *testing.B) {
		loop(b, "call", func() { _, _ = inner.Generate(context.Background(), req) })
	})
	for _, tc := range benchTracers(b) {
		b.Run(tc.name, func(b *testing.B) {
			m := tc.t.Model(inner)
			loop(b, "call", func() { _, _ = m.Generate(context.Background(), req) })
		})
	}
}

// stepWork stands for the work of one plan step, a model call and a tool
// call, at about 40µs of CPU: far less than any real model call, so the
// overhead measured against it is an upper bound.
func stepWork() {
	var buf [32 << 10]byte
	_ = sha256.Sum256(buf[:])
}

// BenchmarkStep runs one plan step (a step span, a model call and a tool
// call) bare, with tracing off and with tracing on, and reports each
// configuration's CPU-time overhead against bare as overhead-cpu-ns/step and as a
// percentage of the step's time (overhead-%).
func BenchmarkStep(b *testing.B) {
	resp := &llm.Response{Message: llm.Message{Role: llm.RoleAssistant, ToolCalls: []llm.ToolCall{{ID: "c1", Name: "search", Arguments: []byte(`{"q":"x"}`)}}},
		FinishReason: llm.FinishToolCalls, Usage: llm.Usage{InputTokens: 300, OutputTokens: 20}}
	inner := llmtest.Loop(llmtest.Func(func(ctx context.Context, req *llm.Request) (*llm.Response, error) {
		stepWork()
		return resp, nil
	})).WithInfo(llm.Info{Provider: "openai", Model: "gpt-4o-mini"})
	handler := func(ctx context.Context, call llm.ToolCall) tools.Result {
		return tools.Result{Call: call, Output: "ok", Content: "ok"}
	}
	req := &llm.Request{Messages: []llm.Message{llm.UserMessage("step")}}
	step := func(ctx context.Context, m llm.Model, h tools.CallHandler, traced bool) {
		sctx := ctx
		var s trace.Span
		if traced {
			sctx, s = trace.StartStep(ctx, "s1", "search")
		}
		r, err := m.Generate(sctx, req)
		res := h(sctx, r.Message.ToolCalls[0])
		if traced {
			s.End(errorsJoin(err, res.Err))
		}
	}
	var bare float64
	b.Run("bare", func(b *testing.B) {
		ctx := context.Background()
		bare = loop(b, "step", func() { step(ctx, inner, handler, false) })
	})
	for _, tc := range benchTracers(b) {
		b.Run(tc.name, func(b *testing.B) {
			m := tc.t.Model(inner)
			h := tc.t.Tools(nil)(handler)
			ctx, run := tc.t.StartAgent(context.Background(), trace.AgentInfo{Name: "bench"})
			defer run.End(nil)
			per := loop(b, "step", func() { step(ctx, m, h, true) })
			if bare > 0 {
				b.ReportMetric(per-bare, "overhead-cpu-ns/step")
				b.ReportMetric(100*(per-bare)/bare, "overhead-%")
			}
		})
	}
}

func errorsJoin(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// BenchmarkStepInterleaved runs the same step bare, with tracing off and
// with tracing on (SDK, batch processor, discarding exporter, SDK metrics)
// in turn within each iteration, so that the three share the machine's
// load as it changes, and reports the CPU time per step of each and the
// overhead of off and on against bare.
func BenchmarkStepInterleaved(b *testing.B) {
	resp := &llm.Response{Message: llm.Message{Role: llm.RoleAssistant, ToolCalls: []llm.ToolCall{{ID: "c1", Name: "search", Arguments: []byte(`{"q":"x"}`)}}},
		FinishReason: llm.FinishToolCalls, Usage: llm.Usage{InputTokens: 300, OutputTokens: 20}}
	inner := llmtest.Loop(llmtest.Func(func(ctx context.Context, req *llm.Request) (*llm.Response, error) {
		stepWork()
		return resp, nil
	})).WithInfo(llm.Info{Provider: "openai", Model: "gpt-4o-mini"})
	handler := func(ctx context.Context, call llm.ToolCall) tools.Result {
		return tools.Result{Call: call, Output: "ok", Content: "ok"}
	}
	req := &llm.Request{Messages: []llm.Message{llm.UserMessage("step")}}
	tcs := benchTracers(b)[:2] // off, sdk-batch
	type conf struct {
		ctx context.Context
		m   llm.Model
		h   tools.CallHandler
		cpu time.Duration
	}
	confs := []*conf{{ctx: context.Background(), m: inner, h: handler}}
	for _, tc := range tcs {
		ctx, run := tc.t.StartAgent(context.Background(), trace.AgentInfo{Name: "bench"})
		defer run.End(nil)
		confs = append(confs, &conf{ctx: ctx, m: tc.t.Model(inner), h: tc.t.Tools(nil)(handler)})
	}
	for b.Loop() {
		for i, c := range confs {
			c0 := testenv.CPUTime()
			ctx := c.ctx
			var s trace.Span
			if i > 0 {
				ctx, s = trace.StartStep(c.ctx, "s1", "search")
			}
			r, err := c.m.Generate(ctx, req)
			res := c.h(ctx, r.Message.ToolCalls[0])
			if i > 0 {
				s.End(errorsJoin(err, res.Err))
			}
			c.cpu += testenv.CPUTime() - c0
		}
	}
	n := float64(b.N)
	bare := float64(confs[0].cpu.Nanoseconds()) / n
	off := float64(confs[1].cpu.Nanoseconds()) / n
	on := float64(confs[2].cpu.Nanoseconds()) / n
	b.ReportMetric(bare, "bare-cpu-ns/step")
	b.ReportMetric(100*(off-bare)/bare, "off-overhead-%")
	b.ReportMetric(100*(on-bare)/bare, "on-overhead-%")
	b.ReportMetric(on-bare, "on-overhead-cpu-ns/step")
}
