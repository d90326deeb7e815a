package agent

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/memory"
	"github.com/plait-ai/plait/planner"
	"github.com/plait-ai/plait/tools"
	"github.com/plait-ai/plait/trace"
)

// Run reaches goal and returns the result. When the run stops early (a
// budget, a cancelled ctx, a model that fails) it returns the partial
// result with the error: a [*BudgetError] for a budget, an error matching
// ctx's error for a cancellation.
func (a *Agent) Run(ctx context.Context, goal string) (*Result, error) {
	return a.run(ctx, goal, nil)
}

// Stream reaches goal like Run and yields its events as they happen: plans,
// steps, tool calls and results, replans, the answer's text as the model
// streams it. The last pair is the EventDone event, carrying the result,
// with the run's error. Breaking out of the loop cancels the run.
func (a *Agent) Stream(ctx context.Context, goal string) iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		events := make(chan Event, 16)
		stop := make(chan struct{})
		type end struct {
			res *Result
			err error
		}
		fin := make(chan end, 1)
		go func() {
			res, err := a.run(ctx, goal, &sink{ch: events, stop: stop})
			close(events)
			fin <- end{res, err}
		}()
		for ev := range events {
			if !yield(ev, nil) {
				close(stop)
				cancel()
				for range events {
				}
				<-fin
				return
			}
		}
		e := <-fin
		var id uuid.UUID
		if e.res != nil {
			id = e.res.RunID
		}
		yield(Event{Type: EventDone, RunID: id, Result: e.res}, e.err)
	}
}

// sink delivers a streamed run's events to Stream's consumer.
type sink struct {
	ch   chan Event
	stop chan struct{}
}

// run is the state of one run.
type run struct {
	a    *Agent
	ctx  context.Context
	goal string
	res  *Result
	pad  *memory.Scratchpad
	w    *wiring // the model, executor and planner of this run
	// dispatcher is w.exec when it is a *tools.Dispatcher, whose Call
	// runs one call without Dispatch's slice.
	dispatcher *tools.Dispatcher
	sink       *sink
	start      time.Time

	mu      sync.Mutex // guards res.Usage, res.ModelCalls, fatal; serializes emit
	fatal   error
	failed  atomic.Bool // fatal is set: getFatal takes the lock only then
	traced  bool        // the run's spans are recorded
	history []llm.Message

	stepsRun int // steps started; owned by the scheduling goroutine
	noted    int // scratchpad entries the run made (see run.growNotes)
	// callBuf is the dispatch of a step run on the scheduling goroutine,
	// made for the first one when the executor is not a *tools.Dispatcher
	// (whose Call needs none).
	callBuf *[1]llm.ToolCall

	// Room for the result's first plan, its first citations, its first
	// step records and its scratchpad's first entries (a plan of up to
	// three steps, or three turns of ReAct, with a thought): the run is
	// allocated with the result (see Agent.run), and what fits here
	// needs no allocation of its own.
	plans0 [1]*planner.Plan
	cites0 [2]string
	notes0 [8]memory.Entry
	steps0 [3]StepRecord
	// sum0 is room for the first plan's summary (see planSummary), in
	// what the allocation's size class leaves over (see
	// TestRunAllocationSize).
	sum0 [runSummaryRoom]byte
}

// runSummaryRoom is the size of run.sum0: the bytes that the run's
// allocation with the result (see Agent.run) would otherwise leave unused
// in its size class.
const runSummaryRoom = 88

