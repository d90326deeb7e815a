package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/plait-ai/plait/llm"
)

// Start runs call as Dispatch(ctx, call) would, but returns at once: done
// receives the call's Result, exactly once, from another goroutine. A
// caller that runs several calls at once, each as it becomes ready (the
// steps of a plan), needs no goroutine of its own per call.
//
// The call runs on a pooled worker goroutine, and its tool on that same
// goroutine: the hand-over from a caller's goroutine to a worker that
// Dispatch makes for a call under a timeout happens once here, not twice.
// The safety property is Dispatch's: when the timeout passes, or ctx is
// cancelled, before a tool that ignores its context returns, done receives
// the timeout (or the cancellation) then, its concurrency slot is freed,
// and the worker is abandoned to the tool. Calls of tools with a retry
// policy, and calls through a dispatcher with middlewares, run each
// attempt on a worker of its own, as Dispatch runs them, so that retries
// and middlewares see the same outcomes as under Dispatch.
//
// done must not block for long: it runs on the worker, or on the
// watchdog's goroutine for a timeout.
func (d *Dispatcher) Start(ctx context.Context, call llm.ToolCall, done func(Result)) {
	d.start(ctx, call, false, done)
}

// StartValidated is Start for arguments validated already, as
// DispatchValidated is for Dispatch: it skips validating them again.
func (d *Dispatcher) StartValidated(ctx context.Context, call llm.ToolCall, done func(Result)) {
	d.start(ctx, call, true, done)
}

func (d *Dispatcher) start(ctx context.Context, call llm.ToolCall, validated bool, done func(Result)) {
	if call.ID == "" {
		call.ID = d.id()
	}
	startJob(&asyncCall{d: d, ctx: ctx, call: call, validated: validated, done: done})
}

// asyncCall is a call started with Start. Its Result goes to done once:
// from the worker when the call completes, or, while its tool runs in
// place on the worker (see callOnce), from the watchdog at the timeout or
// from the parent context's cancellation, whichever comes first; state
// says who has it.
type asyncCall struct {
	d         *Dispatcher
	ctx       context.Context
	call      llm.ToolCall
	validated bool
	done      func(Result)

	state atomic.Int32

	// Set on the worker before the tool runs in place, read by an early
	// delivery: the start of the call (as coreWith counts it), the
	// attempt's timeout, and the concurrency slot held.
	start   time.Duration
	timeout time.Duration
	sem     chan struct{}
	semHeld atomic.Bool

	// cctx is the context of the call's attempt when it runs in place:
	// one allocation with the call (neither is ever reused).
	cctx callCtx
}

const (
	asyncPending int32 = iota // the outcome is not decided
	asyncWorker               // the worker delivers the outcome
	asyncEarly                // a timeout or cancellation was delivered
)

// errAbandoned is what an in-place attempt returns, up to the worker,
// when its outcome was delivered early: the worker delivers nothing.
var errAbandoned = errors.New("tools: the call's outcome was delivered already")

func (a *asyncCall) runOnWorker() {
	res := a.d.runAsync(a)
	if a.state.CompareAndSwap(asyncPending, asyncWorker) || a.state.Load() == asyncWorker {
		a.done(res)
	}
}

// runAsync is call for a started call, on its worker.
func (d *Dispatcher) runAsync(a *asyncCall) (res Result) {
	if len(d.mws) > 0 {
		// The middlewares see each outcome as under Dispatch: its tool
		// runs on a worker of its own.
		return d.call(a.ctx, a.call, a.validated)
	}
	start := monoNow()
	defer func() {
		if r := recover(); r != nil {
			perr := &PanicError{Tool: a.call.Name, Value: r, Stack: debug.Stack()}
			res = Result{Call: a.call, Err: perr, Content: "error: " + clip(perr.Error(), 300), Duration: monoNow() - start}
			d.log(a.ctx, res)
		}
	}()
	return d.coreWith(a.ctx, a.call, a.validated, a)
}

// releaseSem frees the concurrency slot the call holds, once.
func (a *asyncCall) releaseSem() {
	if a.semHeld.CompareAndSwap(true, false) {
		<-a.sem
	}
}

// deliverEarly gives done err as the call's outcome while its tool still
// runs, unless the worker has taken the outcome: the Result Dispatch
// returns when a call times out or is cancelled.
func (a *asyncCall) deliverEarly(err error) {
	if !a.state.CompareAndSwap(asyncPending, asyncEarly) {
		return
	}
	a.releaseSem()
	res := failed(err, "")
	res.Attempts = 1
	res.Call = a.call
	res.Duration = monoNow() - a.start
	a.d.log(a.ctx, res)
	a.done(res)
}

// runInPlace runs one attempt of a started call's tool on the current
// goroutine, the call's worker, which the caller does not wait on: the
// watchdog delivers a timeout, and the parent's cancellation a stop, to
// the caller while the tool runs on. It returns errAbandoned when one of
// them did.
func runInPlace(ctx context.Context, c *callCtx, a *asyncCall, e *entry, args json.RawMessage, timeout time.Duration) (any, error) {
	a.timeout = timeout
	c.async = a
	watchAdd(c)
	var stop func() bool
	if c.parentDone != nil {
		stop = context.AfterFunc(ctx, func() {
			c.cancel(ctx.Err())
			a.deliverEarly(fmt.Errorf("tool %q stopped: %w", e.spec.Name, ctx.Err()))
		})
	}
	out, err := safeCall(c, e, args)
	watchRemove(c)
	if stop != nil {
		stop()
	}
	if !a.state.CompareAndSwap(asyncPending, asyncWorker) {
		c.cancel(context.Canceled)
		return nil, errAbandoned
	}
	expired := c.expired()
	c.cancel(context.Canceled)
	if err != nil && expired && ctx.Err() == nil {
		return nil, &TimeoutError{Tool: e.spec.Name, Timeout: timeout}
	}
	return out, err
}
