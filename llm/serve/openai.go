package serve

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/plait-ai/plait/llm"
)

type oaMessage struct {
	Role             string          `json:"role"`
	Content          json.RawMessage `json:"content,omitempty"`
	ReasoningContent string          `json:"reasoning_content,omitempty"`
	Name             string          `json:"name,omitempty"`
	ToolCalls        []oaToolCall    `json:"tool_calls,omitempty"`
	ToolCallID       string          `json:"tool_call_id,omitempty"`
}

type oaToolCall struct {
	Index    *int   `json:"index,omitempty"`
	ID       string `json:"id,omitempty"`
	Type     string `json:"type,omitempty"`
	Function struct {
		Name      string `json:"name,omitempty"`
		Arguments string `json:"arguments"`
	} `json:"function"`
}

type oaTool struct {
	Type     string `json:"type"`
	Function struct {
		Name        string          `json:"name"`
		Description string          `json:"description,omitempty"`
		Parameters  json.RawMessage `json:"parameters,omitempty"`
		Strict      bool            `json:"strict,omitempty"`
	} `json:"function"`
}

type oaRequest struct {
	Model               string          `json:"model"`
	Messages            []oaMessage     `json:"messages"`
	Tools               []oaTool        `json:"tools,omitempty"`
	ToolChoice          json.RawMessage `json:"tool_choice,omitempty"`
	ResponseFormat      *oaFormat       `json:"response_format,omitempty"`
	Temperature         *float64        `json:"temperature,omitempty"`
	TopP                *float64        `json:"top_p,omitempty"`
	MaxTokens           int             `json:"max_tokens,omitempty"`
	MaxCompletionTokens int             `json:"max_completion_tokens,omitempty"`
	Stop                json.RawMessage `json:"stop,omitempty"`
	Seed                *int64          `json:"seed,omitempty"`
	Stream              bool            `json:"stream,omitempty"`
	StreamOptions       *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options,omitempty"`
	N *int `json:"n,omitempty"`
}

type oaFormat struct {
	Type       string `json:"type"`
	JSONSchema *struct {
		Name   string          `json:"name"`
		Schema json.RawMessage `json:"schema"`
		Strict bool            `json:"strict,omitempty"`
	} `json:"json_schema,omitempty"`
}

// textOf reads OpenAI content: a string, or an array of parts whose text
// parts are joined. Other parts (images) are reported.
func textOf(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, nil
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if err := json.Unmarshal(raw, &parts); err != nil {
		return "", fmt.Errorf("content must be a string or an array of parts")
	}
	var b strings.Builder
	for _, p := range parts {
		switch p.Type {
		case "text", "input_text":
			if b.Len() > 0 {
				b.WriteString("\n")
			}
			b.WriteString(p.Text)
		default:
			return "", fmt.Errorf("content part of type %q is not supported: plait models take text", p.Type)
		}
	}
	return b.String(), nil
}

// stringsOf reads a string or an array of strings.
func stringsOf(raw json.RawMessage) []string {
	if len(raw) == 0 {
		return nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if s == "" {
			return nil
		}
		return []string{s}
	}
	var ss []string
	json.Unmarshal(raw, &ss)
	return ss
}

