package llm_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/plait-ai/plait/llm"
)

func TestErrorFromHTTP(t *testing.T) {
	tests := []struct {
		status    int
		code, msg string
		header    http.Header
		kind      error
		retryable bool
		after     time.Duration
	}{
		{401, "invalid_api_key", "Incorrect API key", nil, llm.ErrAuth, false, 0},
		{403, "", "forbidden", nil, llm.ErrAuth, false, 0},
		{429, "rate_limit_exceeded", "slow down", http.Header{"Retry-After": {"7"}}, llm.ErrRateLimit, true, 7 * time.Second},
		{429, "", "", http.Header{"Retry-After-Ms": {"250"}}, llm.ErrRateLimit, true, 250 * time.Millisecond},
		{429, "insufficient_quota", "You exceeded your current quota", nil, llm.ErrRateLimit, false, 0},
		{400, "context_length_exceeded", "This model's maximum context length is 8192 tokens", nil, llm.ErrContextLength, false, 0},
		{400, "invalid_request_error", "prompt is too long: 210000 tokens > 200000 maximum", nil, llm.ErrContextLength, false, 0},
		{400, "", "bad field", nil, llm.ErrInvalidRequest, false, 0},
		{404, "model_not_found", "no such model", nil, llm.ErrInvalidRequest, false, 0},
		{500, "", "boom", nil, llm.ErrUnavailable, true, 0},
		{503, "", "", http.Header{"Retry-After": {"2"}}, llm.ErrUnavailable, true, 2 * time.Second},
		{529, "overloaded_error", "Overloaded", nil, llm.ErrUnavailable, true, 0},
		{504, "", "", nil, llm.ErrTimeout, true, 0},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d/%s", tt.status, tt.code), func(t *testing.T) {
			e := llm.ErrorFromHTTP("openai", tt.status, tt.header, tt.code, tt.msg)
			var err error = fmt.Errorf("calling: %w", e)
			if !errors.Is(err, tt.kind) {
				t.Errorf("kind = %v, want %v", e.Kind, tt.kind)
			}
			if got := llm.Retryable(err); got != tt.retryable {
				t.Errorf("Retryable = %v, want %v", got, tt.retryable)
			}
			d, ok := llm.RetryAfter(err)
			if d != tt.after || ok != (tt.after > 0) {
				t.Errorf("RetryAfter = %v, %v; want %v", d, ok, tt.after)
			}
			var le *llm.Error
			if !errors.As(err, &le) || le.StatusCode != tt.status || le.Provider != "openai" {
				t.Errorf("errors.As: %+v", le)
			}
			if e.Error() == "" {
				t.Error("empty message")
			}
		})
	}
}

func TestParseRetryAfterDate(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	h := http.Header{"Retry-After": {now.Add(30 * time.Second).Format(http.TimeFormat)}}
	if got := llm.ParseRetryAfter(h, now); got != 30*time.Second {
		t.Errorf("date: got %v", got)
	}
	for _, v := range []string{"", "soon", "-5", "0"} {
		if got := llm.ParseRetryAfter(http.Header{"Retry-After": {v}}, now); got != 0 {
			t.Errorf("%q: got %v", v, got)
		}
	}
}

func TestContextError(t *testing.T) {
	if err := llm.ContextError("p", context.DeadlineExceeded); !errors.Is(err, llm.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("deadline: %v", err)
	}
	if err := llm.ContextError("p", context.Canceled); err != context.Canceled {
		t.Errorf("canceled: %v", err)
	}
	if llm.Retryable(context.Canceled) || llm.Retryable(nil) || llm.Retryable(errors.New("x")) {
		t.Error("plain errors must not be retryable")
	}
}
