package memory

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/plait-ai/plait/llm"
)

// Record is one stored message of a conversation.
type Record struct {
	// ID identifies the message (a UUID v7). Append gives a zero ID a new
	// one; appending a record whose ID is already stored in the same
	// conversation does nothing and returns the stored record, so a retried
	// append never writes a message twice.
	ID uuid.UUID `json:"id"`
	// Seq is the message's position in its conversation, from 1, assigned
	// by the store: the order of a conversation is total and gap-free.
	Seq int64 `json:"seq"`
	// Pinned messages are never dropped from a window nor summarized away.
	Pinned bool `json:"pinned,omitempty"`
	// Time is when the message was first appended (set by Append when zero).
	Time time.Time `json:"time"`
	// Message is the message itself.
	Message llm.Message `json:"message"`
}

// Summary is a conversation's running summary: the text that stands for
// its messages up to and including Through.
type Summary struct {
	Text string `json:"text"`
	// Through is the Seq of the last message the summary covers; 0 for no
	// summary.
	Through int64 `json:"through"`
	// Time is when the summary was written.
	Time time.Time `json:"time"`
}

// Transcript is a conversation as loaded from a store.
type Transcript struct {
	ID       uuid.UUID `json:"id"`
	Summary  Summary   `json:"summary"`
	Messages []Record  `json:"messages"`
}

// Conversation describes a stored conversation.
type Conversation struct {
	ID uuid.UUID `json:"id"`
	// Created and Updated are the times of the first and the latest append.
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
	// Messages is how many messages the conversation holds.
	Messages int64 `json:"messages"`
}

// Store keeps conversations. The in-memory store ([NewMemStore]), SQLite
// (package memory/sqlite) and Redis (package memory/redis) implement it.
//
// Implementations are safe for concurrent use, and the durable ones for
// appends from several processes at once: each Append is atomic, assigns
// consecutive sequence numbers, and is idempotent by record ID.
type Store interface {
	// Append adds records to the end of the conversation, creating it when
	// it does not exist, and returns them as stored (IDs, Seq and Time
	// filled in). Records whose ID is already in the conversation are not
	// written again; the stored record is returned in their place. An ID
	// used by another conversation is an ErrConflict. All records of one
	// call are written, or none.
	Append(ctx context.Context, conv uuid.UUID, recs ...Record) ([]Record, error)
	// Load returns the conversation's summary and its messages with Seq
	// greater than after (0 for all), in order; ErrNotFound when the
	// conversation does not exist.
	Load(ctx context.Context, conv uuid.UUID, after int64) (*Transcript, error)
	// ReplaceSummary stores s as the conversation's running summary. A
	// summary that covers fewer messages than the stored one
	// (s.Through < stored Through) is refused with ErrStaleSummary, so two
	// processes summarizing at once cannot move the summary back.
	ReplaceSummary(ctx context.Context, conv uuid.UUID, s Summary) error
	// SetPinned pins or unpins a message; ErrNotFound when there is no
	// such message in the conversation.
	SetPinned(ctx context.Context, conv, msg uuid.UUID, pinned bool) error
	// List returns the stored conversations, most recently updated first,
	// at most limit of them (all when limit <= 0).
	List(ctx context.Context, limit int) ([]Conversation, error)
	// Delete removes a conversation and its messages; ErrNotFound when it
	// does not exist.
	Delete(ctx context.Context, conv uuid.UUID) error
	// Close releases the store's resources.
	Close() error
}

// Note is a piece of long-term memory: a fact, a note or a document an
// agent saved to recall later.
type Note struct {
	ID uuid.UUID `json:"id"`
	// Scope groups notes (a user, a project); searches look in one scope.
	Scope string    `json:"scope,omitempty"`
	Title string    `json:"title,omitempty"`
	Text  string    `json:"text"`
	Tags  []string  `json:"tags,omitempty"`
	Time  time.Time `json:"time"`
}

// NoteStore keeps notes for [Recall]. The in-memory and SQLite stores
// implement it. Implementations are safe for concurrent use.
type NoteStore interface {
	// SaveNote stores n (a zero ID gets a new one; an existing ID is
	// replaced) and returns it as stored.
	SaveNote(ctx context.Context, n Note) (Note, error)
	// DeleteNote removes a note; ErrNotFound when there is none.
	DeleteNote(ctx context.Context, id uuid.UUID) error
	// Notes returns every note of the scope, oldest first.
	Notes(ctx context.Context, scope string) ([]Note, error)
	// NotesVersion returns a number that changes whenever a note of the
	// scope is saved or deleted, by any process, so a search index knows
	// when to reload.
	NotesVersion(ctx context.Context, scope string) (int64, error)
}

// NewID returns a new UUID v7 (time-ordered), as stores give records and
// notes without one.
func NewID() uuid.UUID {
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.New()
	}
	return id
}