func (q *oaRequest) toLLM() (*llm.Request, error) {
	req := &llm.Request{Temperature: q.Temperature, TopP: q.TopP, Seed: q.Seed, Stop: stringsOf(q.Stop)}
	req.MaxTokens = q.MaxCompletionTokens
	if req.MaxTokens == 0 {
		req.MaxTokens = q.MaxTokens
	}
	if q.N != nil && *q.N > 1 {
		return nil, fmt.Errorf("n = %d is not supported: one choice per request", *q.N)
	}
	for i, m := range q.Messages {
		text, err := textOf(m.Content)
		if err != nil {
			return nil, fmt.Errorf("messages[%d]: %w", i, err)
		}
		msg := llm.Message{Content: text, ToolCallID: m.ToolCallID, Name: m.Name}
		switch m.Role {
		case "system", "developer":
			msg.Role = llm.RoleSystem
		case "user":
			msg.Role = llm.RoleUser
		case "assistant":
			msg.Role = llm.RoleAssistant
			for _, tc := range m.ToolCalls {
				args, _ := llm.NormalizeArguments(tc.Function.Arguments)
				msg.ToolCalls = append(msg.ToolCalls, llm.ToolCall{ID: tc.ID, Name: tc.Function.Name, Arguments: args})
			}
		case "tool", "function":
			msg.Role = llm.RoleTool
		default:
			return nil, fmt.Errorf("messages[%d]: unknown role %q", i, m.Role)
		}
		req.Messages = append(req.Messages, msg)
	}
	if len(req.Messages) == 0 {
		return nil, fmt.Errorf("messages must not be empty")
	}
	for _, t := range q.Tools {
		if t.Type != "" && t.Type != "function" {
			return nil, fmt.Errorf("tool type %q is not supported", t.Type)
		}
		req.Tools = append(req.Tools, llm.ToolSpec{Name: t.Function.Name, Description: t.Function.Description, Parameters: t.Function.Parameters, Strict: t.Function.Strict})
	}
	if len(q.ToolChoice) > 0 {
		var s string
		if json.Unmarshal(q.ToolChoice, &s) == nil {
			switch s {
			case "auto", "":
			case "none":
				req.ToolChoice.Mode = llm.ToolChoiceNone
			case "required", "any":
				req.ToolChoice.Mode = llm.ToolChoiceRequired
			default:
				return nil, fmt.Errorf("tool_choice %q is not one of auto, none, required", s)
			}
		} else {
			var o struct {
				Function struct {
					Name string `json:"name"`
				} `json:"function"`
			}
			if err := json.Unmarshal(q.ToolChoice, &o); err != nil || o.Function.Name == "" {
				return nil, fmt.Errorf("tool_choice must be a string or {\"type\":\"function\",\"function\":{\"name\":...}}")
			}
			req.ToolChoice = llm.ToolChoiceFor(o.Function.Name)
		}
	}
	if f := q.ResponseFormat; f != nil {
		switch f.Type {
		case "json_schema":
			if f.JSONSchema == nil || len(f.JSONSchema.Schema) == 0 {
				return nil, fmt.Errorf("response_format json_schema needs json_schema.schema")
			}
			req.ResponseSchema = &llm.JSONSchema{Name: f.JSONSchema.Name, Schema: f.JSONSchema.Schema, Strict: f.JSONSchema.Strict}
		case "json_object":
			req.ResponseSchema = &llm.JSONSchema{Name: "json_object", Schema: json.RawMessage(`{"type":"object"}`)}
		case "text", "":
		default:
			return nil, fmt.Errorf("response_format type %q is not supported", f.Type)
		}
	}
	return req, nil
}

type oaUsage struct {
	PromptTokens        int `json:"prompt_tokens"`
	CompletionTokens    int `json:"completion_tokens"`
	TotalTokens         int `json:"total_tokens"`
	PromptTokensDetails *struct {
		CachedTokens int `json:"cached_tokens"`
	} `json:"prompt_tokens_details,omitempty"`
	CompletionTokensDetails *struct {
		ReasoningTokens int `json:"reasoning_tokens"`
	} `json:"completion_tokens_details,omitempty"`
}

func usageOf(u llm.Usage) *oaUsage {
	o := &oaUsage{PromptTokens: u.InputTokens, CompletionTokens: u.OutputTokens, TotalTokens: u.Total()}
	o.PromptTokensDetails = &struct {
		CachedTokens int `json:"cached_tokens"`
	}{u.CachedInputTokens}
	o.CompletionTokensDetails = &struct {
		ReasoningTokens int `json:"reasoning_tokens"`
	}{u.ReasoningTokens}
	return o
}

func finishOf(r llm.FinishReason) string {
	switch r {
	case "":
		return "stop"
	case llm.FinishStop, llm.FinishLength, llm.FinishToolCalls, llm.FinishContentFilter:
		return string(r)
	}
	return "stop"
}

func newID(prefix string) string {
	return fmt.Sprintf("%s-%x", prefix, time.Now().UnixNano())
}

