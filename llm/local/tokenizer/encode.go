package tokenizer

import (
	"sort"
	"strings"
	"sync"
	"unicode/utf8"
)

// fragment is a piece of the input: raw text [start, end) or a special
// token (id >= 0).
type fragment struct {
	start, end int
	id         int32
}

type symbol struct {
	id         int32 // gpt2: intern id of the symbol's text, or -1
	start, n   int32 // byte range in the word / text
	prev, next int32
}

type bigram struct {
	score       float32 // spm: higher first
	rank        int32   // bpe: lower first
	left, right int32
	size        int32 // spm: bytes of left+right when queued
	lid, rid    int32 // bpe: ids of left and right when queued
}

// session holds the scratch memory of one Encode call.
type session struct {
	frags   []fragment
	frags2  []fragment
	present []int32
	ends    []int
	ends2   []int
	syms    []symbol
	heap    []bigram
	buf     []byte
	out     []int32
}

var sessions = sync.Pool{New: func() any { return new(session) }}

// Encode returns the token ids of text.
//
// addSpecial adds BOS and EOS as the vocabulary asks (AddBOS, AddEOS).
// parseSpecial makes the text of control tokens (for example
// "<|im_start|>") in text map to their ids; without it such text is
// tokenized as ordinary text. User-defined tokens are always matched, as in
// llama.cpp.
//
// Invalid UTF-8 is handled as llama.cpp handles it: gpt2 vocabularies see
// each invalid byte as U+FFFD; llama vocabularies split characters by their
// lead byte and fall back to byte tokens. Valid UTF-8 round-trips through
// Decode exactly (for llama vocabularies: text without "▁").
func (t *Tokenizer) Encode(text string, addSpecial, parseSpecial bool) []int32 {
	s := sessions.Get().(*session)
	defer sessions.Put(s)
	out := make([]int32, 0, len(text)/3+2)
	if addSpecial && t.addBOS && t.bos >= 0 {
		out = append(out, t.bos)
	}
	s.partition(t, text, parseSpecial)
	prevSpecial := true
	for _, f := range s.frags {
		if f.id >= 0 {
			out = append(out, f.id)
			prevSpecial = true
			continue
		}
		if t.spm {
			out = t.encodeSPM(s, text[f.start:f.end], prevSpecial && t.addSpacePrefix, out)
		} else {
			out = t.encodeBPE(s, text[f.start:f.end], out)
		}
		prevSpecial = false
	}
	if addSpecial && t.addEOS && t.eos >= 0 {
		out = append(out, t.eos)
	}
	return out
}

// partition splits text at the special tokens, as llama.cpp's
// tokenizer_st_partition does: longer tokens first, each splitting every
// text fragment at each of its occurrences.
func (s *session) partition(t *Tokenizer, text string, parseSpecial bool) {
	s.frags = s.frags[:0]
	if text == "" {
		return
	}
	s.frags = append(s.frags, fragment{0, len(text), NoToken})
	// Which special tokens occur at all? Walk the trie at every position.
	s.present = s.present[:0]
	if len(t.specials) > 0 {
		for i := 0; i < len(text); i++ {
			n := t.trie[text[i]]
			for j := i + 1; n != nil; j++ {
				if n.leaf {
					a := t.attrs[n.id]
					if parseSpecial || a&(attrControl|attrUnknown) == 0 {
						s.present = append(s.present, n.id)
					}
				}
				if j >= len(text) || n.next == nil {
					break
				}
				n = n.next[text[j]]
			}
		}
	}
	if len(s.present) == 0 {
		return
	}
	// llama.cpp's order: by length, longest first (ties by id).
	sort.Slice(s.present, func(i, j int) bool {
		a, b := s.present[i], s.present[j]
		la, lb := len(t.tokens[a]), len(t.tokens[b])
		if la != lb {
			return la > lb
		}
		return a < b
	})
	last := NoToken
	for _, id := range s.present {
		if id == last {
			continue
		}
		last = id
		tok := t.tokens[id]
		next := s.frags2[:0]
		for _, f := range s.frags {
			if f.id >= 0 {
				next = append(next, f)
				continue
			}
			start := f.start
			for {
				k := strings.Index(text[start:f.end], tok)
				if k < 0 {
					break
				}
				if k > 0 {
					next = append(next, fragment{start, start + k, NoToken})
				}
				next = append(next, fragment{id: id})
				start += k + len(tok)
			}
			if start < f.end {
				next = append(next, fragment{start, f.end, NoToken})
			}
		}
		s.frags, s.frags2 = next, s.frags
	}
}

// ---- SentencePiece (llama) ----

func utf8Len(c byte) int32 {
	return [16]int32{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4}[c>>4]
}

