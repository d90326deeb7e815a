// Package planner turns a goal into a plan the agent can run: a DAG of
// steps, each a tool call (or a reasoning step), whose arguments may
// reference the outputs of earlier steps.
//
// A [Planner] sends a chain-of-thought prompt: the model reasons about the
// goal, the tools (their specs) and what memory holds, then writes a plan,
// a JSON object with a "thought" and "steps". Where the backend takes a
// response schema, the plan is requested under [SchemaFor] of the tools,
// so that a grammar-constrained backend can only write steps that call an
// offered tool with arguments of its schema (or references); [Schema] is
// the tool-independent form. Either way the reply is read leniently by [Parse]: fenced JSON, prose around it, trailing
// commas and other near-JSON, and LLMCompiler's numbered text form
// (`1. search(query="x")`, `$1` references, `join()`).
//
// [Compile] validates a plan against the tools and lists every problem in a
// [*ValidationError] (unknown tools, arguments that break a tool's schema,
// references to missing or later steps, cycles, duplicate ids, an empty
// plan). The planner sends an invalid plan back to the model with its
// problems a bounded number of times; a plan with problems is never
// returned.
//
// References and conditions are expr-lang expressions, compiled once per
// plan: an argument "${s1.hits[0].url}" is the referenced value itself
// when it is the whole string and interpolated text when it is part of
// one; a step's "when" (`len(s1.hits) > 0`) skips it when false. They are
// evaluated against the JSON-decoded outputs of completed steps, and the
// steps they name become dependencies.
//
//	p, _ := planner.New(planner.Config{Model: model, Tools: dispatcher})
//	out, err := p.Plan(ctx, planner.Request{Goal: "Compare RAG and fine-tuning"})
//	prog := out.Program // validated; run it with package agent
//
// Running plans, joining and replanning are package agent's.
package planner
