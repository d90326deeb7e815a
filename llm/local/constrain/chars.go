package constrain

import (
	"fmt"
	"regexp/syntax"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Strings with a pattern, a format or length bounds are built at the level
// of characters first (a small automaton whose edges are sets of runes),
// then multiplied with a character counter for minLength/maxLength, then
// lowered to bytes: each character edge calls a shared rule that emits one
// character of the set in its canonical JSON encoding (raw UTF-8, except
// `\"`, `\\` and escapes for control characters). Canonical encodings keep
// the count of characters exact.

// rng is an inclusive range of runes.
type rng struct{ lo, hi rune }

type runeSet []rng // sorted, non-overlapping

func normSet(rs []rng) runeSet {
	rs = slices.Clone(rs)
	slices.SortFunc(rs, func(a, b rng) int { return int(a.lo - b.lo) })
	var out runeSet
	for _, r := range rs {
		if r.lo > r.hi {
			continue
		}
		if n := len(out); n > 0 && r.lo <= out[n-1].hi+1 {
			if r.hi > out[n-1].hi {
				out[n-1].hi = r.hi
			}
			continue
		}
		out = append(out, r)
	}
	return out
}

func (s runeSet) complement() runeSet {
	var out runeSet
	next := rune(0)
	for _, r := range s {
		if r.lo > next {
			out = append(out, rng{next, r.lo - 1})
		}
		next = r.hi + 1
	}
	if next <= unicode.MaxRune {
		out = append(out, rng{next, unicode.MaxRune})
	}
	return out
}

func (s runeSet) key() string {
	var sb strings.Builder
	for _, r := range s {
		fmt.Fprintf(&sb, "%x-%x,", r.lo, r.hi)
	}
	return sb.String()
}

var anyRune = runeSet{{0, unicode.MaxRune}}

// cnfa is a character-level automaton.
type cnfa struct {
	eps   [][]int
	edges [][]cedge
	final []bool
	start int
}

type cedge struct {
	set runeSet
	to  int
}

func (a *cnfa) state() int {
	a.eps = append(a.eps, nil)
	a.edges = append(a.edges, nil)
	a.final = append(a.final, false)
	return len(a.eps) - 1
}

type cfrag struct{ s, e int }

const maxCharStates = 1 << 16

var errPatternTooLarge = fmt.Errorf("%w: pattern too large after expanding repetitions", ErrUnsupported)

func (a *cnfa) set(s runeSet) cfrag {
	x, y := a.state(), a.state()
	a.edges[x] = append(a.edges[x], cedge{s, y})
	return cfrag{x, y}
}
func (a *cnfa) empty() cfrag {
	x, y := a.state(), a.state()
	a.eps[x] = append(a.eps[x], y)
	return cfrag{x, y}
}
func (a *cnfa) seq(fs ...cfrag) cfrag {
	if len(fs) == 0 {
		return a.empty()
	}
	for i := 1; i < len(fs); i++ {
		a.eps[fs[i-1].e] = append(a.eps[fs[i-1].e], fs[i].s)
	}
	return cfrag{fs[0].s, fs[len(fs)-1].e}
}
func (a *cnfa) alt(fs ...cfrag) cfrag {
	x, y := a.state(), a.state()
	for _, f := range fs {
		a.eps[x] = append(a.eps[x], f.s)
		a.eps[f.e] = append(a.eps[f.e], y)
	}
	return cfrag{x, y}
}
func (a *cnfa) star(f cfrag) cfrag {
	x, y := a.state(), a.state()
	a.eps[x] = append(a.eps[x], f.s, y)
	a.eps[f.e] = append(a.eps[f.e], f.s, y)
	return cfrag{x, y}
}
func (a *cnfa) opt(f cfrag) cfrag {
	x, y := a.state(), a.state()
	a.eps[x] = append(a.eps[x], f.s, y)
	a.eps[f.e] = append(a.eps[f.e], y)
	return cfrag{x, y}
}

func (a *cnfa) finishWith(f cfrag) *cnfa {
	a.start = f.s
	a.final[f.e] = true
	return a
}

// anyString is the automaton of every string.
func anyString() *cnfa {
	a := &cnfa{}
	return a.finishWith(a.star(a.set(anyRune)))
}

// literalString matches exactly s.
func literalString(s string) *cnfa {
	a := &cnfa{}
	var fs []cfrag
	for _, r := range s {
		fs = append(fs, a.set(runeSet{{r, r}}))
	}
	return a.finishWith(a.seq(fs...))
}

// exceptStrings matches every string except the given ones (a trie with an
// escape to "anything else").
func exceptStrings(words []string) *cnfa {
	a := &cnfa{}
	root := a.state()
	free := a.state()
	a.final[free] = true
	a.edges[free] = append(a.edges[free], cedge{anyRune, free})
	type node struct {
		id   int
		kids map[rune]int
		term bool
	}
	nodes := map[int]*node{root: {id: root, kids: map[rune]int{}}}
	for _, w := range words {
		cur := nodes[root]
		for _, r := range w {
			nx, ok := cur.kids[r]
			if !ok {
				nx = a.state()
				cur.kids[r] = nx
				nodes[nx] = &node{id: nx, kids: map[rune]int{}}
			}
			cur = nodes[nx]
		}
		cur.term = true
	}
	for id, n := range nodes {
		a.final[id] = !n.term
		var used []rng
		for r, k := range n.kids {
			a.edges[id] = append(a.edges[id], cedge{runeSet{{r, r}}, k})
			used = append(used, rng{r, r})
		}
		if other := normSet(used).complement(); len(other) > 0 {
			a.edges[id] = append(a.edges[id], cedge{other, free})
		}
	}
	a.start = root
	return a
}

// regexString compiles a JSON Schema pattern (ECMA-262 in the spec; here
// the RE2 syntax of Go's regexp, which the common subset shares). Like the
// spec, an unanchored pattern matches anywhere in the string.
func regexString(pattern string) (*cnfa, error) {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return nil, fmt.Errorf("%w: pattern %q (%v); simplify it, or set Options.Lax to accept any string there", ErrUnsupported, pattern, err)
	}
	re = re.Simplify()
	a := &cnfa{}
	var branches []*syntax.Regexp
	if re.Op == syntax.OpAlternate {
		branches = re.Sub
	} else {
		branches = []*syntax.Regexp{re}
	}
	var fs []cfrag
	for _, br := range branches {
		subs := []*syntax.Regexp{br}
		if br.Op == syntax.OpConcat {
			subs = br.Sub
		}
		begin, end := false, false
		for len(subs) > 0 && (subs[0].Op == syntax.OpBeginText || subs[0].Op == syntax.OpBeginLine) {
			begin = true
			subs = subs[1:]
		}
		for len(subs) > 0 && (subs[len(subs)-1].Op == syntax.OpEndText || subs[len(subs)-1].Op == syntax.OpEndLine) {
			end = true
			subs = subs[:len(subs)-1]
		}
		var parts []cfrag
		if !begin {
			parts = append(parts, a.star(a.set(anyRune)))
		}
		for _, s := range subs {
			f, err := a.regex(s)
			if err != nil {
				return nil, fmt.Errorf("pattern %q: %w", pattern, err)
			}
			parts = append(parts, f)
		}
		if !end {
			parts = append(parts, a.star(a.set(anyRune)))
		}
		fs = append(fs, a.seq(parts...))
		if len(a.eps) > maxCharStates {
			return nil, errPatternTooLarge
		}
	}
	return a.finishWith(a.alt(fs...)), nil
}

