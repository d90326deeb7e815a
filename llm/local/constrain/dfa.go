package constrain

import (
	"crypto/sha256"
	"encoding/binary"
	"slices"
	"sync"
	"sync/atomic"
)

// The matcher runs the recursive state machine as a set of stacks (a
// nondeterministic pushdown automaton). Stacks are hash-consed into ids,
// a set of stacks (a configuration) is interned into a state id, and the
// transitions between configurations are memoized per byte class. The
// result is a lazily built deterministic automaton over configurations:
// after warm-up, one byte costs one table lookup, which is what makes the
// vocabulary trie walk fast. The table is shared by every matcher of a
// Grammar; reads are lock-free, misses take a mutex.

// ctxParent is the parent of a stack whose context is abstracted away
// (see table.project).
const ctxParent int32 = -2

const (
	stUnknown int32 = 0 // transition not computed yet
	stDead    int32 = 1 // no configuration: the byte is rejected
	stFirst   int32 = 2
)

// maxConfigs bounds the memoized configurations of one table; past it a
// fresh table is started (matchers on the old one migrate on their next miss).
var maxConfigs = 1 << 15

type stackNode struct {
	state  int32
	parent int32 // -1 at the bottom
	rem    int32 // min bytes to finish the whole stack
}

type config struct {
	stacks []int32 // stacks whose top can consume a byte, sorted
	done   bool    // the root rule can end here
	ctxPop bool    // a stack popped into an abstracted context
	rem    int32   // min bytes to finish
	next   []atomic.Int32
	top    atomic.Int32 // the projection (see project); 0 until computed
	loops  atomic.Pointer[[4]uint64]
	canon  atomic.Pointer[canonKey]
}

// canonKey identifies what a projected configuration accepts, whatever
// grammar it comes from: a hash of its stacks and of the part of the
// grammar reachable from them, numbered in the order they are reached.
// Equal keys mean equal behaviour (the hash covers every edge), so masks
// computed for one grammar serve every grammar that shares the piece (the
// JSON string, number and literal rules are built the same way in all).
type canonKey struct {
	ok bool
	h  [32]byte
}

// canonical returns the canonical key of configuration id: its stacks
// written as (rule hash, state index within the rule) frames; see
// program.computeRuleHashes.
func (t *table) canonical(id int32) canonKey {
	c := t.cfg(id)
	if k := c.canon.Load(); k != nil {
		return *k
	}
	p := t.p
	k := canonKey{ok: true}
	var buf []byte
	put := func(v int32) { buf = binary.LittleEndian.AppendUint32(buf, uint32(v)) }
	t.mu.Lock()
	put(int32(len(c.stacks)))
	for _, x := range c.stacks {
		for y := x; ; {
			n := t.stacks[y]
			r := p.st[n.state].rule
			if !p.rhashOK[r] {
				k.ok = false
			}
			buf = append(buf, p.rhash[r][:]...)
			put(p.local[n.state])
			if n.parent < 0 {
				put(n.parent)
				break
			}
			y = n.parent
		}
	}
	t.mu.Unlock()
	flags := int32(0)
	if c.done {
		flags |= 1
	}
	if c.ctxPop {
		flags |= 2
	}
	put(flags)
	if k.ok {
		k.h = sha256.Sum256(buf)
	}
	c.canon.Store(&k)
	return k
}

var noLoops = new([4]uint64)

// loopSet returns the bytes that lead from configuration id back to itself
// (nil when there are none), computing all its transitions the first time.
func (t *table) loopSet(id int32) *[4]uint64 {
	c := t.cfg(id)
	if ls := c.loops.Load(); ls != nil {
		if ls == noLoops {
			return nil
		}
		return ls
	}
	ls := new([4]uint64)
	any := false
	for b := 0; b < 256; b++ {
		if t.next(id, byte(b)) == id {
			ls[b>>6] |= 1 << (b & 63)
			any = true
		}
	}
	if !any {
		ls = noLoops
	}
	c.loops.Store(ls)
	if ls == noLoops {
		return nil
	}
	return ls
}

type table struct {
	id     uint64 // unique in the process
	p      *program
	mu     sync.Mutex
	states atomic.Pointer[[]*config]
	// guarded by mu
	stackIdx map[[2]int32]int32
	stacks   []stackNode
	cfgIdx   map[string]int32
	seen     []uint32 // closure's visited marks, by stack id
	epoch    uint32
	full     atomic.Bool
	startID  int32
}

var tableIDs atomic.Uint64

func newTable(p *program) *table {
	t := &table{id: tableIDs.Add(1), p: p, stackIdx: map[[2]int32]int32{}, cfgIdx: map[string]int32{}}
	init := []*config{nil, nil}
	t.states.Store(&init)
	t.startID = t.start()
	return t
}

func (t *table) cfg(id int32) *config {
	return (*t.states.Load())[id]
}

// stack interns (state, parent); mu held.
func (t *table) stack(state, parent int32) int32 {
	k := [2]int32{state, parent}
	if id, ok := t.stackIdx[k]; ok {
		return id
	}
	rem := t.p.dist[state]
	if parent >= 0 && rem < inf {
		rem += t.stacks[parent].rem
	}
	if rem > inf {
		rem = inf
	}
	id := int32(len(t.stacks))
	t.stacks = append(t.stacks, stackNode{state, parent, rem})
	t.stackIdx[k] = id
	return id
}

