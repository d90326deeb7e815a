package constrain

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Whitespace is the policy for insignificant whitespace in JSON output.
type Whitespace int

const (
	// Compact allows no insignificant whitespace: {"a":1,"b":[2,3]}. It is
	// the default because small models tend to loop on whitespace.
	Compact Whitespace = iota
	// Flexible allows runs of up to Options.MaxWhitespace spaces, tabs and
	// newlines after '{', '[', ',' and ':' and before '}' and ']', enough
	// for pretty-printed JSON.
	Flexible
)

// Options tune schema compilation. The zero value is the default: compact
// JSON, declared properties only, errors on keywords that cannot be
// enforced.
type Options struct {
	// Whitespace is the whitespace policy (default Compact).
	Whitespace Whitespace
	// MaxWhitespace bounds a run of whitespace under Flexible (default 16).
	MaxWhitespace int
	// AllowExtraProperties lets objects that declare properties but say
	// nothing about additionalProperties carry other keys too. By default
	// only declared properties are emitted (a valid subset, and what
	// OpenAI's strict mode assumes). Objects without declared properties
	// (maps) always allow other keys unless additionalProperties is false.
	AllowExtraProperties bool
	// MaxDigits bounds the digits of the integer part and of the fraction
	// of generated numbers (default 15), so that every number fits a
	// float64 and a run of digits cannot go on for ever. Exponents have at
	// most two digits.
	MaxDigits int
	// Lax ignores keywords that cannot be enforced (uniqueItems, contains,
	// not, if/then/else, patternProperties, propertyNames, dependencies, and
	// patterns outside the supported regex subset) instead of failing. The
	// output may then violate those keywords; validate it afterwards.
	Lax bool
}

func (o Options) withDefaults() Options {
	if o.MaxWhitespace <= 0 {
		o.MaxWhitespace = 16
	}
	if o.MaxDigits <= 0 {
		o.MaxDigits = 15
	}
	if o.MaxDigits > 18 {
		o.MaxDigits = 18
	}
	return o
}

// ErrUnsupported is wrapped by errors for schema features the compiler
// cannot enforce. Options.Lax turns some of them into relaxations.
var ErrUnsupported = errors.New("unsupported schema feature")

// ErrUnsatisfiable is wrapped by errors for schemas that no value satisfies
// (or none the grammar can produce, such as a required property whose
// schema is false).
var ErrUnsatisfiable = errors.New("schema has no valid instance")

// SchemaError reports where in the schema compilation failed.
type SchemaError struct {
	Path string // JSON pointer into the schema document, e.g. "#/properties/a"
	Err  error
}

func (e *SchemaError) Error() string {
	return fmt.Sprintf("constrain: schema at %s: %v", e.Path, e.Err)
}

func (e *SchemaError) Unwrap() error { return e.Err }

// CompileSchema compiles a JSON Schema document (draft-04 to 2020-12; see
// the package documentation for the keywords enforced) into a grammar of
// its JSON instances.
func CompileSchema(schema []byte, opts Options) (*Grammar, error) {
	doc, err := decodeOrdered(schema)
	if err != nil {
		return nil, fmt.Errorf("constrain: schema is not valid JSON: %w", err)
	}
	c := newCompiler(opts)
	c.index(doc, "")
	root := c.ruleFor(doc, ctx{base: doc, path: "#"})
	return c.finish(root)
}

// CompileSchemaValue is CompileSchema for a schema held as a Go value (a
// map, a struct, json.RawMessage...). Maps have no key order, so their
// properties are emitted in sorted order; pass JSON text to CompileSchema
// to keep the document's order.
func CompileSchemaValue(schema any, opts Options) (*Grammar, error) {
	if raw, ok := schema.(json.RawMessage); ok {
		return CompileSchema(raw, opts)
	}
	if raw, ok := schema.([]byte); ok {
		return CompileSchema(raw, opts)
	}
	data, err := json.Marshal(schema)
	if err != nil {
		return nil, fmt.Errorf("constrain: encode schema: %w", err)
	}
	return CompileSchema(data, opts)
}

type ctx struct {
	base any    // the resource root "#" refers to
	path string // for errors
}

type ruleKey struct {
	s    any // *obj or bool
	base any
}

type pending struct {
	rule int32
	s    any
	cx   ctx
}

type compiler struct {
	b       *builder
	o       Options
	ids     map[string]any
	anchors map[string]any
	rules   map[ruleKey]int32
	queue   []pending
	err     error
	merges  int
}

func newCompiler(opts Options) *compiler {
	return &compiler{
		b:       newBuilder(),
		o:       opts.withDefaults(),
		ids:     map[string]any{},
		anchors: map[string]any{},
		rules:   map[ruleKey]int32{},
	}
}

func (c *compiler) fail(cx ctx, err error) frag {
	if c.err == nil {
		c.err = &SchemaError{Path: cx.path, Err: err}
	}
	return c.b.never()
}