func (t *Tokenizer) encodeSPM(s *session, frag string, prefix bool, out []int32) []int32 {
	buf := s.buf[:0]
	if prefix {
		buf = append(buf, "▁"...)
	}
	for i := 0; i < len(frag); i++ {
		if frag[i] == ' ' {
			buf = append(buf, "▁"...)
		} else {
			buf = append(buf, frag[i])
		}
	}
	s.buf = buf
	if len(buf) == 0 {
		return out
	}
	if !t.spmChunks {
		return t.spmRun(s, buf, out)
	}
	// No token spans a "▁" that follows another character: merge each
	// word (a run of "▁" and what follows up to the next such "▁") on its
	// own. Boundaries fall between the characters of the whole text, as
	// llama.cpp splits it (by lead byte).
	start, prevSpace := 0, true
	for off := 0; off < len(buf); {
		n := min(int(utf8Len(buf[off])), len(buf)-off)
		space := n == 3 && buf[off] == 0xE2 && buf[off+1] == 0x96 && buf[off+2] == 0x81
		if space && !prevSpace && off > start {
			out = t.spmWord(s, buf[start:off], out)
			start = off
		}
		prevSpace = space
		off += n
	}
	return t.spmWord(s, buf[start:], out)
}

// spmWord encodes one word of escaped text, through the word cache.
func (t *Tokenizer) spmWord(s *session, word []byte, out []int32) []int32 {
	if len(word) > cacheWordMax {
		return t.spmRun(s, word, out)
	}
	if ids, ok := t.cache.get(string(word)); ok {
		return append(out, ids...)
	}
	n := len(out)
	out = t.spmRun(s, word, out)
	t.cache.put(string(word), append([]int32(nil), out[n:]...))
	return out
}

// spmRun merges the characters of buf by score, as llama.cpp's
// llm_tokenizer_spm_session does.
func (t *Tokenizer) spmRun(s *session, buf []byte, out []int32) []int32 {
	syms := s.syms[:0]
	for off := int32(0); off < int32(len(buf)); {
		n := min(utf8Len(buf[off]), int32(len(buf))-off)
		idx := int32(len(syms))
		next := idx + 1
		if off+n == int32(len(buf)) {
			next = -1
		}
		syms = append(syms, symbol{start: off, n: n, prev: idx - 1, next: next})
		off += n
	}
	h := spmHeap(s.heap[:0])
	for i := 1; i < len(syms); i++ {
		h = t.spmBigram(buf, syms, h, int32(i-1), int32(i))
	}
	for len(h) > 0 {
		var b bigram
		b, h = h.pop()
		l, r := &syms[b.left], &syms[b.right]
		if l.n == 0 || r.n == 0 || l.n+r.n != b.size {
			continue
		}
		l.n += r.n
		r.n = 0
		l.next = r.next
		if r.next >= 0 {
			syms[r.next].prev = b.left
		}
		h = t.spmBigram(buf, syms, h, l.prev, b.left)
		h = t.spmBigram(buf, syms, h, b.left, l.next)
	}
	s.heap = h
	s.syms = syms
	for i := int32(0); i != -1; i = syms[i].next {
		sym := syms[i]
		text := buf[sym.start : sym.start+sym.n]
		if id, ok := t.index[string(text)]; ok {
			out = append(out, id)
			continue
		}
		for _, c := range text {
			if id := t.bytePiece[c]; id >= 0 {
				out = append(out, id)
			} else if t.unk >= 0 {
				out = append(out, t.unk)
			}
		}
	}
	return out
}

func (t *Tokenizer) spmBigram(buf []byte, syms []symbol, h spmHeap, left, right int32) spmHeap {
	if left < 0 || right < 0 {
		return h
	}
	l, r := syms[left], syms[right]
	text := buf[l.start : l.start+l.n+r.n]
	id, ok := t.index[string(text)]
	if !ok {
		return h
	}
	return h.push(bigram{score: t.scores[id], left: left, right: right, size: l.n + r.n})
}

// spmHeap is a max-heap by score, then min by left.
type spmHeap []bigram

func (h spmHeap) less(i, j int) bool {
	return h[i].score > h[j].score || (h[i].score == h[j].score && h[i].left < h[j].left)
}

