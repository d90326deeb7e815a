package memory_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/plait-ai/plait/memory"
)

func TestScratchpadOrderAndSteps(t *testing.T) {
	var s memory.Scratchpad // the zero value works
	s.Add("", memory.KindPlan, "1. search 2. summarize")
	s.Add("s1", memory.KindToolCall, `search({"q":"rag"})`)
	seq := s.Append(memory.Entry{Step: "s1", Kind: memory.KindObservation, Tool: "search", Text: "3 results"})
	s.Add("s2", memory.KindAnswer, "RAG retrieves, then generates.")
	if seq != 3 || s.Len() != 4 {
		t.Fatalf("seq %d, len %d", seq, s.Len())
	}
	es := s.Entries()
	for i, e := range es {
		if e.Seq != i+1 {
			t.Errorf("entry %d has Seq %d", i, e.Seq)
		}
	}
	if st := s.Step("s1"); len(st) != 2 || st[1].Tool != "search" {
		t.Errorf("Step(s1) = %+v", st)
	}
	if e, ok := s.Last(memory.KindAnswer); !ok || e.Step != "s2" {
		t.Errorf("Last(answer) = %+v, %v", e, ok)
	}
	want := "Plan: 1. search 2. summarize\n" +
		"Tool call [s1]: search({\"q\":\"rag\"})\n" +
		"Observation [s1] (search): 3 results\n" +
		"Answer [s2]: RAG retrieves, then generates.\n"
	if got := s.Render(0); got != want {
		t.Errorf("Render(0) =\n%s\nwant\n%s", got, want)
	}
	if got := s.Render(1000); got != want {
		t.Errorf("Render(1000) differs from Render(0):\n%s", got)
	}
	s.Reset()
	if s.Len() != 0 || s.Render(0) != "" {
		t.Error("Reset left entries")
	}
}

func TestScratchpadConcurrentAppends(t *testing.T) {
	s := memory.NewScratchpad(nil)
	const steps, each = 8, 50
	var wg sync.WaitGroup
	for st := range steps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				s.Add(fmt.Sprintf("s%d", st), memory.KindObservation, fmt.Sprint(i))
			}
		}()
	}
	wg.Wait()
	if s.Len() != steps*each {
		t.Fatalf("Len = %d, want %d", s.Len(), steps*each)
	}
	for st := range steps {
		es := s.Step(fmt.Sprintf("s%d", st))
		for i, e := range es {
			if e.Text != fmt.Sprint(i) {
				t.Fatalf("step s%d entry %d = %q: order lost", st, i, e.Text)
			}
		}
	}
}

func TestScratchpadAppendAllocations(t *testing.T) {
	s := memory.NewScratchpad(nil)
	e := memory.Entry{Step: "s1", Kind: memory.KindThought, Text: "thinking"}
	// Amortised over a run's entries: the slice grows by doubling.
	allocs := testing.AllocsPerRun(100, func() {
		s.Reset()
		for range 30 {
			s.Append(e)
		}
	})
	if per := allocs / 30; per > 1 {
		t.Errorf("%.2f allocations per Append, want at most 1", per)
	}
}

