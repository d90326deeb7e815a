package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unsafe"

	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/memory"
	"github.com/plait-ai/plait/planner"
	"github.com/plait-ai/plait/tools"
	"github.com/plait-ai/plait/trace"
)

// planExecute runs the plan-and-execute strategy: plan, run the steps,
// join (answer or replan), replanning on failures within the budget.
func (r *run) planExecute() error {
	a := r.a
	var st planState
	// The records of completed steps: those of plans of up to maxSlots
	// steps stay on the stack.
	var recBuf [maxSlots]recordEntry
	records := recordSet(recBuf[:0])
	var done map[string]planner.Done // completed steps, for replans
	var reason string
	var prev *planner.Plan
	notes := ""
	for {
		pctx := r.ctx
		var span trace.Span
		switch {
		case !r.traced:
		case len(r.res.Plans) == 0:
			pctx, span = trace.StartPlan(r.ctx)
		default:
			pctx, span = trace.StartReplan(r.ctx, reason)
		}
		out, err := r.w.planner.Plan(pctx, planner.Request{
			Goal:     r.goal,
			History:  r.history,
			Memory:   notes,
			Replan:   reason,
			Previous: prev,
			Done:     done,
		})
		if r.traced { // an untraced run's plan has no span
			if span.Recording() {
				span.SetAttributes(trace.PlanAttemptKey.Int(out.Calls))
				if out.Program != nil {
					span.SetAttributes(trace.PlanStepsKey.Int(out.Program.Len()))
				}
			}
			span.End(err)
		}
		berr := r.addPlanning(out)
		if err != nil {
			return err
		}
		if berr != nil {
			return berr
		}
		prog := out.Program
		plan := prog.Plan()
		planIdx := len(r.res.Plans)
		if r.res.Plans == nil {
			r.res.Plans = r.plans0[:0]
		}
		r.res.Plans = append(r.res.Plans, plan)
		// Room for the entries below and a call (or thought) and an
		// observation a step: the scratchpad need not grow during the
		// plan.
		grow := 1 + 2*prog.Len()
		if plan.Thought != "" {
			grow++
		}
		if out.Reasoning != "" {
			grow++
		}
		r.growNotes(grow)
		if plan.Thought != "" {
			r.note(memory.KindThought, "", "", plan.Thought)
		}
		if out.Reasoning != "" {
			r.note(memory.KindThought, "", "", out.Reasoning)
		}
		var room []byte // the first plan's summary goes in the run's room
		if planIdx == 0 {
			room = r.sum0[:0]
		}
		r.note(memory.KindPlan, "", "", planSummary(room, plan))
		if planIdx == 0 {
			r.emit(Event{Type: EventPlan, Plan: plan})
		} else {
			r.emit(Event{Type: EventReplan, Plan: plan, Text: reason})
		}

		var failures []string
		records, failures, err = r.execute(prog, planIdx, &st, records)
		if err != nil {
			return err
		}
		canReplan := r.res.Replans < a.limits.MaxReplans
		if len(failures) == 0 {
			answer, again, err := r.joinCall(canReplan, records)
			if err != nil {
				return err
			}
			if !again {
				r.res.Answer = answer
				r.res.Citations = citations(r.cites0[:0], answer, func(id string) bool { return records.get(id) != nil })
				return nil
			}
			reason = "the results are not enough: " + answer
		} else {
			reason = strings.Join(failures, "; ")
			if !canReplan {
				return &BudgetError{Budget: "replans", Limit: int64(a.limits.MaxReplans), Err: errors.New(reason)}
			}
		}
		r.res.Replans++
		prev = plan
		done = r.doneSteps(records)
		notes = r.render()
	}
}

// planState is what plan-and-execute keeps across the plans of a run,
// beside the completed steps' records (a recordSet of their own, which
// expressions never see, so that it can stay on the stack). Its map is
// made when first written: a run whose plan has no references needs no
// environment.
type planState struct {
	env map[string]any // decoded outputs that expressions read
}

// recordSet maps the ids of completed steps to their records. A run holds
// a few, looked up a few times each: a slice searched in order costs less
// than a map.
type recordSet []recordEntry

type recordEntry struct {
	id  string
	rec *StepRecord
}

// get returns the record of id, or nil.
func (rs recordSet) get(id string) *StepRecord {
	for i := range rs {
		if rs[i].id == id {
			return rs[i].rec
		}
	}
	return nil
}

// set makes rec the record of id, and returns the set. (It returns it,
// rather than setting *rs, so that a set on the stack stays there.)
func (rs recordSet) set(id string, rec *StepRecord) recordSet {
	for i := range rs {
		if rs[i].id == id {
			rs[i].rec = rec
			return rs
		}
	}
	return append(rs, recordEntry{id, rec})
}

// doneSteps returns the completed steps, by id, as the planner takes them
// for a replan: each with its tool and its arguments as its plan wrote
// them. It is made only when a run replans.
func (r *run) doneSteps(records recordSet) map[string]planner.Done {
	if len(records) == 0 {
		return nil
	}
	done := make(map[string]planner.Done, len(records))
	for _, e := range records {
		id, rec := e.id, e.rec
		d := planner.Done{Tool: rec.Tool, Args: rec.Args}
		if rec.Plan >= 0 && rec.Plan < len(r.res.Plans) {
			for _, st := range r.res.Plans[rec.Plan].Steps {
				if st.ID == id {
					d.Args = st.Args
					break
				}
			}
		}
		done[id] = d
	}
	return done
}

func (ps *planState) setEnv(id string, v any) {
	if ps.env == nil {
		ps.env = make(map[string]any)
	}
	ps.env[id] = v
}

// addPlanning adds the planner's calls and usage to the result and checks
// the token budget.
func (r *run) addPlanning(out *planner.Outcome) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.res.ModelCalls += out.Calls
	r.res.Usage = r.res.Usage.Add(out.Usage)
	if max := r.a.limits.MaxTokens; max > 0 && r.res.Usage.Total() > max {
		return r.failLocked(&BudgetError{Budget: "tokens", Limit: int64(max)})
	}
	return nil
}

