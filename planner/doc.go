// Package planner turns a goal into a plan: a chain-of-thought prompt has the
// model reason about the goal, the tools and memory, then emit a DAG of steps
// (tool calls with arguments that may reference earlier steps' outputs). It
// validates and repairs plans and supports ReAct as a second strategy.
//
// This package is being built; see the project's issues for its scope.
package planner
