package tools

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/plait-ai/plait/llm"
)

// Defaults of a Dispatcher.
const (
	// DefaultTimeout limits each call of a tool that sets no timeout of
	// its own.
	DefaultTimeout = 2 * time.Minute
	// DefaultConcurrency bounds the calls that run at once.
	DefaultConcurrency = 16
	// DefaultMaxResultBytes caps a result's content.
	DefaultMaxResultBytes = 32 << 10
)

// Dispatcher runs tool calls: it implements [Executor]. For each call it
// fills in a missing id (a UUID), finds the tool, validates the arguments
// against the tool's compiled schema, evaluates the tool's guards, asks the
// approval hook where the tool needs it, runs the tool under its timeout
// with its panics recovered and its retryable errors retried, encodes the
// output and caps its size. Every outcome is a [Result] whose Content the
// model can read; the call's middlewares (see [WithMiddleware]) run around
// all of it.
//
// The zero value has no tools and default limits. A Dispatcher is
// immutable once made and safe for concurrent use; its concurrency bound
// is shared by all Dispatch calls (and by the dispatchers that [Dispatcher.With]
// and [Dispatcher.Select] derive from it).
type Dispatcher struct {
	set        *Set
	sem        *slots
	timeout    time.Duration
	maxResult  int
	mws        []CallMiddleware
	handler    CallHandler
	vhandler   CallHandler // the chain over coreValidated
	approver   Approver
	approveAll bool
	logger     *slog.Logger
	newID      func() string
}

// DispatcherOption configures a [Dispatcher].
type DispatcherOption func(*Dispatcher)

// WithConcurrency bounds the number of tool calls that run at once (n < 1
// means DefaultConcurrency).
func WithConcurrency(n int) DispatcherOption {
	return func(d *Dispatcher) {
		if n < 1 {
			n = DefaultConcurrency
		}
		d.sem = newSlots(n)
	}
}

// WithTimeout sets the timeout of each attempt of a call of a tool that has
// none of its own (see [Timeout]); a negative value means none.
func WithTimeout(t time.Duration) DispatcherOption {
	return func(d *Dispatcher) { d.timeout = t }
}

// WithMaxResultBytes caps the content of a result of a tool that has no cap
// of its own (see [MaxResultBytes]); longer content is cut at a UTF-8
// boundary and ends with a marker such as "…[truncated 12345 bytes]". A
// negative value means no cap.
func WithMaxResultBytes(n int) DispatcherOption {
	return func(d *Dispatcher) { d.maxResult = n }
}

// WithMiddleware adds per-call middlewares (tracing, logging, metrics); the
// first is the outermost. They run around every call, after its id is
// filled in.
func WithMiddleware(mws ...CallMiddleware) DispatcherOption {
	return func(d *Dispatcher) { d.mws = append(d.mws, mws...) }
}

// WithApprover sets the human-in-the-loop hook asked about the calls of
// tools marked [NeedsApproval] (of every tool, with [WithApproveAll]).
func WithApprover(a Approver) DispatcherOption {
	return func(d *Dispatcher) { d.approver = a }
}

// WithApproveAll sends every call, not only those of tools marked
// [NeedsApproval], to the approval hook.
func WithApproveAll() DispatcherOption {
	return func(d *Dispatcher) { d.approveAll = true }
}

// WithLogger logs failed calls (with a panic's stack) to l.
func WithLogger(l *slog.Logger) DispatcherOption {
	return func(d *Dispatcher) { d.logger = l }
}

// WithIDs sets the function that makes ids for calls that have none; by
// default a UUID (version 7, so ids sort in the order calls were made).
func WithIDs(newID func() string) DispatcherOption {
	return func(d *Dispatcher) { d.newID = newID }
}

// NewDispatcher returns a dispatcher of set's tools. Tools added to set
// later are dispatched too.
func NewDispatcher(set *Set, opts ...DispatcherOption) *Dispatcher {
	d := &Dispatcher{set: set}
	return d.With(opts...)
}

