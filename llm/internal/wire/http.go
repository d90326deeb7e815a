package wire

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/plait-ai/plait/llm"
)

// MaxErrorBody is how much of a failed response's body is read to find the
// provider's error message.
const MaxErrorBody = 1 << 20

// MaxBody bounds a whole (non-streamed) response body.
const MaxBody = 64 << 20

// DefaultHTTPClient is the client used when a Config gives none: no overall
// timeout (streams may run for minutes; callers bound calls with their
// context), but bounded connection setup.
var DefaultHTTPClient = &http.Client{Transport: defaultTransport()}

func defaultTransport() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSHandshakeTimeout = 15 * time.Second
	t.ExpectContinueTimeout = time.Second
	t.MaxIdleConnsPerHost = 16
	t.IdleConnTimeout = 90 * time.Second
	t.DialContext = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	return t
}

// ErrorParser extracts the provider's error code and message from the body
// of a failed response. It returns empty strings when the body is not the
// provider's error format.
type ErrorParser func(body []byte) (code, message string)

// Client posts JSON to one API. The zero value is not usable; fill every
// field but Headers. It is safe for concurrent use.
type Client struct {
	// Provider names the backend in errors.
	Provider string
	// BaseURL is the API root, without a trailing slash.
	BaseURL string
	// HTTP sends the requests; nil means DefaultHTTPClient.
	HTTP *http.Client
	// Headers are set on every request (auth, versions, extras).
	Headers http.Header
	// ParseError reads a failed response's body.
	ParseError ErrorParser
	// RetryDelay, when set, reads a retry delay from a failed response's
	// body, for APIs that put it there rather than in a header.
	RetryDelay func(body []byte) time.Duration
}

// JoinURL joins a base URL and a path with exactly one slash.
func JoinURL(base, path string) string {
	return strings.TrimRight(base, "/") + "/" + strings.TrimLeft(path, "/")
}

// Post sends body as JSON to path (joined to BaseURL; a path with a query
// keeps it). On a 2xx status it returns the response, whose body the caller
// must close. Any other status, and any transport failure, becomes an
// [*llm.Error]; a cancelled ctx returns ctx's error.
func (c *Client) Post(ctx context.Context, path string, body any, accept string) (*http.Response, error) {
	payload, err := json.Marshal(body)
	if err != nil {
		return nil, &llm.Error{Kind: llm.KindInvalidRequest, Provider: c.Provider, Message: "cannot encode the request as JSON", Err: err}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, JoinURL(c.BaseURL, path), bytes.NewReader(payload))
	if err != nil {
		return nil, &llm.Error{Kind: llm.KindInvalidRequest, Provider: c.Provider, Message: "bad base URL " + c.BaseURL, Err: err}
	}
	for k, vs := range c.Headers {
		req.Header[k] = vs
	}
	req.Header.Set("Content-Type", "application/json")
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	hc := c.HTTP
	if hc == nil {
		hc = DefaultHTTPClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, c.TransportError(ctx, err)
	}
	if resp.StatusCode/100 == 2 {
		return resp, nil
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, MaxErrorBody))
	var code, msg string
	if c.ParseError != nil {
		code, msg = c.ParseError(data)
	}
	if msg == "" {
		msg = Snippet(data)
	}
	if msg == "" {
		msg = http.StatusText(resp.StatusCode)
	}
	e := llm.ErrorFromHTTP(c.Provider, resp.StatusCode, resp.Header, code, msg)
	if e.RetryAfter == 0 && c.RetryDelay != nil {
		e.RetryAfter = c.RetryDelay(data)
	}
	return nil, e
}

// TransportError turns a failure to send or read into the error to return:
// ctx's own error when ctx is done (a deadline as a timeout), otherwise an
// unavailable error that says the server could not be reached.
func (c *Client) TransportError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return llm.ContextError(c.Provider, ctx.Err())
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return &llm.Error{Kind: llm.KindTimeout, Provider: c.Provider, Err: err}
	}
	return &llm.Error{Kind: llm.KindUnavailable, Provider: c.Provider, Message: "cannot reach " + c.BaseURL, Err: err}
}

// ReadError is TransportError for a failure while reading a response body:
// a cancelled ctx gives ctx's error; otherwise the connection broke, which
// leaves the reply incomplete.
func (c *Client) ReadError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return llm.ContextError(c.Provider, ctx.Err())
	}
	if errors.Is(err, ErrLineTooLong) {
		return &llm.Error{Kind: llm.KindInvalidResponse, Provider: c.Provider, Err: err}
	}
	return &llm.Error{Kind: llm.KindUnavailable, Provider: c.Provider, Message: "the connection broke while reading the reply", Err: err}
}

// DecodeBody reads a whole JSON body into v, mapping failures to errors.
func (c *Client) DecodeBody(ctx context.Context, resp *http.Response, v any) error {
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxBody))
	if err != nil {
		return c.ReadError(ctx, err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return c.Invalid(err, "the reply is not the expected JSON: %s", Snippet(data))
	}
	return nil
}

// Invalid returns an invalid-response error with a formatted message.
func (c *Client) Invalid(err error, format string, args ...any) *llm.Error {
	return &llm.Error{Kind: llm.KindInvalidResponse, Provider: c.Provider, Message: fmt.Sprintf(format, args...), Err: err}
}

// Snippet returns the start of a body for an error message.
func Snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	const max = 200
	if len(s) > max {
		s = s[:max] + "…"
	}
	return s
}

// ErrorFromCode classifies an error a provider reports inside a stream or
// a successful body, where there is no HTTP status: the code, or the type
// names given as hints, decide the kind.
func ErrorFromCode(provider, code, message string, hints ...string) *llm.Error {
	status := http.StatusInternalServerError
	lc := strings.ToLower(strings.Join(append(hints, code), " "))
	switch {
	case strings.Contains(lc, "rate_limit") || strings.Contains(lc, "ratelimit") || strings.Contains(lc, "rate limit") || strings.Contains(lc, "resource_exhausted") || strings.Contains(lc, "too_many"):
		status = http.StatusTooManyRequests
	case strings.Contains(lc, "overloaded"):
		status = 529
	case strings.Contains(lc, "auth") || strings.Contains(lc, "permission") || strings.Contains(lc, "api_key"):
		status = http.StatusUnauthorized
	case strings.Contains(lc, "not_found"):
		status = http.StatusNotFound
	case strings.Contains(lc, "too_large"):
		status = http.StatusRequestEntityTooLarge
	case strings.Contains(lc, "invalid") || strings.Contains(lc, "bad_request"):
		status = http.StatusBadRequest
	case strings.Contains(lc, "timeout") || strings.Contains(lc, "deadline"):
		status = http.StatusGatewayTimeout
	}
	e := llm.ErrorFromHTTP(provider, status, nil, code, message)
	e.StatusCode = 0
	return e
}

// CodeString renders a JSON error code, which providers send as a string
// or a number, as text.
func CodeString(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return strings.TrimSpace(string(raw))
}

// Headers builds a header set from pairs and extra headers.
func Headers(extra map[string]string, pairs ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] != "" {
			h.Set(pairs[i], pairs[i+1])
		}
	}
	for k, v := range extra {
		h.Set(k, v)
	}
	return h
}