func (c *compiler) finish(root int32) (*Grammar, error) {
	for len(c.queue) > 0 && c.err == nil && c.b.err == nil {
		p := c.queue[0]
		c.queue = c.queue[1:]
		prev := c.b.cur
		c.b.cur = p.rule
		f := c.value(p.s, p.cx)
		c.b.cur = prev
		c.b.define(p.rule, f)
	}
	if c.err != nil {
		return nil, c.err
	}
	prog, err := c.b.finish(root)
	if err != nil {
		return nil, err
	}
	return newGrammar(prog), nil
}

// index records the resources ($id) and anchors of the document.
func (c *compiler) index(v any, _ string) {
	switch t := v.(type) {
	case *obj:
		if id, ok := t.m["$id"].(string); ok {
			c.ids[strings.TrimSuffix(id, "#")] = t
		}
		if a, ok := t.m["$anchor"].(string); ok {
			c.anchors[a] = t
		}
		for _, k := range t.keys {
			if k == "enum" || k == "const" || k == "default" || k == "examples" {
				continue
			}
			c.index(t.m[k], "")
		}
	case []any:
		for _, x := range t {
			c.index(x, "")
		}
	}
}

// ruleFor returns the rule for a subschema, compiling its body later.
func (c *compiler) ruleFor(s any, cx ctx) int32 {
	k := ruleKey{s, cx.base}
	if _, ok := s.(*obj); !ok {
		k.base = nil
	}
	if r, ok := c.rules[k]; ok {
		return r
	}
	r := c.b.newRule(cx.path)
	c.rules[k] = r
	c.queue = append(c.queue, pending{r, s, cx})
	return r
}

func (c *compiler) callFor(s any, cx ctx) frag { return c.b.call(c.ruleFor(s, cx)) }

