package tools

import (
	"encoding/json"
	"testing"
)

// fuzzSchemas cover every keyword the fast path decides, alone and
// together, and some it leaves to the reference validator.
var fuzzSchemas = []string{
	`{"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"number","minimum":-1.5,"exclusiveMaximum":10}},"required":["a"],"additionalProperties":false}`,
	`{"type":"object","properties":{"s":{"type":"string","minLength":2,"maxLength":4,"pattern":"^[a-zé]+$"},"e":{"enum":["x","y",null,true]}},"additionalProperties":{"type":"boolean"}}`,
	`{"type":"object","properties":{"l":{"type":"array","items":{"type":["string","null"]},"minItems":1,"maxItems":3},"o":{"type":"object","properties":{"k":{"const":"v"}},"required":["k"]}}}`,
	`{"type":"object","properties":{"n":{"anyOf":[{"type":"integer","maximum":5},{"type":"string","enum":["many"]}]},"m":{"type":"integer","minimum":0,"exclusiveMinimum":-1,"maximum":9007199254740993}}}`,
	`{"type":"object","properties":{"d":{"type":"string","format":"date-time"},"r":{"$ref":"#/$defs/r"}},"$defs":{"r":{"type":"integer"}},"required":["d"]}`,
	`{"properties":{"any":{},"no":false,"yes":true}}`,
	`{"type":"object","required":["z","a"],"properties":{"a":{"type":"string"}},"additionalProperties":{"type":"integer","maximum":3}}`,
	`{"type":"object","properties":{"query":{"type":"string"}},"required":["query"]}`,
	`{"type":"object","properties":{"q\"x":{"type":"string"},"é":{"type":["string","null"]},"a\\b":{},"k":{"type":"object","properties":{"s":{"type":"string"}},"required":["s"],"additionalProperties":false}},"additionalProperties":false}`,
}

func fuzzValidators(tb testing.TB) []*validator {
	var vs []*validator
	for i, s := range fuzzSchemas {
		v, err := compileSchema("f", json.RawMessage(s))
		if err != nil {
			tb.Fatalf("schema %d: %v", i, err)
		}
		if v.fast == nil && i < 4 {
			tb.Fatalf("schema %d has no fast path", i)
		}
		vs = append(vs, v)
	}
	return vs
}

// FuzzFastPath holds the fast path to its promise: it never accepts
// arguments that the reference validator rejects.
func FuzzFastPath(f *testing.F) {
	for _, seed := range []string{
		`{"a":1}`, `{"a":1.0}`, `{"a":1,"b":10}`, `{"a":1,"b":9.999}`, `{"a":1,"b":-1.5}`, `{"a":1,"b":-1.50000000000000001}`,
		`{"a":1,"a":"x"}`, `{"a":"x","a":1}`, `{"a":1,"c":2}`, `{"s":"ab"}`, `{"s":"ébé"}`, `{"s":"a\u00e9"}`, `{"s":"a"}`,
		`{"s":"abcde"}`, `{"s":"\xff\xfe"}`, `{"e":null}`, `{"e":true}`, `{"e":false}`, `{"e":"z"}`, `{"x":true}`, `{"x":1}`,
		`{"l":[]}`, `{"l":["a",null,"b"]}`, `{"l":["a","b","c","d"]}`, `{"o":{"k":"v"}}`, `{"o":{"k":"w"}}`, `{"o":{}}`,
		`{"n":5}`, `{"n":6}`, `{"n":"many"}`, `{"n":5.0}`, `{"m":9007199254740992}`, `{"m":9007199254740993}`, `{"m":9007199254740994}`,
		`{"m":-0}`, `{"m":1e2}`, `{"d":"2024-01-01T00:00:00Z"}`, `{"d":"nope"}`, `{"r":1,"d":"x"}`,
		`{"any":[1,{"x":[true,null]}],"yes":"q"}`, `{"no":1}`, `{}`, ` { } `, `{"a":1}x`, `{"a":01}`, `{"a":-}`, `{"a":1e}`,
		`{"a":"s","z":3}`, `{"a":"s","z":4}`, `{"a":"s"}`, `{"z":1}`,
		`{"query":"go"}`, `{"query":"go","query":1}`, `{"query":1}`, `{"querys":"x"}`, `{"quer":"x"}`, `{ "query" : "x" }`,
		`{"query":"a\"b"}`, `{"query":"\u0041"}`, `{"query":"go"`, `{"query":"go}`, `{"query"`, `{"q\"x":"a"}`, `{"é":null}`,
		`{"\u00e9":"x"}`, `{"a\\b":[1]}`, `{"k":{"s":"v"}}`, `{"k":{"s":"v","t":1}}`, `{"k":{"s":1}}`, `{"k":{}}`,
		`{"a"1}`, `{"a":1,}`, `{,"a":1}`, `[]`, `"s"`, `{"a":1`, "{\"s\":\"a\x01\"}", `{"\u0061":1}`,
	} {
		f.Add([]byte(seed))
	}
	vs := fuzzValidators(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		for i, v := range vs {
			if v.fast == nil || v.fast.validateFast(data) != fastOK {
				continue
			}
			ref := *v
			ref.fast = nil
			if err := ref.validate("f", data); err != nil {
				t.Fatalf("schema %d: the fast path accepts %q, the reference validator rejects it: %v", i, data, err)
			}
		}
	})
}

