package trace

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.41.0"
	oteltrace "go.opentelemetry.io/otel/trace"
)

// TimelineOptions configures the console timeline. The zero value is
// ready: a 32-column bar, box-drawing characters, names up to 60 columns.
type TimelineOptions struct {
	// BarWidth is the width of the bar that shows when each span ran
	// within the trace, which makes parallel steps visible; 0 means 32, a
	// negative value hides the bar.
	BarWidth int
	// ASCII draws the tree and bars with ASCII characters only.
	ASCII bool
	// MaxNameWidth truncates the span column; 0 means 60.
	MaxNameWidth int
}

func (o TimelineOptions) withDefaults() TimelineOptions {
	if o.BarWidth == 0 {
		o.BarWidth = 32
	}
	if o.MaxNameWidth <= 0 {
		o.MaxNameWidth = 60
	}
	return o
}

// Timeline is a span processor that prints each finished trace as an
// indented tree when its local root span ends: one line per span with its
// duration, a bar showing when it ran within the trace, its token usage
// (summed over its children for spans that are not model calls) and its
// status. Add it to an SDK tracer provider with
// sdktrace.WithSpanProcessor, or let [Setup] do it (Config.Timeline).
// It is safe for concurrent use.
type Timeline struct {
	w    io.Writer
	opts TimelineOptions

	mu      sync.Mutex
	pending map[oteltrace.TraceID][]sdktrace.ReadOnlySpan
	order   []oteltrace.TraceID
	dropped int
}

// Limits that keep a Timeline's memory bounded when root spans never end.
const (
	timelineMaxTraces = 64
	timelineMaxSpans  = 10000
)

// NewTimeline returns a Timeline that writes to w.
func NewTimeline(w io.Writer, opts TimelineOptions) *Timeline {
	return &Timeline{w: w, opts: opts.withDefaults(), pending: map[oteltrace.TraceID][]sdktrace.ReadOnlySpan{}}
}

// OnStart implements sdktrace.SpanProcessor.
func (tl *Timeline) OnStart(context.Context, sdktrace.ReadWriteSpan) {}

// OnEnd implements sdktrace.SpanProcessor: it keeps s and prints its trace
// if s is a local root.
func (tl *Timeline) OnEnd(s sdktrace.ReadOnlySpan) {
	id := s.SpanContext().TraceID()
	root := !s.Parent().IsValid() || s.Parent().IsRemote()
	tl.mu.Lock()
	spans, ok := tl.pending[id]
	if !ok {
		tl.order = append(tl.order, id)
		for len(tl.order) > timelineMaxTraces {
			old := tl.order[0]
			tl.order = tl.order[1:]
			tl.dropped += len(tl.pending[old])
			delete(tl.pending, old)
		}
	}
	if len(spans) < timelineMaxSpans {
		spans = append(spans, s)
	} else {
		tl.dropped++
	}
	if !root {
		tl.pending[id] = spans
		tl.mu.Unlock()
		return
	}
	delete(tl.pending, id)
	tl.removeOrder(id)
	// Write under the lock so that traces do not interleave.
	_ = WriteTimeline(tl.w, spans, tl.opts)
	tl.mu.Unlock()
}

func (tl *Timeline) removeOrder(id oteltrace.TraceID) {
	for i, o := range tl.order {
		if o == id {
			tl.order = append(tl.order[:i], tl.order[i+1:]...)
			return
		}
	}
}

// ForceFlush implements sdktrace.SpanProcessor. It prints nothing: traces
// print when their root ends.
func (tl *Timeline) ForceFlush(context.Context) error { return nil }

// Shutdown implements sdktrace.SpanProcessor: it prints the spans of
// traces whose root had not ended, marked incomplete.
func (tl *Timeline) Shutdown(context.Context) error {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	var err error
	for _, id := range tl.order {
		spans := tl.pending[id]
		if len(spans) == 0 {
			continue
		}
		fmt.Fprintf(tl.w, "(incomplete: the root span of trace %s had not ended)\n", id)
		if e := WriteTimeline(tl.w, spans, tl.opts); e != nil && err == nil {
			err = e
		}
	}
	if tl.dropped > 0 {
		fmt.Fprintf(tl.w, "(timeline dropped %d spans over its limits)\n", tl.dropped)
	}
	tl.pending = map[oteltrace.TraceID][]sdktrace.ReadOnlySpan{}
	tl.order = nil
	tl.dropped = 0
	return err
}

// tlNode is a span in the tree being printed.
type tlNode struct {
	s        sdktrace.ReadOnlySpan
	children []*tlNode
	in, out  int64 // own usage
	hasUsage bool
	sumIn    int64
	sumOut   int64
	sumHas   bool
}

// tlRow is one printed line.
type tlRow struct {
	prefix, label, dur, bar, tokens, status string
}

