// Package tools turns Go functions into tools a model can call: JSON schemas
// reflected from Go types, argument validation, a dispatcher that runs calls
// in parallel with timeouts and panic recovery, and guards.
//
// This package is being built; see the project's issues for its scope.
package tools
