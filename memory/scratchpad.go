package memory

import (
	"slices"
	"strconv"
	"strings"
	"sync"
	"unsafe"
)

// Kind is the kind of a scratchpad entry.
type Kind uint8

// The kinds of scratchpad entries.
const (
	KindThought     Kind = iota // reasoning on the way
	KindPlan                    // the plan (or a revised plan)
	KindToolCall                // a tool call made
	KindObservation             // what a tool returned
	KindReflection              // a judgement on the progress so far
	KindError                   // something that failed
	KindAnswer                  // an answer, final or of a step
	numKinds
)

var kindNames = [numKinds][2]string{
	KindThought:     {"thought", "thoughts"},
	KindPlan:        {"plan", "plans"},
	KindToolCall:    {"tool call", "tool calls"},
	KindObservation: {"observation", "observations"},
	KindReflection:  {"reflection", "reflections"},
	KindError:       {"error", "errors"},
	KindAnswer:      {"answer", "answers"},
}

var kindLabels = [numKinds]string{
	KindThought:     "Thought",
	KindPlan:        "Plan",
	KindToolCall:    "Tool call",
	KindObservation: "Observation",
	KindReflection:  "Reflection",
	KindError:       "Error",
	KindAnswer:      "Answer",
}

// The labels with what follows them in an entry's first line (see
// writeEntry): "Observation [" before a step, "Observation (" before a
// tool, "Observation: " before the text. An entry is written with a
// few larger writes rather than many small ones.
var kindLabelsStep, kindLabelsTool, kindLabelsText = labelsWith(" ["), labelsWith(" ("), labelsWith(": ")

func labelsWith(suffix string) (out [numKinds]string) {
	for k, l := range kindLabels {
		out[k] = l + suffix
	}
	return out
}

// String returns the kind's name ("observation").
func (k Kind) String() string {
	if k < numKinds {
		return kindNames[k][0]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Entry is one scratchpad entry.
type Entry struct {
	// Seq is the entry's position in the scratchpad, from 1, set by Add.
	Seq int
	// Step is the id of the plan step the entry belongs to ("" for the
	// run as a whole).
	Step string
	Kind Kind
	// Tool names the tool of a tool call or observation.
	Tool string
	// Text is the entry's content.
	Text string
}

// RenderedLen is the length of e's text as [Scratchpad.Render] writes it
// when everything fits: a caller that keeps the sum for the entries it
// adds can size a prompt around the scratchpad (see
// [Scratchpad.RenderTo]) exactly, without rendering it first.
func (e Entry) RenderedLen() int {
	n := len(kindLabels[e.Kind%numKinds]) + len(": ") + len(e.Text) + 1
	if e.Step != "" {
		n += len(" [") + len(e.Step) + 1
	}
	if e.Tool != "" {
		n += len(" (") + len(e.Tool) + 1
	}
	return n
}

// Scratchpad is the working memory of one agent run: its plan, thoughts,
// tool calls, observations, reflections, errors and answers, in the order
// they happened, each tied to a plan step.
//
// Appending is cheap (no allocation beyond the amortised growth of one
// slice) and safe from several goroutines at once, as parallel steps do;
// nothing is counted or formatted until [Scratchpad.Render] is called.
// The zero value is ready to use, counting tokens with the default
// [Estimator]. A Scratchpad is safe for concurrent use.
type Scratchpad struct {
	mu      sync.Mutex
	entries []Entry
	counter Counter
	// rendered is the length of the entries' text, all of it rendered:
	// the sum of their RenderedLen.
	rendered int
}

// NewScratchpad returns a scratchpad that counts tokens with c (nil: the
// default [Estimator]).
func NewScratchpad(c Counter) *Scratchpad { return &Scratchpad{counter: c} }

// Add appends an entry and returns its Seq.
func (s *Scratchpad) Add(step string, kind Kind, text string) int {
	return s.Append(Entry{Step: step, Kind: kind, Text: text})
}

// Append appends e (its Seq is set) and returns its Seq.
func (s *Scratchpad) Append(e Entry) int {
	s.mu.Lock()
	if s.entries == nil {
		s.entries = make([]Entry, 0, 16)
	}
	e.Seq = len(s.entries) + 1
	s.entries = append(s.entries, e)
	s.rendered += e.RenderedLen()
	s.mu.Unlock()
	return e.Seq
}

// UseBuffer gives s the capacity of buf for its next entries, from
// buf[:0], so that appending them does not allocate until buf is full: a
// caller that allocates a scratchpad together with other values of its
// own can make room for its first entries in the same allocation. buf
// belongs to s from then on; the caller must not use it again. It does
// nothing when s holds entries already or buf has no capacity.
func (s *Scratchpad) UseBuffer(buf []Entry) {
	s.mu.Lock()
	if len(s.entries) == 0 && cap(buf) > 0 {
		s.entries = buf[:0]
	}
	s.mu.Unlock()
}

// Grow makes room for n more entries, so that appending them does not
// reallocate; a caller that knows about how many entries a run makes (an
// agent, once it has a plan) saves the growth of the default capacity.
func (s *Scratchpad) Grow(n int) {
	s.mu.Lock()
	if free := cap(s.entries) - len(s.entries); n > free {
		// A new array: renders may be reading the old one (see
		// RenderStats), and only ever its first len elements.
		s.entries = append(make([]Entry, 0, len(s.entries)+n), s.entries...)
	}
	s.mu.Unlock()
}

// RenderedLen returns the length of the text [Scratchpad.Render] returns
// when it renders every entry (the sum of the entries'
// [Entry.RenderedLen]): a caller that builds a prompt around the whole
// scratchpad (see [Scratchpad.RenderTo]) can size it exactly.
func (s *Scratchpad) RenderedLen() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rendered
}

// Len returns the number of entries.
func (s *Scratchpad) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.entries)
}

