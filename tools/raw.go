package tools

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/plait-ai/plait/llm"
)

// RawTool is a tool defined by a raw JSON schema, with a handler that takes
// the raw arguments: for MCP, OpenAPI and similar definitions. It is
// immutable and safe for concurrent use when its handler is.
type RawTool struct {
	spec    llm.ToolSpec
	handler func(context.Context, json.RawMessage) (any, error)
	opts    *options
	val     *validator
}

// Raw makes a tool of a spec and a handler. spec.Parameters is the JSON
// schema of the arguments object (nil for a tool without arguments); it is
// compiled here, once, and the dispatcher validates every call's arguments
// against it before the handler runs. The handler returns a JSON-encodable
// output or a string, as [Tool.Call] does.
func Raw(spec llm.ToolSpec, handler func(ctx context.Context, args json.RawMessage) (any, error), opts ...Option) (*RawTool, error) {
	if err := checkName(spec.Name); err != nil {
		return nil, err
	}
	if handler == nil {
		return nil, fmt.Errorf("tools: tool %q has a nil handler", spec.Name)
	}
	o, err := buildOptions(opts)
	if err != nil {
		return nil, fmt.Errorf("tools: tool %q: %w", spec.Name, err)
	}
	val, err := compileSchema(spec.Name, spec.Parameters)
	if err != nil {
		return nil, err
	}
	return &RawTool{spec: spec, handler: handler, opts: o, val: val}, nil
}

// MustRaw is like [Raw] but panics on error.
func MustRaw(spec llm.ToolSpec, handler func(ctx context.Context, args json.RawMessage) (any, error), opts ...Option) *RawTool {
	t, err := Raw(spec, handler, opts...)
	if err != nil {
		panic(err)
	}
	return t
}

// Spec returns the tool's spec.
func (t *RawTool) Spec() llm.ToolSpec { return t.spec }

// Call runs the handler.
func (t *RawTool) Call(ctx context.Context, args json.RawMessage) (any, error) {
	if len(args) == 0 {
		args = emptyObject
	}
	return t.handler(ctx, args)
}

func (t *RawTool) toolOptions() *options { return t.opts }
func (t *RawTool) validator() *validator { return t.val }

// With returns t carrying the given options (timeout, retries, guards,
// approval, result size), for tools built elsewhere: an MCP server's tool,
// an agent used as a tool. Options given to With are applied after those t
// already carries. The returned tool has t's spec; its schema is compiled
// here.
func With(t Tool, opts ...Option) (Tool, error) {
	if t == nil {
		return nil, fmt.Errorf("tools: With on a nil tool")
	}
	spec := t.Spec()
	base := &options{}
	var val *validator
	if c, ok := t.(configured); ok {
		*base = *c.toolOptions()
		base.guards = append([]guard(nil), base.guards...)
	}
	if v, ok := t.(validated); ok {
		val = v.validator()
	}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(base); err != nil {
			return nil, fmt.Errorf("tools: tool %q: %w", spec.Name, err)
		}
	}
	if val == nil {
		var err error
		if val, err = compileSchema(spec.Name, spec.Parameters); err != nil {
			return nil, err
		}
	}
	inner := t
	if w, ok := t.(*withTool); ok {
		inner = w.Tool
	}
	return &withTool{Tool: inner, opts: base, val: val}, nil
}

type withTool struct {
	Tool
	opts *options
	val  *validator
}

func (w *withTool) toolOptions() *options { return w.opts }
func (w *withTool) validator() *validator { return w.val }

func (w *withTool) outputEncoder() func(any) (string, bool) {
	if oe, ok := w.Tool.(outputEncoder); ok {
		return oe.outputEncoder()
	}
	return nil
}

// outputEncoder is a tool with a fast encoder of its outputs.
type outputEncoder interface {
	outputEncoder() func(any) (string, bool)
}

// Unwrap returns the tool With was given.
func (w *withTool) Unwrap() Tool { return w.Tool }

type validated interface {
	validator() *validator
}
