package constrain

import (
	"bytes"
	"math"
	"slices"
	"sync"
)

// Vocab is a model vocabulary prepared for masking: the tokens' bytes in a
// trie laid out in depth-first order, so that the allowed tokens are found
// by walking the trie once from the matcher's state, skipping a whole
// subtree as soon as its prefix is rejected. Masks are also memoized per
// grammar state (a small bounded cache), since generation often stays in
// one state for many tokens (inside a string).
//
// A Vocab is independent of any grammar and safe for concurrent use.
type Vocab struct {
	n     int
	tok   [][]byte
	eos   []int32
	isEOS []bool
	nodes []tnode
	multi [][]int32 // tokens of nodes with several (equal byte strings)
	maxD  int
	// sub[i] is the set of bytes in the subtree of node i; tokLo[i] the
	// index in dfsTok of its first token (tokens listed in node order), so
	// a subtree's tokens are dfsTok[tokLo[i]:tokLo[skip[i]]].
	sub    [][4]uint64
	tokLo  []int32
	dfsTok []int32

	mu       sync.Mutex
	cache    map[maskKey][]uint64
	ci       map[ciKey]*ciEntry
	cacheMax int
	ciMax    int
}

// ciEntry is the walk from a projected configuration: the tokens allowed
// whatever the context, and the trie nodes below which the context decides.
type ciEntry struct {
	mask []uint64
	pops []int32
}

// tnode is a trie node in depth-first order.
type tnode struct {
	label byte
	depth uint16 // 1 for children of the root
	skip  int32  // index of the next node outside this subtree
	tok   int32  // the token ending here; -1 none; <= -2: multi[-2-tok]
	first int32  // a token in this subtree (its bytes start with the path)
}

// maskKey names a state of a table by the table's id, not a pointer, so
// that cached masks do not keep dead grammars alive.
type maskKey struct {
	t uint64
	s int32
}

// ciKey is a canonical key, or a table and state when there is none.
type ciKey struct {
	maskKey
	h [32]byte
}

// maxTokenLen bounds the bytes of one token in the trie; longer tokens are
// never allowed.
const maxTokenLen = 1 << 12

// defaultCacheBytes bounds the memory of memoized masks.
const defaultCacheBytes = 16 << 20

// NewVocab prepares a vocabulary. tokens[i] is the byte string token i
// decodes to (for byte-level BPE, after mapping through the GPT-2 byte
// table; for SentencePiece, with ▁ turned into a space and <0xNN> into the
// byte). Give control tokens (BOS, chat markers...) an empty byte string:
// tokens with no bytes are never allowed. eos lists the end-of-sequence
// tokens, allowed exactly when the matcher is Done.
func NewVocab(tokens [][]byte, eos []int32) *Vocab {
	v := &Vocab{n: len(tokens), tok: make([][]byte, len(tokens)), isEOS: make([]bool, len(tokens))}
	for _, e := range eos {
		if e >= 0 && int(e) < len(tokens) && !v.isEOS[e] {
			v.isEOS[e] = true
			v.eos = append(v.eos, e)
		}
	}
	total := 0
	for _, t := range tokens {
		total += len(t)
	}
	arena := make([]byte, 0, total) // one block: fewer cache misses
	var ids []int32
	for i, t := range tokens {
		arena = append(arena, t...)
		v.tok[i] = arena[len(arena)-len(t) : len(arena) : len(arena)]
		if len(t) == 0 || len(t) > maxTokenLen || v.isEOS[i] {
			continue
		}
		ids = append(ids, int32(i))
	}
	slices.SortStableFunc(ids, func(a, b int32) int { return bytes.Compare(v.tok[a], v.tok[b]) })
	var path []int32 // node index per depth-1
	var prev []byte
	closeTo := func(d int) {
		for len(path) > d {
			v.nodes[path[len(path)-1]].skip = int32(len(v.nodes))
			path = path[:len(path)-1]
		}
	}
	for _, id := range ids {
		t := v.tok[id]
		cp := 0
		for cp < len(prev) && cp < len(t) && prev[cp] == t[cp] {
			cp++
		}
		closeTo(cp)
		for d := cp; d < len(t); d++ {
			v.nodes = append(v.nodes, tnode{label: t[d], depth: uint16(d + 1), tok: -1, first: id})
			path = append(path, int32(len(v.nodes)-1))
		}
		nd := &v.nodes[path[len(path)-1]]
		switch {
		case nd.tok == -1:
			nd.tok = id
		case nd.tok >= 0:
			v.multi = append(v.multi, []int32{nd.tok, id})
			nd.tok = int32(-2 - (len(v.multi) - 1))
		default:
			k := -2 - nd.tok
			v.multi[k] = append(v.multi[k], id)
		}
		v.maxD = max(v.maxD, len(t))
		prev = t
	}
	closeTo(0)
	v.indexSubtrees()
	words := (v.n + 63) / 64
	v.cacheMax = max(4, defaultCacheBytes/(8*max(words, 1)))
	v.ciMax = v.cacheMax
	return v
}

