package memory

import "github.com/plait-ai/plait/llm"

// Overflow says what a window does with a recent turn too large for its
// budget.
type Overflow uint8

const (
	// OverflowError (the default) refuses it with a [*BudgetError]
	// (errors.Is(err, ErrTooLarge)): the caller decides.
	OverflowError Overflow = iota
	// OverflowTruncate cuts the longest contents of the turn, with a
	// visible "…[cut]" marker, until it fits. The stored messages are not
	// changed.
	OverflowTruncate
)

// WindowOptions configures [BuildWindow].
type WindowOptions struct {
	// Budget is the most tokens the window may take, per-message overhead
	// included; <= 0 means no limit.
	Budget int
	// System is the system prompt, first in the window and never dropped;
	// "" for none. The running summary follows it.
	System string
	// Counter counts tokens; nil uses the default [Estimator].
	Counter Counter
	// Overflow says what to do with a most recent turn that cannot fit.
	Overflow Overflow
}

// Window is the part of a conversation that goes into a prompt.
type Window struct {
	// Messages are the prompt's messages: the system prompt (with the
	// running summary appended to it, or the summary alone as a system
	// message), then the kept messages in conversation order.
	Messages []llm.Message
	// Tokens is what Messages count.
	Tokens int
	// Kept are the stored records in the window, in order (Messages
	// without the system prompt and summary).
	Kept []Record
	// Dropped is the number of messages left out for the budget.
	Dropped int
	// Summarized is the number of messages the summary stands for (pinned
	// and system messages stay verbatim and are not counted).
	Summarized int
	// Truncated reports that a message was cut to fit (OverflowTruncate).
	Truncated bool
	// SummaryErr is set when History tried to update the summary and
	// failed; the window is still valid, built from the stored summary.
	SummaryErr error
}

// SummaryPrefix introduces the running summary in a window.
const SummaryPrefix = "Summary of the earlier conversation:\n"

// unit is a run of records that must stay together: a message, or an
// assistant message with tool calls and the tool results that follow it.
type unit struct {
	lo, hi    int // records[lo:hi]
	tokens    int
	mandatory bool // holds a pinned or system message
}

// units groups records; count(i) is the tokens of records[i].
func units(recs []Record, count func(i int) int) []unit {
	us := make([]unit, 0, len(recs))
	for i := range recs {
		m := &recs[i].Message
		mand := recs[i].Pinned || m.Role == llm.RoleSystem
		if m.Role == llm.RoleTool && len(us) > 0 {
			head := &recs[us[len(us)-1].lo].Message
			if head.Role == llm.RoleAssistant && len(head.ToolCalls) > 0 {
				u := &us[len(us)-1]
				u.hi = i + 1
				u.tokens += count(i)
				u.mandatory = u.mandatory || mand
				continue
			}
		}
		us = append(us, unit{lo: i, hi: i + 1, tokens: count(i), mandatory: mand})
	}
	return us
}

// BuildWindow selects the messages of t for a prompt within opts.Budget:
// the system prompt, the running summary, pinned and system messages
// always; then the most recent turns, newest first, as many as fit. An
// assistant message with tool calls stays together with its tool results.
// Messages the summary covers are left out (unless pinned).
//
// When the system prompt, summary and pinned messages alone exceed the
// budget, or the most recent turn cannot fit beside them and opts.Overflow
// is OverflowError, it returns a [*BudgetError].
func BuildWindow(t *Transcript, opts WindowOptions) (*Window, error) {
	c := opts.Counter
	if c == nil {
		c = Estimator{}
	}
	recs := t.Messages
	return buildWindow(t.Summary, recs, opts, func(i int) int { return CountMessage(c, recs[i].Message) })
}

func headMessages(system string, sum Summary) []llm.Message {
	text := system
	if sum.Through > 0 && sum.Text != "" {
		if text != "" {
			text += "\n\n"
		}
		text += SummaryPrefix + sum.Text
	}
	if text == "" {
		return nil
	}
	return []llm.Message{llm.SystemMessage(text)}
}

