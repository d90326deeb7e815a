// This is a native client rather than a wrapper of langchaingo's
// llms/googleai (v0.1.14), because that client, built on the deprecated
// github.com/google/generative-ai-go SDK, lacks what plait needs: it sets no
// toolConfig, so a tool choice (none, required, a named function) cannot be
// expressed; it does not read thought parts or thoughtsTokenCount, so
// reasoning text and reasoning tokens are lost, and it cannot return thought
// signatures; it has no responseSchema mapping for a JSON schema; and its
// errors are the SDK's, without plait's kinds or the RetryInfo delay. It
// would also pull the gRPC-based Google Cloud client stack into every
// program that imports the presets.

package gemini

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"iter"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/llm/internal/wire"
)

// DefaultBaseURL is the Gemini API's root, with its version.
const DefaultBaseURL = "https://generativelanguage.googleapis.com/v1beta"

// Config configures a [Model]. Only Model is required.
type Config struct {
	// Provider names the backend in errors and Info; "gemini" when empty.
	Provider string
	// BaseURL is the API root, before /models/…; DefaultBaseURL when empty.
	BaseURL string
	// APIKey is sent as x-goog-api-key.
	APIKey string
	// Model is the model name ("gemini-2.5-flash"; a "models/" prefix is
	// accepted).
	Model string
	// HTTPClient sends requests; nil means a shared client without an
	// overall timeout.
	HTTPClient *http.Client
	// Headers are extra headers sent with every request.
	Headers map[string]string
	// IncludeThoughts asks thinking models for their thought summaries,
	// returned as reasoning text.
	IncludeThoughts bool
	// ThinkingBudget, when not nil, is sent as thinkingConfig.thinkingBudget
	// (0 turns thinking off on models that allow it, -1 is dynamic).
	ThinkingBudget *int
}

// Model is an [llm.Model] that speaks the Gemini API. It is safe for
// concurrent use.
type Model struct {
	cfg  Config
	c    wire.Client
	sigs signatures
}

// New returns a Model for cfg. It fails only when cfg names no model.
func New(cfg Config) (*Model, error) {
	if cfg.Provider == "" {
		cfg.Provider = "gemini"
	}
	cfg.Model = strings.TrimPrefix(cfg.Model, "models/")
	if cfg.Model == "" {
		return nil, &llm.Error{Kind: llm.KindInvalidRequest, Provider: cfg.Provider, Message: "no model name given; name one, as in \"gemini/gemini-2.5-flash\""}
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	return &Model{cfg: cfg, c: wire.Client{
		Provider:   cfg.Provider,
		BaseURL:    cfg.BaseURL,
		HTTP:       cfg.HTTPClient,
		Headers:    wire.Headers(cfg.Headers, "x-goog-api-key", cfg.APIKey),
		ParseError: parseError,
		RetryDelay: retryDelay,
	}}, nil
}

// Info implements llm.Describer.
func (m *Model) Info() llm.Info { return llm.Info{Provider: m.cfg.Provider, Model: m.cfg.Model} }

type apiError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Status  string `json:"status"`
	Details []struct {
		Type       string `json:"@type"`
		RetryDelay string `json:"retryDelay"`
	} `json:"details"`
}

func parseError(body []byte) (code, message string) {
	var b struct {
		Error apiError `json:"error"`
	}
	// Errors sometimes come as a one-element array.
	if json.Unmarshal(body, &b) != nil {
		var arr []struct {
			Error apiError `json:"error"`
		}
		if json.Unmarshal(body, &arr) != nil || len(arr) == 0 {
			return "", ""
		}
		b = arr[0]
	}
	return b.Error.Status, b.Error.Message
}

func retryDelay(body []byte) time.Duration {
	var b struct {
		Error apiError `json:"error"`
	}
	if json.Unmarshal(body, &b) != nil {
		return 0
	}
	for _, d := range b.Error.Details {
		if strings.HasSuffix(d.Type, "google.rpc.RetryInfo") {
			if v, err := time.ParseDuration(d.RetryDelay); err == nil && v > 0 {
				return v
			}
		}
	}
	return 0
}

