package openai

import (
	"encoding/json"
	"strings"

	"github.com/plait-ai/plait/llm"
)

type chatMessage struct {
	Role             string     `json:"role"`
	Content          *string    `json:"content,omitempty"`
	ReasoningContent string     `json:"reasoning_content,omitempty"`
	ToolCalls        []toolCall `json:"tool_calls,omitempty"`
	ToolCallID       string     `json:"tool_call_id,omitempty"`
}

type toolCall struct {
	Index    *int   `json:"index,omitempty"`
	ID       string `json:"id,omitempty"`
	Type     string `json:"type,omitempty"`
	Function struct {
		Name      string `json:"name,omitempty"`
		Arguments string `json:"arguments"`
	} `json:"function"`
}

type tool struct {
	Type     string       `json:"type"`
	Function toolFunction `json:"function"`
}

type toolFunction struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Parameters  json.RawMessage `json:"parameters"`
	Strict      bool            `json:"strict,omitempty"`
}

type namedChoice struct {
	Type     string `json:"type"`
	Function struct {
		Name string `json:"name"`
	} `json:"function"`
}

type responseFormat struct {
	Type       string `json:"type"`
	JSONSchema *struct {
		Name   string          `json:"name"`
		Schema json.RawMessage `json:"schema"`
		Strict bool            `json:"strict,omitempty"`
	} `json:"json_schema,omitempty"`
}

// emptyObjectSchema is the parameters schema of a tool that takes none.
var emptyObjectSchema = json.RawMessage(`{"type":"object","properties":{}}`)

// encode builds the request body. It is a map so that the names of the
// max-tokens and seed fields can follow the server's dialect.
func (m *Model) encode(req *llm.Request, stream bool) (map[string]any, error) {
	if req == nil {
		return nil, llm.Errorf(llm.KindInvalidRequest, m.cfg.Provider, "nil request")
	}
	model := m.cfg.Model
	if req.Model != "" {
		model = req.Model
	}
	msgs := req.Messages
	if rs := req.ResponseSchema; rs != nil && m.cfg.JSONObjectOnly {
		msgs = withSchemaInstruction(msgs, rs)
	}
	body := map[string]any{
		"model":    model,
		"messages": encodeMessages(msgs, m.cfg.SendReasoning),
	}
	if len(req.Tools) > 0 {
		tools := make([]tool, len(req.Tools))
		for i, t := range req.Tools {
			params := t.Parameters
			if len(params) == 0 || string(params) == "null" {
				params = emptyObjectSchema
			}
			tools[i] = tool{Type: "function", Function: toolFunction{Name: t.Name, Description: t.Description, Parameters: params, Strict: t.Strict}}
		}
		body["tools"] = tools
		switch req.ToolChoice.Mode {
		case llm.ToolChoiceNone:
			body["tool_choice"] = "none"
		case llm.ToolChoiceRequired:
			body["tool_choice"] = "required"
		case llm.ToolChoiceNamed:
			var c namedChoice
			c.Type = "function"
			c.Function.Name = req.ToolChoice.Name
			body["tool_choice"] = c
		}
	}
	if rs := req.ResponseSchema; rs != nil {
		f := responseFormat{Type: "json_schema"}
		f.JSONSchema = &struct {
			Name   string          `json:"name"`
			Schema json.RawMessage `json:"schema"`
			Strict bool            `json:"strict,omitempty"`
		}{Name: schemaName(rs.Name), Schema: rs.Schema, Strict: rs.Strict}
		if len(rs.Schema) == 0 || m.cfg.JSONObjectOnly {
			f = responseFormat{Type: "json_object"}
		}
		body["response_format"] = f
	}
	if req.Temperature != nil {
		body["temperature"] = *req.Temperature
	}
	if req.TopP != nil {
		body["top_p"] = *req.TopP
	}
	if req.MaxTokens > 0 {
		body[m.cfg.MaxTokensField] = req.MaxTokens
	}
	if len(req.Stop) > 0 {
		body["stop"] = req.Stop
	}
	if req.Seed != nil {
		body[m.cfg.SeedField] = *req.Seed
	}
	if m.cfg.ReasoningEffort != "" {
		body["reasoning_effort"] = m.cfg.ReasoningEffort
	}
	if stream {
		body["stream"] = true
		if !m.cfg.NoStreamOptions {
			body["stream_options"] = map[string]bool{"include_usage": true}
		}
	}
	return body, nil
}

// schemaName returns a name the API accepts: letters, digits, _ and -.
func schemaName(name string) string {
	name = strings.Map(func(r rune) rune {
		if r == '_' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, name)
	if name == "" {
		return "response"
	}
	return name
}

func encodeMessages(msgs []llm.Message, sendReasoning bool) []chatMessage {
	out := make([]chatMessage, 0, len(msgs))
	for _, msg := range msgs {
		cm := chatMessage{Role: string(msg.Role)}
		content := msg.Content
		switch msg.Role {
		case llm.RoleAssistant:
			for _, tc := range msg.ToolCalls {
				var c toolCall
				c.ID, c.Type = tc.ID, "function"
				c.Function.Name = tc.Name
				c.Function.Arguments = string(tc.Arguments)
				if len(tc.Arguments) == 0 {
					c.Function.Arguments = "{}"
				}
				cm.ToolCalls = append(cm.ToolCalls, c)
			}
			if content != "" || len(cm.ToolCalls) == 0 {
				cm.Content = &content
			}
			if sendReasoning && len(cm.ToolCalls) > 0 {
				cm.ReasoningContent = msg.Reasoning
			}
		case llm.RoleTool:
			cm.ToolCallID = msg.ToolCallID
			cm.Content = &content
		default:
			cm.Content = &content
		}
		out = append(out, cm)
	}
	return out
}

// withSchemaInstruction returns msgs with an instruction to reply in JSON
// that satisfies the schema, added to the first system message or as a new
// one at the start. It does not modify msgs.
func withSchemaInstruction(msgs []llm.Message, rs *llm.JSONSchema) []llm.Message {
	text := "Reply with a single JSON object and nothing else."
	if len(rs.Schema) > 0 {
		text = "Reply with a single JSON object, and nothing else, that satisfies this JSON schema:\n" + string(rs.Schema)
	}
	out := make([]llm.Message, 0, len(msgs)+1)
	if len(msgs) > 0 && msgs[0].Role == llm.RoleSystem {
		first := msgs[0]
		first.Content += "\n\n" + text
		return append(append(out, first), msgs[1:]...)
	}
	return append(append(out, llm.SystemMessage(text)), msgs...)
}
