package constrain_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/plait-ai/plait/llm/local/constrain"
)

func TestAcceptTable(t *testing.T) {
	tests := []struct {
		name   string
		schema string
		opts   constrain.Options
		good   []string
		bad    []string
	}{
		{"string", `{"type":"string"}`, constrain.Options{},
			[]string{`""`, `"abc"`, `"a\"b"`, `"\\"`, `"\/"`, `"\b\f\n\r\t"`, `"\u00e9"`, `"\uABCD"`, `"é中😀"`, "\"\x7f\""},
			[]string{`"`, `"a`, `abc`, `"\x"`, `"\u12"`, `"\ud800"`, `"\uDFFF"`, "\"\n\"", "\"\x01\"", "\"\xff\"", "\"\xc3\"", "\"\xed\xa0\x80\"", "\"\xc0\xaf\"", "\"\xf4\x90\x80\x80\"", `"a" `, ` "a"`}},
		{"integer", `{"type":"integer"}`, constrain.Options{},
			[]string{`0`, `-0`, `7`, `-12`, `123456789012345`},
			[]string{`01`, `-`, `1.5`, `1e3`, `+1`, `1234567890123456`, `--1`, ``}},
		{"number", `{"type":"number"}`, constrain.Options{},
			[]string{`0`, `-0.5`, `1.25`, `3e7`, `3E+07`, `-2.5e-10`, `10`},
			[]string{`.5`, `1.`, `01`, `1e`, `1e+`, `1e123`, `NaN`, `Infinity`, `0x10`}},
		{"int-range", `{"type":"integer","minimum":-15,"maximum":230}`, constrain.Options{},
			[]string{`-15`, `-9`, `0`, `9`, `10`, `99`, `100`, `199`, `229`, `230`},
			[]string{`-16`, `-20`, `231`, `240`, `300`, `1000`, `-100`}},
		{"int-exclusive", `{"type":"integer","exclusiveMinimum":0,"exclusiveMaximum":10}`, constrain.Options{},
			[]string{`1`, `9`},
			[]string{`0`, `10`, `-1`}},
		{"num-range", `{"type":"number","minimum":0,"maximum":1}`, constrain.Options{},
			[]string{`0`, `0.5`, `1`, `1.0`, `1.000`, `0.999`},
			[]string{`1.001`, `-0.1`, `2`, `1e0`}},
		{"num-excl", `{"type":"number","exclusiveMinimum":0,"exclusiveMaximum":2}`, constrain.Options{},
			[]string{`0.1`, `1`, `1.99`, `0.001`},
			[]string{`0`, `0.0`, `2`, `2.0`, `-1`}},
		{"num-negative", `{"type":"number","minimum":-3,"maximum":-1}`, constrain.Options{},
			[]string{`-1`, `-2.5`, `-3`, `-3.0`, `-1.5`},
			[]string{`-0.5`, `0`, `-3.1`, `1`}},
		{"huge-bounds", `{"type":"number","minimum":-1e300,"maximum":9007199254740991}`, constrain.Options{},
			[]string{`0`, `-5.5`, `123456789012345`},
			[]string{`1e5`, `1234567890123456`}},
		{"object", `{"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"string"},"c":{"type":"boolean"}},"required":["b"]}`, constrain.Options{},
			[]string{`{"b":""}`, `{"a":1,"b":"x"}`, `{"a":1,"b":"x","c":true}`, `{"b":"x","c":false}`},
			[]string{`{}`, `{"a":1}`, `{"b":"x","a":1}`, `{"b":"x",}`, `{,"b":"x"}`, `{"b":"x","d":1}`, `{"b":"x"} `, `{ "b":"x"}`}},
		{"object-flexible", `{"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"array","items":{"type":"integer"}}},"required":["a","b"]}`, constrain.Options{Whitespace: constrain.Flexible, MaxWhitespace: 6},
			[]string{`{"a":1,"b":[]}`, "{\n  \"a\": 1,\n  \"b\": [\n    1,\n    2\n  ]\n}", `{ "a": 1, "b": [ ] }`},
			[]string{"{       \"a\":1,\"b\":[]}", `{"a" :1,"b":[]}`, `{"a":1 ,"b":[]}`}},
		{"additional-false", `{"type":"object","properties":{"a":{"type":"integer"}},"additionalProperties":false}`, constrain.Options{},
			[]string{`{}`, `{"a":1}`},
			[]string{`{"b":1}`, `{"a":1,"b":2}`}},
		{"additional-schema", `{"type":"object","properties":{"a":{"type":"integer"}},"additionalProperties":{"type":"string"}}`, constrain.Options{},
			[]string{`{}`, `{"a":1}`, `{"a":1,"x":"y"}`, `{"x":"y","z":"w"}`, `{"ab":""}`, `{"":""}`},
			[]string{`{"x":1}`, `{"a":"s"}`, `{"x":"y","a":1}`}},
		{"extra-allowed-option", `{"type":"object","properties":{"a":{"type":"integer"}}}`, constrain.Options{AllowExtraProperties: true},
			[]string{`{"a":1,"zz":[1,{"q":null}]}`, `{"b":true}`},
			[]string{`{"a":1,"a":2}`}},
		{"map", `{"type":"object","additionalProperties":{"type":"integer"}}`, constrain.Options{},
			[]string{`{}`, `{"x":1}`, `{"x":1,"y":-2}`},
			[]string{`{"x":"1"}`, `{"x":1,}`}},
		{"array", `{"type":"array","items":{"type":"boolean"},"minItems":1,"maxItems":2}`, constrain.Options{},
			[]string{`[true]`, `[true,false]`},
			[]string{`[]`, `[true,false,true]`, `[1]`, `[true,]`}},
		{"tuple", `{"type":"array","prefixItems":[{"type":"integer"},{"type":"string"}],"items":false}`, constrain.Options{},
			[]string{`[]`, `[1]`, `[1,"a"]`},
			[]string{`["a"]`, `[1,"a",2]`}},
		{"enum", `{"enum":["a",1,null,[true],{"k":"v"}]}`, constrain.Options{},
			[]string{`"a"`, `1`, `null`, `[true]`, `{"k":"v"}`},
			[]string{`"b"`, `2`, `true`, `[false]`, `{"k":"w"}`}},
		{"const", `{"const":"x<y&z"}`, constrain.Options{},
			[]string{`"x<y&z"`},
			[]string{`"x"`, `"x\u003cy&z"`}},
		{"type-list", `{"type":["string","null"]}`, constrain.Options{},
			[]string{`"a"`, `null`},
			[]string{`1`, `nul`}},
		{"nullable", `{"type":"integer","nullable":true}`, constrain.Options{},
			[]string{`3`, `null`},
			[]string{`"3"`}},
		{"anyOf", `{"anyOf":[{"type":"integer"},{"type":"string","maxLength":1}]}`, constrain.Options{},
			[]string{`1`, `"a"`, `""`},
			[]string{`"ab"`, `true`}},
		{"lengths", `{"type":"string","minLength":2,"maxLength":3}`, constrain.Options{},
			[]string{`"ab"`, `"abc"`, `"é😀"`, `"\n\""`},
			[]string{`"a"`, `"abcd"`, `""`, `"\u0041b"`}},
		{"pattern", `{"type":"string","pattern":"^a[0-9]+(x|yz)?$"}`, constrain.Options{},
			[]string{`"a1"`, `"a123x"`, `"a0yz"`},
			[]string{`"a"`, `"b1"`, `"a1y"`, `"a1xx"`}},
		{"pattern-unanchored", `{"type":"string","pattern":"ab"}`, constrain.Options{},
			[]string{`"ab"`, `"xxabyy"`, `"aab"`},
			[]string{`"a"`, `"ba"`, `""`}},
		{"pattern-quote", `{"type":"string","pattern":"^[\"\\\\]+$"}`, constrain.Options{},
			[]string{`"\""`, `"\\\""`},
			[]string{`"""`, `"a"`}},
		{"date", `{"type":"string","format":"date"}`, constrain.Options{},
			[]string{`"2024-01-31"`, `"1999-02-28"`, `"2024-04-30"`},
			[]string{`"2024-02-30"`, `"2024-04-31"`, `"2024-13-01"`, `"24-01-01"`}},
		{"date-time", `{"type":"string","format":"date-time"}`, constrain.Options{},
			[]string{`"2024-01-31T23:59:59Z"`, `"2024-01-31T00:00:00.123+05:30"`},
			[]string{`"2024-01-31 23:59:59Z"`, `"2024-01-31T24:00:00Z"`, `"2024-01-31T23:59:59"`}},
		{"uuid", `{"type":"string","format":"uuid"}`, constrain.Options{},
			[]string{`"123e4567-e89b-12d3-a456-426614174000"`},
			[]string{`"123e4567e89b12d3a456426614174000"`, `"g23e4567-e89b-12d3-a456-426614174000"`}},
		{"ref-recursion", `{"$defs":{"l":{"type":"array","items":{"$ref":"#/$defs/l"},"maxItems":2}},"$ref":"#/$defs/l"}`, constrain.Options{},
			[]string{`[]`, `[[]]`, `[[],[[[]]]]`},
			[]string{`[[],[],[]]`, `[1]`}},
		{"allOf", `{"allOf":[{"type":"object","properties":{"a":{"type":"integer","minimum":0}},"required":["a"]},{"properties":{"a":{"maximum":5}}}]}`, constrain.Options{},
			[]string{`{"a":0}`, `{"a":5}`},
			[]string{`{"a":6}`, `{"a":-1}`, `{}`}},
		{"allOf-addl-false", `{"allOf":[{"type":"object","properties":{"a":{"type":"integer"}},"additionalProperties":false},{"properties":{"b":{"type":"integer"}}}]}`, constrain.Options{},
			[]string{`{"a":1}`, `{}`},
			[]string{`{"b":1}`, `{"a":1,"b":1}`}},
		{"anchor-and-id", `{"$id":"https://x.test/root","$defs":{"p":{"$anchor":"pos","type":"integer","minimum":1}},"type":"array","items":{"$ref":"#pos"}}`, constrain.Options{},
			[]string{`[1,2]`, `[]`},
			[]string{`[0]`}},
		{"false-prop", `{"type":"object","properties":{"a":false,"b":{"type":"integer"}}}`, constrain.Options{},
			[]string{`{"b":1}`, `{}`},
			[]string{`{"a":1}`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g, err := constrain.CompileSchema([]byte(tc.schema), tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range tc.good {
				m := g.NewMatcher()
				if !m.Accept([]byte(s)) || !m.Done() {
					t.Errorf("rejected valid %q", s)
				}
			}
			for _, s := range tc.bad {
				m := g.NewMatcher()
				if m.Accept([]byte(s)) && m.Done() {
					t.Errorf("accepted invalid %q", s)
				}
			}
		})
	}
}

// TestMatcherState checks rejection leaves the matcher intact, CanAccept,
// Clone and Reset.
func TestMatcherState(t *testing.T) {
	g, err := constrain.CompileSchema([]byte(`{"type":"object","properties":{"a":{"type":"integer"}},"required":["a"]}`), constrain.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := g.NewMatcher()
	if !m.Accept([]byte(`{"a":1`)) {
		t.Fatal("prefix rejected")
	}
	if m.Accept([]byte(`2x`)) {
		t.Fatal("accepted 2x")
	}
	if !m.CanAccept([]byte(`2}`)) || m.CanAccept([]byte(`}}`)) {
		t.Fatal("CanAccept wrong")
	}
	c := m.Clone()
	if !m.Accept([]byte(`}`)) || !m.Done() || !m.Exhausted() {
		t.Fatal("did not finish")
	}
	if c.Done() {
		t.Fatal("clone shares state")
	}
	if !c.Accept([]byte(`3}`)) || !c.Done() {
		t.Fatal("clone broken")
	}
	m.Reset()
	if m.Done() || m.Remaining() != len(`{"a":0}`) {
		t.Fatalf("reset: done=%v remaining=%d", m.Done(), m.Remaining())
	}
	if !m.AcceptEOS() == m.Done() {
		t.Fatal("EOS accepted before done")
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name, schema string
		want         error
	}{
		{"not", `{"not":{"type":"string"}}`, constrain.ErrUnsupported},
		{"if", `{"if":{"type":"string"},"then":{"minLength":1}}`, constrain.ErrUnsupported},
		{"uniqueItems", `{"type":"array","uniqueItems":true}`, constrain.ErrUnsupported},
		{"bad-pattern", `{"type":"string","pattern":"(?<=a)b"}`, constrain.ErrUnsupported},
		{"mid-anchor", `{"type":"string","pattern":"a^b"}`, constrain.ErrUnsupported},
		{"external-ref", `{"$ref":"https://example.com/s.json"}`, constrain.ErrUnsupported},
		{"unsat-required", `{"type":"object","properties":{"a":false},"required":["a"]}`, constrain.ErrUnsatisfiable},
		{"unsat-range", `{"type":"integer","minimum":5,"maximum":4}`, constrain.ErrUnsatisfiable},
		{"unsat-length", `{"type":"string","minLength":5,"maxLength":4}`, constrain.ErrUnsatisfiable},
		{"infinite", `{"type":"object","properties":{"a":{"$ref":"#"}},"required":["a"]}`, constrain.ErrUnsatisfiable},
		{"left-recursive", `{"$defs":{"a":{"anyOf":[{"$ref":"#/$defs/a"},{"type":"null"}]}},"$ref":"#/$defs/a"}`, constrain.ErrUnsupported},
		{"bad-json", `{"type":`, nil},
		{"bad-type", `{"type":"float"}`, nil},
		{"missing-ref", `{"$ref":"#/$defs/nope"}`, nil},
		{"multipleOf", `{"type":"number","multipleOf":0.5}`, constrain.ErrUnsupported},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := constrain.CompileSchema([]byte(tc.schema), constrain.Options{})
			if err == nil {
				t.Fatal("no error")
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("error %v does not wrap %v", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "constrain:") {
				t.Fatalf("error %q lacks the package prefix", err)
			}
		})
	}
	// Lax turns the unenforceable keywords into relaxations.
	for _, s := range []string{`{"not":{"type":"string"}}`, `{"type":"array","uniqueItems":true}`, `{"type":"string","pattern":"(?<=a)b"}`} {
		if _, err := constrain.CompileSchema([]byte(s), constrain.Options{Lax: true}); err != nil {
			t.Errorf("Lax %s: %v", s, err)
		}
	}
}
