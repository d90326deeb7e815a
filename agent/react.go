package agent

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/memory"
	"github.com/plait-ai/plait/tools"
	"github.com/plait-ai/plait/trace"
)

// react runs the ReAct strategy: the model calls tools natively, turn by
// turn; the calls of one turn run together; a turn without calls answers.
func (r *run) react() error {
	a := r.a
	// Room for the prompt and three turns of one call each (a message for
	// the call, one for its result): most runs, before any growth.
	msgs := make([]llm.Message, 0, 2+len(r.history)+6)
	msgs = append(msgs, llm.Message{Role: llm.RoleSystem, Content: a.react})
	msgs = append(msgs, r.history...)
	msgs = append(msgs, llm.Message{Role: llm.RoleUser, Content: r.goal})
	req := &llm.Request{Messages: msgs, Tools: a.specs}
	// Room for a call and an observation each of a few calls, rather
	// than the scratchpad's default capacity: most runs need less.
	r.growNotes(8)
	var deltas func(string)
	if r.sink != nil {
		deltas = func(t string) { r.emit(Event{Type: EventAnswerDelta, Text: t}) }
	}
	for turn := 0; ; turn++ {
		if max := a.limits.MaxTurns; max > 0 && turn >= max {
			return &BudgetError{Budget: "turns", Limit: int64(max)}
		}
		req.Messages = msgs
		resp, err := r.generate(r.ctx, req, deltas)
		if err != nil {
			return err
		}
		msg := resp.Message
		reasoning, content := llm.SplitThink(msg.Content)
		if msg.Reasoning != "" {
			reasoning = msg.Reasoning
		}
		if reasoning != "" {
			r.note(memory.KindThought, "", "", reasoning)
		}
		if len(msg.ToolCalls) == 0 {
			r.res.Answer = strings.TrimSpace(content)
			r.res.Citations = citations(r.cites0[:0], r.res.Answer, r.isStep)
			return nil
		}
		if strings.TrimSpace(content) != "" {
			r.note(memory.KindThought, "", "", content)
		}
		if max := a.limits.MaxSteps; max > 0 && r.stepsRun+len(msg.ToolCalls) > max {
			return &BudgetError{Budget: "steps", Limit: int64(max)}
		}
		r.stepsRun += len(msg.ToolCalls)
		calls := msg.ToolCalls
		copied := false
		for i := range calls {
			if calls[i].ID == "" {
				if !copied { // the response's slice may be shared
					calls, copied = append([]llm.ToolCall(nil), calls...), true
				}
				calls[i].ID = "t" + strconv.Itoa(turn+1) + "_" + strconv.Itoa(i+1)
			}
		}
		msg.ToolCalls = calls
		msgs = append(msgs, msg)
		recs := r.dispatchTurn(turn, calls)
		for i := range recs {
			rec := &recs[i]
			if rec.Err != nil {
				r.note(memory.KindError, rec.ID, rec.Tool, rec.Content)
			} else {
				r.note(memory.KindObservation, rec.ID, rec.Tool, rec.Content)
			}
			msgs = append(msgs, llm.Message{Role: llm.RoleTool, Content: rec.Content, ToolCallID: rec.ID, Name: rec.Tool})
			r.emit(Event{Type: EventStepFinished, Step: rec}) // rec is in r.res.Steps
		}
		if err := r.getFatal(); err != nil {
			return err
		}
		if err := r.ctx.Err(); err != nil {
			return err
		}
	}
}

// isStep reports whether id is the id of one of the run's steps (a
// ReAct run's tool calls), for citations.
func (r *run) isStep(id string) bool {
	for i := range r.res.Steps {
		if r.res.Steps[i].ID == id {
			return true
		}
	}
	return false
}

