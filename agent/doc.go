// Package agent runs goals to answers. An [Agent] takes a model,
// instructions, tools, a strategy, memory and limits; every zero value but
// the model works.
//
//	a, err := agent.New(agent.Config{
//		Model:        model,
//		Instructions: "You are a careful research assistant.",
//		Tools:        dispatcher, // or ToolList: []tools.Tool{...}
//	})
//	res, err := a.Run(ctx, "What is retrieval-augmented generation?")
//	fmt.Println(res.Answer, res.Citations, res.Usage)
//
// Two strategies:
//
//   - [PlanExecute] (the default): the planner writes a plan (package
//     planner); the agent runs every step whose dependencies are done, in
//     parallel up to Limits.Parallelism, recording each thought, call and
//     observation in the run's scratchpad; then the model either answers,
//     citing the steps it used as [id], or asks to replan (LLMCompiler's
//     join). A failed step (a tool error, a timeout, a denial) triggers a
//     replan with the failure in context; completed steps are not run again.
//   - [ReAct]: the model calls tools natively turn by turn, several at once
//     when it emits parallel tool calls.
//
// [Agent.Stream] yields typed [Event]s as the run goes (plans, steps, tool
// calls and results, replans, the answer's text as it streams); Config.Observe
// receives the same events from every run. Each run is traced with package
// trace: an "invoke_agent" span with plan, replan, step and summarize spans,
// "chat" spans for model calls and "execute_tool" spans for tool calls, when
// a tracer provider is installed (trace.Setup); without one the run skips
// the tracing wrappers.
// Budgets (Limits) stop a run with a [*BudgetError] and the partial result.
// Cancelling the context reaches running tools and model calls. An approval
// hook (Config.Approve) can pause, deny or edit a step. [Agent.AsTool] makes
// an agent a tool of another agent. A run joins a conversation with
// [WithConversation] when Memory.Store is set.
//
// An Agent is safe for concurrent runs.
package agent
