package tools

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// callCtx is the context one attempt of a tool call runs under. It does
// the work of context.WithTimeout plus context.WithValue(semKey) in one
// allocation and without a runtime timer per call:
//
//   - Its deadline is enforced by the watchdog below, one process-wide
//     heap of the deadlines of the attempts in flight under one shared
//     timer, instead of a timer per call.
//   - Its Done channel is made only when someone asks for it (most
//     trivial tools never do); cancellation of the parent reaches it
//     through Err, which looks at the parent, and through Done, which
//     registers with the parent (context.AfterFunc) when it is made.
//   - It answers Value(semKey{}) with the concurrency slot the call holds,
//     so that calls made from inside the tool run under it.
//   - An inline attempt (one on the caller's goroutine) is watched only
//     once someone asks for its Done channel or its Err: until then no
//     one can see it cancelled, and its end (see finish) tells a failure
//     past the deadline by the clock. A tool that never looks at its ctx
//     costs the watchdog nothing, and its successful end is one
//     compare-and-swap, with no lock.
//
// A callCtx is never reused: a tool may keep its ctx past its return (a
// goroutine it started, say), and must then see it cancelled, as with
// context.WithTimeout's cancel.
//
// Its fields are ordered, and kept few (the parent's Done channel is asked
// for where it is needed, a deadline of 0 stands for none), so that it
// fits the 96-byte size class.
type callCtx struct {
	parent context.Context
	sem    *slots

	state uint32 // ctx* bits; atomic once the tool has c
	idx   int32  // index in watch.heap; -1 when not in it; guarded by watch.mu
	mu    sync.Mutex
	err   error
	done  chan struct{}
	stop  func() bool // deregisters the parent's AfterFunc

	// when is the deadline, in nanoseconds since epoch (monotonic); 0
	// when the attempt has none of its own (no timeout).
	when int64

	// Watchdog state, guarded by watch.mu.
	job   *callJob   // the worker's job, which the watchdog releases
	async *asyncCall // the started call whose tool runs in place, which the watchdog delivers a timeout to
}

// Bits of callCtx.state.
const (
	// ctxCancelled: c is cancelled; err says why, unless ctxEnded is
	// set too.
	ctxCancelled uint32 = 1 << iota
	// ctxUnwatched: the deadline is to be watched once Done or Err is
	// asked for; set before the tool sees c, cleared under mu by
	// whoever asks first (then finish takes mu), or by finish.
	ctxUnwatched
	// ctxEnded: the attempt ended with no one having asked (finish's
	// compare-and-swap from ctxUnwatched alone): c is cancelled with
	// context.Canceled, and err, done and stop were never set.
	ctxEnded
	// ctxDoneAsked: someone asked for Done, to wait on it: the tool may
	// wait for something (see entry.waits).
	ctxDoneAsked
)

// doneAsked reports whether someone asked for c's Done channel.
func (c *callCtx) doneAsked() bool { return c.load()&ctxDoneAsked != 0 }

func (c *callCtx) load() uint32 { return atomic.LoadUint32(&c.state) }

// claimLocked clears ctxUnwatched, with c.mu held, reporting whether it
// was set: from then on finish takes mu too, and the fields mu guards
// stay as they are while it is held.
func (c *callCtx) claimLocked() bool {
	return c.load()&ctxUnwatched != 0 && atomic.AndUint32(&c.state, ^ctxUnwatched)&ctxUnwatched != 0
}

// cancelledLocked reports, with c.mu held, whether c is cancelled.
func (c *callCtx) cancelledLocked() bool { return c.err != nil || c.load()&ctxEnded != 0 }

// newCallCtx returns the context of an attempt whose timeout counts from
// since (by monoNow), or from now when since is negative.
func newCallCtx(parent context.Context, sem *slots, timeout, since time.Duration) *callCtx {
	c := &callCtx{}
	c.init(parent, sem, timeout, since)
	return c
}

// init sets up a zero callCtx (see newCallCtx).
func (c *callCtx) init(parent context.Context, sem *slots, timeout, since time.Duration) {
	c.parent, c.sem, c.idx = parent, sem, -1
	if timeout >= 0 {
		// At most one read of the monotonic clock; the wall-clock
		// deadline is made only if someone asks for it.
		if since < 0 {
			since = monoNow()
		}
		c.when = max(int64(since+timeout), 1) // 0 stands for no deadline
	}
}

// epoch is the origin of monoNow's clock.
var epoch = time.Now()