// Entries returns a copy of the entries, in order.
func (s *Scratchpad) Entries() []Entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Entry(nil), s.entries...)
}

// Step returns the entries of one step, in order.
func (s *Scratchpad) Step(step string) []Entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Entry
	for _, e := range s.entries {
		if e.Step == step {
			out = append(out, e)
		}
	}
	return out
}

// Last returns the latest entry of the kind, and whether there is one.
func (s *Scratchpad) Last(kind Kind) (Entry, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.entries) - 1; i >= 0; i-- {
		if s.entries[i].Kind == kind {
			return s.entries[i], true
		}
	}
	return Entry{}, false
}

// Reset removes every entry. A render in progress still sees the entries
// it started with.
func (s *Scratchpad) Reset() {
	s.mu.Lock()
	// A new array, not the old one cleared: renders read the old one
	// without holding the lock (see RenderStats).
	s.entries = nil
	s.rendered = 0
	s.mu.Unlock()
}

// Render returns the scratchpad as prompt text, one entry per line block
// ("Observation [s2] (search): ..."), in order. With budget > 0 the text
// fits in budget tokens: when everything does not fit, it keeps what
// matters most — the latest plan, errors, then the newest observations,
// answers and reflections, then tool calls and thoughts, newest first —
// and puts a line where entries were left out ("[3 earlier observations
// omitted]"). A single entry larger than the whole budget is cut, with a
// marker, rather than dropped when it is the latest plan; when even that
// does not fit, the markers shorten to "[12 earlier entries omitted]". A
// budget under about 30 tokens can be smaller than that shortest rendering,
// which is then returned over budget. budget <= 0 renders everything.
func (s *Scratchpad) Render(budget int) string {
	text, _ := s.RenderStats(budget)
	return text
}

// RenderStats is [Scratchpad.Render] that also returns how many entries
// were left out.
func (s *Scratchpad) RenderStats(budget int) (text string, omitted int) {
	s.mu.Lock()
	// Entries are only ever appended after the current length (Reset
	// starts a new array), so the first len elements never change: render
	// from them without copying, and without holding the lock while
	// counting tokens.
	entries := s.entries[:len(s.entries):len(s.entries)]
	c := s.counter
	s.mu.Unlock()
	if c == nil {
		c = Estimator{}
	}
	return renderEntries(entries, c, budget)
}

// RenderTo writes what [Scratchpad.RenderStats] returns to b and returns
// how many entries were left out. With budget <= 0 the entries are written
// straight into b, with no string of their own: a caller building a prompt
// around the scratchpad sizes b once for both.
func (s *Scratchpad) RenderTo(b *strings.Builder, budget int) (omitted int) {
	s.mu.Lock()
	entries := s.entries[:len(s.entries):len(s.entries)] // see RenderStats
	c := s.counter
	n := s.rendered // the length of entries, rendered
	s.mu.Unlock()
	if budget <= 0 {
		b.Grow(n) // nothing to do when the caller sized b for them
		for i := range entries {
			writeEntry(b, &entries[i])
		}
		return 0
	}
	if c == nil {
		c = Estimator{}
	}
	text, omitted := renderEntries(entries, c, budget)
	b.WriteString(text)
	return omitted
}

