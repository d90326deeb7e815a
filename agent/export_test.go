package agent

import "time"

// SetWorkerIdle sets the period after which idle step workers retire, and
// returns a function that restores it.
func SetWorkerIdle(d time.Duration) func() {
	old := workerIdle.Swap(int64(d))
	if workers.reaping.Load() {
		armReaper() // the reaper's next run comes after d, not the old period
	}
	return func() { workerIdle.Store(old) }
}

// LiveWorkers returns the number of step workers.
func LiveWorkers() int { return int(workers.live.Load()) }
