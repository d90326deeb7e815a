package constrain

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Quotes is an index of source texts for verbatim quotation: with it, a
// [QuoteState] checks an output as it is generated so that every
// quotation in it ("…", “…” or 「…」) copies a span of one source exactly,
// while the text outside quotations is free. It is what makes a small
// model's extractive answer grounded: the model chooses what to quote and
// where, the constraint makes the quote true to the source.
//
// Sources are normalized before matching: a source that is a JSON
// document is replaced by its string values (a tool's output is usually
// JSON, and a quote copies what a value says, not its escapes), and every
// run of white space (line breaks included) becomes one space, which only
// a single space matches in a quotation. A quotation starts at the start of a word of a source (any
// character, in scripts written without spaces), and holds at least one
// character.
//
// Text is read as Markdown blocks: a blank line, a heading and a list item
// end a span a quotation may cross, and heading and list markers are not
// part of the text.
//
// A Quotes is immutable and safe for concurrent use; each generation uses
// its own QuoteState.
type Quotes struct {
	text []byte  // the normalized blocks, each followed by a 0 byte
	sa   []int32 // the positions a quotation may start at, sorted by the text from there
	unit QuoteUnit
	ids  []string // sorted: the ids a citation may name (see CiteIDs)
}

// QuoteUnit is what a quotation copies.
type QuoteUnit int

// The quote units.
const (
	// QuoteWords: a quotation starts at the start of a word and may end
	// anywhere.
	QuoteWords QuoteUnit = iota
	// QuoteSentences: a quotation is one or more whole sentences of
	// prose: it starts where a sentence starts and ends after a
	// sentence's final punctuation or at the end of a block. Headings,
	// and blocks with no sentence-ending punctuation at all (titles,
	// names, bare list items), are not prose and cannot be quoted.
	QuoteSentences
)

// quotePairs are the quotation marks: an opening mark and its closing one.
var quotePairs = [...][2]string{{`"`, `"`}, {"“", "”"}, {"「", "」"}}

// openSet is the set of the bytes an opening mark starts with.
var openSet = func() (t [4]uint64) {
	for _, p := range quotePairs {
		c := p[0][0]
		t[c>>6] |= 1 << (c & 63)
	}
	return t
}()

// NewQuotes indexes sources for quotations of unit. Empty sources are
// skipped.
func NewQuotes(sources []string, unit QuoteUnit) *Quotes {
	q := &Quotes{unit: unit}
	var segs []string
	for _, s := range sources {
		segs = appendSegments(segs, s)
	}
	for _, seg := range segs {
		for _, blk := range blocks(seg) {
			if unit == QuoteSentences && (blk.heading || !strings.ContainsFunc(blk.text, terminal)) {
				continue
			}
			start := len(q.text)
			q.text = appendNormalized(q.text, blk.text)
			if len(q.text) == start {
				continue
			}
			prev := rune(' ')
			for i, r := range string(q.text[start:]) {
				var ok bool
				if unit == QuoteSentences {
					ok = i == 0 || sentenceStart(q.text[start:], i)
				} else {
					ok = i == 0 || !wordRune(prev) || !spaced(r) || !spaced(prev)
				}
				if ok && !unicode.IsSpace(r) {
					q.sa = append(q.sa, int32(start+i))
				}
				prev = r
			}
			q.text = append(q.text, 0)
		}
	}
	text := q.text
	end := func(p int32) []byte {
		e := bytes.IndexByte(text[p:], 0)
		return text[p : int(p)+e]
	}
	slices.SortFunc(q.sa, func(a, b int32) int {
		if c := bytes.Compare(end(a), end(b)); c != 0 {
			return c
		}
		return int(a - b)
	})
	return q
}

// CiteIDs makes q check citations as well: a citation right after a
// quotation (a space between them allowed), "[id]" or "[id, id]", may
// only name these ids (a reply citing the steps it quotes names steps
// that exist). Empty ids are ignored. Call it before q is shared; it
// returns q.
func (q *Quotes) CiteIDs(ids []string) *Quotes {
	q.ids = q.ids[:0]
	for _, id := range ids {
		if id != "" {
			q.ids = append(q.ids, id)
		}
	}
	slices.Sort(q.ids)
	q.ids = slices.Compact(q.ids)
	return q
}

