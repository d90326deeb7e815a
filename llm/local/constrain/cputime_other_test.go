//go:build !unix && !linux

package constrain_test

import "time"

var cpuStart = time.Now()

// cpuTime falls back to wall time where rusage is not available.
func cpuTime() time.Duration { return time.Since(cpuStart) }

func lockThread() func() { return func() {} }
