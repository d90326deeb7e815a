// This is a native client rather than a wrapper of langchaingo's
// llms/anthropic (v0.1.14), because that client cannot express or report
// what plait needs: its request has no tool_choice field at all, and it
// always sends "temperature" (0 when unset, overriding the API's default); a
// stream that ends without message_stop returns a nil response and no error;
// error events and error statuses become fmt errors carrying the status and
// message only as text, without the error type (such as overloaded_error on
// 529) or Retry-After, so errors can be classified only by matching text and
// backoff cannot honour the server's wait; and its usage drops the
// prompt-cache read and write counts from the input tokens.

package anthropic

import (
	"context"
	"encoding/json"
	"io"
	"iter"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/llm/internal/wire"
)

// DefaultBaseURL is Anthropic's API root.
const DefaultBaseURL = "https://api.anthropic.com"

// Version is the anthropic-version header sent with every request.
const Version = "2023-06-01"

// DefaultMaxTokens is sent as max_tokens when neither the request nor the
// Config sets it; the API requires the field.
const DefaultMaxTokens = 4096

// Config configures a [Model]. Only Model is required.
type Config struct {
	// Provider names the backend in errors and Info; "anthropic" when empty.
	Provider string
	// BaseURL is the API root, before /v1/messages; DefaultBaseURL when empty.
	BaseURL string
	// APIKey is sent as x-api-key.
	APIKey string
	// Model is the model name.
	Model string
	// HTTPClient sends requests; nil means a shared client without an
	// overall timeout.
	HTTPClient *http.Client
	// Headers are extra headers (anthropic-beta, for example).
	Headers map[string]string
	// MaxTokens is the max_tokens of requests that set none;
	// DefaultMaxTokens when zero.
	MaxTokens int
	// ThinkingBudget, when positive, turns on extended thinking with this
	// many budget tokens. max_tokens must exceed it; it is raised when not.
	ThinkingBudget int
}

// Model is an [llm.Model] that speaks the Messages API. It is safe for
// concurrent use.
type Model struct {
	cfg      Config
	c        wire.Client
	thoughts thoughts
}

// thoughts keeps the signed thinking blocks of recent replies that called
// tools, keyed by tool_use id, to send back with the tool calls as
// extended thinking requires. It holds at most maxThoughts entries,
// forgetting the oldest.
type thoughts struct {
	mu    sync.Mutex
	m     map[string][]block
	order []string
}

const maxThoughts = 1024

func (t *thoughts) put(ids []string, blocks []block) {
	if len(ids) == 0 || len(blocks) == 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m == nil {
		t.m = map[string][]block{}
	}
	for _, id := range ids {
		if _, ok := t.m[id]; !ok {
			t.order = append(t.order, id)
		}
		t.m[id] = blocks
	}
	for len(t.order) > maxThoughts {
		delete(t.m, t.order[0])
		t.order = t.order[1:]
	}
}

func (t *thoughts) get(id string) []block {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.m[id]
}

// New returns a Model for cfg. It fails only when cfg names no model.
func New(cfg Config) (*Model, error) {
	if cfg.Provider == "" {
		cfg.Provider = "anthropic"
	}
	if cfg.Model == "" {
		return nil, &llm.Error{Kind: llm.KindInvalidRequest, Provider: cfg.Provider, Message: "no model name given; name one, as in \"anthropic/claude-sonnet-4-5\""}
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	if cfg.MaxTokens <= 0 {
		cfg.MaxTokens = DefaultMaxTokens
	}
	return &Model{cfg: cfg, c: wire.Client{
		Provider:   cfg.Provider,
		BaseURL:    cfg.BaseURL,
		HTTP:       cfg.HTTPClient,
		Headers:    wire.Headers(cfg.Headers, "x-api-key", cfg.APIKey, "anthropic-version", Version),
		ParseError: parseError,
	}}, nil
}

// Info implements llm.Describer.
func (m *Model) Info() llm.Info { return llm.Info{Provider: m.cfg.Provider, Model: m.cfg.Model} }

type apiError struct {
	Type    string `json:"type"`
	Message string `json:"message"`
}

func parseError(body []byte) (code, message string) {
	var b struct {
		Error apiError `json:"error"`
	}
	if json.Unmarshal(body, &b) != nil {
		return "", ""
	}
	return b.Error.Type, b.Error.Message
}

// ParseThinkingBudget reads the "thinking_budget" provider option.
func ParseThinkingBudget(opts map[string]string) (int, error) {
	v, ok := opts["thinking_budget"]
	if !ok || v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, llm.Errorf(llm.KindInvalidRequest, "anthropic", "option thinking_budget=%q is not a number of tokens", v)
	}
	return n, nil
}