func buildWindow(sum Summary, recs []Record, opts WindowOptions, count func(i int) int) (*Window, error) {
	c := opts.Counter
	if c == nil {
		c = Estimator{}
	}
	w := &Window{}
	head := headMessages(opts.System, sum)
	fixed := CountMessages(c, head)
	us := units(recs, count)
	var cand []int // indexes into us of droppable units, oldest first
	for i, u := range us {
		switch {
		case u.mandatory:
			fixed += u.tokens
		case recs[u.hi-1].Seq <= sum.Through:
			w.Summarized += u.hi - u.lo
		default:
			cand = append(cand, i)
		}
	}
	budget := opts.Budget
	if budget > 0 && fixed > budget {
		return nil, &BudgetError{What: "the system prompt, summary and pinned messages", Need: fixed, Budget: budget}
	}
	keep := make([]bool, len(us))
	for i, u := range us {
		keep[i] = u.mandatory
	}
	used := fixed
	var cut map[int]llm.Message // record index -> truncated message
	for k := len(cand) - 1; k >= 0; k-- {
		u := us[cand[k]]
		if budget <= 0 || used+u.tokens <= budget {
			keep[cand[k]] = true
			used += u.tokens
			continue
		}
		if k == len(cand)-1 {
			// The most recent turn does not fit.
			if opts.Overflow != OverflowTruncate {
				return nil, &BudgetError{What: "the most recent turn", Need: fixed + u.tokens, Budget: budget}
			}
			msgs, tokens, ok := truncateUnit(c, recs[u.lo:u.hi], budget-used)
			if !ok {
				return nil, &BudgetError{What: "the most recent turn, even truncated", Need: fixed + tokens, Budget: budget}
			}
			cut = make(map[int]llm.Message, len(msgs))
			for j, m := range msgs {
				cut[u.lo+j] = m
			}
			keep[cand[k]] = true
			used += tokens
			w.Truncated = true
			continue
		}
		// Older turns than this one are dropped too, so the window stays
		// a contiguous run of recent turns.
		for ; k >= 0; k-- {
			w.Dropped += us[cand[k]].hi - us[cand[k]].lo
		}
		break
	}
	n := len(head)
	for i, u := range us {
		if keep[i] {
			n += u.hi - u.lo
		}
	}
	w.Messages = make([]llm.Message, 0, n)
	w.Messages = append(w.Messages, head...)
	w.Kept = make([]Record, 0, n-len(head))
	for i, u := range us {
		if !keep[i] {
			continue
		}
		for j := u.lo; j < u.hi; j++ {
			r := recs[j]
			if m, ok := cut[j]; ok {
				r.Message = m
			}
			w.Messages = append(w.Messages, r.Message)
			w.Kept = append(w.Kept, r)
		}
	}
	w.Tokens = used
	return w, nil
}

// truncateUnit cuts the longest contents of msgs until they count at most
// room tokens. It returns the messages, their tokens, and whether they fit.
func truncateUnit(c Counter, recs []Record, room int) ([]llm.Message, int, bool) {
	msgs := make([]llm.Message, len(recs))
	for i := range recs {
		msgs[i] = recs[i].Message
	}
	total := CountMessages(c, msgs)
	tried := make([]bool, len(msgs))
	for total > room {
		// The longest content not yet cut.
		best := -1
		for i := range msgs {
			if !tried[i] && (best < 0 || len(msgs[i].Content) > len(msgs[best].Content)) {
				best = i
			}
		}
		if best < 0 || msgs[best].Content == "" {
			return msgs, total, false
		}
		tried[best] = true
		m := &msgs[best]
		before := CountMessage(c, *m)
		contentTokens := c.Count(m.Content)
		target := contentTokens - (total - room)
		if target < 1 {
			target = 1
		}
		m.Content = cutToFit(c, m.Content, target, " …[cut]")
		total += CountMessage(c, *m) - before
	}
	return msgs, total, true
}
