package memory

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"
)

// MemStore is a [Store] and [NoteStore] kept in the process's memory: for
// tests, and for services that need no durability. Everything is lost when
// the process ends. The zero value is not usable; call [NewMemStore]. A
// MemStore is safe for concurrent use.
type MemStore struct {
	mu     sync.RWMutex
	convs  map[uuid.UUID]*memConv
	owner  map[uuid.UUID]uuid.UUID // message id -> conversation
	notes  map[uuid.UUID]Note
	nver   map[string]int64
	closed bool
}

type memConv struct {
	info    Conversation
	summary Summary
	recs    []Record
	index   map[uuid.UUID]int // id -> position in recs
}

// NewMemStore returns an empty in-memory store.
func NewMemStore() *MemStore {
	return &MemStore{
		convs: make(map[uuid.UUID]*memConv),
		owner: make(map[uuid.UUID]uuid.UUID),
		notes: make(map[uuid.UUID]Note),
		nver:  make(map[string]int64),
	}
}

var errClosed = fmt.Errorf("the store is closed: %w", ErrUnavailable)

// Append implements Store.
func (s *MemStore) Append(ctx context.Context, conv uuid.UUID, recs ...Record) ([]Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errClosed
	}
	for i := range recs {
		if recs[i].ID == uuid.Nil {
			continue
		}
		if o, ok := s.owner[recs[i].ID]; ok && o != conv {
			return nil, fmt.Errorf("message %s belongs to conversation %s: %w", recs[i].ID, o, ErrConflict)
		}
	}
	c := s.convs[conv]
	if c == nil {
		c = &memConv{info: Conversation{ID: conv, Created: now}, index: make(map[uuid.UUID]int)}
		s.convs[conv] = c
	}
	out := make([]Record, len(recs))
	for i, r := range recs {
		if r.ID == uuid.Nil {
			r.ID = NewID()
		}
		if p, ok := c.index[r.ID]; ok {
			out[i] = c.recs[p]
			continue
		}
		if r.Time.IsZero() {
			r.Time = now
		}
		r.Seq = int64(len(c.recs)) + 1
		c.index[r.ID] = len(c.recs)
		c.recs = append(c.recs, r)
		s.owner[r.ID] = conv
		out[i] = r
	}
	c.info.Updated = now
	c.info.Messages = int64(len(c.recs))
	return out, nil
}

// Load implements Store.
func (s *MemStore) Load(ctx context.Context, conv uuid.UUID, after int64) (*Transcript, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, errClosed
	}
	c := s.convs[conv]
	if c == nil {
		return nil, fmt.Errorf("conversation %s: %w", conv, ErrNotFound)
	}
	if after < 0 {
		after = 0
	}
	if after > int64(len(c.recs)) {
		after = int64(len(c.recs))
	}
	return &Transcript{ID: conv, Summary: c.summary, Messages: slices.Clone(c.recs[after:])}, nil
}

// ReplaceSummary implements Store.
func (s *MemStore) ReplaceSummary(ctx context.Context, conv uuid.UUID, sum Summary) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errClosed
	}
	c := s.convs[conv]
	if c == nil {
		return fmt.Errorf("conversation %s: %w", conv, ErrNotFound)
	}
	if sum.Through < c.summary.Through {
		return fmt.Errorf("summary through %d, stored through %d: %w", sum.Through, c.summary.Through, ErrStaleSummary)
	}
	if sum.Time.IsZero() {
		sum.Time = time.Now().UTC()
	}
	c.summary = sum
	return nil
}

// SetPinned implements Store.
func (s *MemStore) SetPinned(ctx context.Context, conv, msg uuid.UUID, pinned bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errClosed
	}
	c := s.convs[conv]
	if c == nil {
		return fmt.Errorf("conversation %s: %w", conv, ErrNotFound)
	}
	p, ok := c.index[msg]
	if !ok {
		return fmt.Errorf("message %s in conversation %s: %w", msg, conv, ErrNotFound)
	}
	c.recs[p].Pinned = pinned
	return nil
}

// List implements Store.
func (s *MemStore) List(ctx context.Context, limit int) ([]Conversation, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, errClosed
	}
	out := make([]Conversation, 0, len(s.convs))
	for _, c := range s.convs {
		out = append(out, c.info)
	}
	slices.SortFunc(out, func(a, b Conversation) int {
		if c := b.Updated.Compare(a.Updated); c != 0 {
			return c
		}
		return cmp.Compare(a.ID.String(), b.ID.String())
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// Delete implements Store.
func (s *MemStore) Delete(ctx context.Context, conv uuid.UUID) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errClosed
	}
	c := s.convs[conv]
	if c == nil {
		return fmt.Errorf("conversation %s: %w", conv, ErrNotFound)
	}
	for id := range c.index {
		delete(s.owner, id)
	}
	delete(s.convs, conv)
	return nil
}

// Close implements Store. Operations on a closed store fail with
// ErrUnavailable.
func (s *MemStore) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	return nil
}

// SaveNote implements NoteStore.
func (s *MemStore) SaveNote(ctx context.Context, n Note) (Note, error) {
	if err := ctx.Err(); err != nil {
		return Note{}, err
	}
	if n.ID == uuid.Nil {
		n.ID = NewID()
	}
	if n.Time.IsZero() {
		n.Time = time.Now().UTC()
	}
	n.Tags = slices.Clone(n.Tags)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return Note{}, errClosed
	}
	if old, ok := s.notes[n.ID]; ok && old.Scope != n.Scope {
		s.nver[old.Scope]++
	}
	s.notes[n.ID] = n
	s.nver[n.Scope]++
	return n, nil
}

// DeleteNote implements NoteStore.
func (s *MemStore) DeleteNote(ctx context.Context, id uuid.UUID) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errClosed
	}
	n, ok := s.notes[id]
	if !ok {
		return fmt.Errorf("note %s: %w", id, ErrNotFound)
	}
	delete(s.notes, id)
	s.nver[n.Scope]++
	return nil
}

// Notes implements NoteStore.
func (s *MemStore) Notes(ctx context.Context, scope string) ([]Note, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, errClosed
	}
	var out []Note
	for _, n := range s.notes {
		if n.Scope == scope {
			n.Tags = slices.Clone(n.Tags)
			out = append(out, n)
		}
	}
	slices.SortFunc(out, func(a, b Note) int {
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		return cmp.Compare(a.ID.String(), b.ID.String())
	})
	return out, nil
}

// NotesVersion implements NoteStore.
func (s *MemStore) NotesVersion(ctx context.Context, scope string) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return 0, errClosed
	}
	return s.nver[scope], nil
}

var (
	_ Store     = (*MemStore)(nil)
	_ NoteStore = (*MemStore)(nil)
)
