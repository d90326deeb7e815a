// This is a native client rather than a wrapper of langchaingo's llms/ollama
// (v0.1.14), because that client's wire types lack what plait needs: its
// chat request has no "tools" field and its messages no "tool_calls" or
// "thinking" fields, so tool calling and reasoning text are impossible
// through it; "format" is a string, so a JSON schema cannot be sent; "think"
// lives inside "options" rather than at the top of the request; a stream
// that ends before "done": true is returned as complete; and done_reason is
// not read, so no finish reason can be reported.

package ollama

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"iter"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/uuid"

	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/llm/internal/wire"
)

// DefaultBaseURL is where a local Ollama server listens.
const DefaultBaseURL = "http://127.0.0.1:11434"

// Config configures a [Model]. Only Model is required.
type Config struct {
	// Provider names the backend in errors and Info; "ollama" when empty.
	Provider string
	// BaseURL is the server's root, before /api/chat; DefaultBaseURL when
	// empty. [HostURL] turns an OLLAMA_HOST value into one.
	BaseURL string
	// APIKey, when set, is sent as a bearer token (for servers behind an
	// authenticating proxy, or ollama.com).
	APIKey string
	// Model is the model name ("qwen2.5:7b").
	Model string
	// HTTPClient sends requests; nil means a shared client without an
	// overall timeout.
	HTTPClient *http.Client
	// Headers are extra headers sent with every request.
	Headers map[string]string
	// Think is sent as the request's "think" field: "true" or "false" as
	// booleans, any other non-empty value (a level: "low", "medium",
	// "high") as a string. Empty leaves the field out.
	Think string
	// KeepAlive is sent as keep_alive ("5m", "-1") when not empty.
	KeepAlive string
}

// Model is an [llm.Model] that speaks Ollama's /api/chat. It is safe for
// concurrent use.
type Model struct {
	cfg Config
	c   wire.Client
}