// planSummary returns the plan's steps in a line, for the scratchpad:
// "s1: search{"query":"rag"}; s2: ...". It is written in room when it
// fits there (room is never written again), and in a new allocation
// otherwise.
func planSummary(room []byte, p *planner.Plan) string {
	n := 0 // the summary's length, exactly
	steps := p.Steps
	for i := range steps {
		s := &steps[i] // not a copy of the step
		if i > 0 {
			n += len("; ")
		}
		n += len(s.ID) + len(": ")
		if s.Tool != "" {
			n += len(s.Tool) + len(s.Args)
		} else {
			n += len(s.Task)
		}
	}
	if n == 0 {
		return ""
	}
	b := room[:0]
	if cap(b) < n {
		b = make([]byte, 0, n)
	}
	for i := range steps {
		s := &steps[i]
		if i > 0 {
			b = append(b, "; "...)
		}
		b = append(b, s.ID...)
		b = append(b, ": "...)
		if s.Tool != "" {
			b = append(b, s.Tool...)
			b = append(b, s.Args...)
		} else {
			b = append(b, s.Task...)
		}
	}
	// b is never written again: the summary is its bytes.
	return unsafe.String(&b[0], len(b))
}

// step states in execute.
const (
	pending uint8 = iota
	running
	finished // done, reused or skipped: dependents may go
	blocked  // failed, or a step it needs failed
)

// launchItem is a step ready to run: what its record is made from where
// the step goes (see record), rather than a copy of the record.
type launchItem struct {
	i         int
	st        *planner.Step
	args      json.RawMessage
	input     string
	validated bool // args are as the planner validated them
}

// record is the record of l as it starts, in the plan of index planIdx.
func (l *launchItem) record(planIdx int) StepRecord {
	return StepRecord{ID: l.st.ID, Plan: planIdx, Task: l.st.Task, Tool: l.st.Tool, Args: l.args}
}

// stepResult is a launched step coming back to the scheduler: its index
// in the plan and its record; for a step started on the executor (see
// startStep), its context and the cancel of its StepTimeout too; and the
// pooled job or started step it belongs to, which the scheduler puts back
// once it has the result.
type stepResult struct {
	i      int
	rec    StepRecord
	ctx    context.Context // nil for a step a worker ran
	cancel context.CancelFunc
	pooled recycler
}

// recycler is a pooled holder of a step in flight (*stepJob,
// *startedStep).
type recycler interface{ recycle() }

// stepJob is a step handed to a worker (see workers.go), rather than a
// closure and a copy of the item per step. Jobs are pooled across runs:
// the worker leaves the step's record in rec and sends the job back, its
// last use of the job, and the scheduler puts it back in the pool once it
// has taken the record.
type stepJob struct {
	stepResult
	st        *planner.Step
	input     string
	validated bool
	r         *run
	results   *resultGate
	call      [1]llm.ToolCall // the dispatch's argument, here rather than on the heap per step
}

func (j *stepJob) RunTask() {
	j.r.runStep(j.st, &j.rec, j.input, j.validated, &j.call)
	j.results.put(&j.stepResult)
}

var stepJobs = sync.Pool{New: func() any {
	j := new(stepJob)
	j.pooled = j
	return j
}}

// recycle returns j, holding nothing of its run, to the free jobs of
// its gate, whose scheduler takes them before the pool's.
func (j *stepJob) recycle() {
	g := j.results
	*j = stepJob{stepResult: stepResult{pooled: j}}
	g.jobs = append(g.jobs, j)
}

// startedStep is a tool step started on the executor. They are pooled
// across runs, each with its callback bound once (a method value made per
// step would be an allocation per step): one is taken when its step
// starts and put back once the scheduling goroutine has received and
// settled its result, when the executor, which calls the callback once,
// has no further use for it.
type startedStep struct {
	stepResult
	results *resultGate
	onDone  func(tools.Result) // s.done, bound once
}

var startedSteps = sync.Pool{New: func() any {
	s := new(startedStep)
	s.pooled = s
	s.onDone = s.done
	return s
}}

// recycle returns s, holding nothing of its run, to the free started
// steps of its gate, whose scheduler takes them before the pool's.
func (s *startedStep) recycle() {
	g := s.results
	s.stepResult = stepResult{pooled: s}
	s.results = nil
	g.started = append(g.started, s)
}

// startStep starts tool step l on the executor, which calls s.done with
// the result, from another goroutine, once the call ends. The step needs
// no goroutine of its own; the tool runs on the executor's worker.
func (r *run) startStep(ae tools.AsyncExecutor, l *launchItem, planIdx int, results *resultGate) {
	s := results.startedStep()
	s.results = results
	s.i, s.rec = l.i, l.record(planIdx)
	s.ctx = r.ctx
	if d := r.a.limits.StepTimeout; d > 0 {
		s.ctx, s.cancel = context.WithTimeout(r.ctx, d)
	}
	call := llm.ToolCall{ID: l.st.ID, Name: l.st.Tool, Arguments: l.args}
	if r.listening() {
		ev, c := s.rec, call
		r.emit(Event{Type: EventToolCall, Step: &ev, Call: &c})
	}
	// Arguments the planner validated are not validated again;
	// resolved references were never validated and are.
	if l.validated {
		ae.StartValidated(s.ctx, call, s.onDone)
	} else {
		ae.Start(s.ctx, call, s.onDone)
	}
}

// done receives a started step's result; the step lasted as long as the
// call.
func (s *startedStep) done(res tools.Result) {
	s.rec.Duration = res.Duration
	s.rec.Args = res.Call.Arguments
	s.rec.Output, s.rec.Content, s.rec.Err = res.Output, res.Content, res.Err
	s.results.put(&s.stepResult)
}

