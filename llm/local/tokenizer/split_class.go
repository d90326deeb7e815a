package tokenizer

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Hand-written stages for the simple patterns of the DeepSeek
// pre-tokenizers: a character class run with an optional leading white
// space (\s?X+), a run (X+), each character of a class on its own ([\r\n],
// \p{N}), and trailing white space (\s+\z).

// runStage implements \s?X+ (optSpace) or X+.
type runStage struct {
	in       func(rune) bool
	optSpace bool
}

func (st runStage) split(s string, base int, dst []int) []int {
	n, pos, prev := len(s), 0, 0
	for pos < n {
		r, sz := utf8.DecodeRuneInString(s[pos:])
		start, end := -1, 0
		if st.optSpace && unicode.IsSpace(r) && pos+sz < n {
			if r2, _ := utf8.DecodeRuneInString(s[pos+sz:]); st.in(r2) {
				start, end = pos, pos+sz
			}
		}
		if start < 0 && st.in(r) {
			start, end = pos, pos
		}
		if start < 0 {
			pos += sz
			continue
		}
		for end < n {
			r, sz := utf8.DecodeRuneInString(s[end:])
			if !st.in(r) {
				break
			}
			end += sz
		}
		if start > prev {
			dst = append(dst, base+start)
		}
		dst = append(dst, base+end)
		prev, pos = end, end
	}
	if prev < n {
		dst = append(dst, base+n)
	}
	return dst
}

// eachStage makes every character of a class a piece of its own.
type eachStage struct{ in func(rune) bool }

func (st eachStage) split(s string, base int, dst []int) []int {
	pos, prev := 0, 0
	for pos < len(s) {
		r, sz := utf8.DecodeRuneInString(s[pos:])
		if st.in(r) {
			if pos > prev {
				dst = append(dst, base+pos)
			}
			dst = append(dst, base+pos+sz)
			prev = pos + sz
		}
		pos += sz
	}
	if prev < len(s) {
		dst = append(dst, base+len(s))
	}
	return dst
}

// trailingSpace implements \s+\z.
type trailingSpace struct{}

func (trailingSpace) split(s string, base int, dst []int) []int {
	cut := len(s)
	for cut > 0 {
		r, sz := utf8.DecodeLastRuneInString(s[:cut])
		if !unicode.IsSpace(r) {
			break
		}
		cut -= sz
	}
	if cut > 0 {
		dst = append(dst, base+cut)
	}
	if cut < len(s) {
		dst = append(dst, base+len(s))
	}
	return dst
}

// parseClass parses a bracket expression of literal characters and ranges
// ("[A-Za-z\u00B5]", without escapes or negation) into a table.
func parseClass(class string) (*unicode.RangeTable, bool) {
	if len(class) < 3 || class[0] != '[' || class[len(class)-1] != ']' {
		return nil, false
	}
	rs := []rune(class[1 : len(class)-1])
	var ranges []unicode.Range32
	for i := 0; i < len(rs); i++ {
		if rs[i] == '\\' || rs[i] == '^' && i == 0 || rs[i] == '[' || rs[i] == ']' {
			return nil, false
		}
		lo, hi := rs[i], rs[i]
		if i+2 < len(rs) && rs[i+1] == '-' {
			hi = rs[i+2]
			i += 2
		}
		if hi < lo {
			return nil, false
		}
		ranges = append(ranges, unicode.Range32{Lo: uint32(lo), Hi: uint32(hi), Stride: 1})
	}
	// sort and merge for unicode.Is
	for i := 1; i < len(ranges); i++ {
		for j := i; j > 0 && ranges[j].Lo < ranges[j-1].Lo; j-- {
			ranges[j], ranges[j-1] = ranges[j-1], ranges[j]
		}
	}
	var merged []unicode.Range32
	for _, r := range ranges {
		if k := len(merged); k > 0 && r.Lo <= merged[k-1].Hi+1 {
			merged[k-1].Hi = max(merged[k-1].Hi, r.Hi)
			continue
		}
		merged = append(merged, r)
	}
	return &unicode.RangeTable{R32: merged}, true
}

// simpleStage returns a hand-written stage for pattern, if there is one.
func simpleStage(p string) (stage, bool) {
	switch p {
	case patGPT2:
		return gpt2Scanner{}, true
	case patLlama3:
		return llama3Scanner{maxDigits: 3}, true
	case patQwen2:
		return llama3Scanner{maxDigits: 1}, true
	case patDigit:
		return eachStage{unicode.IsNumber}, true
	case "[\r\n]":
		return eachStage{func(r rune) bool { return r == '\r' || r == '\n' }}, true
	case `\s?\p{L}+`:
		return runStage{in: unicode.IsLetter, optSpace: true}, true
	case `\s?\p{P}+`:
		return runStage{in: unicode.IsPunct, optSpace: true}, true
	case `\p{N}+`:
		return runStage{in: unicode.IsNumber}, true
	case `\s+\z`:
		return trailingSpace{}, true
	}
	opt := strings.HasPrefix(p, `\s?`)
	body := strings.TrimPrefix(p, `\s?`)
	if !strings.HasSuffix(body, "+") {
		return nil, false
	}
	tab, ok := parseClass(strings.TrimSuffix(body, "+"))
	if !ok {
		return nil, false
	}
	return runStage{in: func(r rune) bool { return unicode.Is(tab, r) }, optSpace: opt}, true
}
