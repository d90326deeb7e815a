package gemini

import (
	"encoding/json"
	"strings"
)

// allowed lists the schema keywords Gemini's Schema object accepts.
var allowed = map[string]bool{
	"type": true, "format": true, "title": true, "description": true, "nullable": true,
	"enum": true, "maxItems": true, "minItems": true, "properties": true, "required": true,
	"minProperties": true, "maxProperties": true, "minLength": true, "maxLength": true,
	"pattern": true, "example": true, "anyOf": true, "propertyOrdering": true,
	"default": true, "items": true, "minimum": true, "maximum": true,
}

// formats lists the formats Gemini accepts, by type.
var formats = map[string]map[string]bool{
	"STRING":  {"enum": true, "date-time": true},
	"INTEGER": {"int32": true, "int64": true},
	"NUMBER":  {"float": true, "double": true},
}

// ConvertSchema converts a JSON schema to the OpenAPI 3.0 subset that
// Gemini's functionDeclarations.parameters and responseSchema take. A
// schema that does not parse is returned unchanged, for the API to judge.
func ConvertSchema(raw json.RawMessage) json.RawMessage {
	var root any
	if err := json.Unmarshal(raw, &root); err != nil {
		return raw
	}
	rootMap, _ := root.(map[string]any)
	defs := map[string]any{}
	for _, k := range []string{"$defs", "definitions"} {
		if d, ok := rootMap[k].(map[string]any); ok {
			for name, v := range d {
				defs["#/"+k+"/"+name] = v
			}
		}
	}
	out, err := json.Marshal(convert(root, defs, 0))
	if err != nil {
		return raw
	}
	return out
}

const maxDepth = 32

func convert(v any, defs map[string]any, depth int) any {
	s, ok := v.(map[string]any)
	if !ok {
		return map[string]any{}
	}
	if depth > maxDepth {
		// A recursive schema: Gemini takes no references, so stop here.
		return map[string]any{"type": "OBJECT"}
	}
	if ref, ok := s["$ref"].(string); ok {
		if target, ok := defs[ref]; ok {
			merged := map[string]any{}
			if t, ok := target.(map[string]any); ok {
				for k, v := range t {
					merged[k] = v
				}
			}
			for k, v := range s {
				if k != "$ref" {
					merged[k] = v
				}
			}
			return convert(merged, defs, depth+1)
		}
	}
	out := map[string]any{}
	if all, ok := s["allOf"].([]any); ok && len(all) == 1 {
		if sub, ok := convert(all[0], defs, depth+1).(map[string]any); ok {
			for k, v := range sub {
				out[k] = v
			}
		}
	}
	for k, v := range s {
		switch k {
		case "type":
			switch t := v.(type) {
			case string:
				out["type"] = strings.ToUpper(t)
			case []any:
				var types []string
				for _, x := range t {
					if xs, ok := x.(string); ok {
						if xs == "null" {
							out["nullable"] = true
						} else {
							types = append(types, strings.ToUpper(xs))
						}
					}
				}
				if len(types) == 1 {
					out["type"] = types[0]
				} else if len(types) > 1 {
					var alts []any
					for _, t := range types {
						alts = append(alts, map[string]any{"type": t})
					}
					out["anyOf"] = alts
				}
			}
		case "properties":
			if props, ok := v.(map[string]any); ok {
				conv := map[string]any{}
				for name, p := range props {
					conv[name] = convert(p, defs, depth+1)
				}
				out["properties"] = conv
			}
		case "items":
			out["items"] = convert(v, defs, depth+1)
		case "anyOf", "oneOf":
			if list, ok := v.([]any); ok {
				var conv []any
				for _, x := range list {
					if xm, ok := x.(map[string]any); ok && xm["type"] == "null" {
						out["nullable"] = true
						continue
					}
					conv = append(conv, convert(x, defs, depth+1))
				}
				if len(conv) == 1 {
					for k2, v2 := range conv[0].(map[string]any) {
						if _, set := out[k2]; !set {
							out[k2] = v2
						}
					}
				} else if len(conv) > 1 {
					out["anyOf"] = conv
				}
			}
		case "const":
			if str, ok := v.(string); ok {
				out["enum"] = []any{str}
			}
		case "enum":
			list, _ := v.([]any)
			var strs []any
			for _, x := range list {
				if xs, ok := x.(string); ok {
					strs = append(strs, xs)
				}
			}
			if len(strs) == len(list) && len(strs) > 0 {
				out["enum"] = strs
			}
		case "required":
			if list, ok := v.([]any); ok && len(list) > 0 {
				out["required"] = list
			}
		default:
			if allowed[k] {
				out[k] = v
			}
		}
	}
	if t, _ := out["type"].(string); t == "NULL" {
		delete(out, "type")
		out["nullable"] = true
	}
	if f, ok := out["format"].(string); ok {
		t, _ := out["type"].(string)
		if !formats[t][f] {
			delete(out, "format")
		}
	}
	if _, ok := out["enum"]; ok && out["type"] == nil {
		out["type"] = "STRING"
	}
	// required may only name properties that exist.
	if req, ok := out["required"].([]any); ok {
		props, _ := out["properties"].(map[string]any)
		var keep []any
		for _, r := range req {
			if name, ok := r.(string); ok && props[name] != nil {
				keep = append(keep, name)
			}
		}
		if len(keep) > 0 {
			out["required"] = keep
		} else {
			delete(out, "required")
		}
	}
	return out
}