// WriteTimeline writes spans as trees, one per trace and local root, in
// the format of [Timeline]. Spans whose parent is not among them are
// printed as roots.
func WriteTimeline(w io.Writer, spans []sdktrace.ReadOnlySpan, opts TimelineOptions) error {
	opts = opts.withDefaults()
	byTrace := map[oteltrace.TraceID][]sdktrace.ReadOnlySpan{}
	var traces []oteltrace.TraceID
	for _, s := range spans {
		id := s.SpanContext().TraceID()
		if _, ok := byTrace[id]; !ok {
			traces = append(traces, id)
		}
		byTrace[id] = append(byTrace[id], s)
	}
	bw := bufio.NewWriter(w)
	for _, id := range traces {
		writeTrace(bw, id, byTrace[id], opts)
	}
	return bw.Flush()
}

func writeTrace(w *bufio.Writer, id oteltrace.TraceID, spans []sdktrace.ReadOnlySpan, opts TimelineOptions) {
	nodes := make(map[oteltrace.SpanID]*tlNode, len(spans))
	for _, s := range spans {
		n := &tlNode{s: s}
		for _, kv := range s.Attributes() {
			switch kv.Key {
			case semconv.GenAIUsageInputTokensKey:
				n.in, n.hasUsage = kv.Value.AsInt64(), true
			case semconv.GenAIUsageOutputTokensKey:
				n.out, n.hasUsage = kv.Value.AsInt64(), true
			}
		}
		nodes[s.SpanContext().SpanID()] = n
	}
	var roots []*tlNode
	for _, s := range spans {
		n := nodes[s.SpanContext().SpanID()]
		if p, ok := nodes[s.Parent().SpanID()]; ok && s.Parent().IsValid() && p != n {
			p.children = append(p.children, n)
		} else {
			roots = append(roots, n)
		}
	}
	sortNodes(roots)
	start, end := roots[0].s.StartTime(), roots[0].s.EndTime()
	for _, s := range spans {
		if s.StartTime().Before(start) {
			start = s.StartTime()
		}
		if s.EndTime().After(end) {
			end = s.EndTime()
		}
	}
	total := end.Sub(start)
	branch, lastBranch, vert := "├─ ", "└─ ", "│  "
	if opts.ASCII {
		branch, lastBranch, vert = "|- ", "`- ", "|  "
	}
	var rows []tlRow
	var sumIn, sumOut int64
	for _, r := range roots {
		sum(r)
		sumIn += r.sumIn
		sumOut += r.sumOut
		rows = appendRowsRec(rows, r, "", "", start, total, opts, branch, lastBranch, vert)
	}
	fmt.Fprintf(w, "trace %s  %s  %d spans", id, fmtDuration(total), len(spans))
	if sumIn > 0 || sumOut > 0 {
		fmt.Fprintf(w, "  tokens in %s out %s", fmtTokens(sumIn), fmtTokens(sumOut))
	}
	w.WriteString("\n")
	// Column widths.
	var nameW, durW, tokW int
	for i := range rows {
		r := &rows[i]
		r.label = truncate(r.label, opts.MaxNameWidth-utf8.RuneCountInString(r.prefix))
		nameW = max(nameW, utf8.RuneCountInString(r.prefix)+utf8.RuneCountInString(r.label))
		durW = max(durW, len(r.dur))
		tokW = max(tokW, len(r.tokens))
	}
	for _, r := range rows {
		var b strings.Builder
		b.WriteString(r.prefix)
		b.WriteString(r.label)
		pad(&b, nameW-utf8.RuneCountInString(r.prefix)-utf8.RuneCountInString(r.label))
		b.WriteString("  ")
		pad(&b, durW-len(r.dur))
		b.WriteString(r.dur)
		if r.bar != "" {
			b.WriteString("  ")
			b.WriteString(r.bar)
		}
		if tokW > 0 {
			b.WriteString("  ")
			b.WriteString(r.tokens)
			pad(&b, tokW-len(r.tokens))
		}
		b.WriteString("  ")
		b.WriteString(r.status)
		w.WriteString(strings.TrimRight(b.String(), " "))
		w.WriteString("\n")
	}
}

func pad(b *strings.Builder, n int) {
	for ; n > 0; n-- {
		b.WriteByte(' ')
	}
}

func sortNodes(ns []*tlNode) {
	sort.SliceStable(ns, func(i, j int) bool {
		a, b := ns[i].s, ns[j].s
		if !a.StartTime().Equal(b.StartTime()) {
			return a.StartTime().Before(b.StartTime())
		}
		return a.Name() < b.Name()
	})
}

// sum fills in the usage sums of n's subtree: a span's own usage where it
// has one (a model call), else the sum of its children's.
func sum(n *tlNode) {
	sortNodes(n.children)
	var in, out int64
	has := false
	for _, c := range n.children {
		sum(c)
		if c.sumHas {
			in += c.sumIn
			out += c.sumOut
			has = true
		}
	}
	if n.hasUsage && !isAgent(n.s) {
		n.sumIn, n.sumOut, n.sumHas = n.in, n.out, true
		return
	}
	if has {
		n.sumIn, n.sumOut, n.sumHas = in, out, true
	} else if n.hasUsage {
		n.sumIn, n.sumOut, n.sumHas = n.in, n.out, true
	}
}