// Generate implements llm.Model.
func (m *Model) Generate(ctx context.Context, req *llm.Request) (*llm.Response, error) {
	body, schemaTool, err := m.encode(req, false)
	if err != nil {
		return nil, err
	}
	hr, err := m.c.Post(ctx, "/v1/messages", body, "application/json")
	if err != nil {
		return nil, err
	}
	defer hr.Body.Close()
	var r messageResponse
	if err := m.c.DecodeBody(ctx, hr, &r); err != nil {
		return nil, err
	}
	if r.Type == "error" {
		return nil, wire.ErrorFromCode(m.cfg.Provider, r.Error.Type, r.Error.Message)
	}
	if r.Type != "message" && r.Role != "assistant" {
		return nil, m.c.Invalid(nil, "the reply is not a message: type %q", r.Type)
	}
	resp := &llm.Response{
		ID:           r.ID,
		Model:        r.Model,
		Usage:        r.Usage.usage(),
		FinishReason: stopReason(r.StopReason),
		Message:      llm.Message{Role: llm.RoleAssistant},
	}
	var text, reasoning strings.Builder
	var bad, ids []string
	var signed []block
	for _, b := range r.Content {
		switch b.Type {
		case "text":
			text.WriteString(b.Text)
		case "thinking":
			reasoning.WriteString(b.Thinking)
			signed = append(signed, block{Type: "thinking", Thinking: b.Thinking, Signature: b.Signature})
		case "redacted_thinking":
			signed = append(signed, block{Type: "redacted_thinking", Data: b.Data})
		case "tool_use":
			ids = append(ids, b.ID)
			args, ok := llm.NormalizeArguments(string(b.Input))
			if !ok || args[0] != '{' {
				bad = append(bad, b.Name)
			}
			if schemaTool != "" && b.Name == schemaTool {
				text.WriteString(string(args))
				if resp.FinishReason == llm.FinishToolCalls {
					resp.FinishReason = llm.FinishStop
				}
				continue
			}
			resp.Message.ToolCalls = append(resp.Message.ToolCalls, llm.ToolCall{ID: b.ID, Name: b.Name, Arguments: args})
		}
	}
	m.thoughts.put(ids, signed)
	resp.Message.Content = text.String()
	resp.Message.Reasoning = reasoning.String()
	if len(bad) > 0 {
		return resp, m.c.Invalid(nil, "tool call input is not valid JSON (%s)", strings.Join(bad, ", "))
	}
	return resp, nil
}

// Stream implements llm.Model.
func (m *Model) Stream(ctx context.Context, req *llm.Request) iter.Seq2[llm.Chunk, error] {
	return func(yield func(llm.Chunk, error) bool) {
		body, schemaTool, err := m.encode(req, true)
		if err != nil {
			yield(llm.Chunk{}, err)
			return
		}
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		hr, err := m.c.Post(ctx, "/v1/messages", body, "text/event-stream")
		if err != nil {
			yield(llm.Chunk{}, err)
			return
		}
		defer hr.Body.Close()
		dec := newStreamDecoder(m.cfg.Provider, schemaTool)
		dec.thoughts = &m.thoughts
		events := wire.NewSSEReader(hr.Body)
		for {
			ev, err := events.Next()
			if err == io.EOF {
				if err := dec.End(); err != nil {
					yield(llm.Chunk{}, err)
				}
				return
			}
			if err != nil {
				yield(llm.Chunk{}, m.c.ReadError(ctx, err))
				return
			}
			chunk, ok, err := dec.Decode(ev.Type, ev.Data)
			if ok && !yield(chunk, nil) {
				return
			}
			if err != nil {
				yield(llm.Chunk{}, err)
				return
			}
			if dec.Done() {
				return
			}
		}
	}
}

func stopReason(r string) llm.FinishReason {
	switch r {
	case "":
		return ""
	case "end_turn", "stop_sequence":
		return llm.FinishStop
	case "max_tokens", "model_context_window_exceeded":
		return llm.FinishLength
	case "tool_use":
		return llm.FinishToolCalls
	case "refusal":
		return llm.FinishContentFilter
	}
	return llm.FinishReason(r)
}
