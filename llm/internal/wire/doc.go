// Package wire holds what the remote model clients share: readers for
// server-sent events and newline-delimited JSON, an HTTP helper that turns
// failed calls into typed llm errors, and small mapping helpers.
//
// It is internal to plait's llm packages; its API may change at any time.
package wire
