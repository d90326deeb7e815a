package tools

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/plait-ai/plait/llm"
)

// Set is a registry of tools by name, each with its schema compiled once.
// Its specs go into llm requests; a [Dispatcher] runs its tools. The zero
// value is an empty set ready to use. A Set is safe for concurrent use.
type Set struct {
	mu sync.RWMutex // serializes changes; guards order
	// entries maps names to tools. The table is never changed once
	// stored: a change stores a changed copy, so that a lookup (one
	// per call) takes no lock.
	entries atomic.Pointer[table]
	order   []string // registration order
}

// table is a Set's entries by name. A small set's names and entries are
// in arrays in the table itself too, which a lookup searches rather than
// hashing the name: finding a tool then reads the table and the name's
// bytes, not the map's header, a list and each entry on the way.
type table struct {
	m     map[string]*entry
	n     int // the number of entries in names and small; -1 for a set larger than smallSet
	names [smallSet]string
	small [smallSet]*entry
}

// smallSet is the number of tools up to which a lookup searches a list:
// comparing a few names costs less than hashing one.
const smallSet = 8

// storeTable makes m the set's entries; m is not changed afterwards.
func (s *Set) storeTable(m map[string]*entry) {
	t := &table{m: m, n: -1}
	if len(m) <= smallSet {
		t.n = 0
		for name, e := range m {
			t.names[t.n], t.small[t.n] = name, e
			t.n++
		}
	}
	s.entries.Store(t)
}

// table returns the current map of entries (nil for an empty set).
func (s *Set) table() map[string]*entry {
	if t := s.entries.Load(); t != nil {
		return t.m
	}
	return nil
}

type entry struct {
	tool Tool
	spec llm.ToolSpec
	val  *validator
	opts *options
	enc  func(any) (string, bool) // a fast encoder of outputs, or nil
	// calls counts the tool's calls, up to quickRunAway, and took is an
	// estimate of how long one takes, in nanoseconds: a moving
	// average that a slow call raises at once and quick calls bring
	// down again (see Dispatcher.Quick). A call that runs on a worker
	// counts the time its tool took there, not the hand-over.
	calls atomic.Int32
	took  atomic.Int64
	// waits is set once a call of the tool asked for its ctx's Done
	// channel: a tool that waits for something (a reply, a timer,
	// another call) keeps its calls on workers, where a timeout
	// abandons them (see quickAway).
	waits atomic.Bool
}

// quickRun is how many calls a tool whose calls run where they are made
// (see Dispatcher.RunsInline) must have made before it can be quick.
const quickRun = 4

// quickRunAway is how many calls a tool whose calls go to a worker must
// have made before it can be quick, and so run where its calls are made:
// more evidence, since its timeout then no longer abandons a call that
// ignores ctx.
const quickRunAway = 32

// provedQuick reports whether e has made n calls at least and its
// calls take less than quickCall.
func (e *entry) provedQuick(n int32) bool {
	return e.calls.Load() >= n && e.took.Load() < int64(quickCall)
}

// quickAway reports whether a call of e, a tool whose calls go to a
// worker (see Dispatcher.inline), runs on the caller's goroutine instead:
// the tool has proved quick, is not Isolated and has never waited on its
// ctx's Done channel.
func (e *entry) quickAway() bool {
	return !e.opts.isolated && !e.waits.Load() && e.provedQuick(quickRunAway)
}

// sawCall records what the ended attempt c of a call of e tells of the
// tool: whether it asked for its ctx's Done channel (see waits).
func (e *entry) sawCall(c *callCtx) {
	if c.doneAsked() && !e.waits.Load() {
		e.waits.Store(true)
	}
}

// observe records that a call of e took d.
func (e *entry) observe(d time.Duration) {
	// Calls of a tool that stays quick, or stays slow, read the
	// entry shared by every goroutine calling it, and do not write it:
	// the count stops at quickRunAway, and the estimate of a quick tool
	// is left alone once it is well under quickCall.
	if e.calls.Load() < quickRunAway {
		if e.calls.Add(1) == 1 {
			e.took.Store(int64(d))
			return
		}
	}
	old := e.took.Load()
	if d >= quickCall || old >= int64(quickCall/2) {
		// An eighth of the way to d: one call that waited for a
		// collection or was preempted leaves a quick tool quick; a
		// tool that is slow becomes not quick at once.
		e.took.Store(old + (int64(d)-old)/8)
	}
}

// NewSet returns a set of the given tools (see [Set.Add]).
func NewSet(tools ...Tool) (*Set, error) {
	s := &Set{}
	if err := s.Add(tools...); err != nil {
		return nil, err
	}
	return s, nil
}