// monoNow reads the monotonic clock alone (time.Now reads the wall clock
// too).
func monoNow() time.Duration { return time.Since(epoch) }

// Deadline is the earlier of the call's own deadline and its parent's
// (whose own timer cancels the parent, and so the call, first).
func (c *callCtx) Deadline() (time.Time, bool) {
	pd, ok := c.parent.Deadline()
	if c.when == 0 {
		return pd, ok
	}
	d := epoch.Add(time.Duration(c.when))
	if ok && pd.Before(d) {
		return pd, true
	}
	return d, true
}

func (c *callCtx) Done() <-chan struct{} {
	c.mu.Lock()
	claimed := c.claimLocked()
	if c.done == nil {
		atomic.OrUint32(&c.state, ctxDoneAsked)
		c.done = make(chan struct{})
		if c.cancelledLocked() {
			close(c.done)
		} else if c.parent.Done() != nil {
			c.stop = context.AfterFunc(c.parent, func() { c.cancel(c.parent.Err()) })
		}
	}
	done := c.done
	var stop func() bool
	if claimed {
		stop = c.watchLocked()
	}
	c.mu.Unlock()
	if stop != nil {
		stop()
	}
	return done
}

// watchLazy starts watching the deadline of an attempt that is watched
// only once someone asks (ctxUnwatched).
func (c *callCtx) watchLazy() {
	c.mu.Lock()
	var stop func() bool
	if c.claimLocked() {
		stop = c.watchLocked()
	}
	c.mu.Unlock()
	if stop != nil {
		stop()
	}
}

// watchLocked starts watching the deadline of an attempt whose
// ctxUnwatched its caller has just claimed, with c.mu held. When the
// deadline has passed already it cancels c instead, as the watchdog would
// have, and returns the function that deregisters c from its parent, to
// be called once c.mu is released.
func (c *callCtx) watchLocked() (stop func() bool) {
	if c.err != nil || c.when == 0 {
		return nil
	}
	if int64(monoNow()) >= c.when {
		return c.cancelLocked(context.DeadlineExceeded)
	}
	watchAdd(c)
	return nil
}

