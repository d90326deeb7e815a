// This is a native client rather than a wrapper of langchaingo's llms/openai
// (v0.1.14), because that client gets the stream wrong in ways plait's
// callers depend on: its updateToolCalls appends every argument fragment
// that has no type to the last tool call, ignoring the fragment's index, so
// parallel tool calls whose fragments interleave are merged into the wrong
// call; a stream that ends without "data: [DONE]" (a dropped connection) is
// returned as a complete reply; data lines that are not JSON are skipped
// silently; an error status becomes a fmt error carrying the status and
// message only as text (its llms error codes come from matching substrings
// of that text), with the error code and the Retry-After and retry-after-ms
// headers dropped, so backoff cannot honour the server's wait; and it reads
// only reasoning_content, not the "reasoning" field of vLLM and other
// servers, and not <think> blocks.

package openai

import (
	"context"
	"encoding/json"
	"io"
	"iter"
	"net/http"
	"strings"

	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/llm/internal/wire"
)

// DefaultBaseURL is OpenAI's API root.
const DefaultBaseURL = "https://api.openai.com/v1"

// Config configures a [Model]. Only Model is required; the zero values of
// the other fields talk to OpenAI with no key.
type Config struct {
	// Provider names the backend in errors and in Info ("openai",
	// "deepseek"); "openai" when empty.
	Provider string
	// BaseURL is the API root, up to and excluding /chat/completions;
	// DefaultBaseURL when empty.
	BaseURL string
	// APIKey is sent as "Authorization: Bearer KEY" when not empty.
	APIKey string
	// Model is the model name sent with each request.
	Model string
	// HTTPClient sends requests; nil means a shared client without an
	// overall timeout (bound calls with their context).
	HTTPClient *http.Client
	// Headers are extra headers sent with every request.
	Headers map[string]string
	// MaxTokensField is the request field that carries Request.MaxTokens:
	// "max_tokens" (the default, which every compatible server reads) or
	// "max_completion_tokens" (what OpenAI's reasoning models require).
	MaxTokensField string
	// SeedField is the request field that carries Request.Seed: "seed"
	// by default; Mistral calls it "random_seed".
	SeedField string
	// NoStreamOptions leaves out stream_options, for servers that reject
	// unknown fields and send usage at the end of a stream anyway.
	NoStreamOptions bool
	// KeepThink turns off the splitting of a leading <think>…</think>
	// block out of the content into the reasoning text.
	KeepThink bool
	// ReasoningEffort, when set, is sent as reasoning_effort ("low",
	// "medium", "high").
	ReasoningEffort string
	// JSONObjectOnly is for servers whose response_format takes only
	// {"type":"json_object"} (DeepSeek, Moonshot, Zhipu and others): a
	// response schema is then sent as json_object mode, and the schema
	// itself as an instruction in the system prompt.
	JSONObjectOnly bool
	// SendReasoning sends an assistant message's reasoning back as
	// reasoning_content when the message calls tools, as DeepSeek's and
	// Moonshot's thinking models require within a tool-calling turn.
	// Other messages' reasoning is never sent.
	SendReasoning bool
}

// Model is an [llm.Model] that speaks the chat-completions API. It is safe
// for concurrent use.
type Model struct {
	cfg Config
	c   wire.Client
}

