package planner_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/llm/llmtest"
	"github.com/plait-ai/plait/llm/local/constrain"
	"github.com/plait-ai/plait/planner"
	"github.com/plait-ai/plait/tools"
)

// forecastIn is a reflected tool input: descriptions, bounds, an optional
// field.
type forecastIn struct {
	City string `json:"city" jsonschema:"description=The city's name."`
	Days int    `json:"days,omitempty" jsonschema:"minimum=1,maximum=7"`
}

// schemaSpecs are tools with the shapes SchemaFor must handle.
var schemaSpecs = []llm.ToolSpec{
	{Name: "search", Parameters: json.RawMessage(`{"type":"object","properties":{"query":{"type":"string","description":"What to look for."},"limit":{"type":"integer","minimum":1}},"required":["query"],"additionalProperties":false}`)},
	{Name: "convert", Parameters: json.RawMessage(`{"type":"object","properties":{"zeta":{"type":"number"},"unit":{"enum":["c","f"]},"tags":{"type":"array","items":{"type":"string"}}},"required":["zeta","unit"]}`)},
	{Name: "draw", Parameters: json.RawMessage(`{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"at":{"$ref":"#/$defs/point"},"label":{"type":"string","title":"Label"}},"required":["at"],"additionalProperties":false,"$defs":{"point":{"type":"object","properties":{"x":{"type":"integer"},"y":{"type":"integer"}},"required":["x","y"],"additionalProperties":false}}}`)},
	{Name: "alias", Parameters: json.RawMessage(`{"type":"object","properties":{"list":{"type":"array","items":{"type":"integer"}},"one":{"$ref":"#/properties/list/items"}}}`)},
	{Name: "now"},
	{Name: "broken", Parameters: json.RawMessage(`{"type":`)},
	{Name: "search", Parameters: json.RawMessage(`{"type":"object","properties":{"other":{"type":"integer"}},"required":["other"]}`)},
	{Name: "", Parameters: json.RawMessage(`{"type":"object"}`)},
}

func compileJSONSchema(t testing.TB, schema json.RawMessage) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema))
	if err != nil {
		t.Fatalf("schema is not JSON: %v\n%s", err, schema)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource("mem:///plan.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("mem:///plan.json")
	if err != nil {
		t.Fatalf("schema does not compile: %v\n%s", err, schema)
	}
	return sch
}

func validPlan(sch *jsonschema.Schema, plan string) error {
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(plan))
	if err != nil {
		return err
	}
	return sch.Validate(inst)
}

func reflectedSpecs(t testing.TB) []llm.ToolSpec {
	t.Helper()
	f, err := tools.Func("forecast", "Weather forecast.", func(ctx context.Context, in forecastIn) (string, error) { return "", nil })
	if err != nil {
		t.Fatal(err)
	}
	set, err := tools.NewSet(f)
	if err != nil {
		t.Fatal(err)
	}
	return set.Specs()
}

// plan wraps steps (JSON objects, compact) into a plan.
func plan(steps ...string) string {
	return `{"thought":"t","steps":[` + strings.Join(steps, ",") + `]}`
}

func step(id, tool, args string) string {
	return `{"id":"` + id + `","task":"do","tool":"` + tool + `","args":` + args + `,"deps":[]}`
}

type schemaCase struct {
	name  string
	plan  string
	valid bool
}