// AppendTo appends what [Scratchpad.RenderStats] returns to dst and
// returns the extended slice and how many entries were left out. With
// budget <= 0 the entries are appended straight to dst, which grows at
// most once, to fit them all (see [Scratchpad.RenderedLen]): a caller
// building a prompt around the scratchpad sizes dst once for both. It
// costs less than [Scratchpad.RenderTo], whose every small write goes
// through the builder.
func (s *Scratchpad) AppendTo(dst []byte, budget int) ([]byte, int) {
	s.mu.Lock()
	entries := s.entries[:len(s.entries):len(s.entries)] // see RenderStats
	c := s.counter
	n := s.rendered
	s.mu.Unlock()
	if budget <= 0 {
		dst = slices.Grow(dst, n)
		for i := range entries {
			dst = appendEntry(dst, &entries[i])
		}
		return dst, 0
	}
	if c == nil {
		c = Estimator{}
	}
	text, omitted := renderEntries(entries, c, budget)
	return append(dst, text...), omitted
}

// appendEntry appends e to b as writeEntry writes it. The two are kept
// apart, each writing its pieces straight to its own kind of buffer:
// building the pieces once for both made rendering 10–25% slower.
func appendEntry(b []byte, e *Entry) []byte {
	k := e.Kind % numKinds
	switch {
	case e.Step != "":
		b = append(b, kindLabelsStep[k]...)
		b = append(b, e.Step...)
		if e.Tool != "" {
			b = append(b, "] ("...)
			b = append(b, e.Tool...)
			b = append(b, "): "...)
		} else {
			b = append(b, "]: "...)
		}
	case e.Tool != "":
		b = append(b, kindLabelsTool[k]...)
		b = append(b, e.Tool...)
		b = append(b, "): "...)
	default:
		b = append(b, kindLabelsText[k]...)
	}
	b = append(b, e.Text...)
	return append(b, '\n')
}

// writeEntry writes e as "Label [step] (tool): text\n", leaving out the
// step and the tool when they are empty.
func writeEntry(b *strings.Builder, e *Entry) {
	k := e.Kind % numKinds
	switch {
	case e.Step != "":
		b.WriteString(kindLabelsStep[k])
		b.WriteString(e.Step)
		if e.Tool != "" {
			b.WriteString("] (")
			b.WriteString(e.Tool)
			b.WriteString("): ")
		} else {
			b.WriteString("]: ")
		}
	case e.Tool != "":
		b.WriteString(kindLabelsTool[k])
		b.WriteString(e.Tool)
		b.WriteString("): ")
	default:
		b.WriteString(kindLabelsText[k])
	}
	b.WriteString(e.Text)
	b.WriteByte('\n')
}

// renderedLen is the length of entries as writeEntry writes them.
func renderedLen(entries []Entry) int {
	n := 0
	for i := range entries {
		n += entries[i].RenderedLen()
	}
	return n
}

func entryText(e *Entry) string {
	var b strings.Builder
	writeEntry(&b, e)
	return b.String()
}

// priority ranks entries for keeping: lower keeps first.
func priority(e *Entry, latestPlan int) int {
	switch e.Kind {
	case KindPlan:
		if e.Seq == latestPlan {
			return 0
		}
		return 6
	case KindError:
		return 1
	case KindObservation, KindAnswer:
		return 2
	case KindReflection:
		return 3
	case KindToolCall:
		return 4
	default:
		return 5
	}
}

