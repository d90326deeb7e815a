package trace_test

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/plait-ai/plait/trace"
)

// TestDefaultFollowsTheGlobalProvider checks that runs outside a Setup
// record through the global tracer provider installed at the time, not
// the one installed when the default was first used.
func TestDefaultFollowsTheGlobalProvider(t *testing.T) {
	defer otel.SetTracerProvider(noop.NewTracerProvider())
	for i := range 3 {
		exp := tracetest.NewInMemoryExporter()
		tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
		otel.SetTracerProvider(tp)
		_, span := trace.StartAgent(context.Background(), trace.AgentInfo{Name: "a"})
		span.End(nil)
		if n := len(exp.GetSpans()); n != 1 {
			t.Fatalf("provider %d recorded %d spans, want 1", i, n)
		}
		if d := trace.Default(); d != trace.Default() {
			t.Fatalf("provider %d: a new default on every call", i)
		}
		_ = tp.Shutdown(context.Background())
	}
}
