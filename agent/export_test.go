package agent

import "time"

// SetWorkerIdle sets the period after which idle step workers retire, and
// returns a function that restores it.
func SetWorkerIdle(d time.Duration) func() { return stepWorkers.SetIdle(d) }

// LiveWorkers returns the number of step workers.
func LiveWorkers() int { return stepWorkers.Live() }
