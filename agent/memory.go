package agent

import (
	"context"

	"github.com/google/uuid"

	"github.com/plait-ai/plait/memory"
)

// Memory is an agent's memory configuration, a plain value; the store
// and counter it names must be safe for concurrent use. The zero value gives each run a fresh
// scratchpad, counts tokens with the default estimator, and keeps no
// conversations.
type Memory struct {
	// Counter counts tokens for the scratchpad and the history; nil uses
	// memory.Estimator.
	Counter memory.Counter
	// ScratchpadBudget is how many tokens of the scratchpad go into the
	// prompts that read it (the join, replans): 0 means 8000, negative
	// means no limit. When the scratchpad is over it, the scratchpad keeps
	// what matters (the plan, errors, the newest observations) and says
	// what it left out.
	ScratchpadBudget int
	// Store keeps conversations across runs; nil keeps none. A run takes
	// part in a conversation when its context carries an id
	// (WithConversation).
	Store memory.Store
	// History configures each conversation's history: its token budget,
	// summarization of older turns, and so on.
	History memory.HistoryOptions
}

func (m Memory) scratchpadBudget() int {
	switch {
	case m.ScratchpadBudget == 0:
		return 8000
	case m.ScratchpadBudget < 0:
		return 0
	}
	return m.ScratchpadBudget
}

// note records a scratchpad entry.
func (r *run) note(kind memory.Kind, step, tool, text string) {
	r.pad.Append(memory.Entry{Step: step, Kind: kind, Tool: tool, Text: text})
	r.noted++
}

// growNotes makes room in the scratchpad for n more notes, so that they
// do not reallocate it. While the notes fit in the room the run gave the
// scratchpad (run.notes0, which it appends into until it is full, and
// only the run appends), there is nothing to do, and the scratchpad is
// not asked.
func (r *run) growNotes(n int) {
	if r.noted+n > len(r.notes0) {
		r.pad.Grow(n)
	}
}

// render returns the scratchpad as prompt text within its budget. While
// the whole scratchpad has fewer bytes than the budget has tokens it fits
// for sure, and is rendered without counting.
func (r *run) render() string {
	return r.pad.Render(r.renderBudget(r.pad.RenderedLen()))
}

// renderBudget is the token budget to render the scratchpad with, whose
// whole text is n bytes long: 0 while it fits for sure.
func (r *run) renderBudget(n int) int {
	budget := r.a.cfg.Memory.scratchpadBudget()
	if budget > 0 && n <= budget {
		budget = 0
	}
	return budget
}

type conversationKey struct{}

// WithConversation returns a context whose runs belong to conversation id:
// with Memory.Store set, a run sees a window of the conversation's earlier
// messages, and its goal and answer are appended to it.
func WithConversation(ctx context.Context, id uuid.UUID) context.Context {
	return context.WithValue(ctx, conversationKey{}, id)
}

// ConversationFrom returns the conversation id set by WithConversation, or
// the zero UUID.
func ConversationFrom(ctx context.Context) uuid.UUID {
	id, _ := ctx.Value(conversationKey{}).(uuid.UUID)
	return id
}