// dispatchTurn asks for approvals (in parallel), then runs the approved
// calls of one turn together, and returns a record per call in order.
func (r *run) dispatchTurn(turn int, calls []llm.ToolCall) []StepRecord {
	a := r.a
	ctx := r.ctx
	if d := a.limits.StepTimeout; d > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	// The turn's records go straight into the result, where they stay:
	// no copy of them per turn. The first ones go in the run's room for
	// them (see run.steps0); past it, room for a few turns at once, so
	// that short runs grow the slice once.
	base := len(r.res.Steps)
	switch {
	case cap(r.res.Steps) > 0:
	case len(calls) <= len(r.steps0):
		r.res.Steps = r.steps0[:0]
	default:
		r.res.Steps = make([]StepRecord, 0, max(4, len(calls)))
	}
	r.res.Steps = slices.Grow(r.res.Steps, len(calls))[:base+len(calls)]
	recs := r.res.Steps[base:]
	var run []bool // nil: every call runs (there is no approval hook)
	for i, c := range calls {
		recs[i] = StepRecord{ID: c.ID, Plan: turn, Tool: c.Name, Args: c.Arguments}
		r.note(memory.KindToolCall, c.ID, c.Name, string(c.Arguments))
		if r.listening() {
			ev := recs[i]
			r.emit(Event{Type: EventStepStarted, Step: &ev})
		}
	}
	var start time.Time // for the durations of calls that do not run
	if a.cfg.Approve != nil {
		start = time.Now()
		calls, run = r.approveTurn(ctx, recs, calls)
	}
	todo := calls
	if run != nil {
		todo = make([]llm.ToolCall, 0, len(calls))
	}
	for i, c := range calls {
		if run == nil || run[i] {
			if run != nil {
				todo = append(todo, c)
			}
			if r.listening() {
				ev := recs[i]
				r.emit(Event{Type: EventToolCall, Step: &ev, Call: &calls[i]})
			}
		} else {
			recs[i].Duration = time.Since(start)
		}
	}
	var results []tools.Result
	var one [1]tools.Result // a turn's one call, on the stack
	switch {
	case len(todo) == 0:
	case r.traced:
		results = r.dispatchTraced(ctx, todo)
	case len(todo) == 1 && r.dispatcher != nil:
		// What Dispatch does for one call, without its slice.
		one[0] = r.dispatcher.Call(ctx, todo[0])
		results = one[:]
	default:
		results = r.w.exec.Dispatch(ctx, todo...)
	}
	k := 0
	for i := range calls {
		if run != nil && !run[i] {
			continue
		}
		res := results[k]
		k++
		rec := &recs[i]
		rec.Args = res.Call.Arguments
		rec.Output, rec.Content, rec.Err, rec.Duration = res.Output, res.Content, res.Err, res.Duration
		if res.Err != nil {
			rec.Status = StepFailed
			if errors.Is(res.Err, tools.ErrDenied) {
				rec.Status = StepDenied
			}
		} else {
			rec.Status = StepDone
		}
		if r.listening() {
			ev, c := *rec, results[k-1].Call
			r.emit(Event{Type: EventToolResult, Step: &ev, Call: &c})
		}
	}
	return recs
}

// approveTurn asks the approval hook about a turn's calls, in parallel.
// It returns the calls as approved (edits applied) and which may run. (A
// function of its own so that the variables its goroutines share do not
// move to the heap on every turn of runs without a hook.)
func (r *run) approveTurn(ctx context.Context, recs []StepRecord, calls []llm.ToolCall) ([]llm.ToolCall, []bool) {
	run := make([]bool, len(calls))
	calls = append([]llm.ToolCall(nil), calls...) // approvals may edit them
	var wg sync.WaitGroup
	for i := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			calls[i], run[i] = r.approve(ctx, &recs[i], "", calls[i])
		}()
	}
	wg.Wait()
	return calls, run
}

// dispatchTraced runs a turn's calls together, each as a step span of its
// own with its execute_tool span under it.
func (r *run) dispatchTraced(ctx context.Context, todo []llm.ToolCall) []tools.Result {
	results := make([]tools.Result, len(todo))
	var wg sync.WaitGroup
	for j := range todo {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sctx, span := trace.StartStep(ctx, todo[j].ID, "")
			span.SetAttributes(trace.StepToolKey.String(todo[j].Name))
			results[j] = r.w.exec.Dispatch(sctx, todo[j])[0]
			span.End(results[j].Err)
		}()
	}
	wg.Wait()
	return results
}

func reactPrompt(instructions string) string {
	var b strings.Builder
	if instructions != "" {
		b.WriteString(strings.TrimSpace(instructions))
		b.WriteString("\n\n")
	}
	b.WriteString("Reach the user's goal with the tools. Think about what you need, call the tools that provide it (call several at once when they do not depend on each other), read their results, and repeat until you can answer. Then answer without calling a tool, grounded in the results, citing the tool calls you use by their id as [id].")
	return b.String()
}
