package serve

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/plait-ai/plait/llm"
)

type olMessage struct {
	Role      string       `json:"role"`
	Content   string       `json:"content"`
	Thinking  string       `json:"thinking,omitempty"`
	Images    []string     `json:"images,omitempty"`
	ToolCalls []olToolCall `json:"tool_calls,omitempty"`
	ToolName  string       `json:"tool_name,omitempty"`
}

type olToolCall struct {
	Function struct {
		Index     int             `json:"index,omitempty"`
		Name      string          `json:"name"`
		Arguments json.RawMessage `json:"arguments"`
	} `json:"function"`
}

type olOptions struct {
	Temperature *float64        `json:"temperature,omitempty"`
	TopP        *float64        `json:"top_p,omitempty"`
	Seed        *int64          `json:"seed,omitempty"`
	NumPredict  int             `json:"num_predict,omitempty"`
	Stop        json.RawMessage `json:"stop,omitempty"`
}

type olChatRequest struct {
	Model    string          `json:"model"`
	Messages []olMessage     `json:"messages"`
	Tools    []oaTool        `json:"tools,omitempty"`
	Format   json.RawMessage `json:"format,omitempty"`
	Options  *olOptions      `json:"options,omitempty"`
	Stream   *bool           `json:"stream,omitempty"`
	Think    json.RawMessage `json:"think,omitempty"`
}

type olGenerateRequest struct {
	Model   string          `json:"model"`
	Prompt  string          `json:"prompt"`
	System  string          `json:"system,omitempty"`
	Format  json.RawMessage `json:"format,omitempty"`
	Options *olOptions      `json:"options,omitempty"`
	Stream  *bool           `json:"stream,omitempty"`
	Think   json.RawMessage `json:"think,omitempty"`
}

func applyOptions(req *llm.Request, o *olOptions, format json.RawMessage) error {
	if o != nil {
		req.Temperature, req.TopP, req.Seed = o.Temperature, o.TopP, o.Seed
		if o.NumPredict > 0 {
			req.MaxTokens = o.NumPredict
		}
		req.Stop = stringsOf(o.Stop)
	}
	if len(format) > 0 && string(format) != "null" && string(format) != `""` {
		var s string
		if json.Unmarshal(format, &s) == nil {
			if s != "json" {
				return fmt.Errorf("format %q: want \"json\" or a JSON schema", s)
			}
			req.ResponseSchema = &llm.JSONSchema{Name: "json", Schema: json.RawMessage(`{"type":"object"}`)}
		} else {
			req.ResponseSchema = &llm.JSONSchema{Name: "format", Schema: format, Strict: true}
		}
	}
	return nil
}

// wantThink reports whether the client asked for reasoning to be returned
// ("think": true, or a level such as "high").
func wantThink(raw json.RawMessage) bool {
	s := strings.TrimSpace(string(raw))
	return s != "" && s != "false" && s != "null"
}

func (q *olChatRequest) toLLM() (*llm.Request, error) {
	req := &llm.Request{}
	if err := applyOptions(req, q.Options, q.Format); err != nil {
		return nil, err
	}
	callSeq := 0
	var pending []string // ids of the last assistant message's calls, for tool results
	for i, m := range q.Messages {
		if len(m.Images) > 0 {
			return nil, fmt.Errorf("messages[%d]: images are not supported: plait models take text", i)
		}
		msg := llm.Message{Content: m.Content}
		switch m.Role {
		case "system":
			msg.Role = llm.RoleSystem
		case "user":
			msg.Role = llm.RoleUser
		case "assistant":
			msg.Role = llm.RoleAssistant
			pending = pending[:0]
			for _, tc := range m.ToolCalls {
				callSeq++
				id := fmt.Sprintf("call_%d", callSeq)
				args, _ := llm.NormalizeArguments(string(tc.Function.Arguments))
				msg.ToolCalls = append(msg.ToolCalls, llm.ToolCall{ID: id, Name: tc.Function.Name, Arguments: args})
				pending = append(pending, id)
			}
		case "tool":
			msg.Role = llm.RoleTool
			msg.Name = m.ToolName
			// Ollama's tool results carry no call id: link them in order.
			if len(pending) > 0 {
				msg.ToolCallID, pending = pending[0], pending[1:]
			}
		default:
			return nil, fmt.Errorf("messages[%d]: unknown role %q", i, m.Role)
		}
		req.Messages = append(req.Messages, msg)
	}
	if len(req.Messages) == 0 {
		return nil, fmt.Errorf("messages must not be empty")
	}
	for _, t := range q.Tools {
		req.Tools = append(req.Tools, llm.ToolSpec{Name: t.Function.Name, Description: t.Function.Description, Parameters: t.Function.Parameters})
	}
	return req, nil
}

