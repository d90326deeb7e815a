package agent

import "time"

// Steps run on a process-wide pool of worker goroutines rather than on a
// new goroutine each: a worker's stack has already grown to what tool
// calls need (argument decoding, JSON encoding), so a step does not pay
// for growing and copying a fresh stack. A worker that ran no step for a
// whole period of workerIdle exits (so, after an idle time between one and
// two periods); its timer is not reset for every step.
const workerIdle = 10 * time.Second

var idleWorkers = make(chan task)

// task is work for a worker: an interface rather than a func, so that a
// step handed over needs no closure allocated.
type task interface{ runTask() }

// goStep runs f on an idle worker, or on a new one.
func goStep(f task) {
	select {
	case idleWorkers <- f:
	default:
		go worker(f)
	}
}

func worker(f task) {
	t := time.NewTimer(workerIdle)
	defer t.Stop()
	ran := false // a step ran since the timer was last set
	for {
		if f != nil {
			f.runTask()
			f = nil
			ran = true
		}
		select {
		case f = <-idleWorkers:
		case <-t.C:
			if !ran {
				return
			}
			ran = false
			t.Reset(workerIdle)
		}
	}
}