func (h spmHeap) push(b bigram) spmHeap {
	h = append(h, b)
	for i := len(h) - 1; i > 0; {
		p := (i - 1) / 2
		if !h.less(i, p) {
			break
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
	return h
}

func (h spmHeap) pop() (bigram, spmHeap) {
	top := h[0]
	n := len(h) - 1
	h[0] = h[n]
	h = h[:n]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < n && h.less(l, m) {
			m = l
		}
		if r < n && h.less(r, m) {
			m = r
		}
		if m == i {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	return top, h
}

// ---- byte-level BPE (gpt2) ----

// sanitize replaces each byte of invalid UTF-8 with U+FFFD.
func sanitize(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b.WriteString("\uFFFD")
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

func (t *Tokenizer) encodeBPE(s *session, frag string, out []int32) []int32 {
	frag = sanitize(frag)
	s.ends = t.split.split(frag, s.ends, s.ends2)
	start := 0
	for _, end := range s.ends {
		word := frag[start:end]
		start = end
		if len(word) > cacheWordMax || t.cache == nil {
			out = t.bpeWord(s, word, out)
			continue
		}
		if ids, ok := t.cache.get(word); ok {
			out = append(out, ids...)
			continue
		}
		n := len(out)
		out = t.bpeWord(s, word, out)
		t.cache.put(string([]byte(word)), append([]int32(nil), out[n:]...))
	}
	return out
}

func (t *Tokenizer) bpeWord(s *session, word string, out []int32) []int32 {
	if word == "" {
		return out
	}
	if t.ignoreMerges {
		buf := s.buf[:0]
		for i := 0; i < len(word); i++ {
			buf = utf8.AppendRune(buf, byteToRune[word[i]])
		}
		s.buf = buf
		if id, ok := t.index[string(buf)]; ok {
			return append(out, id)
		}
	}
	if len(word) == 1 {
		if id := t.byteSym[word[0]]; id >= 0 && int(id) < len(t.tokens) {
			return append(out, id)
		}
	}
	syms := s.syms[:0]
	n := int32(len(word))
	for i := int32(0); i < n; i++ {
		next := i + 1
		if next == n {
			next = -1
		}
		syms = append(syms, symbol{id: t.byteSym[word[i]], start: i, n: 1, prev: i - 1, next: next})
	}
	h := bpeHeap(s.heap[:0])
	for i := int32(1); i < n; i++ {
		h = t.bpeBigram(syms, h, i-1, i)
	}
	for len(h) > 0 {
		var b bigram
		b, h = h.pop()
		l, r := &syms[b.left], &syms[b.right]
		if l.n == 0 || r.n == 0 || l.id != b.lid || r.id != b.rid {
			continue
		}
		l.id = t.merges[uint64(uint32(b.lid))<<32|uint64(uint32(b.rid))].id
		l.n += r.n
		r.n = 0
		l.next = r.next
		if r.next >= 0 {
			syms[r.next].prev = b.left
		}
		h = t.bpeBigram(syms, h, l.prev, b.left)
		h = t.bpeBigram(syms, h, b.left, l.next)
	}
	s.heap = h
	s.syms = syms
	for i := int32(0); i != -1; i = syms[i].next {
		sym := syms[i]
		if sym.id >= 0 && int(sym.id) < len(t.tokens) {
			out = append(out, sym.id)
			continue
		}
		// Not a token: llama.cpp looks up each byte of the encoded text
		// on its own; only ASCII characters can match.
		for _, c := range []byte(word[sym.start : sym.start+sym.n]) {
			r := byteToRune[c]
			if r < utf8.RuneSelf {
				if id, ok := t.index[string(rune(r))]; ok {
					out = append(out, id)
				}
			}
		}
	}
	return out
}

func (t *Tokenizer) bpeBigram(syms []symbol, h bpeHeap, left, right int32) bpeHeap {
	if left < 0 || right < 0 {
		return h
	}
	lid, rid := syms[left].id, syms[right].id
	if lid < 0 || rid < 0 {
		return h
	}
	m, ok := t.merges[uint64(uint32(lid))<<32|uint64(uint32(rid))]
	if !ok {
		return h
	}
	return h.push(bigram{rank: m.rank, left: left, right: right, lid: lid, rid: rid})
}

// bpeHeap is a min-heap by rank, then by left.
type bpeHeap []bigram

func (h bpeHeap) less(i, j int) bool {
	return h[i].rank < h[j].rank || (h[i].rank == h[j].rank && h[i].left < h[j].left)
}

func (h bpeHeap) push(b bigram) bpeHeap {
	h = append(h, b)
	for i := len(h) - 1; i > 0; {
		p := (i - 1) / 2
		if !h.less(i, p) {
			break
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
	return h
}

func (h bpeHeap) pop() (bigram, bpeHeap) {
	top := h[0]
	n := len(h) - 1
	h[0] = h[n]
	h = h[:n]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < n && h.less(l, m) {
			m = l
		}
		if r < n && h.less(r, m) {
			m = r
		}
		if m == i {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	return top, h
}