// maxPooledResults is the largest parallelism whose result gates are
// reused.
const maxPooledResults = 64

// resultGate is where the steps a plan's scheduler handed away (to its
// workers, or started on the executor) bring their results back. ch has
// room for every step that may be in flight at once, so that a result
// never waits to be sent.
//
// The scheduler receives the results one by one from ch while steps are
// still to launch, since each may let another start. Once every step is
// launched (or no step is left to launch) it waits for all the results in
// flight at once (see waitAll), and is woken once, by the last of them,
// instead of once per step: each wake-up of a parked goroutine is a
// hand-over through the runtime's scheduler, which on a machine with an
// idle processor may cost a thread wake-up too.
type resultGate struct {
	ch      chan *stepResult
	left    atomic.Int32  // steps handed away whose results are not yet sent
	waiting atomic.Bool   // the scheduler waits in waitAll
	all     chan struct{} // capacity 1: the last result is being sent

	// Holders of steps in flight whose results the scheduler received,
	// kept for its next steps (and, the gate being reused, for later
	// runs') without the pools' cost. Only the scheduler that holds the
	// gate touches them.
	started []*startedStep
	jobs    []*stepJob
}

// startedStep returns a free started step, from g or the pool.
func (g *resultGate) startedStep() *startedStep {
	if n := len(g.started); n > 0 {
		s := g.started[n-1]
		g.started = g.started[:n-1]
		return s
	}
	return startedSteps.Get().(*startedStep)
}

// stepJob returns a free step job, from g or the pool.
func (g *resultGate) stepJob() *stepJob {
	if n := len(g.jobs); n > 0 {
		j := g.jobs[n-1]
		g.jobs = g.jobs[:n-1]
		return j
	}
	return stepJobs.Get().(*stepJob)
}

func newResultGate(n int) *resultGate {
	return &resultGate{ch: make(chan *stepResult, n), all: make(chan struct{}, 1)}
}

// add counts a step handed away; the scheduler calls it before handing
// the step over.
func (g *resultGate) add() { g.left.Add(1) }

// put delivers a step's result, from the goroutine that ran the step.
// After the send on ch it touches only g's atomic and channel state, and
// wakes waitAll only while it waits: a gate reused by another run (the
// scheduler may have received the result and returned the gate already)
// at worst gets a wake-up token that waitAll treats as spurious.
func (g *resultGate) put(res *stepResult) {
	last := g.left.Add(-1) == 0
	g.ch <- res
	if last && g.waiting.Load() {
		select {
		case g.all <- struct{}{}:
		default: // a token is there already
		}
	}
}

// waitAll returns once every step handed away has counted its result as
// sent (the sends themselves may still be completing: the scheduler then
// receives them from ch as usual). A token left over from an earlier wait
// only makes it look at the count again.
func (g *resultGate) waitAll() {
	g.waiting.Store(true)
	for g.left.Load() > 0 {
		<-g.all
	}
	g.waiting.Store(false)
}

// resultGate returns a gate for the results of the steps of a plan of n
// steps. Gates of the agent's parallelism are reused: execute receives
// every result sent before it returns, so a gate it is done with has an
// empty ch, a zero count, and no one sends to it.
func (r *run) resultGate(n int) *resultGate {
	p := r.a.limits.Parallelism
	if p > maxPooledResults {
		return newResultGate(min(n, p))
	}
	if g, ok := r.a.results.Get().(*resultGate); ok {
		return g
	}
	return newResultGate(p)
}

// putResultGate returns a gate from resultGate for reuse.
func (a *Agent) putResultGate(g *resultGate) {
	if cap(g.ch) == a.limits.Parallelism && cap(g.ch) <= maxPooledResults && len(g.ch) == 0 && g.left.Load() == 0 {
		a.results.Put(g)
	}
}

// settle completes the record of a started step once its result is back,
// on the scheduling goroutine.
func (r *run) settle(s *stepResult) {
	r.settleRecord(s.ctx, &s.rec)
	if s.cancel != nil {
		s.cancel()
	}
	if r.listening() {
		ev, c := s.rec, llm.ToolCall{ID: s.rec.ID, Name: s.rec.Tool, Arguments: s.rec.Args}
		r.emit(Event{Type: EventToolResult, Step: &ev, Call: &c})
	}
}

// settleRecord sets the status of a tool step's record from its error,
// and explains a step timeout; ctx is the step's context.
func (r *run) settleRecord(ctx context.Context, rec *StepRecord) {
	if rec.Err == nil {
		rec.Status = StepDone
		return
	}
	rec.Status = StepFailed
	if errors.Is(rec.Err, tools.ErrDenied) {
		rec.Status = StepDenied
	}
	if ctx.Err() != nil && r.ctx.Err() == nil {
		rec.Content = fmt.Sprintf("timed out after %s: %s", r.a.limits.StepTimeout, rec.Content)
	}
}

// maxSlots is the plan size up to which execute keeps its bookkeeping on
// the stack.
const maxSlots = 16

// maxLaunch is the number of steps launched at once for which execute
// keeps room on the stack (the default parallelism).
const maxLaunch = 8

