// Package trace records what plait does with OpenTelemetry: a span for
// every agent run, plan, step, model call and tool call, following the
// GenAI semantic conventions (v1.41.0), GenAI and plait metrics, and a
// timeline of a run a person can read in the terminal.
//
// # Setup
//
// One call installs the SDK with the exporters the config and the standard
// OTEL_* environment variables ask for (OTLP over gRPC or HTTP, JSON lines
// to a file, the console timeline):
//
//	shutdown, err := trace.Setup(ctx, trace.Config{Timeline: os.Stderr})
//	if err != nil {
//		return err
//	}
//	defer shutdown(context.Background())
//
// With OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318 the same program
// sends its spans and metrics to a collector (Jaeger, Tempo, Langfuse, any
// OTLP receiver). Without Setup, or when nothing is asked for, tracing is
// off: the OpenTelemetry no-op provider, at a cost of a few tens of
// nanoseconds a span (BenchmarkSpan/off).
//
// # Spans
//
// Instrumentation goes through plait's interfaces, so a new backend or
// tool is traced without effort:
//
//   - [Model] (or [Middleware]) wraps an llm.Model: each Generate and
//     Stream call is a "chat {model}" span, kind CLIENT for a remote API
//     and INTERNAL for the in-process runtime (llm.Info.Local), with
//     gen_ai.provider.name, gen_ai.request.* settings, gen_ai.response.id,
//     .model and .finish_reasons, gen_ai.usage.* tokens and, for streams,
//     the time to the first chunk. A stream's span ends when its
//     iteration ends.
//   - [Tools] is a tools.CallMiddleware: each tool call is an
//     "execute_tool {tool}" span with gen_ai.tool.name, .call.id and
//     .description.
//   - The agent and planner call [StartAgent], [StartPlan], [StartStep],
//     [StartReplan] and [StartSummarize], and end each [Span] with the
//     error the operation ended with.
//
// A run nests like this; steps that run in parallel are siblings, each
// started from the context the plan gave it:
//
//	invoke_agent researcher
//	├─ plan
//	│  └─ chat gpt-4o-mini
//	├─ step s1
//	│  └─ execute_tool search
//	├─ step s2                 (in parallel with s1)
//	│  ├─ chat gpt-4o-mini
//	│  └─ execute_tool fetch
//	├─ replan
//	│  └─ chat gpt-4o-mini
//	└─ summarize
//	   └─ chat gpt-4o-mini
//
// The agent's code, in outline:
//
//	ctx, run := trace.StartAgent(ctx, trace.AgentInfo{Name: a.Name, ID: a.ID, ConversationID: conv})
//	defer func() { run.End(err) }()
//
//	pctx, span := trace.StartPlan(ctx)
//	plan, err := planner.Plan(pctx, goal) // model calls nest under "plan"
//	span.SetAttributes(trace.PlanStepsKey.Int(len(plan.Steps)))
//	span.End(err)
//
//	for _, step := range ready { // each in its own goroutine
//		go func() {
//			sctx, span := trace.StartStep(ctx, step.ID, step.Task)
//			out, err := execute(sctx, step) // tool and model calls nest under the step
//			span.End(err)
//		}()
//	}
//
// The run's context carries its state: the spans under it are counted
// (steps and replans per run) and their token usage is summed onto the
// invoke_agent span when it ends. A failed operation's span has status
// Error, its message, and error.type: the llm.ErrorKind of an *llm.Error,
// the name an [ErrorTyper] gives, else the error's Go type.
//
// # Content and secrets
//
// Spans carry no message text, tool arguments or results unless the user
// opts in with a [Redactor] ([WithContent], Config.Content), a function
// that sees each piece of content and returns what may be recorded.
// Whatever is recorded, and every error message, is scrubbed of secrets:
// the values of environment variables named like keys and tokens, OTLP
// header values, and values given to [WithSecrets]. The resource leaves out
// the process's command line. API keys never leave the process in a span.
//
// # Metrics
//
// gen_ai.client.token.usage, gen_ai.client.operation.duration and
// gen_ai.client.operation.time_to_first_chunk, with the bucket boundaries
// the conventions advise; plait.tool.call.duration and
// plait.tool.call.errors; plait.agent.run.steps and
// plait.agent.run.replans, one value per run.
//
// # Timeline
//
// [Timeline] is a span processor that prints each finished run as a tree:
//
//	trace 4bf92f3577b34da6a3ce929d0e0e4736  1.52s  9 spans  tokens in 1270 out 385
//	invoke_agent researcher             1.52s  |████████████████████████████████|  in 1270 out 385  ok
//	├─ plan                             402ms  |█████████                       |  in 420 out 120   ok
//	│  └─ chat gpt-4o-mini              400ms  |█████████                       |  in 420 out 120   ok (tool_calls)
//	├─ step s1 · search for RAG papers  610ms  |        ██████████████          |                   ok
//	│  └─ execute_tool search           608ms  |        ██████████████          |                   ok
//	├─ step s2                          305ms  |        ████████                |  in 400 out 95    ERROR timeout: llm (openai): timeout
//	│  └─ chat gpt-4o-mini              303ms  |        ████████                |  in 400 out 95    ERROR timeout: llm (openai): timeout
//	└─ summarize                        480ms  |                     ███████████|  in 450 out 170   ok
//	   └─ chat qwen3 (local)            478ms  |                     ███████████|  in 450 out 170   ok (stop)
//
// The bar shows when each span ran within the run, so steps that ran in
// parallel (s1 and s2 above) overlap. Tokens are a model call's own, or
// the sum over a span's children.
//
// [WriteTimeline] renders spans the same way, and [JSONLExporter] writes
// spans as JSON lines.
//
// Everything in this package is safe for concurrent use.
package trace
