package tools_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/plait-ai/plait/tools"
)

type Level string

func (Level) JSONSchemaEnum() []any { return []any{"low", "high"} }

type Address struct {
	Street string  `json:"street"`
	Zip    *string `json:"zip,omitempty" jsonschema:"pattern=^[0-9]{5}$"`
}

type Order struct {
	ID       string    `json:"id" jsonschema:"format=uuid,description=The order id."`
	Qty      int       `json:"qty" jsonschema:"minimum=1,maximum=99"`
	Price    float64   `json:"price" jsonschema:"exclusiveMinimum=0"`
	Note     string    `json:"note,omitempty" jsonschema:"maxLength=20,default=none"`
	Priority Level     `json:"priority"`
	Color    string    `json:"color,omitempty" jsonschema:"enum=red,enum=green"`
	Tags     []string  `json:"tags,omitempty"`
	Ship     Address   `json:"ship"`
	Bill     *Address  `json:"bill,omitempty"`
	Due      time.Time `json:"due"`
	Ignored  string    `json:"-"`
	hidden   int
}

type described struct {
	N int `json:"n"`
}

func (described) SchemaDescription() string { return "Described by a method." }

func (described) GetFieldDocString(field string) string {
	if field == "N" {
		return "N is described by a method too."
	}
	return ""
}

type node struct {
	Name     string  `json:"name"`
	Children []*node `json:"children,omitempty"`
}

type withMap struct {
	Labels map[string]string `json:"labels"`
}

type withAny struct {
	Value any `json:"value"`
}