// signatures keeps the thought signatures of recent function calls, keyed
// by call id, so they can be sent back with the calls. It holds at most
// maxSignatures entries, forgetting the oldest.
type signatures struct {
	mu    sync.Mutex
	m     map[string]string
	order []string
}

const maxSignatures = 4096

func (s *signatures) put(id, sig string) {
	if sig == "" || id == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]string{}
	}
	if _, ok := s.m[id]; !ok {
		s.order = append(s.order, id)
	}
	s.m[id] = sig
	for len(s.order) > maxSignatures {
		delete(s.m, s.order[0])
		s.order = s.order[1:]
	}
}

func (s *signatures) get(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[id]
}

// path returns the method's path for the request's model (Request.Model,
// or the configured one).
func (m *Model) path(req *llm.Request, stream bool) string {
	model := m.cfg.Model
	if req != nil && req.Model != "" {
		model = strings.TrimPrefix(req.Model, "models/")
	}
	if stream {
		return "/models/" + url.PathEscape(model) + ":streamGenerateContent?alt=sse"
	}
	return "/models/" + url.PathEscape(model) + ":generateContent"
}

// post is Client.Post with Gemini's one odd status: a key that is not
// valid is a 400 INVALID_ARGUMENT, which is an authentication error.
func (m *Model) post(ctx context.Context, path string, body any, accept string) (*http.Response, error) {
	hr, err := m.c.Post(ctx, path, body, accept)
	var e *llm.Error
	if errors.As(err, &e) && e.Kind == llm.KindInvalidRequest && strings.Contains(strings.ToLower(e.Message), "api key") {
		e.Kind = llm.KindAuth
	}
	return hr, err
}

// Generate implements llm.Model.
func (m *Model) Generate(ctx context.Context, req *llm.Request) (*llm.Response, error) {
	body, err := m.encode(req)
	if err != nil {
		return nil, err
	}
	hr, err := m.post(ctx, m.path(req, false), body, "application/json")
	if err != nil {
		return nil, err
	}
	defer hr.Body.Close()
	var r response
	if err := m.c.DecodeBody(ctx, hr, &r); err != nil {
		return nil, err
	}
	d := m.newDecoder()
	c, err := d.chunk(&r)
	if err != nil {
		return nil, err
	}
	if !d.finished {
		return nil, m.c.Invalid(nil, "the reply has no candidate with a finishReason")
	}
	var acc llm.Accumulator
	acc.Add(c)
	resp, err := acc.Response()
	var e *llm.Error
	if errors.As(err, &e) {
		e.Provider = m.cfg.Provider
	}
	return resp, err
}

// Stream implements llm.Model.
func (m *Model) Stream(ctx context.Context, req *llm.Request) iter.Seq2[llm.Chunk, error] {
	return func(yield func(llm.Chunk, error) bool) {
		body, err := m.encode(req)
		if err != nil {
			yield(llm.Chunk{}, err)
			return
		}
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		hr, err := m.post(ctx, m.path(req, true), body, "text/event-stream")
		if err != nil {
			yield(llm.Chunk{}, err)
			return
		}
		defer hr.Body.Close()
		d := m.newDecoder()
		events := wire.NewSSEReader(hr.Body)
		for {
			ev, err := events.Next()
			if err == io.EOF {
				if !d.finished {
					yield(llm.Chunk{}, &llm.Error{Kind: llm.KindInvalidResponse, Provider: m.cfg.Provider, Message: "the stream ended before a finishReason; the reply is incomplete"})
				}
				return
			}
			if err != nil {
				yield(llm.Chunk{}, m.c.ReadError(ctx, err))
				return
			}
			var r response
			if err := json.Unmarshal(ev.Data, &r); err != nil {
				yield(llm.Chunk{}, m.c.Invalid(err, "a stream event is not the expected JSON: %s", wire.Snippet(ev.Data)))
				return
			}
			c, err := d.chunk(&r)
			if err != nil {
				yield(llm.Chunk{}, err)
				return
			}
			if !empty(c) && !yield(c, nil) {
				return
			}
		}
	}
}