func isAgent(s sdktrace.ReadOnlySpan) bool {
	return strings.HasPrefix(s.Name(), "invoke_agent")
}

func appendRowsRec(rows []tlRow, n *tlNode, prefix, childIndent string, start time.Time, total time.Duration, opts TimelineOptions, branch, lastBranch, vert string) []tlRow {
	rows = append(rows, makeRow(n, prefix, start, total, opts))
	for i, c := range n.children {
		p, ci := childIndent+branch, childIndent+vert
		if i == len(n.children)-1 {
			p, ci = childIndent+lastBranch, childIndent+"   "
		}
		rows = appendRowsRec(rows, c, p, ci, start, total, opts, branch, lastBranch, vert)
	}
	return rows
}

func makeRow(n *tlNode, prefix string, start time.Time, total time.Duration, opts TimelineOptions) tlRow {
	s := n.s
	r := tlRow{prefix: prefix, label: oneLine(s.Name())}
	attrs := s.Attributes()
	if task := attrString(attrs, StepTaskKey); task != "" {
		r.label += " · " + oneLine(task)
	}
	if s.SpanKind() == oteltrace.SpanKindInternal && attrString(attrs, semconv.GenAIOperationNameKey) == "chat" {
		r.label += " (local)"
	}
	d := s.EndTime().Sub(s.StartTime())
	if s.EndTime().IsZero() {
		r.dur = "…"
	} else {
		r.dur = fmtDuration(d)
	}
	if opts.BarWidth > 0 {
		r.bar = bar(s.StartTime().Sub(start), d, total, opts)
	}
	if n.sumHas {
		r.tokens = "in " + fmtTokens(n.sumIn) + " out " + fmtTokens(n.sumOut)
	}
	st := s.Status()
	if st.Code == codes.Error {
		r.status = "ERROR"
		if et := attrString(attrs, semconv.ErrorTypeKey); et != "" {
			r.status += " " + oneLine(et)
		}
		if st.Description != "" {
			r.status += ": " + truncate(oneLine(st.Description), 80)
		}
	} else {
		r.status = "ok"
		if fr := attrStrings(attrs, semconv.GenAIResponseFinishReasonsKey); fr != "" {
			r.status += " (" + oneLine(fr) + ")"
		}
	}
	return r
}

func bar(off, d, total time.Duration, opts TimelineOptions) string {
	w := opts.BarWidth
	full, empty, edge := "█", " ", "|"
	if opts.ASCII {
		full, empty = "#", " "
	}
	from, to := 0, w
	if total > 0 {
		from = int(int64(w) * int64(off) / int64(total))
		to = int((int64(w)*int64(off+d) + int64(total) - 1) / int64(total))
	}
	from = min(max(from, 0), w-1)
	to = min(max(to, from+1), w)
	var b strings.Builder
	b.WriteString(edge)
	for i := range w {
		if i >= from && i < to {
			b.WriteString(full)
		} else {
			b.WriteString(empty)
		}
	}
	b.WriteString(edge)
	return b.String()
}

func attrString(attrs []attribute.KeyValue, k attribute.Key) string {
	for _, kv := range attrs {
		if kv.Key == k {
			return kv.Value.Emit()
		}
	}
	return ""
}

func attrStrings(attrs []attribute.KeyValue, k attribute.Key) string {
	for _, kv := range attrs {
		if kv.Key == k {
			if kv.Value.Type() == attribute.STRINGSLICE {
				return strings.Join(kv.Value.AsStringSlice(), ",")
			}
			return kv.Value.Emit()
		}
	}
	return ""
}

// oneLine makes outside text printable on one line: valid UTF-8, runs of
// blank space as one space.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ToValidUTF8(s, "\uFFFD")), " ")
}

func truncate(s string, n int) string {
	if n < 1 {
		n = 1
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

func fmtDuration(d time.Duration) string {
	switch {
	case d < time.Microsecond:
		return strconv.FormatInt(int64(d), 10) + "ns"
	case d < time.Millisecond:
		return strconv.FormatInt(int64(d/time.Microsecond), 10) + "µs"
	case d < 10*time.Millisecond:
		return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 2, 64) + "ms"
	case d < time.Second:
		return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 0, 64) + "ms"
	case d < time.Minute:
		return strconv.FormatFloat(d.Seconds(), 'f', 2, 64) + "s"
	}
	return d.Round(time.Second).String()
}

func fmtTokens(n int64) string {
	switch {
	case n < 10000:
		return strconv.FormatInt(n, 10)
	case n < 1000000:
		return strconv.FormatFloat(float64(n)/1000, 'f', 1, 64) + "k"
	}
	return strconv.FormatFloat(float64(n)/1e6, 'f', 1, 64) + "M"
}
