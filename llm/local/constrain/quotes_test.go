package constrain_test

import (
	"encoding/json"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/plait-ai/plait/llm/local/constrain"
)

var quoteSources = []string{
	`{"id":"galyo","title":"Galyo","text":"# Galyo\n\nThe Galyo protocol keeps\nsmall tokens in fast caches. It was\nwritten in 1987."}`,
	"Paris is sunny, 21 °C.",
	"T5把并行指标保存在多语言模块中，需要 937 MB 内存。",
	`[{"city":"Oslo","celsius":-4}]`,
}

// quoteCase is an output, whether a QuoteState accepts it, and whether it
// ends inside a quotation or citation.
type quoteCase struct {
	out     string
	ok      bool
	inQuote bool
}

func checkQuotes(t *testing.T, q *constrain.Quotes, tests []quoteCase) {
	t.Helper()
	for _, tc := range tests {
		s := q.Start()
		ok := s.Advance([]byte(tc.out))
		if ok != tc.ok {
			t.Errorf("%q: accepted %v, want %v", tc.out, ok, tc.ok)
			continue
		}
		if ok && s.InQuote() != tc.inQuote {
			t.Errorf("%q: in quote %v, want %v", tc.out, s.InQuote(), tc.inQuote)
		}
	}
}

func TestQuotes(t *testing.T) {
	q := constrain.NewQuotes(quoteSources, constrain.QuoteWords)
	tests := []quoteCase{
		{`"The Galyo protocol keeps small tokens in fast caches." [s2]`, true, false},
		{`It says "small tokens" and "fast caches".`, true, false},
		{"\"The Galyo protocol keeps small tokens\"", true, false}, // the source's line break is a space
		{"\"The Galyo protocol keeps\nsmall tokens\"", false, false},
		{`"Paris  is sunny"`, false, false},        // a run of spaces matches nothing
		{`"It was written in 1987."`, true, false}, // across a line break of the source
		{`“并行指标保存在多语言模块中”`, true, false},
		{`「需要 937 MB 内存。」 [s1]`, true, false},
		{`"Oslo" is at "-4"`, true, false}, // JSON values, numbers as written
		{`"The Galyo protocol`, true, true},
		{`free text with no quotation at all`, true, false},
		{`"The Galyo protocol keeps big tokens"`, false, false},
		{`"mall tokens"`, false, false},               // not at the start of a word
		{`""`, false, false},                          // empty
		{`" Paris"`, false, false},                    // starts with space
		{`"galyo"`, true, false},                      // the document's id, a JSON value
		{`"# Galyo"`, false, false},                   // Markdown markers are not text
		{`"Galyo"`, true, false},                      // the heading's text is
		{`"Galyo The Galyo"`, false, false},           // a heading is a block of its own
		{`"Paris is sunny, 21 °C. T5"`, false, false}, // across two sources
		{`"id"`, false, false},                        // JSON keys are not quoted text
		{`"{"`, false, false},
	}
	checkQuotes(t, q, tests)
}

var sentenceSources = []string{
	"# Notes\n\nThe Galyo protocol keeps\nsmall tokens. It was written in 1987! Why? Nobody knows\n\n- a list item without an end\n2. Second item.",
	"T5把并行指标保存在多语言模块中，需要 937 MB 内存。它很快。",
}

func TestQuoteSentences(t *testing.T) {
	q := constrain.NewQuotes(sentenceSources, constrain.QuoteSentences)
	tests := []struct {
		out string
		ok  bool
	}{
		{`“The Galyo protocol keeps small tokens.”`, true},
		{`“The Galyo protocol keeps small tokens. It was written in 1987!” [s1]`, true},
		{`“It was written in 1987!”`, true},
		{`“Why?”`, true},
		{`“Nobody knows”`, true},                // the end of a block
		{`“a list item without an end”`, false}, // no sentence in it
		{`“Second item.”`, true},
		{`“Notes”`, false}, // a heading
		{`“T5把并行指标保存在多语言模块中，需要 937 MB 内存。”`, true},
		{`“它很快。”`, true},
		{`“The Galyo protocol”`, false},                 // not a whole sentence
		{`“Galyo protocol keeps small tokens.”`, false}, // not from a sentence's start
		{`“small tokens.”`, false},
		{`“并行指标保存在多语言模块中，需要 937 MB 内存。”`, false},
		{`“需要 937 MB 内存。”`, false},
		{`“T5把并行指标”`, false},
	}
	for _, tc := range tests {
		s := q.Start()
		if ok := s.Advance([]byte(tc.out)); ok != tc.ok {
			t.Errorf("%q: accepted %v, want %v", tc.out, ok, tc.ok)
		}
	}
}