// New returns a Model for cfg. It fails only when cfg names no model.
func New(cfg Config) (*Model, error) {
	if cfg.Provider == "" {
		cfg.Provider = "ollama"
	}
	if cfg.Model == "" {
		return nil, &llm.Error{Kind: llm.KindInvalidRequest, Provider: cfg.Provider, Message: "no model name given; name one, as in \"ollama/qwen2.5:7b\""}
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
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

// HostURL turns an OLLAMA_HOST value into a base URL as Ollama's own
// client does: the scheme defaults to http, the port to 11434 (80 or 443
// for a URL with a scheme and no port), and the unspecified address
// 0.0.0.0 becomes the loopback address. An empty host gives DefaultBaseURL.
func HostURL(host string) string {
	host = strings.TrimSpace(host)
	if host == "" {
		return DefaultBaseURL
	}
	scheme, port := "http", "11434"
	if s, rest, ok := strings.Cut(host, "://"); ok {
		scheme, host = s, rest
		port = map[string]string{"https": "443"}[scheme]
		if port == "" {
			port = "80"
		}
	}
	path := ""
	if i := strings.IndexByte(host, '/'); i >= 0 {
		host, path = host[:i], strings.TrimRight(host[i:], "/")
	}
	h, p, err := net.SplitHostPort(host)
	if err != nil {
		h = strings.Trim(host, "[]")
	} else {
		port = p
	}
	if h == "" || h == "0.0.0.0" || h == "::" {
		h = "127.0.0.1"
	}
	return (&url.URL{Scheme: scheme, Host: net.JoinHostPort(h, port), Path: path}).String()
}

// Info implements llm.Describer.
func (m *Model) Info() llm.Info { return llm.Info{Provider: m.cfg.Provider, Model: m.cfg.Model} }

func parseError(body []byte) (code, message string) {
	var b struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(body, &b) != nil {
		return "", ""
	}
	return "", b.Error
}

type function struct {
	Index     *int            `json:"index,omitempty"`
	Name      string          `json:"name"`
	Arguments json.RawMessage `json:"arguments"`
}

type toolCall struct {
	ID       string   `json:"id,omitempty"`
	Function function `json:"function"`
}

type message struct {
	Role      string     `json:"role"`
	Content   string     `json:"content"`
	Thinking  string     `json:"thinking,omitempty"`
	ToolCalls []toolCall `json:"tool_calls,omitempty"`
	ToolName  string     `json:"tool_name,omitempty"`
}

type tool struct {
	Type     string `json:"type"`
	Function struct {
		Name        string          `json:"name"`
		Description string          `json:"description,omitempty"`
		Parameters  json.RawMessage `json:"parameters"`
	} `json:"function"`
}

type options struct {
	Temperature *float64 `json:"temperature,omitempty"`
	TopP        *float64 `json:"top_p,omitempty"`
	Seed        *int64   `json:"seed,omitempty"`
	NumPredict  int      `json:"num_predict,omitempty"`
	Stop        []string `json:"stop,omitempty"`
}

type chatRequest struct {
	Model     string          `json:"model"`
	Messages  []message       `json:"messages"`
	Tools     []tool          `json:"tools,omitempty"`
	Format    json.RawMessage `json:"format,omitempty"`
	Options   *options        `json:"options,omitempty"`
	Stream    bool            `json:"stream"`
	Think     any             `json:"think,omitempty"`
	KeepAlive string          `json:"keep_alive,omitempty"`
}

type chatResponse struct {
	Model           string  `json:"model"`
	CreatedAt       string  `json:"created_at"`
	Message         message `json:"message"`
	Done            bool    `json:"done"`
	DoneReason      string  `json:"done_reason"`
	PromptEvalCount int     `json:"prompt_eval_count"`
	EvalCount       int     `json:"eval_count"`
	Error           string  `json:"error"`
}

var emptyObjectSchema = json.RawMessage(`{"type":"object","properties":{}}`)

func (m *Model) encode(req *llm.Request, stream bool) (*chatRequest, error) {
	if req == nil {
		return nil, llm.Errorf(llm.KindInvalidRequest, m.cfg.Provider, "nil request")
	}
	r := &chatRequest{Model: m.cfg.Model, Stream: stream, KeepAlive: m.cfg.KeepAlive}
	if req.Model != "" {
		r.Model = req.Model
	}
	names := map[string]string{} // tool-call id → tool name
	for _, msg := range req.Messages {
		om := message{Role: string(msg.Role), Content: msg.Content}
		switch msg.Role {
		case llm.RoleAssistant:
			for _, tc := range msg.ToolCalls {
				args := tc.Arguments
				if len(args) == 0 || !json.Valid(args) {
					args = json.RawMessage("{}")
				}
				names[tc.ID] = tc.Name
				om.ToolCalls = append(om.ToolCalls, toolCall{Function: function{Name: tc.Name, Arguments: args}})
			}
		case llm.RoleTool:
			om.ToolName = msg.Name
			if om.ToolName == "" {
				om.ToolName = names[msg.ToolCallID]
			}
		}
		r.Messages = append(r.Messages, om)
	}
	if req.ToolChoice.Mode != llm.ToolChoiceNone {
		for _, t := range req.Tools {
			if req.ToolChoice.Mode == llm.ToolChoiceNamed && t.Name != req.ToolChoice.Name {
				continue
			}
			var ot tool
			ot.Type = "function"
			ot.Function.Name, ot.Function.Description, ot.Function.Parameters = t.Name, t.Description, t.Parameters
			if len(ot.Function.Parameters) == 0 || string(ot.Function.Parameters) == "null" {
				ot.Function.Parameters = emptyObjectSchema
			}
			r.Tools = append(r.Tools, ot)
		}
	}
	if rs := req.ResponseSchema; rs != nil {
		r.Format = rs.Schema
		if len(r.Format) == 0 {
			r.Format = json.RawMessage(`"json"`)
		}
	}
	o := options{Temperature: req.Temperature, TopP: req.TopP, Seed: req.Seed, NumPredict: req.MaxTokens, Stop: req.Stop}
	if o.Temperature != nil || o.TopP != nil || o.Seed != nil || o.NumPredict != 0 || len(o.Stop) > 0 {
		r.Options = &o
	}
	switch strings.ToLower(m.cfg.Think) {
	case "":
	case "true":
		r.Think = true
	case "false":
		r.Think = false
	default:
		r.Think = m.cfg.Think
	}
	return r, nil
}

// Generate implements llm.Model.
func (m *Model) Generate(ctx context.Context, req *llm.Request) (*llm.Response, error) {
	body, err := m.encode(req, false)
	if err != nil {
		return nil, err
	}
	hr, err := m.c.Post(ctx, "/api/chat", body, "application/json")
	if err != nil {
		return nil, err
	}
	defer hr.Body.Close()
	var r chatResponse
	if err := m.c.DecodeBody(ctx, hr, &r); err != nil {
		return nil, err
	}
	if r.Error != "" {
		return nil, wire.ErrorFromCode(m.cfg.Provider, "", r.Error)
	}
	if !r.Done {
		return nil, m.c.Invalid(nil, "the reply is not done")
	}
	var acc llm.Accumulator
	d := streamDecoder{provider: m.cfg.Provider}
	c, err := d.chunk(&r)
	if err != nil {
		return nil, err
	}
	acc.Add(c)
	if c, ok := d.flush(); ok {
		acc.Add(c)
	}
	resp, err := acc.Response()
	if err != nil {
		var e *llm.Error
		if errors.As(err, &e) {
			e.Provider = m.cfg.Provider
		}
	}
	return resp, err
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
		hr, err := m.c.Post(ctx, "/api/chat", body, "application/x-ndjson")
		if err != nil {
			yield(llm.Chunk{}, err)
			return
		}
		defer hr.Body.Close()
		d := streamDecoder{provider: m.cfg.Provider}
		lines := wire.NewNDJSONReader(hr.Body)
		for {
			line, err := lines.Next()
			if err == io.EOF {
				yield(llm.Chunk{}, &llm.Error{Kind: llm.KindInvalidResponse, Provider: m.cfg.Provider, Message: "the stream ended before \"done\": true; the reply is incomplete"})
				return
			}
			if err != nil {
				yield(llm.Chunk{}, m.c.ReadError(ctx, err))
				return
			}
			c, done, err := d.decode(line)
			if err != nil {
				yield(llm.Chunk{}, err)
				return
			}
			if done {
				if f, ok := d.flush(); ok {
					f.Usage, f.FinishReason, f.Model = c.Usage, c.FinishReason, c.Model
					c.Usage, c.FinishReason = nil, ""
					if !empty(c) && !yield(c, nil) {
						return
					}
					c = f
				}
				yield(c, nil)
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

type streamDecoder struct {
	provider string
	think    llm.ThinkSplitter
	thinking bool // the server sent a thinking field
	calls    int
	model    bool
}

func (d *streamDecoder) decode(line []byte) (llm.Chunk, bool, error) {
	var r chatResponse
	if err := json.Unmarshal(line, &r); err != nil {
		return llm.Chunk{}, false, &llm.Error{Kind: llm.KindInvalidResponse, Provider: d.provider, Message: "a stream line is not the expected JSON: " + wire.Snippet(line), Err: err}
	}
	if r.Error != "" {
		return llm.Chunk{}, false, wire.ErrorFromCode(d.provider, "", r.Error)
	}
	c, err := d.chunk(&r)
	return c, r.Done, err
}

// chunk converts one response object, a whole reply or a piece of one.
func (d *streamDecoder) chunk(r *chatResponse) (llm.Chunk, error) {
	var c llm.Chunk
	if !d.model && r.Model != "" {
		c.Model = r.Model
		d.model = true
	}
	if r.Message.Thinking != "" {
		d.thinking = true
		c.Reasoning = r.Message.Thinking
	}
	if d.thinking {
		c.Text = r.Message.Content
	} else {
		reasoning, text := d.think.Split(r.Message.Content)
		c.Reasoning += reasoning
		c.Text = text
	}
	for _, tc := range r.Message.ToolCalls {
		id := tc.ID
		if id == "" {
			id = uuid.NewString()
		}
		args := tc.Function.Arguments
		// Arguments are an object; a few models give them as a string of JSON.
		var s string
		if len(args) > 0 && args[0] == '"' && json.Unmarshal(args, &s) == nil {
			args = json.RawMessage(s)
		}
		c.ToolCalls = append(c.ToolCalls, llm.ToolCallDelta{Index: d.calls, ID: id, Name: tc.Function.Name, Arguments: string(args)})
		d.calls++
	}
	if r.Done {
		u := llm.Usage{InputTokens: r.PromptEvalCount, OutputTokens: r.EvalCount}
		c.Usage = &u
		c.FinishReason = doneReason(r.DoneReason, d.calls > 0)
	}
	return c, nil
}

func (d *streamDecoder) flush() (llm.Chunk, bool) {
	r, t := d.think.Flush()
	return llm.Chunk{Reasoning: r, Text: t}, r != "" || t != ""
}

func doneReason(r string, calls bool) llm.FinishReason {
	switch r {
	case "stop", "":
		if calls {
			return llm.FinishToolCalls
		}
		return llm.FinishStop
	case "length":
		return llm.FinishLength
	}
	return llm.FinishReason(r)
}
