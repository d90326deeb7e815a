//go:build unix

package testenv

import (
	"syscall"
	"time"
)

// CPUTime returns the CPU time (user and system) the process has used, or
// 0 where it cannot be read. On a machine shared with other work, CPU time
// per operation is a steadier measure for a benchmark than wall time; it
// includes the garbage collector and background goroutines.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
