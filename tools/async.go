package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
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
// done must not block for long: it runs on the worker, or, for a timeout
// or a cancellation delivered while the tool runs on, on the goroutine
// that delivers it (the watchdog's, or the one context.AfterFunc starts).
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
	a := asyncCalls.Get().(*asyncCall)
	a.d, a.ctx, a.call, a.validated, a.done = d, ctx, call, validated, done
	startJob(a)
}

// asyncCalls are reused once their worker delivered their Result and
// nothing else can still look at them: not the watchdog, which only ever
// holds calls whose outcome it has taken, nor a cancellation callback
// that has started. The context of a call's attempt is never reused (a
// tool may keep it), so it is not part of the call.
var asyncCalls = sync.Pool{New: func() any {
	a := new(asyncCall)
	a.onCancel = a.parentCancelled // made once, for every use of a
	return a
}}

// recycle returns a to asyncCalls.
func (a *asyncCall) recycle() {
	a.d, a.ctx, a.call, a.validated, a.done = nil, nil, llm.ToolCall{}, false, nil
	a.start, a.timeout, a.sem = 0, 0, nil
	a.semHeld.Store(false)
	a.state.Store(asyncPending)
	a.keep, a.attempt = false, nil
	asyncCalls.Put(a)
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
	sem     *slots
	semHeld atomic.Bool

	// keep is set when a cancellation callback may still look at the
	// call, which must then not be reused.
	keep bool

	// attempt is the context of the attempt running in place; onCancel
	// is parentCancelled, the callback that the parent context's
	// cancellation runs meanwhile.
	attempt  *callCtx
	onCancel func()
}

// parentCancelled delivers the cancellation of the parent context while
// the call's tool runs in place, as Dispatch returns it.
func (a *asyncCall) parentCancelled() {
	c := a.attempt
	c.cancel(c.parent.Err())
	a.deliverEarly(fmt.Errorf("tool %q stopped: %w", a.call.Name, c.parent.Err()))
}

const (
	asyncPending int32 = iota // the outcome is not decided
	asyncWorker               // the worker delivers the outcome
	asyncEarly                // a timeout or cancellation was delivered
)

// errAbandoned is what an in-place attempt returns, up to the worker,
// when its outcome was delivered early: the worker delivers nothing.
var errAbandoned = errors.New("tools: the call's outcome was delivered already")

func (a *asyncCall) RunTask() {
	res := a.d.runAsync(a)
	if a.state.CompareAndSwap(asyncPending, asyncWorker) || a.state.Load() == asyncWorker {
		a.done(res)
		if !a.keep {
			a.recycle()
		}
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
	return d.coreWith(a.ctx, a.call, a.validated, a, start)
}

// releaseSem frees the concurrency slot the call holds, once.
func (a *asyncCall) releaseSem() {
	if a.semHeld.CompareAndSwap(true, false) {
		a.sem.release()
	}
}

// deliverEarly gives done err as the call's outcome while its tool still
// runs, unless the worker has taken the outcome: the Result Dispatch
// returns when a call times out or is cancelled.
func (a *asyncCall) deliverEarly(err error) {
	if a.state.CompareAndSwap(asyncPending, asyncEarly) {
		a.deliverTaken(err)
	}
}

// deliverTaken is deliverEarly once the outcome is taken (the state set to
// asyncEarly).
func (a *asyncCall) deliverTaken(err error) {
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
	a.timeout, a.attempt = timeout, c
	c.async = a
	watchAdd(c)
	var stop func() bool
	if ctx.Done() != nil {
		stop = context.AfterFunc(ctx, a.onCancel)
	}
	out, err := safeCall(c, e, args)
	e.sawCall(c)
	watchRemove(c)
	c.async = nil // the watchdog no longer sees c
	if stop != nil && !stop() {
		a.keep = true // the callback has started: it may look at a
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