func schemaCases() []schemaCase {
	return []schemaCase{
		{"tool call", plan(step("s1", "search", `{"query":"x","limit":3}`)), true},
		{"reasoning step", plan(step("s1", "", `{}`)), true},
		{"optional arg left out", plan(step("s1", "search", `{"query":"x"}`)), true},
		{"when", plan(`{"id":"s1","task":"do","tool":"search","args":{"query":"x"},"deps":[],"when":"len(s0) > 0"}`), true},
		{"reference in an integer field", plan(step("s1", "search", `{"query":"x","limit":"${s0.n}"}`)), true},
		{"reference in a string field", plan(step("s1", "search", `{"query":"${s0.hits[0].title}"}`)), true},
		{"interpolation in a string field", plan(step("s1", "search", `{"query":"about ${s0.name}"}`)), true},
		{"reference in an enum field", plan(step("s1", "convert", `{"zeta":1,"unit":"${s0.u}"}`)), true},
		{"reference for an array", plan(step("s1", "convert", `{"zeta":1.5,"unit":"c","tags":"${s0.tags}"}`)), true},
		{"ref'd definition", plan(step("s1", "draw", `{"at":{"x":1,"y":2},"label":"p"}`)), true},
		{"reference for a ref'd object", plan(step("s1", "draw", `{"at":"${s0.point}"}`)), true},
		{"ref into a relaxed argument", plan(step("s1", "alias", `{"list":[1],"one":2}`)), true},
		{"ref into a relaxed argument: reference", plan(step("s1", "alias", `{"one":"${s0.n}"}`)), true},
		{"tool without parameters", plan(step("s1", "now", `{"anything":[1]}`)), true},
		{"tool with broken parameters", plan(step("s1", "broken", `{"a":1}`)), true},
		{"several steps", plan(step("s1", "search", `{"query":"x"}`), step("s2", "draw", `{"at":{"x":0,"y":0}}`), step("s3", "", `{}`)), true},

		{"unknown tool", plan(step("s1", "browse", `{"query":"x"}`)), false},
		{"second spec of a name ignored", plan(step("s1", "search", `{"other":1}`)), false},
		{"nameless spec ignored", plan(step("s1", "", `{"a":1}`)), false},
		{"wrong arg key", plan(step("s1", "search", `{"query":"x","lmit":3}`)), false},
		{"missing required arg", plan(step("s1", "search", `{"limit":3}`)), false},
		{"wrong arg type", plan(step("s1", "search", `{"query":"x","limit":"three"}`)), false},
		{"number in a string field", plan(step("s1", "search", `{"query":7}`)), false},
		{"constraint kept", plan(step("s1", "search", `{"query":"x","limit":0}`)), false},
		{"interpolation in an integer field", plan(step("s1", "search", `{"query":"x","limit":"${s0.n}0"}`)), false},
		{"enum kept", plan(step("s1", "convert", `{"zeta":1,"unit":"k"}`)), false},
		{"nested not relaxed", plan(step("s1", "draw", `{"at":{"x":"${s0.x}","y":2}}`)), false},
		{"ref'd definition enforced", plan(step("s1", "draw", `{"at":{"x":1}}`)), false},
		{"ref into a relaxed argument enforced", plan(step("s1", "alias", `{"one":"two"}`)), false},
		{"args of a reasoning step", plan(step("s1", "", `{"q":1}`)), false},
		{"args missing", plan(`{"id":"s1","task":"do","tool":"search","deps":[]}`), false},
		{"thought missing", `{"steps":[` + step("s1", "now", `{}`) + `]}`, false},
	}
}

func TestSchemaForValidates(t *testing.T) {
	sch := compileJSONSchema(t, planner.SchemaFor(schemaSpecs))
	for _, c := range schemaCases() {
		err := validPlan(sch, c.plan)
		if (err == nil) != c.valid {
			t.Errorf("%s: valid = %v, want %v (%v)\n%s", c.name, err == nil, c.valid, err, c.plan)
		}
	}
}

func TestSchemaForConstrains(t *testing.T) {
	g, err := constrain.CompileSchema(planner.SchemaFor(schemaSpecs), constrain.Options{})
	if err != nil {
		t.Fatalf("CompileSchema: %v", err)
	}
	cases := append(schemaCases(),
		// The grammar writes properties in schema order.
		schemaCase{"schema order", plan(step("s1", "convert", `{"zeta":1,"unit":"f","tags":["a"]}`)), true},
		schemaCase{"other order", plan(step("s1", "convert", `{"unit":"f","zeta":1}`)), false},
		schemaCase{"step keys in order", plan(`{"task":"do","id":"s1","tool":"now","args":{},"deps":[]}`), false},
	)
	for _, c := range cases {
		m := g.NewMatcher()
		ok := m.Accept([]byte(c.plan)) && m.Done()
		if ok != c.valid {
			t.Errorf("%s: accepted = %v, want %v\n%s", c.name, ok, c.valid, c.plan)
		}
	}
	// The unknown tool is rejected as soon as its name goes astray.
	m := g.NewMatcher()
	prefix := `{"thought":"t","steps":[{"id":"s1","task":"do","tool":"`
	if !m.Accept([]byte(prefix + "sea")) {
		t.Fatal("a known tool's prefix is rejected")
	}
	if m.CanAccept([]byte("x")) {
		t.Error(`"seax" is accepted as a tool name`)
	}
}

func TestSchemaForReflectedTool(t *testing.T) {
	s := planner.SchemaFor(reflectedSpecs(t))
	sch := compileJSONSchema(t, s)
	g, err := constrain.CompileSchema(s, constrain.Options{})
	if err != nil {
		t.Fatalf("CompileSchema: %v\n%s", err, s)
	}
	for _, c := range []schemaCase{
		{"valid", plan(step("s1", "forecast", `{"city":"Oslo","days":3}`)), true},
		{"reference", plan(step("s1", "forecast", `{"city":"${s0.city}","days":"${s0.days}"}`)), true},
		{"over the maximum", plan(step("s1", "forecast", `{"city":"Oslo","days":9}`)), false},
		{"unknown tool", plan(step("s1", "weather", `{"city":"Oslo"}`)), false},
	} {
		err := validPlan(sch, c.plan)
		if (err == nil) != c.valid {
			t.Errorf("%s: valid = %v, want %v (%v)", c.name, err == nil, c.valid, err)
		}
		m := g.NewMatcher()
		if ok := m.Accept([]byte(c.plan)) && m.Done(); ok != c.valid {
			t.Errorf("%s: accepted = %v, want %v", c.name, ok, c.valid)
		}
	}
	if strings.Contains(string(s), "city's name") {
		t.Error("descriptions are kept inside the branches")
	}
}

