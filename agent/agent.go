package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/memory"
	"github.com/plait-ai/plait/planner"
	"github.com/plait-ai/plait/tools"
	"github.com/plait-ai/plait/trace"
)

// Strategy is how an agent reaches a goal.
type Strategy int

const (
	// PlanExecute (the default) has the model write a whole plan first,
	// runs its steps in parallel where their dependencies allow, then has
	// the model answer from the outputs or replan. Few model calls; best
	// when the goal can be decomposed up front.
	PlanExecute Strategy = iota
	// ReAct has the model call tools natively, turn by turn (several at
	// once when it emits parallel tool calls), seeing each result before
	// deciding the next call. For open-ended tasks.
	ReAct
)

// String returns the strategy's name.
func (s Strategy) String() string {
	switch s {
	case PlanExecute:
		return "plan-execute"
	case ReAct:
		return "react"
	}
	return fmt.Sprintf("strategy(%d)", int(s))
}

// Limits bound a run; a plain value. The zero value of each field picks its default; a
// negative value removes the bound where the field says so.
type Limits struct {
	// MaxSteps bounds the steps (tool calls and reasoning steps) a run
	// executes: 0 means 32, negative means no bound.
	MaxSteps int
	// MaxReplans bounds the replans of plan-and-execute: 0 means 2,
	// negative means none allowed.
	MaxReplans int
	// MaxRepairs bounds how often an invalid plan goes back to the model:
	// 0 means 2, negative means none.
	MaxRepairs int
	// MaxTurns bounds ReAct's model turns: 0 means 16, negative means no
	// bound.
	MaxTurns int
	// MaxTokens bounds the tokens (input plus output) of all model calls
	// of a run: 0 means no bound.
	MaxTokens int
	// MaxDuration bounds a run's wall time: 0 means no bound.
	MaxDuration time.Duration
	// StepTimeout bounds each step: 0 means no bound (the tools' own
	// timeouts still apply).
	StepTimeout time.Duration
	// Parallelism bounds the steps that run at once: 0 means 8.
	Parallelism int
}

func (l Limits) withDefaults() Limits {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&l.MaxSteps, 32)
	def(&l.MaxReplans, 2)
	def(&l.MaxRepairs, 2)
	def(&l.MaxTurns, 16)
	def(&l.Parallelism, 8)
	if l.Parallelism < 0 {
		l.Parallelism = 1 << 20
	}
	if l.MaxReplans < 0 {
		l.MaxReplans = 0
	}
	return l
}

// Config configures an [Agent]. Only Model is required; every other zero
// value works. New copies it: changing a Config after New has no effect.
type Config struct {
	// Name names the agent in traces and when it is used as a tool
	// (default "agent").
	Name string
	// Description says what the agent does, for when it is used as a tool.
	Description string
	// Model is the model that plans, calls tools and answers.
	Model llm.Model
	// Instructions are the agent's system instructions.
	Instructions string
	// Tools runs the agent's tools: a *tools.Dispatcher, or any Executor.
	// When nil, the agent makes a dispatcher of ToolList.
	Tools tools.Executor
	// ToolList are the agent's tools, when Tools is nil.
	ToolList []tools.Tool
	// Strategy is how the agent works: PlanExecute (default) or ReAct.
	Strategy Strategy
	// Memory is the agent's memory: the scratchpad of each run, and the
	// history of conversations.
	Memory Memory
	// Limits bound each run.
	Limits Limits
	// Approve, when set, is asked before every tool step runs; the step
	// waits (the run pauses there) until it answers.
	Approve ApprovalFunc
	// Observe, when set, receives every event of every run, in order,
	// from the run's goroutines: it must be safe for concurrent use and
	// should return quickly. Tracing hooks in here.
	Observe func(ctx context.Context, ev Event)
	// NoSchema stops the planner sending the plan's JSON schema as a
	// response schema, for backends that reject one.
	NoSchema bool
	// NoTrace stops the agent tracing. By default each run is an
	// OpenTelemetry "invoke_agent" span (package trace) with plan, step,
	// replan and summarize spans under it; the model is wrapped with
	// trace.Model so that each call is a "chat" span, and the dispatcher
	// made of ToolList records "execute_tool" spans (add trace.Tools to a
	// dispatcher you pass as Tools). With no tracer provider installed
	// the spans cost next to nothing. Set NoTrace when the model is
	// already wrapped, or to record nothing.
	NoTrace bool
	// Tracer records the spans; nil uses trace.Default() (the one
	// trace.Setup installed, or the global OpenTelemetry providers).
	Tracer *trace.Tracer
}