// With returns a copy of d with more options. The copy shares d's
// concurrency bound unless an option sets a new one.
func (d *Dispatcher) With(opts ...DispatcherOption) *Dispatcher {
	c := *d
	c.mws = append([]CallMiddleware(nil), d.mws...)
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	if c.set == nil {
		c.set = &Set{}
	}
	if c.sem == nil {
		c.sem = newSlots(DefaultConcurrency)
	}
	c.chain()
	return &c
}

// chain builds the middleware chains over the copy d points to: one over
// core, one over coreValidated (for DispatchValidated).
func (d *Dispatcher) chain() {
	d.handler, d.vhandler = d.core, d.coreValidated
	for i := len(d.mws) - 1; i >= 0; i-- {
		if d.mws[i] != nil {
			d.handler = d.mws[i](d.handler)
			d.vhandler = d.mws[i](d.vhandler)
		}
	}
}

// Select returns a dispatcher of the named tools only, for one request:
// a call of another tool is reported as unknown. It shares d's options and
// concurrency bound.
func (d *Dispatcher) Select(names ...string) (*Dispatcher, error) {
	set, err := d.tools().Select(names...)
	if err != nil {
		return nil, err
	}
	c := *d
	c.set = set
	if c.handler != nil {
		// Rebuild the chains so they close over the copy.
		c.chain()
	}
	return &c, nil
}

// Tools returns the set the dispatcher runs.
func (d *Dispatcher) Tools() *Set { return d.tools() }

func (d *Dispatcher) tools() *Set {
	if d == nil || d.set == nil {
		return &Set{}
	}
	return d.set
}

// Specs returns the specs of the named tools, or of all of them.
func (d *Dispatcher) Specs(names ...string) []llm.ToolSpec { return d.tools().Specs(names...) }

// Validate checks args against the named tool's schema without running it.
func (d *Dispatcher) Validate(name string, args json.RawMessage) error {
	return d.tools().Validate(name, args)
}

// Dispatch runs calls, in parallel up to the concurrency bound, and returns
// one Result per call in call order. It never panics and never returns
// early: failures, including calls not started because ctx was done, are
// Results.
func (d *Dispatcher) Dispatch(ctx context.Context, calls ...llm.ToolCall) []Result {
	return d.dispatch(ctx, calls, false)
}

// DispatchValidated is Dispatch for calls whose arguments the caller has
// already checked with [Dispatcher.Validate] (a planner that validates a
// plan's steps when it compiles the plan, say): it skips validating them
// again, and does everything else Dispatch does (lookup, guards, approval,
// which validates edited arguments, timeout, retries, encoding, the
// middlewares). Arguments that were not validated against this
// dispatcher's schemas must go through Dispatch: a tool receives them
// unchecked here. It implements [ValidatedExecutor].
func (d *Dispatcher) DispatchValidated(ctx context.Context, calls ...llm.ToolCall) []Result {
	return d.dispatch(ctx, calls, true)
}

func (d *Dispatcher) dispatch(ctx context.Context, calls []llm.ToolCall, validated bool) []Result {
	out := make([]Result, len(calls))
	switch len(calls) {
	case 0:
		return out
	case 1:
		out[0] = d.call(ctx, calls[0], validated)
		return out
	}
	d.dispatchMany(ctx, calls, validated, out)
	return out
}

// dispatchMany runs several calls on up to the concurrency bound of
// goroutines. It is apart from dispatch so that the variables its
// goroutines share escape to the heap only when there are several calls.
func (d *Dispatcher) dispatchMany(ctx context.Context, calls []llm.ToolCall, validated bool, out []Result) {
	// Fill ids first, so they follow call order.
	// A copy: the caller's slice stays untouched, and does not escape.
	own := append([]llm.ToolCall(nil), calls...)
	for i := range own {
		if own[i].ID == "" {
			own[i].ID = d.id()
		}
	}
	quick := true
	for i := range own {
		if !d.Quick(own[i].Name) {
			quick = false
			break
		}
	}
	if quick {
		for i := range own {
			out[i] = d.call(ctx, own[i], validated)
		}
		return
	}
	workers := min(len(own), int(d.semaphore().size))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(own) {
					return
				}
				out[i] = d.call(ctx, own[i], validated)
			}
		}()
	}
	wg.Wait()
}