func TestScratchpadRenderBudget(t *testing.T) {
	long := strings.Repeat("word ", 60) // ~60 tokens
	build := func() *memory.Scratchpad {
		s := memory.NewScratchpad(nil)
		s.Add("", memory.KindPlan, "PLAN: 1. find 2. compare 3. answer")
		for i := range 6 {
			step := fmt.Sprintf("s%d", i)
			s.Add(step, memory.KindThought, fmt.Sprintf("THOUGHT%d %s", i, long))
			s.Add(step, memory.KindToolCall, fmt.Sprintf("CALL%d search", i))
			s.Add(step, memory.KindObservation, fmt.Sprintf("OBS%d %s", i, long))
		}
		s.Add("s3", memory.KindError, "ERROR: search timed out")
		return s
	}
	var c memory.Estimator
	tests := []struct {
		budget   int
		keep     []string // must be present
		drop     []string // must be absent
		markerRe string   // a marker that must be present
	}{
		{budget: 250, keep: []string{"PLAN:", "ERROR:", "OBS5", "OBS4"}, drop: []string{"THOUGHT0", "OBS0"}, markerRe: "earlier"},
		{budget: 120, keep: []string{"PLAN:", "ERROR:", "OBS5"}, drop: []string{"OBS4", "THOUGHT5"}, markerRe: "observations"},
		{budget: 50, keep: []string{"PLAN:", "ERROR:"}, drop: []string{"OBS5"}, markerRe: "omitted"},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.budget), func(t *testing.T) {
			s := build()
			out, omitted := s.RenderStats(tc.budget)
			if n := c.Count(out); n > tc.budget {
				t.Errorf("rendered %d tokens over the budget of %d:\n%s", n, tc.budget, out)
			}
			if omitted == 0 {
				t.Error("nothing reported omitted")
			}
			for _, k := range tc.keep {
				if !strings.Contains(out, k) {
					t.Errorf("%q was dropped:\n%s", k, out)
				}
			}
			for _, d := range tc.drop {
				if strings.Contains(out, d) {
					t.Errorf("%q kept, but it matters less:\n%s", d, out)
				}
			}
			if !strings.Contains(out, tc.markerRe) || !strings.Contains(out, "omitted]") {
				t.Errorf("no marker with %q:\n%s", tc.markerRe, out)
			}
			// Kept entries stay in their order.
			if i, j := strings.Index(out, "PLAN:"), strings.Index(out, "ERROR:"); i > j {
				t.Errorf("order lost:\n%s", out)
			}
		})
	}
}

func TestScratchpadMarkerCounts(t *testing.T) {
	s := memory.NewScratchpad(memory.CounterFunc(func(s string) int { return strings.Count(s, "\n") * 10 }))
	s.Add("", memory.KindPlan, "plan")
	for i := range 3 {
		s.Add("s1", memory.KindObservation, fmt.Sprint("obs", i))
	}
	s.Add("s1", memory.KindObservation, "latest")
	// Budget for three lines: the plan, a marker and the latest observation.
	out := s.Render(30)
	want := "Plan: plan\n[3 earlier observations omitted]\nObservation [s1]: latest\n"
	if out != want {
		t.Errorf("Render =\n%s\nwant\n%s", out, want)
	}
}

func TestScratchpadHugePlanIsCut(t *testing.T) {
	s := memory.NewScratchpad(nil)
	s.Add("", memory.KindPlan, strings.Repeat("step ", 500))
	out := s.Render(50)
	if n := (memory.Estimator{}).Count(out); n > 50 {
		t.Errorf("rendered %d tokens over 50", n)
	}
	if !strings.HasPrefix(out, "Plan: step") || !strings.Contains(out, "[cut]") {
		t.Errorf("the plan should be cut with a marker:\n%s", out)
	}
}

func BenchmarkScratchpadAppend(b *testing.B) {
	s := memory.NewScratchpad(nil)
	e := memory.Entry{Step: "s1", Kind: memory.KindObservation, Text: "result"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if i%64 == 0 {
			s.Reset()
		}
		s.Append(e)
	}
}

func BenchmarkScratchpadRender(b *testing.B) {
	s := memory.NewScratchpad(nil)
	for i := range 100 {
		s.Add(fmt.Sprint("s", i%5), memory.Kind(i%7), strings.Repeat("text ", 40))
	}
	b.ReportAllocs()
	for b.Loop() {
		s.Render(1000)
	}
}

