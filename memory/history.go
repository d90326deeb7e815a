package memory

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/plait-ai/plait/llm"
)

// HistoryOptions configures a [History]. The zero value works: no system
// prompt, no budget, the default [Estimator], no summarization.
type HistoryOptions struct {
	// System is the system prompt put first in every window. It is not
	// stored: each run may bring its own.
	System string
	// Budget is the default token budget of a window (see
	// [History.Window]); <= 0 means no limit.
	Budget int
	// Counter counts tokens; nil uses the default [Estimator].
	Counter Counter
	// Overflow says what to do with a message too large for the budget:
	// OverflowError (the default) makes Append refuse it and Window fail
	// with a [*BudgetError]; OverflowTruncate stores it and cuts it in
	// windows.
	Overflow Overflow

	// Summarizer, when set, folds older turns into the conversation's
	// running summary once the unsummarized messages pass SummarizeAt
	// tokens.
	Summarizer llm.Model
	// SummarizeAt is the threshold, in tokens of messages not yet
	// summarized (pinned and system messages aside). Default: three
	// quarters of Budget (summarization is off when both are 0).
	SummarizeAt int
	// KeepRecent is how many tokens of the most recent turns stay out of
	// the summary, verbatim. Default: half of SummarizeAt.
	KeepRecent int
	// SummaryPrompt replaces the default instructions given to the
	// Summarizer.
	SummaryPrompt string
	// SummaryInput caps the tokens of messages sent to the Summarizer in
	// one call (the oldest turns first; later windows fold the rest).
	// Default: twice SummarizeAt.
	SummaryInput int
}

// History is one conversation's messages across runs, kept in a [Store].
// A run loads a window of it for its prompt ([History.Window]) and appends
// the run's new messages ([History.Append]); another run, in this process
// or another, continues from there.
//
// A conversation that does not exist yet is empty: the first Append
// creates it. A History is safe for concurrent use; several Histories,
// in several processes, may share one conversation when the store allows
// it (SQLite, Redis).
type History struct {
	store Store
	id    uuid.UUID
	opts  HistoryOptions

	mu     sync.Mutex
	counts map[uuid.UUID]int // tokens of each message, by id (messages are immutable)
}

// NewHistory returns the history of conversation id in store.
func NewHistory(store Store, id uuid.UUID, opts HistoryOptions) *History {
	if opts.Counter == nil {
		opts.Counter = Estimator{}
	}
	if opts.SummarizeAt <= 0 {
		opts.SummarizeAt = opts.Budget * 3 / 4
	}
	if opts.KeepRecent <= 0 {
		opts.KeepRecent = opts.SummarizeAt / 2
	}
	if opts.SummaryInput <= 0 {
		opts.SummaryInput = 2 * opts.SummarizeAt
	}
	return &History{store: store, id: id, opts: opts, counts: make(map[uuid.UUID]int)}
}

// ID returns the conversation's id.
func (h *History) ID() uuid.UUID { return h.id }

// Store returns the store the history lives in.
func (h *History) Store() Store { return h.store }

// Append stores msgs at the end of the conversation, each with a new id,
// and returns them as stored. With OverflowError and a Budget, a message
// that cannot fit any window beside the system prompt is refused with a
// [*BudgetError] and nothing is stored.
func (h *History) Append(ctx context.Context, msgs ...llm.Message) ([]Record, error) {
	recs := make([]Record, len(msgs))
	for i, m := range msgs {
		recs[i] = Record{ID: NewID(), Message: m}
	}
	return h.AppendRecords(ctx, recs...)
}

