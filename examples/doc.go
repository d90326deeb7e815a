// Package examples holds runnable programs that show plait in use, one per
// folder: go run ./examples/researcher "question".
package examples