func FuzzScratchpadRender(f *testing.F) {
	f.Add("plan", "obs", 5, uint8(3))
	f.Add(strings.Repeat("x ", 100), "", 1, uint8(0))
	f.Fuzz(func(t *testing.T, plan, text string, budget int, n uint8) {
		if budget > 10000 || budget < -1 {
			return
		}
		s := memory.NewScratchpad(nil)
		s.Add("", memory.KindPlan, plan)
		for i := range int(n % 40) {
			s.Add(fmt.Sprint("s", i%3), memory.Kind(i%7), text)
		}
		out, omitted := s.RenderStats(budget)
		if omitted < 0 || omitted > s.Len() {
			t.Fatalf("omitted %d of %d", omitted, s.Len())
		}
		// Within budget unless the budget is below the smallest rendering
		// (the latest plan cut to its marker and a short marker line on each side of it).
		if budget >= 30 && (memory.Estimator{}).Count(out) > budget {
			t.Fatalf("rendered %d tokens over %d", (memory.Estimator{}).Count(out), budget)
		}
	})
}

// TestScratchpadRenderWhileAppending: renders read the entries without
// copying them; appends and resets running at the same time must neither
// race (under -race) nor change what a render sees.
func TestScratchpadRenderWhileAppending(t *testing.T) {
	s := memory.NewScratchpad(nil)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 2000 {
			if i%100 == 99 {
				s.Reset()
			}
			s.Add("s1", memory.KindObservation, "x")
		}
	}()
	for range 500 {
		out := s.Render(0)
		if strings.Count(out, "Observation [s1]: x\n")*len("Observation [s1]: x\n") != len(out) {
			t.Fatalf("torn render: %q", out)
		}
	}
	<-done
}

func BenchmarkScratchpadRenderAll(b *testing.B) {
	s := memory.NewScratchpad(nil)
	for i := range 10 {
		s.Add(fmt.Sprint("s", i%5), memory.Kind(i%7), strings.Repeat("text ", 20))
	}
	b.ReportAllocs()
	for b.Loop() {
		s.Render(0)
	}
}

func TestScratchpadGrow(t *testing.T) {
	s := memory.NewScratchpad(nil)
	s.Add("", memory.KindPlan, "plan")
	s.Grow(20)
	e := memory.Entry{Step: "s1", Kind: memory.KindObservation, Text: "x"}
	// AllocsPerRun runs the function twice: 20 appends in all.
	if allocs := testing.AllocsPerRun(1, func() {
		for range 10 {
			s.Append(e)
		}
	}); allocs != 0 {
		t.Errorf("%v allocations appending 20 entries after Grow(20), want 0", allocs)
	}
	if got := s.Entries(); len(got) != 21 || got[0].Text != "plan" || got[20].Seq != 21 {
		t.Errorf("entries after Grow: %+v", got)
	}
}

// renderedPad is the scratchpad the rendering tests render: a plan, then
// four calls, each with a long observation.
func renderedPad() *memory.Scratchpad {
	long := strings.Repeat("word ", 60)
	s := memory.NewScratchpad(nil)
	s.Add("", memory.KindPlan, "PLAN: 1. find 2. answer")
	for i := range 4 {
		s.Append(memory.Entry{Step: fmt.Sprintf("s%d", i), Kind: memory.KindToolCall, Tool: "search", Text: `{"query":"x"}`})
		s.Append(memory.Entry{Step: fmt.Sprintf("s%d", i), Kind: memory.KindObservation, Tool: "search", Text: long})
	}
	return s
}

// TestScratchpadRenderTo checks that RenderTo writes after what the
// builder holds exactly what RenderStats returns, with and without a
// budget.
func TestScratchpadRenderTo(t *testing.T) {
	s := renderedPad()
	for _, budget := range []int{0, -1, 100, 10000} {
		t.Run(fmt.Sprint(budget), func(t *testing.T) {
			want, wantOmitted := s.RenderStats(budget)
			var b strings.Builder
			b.WriteString("Prefix:\n")
			omitted := s.RenderTo(&b, budget)
			if got := b.String(); got != "Prefix:\n"+want || omitted != wantOmitted {
				t.Errorf("RenderTo wrote %q, %d omitted; want %q, %d", got, omitted, "Prefix:\n"+want, wantOmitted)
			}
		})
	}
	var b strings.Builder
	if n := memory.NewScratchpad(nil).RenderTo(&b, 0); n != 0 || b.Len() != 0 {
		t.Errorf("empty scratchpad: wrote %q, %d omitted", b.String(), n)
	}
}

