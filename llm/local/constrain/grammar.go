package constrain

import (
	"container/heap"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"strings"
)

// The grammar is a recursive state machine over bytes: a set of rules, each
// a nondeterministic automaton whose states have byte-range edges, epsilon
// edges and call edges (enter another rule, resume at a return state when
// it ends). A rule ends in its one final state. Schemas compile into such
// rules; $ref targets and shared pieces (strings, characters, array items)
// become rules that are called, so recursion and repetition stay small.

// bedge is a transition on any byte in [lo, hi].
type bedge struct {
	lo, hi byte
	to     int32
}

// gcall enters rule and resumes at ret when that rule reaches its end.
type gcall struct {
	rule int32
	ret  int32
}

type gstate struct {
	edges []bedge
	eps   []int32
	calls []gcall
	final bool // the end state of its rule
	rule  int32
}

type grule struct {
	start, end int32
	name       string
	leaf       bool // a small helper rule (one character, whitespace)
}

// frag is a piece of automaton with one entry and one exit state. Each frag
// is used exactly once: build a fresh one for every use.
type frag struct{ s, e int32 }

// maxStates bounds the size of a compiled grammar.
const maxStates = 4 << 20

var errTooLarge = fmt.Errorf("constrain: %w: grammar too large; lower maxLength/maxItems or integer ranges in the schema", ErrUnsupported)

type builder struct {
	st    []gstate
	rules []grule
	cur   int32 // rule being built, for state ownership
	err   error
	memo  map[string]int32 // shared rules by key
}

func newBuilder() *builder {
	return &builder{memo: map[string]int32{}}
}

func (b *builder) state() int32 {
	if len(b.st) >= maxStates {
		if b.err == nil {
			b.err = errTooLarge
		}
		// Keep returning a valid index so construction can unwind.
		return 0
	}
	b.st = append(b.st, gstate{rule: b.cur})
	return int32(len(b.st) - 1)
}

func (b *builder) eps(from, to int32) { b.st[from].eps = append(b.st[from].eps, to) }

func (b *builder) edge(from int32, lo, hi byte, to int32) {
	b.st[from].edges = append(b.st[from].edges, bedge{lo, hi, to})
}

// empty matches the empty string.
func (b *builder) empty() frag {
	s, e := b.state(), b.state()
	b.eps(s, e)
	return frag{s, e}
}

// never matches nothing.
func (b *builder) never() frag { return frag{b.state(), b.state()} }

func (b *builder) byteRange(lo, hi byte) frag {
	s, e := b.state(), b.state()
	b.edge(s, lo, hi, e)
	return frag{s, e}
}

// ranges matches one byte in any of the ranges (pairs lo, hi).
func (b *builder) ranges(rs ...byte) frag {
	s, e := b.state(), b.state()
	for i := 0; i+1 < len(rs); i += 2 {
		b.edge(s, rs[i], rs[i+1], e)
	}
	return frag{s, e}
}

func (b *builder) lit(str string) frag {
	s := b.state()
	cur := s
	for i := 0; i < len(str); i++ {
		n := b.state()
		b.edge(cur, str[i], str[i], n)
		cur = n
	}
	return frag{s, cur}
}

func (b *builder) seq(fs ...frag) frag {
	if len(fs) == 0 {
		return b.empty()
	}
	for i := 1; i < len(fs); i++ {
		b.eps(fs[i-1].e, fs[i].s)
	}
	return frag{fs[0].s, fs[len(fs)-1].e}
}

func (b *builder) alt(fs ...frag) frag {
	if len(fs) == 1 {
		return fs[0]
	}
	s, e := b.state(), b.state()
	for _, f := range fs {
		b.eps(s, f.s)
		b.eps(f.e, e)
	}
	return frag{s, e}
}

func (b *builder) opt(f frag) frag {
	s, e := b.state(), b.state()
	b.eps(s, f.s)
	b.eps(f.e, e)
	b.eps(s, e)
	return frag{s, e}
}

func (b *builder) star(f frag) frag {
	s, e := b.state(), b.state()
	b.eps(s, f.s)
	b.eps(s, e)
	b.eps(f.e, f.s)
	b.eps(f.e, e)
	return frag{s, e}
}

// repeat matches between lo and hi copies (hi < 0: unbounded) of the frags
// that gen returns; gen is called once per copy needed.
func (b *builder) repeat(gen func() frag, lo, hi int) frag {
	var parts []frag
	for i := 0; i < lo; i++ {
		parts = append(parts, gen())
		if b.err != nil {
			return b.never()
		}
	}
	switch {
	case hi < 0:
		parts = append(parts, b.star(gen()))
	case hi > lo:
		// Nested optionals: (x (x (x)?)?)?
		tail := b.opt(gen())
		for i := lo + 1; i < hi; i++ {
			tail = b.opt(b.seq(gen(), tail))
			if b.err != nil {
				return b.never()
			}
		}
		parts = append(parts, tail)
	}
	return b.seq(parts...)
}