// Call runs one call to its Result; it never panics.
func (d *Dispatcher) Call(ctx context.Context, call llm.ToolCall) (res Result) {
	return d.call(ctx, call, false)
}

// CallValidated is Call for a call whose arguments were validated already,
// as DispatchValidated is for Dispatch: one call without Dispatch's slice.
func (d *Dispatcher) CallValidated(ctx context.Context, call llm.ToolCall) (res Result) {
	return d.call(ctx, call, true)
}

func (d *Dispatcher) call(ctx context.Context, call llm.ToolCall, validated bool) (res Result) {
	if call.ID == "" {
		call.ID = d.id()
	}
	h := d.handler
	if validated {
		h = d.vhandler
	}
	if h == nil {
		h = d.core
		if validated {
			h = d.coreValidated
		}
	}
	if len(d.mws) > 0 {
		if e := d.tools().lookup(call.Name); e != nil {
			ctx = context.WithValue(ctx, specKey{}, &e.spec)
		}
	}
	start := monoNow()
	defer d.recoverCall(ctx, &call, &res, start)
	if len(d.mws) == 0 {
		// No middlewares: the call starts now (one clock read, not two).
		// The Result is made in place, not copied up from each layer.
		d.coreInto(&res, ctx, call, validated, nil, start)
		return res
	}
	return h(ctx, call)
}

// recoverCall, deferred by call, makes the Result of a call that
// panicked outside its tool (in a middleware, say). A method with the
// call's address rather than a closure: deferring it copies fewer words.
func (d *Dispatcher) recoverCall(ctx context.Context, call *llm.ToolCall, res *Result, start time.Duration) {
	if r := recover(); r != nil {
		perr := &PanicError{Tool: call.Name, Value: r, Stack: debug.Stack()}
		*res = Result{Call: *call, Err: perr, Content: "error: " + clip(perr.Error(), 300), Duration: monoNow() - start}
		d.log(ctx, *res)
	}
}

// RunsInline reports whether calls of the named tool always run on the
// calling goroutine: the tool is marked [Inline], or its calls have no
// timeout. Other calls run on a pooled worker goroutine, so that their
// timeout can abandon a tool that ignores its ctx, until the tool proves
// quick (see [Dispatcher.Quick]): a caller that would wait for such a call
// anyway may as well [Dispatcher.Start] it with the others it runs. It
// reports false for a tool the dispatcher does not have.
func (d *Dispatcher) RunsInline(name string) bool {
	e := d.tools().lookup(name)
	return e != nil && d.inline(e)
}

// inline is RunsInline for e.
func (d *Dispatcher) inline(e *entry) bool {
	if e.opts.inline {
		return true
	}
	timeout := d.timeout
	if e.opts.timeout != 0 {
		timeout = e.opts.timeout
	}
	return timeout < 0
}

// Quick reports whether calls of the named tool take less time than
// handing them to another goroutine would, and so run on the calling
// goroutine: under 10 µs, by a moving average of its calls' durations
// that one slow call raises at once (the time a call's tool took on its
// worker, for a call that ran on one). A caller with several calls of
// quick tools to make makes them one after another on its own goroutine,
// which is faster than side by side when each takes microseconds;
// Dispatch does, and so do agents' executors.
//
// A tool that always runs on the calling goroutine ([RunsInline]) can be
// quick after its first few calls; any other tool after its first 32, and
// never when it is marked [Isolated] or once one of its calls has asked
// for its ctx's Done channel (a tool that waits for something keeps its
// calls where its timeout abandons them). A quick tool's timeout reaches
// its calls through their ctx only, as an Inline tool's does: a quick
// call that blocks past its timeout without looking at ctx holds its
// caller until it returns, and then fails with a [*TimeoutError] (an
// Inline tool's only if it failed). It leaves the tool not quick, so its
// next calls go to workers again. A tool that is sometimes slow is not
// quick for many calls after each slow one, so that it delays the calls
// made after it rarely. A tool whose call waits for another call made
// beside it to start (which independent calls never need) without
// looking at ctx.Done must be marked Isolated: made one after another,
// such calls would wait for each other for ever.
func (d *Dispatcher) Quick(name string) bool {
	e := d.tools().lookup(name)
	if e == nil {
		return false
	}
	if d.inline(e) {
		return e.provedQuick(quickRun)
	}
	return e.quickAway()
}