// execute runs prog's steps, in parallel where their dependencies allow.
// It returns the failures that call for a replan, described for the model,
// or an error that stops the run (a budget, a cancellation).
func (r *run) execute(prog *planner.Program, planIdx int, ps *planState, records recordSet) (recordSet, []string, error) {
	a := r.a
	n := prog.Len()
	type slot struct {
		state      uint8
		skippedDep bool  // a step it needs was skipped
		waiting    int32 // unfinished deps
		dependents []int
	}
	var slotBuf [maxSlots]slot
	var slots []slot
	if n <= maxSlots {
		slots = slotBuf[:n]
	} else {
		slots = make([]slot, n)
	}
	for i := 0; i < n; i++ {
		for _, d := range prog.Deps(i) {
			slots[i].waiting++
			slots[d].dependents = append(slots[d].dependents, i)
		}
	}
	// The goal, for "${goal}" (unless a step of the plan is named goal).
	if _, isStep := prog.Index(planner.GoalRef); prog.Reads(planner.GoalRef) && !isStep {
		ps.setEnv(planner.GoalRef, r.goal)
	}
	// Outputs of earlier plans' steps that this plan's expressions read.
	for _, e := range records {
		if _, ok := ps.env[e.id]; !ok && prog.Reads(e.id) {
			ps.setEnv(e.id, decodeOutput(e.rec))
		}
	}
	if r.res.Steps == nil {
		r.res.Steps = r.steps0[:0]
	}
	if free := cap(r.res.Steps) - len(r.res.Steps); free < n {
		r.res.Steps = append(make([]StepRecord, 0, len(r.res.Steps)+n), r.res.Steps...)
	}
	var results *resultGate // made when a step first goes away from here
	// The executor that starts tool steps, when it can and the steps need
	// nothing done around the call on a goroutine of their own: an
	// approval, which may wait for a person, or a step span.
	ae, _ := r.w.exec.(tools.AsyncExecutor)
	if r.a.cfg.Approve != nil || r.traced {
		ae = nil
	}
	inFlight := 0
	unlaunched := n // steps still pending
	var failures []string
	var stopErr error

	var block func(i int, why string)
	release := func(i int, skipped bool) {
		for _, d := range slots[i].dependents {
			if skipped {
				slots[d].skippedDep = true
			}
			slots[d].waiting--
		}
	}
	block = func(i int, why string) {
		if slots[i].state == blocked {
			return
		}
		slots[i].state = blocked
		for _, d := range slots[i].dependents {
			if slots[d].state == pending {
				unlaunched--
				st := prog.Step(d)
				failures = append(failures, fmt.Sprintf("step %s (%s) did not run because %s", st.ID, stepWhat(st), why))
				block(d, "step "+prog.Step(i).ID+" did not complete")
			}
		}
	}
	finish := func(i int, rec *StepRecord) {
		st := prog.Step(i)
		if slots[i].state == pending {
			unlaunched--
		}
		// A step run here has its record in the result already (see
		// below); the others' are copied there.
		if k := len(r.res.Steps); k == 0 || rec != &r.res.Steps[k-1] {
			r.res.Steps = append(r.res.Steps, *rec)
		}
		recp := &r.res.Steps[len(r.res.Steps)-1]
		switch rec.Status {
		case StepDone, StepReused:
			slots[i].state = finished
			if rec.Status == StepDone || records.get(st.ID) == nil {
				if records == nil {
					records = make(recordSet, 0, n)
				}
				if planIdx == 0 {
					// Ids are unique within a plan: none is there yet.
					records = append(records, recordEntry{st.ID, recp})
				} else {
					records = records.set(st.ID, recp)
				}
			}
			if prog.Reads(st.ID) {
				ps.setEnv(st.ID, decodeOutput(recp))
			}
			release(i, false)
		case StepSkipped:
			slots[i].state = finished
			release(i, true)
		default:
			failures = append(failures, fmt.Sprintf("step %s (%s) failed: %s", st.ID, stepWhat(st), rec.Content))
			block(i, "step "+st.ID+" failed")
		}
		if r.listening() {
			r.emit(Event{Type: EventStepFinished, Step: recp})
		}
	}
	// gates reports whether no pending step can start before step k
	// ends: each one needs k, directly or through other pending steps.
	// Running k on this goroutine, which schedules the others only once
	// k is done, then delays no step.
	gates := func(k int) bool {
		if unlaunched == 0 {
			return true
		}
		if n > 64 {
			return false
		}
		var behind uint64 // steps that cannot start before k ends
		stack := make([]int, 0, maxSlots)
		stack = append(stack, k)
		count := 0
		for len(stack) > 0 {
			i := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			for _, d := range slots[i].dependents {
				if behind&(1<<d) == 0 && slots[d].state == pending {
					behind |= 1 << d
					count++
					stack = append(stack, d)
				}
			}
		}
		return count == unlaunched
	}

	var launchBuf [maxLaunch]launchItem
	launch := launchBuf[:0]
	next := 0 // no step before next is pending and ready-able: scan from here
	for {
		// Launch every ready step, in plan order, up to the parallelism.
		var inlined *StepRecord // the record of a step run here
		inlinedIdx := -1        // its index in the plan
		quickHere := -1         // the launched step that is quick (see run.quick)
		if stopErr == nil {
			for i := next; i < n; i++ {
				if slots[i].state != pending || slots[i].waiting > 0 {
					continue
				}
				if inFlight >= a.limits.Parallelism {
					break
				}
				st := prog.Step(i)
				// A step of the quick step's tool is quick as that
				// one was an instant ago: no need to ask again.
				quick := quickHere >= 0 && st.Tool == launch[quickHere].st.Tool || r.quick(st)
				if quick && quickHere >= 0 {
					// It runs here after the quick step before it: it
					// stays pending until then, and its condition and
					// arguments are worked out then, once.
					continue
				}
				if prog.Reused(i) {
					prior := records.get(st.ID)
					rec := StepRecord{ID: st.ID, Plan: planIdx, Task: st.Task, Tool: st.Tool, Args: st.Args, Status: StepReused}
					if prior != nil {
						rec.Output, rec.Content = prior.Output, prior.Content
					}
					finish(i, &rec)
					i = next - 1
					continue
				}
				if slots[i].skippedDep {
					finish(i, &StepRecord{ID: st.ID, Plan: planIdx, Task: st.Task, Tool: st.Tool, Status: StepSkipped, Content: "skipped: a step it needs was skipped"})
					i = next - 1
					continue
				}
				if ps.env == nil && (st.When != "" || prog.HasRefs(i)) {
					ps.env = make(map[string]any) // expressions see an empty environment, never a nil one
				}
				ok, err := prog.When(i, ps.env)
				if err != nil {
					finish(i, &StepRecord{ID: st.ID, Plan: planIdx, Task: st.Task, Tool: st.Tool, Status: StepFailed, Err: err, Content: err.Error()})
					i = next - 1
					continue
				}
				if !ok {
					r.note(memory.KindObservation, st.ID, st.Tool, "skipped: the condition "+st.When+" is false")
					finish(i, &StepRecord{ID: st.ID, Plan: planIdx, Task: st.Task, Tool: st.Tool, Status: StepSkipped, Content: "skipped: the condition " + st.When + " is false"})
					i = next - 1
					continue
				}
				if max := a.limits.MaxSteps; max > 0 && r.stepsRun >= max {
					stopErr = &BudgetError{Budget: "steps", Limit: int64(max)}
					break
				}
				args, err := prog.Args(i, ps.env)
				if err != nil {
					finish(i, &StepRecord{ID: st.ID, Plan: planIdx, Task: st.Task, Tool: st.Tool, Status: StepFailed, Err: err, Content: err.Error()})
					i = next - 1
					continue
				}
				if prior := sameCall(records, planIdx, st.Tool, args); prior != nil {
					// A replan repeated a completed call under a new id:
					// its output stands.
					finish(i, &StepRecord{ID: st.ID, Plan: planIdx, Task: st.Task, Tool: st.Tool, Args: args, Status: StepReused, Output: prior.Output, Content: prior.Content})
					i = next - 1
					continue
				}
				if quick {
					quickHere = len(launch)
				}
				slots[i].state = running
				unlaunched--
				inFlight++
				r.stepsRun++
				input := ""
				if st.Tool == "" {
					input = r.depOutputs(prog, i, records)
				}
				if st.Tool != "" {
					// The plan's text of the arguments where they are
					// the plan's (no references): no copy.
					text := ""
					if prog.HasRefs(i) {
						text = string(args)
					} else {
						text = prog.ArgsText(i)
					}
					r.note(memory.KindToolCall, st.ID, st.Tool, text)
				} else {
					r.note(memory.KindThought, st.ID, "", st.Task)
				}
				launch = append(launch, launchItem{i, st, args, input, !prog.HasRefs(i)})
				if r.listening() {
					ev := launch[len(launch)-1].record(planIdx)
					r.emit(Event{Type: EventStepStarted, Step: &ev})
				}
			}
			for next < n && slots[next].state != pending {
				next++
			}
			// A quick step (see run.quick) runs here, the others
			// away first; a quick step after it was left pending,
			// to run here next.
			//
			// Otherwise, one launched step runs here rather than on a worker
			// of ours, saving a hand-over to another goroutine and back, when
			// that delays no other step: it is the only step running, or every
			// step still to launch needs it. The last such step goes here, the
			// others first, so that they all run together: tool steps the
			// executor can start (see tools.AsyncExecutor) are started there,
			// each on the executor's worker, and the rest go to our workers.
			// When other steps run too, a tool step the executor can start is
			// started like them even when it could go here, unless its call
			// runs on the caller's goroutine: run here, its call would go to
			// the dispatcher's worker all the same (so that its timeout can
			// abandon it) while this goroutine waited for that one call, to be
			// woken for it alone, and again for the others.
			here := -1
			if len(launch) > 0 {
				last := len(launch) - 1
				switch {
				case quickHere >= 0:
					// A quick step: here, before the next one.
					here = quickHere
				case inFlight == 1:
					// The only step running: here, whatever it is, it
					// is waited for alone.
					here = last
				case gates(launch[last].i) && r.runsHere(ae, &launch[last]):
					here = last
				}
			}
			if away := len(launch) - min(here+1, 1); away > 0 {
				if results == nil {
					results = r.resultGate(n)
				}
				for k := range launch {
					if k == here {
						continue
					}
					l := &launch[k]
					results.add()
					if ae != nil && l.st.Tool != "" {
						r.startStep(ae, l, planIdx, results)
						continue
					}
					j := results.stepJob()
					j.i, j.rec = l.i, l.record(planIdx)
					j.st, j.input, j.validated, j.r, j.results = l.st, l.input, l.validated, r, results
					goStep(j)
				}
			}
			if here >= 0 {
				l := &launch[here]
				if r.callBuf == nil && r.dispatcher == nil {
					r.callBuf = new([1]llm.ToolCall)
				}
				// The step's record is made and completed where finish
				// leaves it, in the result: no copies of it on the way.
				// No other step finishes before it does, and the result
				// has room for every step of the plan (see above), so
				// the slot stays where it is.
				k := len(r.res.Steps)
				r.res.Steps = r.res.Steps[:k+1]
				inlined, inlinedIdx = &r.res.Steps[k], l.i
				*inlined = l.record(planIdx)
				r.runStep(l.st, inlined, l.input, l.validated, r.callBuf)
			}
			launch = launch[:0]
		}
		if inFlight == 0 {
			break
		}
		i, rec := inlinedIdx, inlined
		var o *stepResult // a step's result from elsewhere
		if rec == nil {
			if (unlaunched == 0 || stopErr != nil) && inFlight > 1 && !r.listening() {
				// No result can let another step start: wait for all
				// of them at once, woken once. (Under a stream or an
				// observer, each step's events go out as it ends.)
				results.waitAll()
			}
			o = <-results.ch
			if o.ctx != nil {
				r.settle(o)
			}
			i, rec = o.i, &o.rec
		}
		inFlight--
		st := prog.Step(i)
		if rec.Err != nil {
			r.note(memory.KindError, st.ID, st.Tool, rec.Content)
		} else {
			r.note(memory.KindObservation, st.ID, st.Tool, rec.Content)
		}
		finish(i, rec)
		if o != nil && o.pooled != nil {
			o.pooled.recycle()
		}
		if stopErr == nil {
			if err := r.getFatal(); err != nil {
				stopErr = err
			} else if err := r.ctx.Err(); err != nil {
				stopErr = err
			}
		}
	}
	if results != nil {
		r.a.putResultGate(results) // every result sent was received
	}
	if stopErr != nil {
		return records, nil, stopErr
	}
	if err := r.ctx.Err(); err != nil {
		return records, nil, err
	}
	return records, failures, nil
}

