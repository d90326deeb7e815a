// Package workpool is a pool of worker goroutines that keep their grown
// stacks from task to task, for work that must not run on its caller's
// goroutine (a tool call a timeout may abandon, a plan step run beside
// others). Packages agent and tools each keep one.
//
// A task goes to an idle worker when one is waiting and to a new worker
// otherwise, so tasks never queue behind busy (or stuck) ones. An idle
// worker waits on a plain channel receive, with no timer of its own (a
// timer reset and a two-way select per task cost about as much as the
// rest of the hand-over). One reaper, a timer that runs every idle period
// while workers exist, retires the idle workers beyond the most that were
// busy at once since it last ran, so a process idle for two periods keeps
// no goroutines.
package workpool

import (
	"sync"
	"sync/atomic"
	"time"
)

// Task is work for a worker: an interface rather than a func, so that
// handing a task over needs no closure allocated.
type Task interface{ RunTask() }

// Pool is a pool of workers. Use [New]; a Pool is safe for concurrent use.
type Pool struct {
	idle    chan Task
	period  atomic.Int64 // the reaper's period, ns
	live    atomic.Int32 // workers that exist
	busy    atomic.Int32 // workers running a task
	peak    atomic.Int32 // the most busy at once since the reaper last ran
	reaping atomic.Bool  // the reaper's timer is set

	mu    sync.Mutex // guards timer
	timer *time.Timer
}

// New returns a pool whose idle workers are retired after about idle.
func New(idle time.Duration) *Pool {
	p := &Pool{idle: make(chan Task)}
	p.period.Store(int64(idle))
	return p
}

// Go runs t on an idle worker, or on a new one.
func (p *Pool) Go(t Task) {
	if b := p.busy.Add(1); b > p.peak.Load() {
		for pk := p.peak.Load(); b > pk && !p.peak.CompareAndSwap(pk, b); pk = p.peak.Load() {
		}
	}
	select {
	case p.idle <- t:
	default:
		p.live.Add(1)
		if p.reaping.CompareAndSwap(false, true) {
			p.armReaper()
		}
		go p.worker(t)
	}
}

// Live returns how many workers exist.
func (p *Pool) Live() int { return int(p.live.Load()) }

// SetIdle sets the reaper's period (for tests), from now on, and returns
// a function that restores the previous one (from the reaper's next run).
func (p *Pool) SetIdle(d time.Duration) (restore func()) {
	old := p.period.Swap(int64(d))
	if p.reaping.Load() {
		p.armReaper() // the next run comes after d, not the old period
	}
	return func() { p.period.Store(old) }
}

func (p *Pool) worker(t Task) {
	for {
		t.RunTask()
		t = nil
		p.busy.Add(-1)
		if t = <-p.idle; t == nil {
			p.live.Add(-1)
			return
		}
	}
}

// reap retires the idle workers beyond the most that were busy at once in
// the last period, and runs again while workers remain.
func (p *Pool) reap() {
	keep := p.peak.Swap(p.busy.Load())
	for n := p.live.Load() - keep; n > 0; n-- {
		select {
		case p.idle <- nil:
		default:
			n = 0 // none idle
		}
	}
	p.reaping.Store(false)
	if p.live.Load() > 0 && p.reaping.CompareAndSwap(false, true) {
		p.armReaper()
	}
}

func (p *Pool) armReaper() {
	d := time.Duration(p.period.Load())
	p.mu.Lock()
	if p.timer == nil {
		p.timer = time.AfterFunc(d, p.reap)
	} else {
		p.timer.Reset(d)
	}
	p.mu.Unlock()
}