// Len returns the number of positions a quotation may start at.
func (q *Quotes) Len() int { return len(q.sa) }

// appendSegments appends the texts of source s to segs: the string values
// of a JSON document (and its numbers, as written), else s itself.
func appendSegments(segs []string, s string) []string {
	t := strings.TrimSpace(s)
	if t == "" {
		return segs
	}
	if (t[0] == '{' || t[0] == '[') && json.Valid([]byte(t)) {
		dec := json.NewDecoder(strings.NewReader(t))
		dec.UseNumber()
		// inObj[len-1] tells whether the innermost container is an object;
		// key whether the next string there is a key (not quoted text).
		var inObj []bool
		key := false
		for {
			tok, err := dec.Token()
			if err != nil {
				break
			}
			switch v := tok.(type) {
			case json.Delim:
				switch v {
				case '{':
					inObj = append(inObj, true)
					key = true
					continue
				case '[':
					inObj = append(inObj, false)
					key = false
					continue
				default:
					inObj = inObj[:len(inObj)-1]
				}
			case string:
				if key {
					key = false
					continue
				}
				segs = append(segs, v)
			case json.Number:
				segs = append(segs, v.String())
			}
			// A value ended: in an object, a key comes next.
			key = len(inObj) > 0 && inObj[len(inObj)-1]
		}
		return segs
	}
	return append(segs, s)
}

// appendNormalized appends s with runs of white space made one space,
// leading and trailing space and 0 bytes dropped.
func appendNormalized(dst []byte, s string) []byte {
	space := false
	start := len(dst)
	for _, r := range s {
		switch {
		case r == 0:
		case unicode.IsSpace(r):
			space = true
		default:
			if space && len(dst) > start {
				dst = append(dst, ' ')
			}
			space = false
			dst = utf8.AppendRune(dst, r)
		}
	}
	return dst
}

// block is a Markdown block of a source, without its marker.
type block struct {
	text    string
	heading bool
}

// blocks splits text into the Markdown blocks a quotation may not cross:
// paragraphs (separated by blank lines), headings and list items, without
// their markers.
func blocks(text string) []block {
	if !strings.Contains(text, "\n") {
		t := strings.TrimSpace(text)
		if t != "" && t[0] == '#' {
			b, _ := blockStart(t)
			return []block{{b, true}}
		}
		return []block{{text, false}}
	}
	var out []block
	var cur strings.Builder
	heading := false
	flush := func() {
		if strings.TrimSpace(cur.String()) != "" {
			out = append(out, block{cur.String(), heading})
		}
		cur.Reset()
		heading = false
	}
	for line := range strings.Lines(text) {
		t := strings.TrimSpace(line)
		if t == "" {
			flush()
			continue
		}
		if body, ok := blockStart(t); ok {
			flush()
			cur.WriteString(body)
			if t[0] == '#' {
				heading = true
				flush() // a heading is one line
			}
			continue
		}
		cur.WriteByte(' ')
		cur.WriteString(t)
	}
	flush()
	return out
}

// blockStart reports whether line starts a heading or a list item, and
// returns it without its marker.
func blockStart(line string) (string, bool) {
	switch {
	case line[0] == '#':
		return strings.TrimSpace(strings.TrimLeft(line, "#")), true
	case len(line) > 1 && (line[0] == '-' || line[0] == '*' || line[0] == '+') && line[1] == ' ':
		return strings.TrimSpace(line[2:]), true
	}
	i := 0
	for i < len(line) && i < 9 && line[i] >= '0' && line[i] <= '9' {
		i++
	}
	if i > 0 && i+1 < len(line) && (line[i] == '.' || line[i] == ')') && line[i+1] == ' ' {
		return strings.TrimSpace(line[i+2:]), true
	}
	return line, false
}

// sentenceStart reports whether a sentence starts at byte i of the
// normalized block text b (i > 0): right after a full-width 。！？, or
// after the space that follows a sentence's end.
func sentenceStart(b []byte, i int) bool {
	if i >= 1 && b[i-1] == ' ' {
		return endsSentence(b[:i-1], b[i-1:])
	}
	r, _ := utf8.DecodeLastRune(b[:i])
	return fullWidthStop(r)
}

