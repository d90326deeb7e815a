package memory

import (
	"errors"
	"fmt"
)

// Sentinel errors callers branch on with [errors.Is]. Stores wrap them with
// the operation and the cause.
var (
	// ErrNotFound: the conversation (or message, or note) does not exist.
	ErrNotFound = errors.New("memory: not found")
	// ErrUnavailable: the store cannot be reached (a Redis server that went
	// away, a closed store). The operation may succeed later; appends are
	// idempotent by message id, so retrying them is safe.
	ErrUnavailable = errors.New("memory: store unavailable")
	// ErrBusy: the store stayed locked by another writer for longer than
	// its busy timeout.
	ErrBusy = errors.New("memory: store busy")
	// ErrCorrupt: the store's file or data is not what it should be.
	ErrCorrupt = errors.New("memory: store corrupt")
	// ErrConflict: a message id is already used by another conversation.
	ErrConflict = errors.New("memory: conflicting id")
	// ErrStaleSummary: a summary covers fewer messages than the one stored.
	ErrStaleSummary = errors.New("memory: stale summary")
	// ErrTooLarge: a message (or the messages that must stay) does not fit
	// the token budget. The error is a [*BudgetError].
	ErrTooLarge = errors.New("memory: too large for the token budget")
)

// BudgetError reports that what must stay in a window does not fit its
// budget: the system prompt, the summary and the pinned messages, or the
// most recent turn (a message with its tool results) on top of them.
type BudgetError struct {
	// What names what did not fit ("the most recent turn", "pinned and
	// system messages").
	What string
	// Need is the tokens it needs; Budget the tokens the window allows.
	Need, Budget int
}

// Error implements error.
func (e *BudgetError) Error() string {
	return fmt.Sprintf("memory: %s needs %d tokens, over the budget of %d; raise the budget, unpin messages, shorten the message or set OverflowTruncate", e.What, e.Need, e.Budget)
}

// Is makes errors.Is(err, ErrTooLarge) true.
func (e *BudgetError) Is(target error) bool { return target == ErrTooLarge }