type specKey struct{}

type semKey struct{}

// SpecFrom returns the spec of the tool a call is for, inside a
// CallMiddleware (for a span's gen_ai.tool.description, say); ok is false
// when the call names no registered tool.
func SpecFrom(ctx context.Context) (spec llm.ToolSpec, ok bool) {
	p, _ := ctx.Value(specKey{}).(*llm.ToolSpec)
	if p == nil {
		return llm.ToolSpec{}, false
	}
	return *p, true
}

func (d *Dispatcher) id() string {
	if d != nil && d.newID != nil {
		if id := d.newID(); id != "" {
			return id
		}
	}
	if u, err := uuid.NewV7(); err == nil {
		return u.String()
	}
	return uuid.NewString()
}

func (d *Dispatcher) semaphore() *slots {
	if d == nil || d.sem == nil {
		return defaultSem
	}
	return d.sem
}

var defaultSem = newSlots(DefaultConcurrency)

const maxErrorContent = 4 << 10

// core is the innermost handler: everything from lookup to encoding.
func (d *Dispatcher) core(ctx context.Context, call llm.ToolCall) Result {
	return d.coreWith(ctx, call, false, nil, monoNow())
}

// coreValidated is core for arguments validated already.
func (d *Dispatcher) coreValidated(ctx context.Context, call llm.ToolCall) Result {
	return d.coreWith(ctx, call, true, nil, monoNow())
}

// coreWith runs a call that started at start (by monoNow); a, when not
// nil, is the started call (see Start) whose worker this is.
func (d *Dispatcher) coreWith(ctx context.Context, call llm.ToolCall, validated bool, a *asyncCall, start time.Duration) (res Result) {
	d.coreInto(&res, ctx, call, validated, a, start)
	return res
}

// coreInto is coreWith with the Result made in *res, a zero Result.
func (d *Dispatcher) coreInto(res *Result, ctx context.Context, call llm.ToolCall, validated bool, a *asyncCall, start time.Duration) {
	if a != nil {
		a.start = start
	}
	e := d.run(res, ctx, call, validated, a, start)
	if res.Call.Name == "" {
		res.Call = call
	}
	if res.Err != nil && len(res.Content) > maxErrorContent {
		// An explanation longer than this (thousands of problems, a huge
		// error text) helps no model.
		res.Content, _ = truncate(res.Content, maxErrorContent)
	}
	res.Duration = monoNow() - start
	if e != nil {
		e.observe(res.Duration)
	}
	if res.Err != nil && res.Err != errAbandoned {
		d.log(ctx, *res)
	}
}

