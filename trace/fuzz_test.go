package trace_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	oteltrace "go.opentelemetry.io/otel/trace"

	"github.com/plait-ai/plait/trace"
)

// FuzzWriteTimeline renders spans whose names, attributes, status
// messages and times come from outside (a model writes step tasks; errors
// carry servers' messages): the timeline must not panic and must print a
// header and one line per span, in valid UTF-8.
func FuzzWriteTimeline(f *testing.F) {
	f.Add("step s1", "search\tfor «RAG» 論文", "timeout\nafter 5s", int64(0), int64(1500), int64(400), int64(900), true)
	f.Add("", "", "", int64(5), int64(5), int64(-10), int64(3), false)
	f.Add("invoke_agent x", strings.Repeat("w", 300), "\x00\xff", int64(1), int64(-1), int64(0), int64(0), true)
	f.Fuzz(func(t *testing.T, name, task, msg string, rs, re, cs, ce int64, fail bool) {
		tid := oteltrace.TraceID{1}
		sc := func(n byte) oteltrace.SpanContext {
			return oteltrace.NewSpanContext(oteltrace.SpanContextConfig{TraceID: tid, SpanID: oteltrace.SpanID{n}})
		}
		t0 := time.Unix(1700000000, 0)
		ms := func(n int64) time.Time { return t0.Add(time.Duration(n%1e9) * time.Millisecond) }
		root := tracetest.SpanStub{Name: name, SpanContext: sc(1), StartTime: ms(rs), EndTime: ms(re)}
		child := tracetest.SpanStub{Name: name + " child", SpanContext: sc(2), Parent: sc(1), StartTime: ms(cs), EndTime: ms(ce),
			Attributes: []attribute.KeyValue{trace.StepTaskKey.String(task), attribute.Int64("gen_ai.usage.input_tokens", rs)}}
		if fail {
			child.Status = sdktrace.Status{Code: codes.Error, Description: msg}
		}
		orphan := tracetest.SpanStub{Name: "orphan", SpanContext: sc(3), Parent: sc(9), StartTime: ms(cs), EndTime: ms(re)}
		for _, opts := range []trace.TimelineOptions{{}, {ASCII: true, BarWidth: 1, MaxNameWidth: 1}, {BarWidth: -1}} {
			var b bytes.Buffer
			if err := trace.WriteTimeline(&b, tracetest.SpanStubs{child, root, orphan}.Snapshots(), opts); err != nil {
				t.Fatal(err)
			}
			out := b.String()
			if n := strings.Count(out, "\n"); n != 4 {
				t.Fatalf("%d lines, want 4:\n%s", n, out)
			}
			if !utf8.ValidString(out) {
				t.Fatalf("invalid UTF-8 printed:\n%q", out)
			}
		}
	})
}

// FuzzSecretsScrubbed checks that a secret given to WithSecrets never
// reaches a span, wherever it sits in an error message.
func FuzzSecretsScrubbed(f *testing.F) {
	f.Add("sk-0123456789abcdef", "auth failed: Bearer ", " (401)")
	f.Add("a=b,c=Bearer%20tok12345678", "x", "y")
	f.Add("pass word 1234", "", "")
	f.Fuzz(func(t *testing.T, secret, before, after string) {
		secret = strings.TrimSpace(secret)
		if len(secret) < 8 || strings.ContainsAny(secret, ",= %") {
			return // short values are not treated as secrets; lists are split
		}
		rec := newRecorder(t, trace.WithSecrets(secret))
		ctx, run := rec.tracer.StartAgent(context.Background(), trace.AgentInfo{Name: "a"})
		_, s := trace.StartReplan(ctx, before+secret+after)
		s.End(errors.New(before + secret + after))
		run.End(nil)
		for _, sp := range rec.spans() {
			for _, kv := range sp.Attributes {
				if strings.Contains(kv.Value.Emit(), secret) {
					t.Fatalf("%s = %q holds the secret", kv.Key, kv.Value.Emit())
				}
			}
			if strings.Contains(sp.Status.Description, secret) {
				t.Fatalf("status %q holds the secret", sp.Status.Description)
			}
		}
	})
}
