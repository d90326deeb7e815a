// Package agent runs goals to answers: an Agent takes a model, instructions,
// tools, a planning strategy, memory and limits, plans with the planner, runs
// the plan's steps through the tools dispatcher, and returns an answer grounded
// in what the tools returned.
//
// This package is being built; see the project's issues for its scope.
package agent