// Agent reaches goals with a model and tools. It is immutable once made
// and safe for concurrent runs.
type Agent struct {
	cfg    Config
	limits Limits
	exec   tools.Executor
	specs  []llm.ToolSpec
	// plain and traced are the model, executor and planner of runs
	// whose spans are not recorded, and of those whose spans are.
	plain, traced *wiring
	join          string // the system prompt of the join call
	react         string // the system prompt of ReAct
	reason        string // the system prompt of reasoning steps
	// results are the gates of the results of a plan's steps, of
	// capacity limits.Parallelism, reused from run to run (see
	// run.resultGate).
	results sync.Pool
}

// wiring is the model, executor and planner a run uses.
type wiring struct {
	model   llm.Model
	exec    tools.Executor
	planner *planner.Planner
}

// ErrNoModel is returned by New when the config has no model.
var ErrNoModel = errors.New("agent: no model; set Config.Model")

// New returns an agent for cfg.
func New(cfg Config) (*Agent, error) {
	if cfg.Model == nil {
		return nil, ErrNoModel
	}
	if cfg.Name == "" {
		cfg.Name = "agent"
	}
	if cfg.Strategy != ReAct && cfg.Strategy != PlanExecute {
		return nil, fmt.Errorf("agent: unknown strategy %d; use PlanExecute or ReAct", cfg.Strategy)
	}
	a := &Agent{cfg: cfg, limits: cfg.Limits.withDefaults()}
	plain := &wiring{model: cfg.Model, exec: cfg.Tools}
	traced := &wiring{model: cfg.Model, exec: cfg.Tools}
	if !cfg.NoTrace {
		if cfg.Tracer != nil {
			traced.model = cfg.Tracer.Model(cfg.Model)
		} else {
			traced.model = trace.Model(cfg.Model)
		}
	}
	if cfg.Tools == nil {
		set, err := tools.NewSet(cfg.ToolList...)
		if err != nil {
			return nil, fmt.Errorf("agent: Config.ToolList: %w", err)
		}
		plain.exec = tools.NewDispatcher(set)
		traced.exec = plain.exec
		switch {
		case cfg.NoTrace:
		case cfg.Tracer != nil:
			traced.exec = tools.NewDispatcher(set, tools.WithMiddleware(cfg.Tracer.Tools(set.Specs)))
		default:
			traced.exec = tools.NewDispatcher(set, tools.WithMiddleware(trace.Tools(set.Specs)))
		}
	}
	a.exec = traced.exec
	a.specs = a.exec.Specs()
	for _, w := range []*wiring{plain, traced} {
		p, err := planner.New(planner.Config{
			Model:        w.model,
			Tools:        w.exec,
			Instructions: cfg.Instructions,
			MaxRepairs:   a.limits.MaxRepairs,
			NoSchema:     cfg.NoSchema,
		})
		if err != nil {
			return nil, err
		}
		w.planner = p
	}
	a.plain, a.traced = plain, traced
	a.join = joinPrompt(cfg.Instructions)
	a.react = reactPrompt(cfg.Instructions)
	a.reason = reasonPrompt(cfg.Instructions)
	return a, nil
}

// Name returns the agent's name.
func (a *Agent) Name() string { return a.cfg.Name }

// Strategy returns the agent's strategy.
func (a *Agent) Strategy() Strategy { return a.cfg.Strategy }

// Executor returns the executor that runs the agent's tools.
func (a *Agent) Executor() tools.Executor { return a.exec }

// StepStatus says how a step ended.
type StepStatus string

// The step statuses.
const (
	// StepDone: the step ran and succeeded.
	StepDone StepStatus = "done"
	// StepFailed: the tool failed, timed out, or its arguments could not
	// be resolved.
	StepFailed StepStatus = "failed"
	// StepDenied: the approval hook or a tool's guard denied the step;
	// its Err matches tools.ErrDenied.
	StepDenied StepStatus = "denied"
	// StepSkipped: its condition was false, or a step it needs was
	// skipped.
	StepSkipped StepStatus = "skipped"
	// StepReused: a replan repeated a completed step, whose output stands.
	StepReused StepStatus = "reused"
)

