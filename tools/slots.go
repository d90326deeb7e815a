package tools

import (
	"context"
	"sync/atomic"
)

// slots is a dispatcher's concurrency bound: at most size calls hold a
// slot at once, and calls beyond it wait, in the order they came, until a
// slot is freed or their context is done. It is a counting semaphore
// whose uncontended take and free are one atomic addition each, where a
// buffered channel used as one takes the channel's lock twice; a call
// waits on a channel only when every slot is held.
//
// n counts the calls that hold a slot plus those that wait for one. A call
// that frees a slot while n was over size (so someone waits, or is about
// to) hands the slot on through wake, which never fills: the slots in
// transit there and the slots held are size at most. A waiter that gives
// up while n was at most size has a slot on its way to it (every waiter
// has, then), and takes it from wake, freeing it by not running.
type slots struct {
	n    atomic.Int64
	size int64
	wake chan struct{} // slots handed to waiting calls; buffered (size)
}

func newSlots(size int) *slots {
	return &slots{size: int64(size), wake: make(chan struct{}, size)}
}

// acquire takes a slot, waiting for one when all are held; it reports
// whether it had to wait, and fails when ctx is done first.
func (s *slots) acquire(ctx context.Context) (waited bool, err error) {
	if s.n.Add(1) <= s.size {
		return false, nil
	}
	done := ctx.Done()
	if done == nil {
		<-s.wake
		return true, nil
	}
	select {
	case <-s.wake:
		return true, nil
	case <-done:
		if s.n.Add(-1) < s.size {
			// A slot was handed on for every waiter, this one's too
			// (perhaps not sent yet): take it, so that no later call
			// takes it while the slots are all held.
			<-s.wake
		}
		return true, ctx.Err()
	}
}

// release frees a slot taken with acquire, handing it to a waiting call
// if there is one.
func (s *slots) release() {
	if s.n.Add(-1) >= s.size {
		s.wake <- struct{}{}
	}
}