func TestSchemaForNoTools(t *testing.T) {
	for _, specs := range [][]llm.ToolSpec{nil, {}} {
		s := planner.SchemaFor(specs)
		got := compileJSONSchema(t, s)
		base := compileJSONSchema(t, planner.Schema)
		for _, c := range []struct {
			plan        string
			valid, base bool // under SchemaFor, under Schema
		}{
			{plan(step("s1", "", `{}`)), true, true},
			{plan(step("s1", "", `{}`), step("s2", "", `{}`)), true, true},
			{plan(), true, true},
			{`{"thought":"t"}`, false, false},
			{plan(`{"id":"s1","task":"do","tool":""}`), false, false},
			{plan(step("s1", "search", `{"query":"x"}`)), false, true},
		} {
			if err := validPlan(got, c.plan); (err == nil) != c.valid {
				t.Errorf("SchemaFor: %s: valid = %v, want %v", c.plan, err == nil, c.valid)
			}
			if err := validPlan(base, c.plan); (err == nil) != c.base {
				t.Errorf("Schema: %s: valid = %v, want %v", c.plan, err == nil, c.base)
			}
		}
		if _, err := constrain.CompileSchema(s, constrain.Options{}); err != nil {
			t.Errorf("CompileSchema: %v", err)
		}
	}
}

func TestPlannerSendsToolSchema(t *testing.T) {
	good := plan(step("s1", "search", `{"query":"x"}`))
	for _, c := range []struct {
		name     string
		noSchema bool
		want     json.RawMessage
	}{
		{"schema", false, planner.SchemaForNumbered(testSpecs)},
		{"no schema", true, nil},
	} {
		m := llmtest.New(llmtest.Text(good))
		p, err := planner.New(planner.Config{Model: m, Tools: exec, NoSchema: c.noSchema})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Plan(context.Background(), planner.Request{Goal: "g"}); err != nil {
			t.Fatalf("%s: Plan: %v", c.name, err)
		}
		rs := m.Requests()[0].ResponseSchema
		switch {
		case c.want == nil && rs != nil:
			t.Errorf("%s: sent a schema", c.name)
		case c.want != nil && (rs == nil || !bytes.Equal(rs.Schema, c.want)):
			t.Errorf("%s: sent %v, want SchemaForNumbered of the tools (a first plan)", c.name, rs)
		}
	}
}

func FuzzSchemaFor(f *testing.F) {
	for _, s := range schemaSpecs {
		f.Add(string(s.Parameters))
	}
	f.Add(`{"properties":{"a":{"$ref":"#/properties/b"},"b":{"type":"integer"}},"additionalProperties":{"type":"number"}}`)
	f.Add(`{"items":[{"$ref":"#"}],"properties":{"a~/b":{"type":"integer"}},"$id":"x","dependencies":{"a":["b"]}}`)
	f.Fuzz(func(t *testing.T, params string) {
		s := planner.SchemaFor([]llm.ToolSpec{{Name: "t", Parameters: json.RawMessage(params)}})
		if !json.Valid(s) {
			t.Fatalf("SchemaFor(%q) is not JSON: %s", params, s)
		}
	})
}

// benchSpecs returns n tools with varied argument schemas.
func benchSpecs(n int) []llm.ToolSpec {
	shapes := []string{
		`{"type":"object","properties":{"query":{"type":"string","description":"What to look for."},"limit":{"type":"integer","minimum":1,"maximum":50}},"required":["query"],"additionalProperties":false}`,
		`{"type":"object","properties":{"url":{"type":"string","format":"uri"},"max_bytes":{"type":"integer"}},"required":["url"],"additionalProperties":false}`,
		`{"type":"object","properties":{"values":{"type":"array","items":{"type":"number"}},"op":{"enum":["sum","mean","max"]}},"required":["values","op"],"additionalProperties":false}`,
		`{"type":"object","properties":{"title":{"type":"string","maxLength":80},"body":{"type":"string"},"tags":{"type":"array","items":{"type":"string"},"maxItems":5},"when":{"type":"string","format":"date"}},"required":["title","body"],"additionalProperties":false}`,
	}
	specs := make([]llm.ToolSpec, n)
	for i := range specs {
		specs[i] = llm.ToolSpec{Name: fmt.Sprintf("tool_%d", i), Parameters: json.RawMessage(shapes[i%len(shapes)])}
	}
	return specs
}