// AppendRecords stores recs (pinned flags and ids as given; a zero id gets
// a new one) and returns them as stored. Records whose id is already
// stored are not written again, so retrying an append is safe.
func (h *History) AppendRecords(ctx context.Context, recs ...Record) ([]Record, error) {
	if h.opts.Overflow == OverflowError && h.opts.Budget > 0 {
		room := h.opts.Budget - CountMessages(h.opts.Counter, headMessages(h.opts.System, Summary{}))
		for _, r := range recs {
			if n := CountMessage(h.opts.Counter, r.Message); n > room {
				return nil, &BudgetError{What: "a " + string(r.Message.Role) + " message", Need: n, Budget: room}
			}
		}
	}
	recs = append([]Record(nil), recs...) // the caller's slice stays as it was
	for i := range recs {
		if recs[i].ID == uuid.Nil {
			recs[i].ID = NewID()
		}
	}
	out, err := h.store.Append(ctx, h.id, recs...)
	if err != nil {
		return nil, fmt.Errorf("memory: append to conversation %s: %w", h.id, err)
	}
	return out, nil
}

// Pin pins (or unpins) a stored message: a pinned message stays in every
// window and is never summarized away.
func (h *History) Pin(ctx context.Context, msg uuid.UUID, pinned bool) error {
	return h.store.SetPinned(ctx, h.id, msg, pinned)
}

// Transcript loads the whole conversation: its summary and every message.
// A conversation that does not exist yet is an empty transcript.
func (h *History) Transcript(ctx context.Context) (*Transcript, error) {
	t, err := h.store.Load(ctx, h.id, 0)
	if errors.Is(err, ErrNotFound) {
		return &Transcript{ID: h.id}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("memory: load conversation %s: %w", h.id, err)
	}
	return t, nil
}

// Messages returns every stored message of the conversation, in order.
func (h *History) Messages(ctx context.Context) ([]llm.Message, error) {
	t, err := h.Transcript(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]llm.Message, len(t.Messages))
	for i := range t.Messages {
		out[i] = t.Messages[i].Message
	}
	return out, nil
}

// Window loads the conversation and returns the messages for a prompt
// within budget tokens (<= 0: the History's Budget): see [BuildWindow].
// When a Summarizer is set and the messages not yet summarized pass the
// threshold, it first folds the older turns into the running summary and
// stores it; if that fails the window is built from the stored summary and
// Window.SummaryErr says why.
func (h *History) Window(ctx context.Context, budget int) (*Window, error) {
	t, err := h.Transcript(ctx)
	if err != nil {
		return nil, err
	}
	var sumErr error
	if h.opts.Summarizer != nil && h.opts.SummarizeAt > 0 {
		var nt *Transcript
		nt, sumErr = h.summarize(ctx, t, false)
		if nt != nil {
			t = nt
		}
	}
	if budget <= 0 {
		budget = h.opts.Budget
	}
	w, err := h.build(t, budget)
	if err != nil {
		return nil, err
	}
	w.SummaryErr = sumErr
	return w, nil
}

// Summarize folds the older turns into the running summary now, whatever
// the threshold, keeping KeepRecent tokens of recent turns verbatim. It
// reports whether the summary changed. It needs a Summarizer.
func (h *History) Summarize(ctx context.Context) (bool, error) {
	if h.opts.Summarizer == nil {
		return false, errors.New("memory: Summarize needs HistoryOptions.Summarizer")
	}
	t, err := h.Transcript(ctx)
	if err != nil {
		return false, err
	}
	nt, err := h.summarize(ctx, t, true)
	return nt != nil && nt != t, err
}

func (h *History) count(recs []Record) func(i int) int {
	return func(i int) int {
		r := &recs[i]
		h.mu.Lock()
		n, ok := h.counts[r.ID]
		h.mu.Unlock()
		if ok {
			return n
		}
		n = CountMessage(h.opts.Counter, r.Message)
		h.mu.Lock()
		if len(h.counts) > 1<<16 {
			clear(h.counts)
		}
		h.counts[r.ID] = n
		h.mu.Unlock()
		return n
	}
}

func (h *History) build(t *Transcript, budget int) (*Window, error) {
	return buildWindow(t.Summary, t.Messages, WindowOptions{
		Budget: budget, System: h.opts.System, Counter: h.opts.Counter, Overflow: h.opts.Overflow,
	}, h.count(t.Messages))
}