// newRule declares a rule; define gives it a body. Calls may be built
// before the body exists (recursion).
func (b *builder) newRule(name string) int32 {
	id := int32(len(b.rules))
	b.rules = append(b.rules, grule{name: name})
	prev := b.cur
	b.cur = id
	r := &b.rules[id]
	r.start = b.state()
	r.end = b.state()
	b.st[r.end].final = true
	b.cur = prev
	return id
}

func (b *builder) define(rule int32, f frag) {
	r := b.rules[rule]
	b.eps(r.start, f.s)
	b.eps(f.e, r.end)
}

func (b *builder) call(rule int32) frag {
	s, e := b.state(), b.state()
	b.st[s].calls = append(b.st[s].calls, gcall{rule, e})
	return frag{s, e}
}

// shared returns the rule registered under key, building it with body the
// first time.
func (b *builder) shared(key string, body func() frag) int32 {
	if r, ok := b.memo[key]; ok {
		return r
	}
	r := b.newRule(key)
	b.memo[key] = r
	b.rules[r].leaf = strings.HasPrefix(key, "char:") || strings.HasPrefix(key, "rawchar:") || key == "ws"
	prev := b.cur
	b.cur = r
	f := body()
	b.cur = prev
	b.define(r, f)
	return r
}

// program is the finished, trimmed grammar.
type program struct {
	st      []gstate
	rules   []grule
	root    int32
	dist    []int32 // min bytes from a state to its rule's end; inf if none
	classes [256]uint8
	nclass  int
	rep     []byte     // a representative byte per class
	local   []int32    // index of each state among its rule's states
	rhash   [][32]byte // structural hash of each rule (see computeRuleHashes)
	rhashOK []bool
}

const inf = math.MaxInt32 / 4

// finish validates and trims the grammar rooted at rule root.
func (b *builder) finish(root int32) (*program, error) {
	if b.err != nil {
		return nil, b.err
	}
	p := &program{st: b.st, rules: b.rules, root: root}
	p.computeDist()
	if p.dist[p.rules[root].start] >= inf {
		return nil, fmt.Errorf("constrain: %w: no finite instance (unsatisfiable, or recursion that never ends)", ErrUnsatisfiable)
	}
	p.trim()
	if err := p.checkLeftRecursion(); err != nil {
		return nil, err
	}
	p.computeClasses()
	p.computeRuleHashes()
	return p, nil
}

// computeRuleHashes gives every rule that is not recursive a hash of its
// structure: its states in creation order with their edges, and the hashes
// of the rules it calls. Rules built by the same code (the JSON string,
// number, character rules...) hash alike in every grammar, which lets
// masks computed for one grammar serve others (see table.canonical).
func (p *program) computeRuleHashes() {
	nr := len(p.rules)
	p.local = make([]int32, len(p.st))
	members := make([][]int32, nr)
	for i := range p.st {
		r := p.st[i].rule
		p.local[i] = int32(len(members[r]))
		members[r] = append(members[r], int32(i))
	}
	p.rhash = make([][32]byte, nr)
	p.rhashOK = make([]bool, nr)
	mark := make([]uint8, nr) // 0 new, 1 in progress, 2 done
	var visit func(r int32) bool
	visit = func(r int32) bool {
		switch mark[r] {
		case 1:
			return false // recursion: no hash
		case 2:
			return p.rhashOK[r]
		}
		mark[r] = 1
		ok := true
		var buf []byte
		put := func(v int32) { buf = binary.LittleEndian.AppendUint32(buf, uint32(v)) }
		same := func(s int32) int32 {
			if p.st[s].rule != r {
				ok = false
			}
			return p.local[s]
		}
		put(int32(len(members[r])))
		put(same(p.rules[r].start))
		put(same(p.rules[r].end))
		for _, s := range members[r] {
			st := &p.st[s]
			if st.final {
				put(1)
			} else {
				put(0)
			}
			put(int32(len(st.edges)))
			for _, e := range st.edges {
				put(int32(e.lo) | int32(e.hi)<<8)
				put(same(e.to))
			}
			put(int32(len(st.eps)))
			for _, e := range st.eps {
				put(same(e))
			}
			put(int32(len(st.calls)))
			for _, c := range st.calls {
				if !visit(c.rule) {
					ok = false
				}
				buf = append(buf, p.rhash[c.rule][:]...)
				put(same(c.ret))
			}
		}
		mark[r] = 2
		if ok {
			p.rhash[r] = sha256.Sum256(buf)
			p.rhashOK[r] = true
		}
		return ok
	}
	for r := range p.rules {
		visit(int32(r))
	}
}

