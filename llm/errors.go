package llm

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ErrorKind classifies a backend error so callers and middleware can decide
// what to do about it.
type ErrorKind int

// The kinds of error.
const (
	// KindUnknown is an error not otherwise classified.
	KindUnknown ErrorKind = iota
	// KindAuth: the key is missing, wrong, or lacks permission (401, 403).
	KindAuth
	// KindRateLimit: too many requests (429); RetryAfter says when to retry.
	KindRateLimit
	// KindContextLength: the prompt and reply exceed the model's context.
	KindContextLength
	// KindInvalidRequest: the request is malformed or names an unknown
	// model (400, 404, 422). Retrying the same request cannot succeed.
	KindInvalidRequest
	// KindUnavailable: the service failed or is overloaded (5xx, 529) or
	// cannot be reached.
	KindUnavailable
	// KindTimeout: the call ran out of time (a deadline, 408, 504).
	KindTimeout
	// KindInvalidResponse: the reply could not be understood (a body that
	// is not the expected JSON, a stream cut off, tool-call arguments that
	// are not JSON).
	KindInvalidResponse
)

var kindNames = [...]string{"unknown", "auth", "rate_limit", "context_length", "invalid_request", "unavailable", "timeout", "invalid_response"}

// String returns the kind's name, as used for the error.type span attribute.
func (k ErrorKind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Sentinel errors, one per kind, for errors.Is. An [*Error] of a kind
// matches its sentinel.
var (
	ErrAuth            = errors.New("llm: authentication failed")
	ErrRateLimit       = errors.New("llm: rate limited")
	ErrContextLength   = errors.New("llm: context length exceeded")
	ErrInvalidRequest  = errors.New("llm: invalid request")
	ErrUnavailable     = errors.New("llm: service unavailable")
	ErrTimeout         = errors.New("llm: timeout")
	ErrInvalidResponse = errors.New("llm: invalid response")
)

var kindSentinel = map[ErrorKind]error{
	KindAuth:            ErrAuth,
	KindRateLimit:       ErrRateLimit,
	KindContextLength:   ErrContextLength,
	KindInvalidRequest:  ErrInvalidRequest,
	KindUnavailable:     ErrUnavailable,
	KindTimeout:         ErrTimeout,
	KindInvalidResponse: ErrInvalidResponse,
}

// Error is an error from a model backend.
type Error struct {
	Kind ErrorKind
	// Provider names the backend ("openai", "local").
	Provider string
	// StatusCode is the HTTP status, where there was one.
	StatusCode int
	// Code is the provider's own error code or type, where it gave one
	// ("insufficient_quota", "overloaded_error").
	Code string
	// Message is the provider's message, or a description.
	Message string
	// RetryAfter is how long the server asked the client to wait before
	// retrying; zero when it did not say.
	RetryAfter time.Duration
	// Err is the underlying error, if any.
	Err error
}

// Error implements error.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("llm")
	if e.Provider != "" {
		b.WriteString(" (" + e.Provider + ")")
	}
	b.WriteString(": " + e.Kind.String())
	if e.StatusCode != 0 {
		b.WriteString(" (HTTP " + strconv.Itoa(e.StatusCode) + ")")
	}
	if e.Code != "" {
		b.WriteString(" [" + e.Code + "]")
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	if e.RetryAfter > 0 {
		b.WriteString(" (retry after " + e.RetryAfter.String() + ")")
	}
	if hint := e.hint(); hint != "" {
		b.WriteString("; " + hint)
	}
	return b.String()
}

func (e *Error) hint() string {
	switch e.Kind {
	case KindAuth:
		return "check the API key (see the provider table in the README for its environment variable)"
	case KindContextLength:
		return "shorten the conversation or lower max tokens"
	}
	return ""
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is the sentinel of e's kind.
func (e *Error) Is(target error) bool {
	s, ok := kindSentinel[e.Kind]
	return ok && s == target
}

// Retryable reports whether the same request may succeed later: rate limits
// (except an exhausted quota), unavailability and timeouts are retryable;
// authentication, invalid requests and context-length errors are not.
func (e *Error) Retryable() bool {
	switch e.Kind {
	case KindRateLimit:
		return !strings.Contains(strings.ToLower(e.Code), "quota")
	case KindUnavailable, KindTimeout:
		return true
	}
	return false
}

// Retryable reports whether err is worth retrying: an [*Error] that says so,
// or a network error that is not a cancellation.
func Retryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Retryable()
	}
	return false
}

// RetryAfter returns the wait the server asked for, if err carries one.
func RetryAfter(err error) (time.Duration, bool) {
	var e *Error
	if errors.As(err, &e) && e.RetryAfter > 0 {
		return e.RetryAfter, true
	}
	return 0, false
}

// ErrorFromHTTP classifies a failed HTTP call: status, headers (for
// Retry-After) and the provider's error code and message, already extracted
// from the body by the caller.
func ErrorFromHTTP(provider string, status int, header http.Header, code, message string) *Error {
	e := &Error{Provider: provider, StatusCode: status, Code: code, Message: message}
	lc := strings.ToLower(code + " " + message)
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		e.Kind = KindAuth
	case status == http.StatusTooManyRequests:
		e.Kind = KindRateLimit
	case status == http.StatusRequestTimeout || status == http.StatusGatewayTimeout:
		e.Kind = KindTimeout
	case looksLikeContextLength(lc):
		e.Kind = KindContextLength
	case status == http.StatusRequestEntityTooLarge:
		e.Kind = KindContextLength
	case status >= 500 || status == 529:
		e.Kind = KindUnavailable
	case status >= 400:
		e.Kind = KindInvalidRequest
	default:
		e.Kind = KindInvalidResponse
	}
	if header != nil {
		e.RetryAfter = ParseRetryAfter(header, time.Now())
	}
	return e
}

func looksLikeContextLength(s string) bool {
	for _, p := range []string{"context_length", "context length", "maximum context", "too many tokens", "prompt is too long", "context window", "input is too long", "tokens exceed"} {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}

// ParseRetryAfter reads how long a server asked to wait: retry-after-ms
// (milliseconds), then Retry-After as seconds or as an HTTP date relative to
// now. It returns 0 when there is no usable value.
func ParseRetryAfter(h http.Header, now time.Time) time.Duration {
	if v := strings.TrimSpace(h.Get("Retry-After-Ms")); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms > 0 {
			return time.Duration(ms * float64(time.Millisecond))
		}
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil {
		if s <= 0 {
			return 0
		}
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// ContextError converts a context error into an [*Error] of kind timeout
// for a deadline; a cancellation is returned as it is, since the caller
// asked for it.
func ContextError(provider string, err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return &Error{Kind: KindTimeout, Provider: provider, Err: err}
	}
	return err
}

// Errorf returns an [*Error] of the given kind with a formatted message.
func Errorf(kind ErrorKind, provider, format string, args ...any) *Error {
	return &Error{Kind: kind, Provider: provider, Message: fmt.Sprintf(format, args...)}
}
