//go:build linux

package constrain_test

import (
	"runtime"
	"syscall"
	"time"
)

const rusageThread = 1 // RUSAGE_THREAD

// cpuTime is the calling thread's user+system CPU time (the benchmark
// goroutine is locked to its thread): on a shared machine it is a steadier
// measure than wall time, and it leaves out the garbage collector's
// background work for the test harness.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func lockThread() func() {
	runtime.LockOSThread()
	return runtime.UnlockOSThread
}