// summarize folds older turns into the summary when the unsummarized
// tokens pass the threshold (or always, when force). It returns the
// transcript as it now stands (t itself when nothing changed).
func (h *History) summarize(ctx context.Context, t *Transcript, force bool) (*Transcript, error) {
	recs := t.Messages
	us := units(recs, h.count(recs))
	var cand []unit
	total := 0
	for _, u := range us {
		if u.mandatory || recs[u.hi-1].Seq <= t.Summary.Through {
			continue
		}
		cand = append(cand, u)
		total += u.tokens
	}
	if len(cand) < 2 || (!force && total <= h.opts.SummarizeAt) {
		return t, nil
	}
	// Keep the newest turns within KeepRecent (at least one); fold the rest.
	kept := 0
	k := len(cand) - 1
	for k > 0 && kept+cand[k].tokens <= h.opts.KeepRecent {
		kept += cand[k].tokens
		k--
	}
	if k == len(cand)-1 {
		k-- // always keep the newest turn verbatim
	}
	if k < 0 {
		return t, nil
	}
	fold := cand[:k+1]
	// At most SummaryInput tokens in one call (always at least one turn).
	in := 0
	for i, u := range fold {
		if i > 0 && in+u.tokens > h.opts.SummaryInput {
			fold = fold[:i]
			break
		}
		in += u.tokens
	}
	through := recs[fold[len(fold)-1].hi-1].Seq
	var b strings.Builder
	if t.Summary.Text != "" {
		b.WriteString("Current summary:\n")
		b.WriteString(t.Summary.Text)
		b.WriteString("\n\n")
	}
	b.WriteString("New messages:\n")
	for _, u := range fold {
		for j := u.lo; j < u.hi; j++ {
			writeTurn(&b, &recs[j].Message)
		}
	}
	b.WriteString("\nWrite the updated summary.")
	prompt := h.opts.SummaryPrompt
	if prompt == "" {
		prompt = defaultSummaryPrompt
	}
	resp, err := h.opts.Summarizer.Generate(ctx, &llm.Request{Messages: []llm.Message{
		llm.SystemMessage(prompt), llm.UserMessage(b.String()),
	}})
	if err != nil {
		return t, fmt.Errorf("memory: summarize conversation %s: %w", h.id, err)
	}
	text := strings.TrimSpace(resp.Text())
	if text == "" {
		return t, fmt.Errorf("memory: summarize conversation %s: the model returned an empty summary", h.id)
	}
	s := Summary{Text: text, Through: through, Time: time.Now().UTC()}
	if err := h.store.ReplaceSummary(ctx, h.id, s); err != nil {
		if errors.Is(err, ErrStaleSummary) {
			// Another run summarized further meanwhile: use its summary.
			nt, lerr := h.Transcript(ctx)
			if lerr != nil {
				return t, lerr
			}
			return nt, nil
		}
		return t, fmt.Errorf("memory: store the summary of conversation %s: %w", h.id, err)
	}
	nt := *t
	nt.Summary = s
	return &nt, nil
}

const defaultSummaryPrompt = "You keep the running summary of a conversation between a user and an assistant that uses tools. " +
	"Fold the new messages into the current summary. Keep every fact, name, number, decision, preference and open question " +
	"that later turns may need; drop pleasantries and repetition. Write plain prose, at most a few paragraphs, in the conversation's language."

func writeTurn(b *strings.Builder, m *llm.Message) {
	b.WriteString(string(m.Role))
	if m.Role == llm.RoleTool && m.Name != "" {
		b.WriteString(" (" + m.Name + ")")
	}
	b.WriteString(": ")
	b.WriteString(m.Content)
	for _, tc := range m.ToolCalls {
		b.WriteString(" [calls " + tc.Name + " " + string(tc.Arguments) + "]")
	}
	b.WriteByte('\n')
}
