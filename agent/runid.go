package agent

import (
	"encoding/binary"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
)

// runIDs makes the process's run ids.
var runIDs runIDSource

// runIDSource makes run ids that sort in the order they were made. The
// zero value is ready; it is safe for concurrent use.
type runIDSource struct {
	// last is the time field (48 bits of Unix milliseconds, then 12 bits
	// of sub-millisecond sequence) of the last id made.
	last atomic.Uint64
}

// newRunID returns a new run id for a run that starts at now.
func newRunID(now time.Time) uuid.UUID { return runIDs.next(now) }

// next returns a UUID version 7 for a run that starts at now: 48 bits
// of Unix milliseconds, 12 bits that order the ids made within one
// millisecond (the fraction of the millisecond, moved on past the last id
// when two runs start within the same tick, as uuid.NewV7 does), and 62
// random bits. The random bits come from the runtime's per-thread ChaCha8
// generator (math/rand/v2), seeded from the operating system: a run id
// must be unique, not secret, and this saves each run the system call of
// crypto/rand.
func (g *runIDSource) next(now time.Time) uuid.UUID {
	ns := now.UnixNano()
	ms := uint64(ns / int64(time.Millisecond))
	frac := uint64(ns%int64(time.Millisecond)) * 4096 / uint64(time.Millisecond)
	t := ms<<12 | frac
	for {
		last := g.last.Load()
		if t <= last {
			t = last + 1
		}
		if g.last.CompareAndSwap(last, t) {
			break
		}
	}
	var id uuid.UUID
	// unix_ts_ms (48 bits), version 7 and rand_a (the 12 sequence bits).
	binary.BigEndian.PutUint64(id[:8], t<<4&^0xFFFF|0x7000|t&0x0FFF)
	// Variant 10, then 62 random bits.
	binary.BigEndian.PutUint64(id[8:], rand.Uint64()&^(3<<62)|2<<62)
	return id
}
