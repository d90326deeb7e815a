package planner

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"

	"github.com/plait-ai/plait/llm"
)

// refPattern matches a string that is one whole reference to an earlier
// step's output, such as "${s1.hits[0].id}".
const refPattern = `^\$\{[^}]+\}$`

// SchemaFor returns the JSON schema of a plan whose steps may only call
// the given tools, for grammar-constrained decoding: the plan of [Schema]
// (thought first, then steps with the same properties in the same order,
// the same required ones), where each step is one of
//
//   - a call of one of the tools: "tool" is the tool's name and "args"
//     follows the tool's Parameters schema, with references allowed (see
//     below);
//   - a reasoning step: "tool" is "" and "args" is the empty object.
//
// A reference ("${s1.hits[0].id}") stands where any value goes, so each
// top-level argument (the values of the args object's properties and
// patternProperties, and its additionalProperties when that is a schema)
// may also be a whole-reference string unless its schema already allows
// any string; required and additionalProperties: false stay as they are.
// Nested values (array items, properties of an argument that is an
// object) are not relaxed: there a reference must be a value the nested
// schema allows. Annotations (description, title, examples, ...) are
// dropped to keep the schema compact, and local $refs ("#/$defs/X") are
// rewritten to point into the plan schema.
//
// A tool with no name, or a name seen before, is skipped; a tool whose
// Parameters are empty or not a JSON object gets any object as arguments.
// With no tools, the steps can only be reasoning steps. The result is a
// new slice on each call.
func SchemaFor(specs []llm.ToolSpec) json.RawMessage { return schemaFor(specs, 0) }

// NumberedSteps is how many leading steps [SchemaForNumbered] numbers.
const NumberedSteps = 12

// SchemaForNumbered is [SchemaFor] for a first plan, numbering its steps
// as the planning prompt asks: the first [NumberedSteps] steps have the ids
// s1, s2, ... in order, their deps name only earlier steps, and a
// reference in their top-level arguments may only name an earlier step or
// the goal ("${goal}", "${s1.hits[0].id}", "see ${s2.text}"). A plan
// decoded under it cannot repeat an id or use a step before it runs.
// References there are a step id or goal, optionally followed by a path
// of fields and indexes; other expressions are not allowed. Steps after
// the numbered ones are as in SchemaFor. Replans, whose steps may keep the
// ids of steps already done, use SchemaFor.
func SchemaForNumbered(specs []llm.ToolSpec) json.RawMessage {
	return schemaFor(specs, NumberedSteps)
}

func schemaFor(specs []llm.ToolSpec, numbered int) json.RawMessage {
	type tool struct {
		name   string
		params json.RawMessage
	}
	var ts []tool
	seen := map[string]bool{}
	for _, s := range specs {
		if s.Name == "" || seen[s.Name] {
			continue
		}
		seen[s.Name] = true
		name, _ := json.Marshal(s.Name)
		ts = append(ts, tool{string(name), s.Parameters})
	}
	// step writes the schema of one step at pointer at; k >= 0 numbers
	// it (the (k+1)th step), k < 0 leaves it free.
	step := func(b *strings.Builder, at string, k int) {
		// Free ids are names an expression can reference, as Validate
		// requires.
		id, deps := `{"type":"string","pattern":"^[A-Za-z_][A-Za-z0-9_]*$"}`, `{"type":"array","items":{"type":"string"}}`
		var refs []string
		if k >= 0 {
			id = `{"const":"s` + strconv.Itoa(k+1) + `"}`
			refs = append(refs, GoalRef)
			var earlier []string
			for j := 1; j <= k; j++ {
				earlier = append(earlier, `"s`+strconv.Itoa(j)+`"`)
				refs = append(refs, "s"+strconv.Itoa(j))
			}
			if k == 0 {
				deps = `{"type":"array","maxItems":0}`
			} else {
				deps = `{"type":"array","items":{"enum":[` + strings.Join(earlier, ",") + `]}}`
			}
		}
		write := func(i int, toolSchema, args, task string) {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`{"type":"object","properties":{"id":` + id + `,"task":` + task + `,"tool":` + toolSchema + `,"args":` + args + `,"deps":` + deps + `,"when":{"type":"string"}},"required":["id","task","tool","args","deps"]}`)
		}
		if len(ts) > 0 {
			b.WriteString(`{"anyOf":[`)
		}
		for i, t := range ts {
			write(i, `{"const":`+t.name+`}`, argsSchema(t.params, at+"/anyOf/"+strconv.Itoa(i)+"/properties/args", refs), `{"type":"string"}`)
		}
		// A reasoning step (no tool) must say what to work out.
		write(len(ts), `{"const":""}`, `{"type":"object","properties":{},"additionalProperties":false}`, `{"type":"string","minLength":1}`)
		if len(ts) > 0 {
			b.WriteString(`]}`)
		}
	}

	var b strings.Builder
	b.WriteString(`{"type":"object","properties":{` +
		`"thought":{"type":"string","description":"Your reasoning: what the goal needs, which tools provide it, which steps can run in parallel."},` +
		`"steps":{"type":"array",`)
	if numbered > 0 {
		b.WriteString(`"prefixItems":[`)
		for k := range numbered {
			if k > 0 {
				b.WriteByte(',')
			}
			step(&b, "/properties/steps/prefixItems/"+strconv.Itoa(k), k)
		}
		b.WriteString(`],`)
	}
	b.WriteString(`"items":`)
	step(&b, "/properties/steps/items", -1)
	b.WriteString(`}},"required":["thought","steps"]}`)
	return json.RawMessage(b.String())
}