// indexSubtrees fills sub, tokLo and dfsTok.
func (v *Vocab) indexSubtrees() {
	n := len(v.nodes)
	v.sub = make([][4]uint64, n)
	v.tokLo = make([]int32, n+1)
	parent := make([]int32, n)
	var path []int32
	for i := range v.nodes {
		nd := &v.nodes[i]
		path = path[:nd.depth-1]
		parent[i] = -1
		if len(path) > 0 {
			parent[i] = path[len(path)-1]
		}
		path = append(path, int32(i))
		v.tokLo[i] = int32(len(v.dfsTok))
		switch {
		case nd.tok >= 0:
			v.dfsTok = append(v.dfsTok, nd.tok)
		case nd.tok <= -2:
			v.dfsTok = append(v.dfsTok, v.multi[-2-nd.tok]...)
		}
	}
	v.tokLo[n] = int32(len(v.dfsTok))
	for i := n - 1; i >= 0; i-- {
		l := v.nodes[i].label
		v.sub[i][l>>6] |= 1 << (l & 63)
		if p := parent[i]; p >= 0 {
			for k := range 4 {
				v.sub[p][k] |= v.sub[i][k]
			}
		}
	}
}

// Len returns the number of tokens.
func (v *Vocab) Len() int { return v.n }

// MaskWords returns the length of a mask for this vocabulary in uint64s.
func (v *Vocab) MaskWords() int { return (v.n + 63) / 64 }

// TokenBytes returns the bytes of token id (nil when out of range). The
// slice must not be modified.
func (v *Vocab) TokenBytes(id int32) []byte {
	if id < 0 || int(id) >= v.n {
		return nil
	}
	return v.tok[id]
}

// SetCacheSize sets how many full masks (per grammar state) and how many
// context-independent masks (per projected state, see Fill) are memoized;
// 0 disables a cache. Call it before the Vocab is shared.
func (v *Vocab) SetCacheSize(masks, projections int) {
	v.mu.Lock()
	v.cacheMax = masks
	v.ciMax = projections
	v.cache = nil
	v.ci = nil
	v.mu.Unlock()
}

// Allowed reports whether token tok may follow in the matcher's state: the
// cheap check for the sampled token, to do before building a full mask.
func (v *Vocab) Allowed(m *Matcher, tok int32) bool {
	if tok < 0 || int(tok) >= v.n {
		return false
	}
	if v.isEOS[tok] {
		return m.Done()
	}
	t := v.tok[tok]
	if len(t) == 0 || len(t) > maxTokenLen {
		return false
	}
	return m.CanAccept(t)
}

// Advance moves the matcher over token tok; it reports false, leaving the
// matcher unchanged, when the token is not allowed. An EOS token is
// accepted only when the matcher is Done.
func (v *Vocab) Advance(m *Matcher, tok int32) bool {
	if tok < 0 || int(tok) >= v.n {
		return false
	}
	if v.isEOS[tok] {
		return m.AcceptEOS()
	}
	t := v.tok[tok]
	if len(t) == 0 || len(t) > maxTokenLen {
		return false
	}
	return m.Accept(t)
}

