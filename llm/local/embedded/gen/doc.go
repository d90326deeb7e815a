// Package gen generates synthetic agent traces for training and evaluating
// plait's small embedded model.
//
// A trace ([Example]) is a goal in English or Chinese over a tool catalog,
// the plan the planner asks for (exactly package planner's JSON format:
// {"thought", "steps": [{"id", "task", "tool", "args", "deps"}]}), the
// tools' observations, and a final answer that copies the expected fact out
// of the observations and cites the steps it used, as the agent's join
// prompt asks.
//
// Tools are described by role (search, read, note, calc, ...); each
// [Catalog] gives the roles concrete names, descriptions and argument
// names, so a model must read the tool list in the system prompt to choose.
//
// # Split
//
// Some goal templates and some catalogs are held out ([HeldOutTemplates],
// [HeldOutCatalogs]). [Generate] with [Train] never yields them; [Eval]
// yields only examples that use a held-out template or a held-out catalog,
// so evaluation measures generalization to unseen phrasings, compositions
// and tool names.
//
// Generation is deterministic: the same Config gives the same examples, in
// the same order, on every platform.
package gen