// runsHere reports whether step l, when it may run on the scheduling
// goroutine, saves a hand-over there: a reasoning step, a step run
// without starting it on the executor (ae nil), or a tool step whose call
// the dispatcher runs on the calling goroutine (see
// tools.Dispatcher.RunsInline).
func (r *run) runsHere(ae tools.AsyncExecutor, l *launchItem) bool {
	if ae == nil || l.st.Tool == "" {
		return true
	}
	return r.dispatcher != nil && r.dispatcher.RunsInline(l.st.Tool)
}

// quick reports whether tool step st's calls are quick (see
// tools.QuickExecutor): running such steps here, one after another, is
// faster than handing them to other goroutines to run side by side, and
// delays the others by microseconds. Steps that wait for an approval are
// never quick: an approval may wait for a person.
func (r *run) quick(st *planner.Step) bool {
	if st.Tool == "" || r.a.cfg.Approve != nil {
		return false
	}
	if r.dispatcher != nil {
		return r.dispatcher.Quick(st.Tool)
	}
	q, ok := r.w.exec.(tools.QuickExecutor)
	return ok && q.Quick(st.Tool)
}

// sameCall returns the record of a step of an earlier plan that made the
// same tool call successfully, or nil.
func sameCall(records recordSet, planIdx int, tool string, args json.RawMessage) *StepRecord {
	if planIdx == 0 || tool == "" {
		return nil
	}
	for _, e := range records {
		if rec := e.rec; rec.Plan < planIdx && rec.Tool == tool && rec.Status == StepDone && jsonSame(rec.Args, args) {
			return rec
		}
	}
	return nil
}