func (a *cnfa) regex(re *syntax.Regexp) (cfrag, error) {
	if len(a.eps) > maxCharStates {
		return cfrag{}, errPatternTooLarge
	}
	switch re.Op {
	case syntax.OpNoMatch:
		return cfrag{a.state(), a.state()}, nil
	case syntax.OpEmptyMatch:
		return a.empty(), nil
	case syntax.OpLiteral:
		var fs []cfrag
		for _, r := range re.Rune {
			set := []rng{{r, r}}
			if re.Flags&syntax.FoldCase != 0 {
				for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
					set = append(set, rng{f, f})
				}
			}
			fs = append(fs, a.set(normSet(set)))
		}
		return a.seq(fs...), nil
	case syntax.OpCharClass:
		var set []rng
		for i := 0; i+1 < len(re.Rune); i += 2 {
			set = append(set, rng{re.Rune[i], re.Rune[i+1]})
		}
		return a.set(normSet(set)), nil
	case syntax.OpAnyCharNotNL:
		return a.set(runeSet{{0, '\n' - 1}, {'\n' + 1, unicode.MaxRune}}), nil
	case syntax.OpAnyChar:
		return a.set(anyRune), nil
	case syntax.OpCapture:
		return a.regex(re.Sub[0])
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest:
		f, err := a.regex(re.Sub[0])
		if err != nil {
			return f, err
		}
		switch re.Op {
		case syntax.OpStar:
			return a.star(f), nil
		case syntax.OpPlus:
			g, err := a.regex(re.Sub[0])
			if err != nil {
				return g, err
			}
			return a.seq(f, a.star(g)), nil
		default:
			return a.opt(f), nil
		}
	case syntax.OpRepeat:
		// Simplify has expanded most repeats; expand what is left.
		var parts []cfrag
		for i := 0; i < re.Min; i++ {
			f, err := a.regex(re.Sub[0])
			if err != nil {
				return f, err
			}
			parts = append(parts, f)
		}
		if re.Max < 0 {
			f, err := a.regex(re.Sub[0])
			if err != nil {
				return f, err
			}
			parts = append(parts, a.star(f))
		} else {
			for i := re.Min; i < re.Max; i++ {
				f, err := a.regex(re.Sub[0])
				if err != nil {
					return f, err
				}
				parts = append(parts, a.opt(f))
			}
		}
		return a.seq(parts...), nil
	case syntax.OpConcat:
		var parts []cfrag
		for _, s := range re.Sub {
			f, err := a.regex(s)
			if err != nil {
				return f, err
			}
			parts = append(parts, f)
		}
		return a.seq(parts...), nil
	case syntax.OpAlternate:
		var parts []cfrag
		for _, s := range re.Sub {
			f, err := a.regex(s)
			if err != nil {
				return f, err
			}
			parts = append(parts, f)
		}
		return a.alt(parts...), nil
	}
	return cfrag{}, fmt.Errorf("%w: regex construct %v (anchors inside the pattern, word boundaries)", ErrUnsupported, re.Op)
}

