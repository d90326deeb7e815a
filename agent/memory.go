package agent

import (
	"context"
	"strings"
	"sync"

	"github.com/plait-ai/plait/llm"
)

// Memory is an agent's memory. The zero value gives each run a fresh
// in-process scratchpad and keeps no conversation history.
type Memory struct {
	// Scratchpad makes the scratchpad of a run; nil uses a built-in one.
	Scratchpad func() Scratchpad
	// History keeps conversations across runs; nil keeps none. A run
	// takes part in a conversation when its context carries an id
	// (WithConversation).
	History History
}

// EntryKind says what a scratchpad entry records.
type EntryKind string

// The kinds of scratchpad entry.
const (
	EntryPlan        EntryKind = "plan"
	EntryThought     EntryKind = "thought"
	EntryCall        EntryKind = "call"
	EntryObservation EntryKind = "observation"
	EntryError       EntryKind = "error"
)

// Scratchpad holds what one run thought, called and observed, and renders
// it into the prompts of the run's later model calls (the join, replans,
// reasoning steps). Implementations must be safe for concurrent use.
type Scratchpad interface {
	// Add records an entry; step is the step it belongs to ("" for the
	// run as a whole).
	Add(kind EntryKind, step, text string)
	// Render returns the entries as prompt text.
	Render() string
}

// maxObservation caps one observation in the built-in scratchpad's text.
const maxObservation = 8 << 10

type padEntry struct {
	kind       EntryKind
	step, text string
}

// pad is the built-in scratchpad: it keeps every entry and renders them in
// order, each observation capped at maxObservation bytes with a visible
// marker.
type pad struct {
	mu      sync.Mutex
	entries []padEntry
}

func newPad() *pad { return &pad{entries: make([]padEntry, 0, 16)} }

func (p *pad) Add(kind EntryKind, step, text string) {
	p.mu.Lock()
	p.entries = append(p.entries, padEntry{kind, step, text})
	p.mu.Unlock()
}

func (p *pad) Render() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, e := range p.entries {
		n += len(e.step) + min(len(e.text), maxObservation) + 24
	}
	var b strings.Builder
	b.Grow(n)
	for _, e := range p.entries {
		b.WriteString(string(e.kind))
		if e.step != "" {
			b.WriteString(" [")
			b.WriteString(e.step)
			b.WriteByte(']')
		}
		b.WriteString(": ")
		t := e.text
		if len(t) > maxObservation {
			b.WriteString(t[:maxObservation])
			b.WriteString(" …[truncated]")
		} else {
			b.WriteString(t)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// History keeps the messages of conversations across runs.
// Implementations must be safe for concurrent use.
type History interface {
	// Load returns the conversation's messages, oldest first; none for an
	// unknown conversation.
	Load(ctx context.Context, conversation string) ([]llm.Message, error)
	// Append adds messages to the conversation.
	Append(ctx context.Context, conversation string, msgs ...llm.Message) error
}

// MemoryHistory is a History held in process memory. The zero value is
// ready; it is safe for concurrent use.
type MemoryHistory struct {
	mu    sync.Mutex
	convs map[string][]llm.Message
}

// Load implements History.
func (h *MemoryHistory) Load(_ context.Context, conversation string) ([]llm.Message, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]llm.Message(nil), h.convs[conversation]...), nil
}

// Append implements History.
func (h *MemoryHistory) Append(_ context.Context, conversation string, msgs ...llm.Message) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.convs == nil {
		h.convs = map[string][]llm.Message{}
	}
	h.convs[conversation] = append(h.convs[conversation], msgs...)
	return nil
}
