package agent

import (
	"bytes"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
)

func TestNewRunID(t *testing.T) {
	now := time.Now()
	id := newRunID(now)
	if id.Version() != 7 || id.Variant() != uuid.RFC4122 {
		t.Fatalf("%s: version %d, variant %v; want 7, RFC 4122", id, id.Version(), id.Variant())
	}
	// The id's time is the run's start, to the millisecond (or a little
	// after, when other ids took that millisecond's sequence numbers).
	sec, nsec := id.Time().UnixTime()
	got := time.Unix(sec, nsec)
	if d := got.Sub(now.Truncate(time.Millisecond)); d < 0 || d > time.Second {
		t.Errorf("id time %v, want about %v", got, now)
	}
	// Parsing the text form gives the same id back.
	if back, err := uuid.Parse(id.String()); err != nil || back != id {
		t.Errorf("parse %s: %v, %v", id, back, err)
	}
}

func TestNewRunIDOrderedAndUnique(t *testing.T) {
	// Ids made at the same instant, and at an earlier one (a clock that
	// stepped back), still sort in the order they were made.
	tests := []struct {
		name  string
		times []time.Time
	}{
		{"same instant", []time.Time{time.Unix(1700000000, 0), time.Unix(1700000000, 0), time.Unix(1700000000, 0)}},
		{"clock back", []time.Time{time.Unix(1800000000, 5e8), time.Unix(1800000000, 0), time.Unix(1799999999, 0)}},
		{"forward", []time.Time{time.Unix(1900000000, 0), time.Unix(1900000000, 1e6), time.Unix(1900000001, 0)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var g runIDSource
			var prev uuid.UUID
			for i, at := range tt.times {
				id := g.next(at)
				if i > 0 && bytes.Compare(prev[:], id[:]) >= 0 {
					t.Fatalf("id %d %s does not sort after %s", i, id, prev)
				}
				prev = id
			}
		})
	}
	const n = 1000
	var mu sync.Mutex
	seen := make(map[uuid.UUID]bool, 4*n)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			ids := make([]uuid.UUID, n)
			for i := range ids {
				ids[i] = newRunID(time.Now())
			}
			mu.Lock()
			defer mu.Unlock()
			for _, id := range ids {
				if seen[id] {
					t.Errorf("duplicate id %s", id)
				}
				seen[id] = true
			}
		})
	}
	wg.Wait()
}