// Fill writes into mask the bitset of the tokens allowed in the matcher's
// state (bit i%64 of word i/64 for token i), EOS included exactly when the
// matcher is Done, and returns it. mask is reused when it has room for
// MaskWords words, else a new one is allocated.
func (v *Vocab) Fill(m *Matcher, mask []uint64) []uint64 {
	mask = v.prepare(mask)
	if m.ended {
		v.setEOS(mask)
		return mask
	}
	key := maskKey{m.t.id, m.s}
	if v.cacheMax > 0 {
		v.mu.Lock()
		if c, ok := v.cache[key]; ok {
			copy(mask, c)
			v.mu.Unlock()
			return mask
		}
		v.mu.Unlock()
	}
	v.fillFrom(m.t, m.s, mask)
	if m.t.cfg(m.s).done {
		v.setEOS(mask)
	}
	if v.cacheMax > 0 {
		v.mu.Lock()
		if v.cache == nil {
			v.cache = map[maskKey][]uint64{}
		}
		if len(v.cache) >= v.cacheMax {
			for k := range v.cache { // evict an arbitrary entry
				delete(v.cache, k)
				break
			}
		}
		v.cache[key] = slices.Clone(mask)
		v.mu.Unlock()
	}
	return mask
}

// FillFinishing is Fill restricted to the tokens that bring the output
// closer to completion (lower Matcher.Remaining), plus EOS when Done. A
// caller whose token budget is nearly spent samples from this mask to end
// the output validly; with a vocabulary that has a token for every single
// byte (byte-level BPE, SentencePiece byte fallback) it is never empty, and
// Remaining bytes of such tokens always suffice.
func (v *Vocab) FillFinishing(m *Matcher, mask []uint64) []uint64 {
	mask = v.prepare(mask)
	if m.Done() {
		v.setEOS(mask)
		return mask
	}
	v.walk(m.t, m.s, mask, m.t.cfg(m.s).rem)
	return mask
}

func (v *Vocab) prepare(mask []uint64) []uint64 {
	w := v.MaskWords()
	if cap(mask) < w {
		mask = make([]uint64, w)
	}
	mask = mask[:w]
	clear(mask)
	return mask
}

func (v *Vocab) setEOS(mask []uint64) {
	for _, e := range v.eos {
		mask[e>>6] |= 1 << (uint(e) & 63)
	}
}