func (a *Agent) run(ctx context.Context, goal string, s *sink) (res *Result, err error) {
	start := time.Now()
	id := newRunID(start)
	// The result, its scratchpad and the run, with its room for the
	// result's first plan, citations, steps and scratchpad entries, are one
	// allocation: the result goes to the caller with what it holds, and
	// the run is done with once Run returns (see run.release).
	out := new(runAlloc)
	out.res = Result{RunID: id, Strategy: a.cfg.Strategy, ConversationID: ConversationFrom(ctx)}
	r := &out.run
	r.a, r.goal, r.sink, r.start, r.res = a, goal, s, start, &out.res
	if c := a.cfg.Memory.Counter; c != nil {
		r.pad = memory.NewScratchpad(c)
	} else {
		r.pad = &out.pad // the zero value counts with the default estimator
	}
	r.pad.UseBuffer(r.notes0[:])
	r.res.Scratchpad = r.pad
	var span trace.Span
	if !a.cfg.NoTrace && (a.cfg.Tracer != nil || !globalTracingOff()) {
		info := llm.InfoOf(a.cfg.Model)
		ai := trace.AgentInfo{Name: a.cfg.Name, Description: a.cfg.Description, Model: info.Model, Provider: info.Provider}
		if r.res.ConversationID != uuid.Nil {
			ai.ConversationID = r.res.ConversationID.String()
		}
		if a.cfg.Tracer != nil {
			ctx, span = a.cfg.Tracer.StartAgent(ctx, ai)
		} else {
			ctx, span = trace.StartAgent(ctx, ai)
		}
	}
	// When nothing records under the run (no tracer or meter provider),
	// the run skips the traced wrappers.
	r.w = a.plain
	if span.Active() {
		r.w, r.traced = a.traced, true
	}
	r.dispatcher, _ = r.w.exec.(*tools.Dispatcher)
	if d := a.limits.MaxDuration; d > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, d, &BudgetError{Budget: "time", Limit: int64(d)})
		defer cancel()
	}
	r.ctx = ctx
	defer func() {
		r.res.Duration = time.Since(r.start)
		if err != nil {
			err = r.classify(err)
		}
		span.End(err)
		if a.cfg.Observe != nil {
			a.cfg.Observe(ctx, Event{Type: EventDone, RunID: id, Result: r.res})
		}
		r.release()
	}()

	conv := r.res.ConversationID
	var hist *memory.History
	if conv != uuid.Nil && a.cfg.Memory.Store != nil {
		opts := a.cfg.Memory.History
		if opts.Counter == nil {
			opts.Counter = a.cfg.Memory.Counter
		}
		hist = memory.NewHistory(a.cfg.Memory.Store, conv, opts)
		w, herr := hist.Window(ctx, 0)
		if herr != nil {
			return r.res, fmt.Errorf("agent: loading conversation %s: %w", conv, herr)
		}
		r.history = w.Messages
	}
	switch a.cfg.Strategy {
	case ReAct:
		err = r.react()
	default:
		err = r.planExecute()
	}
	if err != nil {
		return r.res, err
	}
	if hist != nil {
		if _, herr := hist.Append(ctx, llm.UserMessage(goal), llm.AssistantMessage(r.res.Answer)); herr != nil {
			return r.res, fmt.Errorf("agent: saving conversation %s: %w", conv, herr)
		}
	}
	return r.res, nil
}

// runAlloc is a run allocated with its result and the result's
// scratchpad (see Agent.run).
type runAlloc struct {
	res Result
	pad memory.Scratchpad
	run run
}

// release drops what the run holds of its caller's once the run is
// over: the run lives on in the result's allocation, and must not keep
// the run's context, conversation or stream alive with it. Nothing uses
// the run after Agent.run returns: the steps handed to other goroutines
// have all come back (see execute).
func (r *run) release() {
	r.ctx, r.sink, r.history, r.callBuf = nil, nil, nil, nil
	if r.failed.Load() { // fatal is set only with failed
		r.mu.Lock()
		r.fatal = nil
		r.mu.Unlock()
	}
}

// classify turns a cancellation caused by the time budget into the
// budget's error, and wraps other errors with the run id.
func (r *run) classify(err error) error {
	var be *BudgetError
	if errors.As(err, &be) {
		return err
	}
	if r.ctx.Err() != nil {
		if cause := context.Cause(r.ctx); errors.As(cause, &be) {
			return be
		}
		if !errors.Is(err, r.ctx.Err()) {
			return fmt.Errorf("agent: run %s stopped: %w (%v)", r.res.RunID, r.ctx.Err(), err)
		}
	}
	return fmt.Errorf("agent: run %s: %w", r.res.RunID, err)
}

// listening reports whether anyone receives events.
func (r *run) listening() bool { return r.sink != nil || r.a.cfg.Observe != nil }