// refPatterns returns the pattern of a whole-reference string and of a
// plain string whose references may only name refs (nil: any reference).
func refPatterns(refs []string) (whole, plain string) {
	if refs == nil {
		return refPattern, ""
	}
	names := `(?:` + strings.Join(refs, "|") + `)`
	ref := `\$\{` + names + `(?:[.\[][^}]*)?\}`
	return `^` + ref + `$`, `^(?:[^$]|\$[^{]|` + ref + `)*\$?$`
}

// argsSchema returns a tool's Parameters schema transformed for plans;
// prefix is the JSON pointer at which it is placed in the plan schema.
//
// With refs set (a numbered step), a reference may only name one of refs,
// in a whole-reference argument and inside any plain string argument.
func argsSchema(params json.RawMessage, prefix string, refs []string) string {
	const anyObject = `{"type":"object"}`
	v, err := decodeOrdered(params)
	if err != nil {
		return anyObject
	}
	root, ok := v.(*object)
	if !ok {
		return anyObject
	}
	root.del("$schema")
	root.del("$id")

	// Relax the top-level arguments, remembering the pointers whose
	// targets moved under anyOf/0.
	whole, plain := refPatterns(refs)
	ref := newObject()
	ref.set("type", "string")
	ref.set("pattern", whole)
	var moved []string
	wrap := func(s any) any {
		return newObject().set("anyOf", []any{s, ref})
	}
	for _, kw := range []string{"properties", "patternProperties"} {
		props, ok := root.get(kw).(*object)
		if !ok {
			continue
		}
		for _, k := range props.keys {
			s := stripAnnotations(props.vals[k])
			switch {
			case !takesAnyString(s):
				props.vals[k] = wrap(s)
				moved = append(moved, "/"+kw+"/"+escapePointer(k))
			case plain != "" && isStringType(s):
				props.vals[k] = newObject().set("type", "string").set("pattern", plain)
			}
		}
	}
	if ap, ok := root.get("additionalProperties").(*object); ok && !takesAnyString(stripAnnotations(ap)) {
		root.set("additionalProperties", wrap(ap))
		moved = append(moved, "/additionalProperties")
	}

	walkSchema(root, true, func(o *object, local bool) {
		for _, k := range annotationKeys {
			o.del(k)
		}
		r, ok := o.get("$ref").(string)
		if !ok || !local || (r != "#" && !strings.HasPrefix(r, "#/")) {
			return
		}
		ptr := r[1:]
		for _, m := range moved {
			if ptr == m || strings.HasPrefix(ptr, m+"/") {
				ptr = m + "/anyOf/0" + ptr[len(m):]
				break
			}
		}
		o.set("$ref", "#"+prefix+ptr)
	})
	var b bytes.Buffer
	encodeOrdered(&b, root)
	return b.String()
}

// annotationKeys are the keywords dropped from tools' schemas: they do not
// constrain values.
var annotationKeys = []string{"title", "description", "default", "examples", "example", "$comment", "deprecated", "readOnly", "writeOnly"}

// takesAnyString reports whether schema s (annotations stripped) allows
// every string, so that a reference needs no extra branch.
func takesAnyString(s any) bool {
	switch t := s.(type) {
	case bool:
		return t
	case *object:
		switch len(t.keys) {
		case 0:
			return true
		case 1:
			return t.get("type") == "string"
		}
	}
	return false
}

// isStringType reports whether s is exactly {"type":"string"}.
func isStringType(s any) bool {
	o, ok := s.(*object)
	return ok && len(o.keys) == 1 && o.get("type") == "string"
}

// stripAnnotations drops annotations from s and its subschemas in place
// and returns s.
func stripAnnotations(s any) any {
	walkSchema(s, false, func(o *object, _ bool) {
		for _, k := range annotationKeys {
			o.del(k)
		}
	})
	return s
}