// resolve finds the target of a $ref.
func (c *compiler) resolve(ref string, cx ctx) (any, ctx, error) {
	base := cx.base
	uri, frag, _ := strings.Cut(ref, "#")
	if uri != "" {
		r, ok := c.ids[uri]
		if !ok {
			return nil, cx, fmt.Errorf("%w: $ref %q points outside the document; inline it under $defs", ErrUnsupported, ref)
		}
		base = r
	}
	if frag == "" {
		return base, ctx{base: base, path: ref}, nil
	}
	if !strings.HasPrefix(frag, "/") {
		t, ok := c.anchors[frag]
		if !ok {
			return nil, cx, fmt.Errorf("%w: $ref %q: no $anchor %q in the document", ErrUnsupported, ref, frag)
		}
		return t, ctx{base: base, path: ref}, nil
	}
	cur := base
	for _, tok := range strings.Split(frag[1:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch t := cur.(type) {
		case *obj:
			v, ok := t.m[tok]
			if !ok {
				return nil, cx, fmt.Errorf("$ref %q: no %q in the document; fix the reference", ref, tok)
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(t) {
				return nil, cx, fmt.Errorf("$ref %q: bad index %q", ref, tok)
			}
			cur = t[i]
		default:
			return nil, cx, fmt.Errorf("$ref %q does not resolve", ref)
		}
	}
	ncx := ctx{base: base, path: ref}
	if o, ok := cur.(*obj); ok {
		if _, has := o.m["$id"].(string); has {
			ncx.base = o
		}
	}
	return cur, ncx, nil
}

var annotationKeys = map[string]bool{
	"$schema": true, "$id": true, "$comment": true, "$anchor": true, "$dynamicAnchor": true,
	"$recursiveAnchor": true, "$vocabulary": true, "$defs": true, "definitions": true,
	"title": true, "description": true, "default": true, "examples": true, "example": true,
	"deprecated": true, "readOnly": true, "writeOnly": true,
	"contentEncoding": true, "contentMediaType": true, "contentSchema": true,
}

// unsupportedKeys cannot be enforced by a grammar; Lax ignores them.
var unsupportedKeys = map[string]bool{
	"not": true, "if": true, "then": true, "else": true, "propertyNames": true,
	"dependentRequired": true, "dependentSchemas": true, "dependencies": true,
	"contains": true, "minContains": true, "maxContains": true, "unevaluatedItems": true,
	"$dynamicRef": true, "$recursiveRef": true,
}

func child(cx ctx, parts ...string) ctx {
	p := cx.path
	for _, s := range parts {
		p += "/" + strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
	}
	return ctx{base: cx.base, path: p}
}

// value compiles a schema inline.
func (c *compiler) value(s any, cx ctx) frag {
	b := c.b
	if c.err != nil || b.err != nil {
		return b.never()
	}
	switch t := s.(type) {
	case bool:
		if t {
			return c.anyValue()
		}
		return b.never()
	case *obj:
		return c.object(t, cx)
	}
	return c.fail(cx, fmt.Errorf("a schema must be an object or a boolean, not %T", s))
}

func (c *compiler) object(s *obj, cx ctx) frag {
	b := c.b
	for _, k := range s.keys {
		if unsupportedKeys[k] && !c.o.Lax {
			return c.fail(cx, fmt.Errorf("%w: keyword %q cannot be enforced by a grammar; remove it or set Options.Lax", ErrUnsupported, k))
		}
	}
	if ref, ok := s.m["$ref"]; ok {
		rs, ok := ref.(string)
		if !ok {
			return c.fail(cx, errors.New("$ref must be a string"))
		}
		target, tcx, err := c.resolve(rs, cx)
		if err != nil {
			return c.fail(cx, err)
		}
		sib := withoutKeys(s, "$ref")
		if !hasAssertions(sib) {
			return c.callFor(target, tcx)
		}
		m, err := c.merge(c.deref(target, tcx), sib, cx)
		if err != nil {
			return c.fail(cx, err)
		}
		return c.value(m, cx)
	}
	if all, ok := s.m["allOf"]; ok {
		subs, ok := all.([]any)
		if !ok {
			return c.fail(cx, errors.New("allOf must be an array"))
		}
		var m any = withoutKeys(s, "allOf")
		for i, sub := range subs {
			var err error
			m, err = c.merge(m, c.deref(sub, cx), child(cx, "allOf", strconv.Itoa(i)))
			if err != nil {
				return c.fail(child(cx, "allOf", strconv.Itoa(i)), err)
			}
		}
		return c.value(m, cx)
	}
	_, hasAny := s.m["anyOf"]
	_, hasOne := s.m["oneOf"]
	if hasAny && hasOne {
		return c.fail(cx, fmt.Errorf("%w: anyOf and oneOf together; wrap one of them in allOf of simple schemas", ErrUnsupported))
	}
	if hasAny || hasOne {
		key := "anyOf"
		if hasOne {
			key = "oneOf" // compiled as anyOf: see the package documentation
		}
		subs, ok := s.m[key].([]any)
		if !ok || len(subs) == 0 {
			return c.fail(cx, fmt.Errorf("%s must be a non-empty array", key))
		}
		sib := withoutKeys(s, key)
		var fs []frag
		for i, sub := range subs {
			scx := child(cx, key, strconv.Itoa(i))
			if !hasAssertions(sib) {
				fs = append(fs, c.callFor(sub, scx))
				continue
			}
			m, err := c.merge(sib, c.deref(sub, scx), scx)
			if err != nil {
				return c.fail(scx, err)
			}
			fs = append(fs, c.value(m, scx))
		}
		return b.alt(fs...)
	}

	types, err := c.types(s)
	if err != nil {
		return c.fail(cx, err)
	}
	if ev, ok := s.m["const"]; ok {
		return c.enum([]any{ev}, types, cx)
	}
	if ev, ok := s.m["enum"]; ok {
		vals, ok := ev.([]any)
		if !ok {
			return c.fail(cx, errors.New("enum must be an array"))
		}
		return c.enum(vals, types, cx)
	}
	var fs []frag
	for _, t := range types {
		switch t {
		case "null":
			fs = append(fs, b.lit("null"))
		case "boolean":
			fs = append(fs, b.alt(b.lit("true"), b.lit("false")))
		case "string":
			fs = append(fs, c.str(s, cx))
		case "integer":
			fs = append(fs, c.number(s, true, cx))
		case "number":
			fs = append(fs, c.number(s, false, cx))
		case "object":
			fs = append(fs, c.objectType(s, cx))
		case "array":
			fs = append(fs, c.array(s, cx))
		}
	}
	if len(fs) == 0 {
		return c.fail(cx, fmt.Errorf("%w: no type is allowed", ErrUnsatisfiable))
	}
	return b.alt(fs...)
}

func withoutKeys(s *obj, keys ...string) *obj {
	o := newObj()
	for _, k := range s.keys {
		if !slices.Contains(keys, k) {
			o.set(k, s.m[k])
		}
	}
	return o
}

func hasAssertions(s *obj) bool {
	for _, k := range s.keys {
		if !annotationKeys[k] {
			return true
		}
	}
	return false
}

var allTypes = []string{"null", "boolean", "object", "array", "string", "number"}

var typeKeywords = map[string]string{
	"properties": "object", "required": "object", "additionalProperties": "object",
	"minProperties": "object", "maxProperties": "object", "unevaluatedProperties": "object",
	"patternProperties": "object",
	"items":             "array", "prefixItems": "array", "additionalItems": "array", "minItems": "array",
	"maxItems": "array", "uniqueItems": "array",
	"minLength": "string", "maxLength": "string", "pattern": "string", "format": "string",
	"minimum": "number", "maximum": "number", "exclusiveMinimum": "number",
	"exclusiveMaximum": "number", "multipleOf": "number",
}

// types returns the JSON types a schema allows, in a fixed order. Without
// "type", the types its keywords constrain are used (a valid subset), or
// every type when there are none.
func (c *compiler) types(s *obj) ([]string, error) {
	var ts []string
	switch t := s.m["type"].(type) {
	case nil:
		if _, has := s.m["type"]; has {
			return nil, errors.New("type must be a string or an array of strings")
		}
		if _, ok := s.m["enum"]; ok {
			ts = append(allTypes, "integer")
			break
		}
		if _, ok := s.m["const"]; ok {
			ts = append(allTypes, "integer")
			break
		}
		seen := map[string]bool{}
		for _, k := range s.keys {
			if tt, ok := typeKeywords[k]; ok && !seen[tt] {
				if k == "format" {
					if _, known := formats[fmtString(s.m[k])]; !known {
						continue
					}
				}
				seen[tt] = true
				ts = append(ts, tt)
			}
		}
		if len(ts) == 0 {
			ts = slices.Clone(allTypes)
		}
	case string:
		ts = []string{t}
	case []any:
		for _, x := range t {
			xs, ok := x.(string)
			if !ok {
				return nil, errors.New("type must be a string or an array of strings")
			}
			ts = append(ts, xs)
		}
	default:
		return nil, errors.New("type must be a string or an array of strings")
	}
	if n, ok := s.m["nullable"].(bool); ok && n && !slices.Contains(ts, "null") {
		ts = append(ts, "null")
	}
	for _, t := range ts {
		switch t {
		case "null", "boolean", "object", "array", "string", "number", "integer":
		default:
			return nil, fmt.Errorf("unknown type %q", t)
		}
	}
	if slices.Contains(ts, "number") {
		ts = slices.DeleteFunc(ts, func(t string) bool { return t == "integer" })
	}
	return ts, nil
}

func fmtString(v any) string { s, _ := v.(string); return s }

func (c *compiler) enum(vals []any, types []string, cx ctx) frag {
	var fs []frag
	for _, v := range vals {
		jt := jsonType(v)
		ok := slices.Contains(types, jt) || jt == "integer" && slices.Contains(types, "number")
		if !ok {
			continue
		}
		var sb strings.Builder
		encodeCompact(&sb, v)
		fs = append(fs, c.b.lit(sb.String()))
	}
	if len(fs) == 0 {
		return c.fail(cx, fmt.Errorf("%w: no enum value matches the type", ErrUnsatisfiable))
	}
	return c.b.alt(fs...)
}

// ws is the optional whitespace of the policy.
func (c *compiler) ws() frag {
	if c.o.Whitespace == Compact {
		return c.b.empty()
	}
	b := c.b
	r := b.shared("ws", func() frag {
		return b.repeat(func() frag { return b.ranges(' ', ' ', '\t', '\n', '\r', '\r') }, 0, c.o.MaxWhitespace)
	})
	return b.call(r)
}

// anyValue is any JSON value.
func (c *compiler) anyValue() frag {
	b := c.b
	var r int32
	r, ok := b.memo["any"]
	if !ok {
		r = b.newRule("any")
		b.memo["any"] = r
		prev := b.cur
		b.cur = r
		f := b.alt(
			b.lit("null"), b.lit("true"), b.lit("false"),
			b.call(c.numberRule()), b.call(c.stringRule()),
			c.objectOf(nil, nil, func() frag { return b.call(r) }),
			c.arrayOf(func() frag { return b.call(r) }),
		)
		b.cur = prev
		b.define(r, f)
	}
	return b.call(r)
}

// stringRule is any JSON string, with every valid escape.
func (c *compiler) stringRule() int32 {
	b := c.b
	return b.shared("string", func() frag {
		plain := b.call(b.charRule(runeSet{{0x20, '"' - 1}, {'"' + 1, '\\' - 1}, {'\\' + 1, 0x10FFFF}}, false))
		esc := b.seq(b.lit(`\`), b.alt(
			b.ranges('"', '"', '\\', '\\', '/', '/', 'b', 'b', 'f', 'f', 'n', 'n', 'r', 'r', 't', 't'),
			b.seq(b.lit("u"), c.hex4NoSurrogate()),
		))
		return b.seq(b.lit(`"`), b.star(b.alt(plain, esc)), b.lit(`"`))
	})
}

// hex4NoSurrogate is four hex digits outside D800-DFFF: lone surrogates
// decode to U+FFFD and would change the string.
func (c *compiler) hex4NoSurrogate() frag {
	b := c.b
	hex := func() frag { return b.ranges('0', '9', 'a', 'f', 'A', 'F') }
	return b.alt(
		b.seq(b.ranges('0', '9', 'a', 'c', 'A', 'C', 'e', 'f', 'E', 'F'), hex(), hex(), hex()),
		b.seq(b.ranges('d', 'd', 'D', 'D'), b.ranges('0', '7'), hex(), hex()),
	)
}

func (c *compiler) digits(lo, hi int) frag {
	b := c.b
	return b.repeat(func() frag { return b.byteRange('0', '9') }, lo, hi)
}

// numberRule is any JSON number within the digit bounds.
func (c *compiler) numberRule() int32 {
	b := c.b
	d := c.o.MaxDigits
	return b.shared("number", func() frag {
		return b.seq(
			b.opt(b.lit("-")),
			b.alt(b.lit("0"), b.seq(b.byteRange('1', '9'), c.digits(0, d-1))),
			b.opt(b.seq(b.lit("."), c.digits(1, d))),
			b.opt(b.seq(b.ranges('e', 'e', 'E', 'E'), b.opt(b.ranges('+', '+', '-', '-')), c.digits(1, 2))),
		)
	})
}

func (c *compiler) integerRule() int32 {
	b := c.b
	d := c.o.MaxDigits
	return b.shared("integer", func() frag {
		return b.seq(
			b.opt(b.lit("-")),
			b.alt(b.lit("0"), b.seq(b.byteRange('1', '9'), c.digits(0, d-1))),
		)
	})
}

// objectOf builds an object whose members are the declared properties in
// order (optional ones may be left out) followed, when extra is non-nil,
// by any number of other keys (not among the declared) with values from
// extra.
type prop struct {
	key      string
	required bool
	value    func() frag
}

func (c *compiler) objectOf(props []prop, declared []string, extra func() frag) frag {
	b := c.b
	n := len(props)
	start, end := b.state(), b.state()
	open := b.seq(b.lit("{"), c.ws())
	b.eps(start, open.s)
	A := make([]int32, n+1) // nothing emitted yet
	B := make([]int32, n+1) // something emitted
	for i := range A {
		A[i], B[i] = b.state(), b.state()
	}
	b.eps(open.e, A[0])
	for i, p := range props {
		key := quote(p.key) + ":"
		f := b.seq(b.lit(key), c.ws(), p.value())
		b.eps(A[i], f.s)
		b.eps(f.e, B[i+1])
		g := b.seq(b.lit(","), c.ws(), b.lit(key), c.ws(), p.value())
		b.eps(B[i], g.s)
		b.eps(g.e, B[i+1])
		if !p.required {
			b.eps(A[i], A[i+1])
			b.eps(B[i], B[i+1])
		}
	}
	if extra != nil {
		keyStr := func() frag {
			if len(declared) == 0 {
				return b.call(c.stringRule())
			}
			r := b.shared("key-except:"+strings.Join(declared, "\x00"), func() frag {
				f, err := b.lowerString(exceptStrings(declared), 0, -1, false)
				if err != nil {
					return b.never()
				}
				return b.seq(b.lit(`"`), f, b.lit(`"`))
			})
			return b.call(r)
		}
		member := func() frag { return b.seq(keyStr(), b.lit(":"), c.ws(), extra()) }
		f := member()
		b.eps(A[n], f.s)
		b.eps(f.e, B[n])
		g := b.seq(b.lit(","), c.ws(), member())
		b.eps(B[n], g.s)
		b.eps(g.e, B[n])
	}
	closeEmpty := b.lit("}")
	b.eps(A[n], closeEmpty.s)
	b.eps(closeEmpty.e, end)
	closeFull := b.seq(c.ws(), b.lit("}"))
	b.eps(B[n], closeFull.s)
	b.eps(closeFull.e, end)
	return frag{start, end}
}

// arrayOf is an array of any length of items.
func (c *compiler) arrayOf(item func() frag) frag {
	b := c.b
	return b.alt(
		b.seq(b.lit("["), c.ws(), b.lit("]")),
		b.seq(b.lit("["), c.ws(), item(), b.star(b.seq(b.lit(","), c.ws(), item())), c.ws(), b.lit("]")),
	)
}

func (c *compiler) objectType(s *obj, cx ctx) frag {
	if n, ok := num(s.m["minProperties"]); ok && n > 0 {
		req, _ := s.m["required"].([]any)
		if float64(len(req)) < n {
			return c.fail(cx, fmt.Errorf("%w: minProperties above the number of required properties; list the properties as required", ErrUnsupported))
		}
	}
	props, _ := s.m["properties"].(*obj)
	if props == nil {
		props = newObj()
	}
	required := map[string]bool{}
	var reqOrder []string
	if rv, ok := s.m["required"].([]any); ok {
		for _, r := range rv {
			if rs, ok := r.(string); ok && !required[rs] {
				required[rs] = true
				reqOrder = append(reqOrder, rs)
			}
		}
	}
	addl, hasAddl := s.m["additionalProperties"]
	if !hasAddl {
		if u, ok := s.m["unevaluatedProperties"]; ok {
			addl, hasAddl = u, true
		}
	}
	var extraSchema any
	switch {
	case hasAddl:
		if bv, ok := addl.(bool); !ok || bv {
			extraSchema = addl
		}
	case len(props.keys) == 0 || c.o.AllowExtraProperties:
		extraSchema = true
	}
	if _, ok := s.m["patternProperties"]; ok && extraSchema != nil && !c.o.Lax {
		return c.fail(cx, fmt.Errorf("%w: patternProperties on an object that allows other keys; set additionalProperties to false or use Options.Lax", ErrUnsupported))
	}
	if mp, ok := num(s.m["maxProperties"]); ok {
		if extraSchema != nil || float64(len(props.keys)) > mp {
			if float64(len(reqOrder)) > mp {
				return c.fail(cx, fmt.Errorf("%w: more required properties than maxProperties", ErrUnsatisfiable))
			}
			return c.fail(cx, fmt.Errorf("%w: maxProperties that the declared properties can exceed", ErrUnsupported))
		}
	}
	var ps []prop
	var declared []string
	for _, k := range props.keys {
		ps0 := props.m[k]
		declared = append(declared, k)
		if bv, ok := ps0.(bool); ok && !bv {
			if required[k] {
				return c.fail(child(cx, "properties", k), fmt.Errorf("%w: required property %q has schema false", ErrUnsatisfiable, k))
			}
			continue
		}
		pcx := child(cx, "properties", k)
		ps = append(ps, prop{key: k, required: required[k], value: func() frag { return c.callFor(ps0, pcx) }})
	}
	for _, k := range reqOrder {
		if _, ok := props.m[k]; ok {
			continue
		}
		if extraSchema == nil {
			return c.fail(cx, fmt.Errorf("%w: required property %q is not declared and other properties are not allowed", ErrUnsatisfiable, k))
		}
		declared = append(declared, k)
		es := extraSchema
		acx := child(cx, "additionalProperties")
		ps = append(ps, prop{key: k, required: true, value: func() frag { return c.callFor(es, acx) }})
	}
	var extra func() frag
	if extraSchema != nil {
		es := extraSchema
		acx := child(cx, "additionalProperties")
		extra = func() frag { return c.callFor(es, acx) }
	}
	return c.objectOf(ps, declared, extra)
}

const maxUnroll = 1 << 14

func (c *compiler) array(s *obj, cx ctx) frag {
	b := c.b
	if u, ok := s.m["uniqueItems"].(bool); ok && u && !c.o.Lax {
		if mx, ok := num(s.m["maxItems"]); !ok || mx > 1 {
			return c.fail(cx, fmt.Errorf("%w: uniqueItems cannot be enforced by a grammar; drop it, set maxItems to 1, or set Options.Lax", ErrUnsupported))
		}
	}
	var prefix []any
	var rest any = true
	if pi, ok := s.m["prefixItems"].([]any); ok {
		prefix = pi
		if it, ok := s.m["items"]; ok {
			rest = it
		}
	} else if it, ok := s.m["items"]; ok {
		if arr, ok := it.([]any); ok {
			prefix = arr
			if ai, ok := s.m["additionalItems"]; ok {
				rest = ai
			}
		} else {
			rest = it
		}
	}
	minN, maxN := 0, -1
	if v, ok := num(s.m["minItems"]); ok {
		minN = int(math.Ceil(v))
	}
	if v, ok := num(s.m["maxItems"]); ok {
		maxN = int(math.Floor(v))
	}
	if bv, ok := rest.(bool); ok && !bv {
		if maxN < 0 || maxN > len(prefix) {
			maxN = len(prefix)
		}
	}
	if maxN >= 0 && minN > maxN {
		return c.fail(cx, fmt.Errorf("%w: minItems above what maxItems and items allow", ErrUnsatisfiable))
	}
	L := maxN
	if L < 0 {
		L = max(minN, len(prefix), 1)
	}
	if L > maxUnroll {
		return c.fail(cx, fmt.Errorf("%w: array bounds above %d", ErrUnsupported, maxUnroll))
	}
	item := func(i int) frag {
		if i < len(prefix) {
			return c.callFor(prefix[i], child(cx, "prefixItems", strconv.Itoa(i)))
		}
		return c.callFor(rest, child(cx, "items"))
	}
	start, end := b.state(), b.state()
	open := b.seq(b.lit("["), c.ws())
	b.eps(start, open.s)
	P := make([]int32, L+1)
	for i := range P {
		P[i] = b.state()
	}
	b.eps(open.e, P[0])
	for i := 0; i < L; i++ {
		f := item(i)
		if i > 0 {
			f = b.seq(b.lit(","), c.ws(), f)
		}
		b.eps(P[i], f.s)
		b.eps(f.e, P[i+1])
	}
	for i := minN; i <= L; i++ {
		var f frag
		if i == 0 {
			f = b.lit("]")
		} else {
			f = b.seq(c.ws(), b.lit("]"))
		}
		b.eps(P[i], f.s)
		b.eps(f.e, end)
	}
	if maxN < 0 {
		f := b.seq(b.lit(","), c.ws(), c.callFor(rest, child(cx, "items")))
		b.eps(P[L], f.s)
		b.eps(f.e, P[L])
	}
	return frag{start, end}
}

func num(v any) (float64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	f, err := n.Float64()
	return f, err == nil
}

// formats maps the formats enforced to patterns. Other formats are plain
// strings (format is an annotation by default since draft 2019-09).
var formats = map[string]string{
	"date":      `^` + datePat + `$`,
	"time":      `^` + timePat + `$`,
	"date-time": `^` + datePat + `T` + timePat + `$`,
	"uuid":      `^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`,
	"ipv4":      `^(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$`,
}

const (
	datePat = `[0-9]{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))`
	timePat = `(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]{1,9})?(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])`
)

func (c *compiler) str(s *obj, cx ctx) frag {
	b := c.b
	minL, maxL := 0, -1
	if v, ok := num(s.m["minLength"]); ok {
		minL = int(math.Ceil(v))
	}
	if v, ok := num(s.m["maxLength"]); ok {
		maxL = int(math.Floor(v))
	}
	if maxL >= 0 && minL > maxL {
		return c.fail(cx, fmt.Errorf("%w: minLength above maxLength", ErrUnsatisfiable))
	}
	var pats []string
	if p, ok := s.m["pattern"].(string); ok {
		pats = append(pats, p)
	}
	if f, ok := s.m["format"].(string); ok {
		if p, known := formats[f]; known {
			pats = append(pats, p)
		}
	}
	if len(pats) > 1 {
		if !c.o.Lax {
			return c.fail(cx, fmt.Errorf("%w: both pattern and format %q; keep one", ErrUnsupported, s.m["format"]))
		}
		pats = pats[1:] // the format
	}
	if len(pats) == 0 && minL == 0 && maxL < 0 {
		return b.call(c.stringRule())
	}
	a := anyString()
	if len(pats) == 1 {
		var err error
		a, err = regexString(pats[0])
		if err != nil {
			if !c.o.Lax {
				return c.fail(cx, err)
			}
			a = anyString()
		}
	}
	f, err := b.lowerString(a, minL, maxL, false)
	if err != nil {
		return c.fail(cx, err)
	}
	return b.seq(b.lit(`"`), f, b.lit(`"`))
}

// bound is one side of a numeric range.
type bound struct {
	v    float64
	excl bool
	set  bool
}

func (c *compiler) bounds(s *obj) (lo, hi bound) {
	if v, ok := num(s.m["minimum"]); ok {
		lo = bound{v: v, set: true}
		if e, ok := s.m["exclusiveMinimum"].(bool); ok && e {
			lo.excl = true
		}
	}
	if v, ok := num(s.m["exclusiveMinimum"]); ok && (!lo.set || v >= lo.v) {
		lo = bound{v: v, excl: true, set: true}
	}
	if v, ok := num(s.m["maximum"]); ok {
		hi = bound{v: v, set: true}
		if e, ok := s.m["exclusiveMaximum"].(bool); ok && e {
			hi.excl = true
		}
	}
	if v, ok := num(s.m["exclusiveMaximum"]); ok && (!hi.set || v <= hi.v) {
		hi = bound{v: v, excl: true, set: true}
	}
	return lo, hi
}

func (c *compiler) number(s *obj, integer bool, cx ctx) frag {
	b := c.b
	if mv, ok := num(s.m["multipleOf"]); ok {
		if mv != 1 {
			return c.fail(cx, fmt.Errorf("%w: multipleOf other than 1", ErrUnsupported))
		}
		integer = true
	}
	lo, hi := c.bounds(s)
	if !lo.set && !hi.set {
		if integer {
			return b.call(c.integerRule())
		}
		return b.call(c.numberRule())
	}
	capv := math.Pow10(c.o.MaxDigits) - 1
	// Bounds beyond the digit cap are already implied by it.
	if lo.set && lo.v < -capv {
		lo = bound{}
	}
	if hi.set && hi.v > capv {
		hi = bound{}
	}
	if lo.set && lo.v > capv || hi.set && hi.v < -capv {
		return c.fail(cx, fmt.Errorf("%w: numeric bounds beyond %d digits; raise Options.MaxDigits (at most 18)", ErrUnsupported, c.o.MaxDigits))
	}
	if integer {
		l, h := int64(-capv), int64(capv)
		if lo.set {
			v := math.Ceil(lo.v)
			if lo.excl && v == lo.v {
				v++
			}
			l = max(l, int64(v))
		}
		if hi.set {
			v := math.Floor(hi.v)
			if hi.excl && v == hi.v {
				v--
			}
			h = min(h, int64(v))
		}
		if l > h {
			return c.fail(cx, fmt.Errorf("%w: empty integer range", ErrUnsatisfiable))
		}
		return c.intRange(l, h)
	}
	f, ok := c.decimalRange(lo, hi, int64(capv))
	if !ok {
		return c.fail(cx, fmt.Errorf("%w: no number with at most %d digits fits the bounds (non-integral bounds are rounded inward)", ErrUnsatisfiable, c.o.MaxDigits))
	}
	return f
}

// intRange matches the integers in [lo, hi] written without leading zeros.
func (c *compiler) intRange(lo, hi int64) frag {
	b := c.b
	var fs []frag
	if hi >= 0 {
		fs = append(fs, c.natRange(max(lo, 0), hi))
	}
	if lo < 0 {
		l := int64(1)
		if hi < 0 {
			l = -hi
		}
		fs = append(fs, b.seq(b.lit("-"), c.natRange(l, -lo)))
	}
	return b.alt(fs...)
}

// natRange matches the naturals in [a, b].
func (c *compiler) natRange(a, z int64) frag {
	b := c.b
	as, zs := strconv.FormatInt(a, 10), strconv.FormatInt(z, 10)
	var fs []frag
	for L := len(as); L <= len(zs); L++ {
		lo, hi := int64(0), pow10(L)-1
		if L > 1 {
			lo = pow10(L - 1)
		}
		lo, hi = max(lo, a), min(hi, z)
		if lo > hi {
			continue
		}
		fs = append(fs, c.sameLen(strconv.FormatInt(lo, 10), strconv.FormatInt(hi, 10)))
	}
	return b.alt(fs...)
}

func pow10(n int) int64 {
	p := int64(1)
	for range n {
		p *= 10
	}
	return p
}

// sameLen matches the digit strings of one length between lo and hi.
func (c *compiler) sameLen(lo, hi string) frag {
	b := c.b
	if lo == "" {
		return b.empty()
	}
	if lo[0] == hi[0] {
		return b.seq(b.lit(lo[:1]), c.sameLen(lo[1:], hi[1:]))
	}
	n := len(lo) - 1
	if strings.Trim(lo[1:], "0") == "" && strings.Trim(hi[1:], "9") == "" {
		return b.seq(b.byteRange(lo[0], hi[0]), c.digits(n, n))
	}
	fs := []frag{b.seq(b.lit(lo[:1]), c.sameLen(lo[1:], strings.Repeat("9", n)))}
	if lo[0]+1 <= hi[0]-1 {
		fs = append(fs, b.seq(b.byteRange(lo[0]+1, hi[0]-1), c.digits(n, n)))
	}
	fs = append(fs, b.seq(b.lit(hi[:1]), c.sameLen(strings.Repeat("0", n), hi[1:])))
	return b.alt(fs...)
}

// endMode says which fractions are allowed at an end of a magnitude range.
type endMode int

const (
	fracAny     endMode = iota // any fraction
	fracZero                   // only zeros (the value is the bound itself)
	fracNonZero                // some non-zero digit (strictly above the bound)
	fracNone                   // the integer part is excluded
)

func (c *compiler) frac(m endMode) frag {
	b := c.b
	d := c.o.MaxDigits
	switch m {
	case fracAny:
		return b.opt(b.seq(b.lit("."), c.digits(1, d)))
	case fracZero:
		return b.opt(b.seq(b.lit("."), b.repeat(func() frag { return b.lit("0") }, 1, d)))
	case fracNonZero:
		return b.seq(b.lit("."), c.digits(0, d-1), b.byteRange('1', '9'))
	}
	return b.never()
}

// magRange matches non-negative decimals without exponent whose integer
// part is in [a, z], with the fraction rules am at a and zm at z.
func (c *compiler) magRange(a int64, am endMode, z int64, zm endMode) (frag, bool) {
	b := c.b
	var fs []frag
	if a == z {
		m := fracNone
		switch {
		case am == fracAny && zm == fracAny:
			m = fracAny
		case am == fracAny && zm == fracZero:
			m = fracZero
		case am == fracNonZero && zm == fracAny:
			m = fracNonZero
		}
		if m == fracNone {
			return frag{}, false
		}
		return b.seq(c.natRange(a, a), c.frac(m)), true
	}
	if am != fracNone {
		fs = append(fs, b.seq(c.natRange(a, a), c.frac(am)))
	}
	if a+1 <= z-1 {
		fs = append(fs, b.seq(c.natRange(a+1, z-1), c.frac(fracAny)))
	}
	if zm != fracNone {
		fs = append(fs, b.seq(c.natRange(z, z), c.frac(zm)))
	}
	if len(fs) == 0 {
		return frag{}, false
	}
	return b.alt(fs...), true
}

// decimalRange matches decimals in the bounds; non-integral bounds are
// rounded inward, which keeps every output valid.
func (c *compiler) decimalRange(lo, hi bound, capv int64) (frag, bool) {
	b := c.b
	var fs []frag
	// lower end of a magnitude range from a bound on the value
	lowEnd := func(v float64, excl bool) (int64, endMode) {
		if v != math.Trunc(v) {
			return int64(math.Ceil(v)), fracAny
		}
		if excl {
			return int64(v), fracNonZero
		}
		return int64(v), fracAny
	}
	highEnd := func(v float64, excl bool) (int64, endMode) {
		if v != math.Trunc(v) {
			return int64(math.Floor(v)), fracZero
		}
		if excl {
			return int64(v), fracNone
		}
		return int64(v), fracZero
	}
	// v >= 0
	if !hi.set || hi.v >= 0 {
		a, am := int64(0), fracAny
		if lo.set && lo.v >= 0 {
			a, am = lowEnd(lo.v, lo.excl)
		}
		z, zm := capv, fracAny
		if hi.set {
			z, zm = highEnd(hi.v, hi.excl)
		}
		if a <= z {
			if f, ok := c.magRange(a, am, z, zm); ok {
				fs = append(fs, f)
			}
		}
	}
	// v < 0: magnitude m = -v
	if !lo.set || lo.v < 0 {
		a, am := int64(0), fracNonZero // m > 0 (m = 0 is covered above when allowed)
		if hi.set && hi.v < 0 {
			a, am = lowEnd(-hi.v, hi.excl)
		}
		z, zm := capv, fracAny
		if lo.set {
			z, zm = highEnd(-lo.v, lo.excl)
		}
		if a <= z {
			if f, ok := c.magRange(a, am, z, zm); ok {
				fs = append(fs, b.seq(b.lit("-"), f))
			}
		}
	}
	if len(fs) == 0 {
		return frag{}, false
	}
	return b.alt(fs...), true
}