func streamOn(p *bool) bool { return p == nil || *p }

func (s *Server) ollamaChat(w http.ResponseWriter, r *http.Request) {
	var q olChatRequest
	if !decode(w, r, &q) {
		return
	}
	m, ok := s.model(q.Model)
	if !ok {
		writeError(w, r, http.StatusNotFound, "model_not_found", fmt.Sprintf("model %q not found, try pulling it first", q.Model))
		return
	}
	if len(q.Messages) == 0 {
		// An empty chat loads the model: answer done at once.
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"model": q.Model, "created_at": time.Now().UTC(), "message": map[string]any{"role": "assistant", "content": ""}, "done_reason": "load", "done": true})
		return
	}
	req, err := q.toLLM()
	if err != nil {
		writeError(w, r, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	s.ollamaRun(w, r, m, q.Model, req, streamOn(q.Stream), wantThink(q.Think), true)
}

func (s *Server) ollamaGenerate(w http.ResponseWriter, r *http.Request) {
	var q olGenerateRequest
	if !decode(w, r, &q) {
		return
	}
	m, ok := s.model(q.Model)
	if !ok {
		writeError(w, r, http.StatusNotFound, "model_not_found", fmt.Sprintf("model %q not found, try pulling it first", q.Model))
		return
	}
	if q.Prompt == "" {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"model": q.Model, "created_at": time.Now().UTC(), "response": "", "done_reason": "load", "done": true})
		return
	}
	req := &llm.Request{}
	if q.System != "" {
		req.Messages = append(req.Messages, llm.SystemMessage(q.System))
	}
	req.Messages = append(req.Messages, llm.UserMessage(q.Prompt))
	if err := applyOptions(req, q.Options, q.Format); err != nil {
		writeError(w, r, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	s.ollamaRun(w, r, m, q.Model, req, streamOn(q.Stream), wantThink(q.Think), false)
}

// ollamaRun runs a generation and answers in /api/chat (chat true) or
// /api/generate form, as NDJSON lines when streaming.
func (s *Server) ollamaRun(w http.ResponseWriter, r *http.Request, m llm.Model, model string, req *llm.Request, stream, think, chat bool) {
	if !s.acquire(w, r) {
		return
	}
	defer s.release()
	ctx := r.Context()
	start := time.Now()
	w.Header().Set("Content-Type", "application/x-ndjson")
	if !stream {
		w.Header().Set("Content-Type", "application/json")
	}
	rc := http.NewResponseController(w)
	enc := json.NewEncoder(w)
	part := func(text, thinking string, calls []olToolCall, done bool) map[string]any {
		v := map[string]any{"model": model, "created_at": time.Now().UTC(), "done": done}
		if chat {
			msg := map[string]any{"role": "assistant", "content": text}
			if thinking != "" {
				msg["thinking"] = thinking
			}
			if len(calls) > 0 {
				msg["tool_calls"] = calls
			}
			v["message"] = msg
		} else {
			v["response"] = text
			if thinking != "" {
				v["thinking"] = thinking
			}
		}
		return v
	}
	var acc llm.Accumulator
	headerSent := false
	for c, err := range m.Stream(ctx, req) {
		if err != nil {
			if !headerSent {
				st, _ := statusOf(err)
				writeError(w, r, st, "error", err.Error())
			} else {
				enc.Encode(map[string]any{"error": err.Error()})
			}
			return
		}
		acc.Add(c)
		if !stream {
			continue
		}
		reasoning := ""
		if think {
			reasoning = c.Reasoning
		}
		if c.Text == "" && reasoning == "" {
			continue
		}
		headerSent = true
		if enc.Encode(part(c.Text, reasoning, nil, false)) != nil || rc.Flush() != nil {
			return
		}
	}
	resp, err := acc.Response()
	if err != nil && resp == nil {
		writeError(w, r, http.StatusBadGateway, "error", err.Error())
		return
	}
	var calls []olToolCall
	for i, c := range resp.Message.ToolCalls {
		var tc olToolCall
		tc.Function.Index, tc.Function.Name, tc.Function.Arguments = i, c.Name, c.Arguments
		calls = append(calls, tc)
	}
	text, thinking := "", ""
	if !stream {
		text = resp.Message.Content
		if think {
			thinking = resp.Message.Reasoning
		}
	}
	final := part(text, thinking, calls, true)
	reason := "stop"
	if resp.FinishReason == llm.FinishLength {
		reason = "length"
	}
	total := time.Since(start)
	final["done_reason"] = reason
	final["total_duration"] = total.Nanoseconds()
	final["load_duration"] = 0
	final["prompt_eval_count"] = resp.Usage.InputTokens
	final["prompt_eval_duration"] = 0
	final["eval_count"] = resp.Usage.OutputTokens
	final["eval_duration"] = total.Nanoseconds()
	if !chat {
		final["context"] = []int{}
	}
	enc.Encode(final)
	rc.Flush()
}

func (s *Server) details(name string) ModelDetails {
	if s.Info != nil {
		return s.Info(name)
	}
	return ModelDetails{Family: "plait"}
}

func detailsJSON(d ModelDetails) map[string]any {
	fam := d.Family
	if fam == "" {
		fam = "plait"
	}
	return map[string]any{"parent_model": "", "format": "gguf", "family": fam, "families": []string{fam}, "parameter_size": d.ParameterSize, "quantization_level": d.QuantizationLevel}
}

func (s *Server) ollamaTags(w http.ResponseWriter, r *http.Request) {
	models := []map[string]any{}
	for _, n := range s.names() {
		d := s.details(n)
		name := n
		if !strings.Contains(name, ":") {
			name += ":latest"
		}
		models = append(models, map[string]any{
			"name": name, "model": name, "modified_at": time.Unix(0, 0).UTC(), "size": d.Size,
			"digest": fmt.Sprintf("%064x", len(n)), "details": detailsJSON(d),
		})
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"models": models})
}

func (s *Server) ollamaPS(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"models": []any{}})
}

func (s *Server) ollamaShow(w http.ResponseWriter, r *http.Request) {
	var q struct {
		Model string `json:"model"`
		Name  string `json:"name"`
	}
	if !decode(w, r, &q) {
		return
	}
	name := q.Model
	if name == "" {
		name = q.Name
	}
	if _, ok := s.model(name); !ok {
		writeError(w, r, http.StatusNotFound, "model_not_found", fmt.Sprintf("model %q not found", name))
		return
	}
	d := s.details(strings.TrimSuffix(name, ":latest"))
	info := map[string]any{"general.architecture": d.Family}
	if d.ContextLength > 0 {
		info[d.Family+".context_length"] = d.ContextLength
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"modelfile": "", "parameters": "", "template": "", "details": detailsJSON(d),
		"model_info": info, "capabilities": []string{"completion", "tools"}, "modified_at": time.Unix(0, 0).UTC(),
	})
}

func (s *Server) ollamaVersion(w http.ResponseWriter, r *http.Request) {
	v := s.Version
	if v == "" {
		v = "0.9.0"
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]string{"version": v})
}
