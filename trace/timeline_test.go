package trace_test

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	oteltrace "go.opentelemetry.io/otel/trace"

	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/llm/llmtest"
	"github.com/plait-ai/plait/trace"
)

// stubRun builds the spans of a run with fixed times.
func stubRun() tracetest.SpanStubs {
	tid := oteltrace.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36}
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	sc := func(n byte) oteltrace.SpanContext {
		return oteltrace.NewSpanContext(oteltrace.SpanContextConfig{TraceID: tid, SpanID: oteltrace.SpanID{n}, TraceFlags: oteltrace.FlagsSampled})
	}
	usage := func(in, out int) []attribute.KeyValue {
		return []attribute.KeyValue{attribute.Int("gen_ai.usage.input_tokens", in), attribute.Int("gen_ai.usage.output_tokens", out)}
	}
	chat := func(in, out int, finish string) []attribute.KeyValue {
		return append(usage(in, out), attribute.String("gen_ai.operation.name", "chat"), attribute.StringSlice("gen_ai.response.finish_reasons", []string{finish}))
	}
	span := func(id, parent byte, name string, from, to int, kind oteltrace.SpanKind, attrs []attribute.KeyValue) tracetest.SpanStub {
		s := tracetest.SpanStub{Name: name, SpanContext: sc(id), StartTime: ms(from), EndTime: ms(to), SpanKind: kind, Attributes: attrs}
		if parent != 0 {
			s.Parent = sc(parent)
		}
		return s
	}
	failed := span(7, 6, "chat gpt-4o-mini", 411, 714, oteltrace.SpanKindClient,
		append(chat(400, 95, "stop"), attribute.String("error.type", "timeout")))
	failed.Status = sdktrace.Status{Code: codes.Error, Description: "llm (openai): timeout\nafter 300ms"}
	step2 := span(6, 1, "step s2", 410, 715, oteltrace.SpanKindInternal, []attribute.KeyValue{attribute.String("error.type", "timeout")})
	step2.Status = sdktrace.Status{Code: codes.Error, Description: "llm (openai): timeout"}
	// Ended out of order, as real spans are.
	return tracetest.SpanStubs{
		span(3, 2, "chat gpt-4o-mini", 3, 403, oteltrace.SpanKindClient, chat(420, 120, "tool_calls")),
		span(2, 1, "plan", 2, 404, oteltrace.SpanKindInternal, nil),
		failed,
		step2,
		span(5, 4, "execute_tool search", 411, 1019, oteltrace.SpanKindInternal, nil),
		span(4, 1, "step s1", 410, 1020, oteltrace.SpanKindInternal, []attribute.KeyValue{attribute.String("plait.step.task", "search for\nRAG papers")}),
		span(9, 8, "chat qwen3", 1031, 1509, oteltrace.SpanKindInternal, chat(450, 170, "stop")),
		span(8, 1, "summarize", 1030, 1510, oteltrace.SpanKindInternal, nil),
		span(1, 0, "invoke_agent researcher", 0, 1520, oteltrace.SpanKindInternal, usage(1270, 385)),
	}
}

const goldenTimeline = `trace 4bf92f3577b34da6a3ce929d0e0e4736  1.52s  9 spans  tokens in 1270 out 385
invoke_agent researcher             1.52s  |################################|  in 1270 out 385  ok
|- plan                             402ms  |#########                       |  in 420 out 120   ok
|  ` + "`" + `- chat gpt-4o-mini              400ms  |#########                       |  in 420 out 120   ok (tool_calls)
|- step s1 · search for RAG papers  610ms  |        ##############          |                   ok
|  ` + "`" + `- execute_tool search           608ms  |        ##############          |                   ok
|- step s2                          305ms  |        ########                |  in 400 out 95    ERROR timeout: llm (openai): timeout
|  ` + "`" + `- chat gpt-4o-mini              303ms  |        ########                |  in 400 out 95    ERROR timeout: llm (openai): timeout after 300ms
` + "`" + `- summarize                        480ms  |                     ###########|  in 450 out 170   ok
   ` + "`" + `- chat qwen3 (local)            478ms  |                     ###########|  in 450 out 170   ok (stop)
`

func TestWriteTimelineGolden(t *testing.T) {
	var b bytes.Buffer
	if err := trace.WriteTimeline(&b, stubRun().Snapshots(), trace.TimelineOptions{ASCII: true}); err != nil {
		t.Fatal(err)
	}
	if b.String() != goldenTimeline {
		t.Errorf("timeline:\n%s\nwant:\n%s", b.String(), goldenTimeline)
	}
	// Every line's duration column starts at the same place.
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")[1:]
	col := -1
	for _, l := range lines {
		c := utf8.RuneCountInString(l[:strings.Index(l, "  |")])
		if col == -1 {
			col = c
		}
		if c != col {
			t.Errorf("bar column at %d, want %d: %q", c, col, l)
		}
	}
}