// A '.' ends a sentence only where a sentence ends: not inside a number,
// after an abbreviation or an initial, or before a lower-case word or a
// parenthesis.
func TestQuoteSentenceEnds(t *testing.T) {
	q := constrain.NewQuotes([]string{
		"Chain-of-thought (CoT) prompting (Wei et al., 2022) asks a model to reason. It helps.",
		"The Transformer was introduced by Vaswani et al. (2017) at Google. Dr. Ng and J. Smith use it, e.g. for search. Pi is 3.14 here. Is it fast? yes, it is.",
	}, constrain.QuoteSentences)
	tests := []struct {
		out string
		ok  bool
	}{
		{`“Chain-of-thought (CoT) prompting (Wei et al., 2022) asks a model to reason.”`, true},
		{`“Chain-of-thought (CoT) prompting (Wei et al.”`, false},
		{`“It helps.”`, true},
		{`“The Transformer was introduced by Vaswani et al. (2017) at Google.”`, true},
		{`“The Transformer was introduced by Vaswani et al.”`, false},
		{`“(2017) at Google.”`, false}, // not a sentence's start
		{`“Dr. Ng and J. Smith use it, e.g. for search.”`, true},
		{`“Dr.”`, false},
		{`“Dr. Ng and J.”`, false},
		{`“Ng and J. Smith use it, e.g. for search.”`, false},
		{`“Smith use it, e.g. for search.”`, false},
		{`“Dr. Ng and J. Smith use it, e.g.”`, false},
		{`“Pi is 3.”`, false},
		{`“Pi is 3.14 here.”`, true},
		{`“Is it fast?”`, false}, // "yes" goes on in lower case
		{`“Is it fast? yes, it is.”`, true},
	}
	for _, tc := range tests {
		s := q.Start()
		if ok := s.Advance([]byte(tc.out)); ok != tc.ok {
			t.Errorf("%q: accepted %v, want %v", tc.out, ok, tc.ok)
		}
	}
}

func TestQuoteCitations(t *testing.T) {
	q := constrain.NewQuotes(quoteSources, constrain.QuoteWords).CiteIDs([]string{"s2", "s1", "s12", "", "s2"})
	tests := []quoteCase{
		{`"Paris" [s2]`, true, false},
		{`"Paris"[s1, s12] and more`, true, false},
		{`"Paris" [s1,s2]`, true, false},
		{`"Paris" [s4]`, false, false},   // no such source
		{`"Paris" [s]`, false, false},    // not a whole id
		{`"Paris" [s1, ]`, false, false}, // an empty id
		{`"Paris" []`, false, false},
		{`"Paris" [s1`, true, true},                  // an open citation cannot end the output
		{`"Paris" and then [anything]`, true, false}, // not right after a quotation
		{`[s9] before any quotation`, true, false},
	}
	checkQuotes(t, q, tests)
}

// Byte by byte or all at once, and Accepts never changes the state.
func TestQuotesIncremental(t *testing.T) {
	q := constrain.NewQuotes(quoteSources, constrain.QuoteWords)
	out := []byte(`As “并行指标” shows, "The Galyo protocol keeps small" [s2]`)
	s := q.Start()
	for i := range out {
		before := s
		if !s.Accepts(out[i : i+1]) {
			t.Fatalf("byte %d (%q) rejected", i, out[i])
		}
		if s != before {
			t.Fatal("Accepts changed the state")
		}
		s.Advance(out[i : i+1])
	}
	if s.InQuote() {
		t.Error("still in a quotation")
	}
	var zero constrain.QuoteState
	if !zero.Advance([]byte(`"anything"`)) {
		t.Error("the zero QuoteState constrains nothing")
	}
}

// FillQuoted allows exactly the tokens AllowedQuoted allows, in every
// state along random outputs, and EOS only outside quotations.
func TestFillQuotedMatchesAllowed(t *testing.T) {
	toks := [][]byte{nil} // a control token
	seen := map[string]bool{}
	add := func(s string) {
		if s != "" && !seen[s] {
			seen[s] = true
			toks = append(toks, []byte(s))
		}
	}
	for b := range 256 {
		add(string([]byte{byte(b)}))
	}
	for _, w := range []string{"The", " Galyo", " protocol", " keeps", " small", " big", " tokens", "\"", " \"", ".\"", "\" [", "s2", "s1", "s12", "]", ", ", "”[", "“", "”", "」", "「", "并行", "指标", " 937", " MB", "Paris", " is", " sunny", "，", "。", "\n"} {
		add(w)
	}
	eos := int32(len(toks))
	toks = append(toks, nil)
	v := constrain.NewVocab(toks, []int32{eos})
	q := constrain.NewQuotes(quoteSources, constrain.QuoteWords).CiteIDs([]string{"s1", "s2", "s12"})
	r := rand.New(rand.NewPCG(3, 4))
	var mask []uint64
	for run := range 40 {
		s := q.Start()
		for step := range 40 {
			mask = v.FillQuoted(&s, mask)
			var allowed []int32
			for id := range int32(len(toks)) {
				want := v.AllowedQuoted(&s, id)
				got := mask[id>>6]>>(uint(id)&63)&1 == 1
				if got != want {
					t.Fatalf("run %d step %d token %d (%q): mask %v, allowed %v", run, step, id, toks[id], got, want)
				}
				if want {
					allowed = append(allowed, id)
				}
			}
			if len(allowed) == 0 {
				t.Fatalf("run %d step %d: nothing allowed", run, step)
			}
			if slices.Contains(allowed, eos) == s.InQuote() {
				t.Fatalf("run %d step %d: EOS allowed %v inside a quotation %v", run, step, !s.InQuote(), s.InQuote())
			}
			// Prefer quoting, so that the walk goes deep into quotations.
			var id int32
			if x := slices.IndexFunc(allowed, func(id int32) bool { return strings.ContainsAny(string(toks[id]), "\"“「[") }); x >= 0 && r.IntN(3) == 0 {
				id = allowed[x]
			} else {
				id = allowed[r.IntN(len(allowed))]
			}
			if id == eos {
				break
			}
			if !v.AdvanceQuoted(&s, id) {
				t.Fatalf("run %d step %d: AdvanceQuoted refused allowed token %q", run, step, toks[id])
			}
		}
	}
}

