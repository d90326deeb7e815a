package constrain_test

import (
	"encoding/json"
	"math/rand/v2"
	"testing"

	"github.com/plait-ai/plait/llm/local/constrain"
)

// testSchemas are schemas of many shapes; every output sampled under their
// grammars must validate.
var testSchemas = []struct {
	name   string
	schema string
}{
	{"flat-object", `{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"},"ok":{"type":"boolean"},"score":{"type":"number"},"none":{"type":"null"}},"required":["name","age"]}`},
	{"nested", `{"type":"object","properties":{"user":{"type":"object","properties":{"id":{"type":"integer","minimum":1},"tags":{"type":"array","items":{"type":"string","maxLength":8}}},"required":["id"]},"meta":{"type":"object","properties":{"a":{"type":"object","properties":{"b":{"type":"boolean"}},"required":["b"]}}}},"required":["user"]}`},
	{"array-bounds", `{"type":"array","items":{"type":"integer","minimum":-5,"maximum":250},"minItems":2,"maxItems":5}`},
	{"enum-const", `{"type":"object","properties":{"color":{"enum":["red","green","blue\"q",null,3,{"k":[1,2]}]},"kind":{"const":"fixed"},"unit":{"type":"string","enum":["c","f",1]}},"required":["color","kind","unit"],"additionalProperties":false}`},
	{"union", `{"anyOf":[{"type":"string","minLength":2},{"type":"integer"},{"type":"object","properties":{"x":{"type":"number"}},"required":["x"]},{"type":"array","items":{"type":"boolean"},"maxItems":3}]}`},
	{"oneOf-disjoint", `{"oneOf":[{"type":"object","properties":{"kind":{"const":"circle"},"r":{"type":"number","minimum":0}},"required":["kind","r"],"additionalProperties":false},{"type":"object","properties":{"kind":{"const":"square"},"side":{"type":"integer","exclusiveMinimum":0}},"required":["kind","side"],"additionalProperties":false}]}`},
	{"recursive-tree", `{"$defs":{"node":{"type":"object","properties":{"value":{"type":"integer"},"children":{"type":"array","items":{"$ref":"#/$defs/node"},"maxItems":3}},"required":["value"]}},"$ref":"#/$defs/node"}`},
	{"recursive-root", `{"type":"object","properties":{"name":{"type":"string","maxLength":5},"next":{"anyOf":[{"$ref":"#"},{"type":"null"}]}},"required":["name","next"]}`},
	{"nullable-types", `{"type":"object","properties":{"a":{"type":["string","null"]},"b":{"type":["integer","boolean"]}},"required":["a","b"]}`},
	{"strings", `{"type":"object","properties":{"zip":{"type":"string","pattern":"^[0-9]{5}(-[0-9]{4})?$"},"code":{"type":"string","pattern":"[A-Z]{2}"},"short":{"type":"string","minLength":2,"maxLength":4},"day":{"type":"string","format":"date"},"at":{"type":"string","format":"date-time"},"id":{"type":"string","format":"uuid"},"ip":{"type":"string","format":"ipv4"},"t":{"type":"string","format":"time"},"uni":{"type":"string","pattern":"^[а-я😀é]+$","maxLength":6}},"required":["zip","code","short","day","at","id","ip","t","uni"]}`},
	{"numbers", `{"type":"object","properties":{"p":{"type":"number","minimum":0,"maximum":1},"q":{"type":"number","exclusiveMinimum":-2,"exclusiveMaximum":3},"r":{"type":"integer","minimum":-1000,"maximum":-7},"s":{"type":"number","minimum":2.5},"t":{"type":"integer","maximum":12},"u":{"type":"number","maximum":-0.5}},"required":["p","q","r","s","t","u"]}`},
	{"map", `{"type":"object","additionalProperties":{"type":"integer"}}`},
	{"props-and-extra", `{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":{"type":"boolean"}}`},
	{"tuple", `{"type":"array","prefixItems":[{"type":"string"},{"type":"integer"},{"enum":["x","y"]}],"items":false,"minItems":2}`},
	{"tuple-draft7", `{"$schema":"http://json-schema.org/draft-07/schema#","type":"array","items":[{"type":"boolean"},{"type":"null"}],"additionalItems":{"type":"integer"},"maxItems":4}`},
	{"allOf", `{"allOf":[{"type":"object","properties":{"a":{"type":"integer"}},"required":["a"]},{"properties":{"b":{"type":"string"},"a":{"minimum":3}},"required":["b"]}]}`},
	{"ref-siblings", `{"$defs":{"base":{"type":"object","properties":{"id":{"type":"string"}},"required":["id"]}},"type":"object","properties":{"item":{"$ref":"#/$defs/base","properties":{"n":{"type":"integer"}},"required":["n"]}},"required":["item"]}`},
	{"any", `{}`},
	{"true", `true`},
	{"any-in-object", `{"type":"object","properties":{"payload":{},"list":{"type":"array"}},"required":["payload","list"]}`},
	{"definitions-draft7", `{"$schema":"http://json-schema.org/draft-07/schema#","definitions":{"pt":{"type":"object","properties":{"x":{"type":"number"},"y":{"type":"number"}},"required":["x","y"],"additionalProperties":false}},"type":"array","items":{"$ref":"#/definitions/pt"},"minItems":1}`},
	{"optional-only", `{"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"integer"},"c":{"type":"integer"}},"additionalProperties":false}`},
	{"string-root", `{"type":"string"}`},
	{"number-root", `{"type":"number"}`},
}

