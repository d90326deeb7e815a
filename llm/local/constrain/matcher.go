package constrain

import (
	"sync"
	"sync/atomic"
)

// Grammar is a compiled constraint over bytes: the set of byte strings that
// are valid outputs (for a schema, the compact or whitespace-bounded JSON
// encodings of the values the schema accepts). Build one with Compile,
// CompileSchema or CompileToolCalls.
//
// A Grammar is safe for concurrent use by many goroutines: each generation
// uses its own Matcher, and all matchers share the grammar's memoized
// automaton, which grows as new states are visited.
type Grammar struct {
	p   *program
	tab atomic.Pointer[table]
	mu  sync.Mutex // serializes table replacement
}

func newGrammar(p *program) *Grammar {
	g := &Grammar{p: p}
	t := newTable(p)
	g.tab.Store(t)
	return g
}

// NewMatcher returns a matcher at the start of the grammar.
func (g *Grammar) NewMatcher() *Matcher {
	t := g.tab.Load()
	m := &Matcher{g: g, t: t}
	m.Reset()
	return m
}

// Stats reports the size of the grammar: its states, its rules and the
// configurations memoized so far.
func (g *Grammar) Stats() (states, rules, configs int) {
	return len(g.p.st), len(g.p.rules), len(*g.tab.Load().states.Load()) - 2
}

// Matcher follows one output through a Grammar, byte by byte. Its state is
// a small value: Clone is cheap and a copy (m2 := *m) is a clone too.
//
// A Matcher is not safe for concurrent use; use one per generation (or
// Clone it). The zero Matcher is not usable: get one from NewMatcher.
type Matcher struct {
	g     *Grammar
	t     *table
	s     int32
	ended bool // EOS was accepted
}

// Reset puts the matcher back at the start of the grammar.
func (m *Matcher) Reset() {
	t := m.g.tab.Load()
	m.t = t
	m.s = t.startID
	m.ended = false
}

// Clone returns an independent copy of the matcher.
func (m *Matcher) Clone() *Matcher {
	c := *m
	return &c
}

// Grammar returns the grammar the matcher follows.
func (m *Matcher) Grammar() *Grammar { return m.g }

// next returns the configuration after byte b from configuration s of table
// t, computing it on a miss. It may move the matcher to a newer table when
// the old one is full, which is why it returns the table too.
func (m *Matcher) next(t *table, s int32, b byte) (*table, int32) {
	c := t.cfg(s)
	n := c.next[t.p.classes[b]].Load()
	if n != stUnknown {
		return t, n
	}
	if t.full.Load() {
		t, s = m.g.migrate(t, s)
	}
	return t, t.step(s, b)
}

// migrate re-interns configuration s of the full table t into the grammar's
// current table, starting a fresh one if the current one is full too.
func (g *Grammar) migrate(t *table, s int32) (*table, int32) {
	g.mu.Lock()
	cur := g.tab.Load()
	if cur.full.Load() {
		cur = newTable(g.p)
		g.tab.Store(cur)
	}
	g.mu.Unlock()
	if cur == t {
		return t, s
	}
	paths, done := t.export(s)
	return cur, cur.importConfig(paths, done)
}

// Accept advances the matcher over b and reports whether all of b was
// accepted. On rejection the matcher is left unchanged.
func (m *Matcher) Accept(b []byte) bool {
	if m.ended {
		return len(b) == 0
	}
	t, s, ok := m.run(b)
	if ok {
		m.t, m.s = t, s
	}
	return ok
}

// CanAccept reports whether Accept(b) would succeed, without advancing.
func (m *Matcher) CanAccept(b []byte) bool {
	if m.ended {
		return len(b) == 0
	}
	_, _, ok := m.run(b)
	return ok
}

// run follows b from the matcher's state: memoized transitions in a tight
// loop, the slow path on a miss.
func (m *Matcher) run(b []byte) (*table, int32, bool) {
	t, s := m.t, m.s
	cfgs := *t.states.Load()
	classes := &t.p.classes
	for _, c := range b {
		n := cfgs[s].next[classes[c]].Load()
		if n == stUnknown {
			t, n = m.next(t, s, c)
			cfgs = *t.states.Load()
			classes = &t.p.classes
		}
		if n == stDead {
			return nil, 0, false
		}
		if int(n) >= len(cfgs) {
			cfgs = *t.states.Load()
		}
		s = n
	}
	return t, s, true
}

// Done reports whether the bytes so far form a complete output, so that
// end-of-sequence is allowed. More bytes may still be allowed too (after
// the number 12, a 3 may follow); use Exhausted to know whether anything
// but the end can follow.
func (m *Matcher) Done() bool { return m.ended || m.t.cfg(m.s).done }

// Exhausted reports whether no further byte can be accepted.
func (m *Matcher) Exhausted() bool { return m.ended || len(m.t.cfg(m.s).stacks) == 0 }

// Remaining returns the fewest bytes that complete a valid output from
// here (0 when Done). A caller that must bound the length of an output can
// steer toward completion by preferring tokens that lower Remaining once a
// budget is spent; see Vocab.FillFinishing.
func (m *Matcher) Remaining() int {
	if m.ended {
		return 0
	}
	return int(m.t.cfg(m.s).rem)
}

// AcceptEOS marks the end of the output; it succeeds only when Done. After
// it, only empty input is accepted.
func (m *Matcher) AcceptEOS() bool {
	if !m.Done() {
		return false
	}
	m.ended = true
	return true
}

// Ended reports whether AcceptEOS succeeded.
func (m *Matcher) Ended() bool { return m.ended }
