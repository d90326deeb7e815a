// Package memory keeps what an agent remembers: the scratchpad of one run,
// the history of a conversation across runs, token budgets, summaries, and
// durable stores.
//
// This package is being built; see the project's issues for its scope.
package memory
