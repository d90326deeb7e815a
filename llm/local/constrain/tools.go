package constrain

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Tool is a callable tool as the model sees it: a name and the JSON Schema
// of its arguments (nil or empty means any object).
type Tool struct {
	Name       string
	Parameters json.RawMessage
}

// ToolCallOptions shape the output of a tool-calling grammar.
type ToolCallOptions struct {
	// Options apply to the argument schemas.
	Options
	// ArgumentsKey is the key of the arguments object (default
	// "arguments", as in Qwen's and OpenAI's formats; Llama 3 uses
	// "parameters").
	ArgumentsKey string
	// Parallel allows several calls: a JSON array of calls, or, when
	// CallPrefix or CallSuffix is set, several wrapped calls in a row
	// separated by Separator.
	Parallel bool
	// MaxCalls bounds the number of parallel calls (0: unbounded).
	MaxCalls int
	// CallPrefix and CallSuffix wrap each call (for example
	// "<tool_call>\n" and "\n</tool_call>" for Qwen's template).
	CallPrefix, CallSuffix string
	// Separator goes between wrapped parallel calls (default "\n").
	Separator string
}

// ErrNoTools is returned by the tool-call functions when there is no tool.
var ErrNoTools = errors.New("constrain: no tools to call")

// CompileToolCalls compiles the union of the tools' call shapes:
// {"name":"<tool>","arguments":{...that tool's schema...}} for one of the
// tools, so that with tool choice "required" (pass all tools) or a named
// tool (pass that one) the model can only emit a valid call. Each tool's
// schema is resolved on its own ($ref "#/..." inside it refers to it).
func CompileToolCalls(tools []Tool, opts ToolCallOptions) (*Grammar, error) {
	if len(tools) == 0 {
		return nil, ErrNoTools
	}
	argKey := opts.ArgumentsKey
	if argKey == "" {
		argKey = "arguments"
	}
	c := newCompiler(opts.Options)
	b := c.b
	call := b.newRule("tool-call")
	seen := map[string]bool{}
	var alts []frag
	prev := b.cur
	b.cur = call
	for i, t := range tools {
		if t.Name == "" {
			return nil, fmt.Errorf("constrain: tool %d has no name", i)
		}
		if seen[t.Name] {
			return nil, fmt.Errorf("constrain: tool %q listed twice", t.Name)
		}
		seen[t.Name] = true
		var doc any = true
		if len(strings.TrimSpace(string(t.Parameters))) > 0 && string(t.Parameters) != "null" {
			var err error
			doc, err = decodeOrdered(t.Parameters)
			if err != nil {
				return nil, fmt.Errorf("constrain: tool %q: parameters are not valid JSON: %w", t.Name, err)
			}
		}
		if doc == true {
			o := newObj()
			o.set("type", "object")
			doc = o
		}
		c.index(doc, "")
		args := c.ruleFor(doc, ctx{base: doc, path: "tool " + strconv.Quote(t.Name) + " #"})
		ps := []prop{
			{key: "name", required: true, value: func() frag { return b.lit(quote(t.Name)) }},
			{key: argKey, required: true, value: func() frag { return b.call(args) }},
		}
		alts = append(alts, c.objectOf(ps, nil, nil))
	}
	b.define(call, b.alt(alts...))
	b.cur = prev

	root := b.newRule("tool-calls")
	b.cur = root
	one := func() frag {
		if opts.CallPrefix == "" && opts.CallSuffix == "" {
			return b.call(call)
		}
		return b.seq(b.lit(opts.CallPrefix), b.call(call), b.lit(opts.CallSuffix))
	}
	maxN := -1
	if opts.MaxCalls > 0 {
		maxN = opts.MaxCalls
	}
	var body frag
	switch {
	case !opts.Parallel:
		body = one()
	case opts.CallPrefix == "" && opts.CallSuffix == "":
		more := maxN
		if more > 0 {
			more--
		}
		body = b.seq(b.lit("["), c.ws(), one(),
			b.repeat(func() frag { return b.seq(b.lit(","), c.ws(), one()) }, 0, more),
			c.ws(), b.lit("]"))
	default:
		sep := opts.Separator
		if sep == "" {
			sep = "\n"
		}
		more := maxN
		if more > 0 {
			more--
		}
		body = b.seq(one(), b.repeat(func() frag { return b.seq(b.lit(sep), one()) }, 0, more))
	}
	b.define(root, body)
	b.cur = prev
	return c.finish(root)
}

// ToolCallSchema returns a JSON Schema equivalent to CompileToolCalls'
// grammar (for a JSON array of calls when parallel), to validate calls or
// to hand to a server that does its own constrained decoding. Each tool's
// parameters become an embedded resource with its own $id, so $refs inside
// them keep working.
func ToolCallSchema(tools []Tool, argumentsKey string, parallel bool) (json.RawMessage, error) {
	if len(tools) == 0 {
		return nil, ErrNoTools
	}
	if argumentsKey == "" {
		argumentsKey = "arguments"
	}
	var alts []any
	for _, t := range tools {
		var params any = map[string]any{"type": "object"}
		if len(strings.TrimSpace(string(t.Parameters))) > 0 && string(t.Parameters) != "null" {
			var p any
			if err := json.Unmarshal(t.Parameters, &p); err != nil {
				return nil, fmt.Errorf("constrain: tool %q: parameters are not valid JSON: %w", t.Name, err)
			}
			if m, ok := p.(map[string]any); ok {
				if _, has := m["$id"]; !has {
					m["$id"] = "urn:plait:tool:" + t.Name
				}
			}
			params = p
		}
		alts = append(alts, map[string]any{
			"type": "object",
			"properties": map[string]any{
				"name":       map[string]any{"const": t.Name},
				argumentsKey: params,
			},
			"required":             []string{"name", argumentsKey},
			"additionalProperties": false,
		})
	}
	var s any = map[string]any{"anyOf": alts}
	if parallel {
		s = map[string]any{"type": "array", "items": s, "minItems": 1}
	}
	return json.Marshal(s)
}