// closure follows epsilon, call and return moves from seeds and interns
// the resulting configuration; mu held. It returns stDead when nothing can
// consume a byte and the root cannot end.
func (t *table) closure(seeds []int32, projecting bool) int32 {
	p := t.p
	t.epoch++
	if t.epoch == 0 {
		clear(t.seen)
		t.epoch = 1
	}
	work := seeds
	var out []int32
	done, ctxPop := false, false
	rem := int32(inf)
	for len(work) > 0 {
		x := work[len(work)-1]
		work = work[:len(work)-1]
		if int(x) >= len(t.seen) {
			t.seen = append(t.seen, make([]uint32, int(x)+1-len(t.seen)+len(t.seen)/2)...)
		}
		if t.seen[x] == t.epoch {
			continue
		}
		t.seen[x] = t.epoch
		n := t.stacks[x]
		s := &p.st[n.state]
		if len(s.edges) > 0 {
			out = append(out, x)
			if n.rem < rem {
				rem = n.rem
			}
		}
		for _, e := range s.eps {
			work = append(work, t.stack(e, n.parent))
		}
		for _, c := range s.calls {
			work = append(work, t.stack(p.rules[c.rule].start, t.stack(c.ret, n.parent)))
		}
		if s.final {
			switch {
			case n.parent == ctxParent:
				ctxPop = ctxPop || !projecting
			case n.parent < 0:
				done = true
				rem = 0
			default:
				work = append(work, n.parent)
			}
		}
	}
	if len(out) == 0 && !done && !ctxPop {
		return stDead
	}
	slices.Sort(out)
	key := make([]byte, 1, 1+4*len(out))
	if done {
		key[0] = 1
	}
	if ctxPop {
		key[0] |= 2
	}
	for _, x := range out {
		key = binary.LittleEndian.AppendUint32(key, uint32(x))
	}
	if id, ok := t.cfgIdx[string(key)]; ok {
		return id
	}
	c := &config{stacks: out, done: done, ctxPop: ctxPop, rem: rem, next: make([]atomic.Int32, p.nclass)}
	sts := *t.states.Load()
	sts = append(sts, c)
	t.states.Store(&sts)
	id := int32(len(sts) - 1)
	t.cfgIdx[string(key)] = id
	if len(sts) >= maxConfigs {
		t.full.Store(true)
	}
	return id
}

// startState returns the configuration before any byte; mu not held.
func (t *table) start() int32 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.closure([]int32{t.stack(t.p.rules[t.p.root].start, -1)}, false)
}

// step computes the transition from configuration id on byte b; mu not held.
func (t *table) step(id int32, b byte) int32 {
	p := t.p
	cls := p.classes[b]
	t.mu.Lock()
	defer t.mu.Unlock()
	c := t.cfg(id)
	if n := c.next[cls].Load(); n != stUnknown {
		return n
	}
	var seeds []int32
	for _, x := range c.stacks {
		n := t.stacks[x]
		for _, e := range p.st[n.state].edges {
			if e.lo <= b && b <= e.hi {
				seeds = append(seeds, t.stack(e.to, n.parent))
			}
		}
	}
	n := stDead
	if len(seeds) > 0 {
		n = t.closure(seeds, false)
	}
	c.next[cls].Store(n)
	return n
}

// export returns the configuration's stacks as state paths (bottom first),
// so it can be re-interned into another table; mu not held.
func (t *table) export(id int32) (paths [][]int32, done bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	c := t.cfg(id)
	for _, x := range c.stacks {
		var path []int32
		for ; x >= 0; x = t.stacks[x].parent {
			path = append(path, t.stacks[x].state)
		}
		slices.Reverse(path)
		paths = append(paths, path)
	}
	return paths, c.done
}

// importConfig interns a configuration exported from another table of the
// same program; mu not held.
func (t *table) importConfig(paths [][]int32, done bool) int32 {
	t.mu.Lock()
	defer t.mu.Unlock()
	var seeds []int32
	for _, path := range paths {
		x := int32(-1)
		for _, s := range path {
			x = t.stack(s, x)
		}
		seeds = append(seeds, x)
	}
	if done {
		// A root-final stack: the root rule's end state at the bottom.
		seeds = append(seeds, t.stack(t.p.rules[t.p.root].end, -1))
	}
	return t.closure(seeds, false)
}

// project returns the configuration of the top frames of configuration id:
// every stack keeps its top frame (and the frames of leaf rules above it,
// such as one character) and loses what lies below (ctxParent), except
// stacks that reach the bottom, which have no context. Walking the vocabulary from the projection finds the tokens
// that are allowed whatever the context (those that never return past the
// top frame), and marks where a token would need the context: the
// configurations reached with ctxPop. Many configurations share one
// projection (every position of an unconstrained string, every integer...),
// so that walk is done once per projection and memoized; mu not held.
func (t *table) project(id int32) int32 {
	c := t.cfg(id)
	if p := c.top.Load(); p != 0 {
		return p
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if p := c.top.Load(); p != 0 {
		return p
	}
	var seeds []int32
	var frames []int32
	for _, x := range c.stacks {
		// Keep the top frames down to the first that is not a leaf rule's.
		frames = frames[:0]
		y := x
		for {
			n := t.stacks[y]
			frames = append(frames, n.state)
			y = n.parent
			if y < 0 || !t.p.rules[t.p.st[n.state].rule].leaf {
				break
			}
		}
		z := ctxParent
		if y < 0 {
			z = -1
		}
		for i := len(frames) - 1; i >= 0; i-- {
			z = t.stack(frames[i], z)
		}
		seeds = append(seeds, z)
	}
	p := stDead
	if len(seeds) > 0 {
		p = t.closure(seeds, true)
	}
	c.top.Store(p)
	return p
}
