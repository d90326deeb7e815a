package agent

import (
	"sync"
	"sync/atomic"
	"time"
)

// Steps that do not start on the executor (reasoning steps, steps under an
// approval hook or a span, tool steps of executors that cannot start a
// call) run on a process-wide pool of worker goroutines rather than on a
// new goroutine each: a worker's stack has already grown to what steps
// need (argument decoding, JSON encoding), so a step does not pay for
// growing and copying a fresh stack.
//
// An idle worker waits on a plain channel receive, with no timer of its
// own (a two-way select with a timer per step cost as much as a tenth of
// a step). One reaper, a timer that runs every workerIdle while workers
// exist, retires the idle workers beyond the most that were busy at once
// since it last ran, so a process idle for two periods keeps none. A step
// goes to an idle worker when one is waiting and to a new worker
// otherwise, so steps never queue behind busy ones.
const defaultWorkerIdle = 10 * time.Second

// workerIdle is defaultWorkerIdle, or what a test set.
var workerIdle atomic.Int64

func init() { workerIdle.Store(int64(defaultWorkerIdle)) }

var workers struct {
	live    atomic.Int32 // workers that exist
	busy    atomic.Int32 // workers running a step
	peak    atomic.Int32 // the most busy at once since the reaper last ran
	reaping atomic.Bool  // the reaper's timer is set
}

var idleWorkers = make(chan task)

// task is work for a worker: an interface rather than a func, so that a
// step handed over needs no closure allocated.
type task interface{ runTask() }

// goStep runs f on an idle worker, or on a new one.
func goStep(f task) {
	if b := workers.busy.Add(1); b > workers.peak.Load() {
		for p := workers.peak.Load(); b > p && !workers.peak.CompareAndSwap(p, b); p = workers.peak.Load() {
		}
	}
	select {
	case idleWorkers <- f:
	default:
		workers.live.Add(1)
		if workers.reaping.CompareAndSwap(false, true) {
			armReaper()
		}
		go worker(f)
	}
}

func worker(f task) {
	for {
		f.runTask()
		f = nil
		workers.busy.Add(-1)
		if f = <-idleWorkers; f == nil {
			workers.live.Add(-1)
			return
		}
	}
}

// reapWorkers retires the idle workers beyond the most that were busy at
// once in the last period, and runs again while workers remain.
func reapWorkers() {
	keep := workers.peak.Swap(workers.busy.Load())
	for n := workers.live.Load() - keep; n > 0; n-- {
		select {
		case idleWorkers <- nil:
		default:
			n = 0 // none idle
		}
	}
	workers.reaping.Store(false)
	if workers.live.Load() > 0 && workers.reaping.CompareAndSwap(false, true) {
		armReaper()
	}
}

// reaper is the one timer that runs reapWorkers.
var reaper struct {
	mu sync.Mutex
	t  *time.Timer
}

func armReaper() {
	d := time.Duration(workerIdle.Load())
	reaper.mu.Lock()
	if reaper.t == nil {
		reaper.t = time.AfterFunc(d, reapWorkers)
	} else {
		reaper.t.Reset(d)
	}
	reaper.mu.Unlock()
}
