// Package tools turns Go functions into tools a model can call, and runs the
// calls a model makes: JSON schemas reflected from Go types, arguments
// validated before anything runs, parallel dispatch with timeouts, retries
// and panic recovery, guards and human approval. Whatever a model sends, a
// call ends in a [Result] it can read; a run never crashes because of one.
//
// # Defining tools
//
// A tool is a function of a context and an input struct:
//
//	// Forecast asks for the weather forecast of a city.
//	type Forecast struct {
//		// City is the city's name, in English.
//		City string `json:"city"`
//		// Days is how many days ahead to forecast.
//		Days int `json:"days,omitempty" jsonschema:"minimum=1,maximum=7"`
//	}
//
//	forecast, err := tools.Func("forecast", "", func(ctx context.Context, in Forecast) (Report, error) {
//		return lookUp(ctx, in.City, in.Days)
//	})
//
// [Func] reflects the input's JSON schema with github.com/invopop/jsonschema:
// names and optionality from json tags (a field is required unless it is
// omitempty), constraints from jsonschema tags, and descriptions from doc
// comments. Comments are not in a compiled binary, so a go:generate step
// writes them into Go source:
//
//	//go:generate go run github.com/plait-ai/plait/tools/cmd/plait-tooldoc
//
// The generated file calls [RegisterDocs] when the package loads. Without
// it, descriptions come from tags and from a SchemaDescription method (see
// [SchemaDescriber]). Named types list their values with a JSONSchemaEnum
// method (see [Enumer]). The [Strict] option makes schemas that OpenAI's
// strict mode accepts, or fails with the reason (a map has no strict form).
//
// Tools defined by a raw JSON schema, from MCP servers, OpenAPI documents
// or BFCL-style definitions (see [FromBFCL] and [NormalizeSchema]), use
// [Raw]. Package tools/builtin has ready-made tools; package tools/mcp
// imports the tools of MCP servers and serves tools over MCP.
//
// # Running calls
//
// A [Set] holds tools by name, each schema compiled once; its specs go into
// llm requests, all of them or a selection by name. A [Dispatcher] runs the
// calls a model makes and implements [Executor]:
//
//	set, err := tools.NewSet(forecast, calculator)
//	d := tools.NewDispatcher(set, tools.WithConcurrency(8), tools.WithMiddleware(tracing))
//	req.Tools = set.Specs()
//	...
//	for _, r := range d.Dispatch(ctx, resp.Message.ToolCalls...) {
//		msgs = append(msgs, r.Message())
//	}
//
// For each call the dispatcher gives it an id (a UUID) when the model gave
// none, validates the arguments with github.com/santhosh-tekuri/jsonschema/v6
// (valid arguments usually take a zero-allocation fast path held to that
// validator by a differential fuzz test), evaluates the tool's guards, asks
// the approval hook where needed, runs the tool under its timeout with
// panics recovered and retryable errors retried, encodes the output (a
// string as it is, anything else as JSON) and caps its size. Failures are
// Results too, with typed errors for callers ([ErrUnknownTool],
// [*ValidationError], [*PanicError], [*TimeoutError], [*DeniedError]) and
// Content the model can act on: a validation error names the field by JSON
// pointer and says what was wrong, an unknown tool lists the tools there
// are.
//
// A call runs on another goroutine than the caller's (one of a pool of
// reused worker goroutines, which keep their grown stacks) so that a tool
// that ignores its context cannot hold the run past its timeout: the
// caller returns at the timeout and abandons the call. [Inline] runs a
// tool that honours ctx on the dispatching goroutine instead. A tool
// whose latest calls each took microseconds, less than a hand-over to
// another goroutine costs, is quick ([Dispatcher.Quick]): its calls run
// on the caller's goroutine, where its timeout reaches it through ctx
// (an Inline tool's after a few calls, any other's after 32, and never
// an [Isolated] tool's or one's that waits on ctx.Done); a quick call
// that overruns its timeout makes the tool not quick again. Dispatch makes several calls of quick tools one
// after another on the caller's goroutine rather than side by side, and
// package agent runs plan steps of them on the goroutine that runs the
// plan.
// Deadlines are enforced by one watchdog for all calls, not a timer per
// call, and a flat argument struct (and a flat output struct) of a [Func]
// tool is decoded (encoded) without reflection, exactly as encoding/json
// would, so a trivial call costs a few microseconds and two allocations.
// [Dispatcher.DispatchValidated] runs calls whose arguments the caller has
// already validated (package agent's plan steps) without validating them
// again. [Dispatcher.Start] (and StartValidated) start a call and deliver
// its Result to a callback, for a caller that runs calls as each becomes
// ready: the tool runs on the call's own worker, one hand-over between
// goroutines rather than two, with timeouts and cancellations delivered
// as Dispatch returns them. Middlewares (tracing,
// metrics) see each call with its id filled in; [SpecFrom] gives them the
// tool's spec and [ErrorType] classifies a failure.
//
// # Guards and approval
//
// [Guard] attaches policy expressions (github.com/expr-lang/expr) over the
// arguments and the values the caller puts in the context with
// [WithGuardEnv]; they are compiled when the tool is made. [NeedsApproval]
// sends a tool's calls to an [Approver], a human in the loop who can
// allow, deny or edit a call.
//
// # Concurrency
//
// Tools must be safe for concurrent use. Set and Dispatcher are safe for
// concurrent use; FuncTool and RawTool are immutable.
package tools