func TestWriteTimelineUnicode(t *testing.T) {
	var b bytes.Buffer
	if err := trace.WriteTimeline(&b, stubRun().Snapshots(), trace.TimelineOptions{BarWidth: -1}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"├─ plan", "│  └─ chat gpt-4o-mini", "└─ summarize", "   └─ chat qwen3 (local)"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}
	if strings.Contains(out, "|") {
		t.Errorf("bar shown with BarWidth -1:\n%s", out)
	}
}

// TestTimelineProcessor runs a parallel plan through an SDK provider with
// the Timeline and checks the printed structure, not the timings.
func TestTimelineProcessor(t *testing.T) {
	var out bytes.Buffer
	tl := trace.NewTimeline(&out, trace.TimelineOptions{ASCII: true})
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tl))
	defer tp.Shutdown(context.Background())
	tr := trace.New(trace.WithTracerProvider(tp))
	m := trace.Model(llmtest.New(llmtest.Text("plan"), llmtest.Text("paper"), llmtest.Text("replan"), llmtest.Text("answer")).
		WithInfo(llm.Info{Provider: "openai", Model: "gpt-4o-mini"}))
	start := func(ctx context.Context) (context.Context, trace.Span) {
		return tr.StartAgent(ctx, trace.AgentInfo{Name: "researcher"})
	}
	_ = simulateRun(context.Background(), start, m, trace.Tools(nil)(fakeTools))

	// Blank out timings and bars, keep the structure.
	lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
	if len(lines) != 15 {
		t.Fatalf("%d lines:\n%s", len(lines), out.String())
	}
	timing := regexp.MustCompile(`\s+[0-9.]+(ns|µs|ms|s)\s+\|[# ]+\|`)
	var got []string
	for _, l := range lines[1:] {
		got = append(got, strings.Join(strings.Fields(timing.ReplaceAllString(l, " ~ ")), " "))
	}
	// Steps run in parallel: their order is by start time, so compare the
	// step blocks as a set.
	want := []string{
		"invoke_agent researcher ~ in 40 out 20 ok",
		"|- plan ~ in 10 out 5 ok",
		"| `- chat gpt-4o-mini ~ in 10 out 5 ok (stop)",
	}
	for i, w := range want {
		if got[i] != w {
			t.Errorf("line %d = %q, want %q", i+1, got[i], w)
		}
	}
	rest := strings.Join(got[3:], "\n")
	for _, w := range []string{
		"|- step s1 ~ ok\n| `- execute_tool search ~ ok",
		"|- step s2 ~ in 10 out 5 ok\n| |- chat gpt-4o-mini ~ in 10 out 5 ok (stop)\n| `- execute_tool fetch ~ ok",
		"|- step s3 ~ ERROR tool_failed: the tool broke\n| `- execute_tool fail ~ ERROR tool_failed: the tool broke",
		"|- replan ~ in 10 out 5 ok\n| `- chat gpt-4o-mini ~ in 10 out 5 ok (stop)",
		"`- summarize ~ in 10 out 5 ok\n`- chat gpt-4o-mini ~ in 10 out 5 ok (stop)",
	} {
		if !strings.Contains(rest, w) {
			t.Errorf("timeline lacks\n%s\nin\n%s", w, rest)
		}
	}
	if !strings.HasPrefix(lines[0], "trace ") || !strings.Contains(lines[0], "14 spans") {
		t.Errorf("header %q", lines[0])
	}
}

func TestTimelineIncompleteOnShutdown(t *testing.T) {
	var out bytes.Buffer
	tl := trace.NewTimeline(&out, trace.TimelineOptions{})
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tl))
	tr := trace.New(trace.WithTracerProvider(tp))
	ctx, run := tr.StartAgent(context.Background(), trace.AgentInfo{Name: "stuck"})
	_, step := trace.StartStep(ctx, "s1", "")
	step.End(nil)
	if out.Len() != 0 {
		t.Fatalf("printed before the root ended: %s", out.String())
	}
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "incomplete") || !strings.Contains(out.String(), "step s1") {
		t.Errorf("shutdown output:\n%s", out.String())
	}
	run.End(nil) // after shutdown: ignored
}

func TestTimelineConcurrentTraces(t *testing.T) {
	var out bytes.Buffer
	tl := trace.NewTimeline(&out, trace.TimelineOptions{})
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tl))
	defer tp.Shutdown(context.Background())
	tr := trace.New(trace.WithTracerProvider(tp))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			ctx, run := tr.StartAgent(context.Background(), trace.AgentInfo{Name: "a"})
			_, s := trace.StartStep(ctx, "s1", "")
			s.End(nil)
			run.End(nil)
		})
	}
	wg.Wait()
	if n := strings.Count(out.String(), "\ninvoke_agent a "); n != 8 {
		t.Errorf("%d runs printed, want 8:\n%s", n, out.String())
	}
	if n := strings.Count(out.String(), "└─ step s1"); n != 8 {
		t.Errorf("%d steps printed, want 8", n)
	}
}