// run runs a call for coreInto, which started it at start, making its
// Result in *res, a zero Result. It returns the tool's entry when the tool
// ran where the call was made (or on the started call's worker), so that
// the call's duration counts towards its being quick (see
// [Dispatcher.Quick]); a worker that ran an attempt counts the time the
// tool took there itself, without the hand-over.
func (d *Dispatcher) run(res *Result, ctx context.Context, call llm.ToolCall, validated bool, a *asyncCall, start time.Duration) *entry {
	if err := ctx.Err(); err != nil {
		*res = failed(fmt.Errorf("tool %q was not run: %w", call.Name, err), "the call was not run because the run was cancelled or ran out of time")
		return nil
	}
	set := d.tools()
	e := set.lookup(call.Name)
	if e == nil {
		err := fmt.Errorf("%w %q; %s", ErrUnknownTool, call.Name, set.available())
		*res = failed(err, "")
		return nil
	}
	args := call.Arguments
	if len(args) == 0 {
		args = emptyObject
	}
	if !validated {
		if err := e.val.validate(call.Name, args); err != nil {
			*res = failed(err, "fix the arguments and call the tool again")
			return nil
		}
	}
	if len(e.opts.guards) > 0 {
		if derr := checkGuards(ctx, call.Name, e.opts.guards, args); derr != nil {
			*res = failed(derr, "")
			return nil
		}
	}
	edited := false
	if e.opts.approval || d.approveAll {
		var derr *DeniedError
		args, edited, derr = d.approve(ctx, e, call, args)
		if derr != nil {
			*res = failed(derr, "")
			return nil
		}
	}
	// The first attempt's deadline counts from the call's start, with no
	// clock read of its own, when nothing done since can have taken time:
	// no validation, guard or approval, and no queue before a worker (a
	// started call's; see invoke for the concurrency slot).
	since := time.Duration(-1)
	if validated && a == nil && len(e.opts.guards) == 0 && !e.opts.approval && !d.approveAll {
		since = start
	}
	if e.opts.retry != nil {
		// Each attempt on a worker of its own, as under Dispatch: an
		// attempt that times out is retried.
		a = nil
	}
	out, attempts, away, err := d.invoke(ctx, e, args, a, since)
	ran := e
	if away {
		ran = nil
	}
	if err != nil {
		*res = failed(err, "")
		res.Attempts = attempts
		return ran
	}
	content, ok := "", false
	if e.enc != nil {
		content, ok = e.enc(out)
	}
	if !ok {
		if str, isStr := out.(string); isStr {
			content = str // what encodeOutput makes of it, without the call
		} else {
			content, err = encodeOutput(out)
		}
	}
	if err != nil {
		*res = failed(fmt.Errorf("tool %q returned an output that cannot be encoded as JSON: %w", call.Name, err), "")
		res.Output = out
		res.Attempts = attempts
		return ran
	}
	limit := d.maxResult
	if e.opts.maxResult != 0 {
		limit = e.opts.maxResult
	}
	if limit == 0 {
		limit = DefaultMaxResultBytes
	}
	res.Output, res.Attempts = out, attempts
	if edited {
		call.Arguments = args
		res.Call = call
	}
	res.Content, res.Truncated = truncate(content, limit)
	return ran
}

// approve asks the approval hook about a call. It returns the arguments to
// run with.
func (d *Dispatcher) approve(ctx context.Context, e *entry, call llm.ToolCall, args json.RawMessage) (json.RawMessage, bool, *DeniedError) {
	if d.approver == nil {
		return nil, false, &DeniedError{Tool: call.Name, By: "approval", Reason: "the tool needs approval and no one can give it here"}
	}
	call.Arguments = args
	dec, err := func() (dec Decision, err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("approval hook panicked: %v", r)
			}
		}()
		return d.approver(ctx, ApprovalRequest{Call: call, Spec: e.spec})
	}()
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		return nil, false, &DeniedError{Tool: call.Name, By: "approval", Reason: "no approval was given", Err: err}
	}
	switch dec.Verdict {
	case VerdictAllow:
		return args, false, nil
	case VerdictEdit:
		if len(dec.Arguments) == 0 {
			dec.Arguments = emptyObject
		}
		if err := e.val.validate(call.Name, dec.Arguments); err != nil {
			return nil, false, &DeniedError{Tool: call.Name, By: "approval", Reason: "the edited arguments are invalid: " + err.Error(), Err: err}
		}
		if derr := checkGuards(ctx, call.Name, e.opts.guards, dec.Arguments); derr != nil {
			return nil, false, derr
		}
		return dec.Arguments, true, nil
	default:
		reason := dec.Reason
		if reason == "" {
			reason = "the reviewer refused the call"
		}
		return nil, false, &DeniedError{Tool: call.Name, By: "approval", Reason: reason}
	}
}