// ---- lowering to bytes ----

// charRule returns the rule that emits one character of set in canonical
// JSON string encoding (raw selects raw UTF-8 for every character instead,
// for grammars that are not inside a JSON string).
func (b *builder) charRule(set runeSet, raw bool) int32 {
	key := "char:" + set.key()
	if raw {
		key = "raw" + key
	}
	return b.shared(key, func() frag {
		var fs []frag
		for _, r := range set {
			for _, part := range splitRange(r, raw) {
				fs = append(fs, b.encodeRange(part, raw))
			}
		}
		if len(fs) == 0 {
			return b.never()
		}
		return b.alt(fs...)
	})
}

// splitRange cuts a rune range into pieces that encode the same way:
// escaped controls, quote, backslash, plain ASCII and multi-byte UTF-8;
// surrogates are dropped (they are not characters).
func splitRange(r rng, raw bool) []rng {
	cuts := []rune{0x20, '"', '"' + 1, '\\', '\\' + 1, 0x80, 0xD800, 0xE000}
	if raw {
		cuts = []rune{0x80, 0xD800, 0xE000}
	}
	var out []rng
	lo := r.lo
	for _, c := range cuts {
		if lo > r.hi {
			break
		}
		if c > lo && c <= r.hi {
			out = append(out, rng{lo, c - 1})
			lo = c
		}
	}
	if lo <= r.hi {
		out = append(out, rng{lo, r.hi})
	}
	// Drop surrogates.
	out = slices.DeleteFunc(out, func(x rng) bool { return x.lo >= 0xD800 && x.hi <= 0xDFFF })
	return out
}

var shortEscapes = map[rune]string{'\b': `\b`, '\f': `\f`, '\n': `\n`, '\r': `\r`, '\t': `\t`, '"': `\"`, '\\': `\\`}