// MustSet is like [NewSet] but panics on error.
func MustSet(tools ...Tool) *Set {
	s, err := NewSet(tools...)
	if err != nil {
		panic(err)
	}
	return s
}

// Add registers tools. It compiles each tool's schema (reusing the one
// [Func], [Raw] and [With] compiled) and fails, adding none of them, on a
// nil tool, an invalid name, a name already taken, or a schema that does
// not compile.
func (s *Set) Add(tools ...Tool) error {
	news := make([]*entry, 0, len(tools))
	seen := map[string]bool{}
	for _, t := range tools {
		if t == nil {
			return fmt.Errorf("tools: Add: a nil tool")
		}
		spec := t.Spec()
		if err := checkName(spec.Name); err != nil {
			return err
		}
		if seen[spec.Name] {
			return fmt.Errorf("tools: tool %q is given twice", spec.Name)
		}
		seen[spec.Name] = true
		e := &entry{tool: t, spec: spec, opts: &options{}}
		if c, ok := t.(configured); ok && c.toolOptions() != nil {
			e.opts = c.toolOptions()
		}
		if oe, ok := t.(outputEncoder); ok {
			e.enc = oe.outputEncoder()
		}
		if v, ok := t.(validated); ok && v.validator() != nil {
			e.val = v.validator()
		} else {
			val, err := compileSchema(spec.Name, spec.Parameters)
			if err != nil {
				return err
			}
			e.val = val
		}
		news = append(news, e)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.table()
	for _, e := range news {
		if _, ok := old[e.spec.Name]; ok {
			return fmt.Errorf("tools: a tool named %q is already registered", e.spec.Name)
		}
	}
	m := make(map[string]*entry, len(old)+len(news))
	maps.Copy(m, old)
	for _, e := range news {
		m[e.spec.Name] = e
		s.order = append(s.order, e.spec.Name)
	}
	s.storeTable(m)
	return nil
}

// Remove unregisters the named tools; unknown names are ignored.
func (s *Set) Remove(names ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := maps.Clone(s.table())
	for _, n := range names {
		delete(m, n)
	}
	s.storeTable(m)
	s.order = slices.DeleteFunc(s.order, func(n string) bool { return slices.Contains(names, n) })
}

func (s *Set) lookup(name string) *entry {
	if s == nil {
		return nil
	}
	t := s.entries.Load()
	if t == nil {
		return nil
	}
	if n := t.n; n >= 0 {
		for i, tn := range t.names[:n] {
			if tn == name {
				return t.small[i]
			}
		}
		return nil
	}
	return t.m[name]
}

// Tool returns the named tool.
func (s *Set) Tool(name string) (Tool, bool) {
	e := s.lookup(name)
	if e == nil {
		return nil, false
	}
	return e.tool, true
}

// Names returns the names of the tools in registration order.
func (s *Set) Names() []string {
	if s == nil {
		return nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.order)
}

// Len returns the number of tools.
func (s *Set) Len() int {
	if s == nil {
		return 0
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.order)
}

// Specs returns the specs of the named tools in the order given, or of
// every tool in registration order when no names are given: what goes into
// llm.Request.Tools. Names not in the set are skipped.
func (s *Set) Specs(names ...string) []llm.ToolSpec {
	if s == nil {
		return nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if len(names) == 0 {
		names = s.order
	}
	out := make([]llm.ToolSpec, 0, len(names))
	entries := s.table()
	for _, n := range names {
		if e := entries[n]; e != nil {
			out = append(out, e.spec)
		}
	}
	return out
}

// Select returns a new set of the named tools, sharing their compiled
// schemas: the tools of one request. An unknown name is an error that
// lists the tools that exist.
func (s *Set) Select(names ...string) (*Set, error) {
	out := &Set{}
	m := make(map[string]*entry, len(names))
	for _, n := range names {
		e := s.lookup(n)
		if e == nil {
			return nil, fmt.Errorf("%w %q; %s", ErrUnknownTool, n, s.available())
		}
		if _, dup := m[n]; dup {
			continue
		}
		m[n] = e
		out.order = append(out.order, n)
	}
	out.storeTable(m)
	return out, nil
}

// Validate checks args against the named tool's schema without running the
// tool. The error is a *ValidationError naming each field and what was
// wrong, or wraps ErrUnknownTool.
func (s *Set) Validate(name string, args json.RawMessage) error {
	e := s.lookup(name)
	if e == nil {
		return fmt.Errorf("%w %q; %s", ErrUnknownTool, name, s.available())
	}
	if len(args) == 0 {
		args = emptyObject
	}
	return e.val.validate(name, args)
}

// available lists the tools that exist, for a model that named another.
func (s *Set) available() string {
	names := s.Names()
	if len(names) == 0 {
		return "no tools are available"
	}
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return "the available tools are " + strings.Join(q, ", ")
}