// jsonSame reports whether two JSON texts hold the same value.
func jsonSame(a, b json.RawMessage) bool {
	if bytes.Equal(a, b) {
		return true
	}
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

func stepWhat(st *planner.Step) string {
	if st.Tool != "" {
		return st.Tool
	}
	return "reasoning"
}

// runStep runs one step and completes its record, rec, which holds what
// the step starts with (see launchItem.record); buf is room for the
// dispatch's argument (nil when the executor is r.dispatcher).
//
// validated says that rec.Args are the step's arguments exactly as the
// planner validated them when it compiled the plan (the step has no
// references), so the executor need not validate them again.
func (r *run) runStep(st *planner.Step, rec *StepRecord, input string, validated bool, buf *[1]llm.ToolCall) {
	ctx := r.ctx
	if d := r.a.limits.StepTimeout; d > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	var span trace.Span
	if r.traced {
		ctx, span = trace.StartStep(ctx, st.ID, st.Task)
		if st.Tool != "" {
			span.SetAttributes(trace.StepToolKey.String(st.Tool))
		}
	}
	r.stepBody(ctx, st, rec, input, validated, buf)
	if r.traced { // an untraced step has no span, whose End does nothing
		span.End(rec.Err) // before the scheduler learns the step is done
	}
}

// stepBody runs one step and completes its record.
func (r *run) stepBody(ctx context.Context, st *planner.Step, rec *StepRecord, input string, validated bool, buf *[1]llm.ToolCall) {
	// A tool step that is only its dispatcher's call (no approval, no
	// events around it) ran as long as the call, which the dispatcher
	// times: the step reads no clock of its own.
	ownClock := st.Tool == "" || r.dispatcher == nil || r.a.cfg.Approve != nil || r.listening()
	var start time.Time
	if ownClock {
		start = time.Now()
	}
	if st.Tool == "" {
		text, err := r.reasonStep(ctx, st, input)
		rec.Duration = time.Since(start)
		if err != nil {
			rec.Status, rec.Err, rec.Content = StepFailed, err, "error: "+err.Error()
		} else {
			rec.Status, rec.Output, rec.Content = StepDone, text, text
		}
		return
	}
	call := llm.ToolCall{ID: st.ID, Name: st.Tool, Arguments: rec.Args}
	if r.a.cfg.Approve != nil {
		var ok bool
		call, ok = r.approve(ctx, rec, st.Task, call)
		if !ok {
			rec.Duration = time.Since(start)
			return
		}
	}
	if r.listening() {
		ev, c := *rec, call
		r.emit(Event{Type: EventToolCall, Step: &ev, Call: &c})
	}
	// Arguments the planner validated (and edits the approval hook made,
	// which approve validates) are not validated again when the executor
	// can skip it; resolved references were never validated and go
	// through Dispatch.
	var res tools.Result
	switch d := r.dispatcher; {
	case d != nil && validated:
		// One call without Dispatch's slice of results.
		res = d.CallValidated(ctx, call)
	case d != nil:
		res = d.Call(ctx, call)
	default:
		buf[0] = call
		calls := buf[:]
		if ve, ok := r.w.exec.(tools.ValidatedExecutor); ok && validated {
			res = ve.DispatchValidated(ctx, calls...)[0]
		} else {
			res = r.w.exec.Dispatch(ctx, calls...)[0]
		}
	}
	rec.Args = res.Call.Arguments
	rec.Output, rec.Content, rec.Err = res.Output, res.Content, res.Err
	if ownClock {
		rec.Duration = time.Since(start)
	} else {
		rec.Duration = res.Duration
	}
	r.settleRecord(ctx, rec)
	if r.listening() {
		ev, c := *rec, res.Call // copies: res itself stays on the stack
		r.emit(Event{Type: EventToolResult, Step: &ev, Call: &c})
	}
}

// approve asks the approval hook about call. It reports false, with rec
// filled in as failed or denied, when the call must not run.
func (r *run) approve(ctx context.Context, rec *StepRecord, task string, call llm.ToolCall) (llm.ToolCall, bool) {
	if r.listening() {
		ev, c := *rec, call
		r.emit(Event{Type: EventApproval, Step: &ev, Call: &c})
	}
	ap, err := r.a.cfg.Approve(ctx, ApprovalRequest{RunID: r.res.RunID, Step: rec.ID, Task: task, Tool: call.Name, Args: call.Arguments})
	if err == nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	switch {
	case err != nil:
		rec.Status, rec.Err = StepFailed, fmt.Errorf("agent: approval of step %s: %w", rec.ID, err)
		rec.Content = "error: " + rec.Err.Error()
		return call, false
	case ap.Decision == Deny:
		rec.Status, rec.Err = StepDenied, &tools.DeniedError{Tool: call.Name, By: "approval", Reason: orDefault(ap.Reason, "no reason given")}
		rec.Content = "denied: " + orDefault(ap.Reason, "the call was not approved")
		return call, false
	case ap.Decision == Edit:
		if verr := r.w.exec.Validate(call.Name, ap.Args); verr != nil {
			rec.Status, rec.Err = StepFailed, fmt.Errorf("agent: the approver's edited arguments are invalid: %w", verr)
			rec.Content = "error: " + rec.Err.Error()
			return call, false
		}
		call.Arguments = ap.Args
		rec.Args = ap.Args
	}
	return call, true
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// depOutputs renders the outputs of the steps step i needs, for a
// reasoning step's prompt.
func (r *run) depOutputs(prog *planner.Program, i int, records recordSet) string {
	var b strings.Builder
	for _, d := range prog.Deps(i) {
		id := prog.Step(d).ID
		if rec := records.get(id); rec != nil {
			b.WriteString("[" + id + "] " + rec.Content + "\n")
		}
	}
	return b.String()
}

// reasonStep works out a reasoning step with a model call over the
// outputs of the steps it needs.
func (r *run) reasonStep(ctx context.Context, st *planner.Step, input string) (string, error) {
	var b strings.Builder
	b.WriteString("Goal: ")
	b.WriteString(r.goal)
	b.WriteString("\n\nTask: ")
	b.WriteString(st.Task)
	b.WriteString("\n")
	if input != "" {
		b.WriteString("\nOutputs of the steps it needs:\n")
		b.WriteString(input)
	}
	req := newRequest(r.a.reason, nil, b.String())
	resp, err := r.w.model.Generate(ctx, req)
	var u llm.Usage
	if resp != nil {
		u = resp.Usage
	}
	if berr := r.account(u); berr != nil && err == nil {
		return "", berr
	}
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(resp.Message.Content), nil
}

// joinCall asks the model for the answer from the steps' outputs, or, when
// canReplan, for a replan. It returns the answer, or the reason to replan
// with again set. The outputs of the completed steps go with the request
// as its sources (llm.Request.Sources).
func (r *run) joinCall(canReplan bool, records recordSet) (string, bool, error) {
	// The scratchpad is rendered straight into the prompt, which is sized
	// once: exactly when the whole scratchpad goes in (n is its length
	// then), and for n bytes of it otherwise.
	const (
		head     = "Goal: "
		steps    = "\n\nWhat the steps did:\n"
		askAgain = "\nAnswer the goal now, citing the steps you use as [id]. If the outputs are not enough to answer, reply with REPLAN: and what is missing, instead."
		askFinal = "\nAnswer the goal now from these outputs, citing the steps you use as [id]."
	)
	ask := askFinal
	if canReplan {
		ask = askAgain
	}
	n := r.pad.RenderedLen()
	b := make([]byte, 0, len(head)+len(r.goal)+len(steps)+n+len(ask))
	b = append(b, head...)
	b = append(b, r.goal...)
	b = append(b, steps...)
	b, _ = r.pad.AppendTo(b, r.renderBudget(n))
	b = append(b, ask...)
	// b is never written again: the prompt is its bytes, as a
	// strings.Builder's string is.
	prompt := unsafe.String(unsafe.SliceData(b), len(b))
	req := joinRequest(r.a.join, r.history, prompt, records)

	var gate *replanGate
	var deltas func(string)
	if r.sink != nil {
		gate = &replanGate{on: canReplan}
		deltas = func(t string) {
			if out := gate.feed(t); out != "" {
				r.emit(Event{Type: EventAnswerDelta, Text: out})
			}
		}
	}
	ctx := r.ctx
	var span trace.Span
	if r.traced {
		ctx, span = trace.StartSummarize(r.ctx)
	}
	resp, err := r.generate(ctx, req, deltas)
	if r.traced {
		span.End(err)
	}
	if err != nil {
		return "", false, err
	}
	text := strings.TrimSpace(resp.Message.Content)
	if _, rest := llm.SplitThink(text); rest != text {
		text = strings.TrimSpace(rest)
	}
	if canReplan {
		if why, ok := cutReplan(text); ok {
			return why, true, nil
		}
	}
	if deltas != nil {
		if out := gate.flush(); out != "" {
			r.emit(Event{Type: EventAnswerDelta, Text: out})
		}
	}
	return text, false, nil
}

// joinRequest returns the join's request: a system message, the history
// and a user message, with the outputs of the completed steps among
// records as its sources (see joinSources). Without history, the request,
// its messages and up to four sources are one allocation.
func joinRequest(system string, history []llm.Message, user string, records recordSet) *llm.Request {
	if len(history) > 0 {
		req := newRequest(system, history, user)
		req.Sources = joinSources(nil, records)
		return req
	}
	var req *llm.Request
	var room []llm.Source
	switch sourceCount(records) {
	case 0:
		return newRequest(system, nil, user)
	case 1:
		req, room = requestWith(system, user, func(a *[1]llm.Source) []llm.Source { return a[:0] })
	case 2:
		req, room = requestWith(system, user, func(a *[2]llm.Source) []llm.Source { return a[:0] })
	case 3:
		req, room = requestWith(system, user, func(a *[3]llm.Source) []llm.Source { return a[:0] })
	case 4:
		req, room = requestWith(system, user, func(a *[4]llm.Source) []llm.Source { return a[:0] })
	default:
		req = newRequest(system, nil, user)
	}
	req.Sources = joinSources(room, records)
	return req
}

// requestWith returns a request of a system and a user message, in one
// allocation with its messages and with room for sources, the array A,
// which room slices (empty, with A's capacity).
func requestWith[A any](system, user string, room func(*A) []llm.Source) (*llm.Request, []llm.Source) {
	p := new(struct {
		req  llm.Request
		msgs [2]llm.Message
		src  A
	})
	setMessages(&p.req, &p.msgs, system, user)
	return &p.req, room(&p.src)
}

// sourceCount is the number of sources joinSources returns.
func sourceCount(records recordSet) int {
	n := 0
	for _, e := range records {
		if e.rec.Status == StepDone && e.rec.Content != "" {
			n++
		}
	}
	return n
}

// joinSources returns the outputs of the completed steps among records as
// the sources of the answer, appended to room when it has room for them
// all, and nil when there are none.
func joinSources(room []llm.Source, records recordSet) []llm.Source {
	n := sourceCount(records)
	if n == 0 {
		return nil
	}
	src := room[:0]
	if cap(src) < n {
		src = make([]llm.Source, 0, n)
	}
	for _, e := range records {
		if e.rec.Status == StepDone && e.rec.Content != "" {
			src = append(src, llm.Source{ID: e.id, Text: e.rec.Content})
		}
	}
	return src
}

// newRequest returns a request of a system message, the history and a
// user message. Without history, the request and its messages are one
// allocation.
func newRequest(system string, history []llm.Message, user string) *llm.Request {
	if len(history) == 0 {
		p := &struct {
			req  llm.Request
			msgs [2]llm.Message
		}{}
		setMessages(&p.req, &p.msgs, system, user)
		return &p.req
	}
	msgs := make([]llm.Message, 0, 2+len(history))
	msgs = append(msgs, llm.Message{Role: llm.RoleSystem, Content: system})
	msgs = append(msgs, history...)
	msgs = append(msgs, llm.Message{Role: llm.RoleUser, Content: user})
	return &llm.Request{Messages: msgs}
}

// setMessages makes msgs, a system message and a user message, req's
// messages.
func setMessages(req *llm.Request, msgs *[2]llm.Message, system, user string) {
	msgs[0] = llm.Message{Role: llm.RoleSystem, Content: system}
	msgs[1] = llm.Message{Role: llm.RoleUser, Content: user}
	req.Messages = msgs[:]
}

// cutReplan reports whether text asks to replan, and why.
func cutReplan(text string) (string, bool) {
	if len(text) >= 6 && strings.EqualFold(text[:6], "REPLAN") {
		why := strings.TrimLeftFunc(text[6:], func(r rune) bool { return r == ':' || unicode.IsSpace(r) })
		if why == "" {
			why = "the model asked for a new plan"
		}
		return why, true
	}
	return "", false
}

// replanGate holds back the start of a streamed join reply until it is
// known not to be "REPLAN", so that a replan never streams as an answer.
type replanGate struct {
	on      bool
	decided bool
	replan  bool
	held    strings.Builder
}

func (g *replanGate) feed(t string) string {
	if !g.on || g.decided {
		if g.replan {
			return ""
		}
		return t
	}
	g.held.WriteString(t)
	h := strings.TrimLeftFunc(g.held.String(), unicode.IsSpace)
	if len(h) < 6 {
		if strings.HasPrefix("REPLAN", strings.ToUpper(h)) {
			return ""
		}
	}
	g.decided = true
	if len(h) >= 6 && strings.EqualFold(h[:6], "REPLAN") {
		g.replan = true
		return ""
	}
	out := g.held.String()
	g.held.Reset()
	return out
}

func (g *replanGate) flush() string {
	if g.replan {
		return ""
	}
	out := g.held.String()
	g.held.Reset()
	return out
}

// decodeOutput returns a step's output as JSON-decoded generic values, so
// that expressions see the JSON field names.
func decodeOutput(rec *StepRecord) any {
	switch v := rec.Output.(type) {
	case nil:
		var x any
		if rec.Content != "" && json.Unmarshal([]byte(rec.Content), &x) == nil {
			return x
		}
		return rec.Content
	case string:
		return v
	case json.RawMessage:
		var x any
		if json.Unmarshal(v, &x) == nil {
			return x
		}
		return string(v)
	case []byte:
		return string(v)
	case bool, float64, map[string]any, []any:
		return v
	default:
		// Content is the output encoded as JSON already (see
		// tools.Result): decode that rather than encode the output again.
		// Content cut to the size limit ends with a marker that no JSON
		// text can, so it fails to decode and the output is encoded here.
		var x any
		if rec.Content != "" && json.Unmarshal([]byte(rec.Content), &x) == nil {
			return x
		}
		b, err := json.Marshal(v)
		if err != nil {
			return rec.Content
		}
		x = nil
		if json.Unmarshal(b, &x) != nil {
			return rec.Content
		}
		return x
	}
}

func joinPrompt(instructions string) string {
	var b strings.Builder
	if instructions != "" {
		b.WriteString(strings.TrimSpace(instructions))
		b.WriteString("\n\n")
	}
	b.WriteString("You write the final answer to a goal from the outputs of the steps that were run for it. Ground every claim in those outputs and cite the steps you use as [id], for example [s1] or [s1, s3]. Do not invent results that no step returned. Put words you take from the outputs in quotation marks, exactly as they appear.")
	return b.String()
}

func reasonPrompt(instructions string) string {
	var b strings.Builder
	if instructions != "" {
		b.WriteString(strings.TrimSpace(instructions))
		b.WriteString("\n\n")
	}
	b.WriteString("You carry out one reasoning step of a plan: work out the task from the outputs given, and reply with the result only.")
	return b.String()
}
