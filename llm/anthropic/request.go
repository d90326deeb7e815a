package anthropic

import (
	"encoding/json"
	"strings"

	"github.com/plait-ai/plait/llm"
)

type block struct {
	Type string `json:"type"`
	// text
	Text string `json:"text,omitempty"`
	// thinking and redacted_thinking
	Thinking  string `json:"thinking,omitempty"`
	Signature string `json:"signature,omitempty"`
	Data      string `json:"data,omitempty"`
	// tool_use
	ID    string          `json:"id,omitempty"`
	Name  string          `json:"name,omitempty"`
	Input json.RawMessage `json:"input,omitempty"`
	// tool_result
	ToolUseID string `json:"tool_use_id,omitempty"`
	Content   string `json:"content,omitempty"`
}

type turn struct {
	Role    string  `json:"role"`
	Content []block `json:"content"`
}

type toolDef struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	InputSchema json.RawMessage `json:"input_schema"`
}

type toolChoice struct {
	Type string `json:"type"`
	Name string `json:"name,omitempty"`
}

type thinking struct {
	Type         string `json:"type"`
	BudgetTokens int    `json:"budget_tokens"`
}

type request struct {
	Model         string      `json:"model"`
	MaxTokens     int         `json:"max_tokens"`
	System        string      `json:"system,omitempty"`
	Messages      []turn      `json:"messages"`
	Tools         []toolDef   `json:"tools,omitempty"`
	ToolChoice    *toolChoice `json:"tool_choice,omitempty"`
	Temperature   *float64    `json:"temperature,omitempty"`
	TopP          *float64    `json:"top_p,omitempty"`
	StopSequences []string    `json:"stop_sequences,omitempty"`
	Stream        bool        `json:"stream,omitempty"`
	Thinking      *thinking   `json:"thinking,omitempty"`
}

var emptyObjectSchema = json.RawMessage(`{"type":"object","properties":{}}`)

// encode builds the request body. With a response schema it also returns
// the name of the tool that carries the structured reply.
func (m *Model) encode(req *llm.Request, stream bool) (*request, string, error) {
	if req == nil {
		return nil, "", llm.Errorf(llm.KindInvalidRequest, m.cfg.Provider, "nil request")
	}
	r := &request{
		Model:         m.cfg.Model,
		MaxTokens:     req.MaxTokens,
		Temperature:   req.Temperature,
		TopP:          req.TopP,
		StopSequences: req.Stop,
		Stream:        stream,
	}
	if req.Model != "" {
		r.Model = req.Model
	}
	if r.MaxTokens <= 0 {
		r.MaxTokens = m.cfg.MaxTokens
	}
	if m.cfg.ThinkingBudget > 0 {
		r.Thinking = &thinking{Type: "enabled", BudgetTokens: m.cfg.ThinkingBudget}
		if r.MaxTokens <= m.cfg.ThinkingBudget {
			r.MaxTokens = m.cfg.ThinkingBudget + m.cfg.MaxTokens
		}
	}
	var system []string
	for _, msg := range req.Messages {
		switch msg.Role {
		case llm.RoleSystem:
			system = append(system, msg.Content)
		case llm.RoleAssistant:
			var blocks []block
			if m.cfg.ThinkingBudget > 0 {
				// Extended thinking wants the turn's thinking blocks back,
				// signed, before its tool_use blocks.
				for _, tc := range msg.ToolCalls {
					if th := m.thoughts.get(tc.ID); th != nil {
						blocks = append(blocks, th...)
						break
					}
				}
			}
			if msg.Content != "" {
				blocks = append(blocks, block{Type: "text", Text: msg.Content})
			}
			for _, tc := range msg.ToolCalls {
				input := tc.Arguments
				if len(input) == 0 || !json.Valid(input) {
					input = json.RawMessage("{}")
				}
				blocks = append(blocks, block{Type: "tool_use", ID: tc.ID, Name: tc.Name, Input: input})
			}
			if len(blocks) == 0 {
				blocks = []block{{Type: "text", Text: " "}} // the API rejects empty turns
			}
			r.Messages = appendTurn(r.Messages, "assistant", blocks)
		case llm.RoleTool:
			r.Messages = appendTurn(r.Messages, "user", []block{{Type: "tool_result", ToolUseID: msg.ToolCallID, Content: msg.Content}})
		default:
			r.Messages = appendTurn(r.Messages, "user", []block{{Type: "text", Text: msg.Content}})
		}
	}
	r.System = strings.Join(system, "\n\n")
	for _, t := range req.Tools {
		schema := t.Parameters
		if len(schema) == 0 || string(schema) == "null" {
			schema = emptyObjectSchema
		}
		r.Tools = append(r.Tools, toolDef{Name: t.Name, Description: t.Description, InputSchema: schema})
	}
	if len(r.Tools) > 0 {
		switch req.ToolChoice.Mode {
		case llm.ToolChoiceNone:
			r.ToolChoice = &toolChoice{Type: "none"}
		case llm.ToolChoiceRequired:
			r.ToolChoice = &toolChoice{Type: "any"}
		case llm.ToolChoiceNamed:
			r.ToolChoice = &toolChoice{Type: "tool", Name: req.ToolChoice.Name}
		}
	}
	schemaTool := ""
	if rs := req.ResponseSchema; rs != nil && len(rs.Schema) > 0 && req.ToolChoice.Mode != llm.ToolChoiceNone {
		schemaTool = rs.Name
		if schemaTool == "" {
			schemaTool = "response"
		}
		r.Tools = append(r.Tools, toolDef{
			Name:        schemaTool,
			Description: "Give the final answer by calling this tool; its input is the answer.",
			InputSchema: rs.Schema,
		})
		if len(req.Tools) == 0 {
			r.ToolChoice = &toolChoice{Type: "tool", Name: schemaTool}
		}
	}
	if r.Thinking != nil && r.ToolChoice != nil && (r.ToolChoice.Type == "any" || r.ToolChoice.Type == "tool") {
		// Extended thinking allows only auto and none.
		r.ToolChoice = nil
	}
	return r, schemaTool, nil
}

// appendTurn adds blocks to the conversation, joining them to the last
// turn when it has the same role: the API wants the roles to alternate,
// and all the results of one assistant turn's calls in the next user turn.
func appendTurn(turns []turn, role string, blocks []block) []turn {
	if n := len(turns); n > 0 && turns[n-1].Role == role {
		turns[n-1].Content = append(turns[n-1].Content, blocks...)
		return turns
	}
	return append(turns, turn{Role: role, Content: blocks})
}