// Keywords whose values are schemas, maps of schemas or lists of schemas.
var (
	schemaKeys = map[string]bool{
		"items": true, "additionalItems": true, "additionalProperties": true,
		"unevaluatedProperties": true, "unevaluatedItems": true, "not": true,
		"if": true, "then": true, "else": true, "contains": true,
		"propertyNames": true, "contentSchema": true,
	}
	schemaMapKeys = map[string]bool{
		"properties": true, "patternProperties": true, "$defs": true,
		"definitions": true, "dependentSchemas": true, "dependencies": true,
	}
	schemaListKeys = map[string]bool{"anyOf": true, "allOf": true, "oneOf": true, "prefixItems": true}
)

// walkSchema calls fn on every schema object in s, keyword-aware (property
// names are never taken for keywords). local is false below a nested $id,
// where "#" refers to that resource rather than to s.
func walkSchema(s any, local bool, fn func(o *object, local bool)) {
	o, ok := s.(*object)
	if !ok {
		if l, ok := s.([]any); ok { // draft-07 tuple items
			for _, x := range l {
				walkSchema(x, local, fn)
			}
		}
		return
	}
	if _, ok := o.vals["$id"]; ok {
		local = false
	}
	fn(o, local)
	for _, k := range o.keys {
		v := o.vals[k]
		switch {
		case schemaKeys[k]:
			walkSchema(v, local, fn)
		case schemaListKeys[k]:
			if l, ok := v.([]any); ok {
				for _, x := range l {
					walkSchema(x, local, fn)
				}
			}
		case schemaMapKeys[k]:
			if m, ok := v.(*object); ok {
				for _, mk := range m.keys {
					walkSchema(m.vals[mk], local, fn)
				}
			}
		}
	}
}

func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// object is a JSON object that keeps its keys' order (a grammar emits
// properties in schema order).
type object struct {
	keys []string
	vals map[string]any
}

func newObject() *object { return &object{vals: map[string]any{}} }

func (o *object) get(k string) any { return o.vals[k] }

func (o *object) set(k string, v any) *object {
	if _, ok := o.vals[k]; !ok {
		o.keys = append(o.keys, k)
	}
	o.vals[k] = v
	return o
}

func (o *object) del(k string) {
	if _, ok := o.vals[k]; !ok {
		return
	}
	delete(o.vals, k)
	for i, x := range o.keys {
		if x == k {
			o.keys = append(o.keys[:i], o.keys[i+1:]...)
			return
		}
	}
}

// decodeOrdered decodes one JSON value: objects as *object, arrays as
// []any, numbers as json.Number.
func decodeOrdered(data []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	v, err := decodeValue(d, 0)
	if err != nil {
		return nil, err
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, errors.New("planner: data after the JSON value")
	}
	return v, nil
}

func decodeValue(d *json.Decoder, depth int) (any, error) {
	if depth > 256 {
		return nil, errors.New("planner: JSON nested too deeply")
	}
	tok, err := d.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			o := newObject()
			for d.More() {
				kt, err := d.Token()
				if err != nil {
					return nil, err
				}
				k, _ := kt.(string)
				v, err := decodeValue(d, depth+1)
				if err != nil {
					return nil, err
				}
				o.set(k, v)
			}
			if _, err := d.Token(); err != nil {
				return nil, err
			}
			return o, nil
		case '[':
			l := []any{}
			for d.More() {
				v, err := decodeValue(d, depth+1)
				if err != nil {
					return nil, err
				}
				l = append(l, v)
			}
			if _, err := d.Token(); err != nil {
				return nil, err
			}
			return l, nil
		}
		return nil, errors.New("planner: unexpected delimiter")
	}
	return tok, nil
}

// encodeOrdered writes v compactly, objects in their keys' order.
func encodeOrdered(b *bytes.Buffer, v any) {
	switch t := v.(type) {
	case *object:
		b.WriteByte('{')
		for i, k := range t.keys {
			if i > 0 {
				b.WriteByte(',')
			}
			encodeString(b, k)
			b.WriteByte(':')
			encodeOrdered(b, t.vals[k])
		}
		b.WriteByte('}')
	case []any:
		b.WriteByte('[')
		for i, x := range t {
			if i > 0 {
				b.WriteByte(',')
			}
			encodeOrdered(b, x)
		}
		b.WriteByte(']')
	case string:
		encodeString(b, t)
	case json.Number:
		b.WriteString(t.String())
	case bool:
		b.WriteString(strconv.FormatBool(t))
	default:
		b.WriteString("null")
	}
}

func encodeString(b *bytes.Buffer, s string) {
	e := json.NewEncoder(b)
	e.SetEscapeHTML(false)
	_ = e.Encode(s)         // a string always encodes
	b.Truncate(b.Len() - 1) // the newline Encode adds
}
