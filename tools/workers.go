package tools

import (
	"encoding/json"
	"sync"
	"sync/atomic"
	"time"

	"github.com/plait-ai/plait/internal/workpool"
)

// Tool calls under a timeout do not run on the caller's goroutine: a tool
// that ignores its context must not hold the caller past the timeout, and
// only another goroutine can be abandoned. They run on a process-wide pool
// of worker goroutines, not on a new goroutine each:
//
//   - A fresh goroutine starts with a small stack, and decoding arguments
//     with encoding/json (reflection) grows it at once; growing copies the
//     stack, and that copying was most of the cost of a dispatch (about
//     10 µs of CPU of the 13 µs a trivial call took). A worker keeps its
//     grown stack from call to call.
//   - The safety property is the same as with a goroutine per call: the
//     caller waits for the worker's outcome or the timeout, whichever comes
//     first (the deadline watchdog in callctx.go delivers the timeout to
//     the job, so the caller waits on one channel, with no timer of its
//     own). When the timeout wins, the caller returns a timeout result and
//     abandons the call's job; the worker stays busy until the tool
//     returns and then goes back to the pool (or exits), so a stuck tool
//     costs one goroutine, as before, never the caller.
//   - A job goes to an idle worker when one is waiting and to a new worker
//     otherwise, so calls never queue behind a busy (or stuck) worker; the
//     dispatcher's concurrency bound limits how many run.
//   - Idle workers are retired as package workpool says.
//
// Tools marked [Inline], calls with no timeout, and calls of tools that
// have proved quick (see [Dispatcher.Quick]) run on the caller's goroutine
// and never come here.
const toolWorkerIdle = 10 * time.Second

// toolWorkers is the pool that runs calls.
var toolWorkers = workpool.New(toolWorkerIdle)

// callJob is one attempt handed to a worker. Its outcome is delivered
// once, on done, by whichever comes first: the worker, with the tool's
// outcome, or the watchdog (see callctx.go), with a timeout; state says
// which. done is buffered, so neither ever blocks on a caller that has
// given up.
type callJob struct {
	ctx   *callCtx
	e     *entry
	args  json.RawMessage
	state atomic.Int32
	done  chan callOutcome
}

const (
	jobRunning int32 = iota
	jobFinished
	jobTimedOut
)

// jobs are reused when their caller received the worker's outcome and the
// watchdog has let go of them; an abandoned job (the timeout won, or the
// caller's context was cancelled) is left to the garbage collector, since
// its worker may still look at it.
var jobPool = sync.Pool{New: func() any { return &callJob{done: make(chan callOutcome, 1)} }}

// startJob runs j, one attempt of a call (a *callJob) or a whole call
// started with Dispatcher.Start (an *asyncCall), on an idle worker, or on
// a new one.
func startJob(j workpool.Task) { toolWorkers.Go(j) }

// RunTask runs the attempt on a worker and hands its outcome to the
// caller, unless the watchdog gave the caller a timeout first.
func (j *callJob) RunTask() {
	start := monoNow()
	out, err := safeCall(j.ctx, j.e, j.args)
	// The tool's time here, not the caller's wait, counts towards its
	// being quick (see entry.quickAway). (j is the caller's to reuse once
	// done has a value; an abandoned one is never reused.)
	j.e.observe(monoNow() - start)
	j.e.sawCall(j.ctx)
	if j.state.CompareAndSwap(jobRunning, jobFinished) {
		j.done <- callOutcome{out: out, err: err}
	}
	// The caller may reuse the job once done has a value.
}
