package tools

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/plait-ai/plait/llm"
)

// FromBFCL converts one function definition of the Berkeley Function
// Calling Leaderboard ({"name", "description", "parameters"}) into a tool
// spec, its parameters rewritten by [NormalizeSchema] with closed objects.
// Make a tool of it with [Raw].
func FromBFCL(def json.RawMessage) (llm.ToolSpec, error) {
	var f struct {
		Name        string          `json:"name"`
		Description string          `json:"description"`
		Parameters  json.RawMessage `json:"parameters"`
	}
	if err := json.Unmarshal(def, &f); err != nil {
		return llm.ToolSpec{}, fmt.Errorf("tools: a BFCL function definition must be a JSON object with name, description and parameters: %w", err)
	}
	if f.Name == "" {
		return llm.ToolSpec{}, fmt.Errorf("tools: a BFCL function definition has no name")
	}
	params, err := NormalizeSchema(f.Parameters, true)
	if err != nil {
		return llm.ToolSpec{}, fmt.Errorf("tools: function %q: %w", f.Name, err)
	}
	return llm.ToolSpec{Name: f.Name, Description: f.Description, Parameters: params}, nil
}

// NormalizeSchema rewrites a JSON schema written in the loose dialect of
// BFCL and of many Python-generated function definitions into standard JSON
// Schema:
//
//   - type "dict" is "object", "float" is "number", "tuple" is "array",
//     "any" (and "Any") means no type constraint, and the other Python
//     names "str", "int", "bool", "list" are mapped likewise;
//   - with closed true, every object schema that lists properties and says
//     nothing about additionalProperties gets additionalProperties false,
//     so an argument the function does not declare is rejected instead of
//     silently ignored. An object without properties (a free-form dict)
//     stays open.
//
// Other keywords are kept. An empty or null schema (a function without
// parameters) gives nil.
func NormalizeSchema(schema json.RawMessage, closed bool) (json.RawMessage, error) {
	if len(bytes.TrimSpace(schema)) == 0 || string(bytes.TrimSpace(schema)) == "null" {
		return nil, nil
	}
	var doc any
	d := json.NewDecoder(bytes.NewReader(schema))
	d.UseNumber()
	if err := d.Decode(&doc); err != nil {
		return nil, fmt.Errorf("tools: the schema is not JSON: %w", err)
	}
	normalizeNode(doc, closed)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

var dialectTypes = map[string]string{
	"dict": "object", "float": "number", "tuple": "array",
	"str": "string", "int": "integer", "bool": "boolean", "list": "array",
	"double": "number", "long": "integer", "char": "string", "byte": "integer", "short": "integer",
	"HashMap": "object", "ArrayList": "array", "Array": "array", "String": "string", "Boolean": "boolean",
}

func normalizeNode(n any, closed bool) {
	s, ok := n.(map[string]any)
	if !ok {
		return
	}
	switch t := s["type"].(type) {
	case string:
		if t == "any" || t == "Any" {
			delete(s, "type")
		} else if std, ok := dialectTypes[t]; ok {
			s["type"] = std
		}
	case []any:
		out := t[:0]
		for _, x := range t {
			if name, ok := x.(string); ok {
				if name == "any" || name == "Any" {
					delete(s, "type")
					out = nil
					break
				}
				if std, ok := dialectTypes[name]; ok {
					x = std
				}
			}
			out = append(out, x)
		}
		if out != nil {
			s["type"] = out
		}
	}
	for _, k := range []string{"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"} {
		if m, ok := s[k].(map[string]any); ok {
			for _, v := range m {
				normalizeNode(v, closed)
			}
		}
	}
	for _, k := range []string{"items", "additionalProperties", "not", "if", "then", "else", "contains", "propertyNames", "additionalItems"} {
		switch v := s[k].(type) {
		case map[string]any:
			normalizeNode(v, closed)
		case []any:
			for _, x := range v {
				normalizeNode(x, closed)
			}
		}
	}
	for _, k := range []string{"anyOf", "oneOf", "allOf", "prefixItems"} {
		if l, ok := s[k].([]any); ok {
			for _, x := range l {
				normalizeNode(x, closed)
			}
		}
	}
	if closed {
		if props, ok := s["properties"].(map[string]any); ok && len(props) > 0 {
			if _, set := s["additionalProperties"]; !set {
				s["additionalProperties"] = false
			}
		}
	}
}
