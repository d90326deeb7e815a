package tools

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

var printer = message.NewPrinter(language.English)

// validator is a tool's compiled argument schema. It is immutable and safe
// for concurrent use.
type validator struct {
	sch  *jsonschema.Schema // nil: any JSON object
	fast *fastSchema        // nil: no fast path
}

// compileSchema compiles a tool's parameter schema once. A nil or empty
// schema accepts any JSON object.
func compileSchema(name string, schema json.RawMessage) (*validator, error) {
	if len(bytes.TrimSpace(schema)) == 0 || string(bytes.TrimSpace(schema)) == "null" {
		return &validator{}, nil
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema))
	if err != nil {
		return nil, fmt.Errorf("tools: the schema of tool %q is not JSON: %w", name, err)
	}
	if m, ok := doc.(map[string]any); ok {
		if t, ok := m["type"].(string); ok && t != "object" {
			return nil, fmt.Errorf("tools: the schema of tool %q must describe an object (a tool's arguments are a JSON object), not %q", name, t)
		}
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	loc := "mem:///tools/" + url.PathEscape(name) + ".json"
	if err := c.AddResource(loc, doc); err != nil {
		return nil, fmt.Errorf("tools: the schema of tool %q is invalid: %w", name, err)
	}
	sch, err := c.Compile(loc)
	if err != nil {
		return nil, fmt.Errorf("tools: the schema of tool %q does not compile: %w", name, err)
	}
	v := &validator{sch: sch}
	if f := compileFast(doc); !f.slow {
		v.fast = f
	}
	return v, nil
}

// validate checks args. It never panics on any input.
func (v *validator) validate(tool string, args json.RawMessage) error {
	if v != nil && v.fast != nil && v.fast.validateFast(args) == fastOK {
		return nil
	}
	inst, err := parseJSON(args)
	if err != nil {
		return &ValidationError{Tool: tool, Problems: []Problem{{Message: "the arguments are not valid JSON (" + err.Error() + "); send a JSON object"}}, Err: err}
	}
	if _, ok := inst.(map[string]any); !ok {
		return &ValidationError{Tool: tool, Problems: []Problem{{Message: "the arguments must be a JSON object, got " + jsonTypeName(inst)}}}
	}
	if v == nil || v.sch == nil {
		return nil
	}
	err = v.sch.Validate(inst)
	if err == nil {
		return nil
	}
	var verr *jsonschema.ValidationError
	if !errors.As(err, &verr) {
		return &ValidationError{Tool: tool, Problems: []Problem{{Message: err.Error()}}, Err: err}
	}
	return &ValidationError{Tool: tool, Problems: problemsOf(verr), Err: err}
}

func jsonTypeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case string:
		return "a string"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return "a number"
}

// parseJSON decodes one JSON value with numbers kept exact.
func parseJSON(data []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if len(bytes.TrimLeft(data[d.InputOffset():], " \t\r\n")) > 0 {
		return nil, errors.New("unexpected data after the JSON value")
	}
	return v, nil
}

func pointer(loc []string) string {
	var b strings.Builder
	for _, t := range loc {
		b.WriteByte('/')
		b.WriteString(escapePointer(t))
	}
	return b.String()
}

func escapePointer(t string) string {
	if !strings.ContainsAny(t, "~/") {
		return t
	}
	return strings.ReplaceAll(strings.ReplaceAll(t, "~", "~0"), "/", "~1")
}

// problemsOf flattens a validation error into the problems at its leaves,
// each at the JSON pointer of the value concerned.
func problemsOf(verr *jsonschema.ValidationError) []Problem {
	var out []Problem
	var rec func(e *jsonschema.ValidationError)
	rec = func(e *jsonschema.ValidationError) {
		if len(e.Causes) > 0 {
			for _, c := range e.Causes {
				rec(c)
			}
			return
		}
		ptr := pointer(e.InstanceLocation)
		switch k := e.ErrorKind.(type) {
		case *kind.Required:
			for _, m := range k.Missing {
				out = append(out, Problem{Pointer: ptr + "/" + escapePointer(m), Message: "missing required property"})
			}
		case *kind.AdditionalProperties:
			for _, p := range k.Properties {
				out = append(out, Problem{Pointer: ptr + "/" + escapePointer(p), Message: "unknown property: the schema does not allow it"})
			}
		case *kind.Type:
			out = append(out, Problem{Pointer: ptr, Message: fmt.Sprintf("got %s, want %s", k.Got, strings.Join(k.Want, " or "))})
		case *kind.Enum:
			var vals []string
			for _, w := range k.Want {
				b, _ := json.Marshal(w)
				vals = append(vals, string(b))
			}
			out = append(out, Problem{Pointer: ptr, Message: "value must be one of " + strings.Join(vals, ", ")})
		default:
			out = append(out, Problem{Pointer: ptr, Message: e.ErrorKind.LocalizedString(printer)})
		}
	}
	rec(verr)
	return mergeProblems(out)
}

// mergeProblems joins the type errors that the branches of a nullable
// anyOf give for one value ("got string, want integer", "got string, want
// null") and drops exact duplicates.
func mergeProblems(ps []Problem) []Problem {
	out := ps[:0:0]
	wants := map[string]int{}
	for _, p := range ps {
		if strings.HasPrefix(p.Message, "got ") {
			if i, ok := wants[p.Pointer]; ok {
				got, want, _ := strings.Cut(strings.TrimPrefix(p.Message, "got "), ", want ")
				pg, pw, _ := strings.Cut(strings.TrimPrefix(out[i].Message, "got "), ", want ")
				if got == pg {
					if !strings.Contains(pw, want) {
						pw += " or " + want
					}
					out[i].Message = "got " + pg + ", want " + pw
					continue
				}
			}
			wants[p.Pointer] = len(out)
		}
		if slices.Contains(out, p) {
			continue
		}
		out = append(out, p)
	}
	return out
}
