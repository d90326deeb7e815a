package agent

import (
	"time"

	"github.com/plait-ai/plait/internal/workpool"
)

// Steps that do not start on the executor (reasoning steps, steps under an
// approval hook or a span, tool steps of executors that cannot start a
// call) run on a process-wide pool of worker goroutines rather than on a
// new goroutine each: a worker's stack has already grown to what steps
// need (argument decoding, JSON encoding), so a step does not pay for
// growing and copying a fresh stack.
//
// Package workpool says how workers are handed steps and retired.
const defaultWorkerIdle = 10 * time.Second

// stepWorkers is the pool that runs such steps.
var stepWorkers = workpool.New(defaultWorkerIdle)

// goStep runs f on an idle worker, or on a new one.
func goStep(f workpool.Task) { stepWorkers.Go(f) }
