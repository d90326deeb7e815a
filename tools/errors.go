package tools

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Sentinel errors callers test with errors.Is.
var (
	// ErrUnknownTool: the model called a tool that is not registered (or
	// not selected for this request). The Result's Content lists the tools
	// that exist.
	ErrUnknownTool = errors.New("tools: unknown tool")
	// ErrTimeout: the call ran past its timeout. A *TimeoutError matches it.
	ErrTimeout = errors.New("tools: tool call timed out")
	// ErrInvalidArguments: the arguments broke the tool's schema or could
	// not be decoded. A *ValidationError matches it.
	ErrInvalidArguments = errors.New("tools: invalid arguments")
	// ErrDenied: a guard or the approval hook refused the call. A
	// *DeniedError matches it.
	ErrDenied = errors.New("tools: call denied")
	// ErrPanic: the tool panicked. A *PanicError matches it.
	ErrPanic = errors.New("tools: tool panicked")
	// ErrResultTooLarge is never returned as a call's error: a result over
	// the size limit is truncated, and Result.Truncated reports it. It is
	// exported for callers that enforce the same limit themselves.
	ErrResultTooLarge = errors.New("tools: result too large")
)

// Problem is one way the arguments broke the schema.
type Problem struct {
	// Pointer is the JSON pointer (RFC 6901) of the offending value: "" for
	// the whole arguments object, "/amount", "/items/2/name". For a missing
	// property it points at the property that should be there.
	Pointer string
	// Message says what was wrong ("missing property", "got string, want
	// number", "value must be one of 'c', 'f'").
	Message string
}

// String formats the problem as the model reads it: "at /amount: ...".
func (p Problem) String() string {
	ptr := p.Pointer
	if ptr == "" {
		ptr = "/"
	}
	return "at " + ptr + ": " + p.Message
}

// ValidationError reports arguments that break a tool's schema, or that
// could not be decoded into the tool's input type. It matches
// ErrInvalidArguments.
type ValidationError struct {
	// Tool is the tool's name.
	Tool string
	// Problems lists what was wrong, at least one.
	Problems []Problem
	// Err is the underlying error, when there is one (a JSON syntax error,
	// a decoding error).
	Err error
}

// Error implements error. The text names each field and what was wrong, and
// is what the model reads.
func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("invalid arguments for tool ")
	b.WriteString(strconv.Quote(e.Tool))
	b.WriteString(": ")
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.String())
	}
	if len(e.Problems) == 0 && e.Err != nil {
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *ValidationError) Unwrap() error { return e.Err }

// Is matches ErrInvalidArguments.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalidArguments }

// PanicError reports a tool that panicked. The panic was recovered; the run
// goes on. It matches ErrPanic.
type PanicError struct {
	// Tool is the tool's name.
	Tool string
	// Value is the value the tool panicked with.
	Value any
	// Stack is the goroutine's stack at the panic, for logs. It is never
	// shown to the model.
	Stack []byte
}

// Error implements error. It carries no stack: see Stack.
func (e *PanicError) Error() string {
	return fmt.Sprintf("tool %q panicked: %v", e.Tool, e.Value)
}

// Is matches ErrPanic.
func (e *PanicError) Is(target error) bool { return target == ErrPanic }

// Unwrap returns the panic value when it is an error.
func (e *PanicError) Unwrap() error {
	if err, ok := e.Value.(error); ok {
		return err
	}
	return nil
}

// TimeoutError reports a call that ran past its tool's timeout. It matches
// ErrTimeout and context.DeadlineExceeded.
type TimeoutError struct {
	// Tool is the tool's name.
	Tool string
	// Timeout is the limit the call ran past.
	Timeout time.Duration
}

// Error implements error.
func (e *TimeoutError) Error() string {
	return fmt.Sprintf("tool %q timed out after %s", e.Tool, e.Timeout)
}

// Is matches ErrTimeout and context.DeadlineExceeded.
func (e *TimeoutError) Is(target error) bool {
	return target == ErrTimeout || target == context.DeadlineExceeded
}

// DeniedError reports a call refused before it ran, by a guard or by the
// approval hook. It matches ErrDenied.
type DeniedError struct {
	// Tool is the tool's name.
	Tool string
	// By says who denied it: "guard" or "approval".
	By string
	// Rule is the guard expression that evaluated to false, when By is
	// "guard".
	Rule string
	// Reason explains the refusal to the model.
	Reason string
	// Err is the underlying error, when the refusal came from one (a guard
	// that could not be evaluated, an approval hook that failed).
	Err error
}

// Error implements error.
func (e *DeniedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "call of tool %q denied", e.Tool)
	if e.By != "" {
		b.WriteString(" by " + e.By)
	}
	if e.Rule != "" {
		b.WriteString(" (policy: " + e.Rule + ")")
	}
	if e.Reason != "" {
		b.WriteString(": " + e.Reason)
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *DeniedError) Unwrap() error { return e.Err }

// Is matches ErrDenied.
func (e *DeniedError) Is(target error) bool { return target == ErrDenied }

// Retryable marks err as worth retrying: the dispatcher retries a tool
// marked idempotent (see [Idempotent] and [WithRetry]) when its call
// returns an error marked this way. Retryable(nil) is nil.
func Retryable(err error) error {
	if err == nil {
		return nil
	}
	return &retryableError{err}
}

type retryableError struct{ err error }

func (e *retryableError) Error() string   { return e.err.Error() }
func (e *retryableError) Unwrap() error   { return e.err }
func (e *retryableError) Retryable() bool { return true }

// IsRetryable reports whether err, or an error it wraps, says it is worth
// retrying: it was marked with [Retryable], or it has a method
// Retryable() bool that returns true (as llm.Error has). Cancellations are
// never retryable.
func IsRetryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var r interface{ Retryable() bool }
	return errors.As(err, &r) && r.Retryable()
}

// ErrorType classifies a call's error for logs, metrics and the
// error.type span attribute: "" for nil, then "unknown_tool",
// "invalid_arguments", "denied", "panic", "timeout", "cancelled", or
// "tool_error" for an error the tool itself returned.
func ErrorType(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrUnknownTool):
		return "unknown_tool"
	case errors.Is(err, ErrInvalidArguments):
		return "invalid_arguments"
	case errors.Is(err, ErrDenied):
		return "denied"
	case errors.Is(err, ErrPanic):
		return "panic"
	case errors.Is(err, ErrTimeout):
		return "timeout"
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "cancelled"
	}
	return "tool_error"
}