func empty(c llm.Chunk) bool {
	return c.Text == "" && c.Reasoning == "" && len(c.ToolCalls) == 0 && c.Usage == nil && c.FinishReason == "" && c.Model == "" && c.ID == ""
}

type functionCall struct {
	ID   string          `json:"id,omitempty"`
	Name string          `json:"name"`
	Args json.RawMessage `json:"args,omitempty"`
}

type functionResponse struct {
	Name     string          `json:"name"`
	Response json.RawMessage `json:"response"`
}

type part struct {
	Text             string            `json:"text,omitempty"`
	Thought          bool              `json:"thought,omitempty"`
	ThoughtSignature string            `json:"thoughtSignature,omitempty"`
	FunctionCall     *functionCall     `json:"functionCall,omitempty"`
	FunctionResponse *functionResponse `json:"functionResponse,omitempty"`
}

type content struct {
	Role  string `json:"role,omitempty"`
	Parts []part `json:"parts"`
}

type response struct {
	Candidates []struct {
		Content      content `json:"content"`
		FinishReason string  `json:"finishReason"`
		Index        int     `json:"index"`
	} `json:"candidates"`
	PromptFeedback *struct {
		BlockReason string `json:"blockReason"`
	} `json:"promptFeedback"`
	UsageMetadata *struct {
		PromptTokenCount        int `json:"promptTokenCount"`
		CandidatesTokenCount    int `json:"candidatesTokenCount"`
		ThoughtsTokenCount      int `json:"thoughtsTokenCount"`
		CachedContentTokenCount int `json:"cachedContentTokenCount"`
	} `json:"usageMetadata"`
	ModelVersion string    `json:"modelVersion"`
	ResponseID   string    `json:"responseId"`
	Error        *apiError `json:"error"`
}

type decoder struct {
	m        *Model
	calls    int
	finished bool
}

func (m *Model) newDecoder() *decoder { return &decoder{m: m} }

func (d *decoder) chunk(r *response) (llm.Chunk, error) {
	if r.Error != nil {
		return llm.Chunk{}, wire.ErrorFromCode(d.m.cfg.Provider, r.Error.Status, r.Error.Message)
	}
	c := llm.Chunk{ID: r.ResponseID, Model: r.ModelVersion}
	if u := r.UsageMetadata; u != nil {
		c.Usage = &llm.Usage{
			InputTokens:       u.PromptTokenCount,
			OutputTokens:      u.CandidatesTokenCount + u.ThoughtsTokenCount,
			ReasoningTokens:   u.ThoughtsTokenCount,
			CachedInputTokens: u.CachedContentTokenCount,
		}
	}
	if len(r.Candidates) == 0 && r.PromptFeedback != nil && r.PromptFeedback.BlockReason != "" {
		d.finished = true
		c.FinishReason = llm.FinishContentFilter
		return c, nil
	}
	for _, cand := range r.Candidates {
		if cand.Index != 0 {
			continue
		}
		for _, p := range cand.Content.Parts {
			switch {
			case p.FunctionCall != nil:
				fc := p.FunctionCall
				id := fc.ID
				if id == "" {
					id = uuid.NewString()
				}
				d.m.sigs.put(id, p.ThoughtSignature)
				args := string(fc.Args)
				var str string
				switch {
				case args == "null":
					args = ""
				case json.Unmarshal(fc.Args, &str) == nil:
					args = str // a string of JSON, checked when the call is assembled
				}
				c.ToolCalls = append(c.ToolCalls, llm.ToolCallDelta{Index: d.calls, ID: id, Name: fc.Name, Arguments: args})
				d.calls++
			case p.Thought:
				c.Reasoning += p.Text
			default:
				c.Text += p.Text
			}
		}
		if cand.FinishReason != "" {
			d.finished = true
			c.FinishReason = finishReason(cand.FinishReason, d.calls > 0)
		}
	}
	return c, nil
}

func finishReason(r string, calls bool) llm.FinishReason {
	switch r {
	case "STOP":
		if calls {
			return llm.FinishToolCalls
		}
		return llm.FinishStop
	case "MAX_TOKENS":
		return llm.FinishLength
	case "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY":
		return llm.FinishContentFilter
	}
	return llm.FinishReason(r)
}
