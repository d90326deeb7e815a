package planner

import "strings"

// placeholders returns tmpl with each reference replaced by a value of the
// type the schema wants at that place, so that a plan's arguments can be
// checked against the tool's schema before the referenced outputs exist.
// root is the whole schema, for resolving local $refs.
func placeholders(tmpl any, schema, root map[string]any, depth int) any {
	schema = deref(schema, root, 0)
	switch v := tmpl.(type) {
	case *refString:
		if v.whole {
			return placeholderFor(schema, root, depth)
		}
		if e, ok := schema["enum"].([]any); ok && len(e) > 0 {
			return e[0]
		}
		var b strings.Builder
		for _, p := range v.parts {
			if p.prog == nil {
				b.WriteString(p.lit)
			} else {
				b.WriteString("x")
			}
		}
		return b.String()
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = placeholders(e, itemSchema(schema, root, i), root, depth+1)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(v))
		props, _ := schema["properties"].(map[string]any)
		for k, e := range v {
			sub, _ := props[k].(map[string]any)
			if sub == nil {
				sub, _ = schema["additionalProperties"].(map[string]any)
			}
			out[k] = placeholders(e, sub, root, depth+1)
		}
		return out
	}
	return tmpl
}

func itemSchema(schema, root map[string]any, i int) map[string]any {
	if pre, ok := schema["prefixItems"].([]any); ok && i < len(pre) {
		s, _ := pre[i].(map[string]any)
		return s
	}
	s, _ := schema["items"].(map[string]any)
	return s
}

// deref follows a local "$ref" ("#/$defs/X", "#/definitions/X") and picks
// the first non-null alternative of anyOf/oneOf.
func deref(s, root map[string]any, depth int) map[string]any {
	for depth < 16 && s != nil {
		depth++
		if ref, ok := s["$ref"].(string); ok && strings.HasPrefix(ref, "#/") {
			var cur any = root
			for _, part := range strings.Split(ref[2:], "/") {
				part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
				m, _ := cur.(map[string]any)
				cur = m[part]
			}
			next, _ := cur.(map[string]any)
			if next == nil {
				return s
			}
			s = next
			continue
		}
		alt := false
		for _, key := range []string{"anyOf", "oneOf", "allOf"} {
			list, ok := s[key].([]any)
			if !ok || len(list) == 0 {
				continue
			}
			for _, a := range list {
				m, _ := a.(map[string]any)
				if m != nil && m["type"] != "null" {
					s, alt = m, true
					break
				}
			}
			if alt {
				break
			}
		}
		if !alt {
			return s
		}
	}
	return s
}

// placeholderFor returns a value valid for schema as far as its type,
// enum, const, format and bounds go.
func placeholderFor(schema, root map[string]any, depth int) any {
	schema = deref(schema, root, 0)
	if schema == nil {
		return "x"
	}
	if c, ok := schema["const"]; ok {
		return c
	}
	if e, ok := schema["enum"].([]any); ok && len(e) > 0 {
		return e[0]
	}
	if d, ok := schema["default"]; ok {
		return d
	}
	typ := ""
	switch t := schema["type"].(type) {
	case string:
		typ = t
	case []any:
		for _, x := range t {
			if s, ok := x.(string); ok && s != "null" {
				typ = s
				break
			}
		}
	}
	num := func() float64 {
		if m, ok := schema["minimum"].(float64); ok {
			return m
		}
		if m, ok := schema["exclusiveMinimum"].(float64); ok {
			return m + 1
		}
		if m, ok := schema["maximum"].(float64); ok && m < 0 {
			return m
		}
		return 0
	}
	switch typ {
	case "integer":
		return int64(num())
	case "number":
		return num()
	case "boolean":
		return false
	case "null":
		return nil
	case "array":
		n := 0
		if m, ok := schema["minItems"].(float64); ok {
			n = int(m)
		}
		out := make([]any, 0, n)
		for i := 0; i < n && depth < 8; i++ {
			out = append(out, placeholderFor(itemSchema(schema, root, i), root, depth+1))
		}
		return out
	case "object":
		out := map[string]any{}
		if depth >= 8 {
			return out
		}
		props, _ := schema["properties"].(map[string]any)
		req, _ := schema["required"].([]any)
		for _, r := range req {
			k, _ := r.(string)
			sub, _ := props[k].(map[string]any)
			out[k] = placeholderFor(sub, root, depth+1)
		}
		return out
	case "string":
		return placeholderString(schema)
	}
	return "x"
}

func placeholderString(schema map[string]any) string {
	s := "x"
	switch schema["format"] {
	case "uri", "url", "uri-reference", "iri":
		s = "https://example.com/"
	case "email", "idn-email":
		s = "a@example.com"
	case "date-time":
		s = "2000-01-01T00:00:00Z"
	case "date":
		s = "2000-01-01"
	case "time":
		s = "00:00:00Z"
	case "uuid":
		s = "00000000-0000-0000-0000-000000000000"
	case "ipv4":
		s = "127.0.0.1"
	case "ipv6":
		s = "::1"
	case "hostname":
		s = "example.com"
	case "duration":
		s = "PT1S"
	}
	if m, ok := schema["minLength"].(float64); ok && len(s) < int(m) {
		s += strings.Repeat("x", int(m)-len(s))
	}
	if m, ok := schema["maxLength"].(float64); ok && len(s) > int(m) && m >= 0 {
		s = s[:int(m)]
	}
	return s
}