func (c *callCtx) Err() error {
	s := c.load()
	if s&ctxUnwatched != 0 {
		// Asked for: from now on the watchdog sees to the deadline (or
		// it has passed, and c is cancelled now).
		c.watchLazy()
		s = c.load()
	}
	if s&ctxCancelled == 0 {
		pd := c.parent.Done()
		if pd == nil {
			return nil
		}
		select {
		case <-pd:
			c.cancel(c.parent.Err())
		default:
			return nil
		}
	}
	if c.load()&ctxEnded != 0 {
		return context.Canceled
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

func (c *callCtx) Value(key any) any {
	if _, ok := key.(semKey); ok && c.sem != nil {
		return c.sem
	}
	return c.parent.Value(key)
}

func (c *callCtx) String() string { return "tools.callCtx" }

// cancel sets the context's error once, closes Done if it was made and
// deregisters from the parent.
func (c *callCtx) cancel(err error) {
	c.mu.Lock()
	stop := c.cancelLocked(err)
	c.mu.Unlock()
	if stop != nil {
		stop()
	}
}

// cancelLocked is cancel with c.mu held: it returns the function that
// deregisters c from its parent, to be called once c.mu is released.
func (c *callCtx) cancelLocked(err error) (stop func() bool) {
	if c.cancelledLocked() {
		return nil
	}
	c.err = err
	atomic.OrUint32(&c.state, ctxCancelled)
	if c.done != nil {
		close(c.done)
	}
	stop = c.stop
	c.stop = nil
	return stop
}

// finish ends an inline attempt that was made unwatched (ctxUnwatched):
// it stops watching its deadline if anyone asked for it, cancels it, and
// reports whether the attempt, failed when failed is set, ran out of its
// own time. The watchdog may not have looked (no one asked, or its timer
// is late), so a failed attempt's deadline is checked by the clock; a
// successful one's need not be. A successful attempt that no one asked
// about ends with one compare-and-swap (see ctxEnded).
func (c *callCtx) finish(failed bool) (expired bool) {
	if !failed && atomic.CompareAndSwapUint32(&c.state, ctxUnwatched, ctxCancelled|ctxEnded) {
		return false
	}
	c.mu.Lock()
	if !c.claimLocked() {
		// Someone asked: c may be watched.
		watchRemove(c)
	}
	err := error(context.Canceled)
	switch {
	case c.err == context.DeadlineExceeded:
		expired = true
	case failed && c.err == nil && c.when != 0 && int64(monoNow()) >= c.when:
		expired = true
		err = context.DeadlineExceeded
	}
	stop := c.cancelLocked(err)
	c.mu.Unlock()
	if stop != nil {
		stop()
	}
	return expired
}

// expired reports whether the context ran out of its own time.
func (c *callCtx) expired() bool {
	if c.load()&ctxCancelled == 0 {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err == context.DeadlineExceeded
}

// The watchdog: one min-heap of the deadlines of attempts in flight,
// under one timer set to the earliest. Adding an attempt whose deadline is
// not the earliest (the usual case: every call gets the same timeout)
// touches no timer; removing one never does: when the timer fires for an
// attempt that has finished, it is simply set to the next deadline.
var (
	watch struct {
		mu    sync.Mutex
		heap  []*callCtx
		timer *time.Timer
		armed int64 // when the timer fires; 0: it is not set
	}
)

// watchAdd starts watching c's deadline.
func watchAdd(c *callCtx) {
	watch.mu.Lock()
	c.idx = int32(len(watch.heap))
	watch.heap = append(watch.heap, c)
	heapUp(int(c.idx))
	if watch.armed == 0 || c.when < watch.armed {
		d := time.Duration(c.when - int64(monoNow()))
		if watch.timer == nil {
			watch.timer = time.AfterFunc(d, watchFire)
		} else {
			watch.timer.Reset(d)
		}
		watch.armed = c.when
	}
	watch.mu.Unlock()
}

// watchRemove stops watching c. Once it returns, the watchdog no longer
// touches c or its job.
func watchRemove(c *callCtx) {
	watch.mu.Lock()
	if i := c.idx; i >= 0 {
		heapDelete(int(i))
	}
	watch.mu.Unlock()
}

// watchFire expires every attempt whose deadline has passed: it releases
// a caller waiting for a worker's job at once, then cancels the contexts.
func watchFire() {
	var expired []*callCtx
	var late []*asyncCall
	watch.mu.Lock()
	now := int64(monoNow())
	for len(watch.heap) > 0 && watch.heap[0].when <= now {
		c := watch.heap[0]
		heapDelete(0)
		expired = append(expired, c)
		if j := c.job; j != nil && j.state.CompareAndSwap(jobRunning, jobTimedOut) {
			j.done <- callOutcome{timedOut: true}
		}
		// The outcome is taken here, under the lock: once the worker
		// has removed c, the watchdog never looks at its call again (a
		// call whose outcome the worker took may be reused).
		if a := c.async; a != nil && a.state.CompareAndSwap(asyncPending, asyncEarly) {
			late = append(late, a)
		}
	}
	watch.armed = 0
	if len(watch.heap) > 0 {
		watch.armed = watch.heap[0].when
		watch.timer.Reset(time.Duration(watch.armed - now))
	}
	watch.mu.Unlock()
	// Outside the lock: delivering runs the caller's done.
	for _, a := range late {
		a.deliverTaken(&TimeoutError{Tool: a.call.Name, Timeout: a.timeout})
	}
	for _, c := range expired {
		c.cancel(context.DeadlineExceeded)
	}
}

func heapLess(i, j int) bool { return watch.heap[i].when < watch.heap[j].when }

func heapSwap(i, j int) {
	h := watch.heap
	h[i], h[j] = h[j], h[i]
	h[i].idx, h[j].idx = int32(i), int32(j)
}

func heapUp(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !heapLess(i, p) {
			return
		}
		heapSwap(i, p)
		i = p
	}
}

func heapDown(i int) bool {
	n, i0 := len(watch.heap), i
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && heapLess(r, l) {
			m = r
		}
		if !heapLess(m, i) {
			break
		}
		heapSwap(i, m)
		i = m
	}
	return i > i0
}

func heapDelete(i int) {
	h := watch.heap
	n := len(h) - 1
	c := h[i]
	if i != n {
		heapSwap(i, n)
	}
	h[n] = nil
	watch.heap = h[:n]
	c.idx = -1
	if i != n && !heapDown(i) {
		heapUp(i)
	}
	if cap(watch.heap) > 64 && len(watch.heap) < cap(watch.heap)/4 {
		watch.heap = append([]*callCtx(nil), watch.heap...)
	}
}