// BenchmarkCompileSchemaFor measures building the plan schema of n tools
// and compiling it to a grammar, as a local backend does per request.
func BenchmarkCompileSchemaFor(b *testing.B) {
	for _, n := range []int{4, 20} {
		specs := benchSpecs(n)
		s := planner.SchemaFor(specs)
		b.Run(fmt.Sprintf("tools=%d", n), func(b *testing.B) {
			b.ReportMetric(float64(len(s)), "schema-bytes")
			for b.Loop() {
				if _, err := constrain.CompileSchema(s, constrain.Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
		num := planner.SchemaForNumbered(specs)
		b.Run(fmt.Sprintf("numbered/tools=%d", n), func(b *testing.B) {
			b.ReportMetric(float64(len(num)), "schema-bytes")
			for b.Loop() {
				if _, err := constrain.CompileSchema(num, constrain.Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("SchemaFor/tools=%d", n), func(b *testing.B) {
			for b.Loop() {
				planner.SchemaFor(specs)
			}
		})
	}
}

func stepDeps(id, tool, args, deps string) string {
	return `{"id":"` + id + `","task":"do","tool":"` + tool + `","args":` + args + `,"deps":` + deps + `}`
}

// TestSchemaForNumbered checks the first-plan schema with both a
// validator and the grammar: ids s1, s2, ... in order, deps and
// references only to earlier steps or the goal.
func TestSchemaForNumbered(t *testing.T) {
	schema := planner.SchemaForNumbered(schemaSpecs)
	sch := compileJSONSchema(t, schema)
	g, err := constrain.CompileSchema(schema, constrain.Options{})
	if err != nil {
		t.Fatalf("CompileSchema: %v", err)
	}
	search := func(id, query, deps string) string {
		return stepDeps(id, "search", `{"query":"`+query+`"}`, deps)
	}
	var many []string
	for i := 1; i <= planner.NumberedSteps+2; i++ {
		many = append(many, search(fmt.Sprintf("s%d", i), "q", "[]"))
	}
	many[len(many)-1] = search("free_id", "q", "[]")
	badFree := append([]string(nil), many...)
	badFree[len(badFree)-1] = search(" {", "q", "[]")
	cases := []schemaCase{
		{"numbered", plan(search("s1", "${goal}", "[]"), search("s2", "more on ${s1.hits[0].title}", `["s1"]`)), true},
		{"whole reference in an integer", plan(search("s1", "x", "[]"), stepDeps("s2", "search", `{"query":"y","limit":"${s1.n}"}`, `["s1"]`)), true},
		{"plain dollars", plan(search("s1", "costs $5 or $", "[]")), true},
		{"steps after the numbered ones are free", plan(many...), true},
		{"first id not s1", plan(search("a", "x", "[]")), false},
		{"a free id that is not a name", plan(badFree...), false},
		{"a reasoning step without a task", plan(`{"id":"s1","task":"","tool":"","args":{},"deps":[]}`), false},
		{"a reasoning step", plan(`{"id":"s1","task":"Think","tool":"","args":{},"deps":[]}`), true},
		{"repeated id", plan(search("s1", "x", "[]"), search("s1", "y", "[]")), false},
		{"deps on itself", plan(search("s1", "x", `["s1"]`)), false},
		{"deps on a later step", plan(search("s1", "x", "[]"), search("s2", "y", `["s3"]`), search("s3", "z", "[]")), false},
		{"reference to a later step", plan(search("s1", "${s2.x}", "[]"), search("s2", "y", "[]")), false},
		{"reference inside a string to a missing step", plan(search("s1", "x", "[]"), search("s2", "about ${s9.x}", "[]")), false},
		{"whole reference to a later step in an integer", plan(stepDeps("s1", "search", `{"query":"y","limit":"${s2.n}"}`, "[]")), false},
		{"an expression", plan(search("s1", "x", "[]"), search("s2", "${len(s1.hits)}", "[]")), false},
	}
	for _, c := range cases {
		if err := validPlan(sch, c.plan); (err == nil) != c.valid {
			t.Errorf("%s: validator: err = %v, want valid %v\n%s", c.name, err, c.valid, c.plan)
		}
		m := g.NewMatcher()
		if ok := m.Accept([]byte(c.plan)) && m.Done(); ok != c.valid {
			t.Errorf("%s: grammar: accepted = %v, want %v\n%s", c.name, ok, c.valid, c.plan)
		}
	}
}