// endsSentence reports whether text, which ends where next (the rest of
// its normalized block, 0-terminated or empty) begins, ends a sentence.
// Full-width 。！？ always do. '.', '!', '?' and '…' do at the end of the
// block, or before a space and then neither a lower-case letter nor an
// opening parenthesis; and a '.' not after a common abbreviation ("et
// al.", "e.g.", "i.e.", "Dr.", ...) or an initial ("J. Smith").
func endsSentence(text, next []byte) bool {
	r, size := utf8.DecodeLastRune(text)
	if fullWidthStop(r) {
		return true
	}
	if !terminal(r) {
		return false
	}
	if len(next) == 0 || next[0] == 0 {
		return true
	}
	if next[0] != ' ' {
		return false // "3.14", "e.g.,", "al.)"
	}
	if n, _ := utf8.DecodeRune(next[1:]); unicode.IsLower(n) || n == '(' {
		return false
	}
	if r != '.' {
		return true
	}
	word := text[:len(text)-size]
	if k := bytes.LastIndexAny(word, " (\"“「"); k >= 0 {
		word = word[k+1:]
	}
	if len(word) == 1 && word[0] >= 'A' && word[0] <= 'Z' {
		return false // an initial
	}
	return !abbreviations[strings.ToLower(string(word))]
}

// abbreviations are words a '.' follows without ending a sentence.
var abbreviations = map[string]bool{
	"al": true, "e.g": true, "i.e": true, "cf": true, "vs": true, "viz": true,
	"approx": true, "dr": true, "mr": true, "mrs": true, "ms": true, "prof": true,
	"st": true, "fig": true, "figs": true, "eq": true, "no": true, "vol": true,
	"pp": true, "ch": true, "sec": true, "jr": true, "sr": true, "inc": true,
}

// terminal reports whether r may end a sentence.
func terminal(r rune) bool {
	switch r {
	case '.', '!', '?', '…':
		return true
	}
	return fullWidthStop(r)
}

// fullWidthStop reports whether r is a full-width 。！？, which ends a
// sentence whatever follows it.
func fullWidthStop(r rune) bool { return r == '。' || r == '！' || r == '？' }

// wordRune reports whether r continues a word.
func wordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' }

// spaced reports whether r belongs to a script written with spaces between
// words; in the others (Chinese, Japanese, Thai...) a quotation may start
// at any character.
func spaced(r rune) bool {
	return !(unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r) ||
		unicode.Is(unicode.Thai, r) || unicode.Is(unicode.Lao, r) || unicode.Is(unicode.Khmer, r) || unicode.Is(unicode.Myanmar, r))
}

// Start returns the state at the start of an output: outside any
// quotation.
func (q *Quotes) Start() QuoteState { return QuoteState{q: q} }

// QuoteState is the position of a quotation check in an output. It is a
// small value: copy it to try bytes without committing them.
type QuoteState struct {
	q *Quotes
	// in is 1 + the index of the open quotation's marks in quotePairs, or
	// 0 outside a quotation.
	in int8
	// Outside: the op bytes pre[:op] of an opening mark seen so far.
	// Inside: cp bytes of the closing mark seen so far (a closing mark
	// that may also be quoted text is followed both ways).
	op, cp int8
	pre    [3]byte
	// Inside: the quotation so far (d bytes after normalization) is the
	// start of the suffixes sa[lo:hi]; lo == hi when no source continues
	// it (only the closing mark can follow). In a citation: the id so far
	// (d bytes) is the start of ids[lo:hi].
	lo, hi, d int32
	// cite is where a citation check stands: citeAfter right after a
	// quotation, citeID inside an id, citeNext after a comma.
	cite int8
}

// The states of QuoteState.cite.
const (
	citeNone int8 = iota
	citeAfter
	citeID
	citeNext
)

// InQuote reports whether the output is inside an open quotation or
// citation (an end of the output is not allowed there).
func (s *QuoteState) InQuote() bool { return s.in != 0 || s.cite >= citeID }

// Accepts reports whether b may follow, without changing s.
func (s *QuoteState) Accepts(b []byte) bool {
	t := *s
	return t.Advance(b)
}

