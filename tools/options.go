package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
	"github.com/plait-ai/plait/llm"
)

// Option configures one tool: its timeout, retries, guards, approval and
// result size. Options are given to [Func], [Raw] or [With].
type Option func(*options) error

type options struct {
	strict    bool
	timeout   time.Duration
	retry     *RetryPolicy
	guards    []guard
	approval  bool
	maxResult int
	inline    bool
	isolated  bool
}

// RetryPolicy says how an idempotent tool is retried when a call fails with
// an error marked retryable (see [Retryable]). The zero value makes 3
// attempts in all, waiting 100ms then 200ms (with jitter), at most 2s.
type RetryPolicy struct {
	// Attempts is the number of attempts in all, the first included; 0
	// means 3.
	Attempts int
	// Backoff is the wait before the second attempt, doubled after each
	// one; 0 means 100ms.
	Backoff time.Duration
	// MaxBackoff caps a wait; 0 means 2s.
	MaxBackoff time.Duration
	// RetryTimeouts retries an attempt that ran past the tool's timeout as
	// well.
	RetryTimeouts bool
}

func (p RetryPolicy) normalized() RetryPolicy {
	if p.Attempts <= 0 {
		p.Attempts = 3
	}
	if p.Backoff <= 0 {
		p.Backoff = 100 * time.Millisecond
	}
	if p.MaxBackoff <= 0 {
		p.MaxBackoff = 2 * time.Second
	}
	return p
}

// Strict makes a [Func] tool's schema acceptable to OpenAI's strict mode
// and sets the spec's Strict flag: every object is closed and lists every
// property as required, optional properties (omitempty) become nullable,
// and keywords strict mode rejects (default, minLength, maxLength,
// uniqueItems, formats other than date-time, time, date, duration, email,
// hostname, ipv4, ipv6 and uuid) are written into the description instead;
// the dispatcher still enforces them. A map field or a field of type any
// cannot be strict (strict mode needs every object's keys listed): Func
// then returns an error naming the field. Strict has no effect on [Raw]
// tools, whose spec says whether it is strict.
func Strict() Option {
	return func(o *options) error { o.strict = true; return nil }
}

// Timeout limits each attempt of a call of the tool; it overrides the
// dispatcher's default (see [WithTimeout]). A negative value means no
// limit. A call that runs past it fails with a *TimeoutError; a tool that
// ignores its ctx is abandoned and keeps running in the background until
// it returns, unless its calls run where they are made ([Inline], or a
// tool that has proved quick: see [Dispatcher.Quick] and [Isolated]).
func Timeout(d time.Duration) Option {
	return func(o *options) error { o.timeout = d; return nil }
}

// Inline runs the tool's calls on the dispatching goroutine instead of
// handing them to a pooled worker goroutine, which saves the hand-off to
// the worker and back (a few microseconds per call when it wakes an idle
// core). Its timeout then reaches it only through ctx: use it for tools
// that return promptly when ctx is done (or never block). By default a
// call that runs past its timeout is abandoned even if the tool ignores
// ctx, until the tool's calls prove quick (see [Dispatcher.Quick]); an
// Inline tool's calls are quick after fewer of them. Once a tool's calls
// prove quick, several of them are made one after another where they are
// made rather than side by side. Inline and [Isolated] undo each other:
// the later one given counts.
func Inline() Option {
	return func(o *options) error { o.inline, o.isolated = true, false; return nil }
}

// Isolated runs every call of the tool that has a timeout on a pooled
// worker goroutine, even once its calls have proved quick (see
// [Dispatcher.Quick]), when they would otherwise run where they are made:
// its timeout then always abandons a call that ignores ctx, at the cost
// of a hand-over to the worker and back per call. Use it for a tool that
// is usually quick but can block without looking at ctx (a cache in front
// of a client that takes no context, say), and for one whose calls wait
// for each other without looking at ctx.Done (a rendezvous of the calls
// a plan makes side by side), which must not be made one after another
// as quick calls are. (A tool that asks for ctx.Done never proves quick.)
// Isolated and [Inline] undo each other: the later one given counts.
func Isolated() Option {
	return func(o *options) error { o.isolated, o.inline = true, false; return nil }
}

// Idempotent marks a tool safe to call twice with the same arguments, so
// the dispatcher retries it, with the default [RetryPolicy], when a call
// fails with an error marked retryable (see [Retryable]).
func Idempotent() Option {
	return func(o *options) error { o.retry = &RetryPolicy{}; return nil }
}

// Retry marks a tool idempotent with the given policy.
func Retry(p RetryPolicy) Option {
	return func(o *options) error { o.retry = &p; return nil }
}

// NeedsApproval sends every call of the tool to the dispatcher's approval
// hook (see [WithApprover]) before it runs. Without a hook such calls are
// denied.
func NeedsApproval() Option {
	return func(o *options) error { o.approval = true; return nil }
}

// MaxResultBytes caps the size of the tool's result content, overriding
// the dispatcher's default (see [WithMaxResultBytes]).
func MaxResultBytes(n int) Option {
	return func(o *options) error { o.maxResult = n; return nil }
}

