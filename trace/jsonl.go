package trace

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.41.0"
)

// JSONLExporter is a span exporter that writes one JSON object per span
// and line, for files that tools like jq can read:
//
//	{"trace_id":"…","span_id":"…","parent_span_id":"…","name":"chat gpt-4o",
//	 "kind":"client","start":"2026-…Z","end":"2026-…Z","duration_ms":812.4,
//	 "status":"ok","attributes":{"gen_ai.usage.input_tokens":420,…},
//	 "events":[…],"service":"researcher"}
//
// It is safe for concurrent use. Use it with a batch span processor, or
// let [Setup] do it (Config.File).
type JSONLExporter struct {
	mu     sync.Mutex
	w      *bufio.Writer
	closed bool
}

// NewJSONLExporter returns an exporter that writes to w. It does not
// close w.
func NewJSONLExporter(w io.Writer) *JSONLExporter {
	return &JSONLExporter{w: bufio.NewWriter(w)}
}

// JSONLSpan is the JSON form of one span that [JSONLExporter] writes.
type JSONLSpan struct {
	TraceID       string         `json:"trace_id"`
	SpanID        string         `json:"span_id"`
	ParentSpanID  string         `json:"parent_span_id,omitempty"`
	Name          string         `json:"name"`
	Kind          string         `json:"kind"`
	Start         time.Time      `json:"start"`
	End           time.Time      `json:"end"`
	DurationMS    float64        `json:"duration_ms"`
	Status        string         `json:"status"`
	StatusMessage string         `json:"status_message,omitempty"`
	Attributes    map[string]any `json:"attributes,omitempty"`
	Events        []JSONLEvent   `json:"events,omitempty"`
	Service       string         `json:"service,omitempty"`
	Scope         string         `json:"scope,omitempty"`
}

// JSONLEvent is a span event in a [JSONLSpan].
type JSONLEvent struct {
	Name       string         `json:"name"`
	Time       time.Time      `json:"time"`
	Attributes map[string]any `json:"attributes,omitempty"`
}

// ExportSpans implements sdktrace.SpanExporter.
func (e *JSONLExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil
	}
	enc := json.NewEncoder(e.w)
	enc.SetEscapeHTML(false)
	for _, s := range spans {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := enc.Encode(ToJSONL(s)); err != nil {
			return err
		}
	}
	return e.w.Flush()
}

// Shutdown implements sdktrace.SpanExporter: it flushes what is buffered.
func (e *JSONLExporter) Shutdown(context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil
	}
	e.closed = true
	return e.w.Flush()
}

// ToJSONL converts s into the form [JSONLExporter] writes.
func ToJSONL(s sdktrace.ReadOnlySpan) JSONLSpan {
	j := JSONLSpan{
		TraceID:    s.SpanContext().TraceID().String(),
		SpanID:     s.SpanContext().SpanID().String(),
		Name:       s.Name(),
		Kind:       s.SpanKind().String(),
		Start:      s.StartTime().UTC(),
		End:        s.EndTime().UTC(),
		DurationMS: float64(s.EndTime().Sub(s.StartTime())) / float64(time.Millisecond),
		Attributes: attrMap(s.Attributes()),
		Scope:      s.InstrumentationScope().Name,
	}
	if p := s.Parent(); p.IsValid() {
		j.ParentSpanID = p.SpanID().String()
	}
	switch st := s.Status(); st.Code {
	case codes.Error:
		j.Status, j.StatusMessage = "error", st.Description
	case codes.Ok:
		j.Status = "ok"
	default:
		j.Status = "unset"
	}
	for _, ev := range s.Events() {
		j.Events = append(j.Events, JSONLEvent{Name: ev.Name, Time: ev.Time.UTC(), Attributes: attrMap(ev.Attributes)})
	}
	if r := s.Resource(); r != nil {
		if v, ok := r.Set().Value(semconv.ServiceNameKey); ok {
			j.Service = v.AsString()
		}
	}
	return j
}

func attrMap(kvs []attribute.KeyValue) map[string]any {
	if len(kvs) == 0 {
		return nil
	}
	m := make(map[string]any, len(kvs))
	for _, kv := range kvs {
		m[string(kv.Key)] = kv.Value.AsInterface()
	}
	return m
}