// StepRecord is what one step did. Records shared through events are
// read-only.
type StepRecord struct {
	// ID is the step's id in its plan (plan-and-execute) or the tool
	// call's id (ReAct).
	ID string `json:"id"`
	// Plan is the index in Result.Plans of the plan the step belongs to;
	// for ReAct, the turn.
	Plan int `json:"plan"`
	// Task is the step's task (plan-and-execute).
	Task string `json:"task,omitempty"`
	// Tool is the tool called; empty for a reasoning step.
	Tool string `json:"tool,omitempty"`
	// Args are the arguments the tool got, references resolved.
	Args json.RawMessage `json:"args,omitempty"`
	// Output is the tool's output (the text of a reasoning step).
	Output any `json:"output,omitempty"`
	// Content is the output as the model reads it, or the error explained.
	Content string `json:"content,omitempty"`
	// Err is why the step failed; nil otherwise.
	Err error `json:"-"`
	// Status says how the step ended.
	Status StepStatus `json:"status"`
	// Duration is how long the step ran.
	Duration time.Duration `json:"duration"`
}

// Result is what a run produced. A run that stops with an error returns
// the partial result with it. A Result belongs to the caller once Run
// returns (or the done event arrives); it is not safe for concurrent
// modification.
type Result struct {
	// RunID identifies the run (a UUID v7: ordered by start time).
	RunID uuid.UUID
	// ConversationID is the conversation the run belongs to; zero if none.
	ConversationID uuid.UUID
	// Scratchpad is what the run thought, called and observed.
	Scratchpad *memory.Scratchpad
	// Strategy is the strategy the run used.
	Strategy Strategy
	// Answer is the final answer.
	Answer string
	// Citations are the ids of the steps the answer cites, in the order
	// they are first cited.
	Citations []string
	// Plans are the plans made, the first and each replan.
	Plans []*planner.Plan
	// Steps are the steps executed, in the order they finished.
	Steps []StepRecord
	// Usage sums the tokens of every model call of the run.
	Usage llm.Usage
	// ModelCalls counts the model calls of the run.
	ModelCalls int
	// Replans counts the replans.
	Replans int
	// Duration is the run's wall time.
	Duration time.Duration
}

// Step returns the record of the step with the given id, the last one when
// several have it.
func (r *Result) Step(id string) (StepRecord, bool) {
	for i := len(r.Steps) - 1; i >= 0; i-- {
		if r.Steps[i].ID == id {
			return r.Steps[i], true
		}
	}
	return StepRecord{}, false
}

// ErrBudget is matched by every [*BudgetError].
var ErrBudget = errors.New("agent: budget exhausted")

// BudgetError stops a run that reached one of its limits. It is an
// immutable value. The run returns
// its partial result with it.
type BudgetError struct {
	// Budget names the limit: "steps", "replans", "turns", "tokens" or
	// "time".
	Budget string
	// Limit is the limit's value (nanoseconds for time).
	Limit int64
	// Err is what would have been handled within the budget: the failures
	// that needed a replan beyond MaxReplans, for example.
	Err error
}

// Error implements error.
func (e *BudgetError) Error() string {
	var b strings.Builder
	b.WriteString("agent: the ")
	b.WriteString(e.Budget)
	b.WriteString(" budget is exhausted (limit ")
	if e.Budget == "time" {
		b.WriteString(time.Duration(e.Limit).String())
	} else {
		fmt.Fprint(&b, e.Limit)
	}
	b.WriteString("); raise Limits or simplify the goal")
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Is makes errors.Is(err, ErrBudget) true.
func (e *BudgetError) Is(target error) bool { return target == ErrBudget }

// Unwrap returns the underlying error.
func (e *BudgetError) Unwrap() error { return e.Err }

// Decision is an approval hook's answer.
type Decision int

// The decisions.
const (
	// Allow runs the step as planned.
	Allow Decision = iota
	// Deny fails the step; plan-and-execute replans around it, ReAct
	// tells the model.
	Deny
	// Edit runs the step with Approval.Args instead.
	Edit
)

// ApprovalRequest describes a step waiting for approval.
type ApprovalRequest struct {
	RunID uuid.UUID
	// Step is the step's id (the call's id under ReAct).
	Step string
	Task string
	Tool string
	Args json.RawMessage
}

// Approval answers an ApprovalRequest.
type Approval struct {
	Decision Decision
	// Args replace the step's arguments when Decision is Edit; they are
	// validated against the tool's schema.
	Args json.RawMessage
	// Reason says why, for the model when a step is denied.
	Reason string
}

// ApprovalFunc decides whether a step may run. It may block as long as it
// needs (a person answering); the step waits, and ctx is cancelled when
// the run is. It must be safe for concurrent use: parallel steps ask at
// once. An error fails the step.
type ApprovalFunc func(ctx context.Context, req ApprovalRequest) (Approval, error)