// encodeRange emits one character of a range that splitRange produced.
func (b *builder) encodeRange(r rng, raw bool) frag {
	if !raw && r.lo < 0x20 || !raw && (r.lo == '"' || r.lo == '\\') {
		var fs []frag
		for c := r.lo; c <= r.hi; c++ {
			if e, ok := shortEscapes[c]; ok {
				fs = append(fs, b.lit(e))
			} else {
				fs = append(fs, b.lit(fmt.Sprintf(`\u%04x`, c)))
			}
		}
		return b.alt(fs...)
	}
	var fs []frag
	utf8Seqs(r.lo, r.hi, func(seq [][2]byte) {
		s := b.state()
		cur := s
		for _, br := range seq {
			n := b.state()
			b.edge(cur, br[0], br[1], n)
			cur = n
		}
		fs = append(fs, frag{s, cur})
	})
	return b.alt(fs...)
}

// utf8Seqs calls emit with byte-range sequences whose concatenation
// matches exactly the UTF-8 encodings of the runes in [lo, hi] (which must
// not contain surrogates).
func utf8Seqs(lo, hi rune, emit func([][2]byte)) {
	bounds := []rune{0x7F, 0x7FF, 0xFFFF}
	for _, m := range bounds {
		if lo <= m && hi > m {
			utf8Seqs(lo, m, emit)
			utf8Seqs(m+1, hi, emit)
			return
		}
	}
	if hi < 0x80 {
		emit([][2]byte{{byte(lo), byte(hi)}})
		return
	}
	n := utf8.RuneLen(lo)
	for i := 1; i < n; i++ {
		m := rune(1)<<(6*i) - 1
		if lo&^m != hi&^m {
			if lo&m != 0 {
				utf8Seqs(lo, lo|m, emit)
				utf8Seqs((lo|m)+1, hi, emit)
				return
			}
			if hi&m != m {
				utf8Seqs(lo, (hi&^m)-1, emit)
				utf8Seqs(hi&^m, hi, emit)
				return
			}
		}
	}
	var a, z [4]byte
	utf8.EncodeRune(a[:], lo)
	utf8.EncodeRune(z[:], hi)
	seq := make([][2]byte, n)
	for i := 0; i < n; i++ {
		seq[i] = [2]byte{a[i], z[i]}
	}
	emit(seq)
}

// maxProduct bounds the states of a string automaton times its counter.
const maxProduct = 1 << 20

// lowerString builds the byte automaton for the characters of a (without
// quotes) restricted to between minLen and maxLen characters (maxLen < 0:
// unbounded).
func (b *builder) lowerString(a *cnfa, minLen, maxLen int, raw bool) (frag, error) {
	k := maxLen
	if k < 0 {
		k = minLen
	}
	if (k+1)*len(a.eps) > maxProduct {
		return frag{}, fmt.Errorf("%w: string bounds (minLength %d, maxLength %d) too large to enforce; lower them", ErrUnsupported, minLen, maxLen)
	}
	ids := map[[2]int]int32{}
	start, end := b.state(), b.state()
	type item struct{ q, c int }
	var work []item
	get := func(q, c int) int32 {
		if id, ok := ids[[2]int{q, c}]; ok {
			return id
		}
		id := b.state()
		ids[[2]int{q, c}] = id
		work = append(work, item{q, c})
		return id
	}
	b.eps(start, get(a.start, 0))
	for len(work) > 0 {
		it := work[len(work)-1]
		work = work[:len(work)-1]
		id := ids[[2]int{it.q, it.c}]
		if a.final[it.q] && it.c >= minLen {
			b.eps(id, end)
		}
		for _, e := range a.eps[it.q] {
			b.eps(id, get(e, it.c))
		}
		for _, e := range a.edges[it.q] {
			nc := it.c + 1
			if maxLen >= 0 && nc > maxLen {
				continue
			}
			if maxLen < 0 && nc > k {
				nc = k
			}
			ret := get(e.to, nc)
			b.st[id].calls = append(b.st[id].calls, gcall{b.charRule(e.set, raw), ret})
		}
		if b.err != nil {
			return frag{}, b.err
		}
	}
	return frag{start, end}, nil
}
