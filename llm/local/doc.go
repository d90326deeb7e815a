// Package local is plait's in-process model runtime: GGUF models run inside
// the Go process, in pure Go, behind the llm.Model interface.
//
// This package is being built; see the project's issues for its scope.
package local
