package agent

import "time"

// Steps run on a process-wide pool of worker goroutines rather than on a
// new goroutine each: a worker's stack has already grown to what tool
// calls need (argument decoding, JSON encoding), so a step does not pay
// for growing and copying a fresh stack. Workers that stay idle for
// workerIdle exit.
const workerIdle = 10 * time.Second

var idleWorkers = make(chan func())

// goStep runs f on an idle worker, or on a new one.
func goStep(f func()) {
	select {
	case idleWorkers <- f:
	default:
		go worker(f)
	}
}

func worker(f func()) {
	t := time.NewTimer(workerIdle)
	defer t.Stop()
	for {
		f()
		f = nil
		t.Reset(workerIdle)
		select {
		case f = <-idleWorkers:
		case <-t.C:
			return
		}
	}
}