// Advance moves s over b; it reports false, leaving s in an unspecified
// state, when b breaks a quotation (copy s first to keep it).
func (s *QuoteState) Advance(b []byte) bool {
	for _, c := range b {
		if !s.step(c) {
			return false
		}
	}
	return true
}

// step moves s over one byte.
func (s *QuoteState) step(c byte) bool {
	if s.cite != citeNone {
		if done, ok := s.citeStep(c); done {
			return ok
		}
	}
	if s.in == 0 {
		if s.q == nil || s.op == 0 && openSet[c>>6]>>(c&63)&1 == 0 {
			return true
		}
		var buf [4]byte
		n := copy(buf[:], s.pre[:s.op])
		buf[n] = c
		n++
		for {
			prefix := false
			for i, p := range quotePairs {
				o := p[0]
				if n <= len(o) && o[:n] == string(buf[:n]) {
					if n == len(o) {
						s.open(int8(i))
						return true
					}
					prefix = true
				}
			}
			if prefix {
				copy(s.pre[:], buf[:n])
				s.op = int8(n)
				return true
			}
			if n == 1 {
				s.op = 0
				return true
			}
			// A broken opening mark: c may start another.
			buf[0], n = c, 1
		}
	}
	closer := quotePairs[s.in-1][1]
	// The closing mark, once at least one character is quoted (in whole
	// sentences, after a sentence's end).
	closing := false
	if s.d > 0 && int(s.cp) < len(closer) && closer[s.cp] == c && (s.cp > 0 || s.canClose()) {
		if int(s.cp)+1 == len(closer) {
			*s = QuoteState{q: s.q}
			if len(s.q.ids) > 0 {
				s.cite = citeAfter
			}
			return true
		}
		closing = true
	}
	// Or quoted text.
	if s.cp > 0 && !closing {
		// A closing mark was started and broken: its bytes were quoted
		// text only if the source continued with them, which the range
		// already followed.
		s.cp = 0
	}
	if closing {
		s.cp++
	}
	if s.lo < s.hi && c != 0 {
		lo, hi := s.q.narrow(s.lo, s.hi, s.d, c)
		s.lo, s.hi = lo, hi
		if lo < hi {
			s.d++
			return true
		}
	}
	s.lo, s.hi = 0, 0
	return closing
}

// citeStep moves a citation check over c. done reports whether c was
// taken (accepted when ok); otherwise c is free text and the check is
// over.
func (s *QuoteState) citeStep(c byte) (done, ok bool) {
	switch s.cite {
	case citeAfter:
		switch c {
		case ' ':
			return true, true
		case '[':
			s.cite, s.lo, s.hi, s.d = citeID, 0, int32(len(s.q.ids)), 0
			return true, true
		}
		s.cite = citeNone
		return false, false
	case citeNext:
		if c == ' ' {
			return true, true
		}
		s.cite, s.lo, s.hi, s.d = citeID, 0, int32(len(s.q.ids)), 0
	}
	// Inside an id: the shortest candidate sorts first.
	ids := s.q.ids
	if c == ']' || c == ',' {
		if s.lo >= s.hi || int32(len(ids[s.lo])) != s.d {
			return true, false
		}
		if c == ']' {
			s.cite, s.lo, s.hi, s.d = citeNone, 0, 0, 0
		} else {
			s.cite = citeNext
		}
		return true, true
	}
	d := int(s.d)
	at := func(i int32) int {
		if len(ids[i]) <= d {
			return -1
		}
		return int(ids[i][d])
	}
	a, b := s.lo, s.hi
	for a < b {
		m := int32(uint32(a+b) >> 1)
		if at(m) < int(c) {
			a = m + 1
		} else {
			b = m
		}
	}
	lo := a
	b = s.hi
	for a < b {
		m := int32(uint32(a+b) >> 1)
		if at(m) <= int(c) {
			a = m + 1
		} else {
			b = m
		}
	}
	if lo == a {
		return true, false
	}
	s.lo, s.hi, s.d = lo, a, s.d+1
	return true, true
}