// invoke runs the tool with its timeout, retries and panic recovery,
// holding a slot of the concurrency bound. a, when not nil, is the
// started call whose worker this is: its one attempt runs in place. since,
// when not negative, is the time (by monoNow) the first attempt's timeout
// counts from when the slot is free at once. away reports that the last
// attempt ran on a worker of its own (see callOnce).
func (d *Dispatcher) invoke(ctx context.Context, e *entry, args json.RawMessage, a *asyncCall, since time.Duration) (any, int, bool, error) {
	// A call made from inside a call that holds a slot of the same bound
	// (an agent used as a tool, dispatching its own calls) runs under its
	// caller's slot: waiting for another could deadlock when every slot is
	// held by a caller waiting for its calls.
	sem := d.semaphore()
	if held, _ := ctx.Value(semKey{}).(*slots); held != sem {
		waited, err := sem.acquire(ctx)
		if err != nil {
			return nil, 0, false, fmt.Errorf("tool %q was not run: %w", e.spec.Name, err)
		}
		if waited {
			since = -1 // the timeout counts from when the slot was free
		}
		if a != nil {
			// Freed once: when the attempt ends, or when its timeout or
			// cancellation is delivered while the tool runs on.
			a.sem = sem
			a.semHeld.Store(true)
			defer a.releaseSem()
		} else {
			defer sem.release()
		}
	}

	timeout := d.timeout
	if e.opts.timeout != 0 {
		timeout = e.opts.timeout
	}
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	attempts := 1
	var policy RetryPolicy
	if e.opts.retry != nil {
		policy = e.opts.retry.normalized()
		attempts = policy.Attempts
	}
	var out any
	var err error
	away := false
	for i := 0; i < attempts; i++ {
		if i > 0 {
			wait := min(policy.Backoff<<(i-1), policy.MaxBackoff)
			wait = wait/2 + rand.N(wait/2+1)
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return nil, i, away, errors.Join(err, fmt.Errorf("retry abandoned: %w", ctx.Err()))
			}
		}
		out, away, err = callOnce(ctx, sem, e, args, timeout, a, since)
		since = -1 // a retry starts after its backoff
		if err == nil {
			return out, i + 1, away, nil
		}
		var perr *PanicError
		if errors.As(err, &perr) || ctx.Err() != nil {
			return nil, i + 1, away, err
		}
		if !IsRetryable(err) && !(policy.RetryTimeouts && errors.Is(err, ErrTimeout)) {
			return nil, i + 1, away, err
		}
	}
	return nil, attempts, away, err
}

type callOutcome struct {
	out      any
	err      error
	timedOut bool // from the watchdog: the attempt ran out of time
}

// callOnce runs one attempt under a [callCtx] (see callctx.go), which
// carries sem for calls made from inside the tool. With a timeout it runs
// the tool on a pooled worker goroutine (see workers.go), so a tool that
// ignores ctx cannot hold the run past it: the caller waits for the
// worker's outcome, and the watchdog, when the deadline passes first,
// hands it a timeout instead. away reports that it did: the worker counted
// the tool's time towards its being quick (see entry.observe). A tool
// marked Inline, and one that has proved quick (see entry.quickAway), runs
// here instead, where its timeout reaches it through ctx.
//
// a, when not nil, is the started call whose worker this is: the tool
// runs here, in place (see runInPlace). since, when not negative, is the
// time (by monoNow) the attempt's timeout counts from; otherwise it counts
// from now.
func callOnce(ctx context.Context, sem *slots, e *entry, args json.RawMessage, timeout time.Duration, a *asyncCall, since time.Duration) (_ any, away bool, _ error) {
	if a != nil && timeout >= 0 && !e.opts.inline {
		// The started call's one attempt, in place.
		out, err := runInPlace(ctx, newCallCtx(ctx, sem, timeout, since), a, e, args, timeout)
		return out, false, err
	}
	c := newCallCtx(ctx, sem, timeout, since)
	if timeout < 0 {
		out, err := safeCall(c, e, args)
		c.cancel(context.Canceled)
		return out, false, err
	}
	if e.opts.inline || e.quickAway() {
		// Watched only once the tool asks for Done or Err (see
		// callCtx): a tool that never looks at its ctx cannot see it
		// cancelled at the deadline, and finish tells a failure past
		// the deadline by the clock.
		c.state = ctxUnwatched // c is not shared yet
		out, err := safeCall(c, e, args)
		e.sawCall(c)
		expired := c.finish(err != nil)
		if !e.opts.inline && err == nil && !expired {
			// A quick call of a tool that is not Inline fails past
			// its timeout whatever it returned, as it would have on
			// a worker.
			expired = int64(monoNow()) >= c.when
		}
		if (err != nil || !e.opts.inline) && expired && ctx.Err() == nil {
			return nil, false, &TimeoutError{Tool: e.spec.Name, Timeout: timeout}
		}
		return out, false, err
	}
	j := jobPool.Get().(*callJob)
	j.ctx, j.e, j.args = c, e, args
	j.state.Store(jobRunning)
	c.job = j
	watchAdd(c)
	startJob(j)
	var r callOutcome
	if pd := ctx.Done(); pd == nil {
		r = <-j.done
	} else {
		select {
		case r = <-j.done:
		case <-pd:
			// The job is abandoned, not reused: its worker may still
			// look at it.
			watchRemove(c)
			c.cancel(ctx.Err())
			return nil, true, fmt.Errorf("tool %q stopped: %w", e.spec.Name, ctx.Err())
		}
	}
	watchRemove(c)
	if r.timedOut {
		// Abandoned too: the worker is still running the tool. The
		// watchdog cancels c.
		return nil, true, &TimeoutError{Tool: e.spec.Name, Timeout: timeout}
	}
	j.ctx, j.e, j.args = nil, nil, nil
	jobPool.Put(j)
	expired := c.expired()
	c.cancel(context.Canceled)
	if r.err != nil && expired && ctx.Err() == nil {
		return nil, true, &TimeoutError{Tool: e.spec.Name, Timeout: timeout}
	}
	return r.out, true, r.err
}

