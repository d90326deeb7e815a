package tools

import (
	"context"
	"encoding/json"
	"time"

	"github.com/plait-ai/plait/llm"
)

// Tool is anything the dispatcher can run: a Go function made into a tool,
// a tool defined by a raw JSON schema, an MCP server's tool, another agent.
// Implementations must be safe for concurrent use.
type Tool interface {
	// Spec describes the tool to the model: its name, description and the
	// JSON schema of its arguments.
	Spec() llm.ToolSpec
	// Call runs the tool on arguments already validated against
	// Spec().Parameters. It returns a JSON-encodable output (a string is
	// passed to the model as it is).
	Call(ctx context.Context, args json.RawMessage) (any, error)
}

// Result is the outcome of one tool call, success or failure. Every outcome
// has Content the model can read and act on.
type Result struct {
	// Call is the call as dispatched, its ID filled in when the model gave
	// none.
	Call llm.ToolCall
	// Output is the tool's output; nil when the call failed.
	Output any
	// Content is what the model reads: the output as JSON (a string output
	// as it is) or the error explained, truncated with a visible marker
	// when over the size limit.
	Content string
	// Err is nil on success; otherwise why the call failed (invalid
	// arguments, unknown tool, denied, panic, timeout, the tool's error).
	Err error
	// Duration is how long the call took.
	Duration time.Duration
	// Attempts is the number of times the tool ran: 0 when the call was
	// refused before it ran, more than 1 when it was retried.
	Attempts int
	// Truncated reports that Content was cut to the size limit.
	Truncated bool
}

// Message returns the tool message that reports r to the model.
func (r Result) Message() llm.Message {
	return llm.Message{Role: llm.RoleTool, Content: r.Content, ToolCallID: r.Call.ID, Name: r.Call.Name}
}

// Executor runs tool calls for planners and agents. The dispatcher
// implements it.
type Executor interface {
	// Specs returns the specs of the named tools, or of every tool when no
	// names are given, in a stable order.
	Specs(names ...string) []llm.ToolSpec
	// Validate checks args against the named tool's schema without running
	// it. The error names the field and what was wrong.
	Validate(name string, args json.RawMessage) error
	// Dispatch runs calls, in parallel up to the executor's limit, and
	// returns one Result per call in the same order. It never panics and
	// never returns early: failures are Results.
	Dispatch(ctx context.Context, calls ...llm.ToolCall) []Result
}

// ValidatedExecutor is an [Executor] that can run calls whose arguments
// the caller has already checked with its Validate, without checking them
// again. Package agent uses it for plan steps, whose arguments package
// planner validates when it compiles the plan; callers find it with a type
// assertion and fall back to Dispatch. [*Dispatcher] implements it.
type ValidatedExecutor interface {
	Executor
	// DispatchValidated is Dispatch for calls whose Arguments were
	// validated by this executor's Validate (as they are, byte for byte);
	// it may skip validating them again. Everything else Dispatch does
	// (guards, approval, timeouts, result caps) still happens. Arguments
	// from anywhere else (a model, a resolved reference) must go through
	// Dispatch.
	DispatchValidated(ctx context.Context, calls ...llm.ToolCall) []Result
}

// AsyncExecutor is a [ValidatedExecutor] that can start a call and return
// at once, delivering its Result later, so that a caller running several
// calls as each becomes ready (the steps of a plan) needs no goroutine of
// its own per call. Package agent uses it for plan steps; callers find it
// with a type assertion and fall back to Dispatch. [*Dispatcher]
// implements it.
type AsyncExecutor interface {
	ValidatedExecutor
	// Start runs call as Dispatch(ctx, call) would, returns at once, and
	// delivers the call's Result to done exactly once, from another
	// goroutine, no later than Dispatch would have returned it. done must
	// not block for long.
	Start(ctx context.Context, call llm.ToolCall, done func(Result))
	// StartValidated is Start for arguments validated by this executor's
	// Validate, as DispatchValidated is for Dispatch.
	StartValidated(ctx context.Context, call llm.ToolCall, done func(Result))
}

// QuickExecutor is an [Executor] that tells which tools' calls are quick:
// they run on the goroutine that dispatches them and return within
// microseconds, less than handing a call to another goroutine and back
// costs. A caller with several calls of quick tools to make makes them one
// after another where it is, rather than side by side; package agent runs
// plan steps of them on the goroutine that runs the plan. Callers find it
// with a type assertion. [*Dispatcher] implements it (see
// [Dispatcher.Quick]).
type QuickExecutor interface {
	Executor
	// Quick reports whether calls of the named tool are quick now.
	Quick(name string) bool
}

// CallHandler runs one tool call to its Result.
type CallHandler func(ctx context.Context, call llm.ToolCall) Result

// CallMiddleware wraps the running of each tool call, for tracing, logging
// and metrics: the dispatcher applies its middlewares around every call,
// after the call's id is filled in, so ctx is the call's own context.
type CallMiddleware func(next CallHandler) CallHandler