func TestRandomModelAlwaysValid(t *testing.T) {
	vocabs := []struct {
		name string
		load func(testing.TB) constrain.Vocab
	}{}
	_ = vocabs
	type vv struct {
		name string
		v    *constrain.Vocab
	}
	bv := byteVocab()
	sv := synthVocab(4000, 7)
	list := []vv{
		{"bytes", constrain.NewVocab(bv.tokens, bv.eos)},
		{"synthetic", constrain.NewVocab(sv.tokens, sv.eos)},
	}
	seeds := 10
	if testing.Short() || raceEnabled {
		seeds = 4
	}
	for _, tc := range testSchemas {
		t.Run(tc.name, func(t *testing.T) {
			g, err := constrain.CompileSchema([]byte(tc.schema), constrain.Options{})
			if err != nil {
				t.Fatal(err)
			}
			val := validator(t, []byte(tc.schema))
			for _, v := range list {
				for seed := range seeds {
					r := rand.New(rand.NewPCG(uint64(seed), 99))
					out, n := generate(t, g, v.v, r, 40, 5000)
					if n >= 5000 {
						t.Fatalf("%s seed %d: did not finish: %q", v.name, seed, out)
					}
					if err := checkValid(val, out); err != nil {
						t.Fatalf("%s seed %d: %q: %v", v.name, seed, out, err)
					}
				}
			}
		})
	}
}

// TestRealVocabularies samples with the real tokenizer vocabularies.
func TestRealVocabularies(t *testing.T) {
	names := []string{"ggml-vocab-llama-spm.gguf", "ggml-vocab-gpt-2.gguf", "ggml-vocab-deepseek-llm.gguf"}
	seeds := 2
	if testing.Short() || raceEnabled {
		seeds = 1
		names = names[:2]
	}
	for _, name := range names {
		lv := realVocab(t, name)
		v := constrain.NewVocab(lv.tokens, lv.eos)
		t.Run(name, func(t *testing.T) {
			for _, tc := range testSchemas {
				g, err := constrain.CompileSchema([]byte(tc.schema), constrain.Options{})
				if err != nil {
					t.Fatal(err)
				}
				val := validator(t, []byte(tc.schema))
				for seed := range seeds {
					r := rand.New(rand.NewPCG(uint64(seed), 7))
					out, n := generate(t, g, v, r, 30, 3000)
					if n >= 3000 {
						t.Fatalf("%s seed %d: did not finish: %q", tc.name, seed, out)
					}
					if err := checkValid(val, out); err != nil {
						t.Fatalf("%s seed %d: %q: %v", tc.name, seed, out, err)
					}
				}
			}
		})
	}
}

func TestFlexibleWhitespace(t *testing.T) {
	bv := byteVocab()
	v := constrain.NewVocab(bv.tokens, bv.eos)
	for _, tc := range testSchemas {
		g, err := constrain.CompileSchema([]byte(tc.schema), constrain.Options{Whitespace: constrain.Flexible, MaxWhitespace: 3})
		if err != nil {
			t.Fatal(err)
		}
		val := validator(t, []byte(tc.schema))
		for seed := range 2 {
			r := rand.New(rand.NewPCG(uint64(seed), 3))
			out, _ := generate(t, g, v, r, 60, 5000)
			if err := checkValid(val, out); err != nil {
				t.Fatalf("%s seed %d: %q: %v", tc.name, seed, out, err)
			}
		}
	}
	_ = json.Valid
}