// emit delivers an event to the observer and the stream.
func (r *run) emit(ev Event) {
	if !r.listening() {
		return
	}
	ev.RunID = r.res.RunID
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.a.cfg.Observe != nil {
		r.a.cfg.Observe(r.ctx, ev)
	}
	if r.sink != nil {
		select {
		case r.sink.ch <- ev:
		case <-r.sink.stop:
		}
	}
}

// failLocked records err as the error that must stop the run, unless one
// is recorded already (the first one wins), and returns the one recorded.
// r.mu must be held.
func (r *run) failLocked(err error) error {
	if r.fatal == nil {
		r.fatal = err
		r.failed.Store(true)
	}
	return r.fatal
}

// getFatal returns the error that must stop the run, or nil. The
// scheduler asks after every step: while there is none, which is nearly
// always, that costs an atomic load rather than the lock.
func (r *run) getFatal() error {
	if !r.failed.Load() {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.fatal
}

// account adds a model call's usage and checks the token budget.
func (r *run) account(u llm.Usage) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.res.ModelCalls++
	r.res.Usage = r.res.Usage.Add(u)
	if max := r.a.limits.MaxTokens; max > 0 && r.res.Usage.Total() > max {
		err := &BudgetError{Budget: "tokens", Limit: int64(max)}
		r.failLocked(err)
		return err
	}
	return nil
}

// generate makes one model call, streamed when the run is streamed and
// deltas is set (deltas gets each text delta and says whether to forward
// it). Usage is accounted either way.
func (r *run) generate(ctx context.Context, req *llm.Request, deltas func(string)) (*llm.Response, error) {
	if r.sink == nil || deltas == nil {
		resp, err := r.w.model.Generate(ctx, req)
		var u llm.Usage
		if resp != nil {
			u = resp.Usage
		}
		if berr := r.account(u); berr != nil && err == nil {
			return resp, berr
		}
		return resp, err
	}
	var acc llm.Accumulator
	var serr error
	for c, err := range r.w.model.Stream(ctx, req) {
		if err != nil {
			serr = err
			break
		}
		acc.Add(c)
		if c.Text != "" {
			deltas(c.Text)
		}
	}
	resp, err := acc.Response()
	if serr != nil {
		err = serr
	}
	if berr := r.account(resp.Usage); berr != nil && err == nil {
		return resp, berr
	}
	return resp, err
}

// citations returns the ids in known that answer cites as [id] or
// [id, id], in first-cited order.
//
// The ids are appended to dst[:0], whose room saves an allocation; with
// none cited the result is nil, whatever dst.
func citations(dst []string, answer string, known func(string) bool) []string {
	out := dst[:0]
	for i := 0; i < len(answer); i++ {
		if answer[i] != '[' {
			continue
		}
		end := strings.IndexByte(answer[i:], ']')
		if end < 0 || end > 200 {
			continue
		}
		list := answer[i+1 : i+end]
		for list != "" {
			part, rest, _ := strings.Cut(list, ",")
			list = rest
			id := strings.TrimSpace(part)
			if id != "" && known(id) && !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
		i += end
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// globalTracingOff reports whether the global OpenTelemetry tracer
// provider records nothing: none installed yet (the global default, whose
// spans are not recorded until a provider is set) or a no-op one. Runs
// then skip package trace altogether, which saves each run the cost of
// starting spans that record nothing.
func globalTracingOff() bool {
	tp := otel.GetTracerProvider()
	switch tp.(type) {
	case noop.TracerProvider, *noop.TracerProvider:
		return true
	}
	// The global default's type is unexported: it is known by its name,
	// and once seen by its reflect.Type, which compares for less than
	// the name costs to make.
	t := reflect.TypeOf(tp)
	if globalDefaultType.Load() == any(t) {
		return true
	}
	if t.String() == "*global.tracerProvider" {
		globalDefaultType.Store(t)
		return true
	}
	return false
}

// globalDefaultType holds the reflect.Type of the global default tracer
// provider, once globalTracingOff has seen it.
var globalDefaultType atomic.Value