func specOf(t *testing.T, tool tools.Tool) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(tool.Spec().Parameters, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func prop(m map[string]any, path ...string) map[string]any {
	for _, p := range path {
		m, _ = m["properties"].(map[string]any)[p].(map[string]any)
		if m == nil {
			return nil
		}
	}
	return m
}

func TestReflectedSchema(t *testing.T) {
	tool := tools.MustFunc("order", "Places an order.", func(ctx context.Context, in Order) (Order, error) { return in, nil })
	s := specOf(t, tool)
	checks := []struct {
		path []string
		key  string
		want string
	}{
		{[]string{"id"}, "format", `"uuid"`},
		{[]string{"id"}, "description", `"The order id."`},
		{[]string{"qty"}, "minimum", `1`},
		{[]string{"qty"}, "maximum", `99`},
		{[]string{"price"}, "exclusiveMinimum", `0`},
		{[]string{"note"}, "maxLength", `20`},
		{[]string{"note"}, "default", `"none"`},
		{[]string{"priority"}, "enum", `["low","high"]`},
		{[]string{"color"}, "enum", `["red","green"]`},
		{[]string{"tags"}, "items", `{"type":"string"}`},
		{[]string{"ship", "street"}, "type", `"string"`},
		{[]string{"ship"}, "additionalProperties", `false`},
		{[]string{"bill", "zip"}, "pattern", `"^[0-9]{5}$"`},
		{[]string{"due"}, "format", `"date-time"`},
		{nil, "required", `["id","qty","price","priority","ship","due"]`},
		{nil, "additionalProperties", `false`},
	}
	for _, c := range checks {
		p := s
		if c.path != nil {
			p = prop(s, c.path...)
		}
		b, _ := json.Marshal(p[c.key])
		if string(b) != c.want {
			t.Errorf("%v.%s = %s, want %s", c.path, c.key, b, c.want)
		}
	}
	for _, absent := range []string{"Ignored", "hidden", "-"} {
		if prop(s, absent) != nil {
			t.Errorf("%s is in the schema", absent)
		}
	}
	if _, ok := s["$schema"]; ok {
		t.Error("$schema in a tool schema")
	}

	d := tools.NewDispatcher(tools.MustSet(tool))
	good := `{"id":"0b9f7c1e-5f7d-4c1e-9a1b-2f3c4d5e6f70","qty":2,"price":9.5,"priority":"high","ship":{"street":"Main"},"due":"2026-01-02T03:04:05Z","bill":{"street":"x","zip":"12345"}}`
	r := d.Call(context.Background(), llmCall("order", good))
	if r.Err != nil {
		t.Fatalf("%v", r.Err)
	}
	if out, ok := r.Output.(Order); !ok || out.Bill == nil || *out.Bill.Zip != "12345" || out.Due.Year() != 2026 {
		t.Errorf("decoded %+v", r.Output)
	}
	for _, bad := range []struct{ args, ptr string }{
		{strings.Replace(good, `"high"`, `"urgent"`, 1), "/priority"},
		{strings.Replace(good, `"12345"`, `"1234"`, 1), "/bill/zip"},
		{strings.Replace(good, `"2026-01-02T03:04:05Z"`, `"tomorrow"`, 1), "/due"},
		{strings.Replace(good, `"qty":2`, `"qty":0`, 1), "/qty"},
		{strings.Replace(good, `"price":9.5`, `"price":0`, 1), "/price"},
		{strings.Replace(good, `"id":"0b9f7c1e-5f7d-4c1e-9a1b-2f3c4d5e6f70"`, `"id":"nope"`, 1), "/id"},
		{strings.Replace(good, `{"street":"Main"}`, `{}`, 1), "/ship/street"},
	} {
		r := d.Call(context.Background(), llmCall("order", bad.args))
		var ve *tools.ValidationError
		if !errors.As(r.Err, &ve) || ve.Problems[0].Pointer != bad.ptr {
			t.Errorf("%s: err %v, want a problem at %s", bad.args, r.Err, bad.ptr)
		}
	}
}

func TestStrictSchema(t *testing.T) {
	tool, err := tools.Func("order", "", func(ctx context.Context, in Order) (string, error) { return "", nil }, tools.Strict())
	if err != nil {
		t.Fatal(err)
	}
	if !tool.Spec().Strict {
		t.Error("spec not marked strict")
	}
	s := specOf(t, tool)
	// Every object closed, every property required; optional ones nullable.
	var walk func(path string, m map[string]any)
	walk = func(path string, m map[string]any) {
		if m == nil {
			return
		}
		for _, k := range []string{"default", "maxLength", "minLength", "uniqueItems", "$schema", "examples", "title"} {
			if _, ok := m[k]; ok {
				t.Errorf("%s has %s, which strict mode rejects", path, k)
			}
		}
		if props, ok := m["properties"].(map[string]any); ok {
			if m["additionalProperties"] != false {
				t.Errorf("%s is not closed", path)
			}
			req, _ := m["required"].([]any)
			if len(req) != len(props) {
				t.Errorf("%s: required %v, properties %d", path, req, len(props))
			}
			for k, v := range props {
				walk(path+"/"+k, v.(map[string]any))
			}
		}
		if items, ok := m["items"].(map[string]any); ok {
			walk(path+"/items", items)
		}
		for _, a := range []string{"anyOf"} {
			if l, ok := m[a].([]any); ok {
				for _, x := range l {
					walk(path+"/"+a, x.(map[string]any))
				}
			}
		}
	}
	walk("", s)
	note := prop(s, "note")
	if b, _ := json.Marshal(note["type"]); string(b) != `["string","null"]` {
		t.Errorf("note type %s", b)
	}
	if d, _ := note["description"].(string); !strings.Contains(d, `Default: "none".`) || !strings.Contains(d, "At most 20 characters.") {
		t.Errorf("note description %q", d)
	}
	if b, _ := json.Marshal(prop(s, "bill")["type"]); string(b) != `["object","null"]` {
		t.Errorf("bill type %s", b)
	}
	if b, _ := json.Marshal(prop(s, "color")["enum"]); string(b) != `["red","green",null]` {
		t.Errorf("color enum %s", b)
	}
	// The constraints moved to prose are still enforced.
	d := tools.NewDispatcher(tools.MustSet(tool))
	args := `{"id":"0b9f7c1e-5f7d-4c1e-9a1b-2f3c4d5e6f70","qty":2,"price":1,"note":"this note is far too long for the limit","priority":"low","color":null,"tags":null,"ship":{"street":"a","zip":null},"bill":null,"due":"2026-01-02T03:04:05Z"}`
	if r := d.Call(context.Background(), llmCall("order", args)); !errors.Is(r.Err, tools.ErrInvalidArguments) || !strings.Contains(r.Content, "/note") {
		t.Errorf("long note: %q", r.Content)
	}
	if r := d.Call(context.Background(), llmCall("order", strings.Replace(args, "this note is far too long for the limit", "short", 1))); r.Err != nil {
		t.Errorf("strict call with nulls: %v", r.Err)
	}

	for _, tc := range []struct {
		name string
		make func() error
		want string
	}{
		{"map", func() error {
			_, err := tools.Func("m", "", func(ctx context.Context, in withMap) (string, error) { return "", nil }, tools.Strict())
			return err
		}, "/labels cannot be strict: a map"},
		{"any", func() error {
			_, err := tools.Func("a", "", func(ctx context.Context, in withAny) (string, error) { return "", nil }, tools.Strict())
			return err
		}, "/value cannot be strict"},
	} {
		if err := tc.make(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	// Without Strict, maps and any are fine.
	if _, err := tools.Func("m", "", func(ctx context.Context, in withMap) (string, error) { return "", nil }); err != nil {
		t.Error(err)
	}
}

func TestDescriptionsAndRecursion(t *testing.T) {
	tool := tools.MustFunc("described", "", func(ctx context.Context, in described) (int, error) { return in.N, nil })
	if tool.Spec().Description != "Described by a method." {
		t.Errorf("description %q", tool.Spec().Description)
	}
	if d := prop(specOf(t, tool), "n")["description"]; d != "N is described by a method too." {
		t.Errorf("field description %v", d)
	}
	tree := tools.MustFunc("tree", "Counts nodes.", func(ctx context.Context, in node) (int, error) {
		var count func(n *node) int
		count = func(n *node) int {
			c := 1
			for _, ch := range n.Children {
				c += count(ch)
			}
			return c
		}
		return count(&in), nil
	})
	if !strings.Contains(string(tree.Spec().Parameters), `"$ref":"#"`) {
		t.Errorf("recursive schema %s", tree.Spec().Parameters)
	}
	d := tools.NewDispatcher(tools.MustSet(tree))
	if r := d.Call(context.Background(), llmCall("tree", `{"name":"a","children":[{"name":"b","children":[{"name":"c"}]}]}`)); r.Content != "3" {
		t.Errorf("%q %v", r.Content, r.Err)
	}
	if r := d.Call(context.Background(), llmCall("tree", `{"name":"a","children":[{"children":[]}]}`)); !strings.Contains(r.Content, "/children/0/name") {
		t.Errorf("%q", r.Content)
	}
	if _, err := tools.Func("tree", "", func(ctx context.Context, in node) (int, error) { return 0, nil }, tools.Strict()); err != nil {
		t.Errorf("recursive strict: %v", err)
	}
	schema, err := tools.SchemaOf[Address](false)
	if err != nil || !strings.Contains(string(schema), `"street"`) {
		t.Errorf("SchemaOf: %s %v", schema, err)
	}
}

func TestOutputEncoding(t *testing.T) {
	type out struct {
		HTML string `json:"html"`
	}
	tests := []struct {
		name string
		fn   func(ctx context.Context, in struct{}) (any, error)
		want string
	}{
		{"string as is", func(ctx context.Context, in struct{}) (any, error) { return "plain <b>text</b>", nil }, "plain <b>text</b>"},
		{"struct as JSON without HTML escapes", func(ctx context.Context, in struct{}) (any, error) { return out{"<a>&"}, nil }, `{"html":"<a>&"}`},
		{"raw JSON", func(ctx context.Context, in struct{}) (any, error) { return json.RawMessage(`{"x":1}`), nil }, `{"x":1}`},
		{"nil", func(ctx context.Context, in struct{}) (any, error) { return nil, nil }, "null"},
		{"unencodable", func(ctx context.Context, in struct{}) (any, error) { return make(chan int), nil }, "cannot be encoded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := tools.NewDispatcher(tools.MustSet(tools.MustFunc("t", "", tt.fn)))
			if r := d.Call(context.Background(), llmCall("t", `{}`)); !strings.Contains(r.Content, tt.want) {
				t.Errorf("%q, want %q", r.Content, tt.want)
			}
		})
	}
}