func TestEntryRenderedLen(t *testing.T) {
	for _, e := range []memory.Entry{
		{Kind: memory.KindPlan, Text: "s1: search"},
		{Step: "s1", Kind: memory.KindToolCall, Tool: "search", Text: `{"q":"rag"}`},
		{Step: "s1", Kind: memory.KindObservation, Tool: "search", Text: "3 results"},
		{Step: "s22", Kind: memory.KindError, Text: "boom"},
		{Kind: memory.KindThought, Tool: "calc", Text: ""},
		{Step: "é", Kind: memory.KindAnswer, Text: "déjà vu"},
		{Kind: memory.KindReflection, Text: "line one\nline two"},
	} {
		var s memory.Scratchpad
		s.Append(e)
		if got, want := e.RenderedLen(), len(s.Render(0)); got != want {
			t.Errorf("%+v: RenderedLen %d, rendered %d bytes", e, got, want)
		}
	}
}

// shortRun returns the scratchpad of a short run: a thought, a plan,
// three tool calls and their observations.
func shortRun() *memory.Scratchpad {
	s := memory.NewScratchpad(nil)
	s.Add("", memory.KindThought, "The searches are independent: run them together.")
	s.Add("", memory.KindPlan, `s1: search{"query":"rag"}; s2: search{"query":"agents"}; s3: search{"query":"llm"}`)
	qs := []string{"rag", "agents", "llm"}
	for i, q := range qs {
		s.Append(memory.Entry{Step: fmt.Sprint("s", i+1), Kind: memory.KindToolCall, Tool: "search", Text: `{"query":"` + q + `"}`})
	}
	for i, q := range qs {
		s.Append(memory.Entry{Step: fmt.Sprint("s", i+1), Kind: memory.KindObservation, Tool: "search", Text: `"result for ` + q + `"`})
	}
	return s
}

// BenchmarkScratchpadRenderTo renders a short run's scratchpad into a
// builder sized for it.
func BenchmarkScratchpadRenderTo(b *testing.B) {
	s := shortRun()
	n := s.RenderedLen()
	b.ReportAllocs()
	for b.Loop() {
		var sb strings.Builder
		sb.Grow(n)
		s.RenderTo(&sb, 0)
		if sb.Len() != n {
			b.Fatalf("rendered %d bytes, want %d", sb.Len(), n)
		}
	}
}

// TestScratchpadEntryText checks the text of each shape of entry (with
// and without a step and a tool) through every way of rendering it.
func TestScratchpadEntryText(t *testing.T) {
	for _, c := range []struct {
		e    memory.Entry
		want string
	}{
		{memory.Entry{Kind: memory.KindPlan, Text: "s1: search"}, "Plan: s1: search\n"},
		{memory.Entry{Step: "s1", Kind: memory.KindToolCall, Tool: "search", Text: `{"q":"rag"}`}, "Tool call [s1] (search): {\"q\":\"rag\"}\n"},
		{memory.Entry{Step: "s22", Kind: memory.KindError, Text: "boom"}, "Error [s22]: boom\n"},
		{memory.Entry{Kind: memory.KindThought, Tool: "calc", Text: ""}, "Thought (calc): \n"},
		{memory.Entry{Step: "é", Kind: memory.KindAnswer, Text: "déjà vu"}, "Answer [é]: déjà vu\n"},
		{memory.Entry{Kind: memory.KindReflection, Text: "line one\nline two"}, "Reflection: line one\nline two\n"},
		{memory.Entry{Step: "s3", Kind: memory.KindObservation, Tool: "fetch", Text: "ok"}, "Observation [s3] (fetch): ok\n"},
	} {
		var s memory.Scratchpad
		s.Append(c.e)
		if got := s.Render(0); got != c.want {
			t.Errorf("Render: %q, want %q", got, c.want)
		}
		var b strings.Builder
		s.RenderTo(&b, 0)
		if got := b.String(); got != c.want {
			t.Errorf("RenderTo: %q, want %q", got, c.want)
		}
		if got, _ := s.AppendTo(nil, 0); string(got) != c.want {
			t.Errorf("AppendTo: %q, want %q", got, c.want)
		}
		if got := s.RenderedLen(); got != len(c.want) {
			t.Errorf("RenderedLen %d, want %d", got, len(c.want))
		}
	}
}