func safeCall(ctx context.Context, e *entry, args json.RawMessage) (out any, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, &PanicError{Tool: e.spec.Name, Value: r, Stack: debug.Stack()}
		}
	}()
	return e.tool.Call(ctx, args)
}

// failed makes the Result of a failed call; hint, when given, tells the
// model what to do.
func failed(err error, hint string) Result {
	msg := err.Error()
	var perr *PanicError
	if errors.As(err, &perr) {
		msg = clip(fmt.Sprintf("tool %q failed with an internal error (panic: %v); the call did not complete", perr.Tool, perr.Value), 300)
	}
	content := "error: " + msg
	if hint != "" {
		content += "; " + hint
	}
	return Result{Err: err, Content: content}
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func (d *Dispatcher) log(ctx context.Context, r Result) {
	if d == nil || d.logger == nil || r.Err == nil {
		return
	}
	attrs := []slog.Attr{slog.String("tool", r.Call.Name), slog.String("call_id", r.Call.ID), slog.Any("error", r.Err)}
	var perr *PanicError
	if errors.As(r.Err, &perr) {
		attrs = append(attrs, slog.String("stack", string(perr.Stack)))
	}
	d.logger.LogAttrs(ctx, slog.LevelWarn, "tool call failed", attrs...)
}

type encoder struct {
	buf bytes.Buffer
	enc *json.Encoder
}

var encoders = sync.Pool{New: func() any {
	e := &encoder{}
	e.enc = json.NewEncoder(&e.buf)
	e.enc.SetEscapeHTML(false)
	return e
}}

// encodeOutput turns a tool's output into content: a string as it is, raw
// JSON as it is, anything else as JSON.
func encodeOutput(out any) (string, error) {
	switch v := out.(type) {
	case string:
		return v, nil
	case json.RawMessage:
		if v == nil {
			return "null", nil
		}
		return string(v), nil
	case []byte:
		return string(v), nil
	case nil:
		return "null", nil
	}
	e := encoders.Get().(*encoder)
	defer func() {
		if e.buf.Cap() <= 64<<10 {
			e.buf.Reset()
			encoders.Put(e)
		}
	}()
	e.buf.Reset()
	if err := e.enc.Encode(out); err != nil {
		return "", err
	}
	b := e.buf.Bytes()
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	return string(b), nil
}

// truncate cuts s to at most limit bytes (plus the marker) at a UTF-8
// boundary, ending it with a marker saying how much was cut.
func truncate(s string, limit int) (string, bool) {
	if limit < 0 || len(s) <= limit {
		return s, false
	}
	n := limit
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…[truncated " + strconv.Itoa(len(s)-n) + " bytes]", true
}

var (
	_ Executor          = (*Dispatcher)(nil)
	_ ValidatedExecutor = (*Dispatcher)(nil)
	_ AsyncExecutor     = (*Dispatcher)(nil)
	_ QuickExecutor     = (*Dispatcher)(nil)
)