// normalize is an independent statement of what a quotation is compared
// with: white space runs made one space.
func normalize(s string) string { return strings.Join(strings.FieldsFunc(s, unicode.IsSpace), " ") }

func FuzzQuotes(f *testing.F) {
	f.Add("The Galyo protocol keeps small tokens.", `"The Galyo protocol" [s1]`)
	f.Add("并行指标保存在多语言模块中", `“指标保存”`)
	f.Add("a \"b\" c", `"a " "b"`)
	f.Fuzz(func(t *testing.T, src, out string) {
		for _, unit := range []constrain.QuoteUnit{constrain.QuoteWords, constrain.QuoteSentences} {
			fuzzQuote(t, src, out, unit)
		}
	})
}

func fuzzQuote(t *testing.T, src, out string, unit constrain.QuoteUnit) {
	q := constrain.NewQuotes([]string{src}, unit)
	s := q.Start()
	if !s.Advance([]byte(out)) {
		return
	}
	// Every closed ASCII quotation the state accepted is a span of the
	// source (which is not JSON here unless it parses as such).
	if strings.HasPrefix(strings.TrimSpace(src), "{") || strings.HasPrefix(strings.TrimSpace(src), "[") {
		return
	}
	if strings.ContainsAny(out, "“「") || strings.ContainsAny(src, "\"”」\x00") {
		return
	}
	parts := strings.Split(out, `"`)
	for i := 1; i+1 < len(parts); i += 2 {
		quoted := parts[i]
		if strings.TrimSpace(quoted) == "" || !strings.Contains(normalize(src), quoted) {
			t.Fatalf("accepted quotation %q is not in %q", parts[i], src)
		}
	}
}

// BenchmarkQuotes measures quotations over a researcher-sized source (a
// Markdown note as JSON and search hits, about 2 KB): indexing the
// sources once per request, the full mask outside and inside a quotation,
// and the check of a sampled token.
func BenchmarkQuotes(b *testing.B) {
	note := strings.Repeat("The Galyo protocol keeps small tokens in fast caches, as Ada Lin wrote in 1987. It was\nwritten for sparse queues and measured 42 times faster than older tables.\n\n", 8)
	sources := []string{
		`{"hits":[{"id":"galyo","title":"Galyo","snippet":"The Galyo protocol keeps small tokens in fast caches."},{"id":"t5","title":"T5","snippet":"T5 stores languages."}]}`,
		`{"id":"galyo","title":"Galyo","text":` + strconvQuote("# Galyo\n\n"+note) + `}`,
	}
	b.Run("index", func(b *testing.B) {
		for b.Loop() {
			constrain.NewQuotes(sources, constrain.QuoteSentences)
		}
	})
	q := constrain.NewQuotes(sources, constrain.QuoteSentences)
	states := []struct{ name, prefix string }{{"outside", "Answer: "}, {"open", "“"}, {"inside", "“The Galyo protocol keeps small"}}
	for _, bv := range benchVocabs[:2] {
		lv := bv.load(b)
		v := constrain.NewVocab(lv.tokens, lv.eos)
		for _, st := range states {
			s := q.Start()
			if !s.Advance([]byte(st.prefix)) {
				b.Fatalf("prefix %q rejected", st.prefix)
			}
			b.Run(bv.name+"/fill/"+st.name, func(b *testing.B) {
				defer lockThread()()
				var mask []uint64
				cpu0 := cpuTime()
				for b.Loop() {
					mask = v.FillQuoted(&s, mask)
				}
				b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "us/mask")
				b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-us/mask")
			})
			b.Run(bv.name+"/allowed/"+st.name, func(b *testing.B) {
				r := rand.New(rand.NewPCG(1, 1))
				n := int32(v.Len())
				for b.Loop() {
					v.AllowedQuoted(&s, r.Int32N(n))
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/check")
			})
		}
	}
}

func strconvQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