// canClose reports whether the quotation so far may end here.
func (s *QuoteState) canClose() bool {
	if s.q.unit != QuoteSentences {
		return true
	}
	if s.lo >= s.hi {
		return false
	}
	// The quotation so far is the same in every suffix of the range;
	// what follows it differs. It may end if it ends a sentence in any.
	text := s.q.text
	p := s.q.sa[s.lo]
	if text[p+s.d] == 0 {
		return true // the end of a block (0 sorts first)
	}
	quoted := text[p : p+s.d]
	if r, _ := utf8.DecodeLastRune(quoted); !terminal(r) {
		return false
	}
	for i := s.lo; i < s.hi; i++ {
		p := s.q.sa[i] + s.d
		if endsSentence(quoted, text[p:]) {
			return true
		}
		if c := text[p]; c > ' ' {
			break // sorted by what follows: no later suffix has 0 or a space next
		}
	}
	return false
}

// open enters quotation i.
func (s *QuoteState) open(i int8) {
	*s = QuoteState{q: s.q, in: i + 1, lo: 0, hi: int32(len(s.q.sa))}
}

// narrow returns the part of sa[lo:hi] (suffixes that agree on their first
// d bytes) whose byte d is c.
func (q *Quotes) narrow(lo, hi, d int32, c byte) (int32, int32) {
	text, sa := q.text, q.sa
	at := func(i int32) byte { return text[sa[i]+d] }
	// First index with byte >= c, then first with byte > c.
	a, b := lo, hi
	for a < b {
		m := int32(uint32(a+b) >> 1)
		if at(m) < c {
			a = m + 1
		} else {
			b = m
		}
	}
	first := a
	b = hi
	for a < b {
		m := int32(uint32(a+b) >> 1)
		if at(m) <= c {
			a = m + 1
		} else {
			b = m
		}
	}
	return first, a
}

// AllowedQuoted reports whether token tok may follow in quotation state s:
// the cheap check for a sampled token. An end-of-sequence token is allowed
// outside quotations.
func (v *Vocab) AllowedQuoted(s *QuoteState, tok int32) bool {
	if tok < 0 || int(tok) >= v.n {
		return false
	}
	if v.isEOS[tok] {
		return !s.InQuote()
	}
	t := v.tok[tok]
	if len(t) == 0 || len(t) > maxTokenLen {
		return false
	}
	return s.Accepts(t)
}

// AdvanceQuoted moves s over token tok; it reports false, leaving s
// unchanged, when the token is not allowed.
func (v *Vocab) AdvanceQuoted(s *QuoteState, tok int32) bool {
	if !v.AllowedQuoted(s, tok) {
		return false
	}
	if !v.isEOS[tok] {
		s.Advance(v.tok[tok])
	}
	return true
}

// FillQuoted writes into mask the bitset of the tokens allowed in
// quotation state s (see [Vocab.Fill] for the layout) and returns it. It
// walks the vocabulary's trie once, skipping every subtree whose prefix
// breaks the quotation.
func (v *Vocab) FillQuoted(s *QuoteState, mask []uint64) []uint64 {
	mask = v.prepare(mask)
	if !s.InQuote() {
		v.setEOS(mask)
	}
	stack := make([]QuoteState, v.maxD+1)
	stack[0] = *s
	nodes := v.nodes
	for i := 0; i < len(nodes); {
		nd := &nodes[i]
		st := stack[nd.depth-1]
		if st.in == 0 && st.op == 0 && st.cite == citeNone {
			// Outside a quotation, a subtree with no byte that opens
			// one is allowed whole.
			sub := &v.sub[i]
			if sub[0]&openSet[0]|sub[1]&openSet[1]|sub[2]&openSet[2]|sub[3]&openSet[3] == 0 {
				for _, id := range v.dfsTok[v.tokLo[i]:v.tokLo[nd.skip]] {
					mask[id>>6] |= 1 << (uint(id) & 63)
				}
				i = int(nd.skip)
				continue
			}
		}
		if !st.step(nd.label) {
			i = int(nd.skip)
			continue
		}
		stack[nd.depth] = st
		if nd.tok >= 0 {
			mask[nd.tok>>6] |= 1 << (uint(nd.tok) & 63)
		} else if nd.tok != -1 {
			for _, id := range v.multi[-2-nd.tok] {
				mask[id>>6] |= 1 << (uint(id) & 63)
			}
		}
		i++
	}
	return mask
}