// fillFrom marks the tokens allowed from configuration s: the tokens its
// projection allows whatever the context, plus, below each trie node where
// the projection needed the context, a walk from s itself.
func (v *Vocab) fillFrom(t *table, s int32, mask []uint64) {
	top := t.project(s)
	if top == stDead {
		return
	}
	e := v.ciEntry(t, top)
	copy(mask, e.mask)
	if len(e.pops) == 0 {
		return
	}
	stack := make([]int32, v.maxD+1)
	for _, i := range e.pops {
		nd := &v.nodes[i]
		path := v.tok[nd.first][:nd.depth-1]
		cur, ok := s, true
		for _, c := range path {
			cur = t.next(cur, c)
			if cur == stDead {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		stack[nd.depth-1] = cur
		v.walkRange(t, stack, mask, int(i), int(nd.skip), -1, nil)
	}
}

// ciEntry returns (computing and memoizing) the walk from projection top.
func (v *Vocab) ciEntry(t *table, top int32) *ciEntry {
	var key ciKey
	if v.ciMax > 0 {
		if ck := t.canonical(top); ck.ok {
			key.h = ck.h
		} else {
			key.maskKey = maskKey{t.id, top}
		}
		v.mu.Lock()
		e, ok := v.ci[key]
		v.mu.Unlock()
		if ok {
			return e
		}
	}
	e := &ciEntry{mask: make([]uint64, v.MaskWords())}
	stack := make([]int32, v.maxD+1)
	stack[0] = top
	v.walkRange(t, stack, e.mask, 0, len(v.nodes), -1, &e.pops)
	if v.ciMax > 0 {
		v.mu.Lock()
		if v.ci == nil {
			v.ci = map[ciKey]*ciEntry{}
		}
		if len(v.ci) >= v.ciMax {
			for k := range v.ci {
				delete(v.ci, k)
				break
			}
		}
		v.ci[key] = e
		v.mu.Unlock()
	}
	return e
}

// next is the memoized transition (computed on a miss).
func (t *table) next(s int32, b byte) int32 {
	n := t.cfg(s).next[t.p.classes[b]].Load()
	if n == stUnknown {
		n = t.step(s, b)
	}
	return n
}

// walk marks the tokens reachable from configuration s of table t. With
// below >= 0, only tokens whose end state needs fewer than below bytes to
// finish are marked.
func (v *Vocab) walk(t *table, s int32, mask []uint64, below int32) {
	stack := make([]int32, v.maxD+1)
	stack[0] = s
	v.walkRange(t, stack, mask, 0, len(v.nodes), below, nil)
}

// walkRange walks trie nodes [from, to) (a subtree or the whole trie), the
// state before each node at stack[depth-1]. It marks the tokens whose walk
// survives; with pops non-nil it also records the outermost nodes reached
// in a configuration that needs the context.
func (v *Vocab) walkRange(t *table, stack []int32, mask []uint64, from, to int, below int32, pops *[]int32) {
	classes := &t.p.classes
	cfgs := *t.states.Load()
	nodes := v.nodes
	popEnd := 0
	loopID, loop := stDead, (*[4]uint64)(nil)
	for i := from; i < to; {
		nd := &nodes[i]
		cur := stack[nd.depth-1]
		n := cfgs[cur].next[classes[nd.label]].Load()
		if n == stUnknown {
			n = t.step(cur, nd.label)
		}
		if n == stDead {
			i = int(nd.skip)
			continue
		}
		if int(n) >= len(cfgs) {
			cfgs = *t.states.Load()
		}
		if n == cur && int(nd.skip) > i+1 {
			// The byte loops on this state (inside a string, say): when
			// every byte below loops too, the whole subtree is allowed.
			if c := cfgs[n]; !c.ctxPop && (below < 0 || c.rem < below) {
				if n != loopID {
					loopID, loop = n, t.loopSet(n)
					cfgs = *t.states.Load()
				}
				s := &v.sub[i]
				if loop != nil && s[0]&^loop[0]|s[1]&^loop[1]|s[2]&^loop[2]|s[3]&^loop[3] == 0 {
					for _, id := range v.dfsTok[v.tokLo[i]:v.tokLo[nd.skip]] {
						mask[id>>6] |= 1 << (uint(id) & 63)
					}
					i = int(nd.skip)
					continue
				}
			}
		}
		if pops != nil && i >= popEnd && int(nd.skip) > i+1 && cfgs[n].ctxPop {
			*pops = append(*pops, int32(i))
			popEnd = int(nd.skip)
		}
		stack[nd.depth] = n
		if nd.tok != -1 && (below < 0 || cfgs[n].rem < below) {
			if nd.tok >= 0 {
				mask[nd.tok>>6] |= 1 << (uint(nd.tok) & 63)
			} else {
				for _, id := range v.multi[-2-nd.tok] {
					mask[id>>6] |= 1 << (uint(id) & 63)
				}
			}
		}
		i++
	}
}

// ApplyMask sets the logits of the tokens the mask does not allow to
// negative infinity (logits[i] for token i; extra logits beyond the mask
// are masked too), so that any sampler then picks an allowed token.
func ApplyMask(logits []float32, mask []uint64) {
	negInf := float32(math.Inf(-1))
	for i := range logits {
		w := i >> 6
		if w >= len(mask) || mask[w]>>(uint(i)&63)&1 == 0 {
			logits[i] = negInf
		}
	}
}