// Guard adds policy expressions (github.com/expr-lang/expr) that must all
// evaluate to true for a call to run, for example
//
//	tools.Guard(`amount <= 100 || user.role == "admin"`)
//
// An expression sees the call's arguments by name (and all of them as
// args), the tool's name as tool, and the values put in the call's context
// with [WithGuardEnv]; those override arguments of the same name, so a
// model cannot forge them. Numbers from the arguments are float64.
// Expressions are compiled here: a bad one is an error of Func, Raw or
// With, never of a call. At call time an expression that is false, fails
// or is not a boolean denies the call with a *DeniedError.
func Guard(exprs ...string) Option {
	return func(o *options) error {
		for _, src := range exprs {
			prog, err := expr.Compile(src, expr.AsBool(), expr.AllowUndefinedVariables())
			if err != nil {
				return fmt.Errorf("tools: guard %q does not compile: %w", src, err)
			}
			o.guards = append(o.guards, guard{src: src, prog: prog})
		}
		return nil
	}
}

type guard struct {
	src  string
	prog *vm.Program
}

func buildOptions(opts []Option) (*options, error) {
	o := &options{}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(o); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// configured is implemented by the tools of this package that carry
// options.
type configured interface {
	toolOptions() *options
}

type guardEnvKey struct{}

// WithGuardEnv returns a context whose guard environment holds env's values
// on top of those already in ctx. Guards (see [Guard]) read them by name,
// for example the calling user:
//
//	ctx = tools.WithGuardEnv(ctx, map[string]any{"user": map[string]any{"role": "admin"}})
func WithGuardEnv(ctx context.Context, env map[string]any) context.Context {
	merged := maps.Clone(GuardEnv(ctx))
	if merged == nil {
		merged = make(map[string]any, len(env))
	}
	maps.Copy(merged, env)
	return context.WithValue(ctx, guardEnvKey{}, merged)
}

// GuardEnv returns the guard environment of ctx (see [WithGuardEnv]); the
// caller must not modify it.
func GuardEnv(ctx context.Context) map[string]any {
	m, _ := ctx.Value(guardEnvKey{}).(map[string]any)
	return m
}

// checkGuards evaluates the tool's guards on the arguments. It returns nil
// when every guard allows the call.
func checkGuards(ctx context.Context, name string, gs []guard, args json.RawMessage) *DeniedError {
	if len(gs) == 0 {
		return nil
	}
	var argv any
	if err := json.Unmarshal(args, &argv); err != nil {
		return &DeniedError{Tool: name, By: "guard", Reason: "the arguments could not be read for the policy check", Err: err}
	}
	ctxEnv := GuardEnv(ctx)
	env := make(map[string]any, 8+len(ctxEnv))
	if m, ok := argv.(map[string]any); ok {
		maps.Copy(env, m)
	}
	maps.Copy(env, ctxEnv)
	env["args"] = argv
	env["tool"] = name
	for _, g := range gs {
		out, err := runGuard(g.prog, env)
		if err != nil {
			return &DeniedError{Tool: name, By: "guard", Rule: g.src, Reason: "the policy could not be evaluated on these arguments", Err: err}
		}
		if ok, _ := out.(bool); !ok {
			return &DeniedError{Tool: name, By: "guard", Rule: g.src, Reason: "the arguments are not allowed by the policy"}
		}
	}
	return nil
}

func runGuard(prog *vm.Program, env map[string]any) (out any, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("guard panicked: %v", r)
		}
	}()
	return expr.Run(prog, env)
}

// ApprovalRequest is what the approval hook is asked about: one call, with
// arguments already validated and allowed by the guards, and the spec of
// the tool it calls.
type ApprovalRequest struct {
	Call llm.ToolCall
	Spec llm.ToolSpec
}

// Verdict is the approval hook's answer.
type Verdict int

// The verdicts.
const (
	// VerdictAllow lets the call run as it is.
	VerdictAllow Verdict = iota
	// VerdictDeny refuses it; the model reads the reason.
	VerdictDeny
	// VerdictEdit runs it with new arguments, which are validated and
	// checked by the guards again; the Result's Call carries them.
	VerdictEdit
)

// Decision is the approval hook's answer to one call.
type Decision struct {
	Verdict Verdict
	// Reason explains a denial (or an edit) to the model.
	Reason string
	// Arguments replace the call's arguments when Verdict is VerdictEdit.
	Arguments json.RawMessage
}

// Allow returns the decision that lets a call run.
func Allow() Decision { return Decision{Verdict: VerdictAllow} }

// Deny returns the decision that refuses a call, with a reason for the model.
func Deny(reason string) Decision { return Decision{Verdict: VerdictDeny, Reason: reason} }

// Edit returns the decision that runs a call with new arguments.
func Edit(args json.RawMessage, reason string) Decision {
	return Decision{Verdict: VerdictEdit, Arguments: args, Reason: reason}
}

// Approver is a human-in-the-loop hook: it decides whether a call may run.
// It may block until a person answers, and must return when ctx is done
// (the call is then denied). An error denies the call too. It is called
// concurrently for calls dispatched in parallel.
type Approver func(ctx context.Context, req ApprovalRequest) (Decision, error)