func (s *Server) openAIChat(w http.ResponseWriter, r *http.Request) {
	var q oaRequest
	if !decode(w, r, &q) {
		return
	}
	m, ok := s.model(q.Model)
	if !ok {
		writeError(w, r, http.StatusNotFound, "model_not_found", fmt.Sprintf("model %q is not served here (served: %s)", q.Model, strings.Join(s.names(), ", ")))
		return
	}
	req, err := q.toLLM()
	if err != nil {
		writeError(w, r, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	if !s.acquire(w, r) {
		return
	}
	defer s.release()
	ctx := r.Context()
	id := newID("chatcmpl")
	created := time.Now().Unix()
	model := q.Model
	if !q.Stream {
		resp, err := m.Generate(ctx, req)
		if err != nil {
			st, code := statusOf(err)
			writeError(w, r, st, code, err.Error())
			return
		}
		msg := map[string]any{"role": "assistant", "content": resp.Message.Content}
		if resp.Message.Reasoning != "" {
			msg["reasoning_content"] = resp.Message.Reasoning
		}
		if len(resp.Message.ToolCalls) > 0 {
			var calls []map[string]any
			for _, c := range resp.Message.ToolCalls {
				calls = append(calls, map[string]any{"id": c.ID, "type": "function", "function": map[string]any{"name": c.Name, "arguments": string(c.Arguments)}})
			}
			msg["tool_calls"] = calls
			if resp.Message.Content == "" {
				msg["content"] = nil
			}
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"id": id, "object": "chat.completion", "created": created, "model": model,
			"choices": []any{map[string]any{"index": 0, "message": msg, "finish_reason": finishOf(resp.FinishReason)}},
			"usage":   usageOf(resp.Usage),
		})
		return
	}

	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("Connection", "keep-alive")
	rc := http.NewResponseController(w)
	send := func(v any) bool {
		data, _ := json.Marshal(v)
		if _, err := fmt.Fprintf(w, "data: %s\n\n", data); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	chunk := func(delta map[string]any, finish any) map[string]any {
		return map[string]any{
			"id": id, "object": "chat.completion.chunk", "created": created, "model": model,
			"choices": []any{map[string]any{"index": 0, "delta": delta, "finish_reason": finish}},
		}
	}
	if !send(chunk(map[string]any{"role": "assistant", "content": ""}, nil)) {
		return
	}
	var usage llm.Usage
	finish := llm.FinishStop
	for c, err := range m.Stream(ctx, req) {
		if err != nil {
			_, code := statusOf(err)
			send(map[string]any{"error": map[string]any{"message": err.Error(), "type": "server_error", "code": code}})
			return
		}
		delta := map[string]any{}
		if c.Text != "" {
			delta["content"] = c.Text
		}
		if c.Reasoning != "" {
			delta["reasoning_content"] = c.Reasoning
		}
		if len(c.ToolCalls) > 0 {
			var calls []map[string]any
			for _, tc := range c.ToolCalls {
				call := map[string]any{"index": tc.Index, "function": map[string]any{"arguments": tc.Arguments}}
				if tc.ID != "" {
					call["id"] = tc.ID
					call["type"] = "function"
				}
				if tc.Name != "" {
					call["function"].(map[string]any)["name"] = tc.Name
				}
				calls = append(calls, call)
			}
			delta["tool_calls"] = calls
		}
		if c.Usage != nil {
			usage = *c.Usage
		}
		if c.FinishReason != "" {
			finish = c.FinishReason
		}
		if len(delta) > 0 && !send(chunk(delta, nil)) {
			return
		}
	}
	if !send(chunk(map[string]any{}, finishOf(finish))) {
		return
	}
	if q.StreamOptions != nil && q.StreamOptions.IncludeUsage {
		if !send(map[string]any{"id": id, "object": "chat.completion.chunk", "created": created, "model": model, "choices": []any{}, "usage": usageOf(usage)}) {
			return
		}
	}
	fmt.Fprint(w, "data: [DONE]\n\n")
	rc.Flush()
}

func (s *Server) openAIModels(w http.ResponseWriter, r *http.Request) {
	var data []map[string]any
	for _, n := range s.names() {
		data = append(data, map[string]any{"id": n, "object": "model", "created": 0, "owned_by": "plait"})
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"object": "list", "data": data})
}

func (s *Server) openAIModel(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if _, ok := s.Models[id]; !ok {
		writeError(w, r, http.StatusNotFound, "model_not_found", fmt.Sprintf("model %q is not served here", id))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"id": id, "object": "model", "created": 0, "owned_by": "plait"})
}