// New returns a Model for cfg. It fails only when cfg has no model name.
func New(cfg Config) (*Model, error) {
	if cfg.Provider == "" {
		cfg.Provider = "openai"
	}
	if cfg.Model == "" {
		return nil, &llm.Error{Kind: llm.KindInvalidRequest, Provider: cfg.Provider, Message: "no model name given; name one, as in \"" + cfg.Provider + "/MODEL\""}
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	if cfg.MaxTokensField == "" {
		cfg.MaxTokensField = "max_tokens"
	}
	if cfg.SeedField == "" {
		cfg.SeedField = "seed"
	}
	auth := ""
	if cfg.APIKey != "" {
		auth = "Bearer " + cfg.APIKey
	}
	return &Model{cfg: cfg, c: wire.Client{
		Provider:   cfg.Provider,
		BaseURL:    cfg.BaseURL,
		HTTP:       cfg.HTTPClient,
		Headers:    wire.Headers(cfg.Headers, "Authorization", auth),
		ParseError: parseError,
	}}, nil
}

// Info implements llm.Describer.
func (m *Model) Info() llm.Info { return llm.Info{Provider: m.cfg.Provider, Model: m.cfg.Model} }

// errorBody is the error object of the API, in a failed response, in a
// stream, or (from some servers) in a 200 response.
type errorBody struct {
	Error *struct {
		Message string          `json:"message"`
		Type    string          `json:"type"`
		Code    json.RawMessage `json:"code"`
		Param   string          `json:"param"`
	} `json:"error"`
	// Some compatible servers put the message at the top level.
	Message string          `json:"message"`
	Code    json.RawMessage `json:"code"`
}

func (b *errorBody) codeMessage() (code, msg string) {
	if b.Error != nil {
		code = wire.CodeString(b.Error.Code)
		if code == "" {
			code = b.Error.Type
		}
		return code, b.Error.Message
	}
	return wire.CodeString(b.Code), b.Message
}

// streamError is the error reported inside a stream or a 200 body.
func (b *errorBody) streamError(provider string) *llm.Error {
	code, msg := b.codeMessage()
	typ := ""
	if b.Error != nil {
		typ = b.Error.Type
	}
	return wire.ErrorFromCode(provider, code, msg, typ)
}

func parseError(body []byte) (code, message string) {
	var b errorBody
	if json.Unmarshal(body, &b) != nil {
		// Some servers (Ollama's /v1 among them) send {"error":"text"}.
		var s struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(body, &s) == nil {
			return "", s.Error
		}
		return "", ""
	}
	return b.codeMessage()
}

// Generate implements llm.Model.
func (m *Model) Generate(ctx context.Context, req *llm.Request) (*llm.Response, error) {
	body, err := m.encode(req, false)
	if err != nil {
		return nil, err
	}
	hr, err := m.c.Post(ctx, "/chat/completions", body, "application/json")
	if err != nil {
		return nil, err
	}
	defer hr.Body.Close()
	var cr completion
	if err := m.c.DecodeBody(ctx, hr, &cr); err != nil {
		return nil, err
	}
	if cr.Error != nil && len(cr.Choices) == 0 {
		return nil, cr.errorBody.streamError(m.cfg.Provider)
	}
	if len(cr.Choices) == 0 {
		return nil, m.c.Invalid(nil, "the reply has no choices")
	}
	ch := cr.Choices[0]
	resp := &llm.Response{
		ID:           cr.ID,
		Model:        cr.Model,
		Usage:        cr.Usage.usage(),
		FinishReason: finishReason(ch.FinishReason),
		Message: llm.Message{
			Role:      llm.RoleAssistant,
			Content:   stringOf(ch.Message.Content),
			Reasoning: ch.Message.ReasoningContent,
		},
	}
	if resp.Message.Reasoning == "" {
		resp.Message.Reasoning = ch.Message.Reasoning
	}
	if resp.Message.Reasoning == "" && !m.cfg.KeepThink {
		resp.Message.Reasoning, resp.Message.Content = llm.SplitThink(resp.Message.Content)
	}
	var bad []string
	for _, tc := range ch.Message.ToolCalls {
		args, ok := llm.NormalizeArguments(tc.Function.Arguments)
		if !ok {
			bad = append(bad, tc.Function.Name)
		}
		resp.Message.ToolCalls = append(resp.Message.ToolCalls, llm.ToolCall{ID: tc.ID, Name: tc.Function.Name, Arguments: args})
	}
	if len(bad) > 0 {
		return resp, m.c.Invalid(nil, "tool call arguments are not valid JSON (%s)", strings.Join(bad, ", "))
	}
	return resp, nil
}

// Stream implements llm.Model.
func (m *Model) Stream(ctx context.Context, req *llm.Request) iter.Seq2[llm.Chunk, error] {
	return func(yield func(llm.Chunk, error) bool) {
		body, err := m.encode(req, true)
		if err != nil {
			yield(llm.Chunk{}, err)
			return
		}
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		hr, err := m.c.Post(ctx, "/chat/completions", body, "text/event-stream")
		if err != nil {
			yield(llm.Chunk{}, err)
			return
		}
		defer hr.Body.Close()
		dec := newStreamDecoder(m.cfg.Provider, !m.cfg.KeepThink)
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
			chunks, err := dec.Decode(ev.Data)
			for _, c := range chunks {
				if !yield(c, nil) {
					return
				}
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

func stringOf(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	// Content given as an array of parts.
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if json.Unmarshal(raw, &parts) == nil {
		var b strings.Builder
		for _, p := range parts {
			b.WriteString(p.Text)
		}
		return b.String()
	}
	return ""
}

// finishReason maps the API's finish reasons onto plait's; an unknown
// reason is kept verbatim.
func finishReason(r string) llm.FinishReason {
	switch r {
	case "":
		return ""
	case "stop", "eos", "end_turn":
		return llm.FinishStop
	case "length", "max_tokens", "model_length":
		return llm.FinishLength
	case "tool_calls", "function_call", "tool_call":
		return llm.FinishToolCalls
	case "content_filter", "sensitive":
		return llm.FinishContentFilter
	}
	return llm.FinishReason(r)
}