// computeDist computes, for every state, the fewest bytes that lead to its
// rule's end (Knuth's generalization of Dijkstra to call edges).
func (p *program) computeDist() {
	n := len(p.st)
	dist := make([]int32, n)
	for i := range dist {
		dist[i] = inf
	}
	type pred struct {
		from int32
		w    int32
	}
	rev := make([][]pred, n)
	type cpred struct{ from, other int32 } // call at from; other is the other dependency
	retPred := make([][]cpred, n)          // keyed by return state; other = rule start
	startPred := make([][]cpred, n)        // keyed by rule start; other = return state
	for i := range p.st {
		s := &p.st[i]
		for _, e := range s.eps {
			rev[e] = append(rev[e], pred{int32(i), 0})
		}
		for _, e := range s.edges {
			rev[e.to] = append(rev[e.to], pred{int32(i), 1})
		}
		for _, c := range s.calls {
			st := p.rules[c.rule].start
			retPred[c.ret] = append(retPred[c.ret], cpred{int32(i), st})
			startPred[st] = append(startPred[st], cpred{int32(i), c.ret})
		}
	}
	done := make([]bool, n)
	h := &distHeap{}
	for i := range p.st {
		if p.st[i].final {
			dist[i] = 0
			heap.Push(h, distItem{int32(i), 0})
		}
	}
	for h.Len() > 0 {
		it := heap.Pop(h).(distItem)
		if done[it.s] || it.d != dist[it.s] {
			continue
		}
		done[it.s] = true
		relax := func(from int32, d int32) {
			if d < dist[from] {
				dist[from] = d
				heap.Push(h, distItem{from, d})
			}
		}
		for _, pr := range rev[it.s] {
			relax(pr.from, it.d+pr.w)
		}
		for _, cp := range retPred[it.s] { // it.s is a return state
			if done[cp.other] {
				relax(cp.from, it.d+dist[cp.other])
			}
		}
		for _, cp := range startPred[it.s] { // it.s is a rule start
			if done[cp.other] {
				relax(cp.from, it.d+dist[cp.other])
			}
		}
	}
	p.dist = dist
}

type distItem struct {
	s, d int32
}
type distHeap []distItem

func (h distHeap) Len() int           { return len(h) }
func (h distHeap) Less(i, j int) bool { return h[i].d < h[j].d }
func (h distHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *distHeap) Push(x any)        { *h = append(*h, x.(distItem)) }
func (h *distHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// trim removes every edge into a state from which the rule's end cannot be
// reached, so that every prefix the matcher accepts can still be completed.
func (p *program) trim() {
	ok := func(s int32) bool { return p.dist[s] < inf }
	for i := range p.st {
		s := &p.st[i]
		eps := s.eps[:0]
		for _, e := range s.eps {
			if ok(e) {
				eps = append(eps, e)
			}
		}
		s.eps = eps
		edges := s.edges[:0]
		for _, e := range s.edges {
			if ok(e.to) {
				edges = append(edges, e)
			}
		}
		s.edges = edges
		calls := s.calls[:0]
		for _, c := range s.calls {
			if ok(c.ret) && ok(p.rules[c.rule].start) {
				calls = append(calls, c)
			}
		}
		s.calls = calls
	}
}

// checkLeftRecursion rejects grammars where a rule can re-enter itself
// without consuming a byte; the matcher's closure would not terminate.
func (p *program) checkLeftRecursion() error {
	// nullable rules: dist[start] == 0.
	nr := len(p.rules)
	left := make([][]int32, nr)
	for r := range p.rules {
		seen := map[int32]bool{}
		stack := []int32{p.rules[r].start}
		for len(stack) > 0 {
			s := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if seen[s] {
				continue
			}
			seen[s] = true
			st := &p.st[s]
			stack = append(stack, st.eps...)
			for _, c := range st.calls {
				left[r] = append(left[r], c.rule)
				if p.dist[p.rules[c.rule].start] == 0 {
					stack = append(stack, c.ret)
				}
			}
		}
	}
	color := make([]uint8, nr)
	var visit func(r int32) error
	visit = func(r int32) error {
		color[r] = 1
		for _, c := range left[r] {
			switch color[c] {
			case 1:
				return fmt.Errorf("constrain: %w: left recursion at %q (a $ref that reaches itself without any JSON in between); restructure the schema", ErrUnsupported, p.rules[c].name)
			case 0:
				if err := visit(c); err != nil {
					return err
				}
			}
		}
		color[r] = 2
		return nil
	}
	for r := range p.rules {
		if color[r] == 0 {
			if err := visit(int32(r)); err != nil {
				return err
			}
		}
	}
	return nil
}

// computeClasses partitions bytes into classes that every edge treats alike.
func (p *program) computeClasses() {
	var cut [257]bool
	cut[0] = true
	for i := range p.st {
		for _, e := range p.st[i].edges {
			cut[e.lo] = true
			cut[int(e.hi)+1] = true
		}
	}
	c := -1
	p.rep = p.rep[:0]
	for b := 0; b < 256; b++ {
		if cut[b] {
			c++
			p.rep = append(p.rep, byte(b))
		}
		p.classes[b] = uint8(c)
	}
	p.nclass = c + 1
}
