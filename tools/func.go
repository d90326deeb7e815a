package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"unsafe"

	"github.com/plait-ai/plait/llm"
)

// FuncTool is a Go function made into a tool by [Func]. It is immutable and
// safe for concurrent use when its function is.
type FuncTool[In, Out any] struct {
	spec llm.ToolSpec
	fn   func(context.Context, In) (Out, error)
	opts *options
	val  *validator
	flat *flatDecoder             // nil: In is not a flat struct
	enc  func(any) (string, bool) // nil: Out is not a flat struct
}

// Func makes a tool of fn. The JSON schema of its arguments is reflected
// from In, a struct (or a pointer to one), with github.com/invopop/jsonschema:
//
//   - property names and optionality from the json tags: a field is
//     required unless it is omitempty or omitzero (or tagged
//     `jsonschema:"required"`);
//   - constraints from jsonschema tags: description, enum, minimum,
//     maximum, exclusiveMinimum, exclusiveMaximum, multipleOf, pattern,
//     format, default, minLength, maxLength, minItems, maxItems;
//   - descriptions from the Go doc comments of the struct and its fields,
//     registered by the code that the plait-tooldoc command generates (see
//     [RegisterDocs]), from a SchemaDescription method (see
//     [SchemaDescriber]) or from description tags;
//   - nested structs, slices, arrays, maps, pointers, time.Time (a
//     date-time string) and named types with values listed by a
//     JSONSchemaEnum method (see [Enumer]).
//
// When description is empty, In's description is used. Out may be any value
// encoding/json can encode; a string reaches the model as it is. The name
// must be 1 to 64 letters, digits, '_', '-' or '.'.
//
// Func returns an error when the schema cannot be reflected, cannot be
// strict (see [Strict]), or a guard does not compile.
func Func[In, Out any](name, description string, fn func(ctx context.Context, in In) (Out, error), opts ...Option) (*FuncTool[In, Out], error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	if fn == nil {
		return nil, fmt.Errorf("tools: tool %q has a nil function", name)
	}
	o, err := buildOptions(opts)
	if err != nil {
		return nil, fmt.Errorf("tools: tool %q: %w", name, err)
	}
	t := reflect.TypeFor[In]()
	spec, err := reflectSchema(t, o.strict, false)
	if err != nil {
		return nil, fmt.Errorf("tools: tool %q: %w", name, err)
	}
	if description == "" {
		description = spec.Description
	}
	if spec.Description == description {
		spec.Description = ""
	}
	params, err := json.Marshal(spec)
	if err != nil {
		return nil, fmt.Errorf("tools: tool %q: encoding its schema: %w", name, err)
	}
	vs, err := reflectSchema(t, false, true)
	if err != nil {
		return nil, fmt.Errorf("tools: tool %q: %w", name, err)
	}
	vs.Description = ""
	vparams, err := json.Marshal(vs)
	if err != nil {
		return nil, fmt.Errorf("tools: tool %q: encoding its schema: %w", name, err)
	}
	val, err := compileSchema(name, vparams)
	if err != nil {
		return nil, err
	}
	return &FuncTool[In, Out]{
		spec: llm.ToolSpec{Name: name, Description: description, Parameters: params, Strict: o.strict},
		fn:   fn,
		opts: o,
		val:  val,
		flat: newFlatDecoder(t),
		enc:  flatOutputEncoder[Out](),
	}, nil
}

// MustFunc is like [Func] but panics on error. Use it for package-level
// tools whose definitions are fixed, where an error is a programming error.
func MustFunc[In, Out any](name, description string, fn func(ctx context.Context, in In) (Out, error), opts ...Option) *FuncTool[In, Out] {
	t, err := Func(name, description, fn, opts...)
	if err != nil {
		panic(err)
	}
	return t
}

// Spec returns the tool's spec.
func (t *FuncTool[In, Out]) Spec() llm.ToolSpec { return t.spec }

// Call decodes args into In and runs the function. Arguments that do not
// decode give a *ValidationError. Call does not validate args against the
// schema: the dispatcher does that first.
func (t *FuncTool[In, Out]) Call(ctx context.Context, args json.RawMessage) (any, error) {
	var in In
	if t.flat == nil || len(args) == 0 || !t.flat.decode(args, unsafe.Pointer(&in)) {
		// A variable apart, so that in stays on the stack on the fast
		// path.
		p := new(In)
		if err := decodeArgs(t.spec.Name, args, p); err != nil {
			return nil, err
		}
		in = *p
	}
	out, err := t.fn(ctx, in)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (t *FuncTool[In, Out]) toolOptions() *options { return t.opts }

func (t *FuncTool[In, Out]) outputEncoder() func(any) (string, bool) { return t.enc }

// flatOutputEncoder returns the fast encoder of Out's values (see
// fastencode.go), or nil.
func flatOutputEncoder[Out any]() func(any) (string, bool) {
	fe := newFlatEncoder(reflect.TypeFor[Out]())
	if fe == nil {
		return nil
	}
	return func(o any) (string, bool) {
		v, ok := o.(Out)
		if !ok {
			return "", false
		}
		return fe.encode(unsafe.Pointer(&v))
	}
}
func (t *FuncTool[In, Out]) validator() *validator { return t.val }

// decodeArgs decodes validated arguments into v, mapping decoding errors
// to a *ValidationError that names the field.
func decodeArgs(tool string, args json.RawMessage, v any) error {
	if len(args) == 0 {
		args = emptyObject
	}
	err := json.Unmarshal(args, v)
	if err == nil {
		return nil
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		ptr := ""
		if te.Field != "" {
			ptr = "/" + strings.ReplaceAll(te.Field, ".", "/")
		}
		return &ValidationError{Tool: tool, Problems: []Problem{{Pointer: ptr, Message: fmt.Sprintf("cannot use a JSON %s as %s", te.Value, te.Type)}}, Err: err}
	}
	return &ValidationError{Tool: tool, Problems: []Problem{{Message: err.Error()}}, Err: err}
}

var emptyObject = json.RawMessage("{}")

func checkName(name string) error {
	if name == "" || len(name) > 64 {
		return fmt.Errorf("tools: a tool name must have 1 to 64 characters, got %q", name)
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return fmt.Errorf("tools: tool name %q has %q: use letters, digits, '_', '-' or '.'", name, c)
		}
	}
	return nil
}
