package gemini

import (
	"encoding/json"
	"strings"

	"github.com/plait-ai/plait/llm"
)

type functionDeclaration struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Parameters  json.RawMessage `json:"parameters,omitempty"`
}

type toolSet struct {
	FunctionDeclarations []functionDeclaration `json:"functionDeclarations"`
}

type functionCallingConfig struct {
	Mode                 string   `json:"mode"`
	AllowedFunctionNames []string `json:"allowedFunctionNames,omitempty"`
}

type toolConfig struct {
	FunctionCallingConfig functionCallingConfig `json:"functionCallingConfig"`
}

type thinkingConfig struct {
	IncludeThoughts bool `json:"includeThoughts,omitempty"`
	ThinkingBudget  *int `json:"thinkingBudget,omitempty"`
}

type generationConfig struct {
	Temperature      *float64        `json:"temperature,omitempty"`
	TopP             *float64        `json:"topP,omitempty"`
	MaxOutputTokens  int             `json:"maxOutputTokens,omitempty"`
	StopSequences    []string        `json:"stopSequences,omitempty"`
	Seed             *int64          `json:"seed,omitempty"`
	ResponseMimeType string          `json:"responseMimeType,omitempty"`
	ResponseSchema   json.RawMessage `json:"responseSchema,omitempty"`
	ThinkingConfig   *thinkingConfig `json:"thinkingConfig,omitempty"`
}

type request struct {
	Contents          []content         `json:"contents"`
	SystemInstruction *content          `json:"systemInstruction,omitempty"`
	Tools             []toolSet         `json:"tools,omitempty"`
	ToolConfig        *toolConfig       `json:"toolConfig,omitempty"`
	GenerationConfig  *generationConfig `json:"generationConfig,omitempty"`
}

func (m *Model) encode(req *llm.Request) (*request, error) {
	if req == nil {
		return nil, llm.Errorf(llm.KindInvalidRequest, m.cfg.Provider, "nil request")
	}
	r := &request{Contents: []content{}}
	names := map[string]string{}
	var system []part
	for _, msg := range req.Messages {
		switch msg.Role {
		case llm.RoleSystem:
			system = append(system, part{Text: msg.Content})
		case llm.RoleAssistant:
			var parts []part
			if msg.Content != "" {
				parts = append(parts, part{Text: msg.Content})
			}
			for _, tc := range msg.ToolCalls {
				names[tc.ID] = tc.Name
				args := tc.Arguments
				if len(args) == 0 || !json.Valid(args) {
					args = json.RawMessage("{}")
				}
				parts = append(parts, part{FunctionCall: &functionCall{Name: tc.Name, Args: args}, ThoughtSignature: m.sigs.get(tc.ID)})
			}
			if len(parts) == 0 {
				parts = []part{{Text: ""}}
			}
			r.Contents = appendContent(r.Contents, "model", parts)
		case llm.RoleTool:
			name := msg.Name
			if name == "" {
				name = names[msg.ToolCallID]
			}
			r.Contents = appendContent(r.Contents, "user", []part{{FunctionResponse: &functionResponse{Name: name, Response: toolResponse(msg.Content)}}})
		default:
			r.Contents = appendContent(r.Contents, "user", []part{{Text: msg.Content}})
		}
	}
	if len(system) > 0 {
		r.SystemInstruction = &content{Parts: system}
	}
	if len(req.Tools) > 0 {
		var decls []functionDeclaration
		for _, t := range req.Tools {
			decls = append(decls, functionDeclaration{Name: t.Name, Description: t.Description, Parameters: parametersSchema(t.Parameters)})
		}
		r.Tools = []toolSet{{FunctionDeclarations: decls}}
		switch req.ToolChoice.Mode {
		case llm.ToolChoiceNone:
			r.ToolConfig = &toolConfig{functionCallingConfig{Mode: "NONE"}}
		case llm.ToolChoiceRequired:
			r.ToolConfig = &toolConfig{functionCallingConfig{Mode: "ANY"}}
		case llm.ToolChoiceNamed:
			r.ToolConfig = &toolConfig{functionCallingConfig{Mode: "ANY", AllowedFunctionNames: []string{req.ToolChoice.Name}}}
		}
	}
	g := generationConfig{Temperature: req.Temperature, TopP: req.TopP, MaxOutputTokens: req.MaxTokens, StopSequences: req.Stop, Seed: req.Seed}
	if rs := req.ResponseSchema; rs != nil {
		g.ResponseMimeType = "application/json"
		if len(rs.Schema) > 0 {
			g.ResponseSchema = ConvertSchema(rs.Schema)
		}
	}
	if m.cfg.IncludeThoughts || m.cfg.ThinkingBudget != nil {
		g.ThinkingConfig = &thinkingConfig{IncludeThoughts: m.cfg.IncludeThoughts, ThinkingBudget: m.cfg.ThinkingBudget}
	}
	if g.Temperature != nil || g.TopP != nil || g.MaxOutputTokens > 0 || len(g.StopSequences) > 0 || g.Seed != nil || g.ResponseMimeType != "" || g.ThinkingConfig != nil {
		r.GenerationConfig = &g
	}
	return r, nil
}

// appendContent adds parts, joining them to the last content of the same
// role: the results of parallel calls go back in one content.
func appendContent(cs []content, role string, parts []part) []content {
	if n := len(cs); n > 0 && cs[n-1].Role == role {
		cs[n-1].Parts = append(cs[n-1].Parts, parts...)
		return cs
	}
	return append(cs, content{Role: role, Parts: parts})
}

// toolResponse wraps a tool's output as the object functionResponse wants.
func toolResponse(out string) json.RawMessage {
	s := strings.TrimSpace(out)
	if strings.HasPrefix(s, "{") && json.Valid([]byte(s)) {
		return json.RawMessage(s)
	}
	var v any = out
	if s != "" && json.Valid([]byte(s)) {
		v = json.RawMessage(s)
	}
	b, _ := json.Marshal(map[string]any{"result": v})
	return b
}

// parametersSchema converts a tool's parameters; a tool without
// parameters, or with an object schema without properties, sends none, as
// Gemini rejects an OBJECT without properties.
func parametersSchema(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	out := ConvertSchema(raw)
	var probe struct {
		Type       string         `json:"type"`
		Properties map[string]any `json:"properties"`
	}
	if json.Unmarshal(out, &probe) == nil && probe.Type == "OBJECT" && len(probe.Properties) == 0 {
		return nil
	}
	return out
}
