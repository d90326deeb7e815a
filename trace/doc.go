// Package trace sets up OpenTelemetry for plait: spans and metrics that
// follow the GenAI semantic conventions for every run, model call and tool
// call, and a timeline of a run a person can read in the terminal.
//
// This package is being built; see the project's issues for its scope.
package trace