// TestScratchpadAppendTo checks that AppendTo appends to what dst holds
// exactly what RenderStats returns, with and without a budget, and that
// with no budget a dst sized with RenderedLen does not grow.
func TestScratchpadAppendTo(t *testing.T) {
	s := renderedPad()
	for _, budget := range []int{0, -1, 100, 10000} {
		t.Run(fmt.Sprint(budget), func(t *testing.T) {
			want, wantOmitted := s.RenderStats(budget)
			got, omitted := s.AppendTo([]byte("Prefix:\n"), budget)
			if string(got) != "Prefix:\n"+want || omitted != wantOmitted {
				t.Errorf("AppendTo gave %q, %d omitted; want %q, %d", got, omitted, "Prefix:\n"+want, wantOmitted)
			}
		})
	}
	n := s.RenderedLen()
	if want := len(s.Render(0)); n != want {
		t.Fatalf("RenderedLen %d, rendered %d bytes", n, want)
	}
	dst := make([]byte, 3, 3+n)
	if got, _ := s.AppendTo(dst, 0); &got[0] != &dst[0] || len(got) != 3+n {
		t.Errorf("AppendTo into a dst sized with RenderedLen: %d bytes, moved %v", len(got), &got[0] != &dst[0])
	}
	if got, omitted := memory.NewScratchpad(nil).AppendTo(nil, 0); len(got) != 0 || omitted != 0 {
		t.Errorf("empty scratchpad: appended %q, %d omitted", got, omitted)
	}
	s.Reset()
	if n := s.RenderedLen(); n != 0 {
		t.Errorf("RenderedLen after Reset: %d", n)
	}
}

// TestScratchpadUseBuffer checks that a scratchpad given a buffer appends
// into it until it is full, then grows as usual, and that a buffer given
// to a scratchpad that holds entries is ignored.
func TestScratchpadUseBuffer(t *testing.T) {
	buf := make([]memory.Entry, 5, 4+5) // its length does not matter
	var s memory.Scratchpad
	s.UseBuffer(buf[:0:4])
	e := memory.Entry{Step: "s1", Kind: memory.KindObservation, Text: "x"}
	if allocs := testing.AllocsPerRun(1, func() {
		s.Append(e)
		s.Append(e)
	}); allocs != 0 {
		t.Errorf("%v allocations appending 4 entries into a buffer of 4, want 0", allocs)
	}
	if buf[3].Seq != 4 {
		t.Errorf("the fourth entry is not in the buffer: %+v", buf[:4])
	}
	s.Append(e) // past the buffer
	if got := s.Entries(); len(got) != 5 || got[4].Seq != 5 || buf[4].Seq != 0 {
		t.Errorf("entries after growing past the buffer: %+v (buffer %+v)", got, buf)
	}
	other := make([]memory.Entry, 0, 8)
	s.UseBuffer(other)
	s.Append(e)
	if other[:1][0].Seq != 0 || s.Len() != 6 {
		t.Errorf("a scratchpad with entries took a buffer")
	}
	var empty memory.Scratchpad
	empty.UseBuffer(nil) // no capacity: nothing changes
	empty.Append(e)
	if empty.Len() != 1 {
		t.Errorf("Len %d after one append", empty.Len())
	}
}

// BenchmarkScratchpadAppendTo appends a short run's scratchpad to a
// slice sized for it, as an agent's join prompt is built.
func BenchmarkScratchpadAppendTo(b *testing.B) {
	s := shortRun()
	n := s.RenderedLen()
	b.ReportAllocs()
	for b.Loop() {
		buf, _ := s.AppendTo(make([]byte, 0, n), 0)
		if len(buf) != n {
			b.Fatalf("rendered %d bytes, want %d", len(buf), n)
		}
	}
}