func TestFastPathDecides(t *testing.T) {
	vs := fuzzValidators(t)
	for _, tc := range []struct {
		schema int
		args   string
		want   fastResult
	}{
		{0, `{"a":1,"b":2.5}`, fastOK},
		{0, `{"b":2.5}`, fastBad},
		{0, `{"a":1,"b":11}`, fastBad},
		{0, `{"a":1,"b":10}`, fastUnknown},
		{0, `{"a":1.0}`, fastUnknown},
		{0, `{"a":1,"b":-1.5}`, fastUnknown},
		{1, `{"s":"ébé","e":null,"z":false}`, fastOK},
		{1, `{"s":"a\u00e9"}`, fastUnknown},
		{2, `{"l":["a",null],"o":{"k":"v"}}`, fastOK},
		{3, `{"n":"many"}`, fastOK},
		{3, `{"n":"few"}`, fastBad},
		{4, `{"d":"2024-01-01T00:00:00Z"}`, fastUnknown},
		{6, `{"a":"s","z":2}`, fastOK},
		{6, `{"a":"s","z":3}`, fastUnknown},
		{6, `{"a":"s","z":4}`, fastBad},
		{6, `{"a":"s"}`, fastBad},
		{7, `{"query":"go"}`, fastOK},
		{7, ` { "query" : "a\"b" } `, fastOK},
		{7, `{"querys":"x","query":"y"}`, fastOK},
		{7, `{"query":"\u00e9"}`, fastOK},
		{7, `{"query":1}`, fastBad},
		{7, `{"quer":"go"}`, fastBad},
		{7, `{"query":"go"`, fastBad},
		{7, `{"query":"go}`, fastBad},
		{7, `{}`, fastBad},
		{7, `{"\u0071uery":"go"}`, fastUnknown},
		{8, `{"é":"x","k":{"s":"v"}}`, fastOK},
		{8, `{"é":null,"a\\b":[1]}`, fastUnknown},
		{8, `{"q\"x":"a"}`, fastUnknown},
		{8, `{"k":{"s":"v","t":1}}`, fastBad},
		{8, `{"k":{"s":1}}`, fastBad},
		{8, `{"z":1}`, fastBad},
		{8, `{"k":{"s":""}}`, fastOK},
		{8, `{"k" :{"s":""} }`, fastOK},
		{8, `{"é":"","k":{"s":"v"}}`, fastOK},
		{8, `{"éé":"x"}`, fastBad},
		{8, `{"k":{"s":"v"},"k2":1}`, fastBad},
	} {
		v := vs[tc.schema]
		if v.fast == nil {
			if tc.want != fastUnknown {
				t.Errorf("schema %d: no fast path", tc.schema)
			}
			continue
		}
		if got := v.fast.validateFast([]byte(tc.args)); got != tc.want {
			t.Errorf("schema %d, %s: got %d, want %d", tc.schema, tc.args, got, tc.want)
		}
	}
}
