//go:build unix

package quant_test

import (
	"syscall"
	"time"
)

// cpuTime returns the CPU time (user and system) the process has used. On a
// shared machine, work per CPU-second is a steadier measure than work per
// wall-clock second.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
