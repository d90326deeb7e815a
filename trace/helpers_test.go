package trace_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/tools"
	"github.com/plait-ai/plait/trace"
)

// recorder is a Tracer on in-memory SDK providers.
type recorder struct {
	exp    *tracetest.InMemoryExporter
	reader *sdkmetric.ManualReader
	tp     *sdktrace.TracerProvider
	mp     *sdkmetric.MeterProvider
	tracer *trace.Tracer
}

func newRecorder(t testing.TB, opts ...trace.Option) *recorder {
	t.Helper()
	r := &recorder{exp: tracetest.NewInMemoryExporter(), reader: sdkmetric.NewManualReader()}
	r.tp = sdktrace.NewTracerProvider(sdktrace.WithSyncer(r.exp))
	r.mp = sdkmetric.NewMeterProvider(sdkmetric.WithReader(r.reader))
	t.Cleanup(func() {
		_ = r.tp.Shutdown(context.Background())
		_ = r.mp.Shutdown(context.Background())
	})
	r.tracer = trace.New(append([]trace.Option{trace.WithTracerProvider(r.tp), trace.WithMeterProvider(r.mp)}, opts...)...)
	return r
}

func (r *recorder) spans() tracetest.SpanStubs { return r.exp.GetSpans() }

func (r *recorder) metrics(t testing.TB) map[string]metricdata.Metrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatalf("collect metrics: %v", err)
	}
	out := map[string]metricdata.Metrics{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			out[m.Name] = m
		}
	}
	return out
}

// byName returns the spans named name.
func byName(spans tracetest.SpanStubs, name string) []tracetest.SpanStub {
	var out []tracetest.SpanStub
	for _, s := range spans {
		if s.Name == name {
			out = append(out, s)
		}
	}
	return out
}

func one(t testing.TB, spans tracetest.SpanStubs, name string) tracetest.SpanStub {
	t.Helper()
	got := byName(spans, name)
	if len(got) != 1 {
		t.Fatalf("want one span %q, got %d among %v", name, len(got), names(spans))
	}
	return got[0]
}

func names(spans tracetest.SpanStubs) []string {
	var n []string
	for _, s := range spans {
		n = append(n, s.Name)
	}
	sort.Strings(n)
	return n
}

// tree returns "parent > child" for every span, sorted.
func tree(spans tracetest.SpanStubs) []string {
	byID := map[string]string{}
	for _, s := range spans {
		byID[s.SpanContext.SpanID().String()] = s.Name
	}
	var edges []string
	for _, s := range spans {
		p := "-"
		if s.Parent.IsValid() {
			p = byID[s.Parent.SpanID().String()]
			if p == "" {
				p = "?"
			}
		}
		edges = append(edges, p+" > "+s.Name)
	}
	sort.Strings(edges)
	return edges
}

func attr(s tracetest.SpanStub, key string) (attribute.Value, bool) {
	for _, kv := range s.Attributes {
		if string(kv.Key) == key {
			return kv.Value, true
		}
	}
	return attribute.Value{}, false
}

func wantAttrs(t testing.TB, s tracetest.SpanStub, want map[string]any) {
	t.Helper()
	for k, w := range want {
		v, ok := attr(s, k)
		if !ok {
			t.Errorf("%s: no attribute %s", s.Name, k)
			continue
		}
		if got := v.AsInterface(); fmt.Sprint(got) != fmt.Sprint(w) {
			t.Errorf("%s: %s = %v, want %v", s.Name, k, got, w)
		}
	}
}

func noAttrs(t testing.TB, s tracetest.SpanStub, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if v, ok := attr(s, k); ok {
			t.Errorf("%s: unexpected attribute %s = %v", s.Name, k, v.Emit())
		}
	}
}

// fakeTools is a tool handler: "fail" fails, every other tool echoes.
func fakeTools(ctx context.Context, call llm.ToolCall) tools.Result {
	if call.Name == "fail" {
		err := toolError{"tool_failed", errors.New("the tool broke")}
		return tools.Result{Call: call, Err: err, Content: "error: " + err.Error()}
	}
	return tools.Result{Call: call, Output: "ok", Content: `{"echo":` + string(call.Arguments) + `}`}
}

type toolError struct {
	typ string
	err error
}

func (e toolError) Error() string     { return e.err.Error() }
func (e toolError) ErrorType() string { return e.typ }
func (e toolError) Unwrap() error     { return e.err }

func specs(names ...string) []llm.ToolSpec {
	all := []llm.ToolSpec{
		{Name: "search", Description: "Search the web."},
		{Name: "fetch", Description: "Fetch a page."},
		{Name: "fail", Description: "Always fails."},
	}
	if len(names) == 0 {
		return all
	}
	var out []llm.ToolSpec
	for _, s := range all {
		for _, n := range names {
			if s.Name == n {
				out = append(out, s)
			}
		}
	}
	return out
}

// allStrings returns every string recorded on spans: names, attribute
// values, status messages and event attributes.
func allStrings(spans tracetest.SpanStubs) string {
	var b strings.Builder
	for _, s := range spans {
		b.WriteString(s.Name + "\n" + s.Status.Description + "\n")
		for _, kv := range s.Attributes {
			b.WriteString(string(kv.Key) + "=" + kv.Value.Emit() + "\n")
		}
		for _, e := range s.Events {
			for _, kv := range e.Attributes {
				b.WriteString(kv.Value.Emit() + "\n")
			}
		}
		if s.Resource != nil {
			for _, kv := range s.Resource.Attributes() {
				b.WriteString(kv.Value.Emit() + "\n")
			}
		}
	}
	return b.String()
}

func mustJSON(t testing.TB, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("not JSON: %v: %s", err, s)
	}
	return v
}

type (
	tracetestSpans = tracetest.SpanStubs
	tracetestSpan  = tracetest.SpanStub
)

// points returns the attribute sets and counts (or sums) of a metric's
// data points.
func points(m metricdata.Metrics) []struct {
	attrs  attribute.Set
	count  uint64
	sum    float64
	bounds []float64
} {
	type pt = struct {
		attrs  attribute.Set
		count  uint64
		sum    float64
		bounds []float64
	}
	var out []pt
	switch d := m.Data.(type) {
	case metricdata.Histogram[int64]:
		for _, p := range d.DataPoints {
			out = append(out, pt{p.Attributes, p.Count, float64(p.Sum), p.Bounds})
		}
	case metricdata.Histogram[float64]:
		for _, p := range d.DataPoints {
			out = append(out, pt{p.Attributes, p.Count, p.Sum, p.Bounds})
		}
	case metricdata.Sum[int64]:
		for _, p := range d.DataPoints {
			out = append(out, pt{p.Attributes, uint64(p.Value), float64(p.Value), nil})
		}
	}
	return out
}

func hasAttr(m metricdata.Metrics, key, value string) bool {
	for _, p := range points(m) {
		if v, ok := p.attrs.Value(attribute.Key(key)); ok && v.Emit() == value {
			return true
		}
	}
	return false
}