func renderEntries(entries []Entry, c Counter, budget int) (string, int) {
	if budget <= 0 {
		// One allocation, no copying as it grows; the bytes are never
		// written again once they are the string.
		b := make([]byte, 0, renderedLen(entries))
		for i := range entries {
			b = appendEntry(b, &entries[i])
		}
		if len(b) == 0 {
			return "", 0
		}
		return unsafe.String(&b[0], len(b)), 0
	}
	n := len(entries)
	texts := make([]string, n)
	costs := make([]int, n)
	total := 0
	latestPlan := 0
	for i := range entries {
		texts[i] = entryText(&entries[i])
		costs[i] = c.Count(texts[i])
		total += costs[i]
		if entries[i].Kind == KindPlan {
			latestPlan = entries[i].Seq
		}
	}
	if total <= budget {
		// Per-entry counts round separately: check the whole.
		if out := strings.Join(texts, ""); c.Count(out) <= budget {
			return out, 0
		}
	}
	// Order of keeping: by priority, newest first within a priority.
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	prio := make([]int, n)
	for i := range entries {
		prio[i] = priority(&entries[i], latestPlan)
	}
	slicesSortStable(order, func(a, b int) bool {
		if prio[a] != prio[b] {
			return prio[a] < prio[b]
		}
		return a > b
	})
	keep := make([]bool, n)
	used := 0
	for _, i := range order {
		if used+costs[i] <= budget {
			keep[i] = true
			used += costs[i]
		}
	}
	if latestPlan > 0 {
		// The latest plan always stays, cut to fit if it must.
		p := latestPlan - 1
		if !keep[p] {
			texts[p] = cutToFit(c, texts[p], max(budget/2, 1), " …[cut]\n")
			costs[p] = c.Count(texts[p])
			keep[p] = true
		}
	}
	// The markers of left-out runs cost tokens too: drop the least
	// important kept entries until the whole fits.
	compact := false
	for {
		// Estimate from the parts first (entries end in a line break, so
		// counts add up); count the whole text only when the parts fit.
		est := markerTokens(c, entries, keep, compact)
		for i := range keep {
			if keep[i] {
				est += costs[i]
			}
		}
		var out string
		var omitted, over int
		if est <= budget {
			out, omitted = assemble(entries, texts, keep, compact)
			over = c.Count(out) - budget
			if over <= 0 {
				return out, omitted
			}
		} else {
			over = est - budget
		}
		dropped := false
		for k := n - 1; k >= 0; k-- {
			if i := order[k]; keep[i] && prio[i] != 0 {
				keep[i] = false
				dropped = true
				break
			}
		}
		if !dropped && !compact {
			// Only the plan is left: shorten the markers first.
			compact = true
			continue
		}
		if !dropped {
			// Then cut the plan further.
			p := latestPlan - 1
			if p < 0 || costs[p] <= 1 {
				if out == "" {
					out, omitted = assemble(entries, texts, keep, compact)
				}
				return out, omitted
			}
			before := costs[p]
			texts[p] = cutToFit(c, texts[p], max(costs[p]-over, 1), " …[cut]\n")
			costs[p] = c.Count(texts[p])
			if costs[p] >= before {
				// Nothing left to cut: the budget is below the smallest
				// rendering.
				out, omitted = assemble(entries, texts, keep, compact)
				return out, omitted
			}
		}
	}
}

// assemble joins the kept entries in order, with a marker line for each
// run of left-out entries.
func assemble(entries []Entry, texts []string, keep []bool, compact bool) (string, int) {
	var b strings.Builder
	omitted := forRuns(entries, keep, compact, func(i int) { b.WriteString(texts[i]) }, func(m string) { b.WriteString(m) })
	return b.String(), omitted
}

// markerTokens counts the marker lines the kept set needs.
func markerTokens(c Counter, entries []Entry, keep []bool, compact bool) int {
	n := 0
	forRuns(entries, keep, compact, func(int) {}, func(m string) { n += c.Count(m) })
	return n
}

// forRuns walks the entries in order, calling kept for each kept entry and
// marker with the marker line of each run of left-out entries ("[3 earlier
// observations, 1 thought omitted]", or "[4 earlier entries omitted]" when
// compact). It returns how many were left out.
func forRuns(entries []Entry, keep []bool, compact bool, kept func(i int), marker func(string)) int {
	var b strings.Builder
	omitted := 0
	var counts [numKinds]int
	run := 0
	flush := func(later bool) {
		if run == 0 {
			return
		}
		b.WriteByte('[')
		if compact {
			b.WriteString(strconv.Itoa(run))
			if later {
				b.WriteString(" earlier")
			}
			if run == 1 {
				b.WriteString(" entry")
			} else {
				b.WriteString(" entries")
			}
			clear(counts[:])
		}
		first := true
		for k := range counts {
			if counts[k] == 0 {
				continue
			}
			if !first {
				b.WriteString(", ")
			}
			b.WriteString(strconv.Itoa(counts[k]))
			if first && later {
				b.WriteString(" earlier")
			}
			b.WriteByte(' ')
			if counts[k] == 1 {
				b.WriteString(kindNames[k][0])
			} else {
				b.WriteString(kindNames[k][1])
			}
			first = false
		}
		b.WriteString(" omitted]\n")
		marker(b.String())
		b.Reset()
		clear(counts[:])
		run = 0
	}
	for i := range entries {
		if keep[i] {
			flush(true)
			kept(i)
			continue
		}
		omitted++
		run++
		counts[entries[i].Kind%numKinds]++
	}
	flush(false)
	return omitted
}

// cutToFit returns a prefix of text, cut at a rune boundary, with a marker,
// that counts at most limit tokens.
func cutToFit(c Counter, text string, limit int, marker string) string {
	lo, hi := 0, len(text)
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if c.Count(text[:runeStart(text, mid)]+marker) <= limit {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return text[:runeStart(text, lo)] + marker
}

// runeStart moves i back to the start of the rune it falls in.
func runeStart(s string, i int) int {
	for i > 0 && i < len(s) && s[i]&0xc0 == 0x80 {
		i--
	}
	return i
}
