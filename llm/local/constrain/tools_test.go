package constrain_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/plait-ai/plait/internal/testenv"
	"github.com/plait-ai/plait/llm/local/constrain"
)

var weatherTools = []constrain.Tool{
	{Name: "get_weather", Parameters: json.RawMessage(`{"type":"object","properties":{"city":{"type":"string","maxLength":20},"unit":{"enum":["c","f"]}},"required":["city"]}`)},
	{Name: "add_event", Parameters: json.RawMessage(`{"$defs":{"when":{"type":"string","format":"date"}},"type":"object","properties":{"title":{"type":"string"},"on":{"$ref":"#/$defs/when"},"attendees":{"type":"array","items":{"type":"string","maxLength":10},"maxItems":3}},"required":["title","on"],"additionalProperties":false}`)},
	{Name: "noop", Parameters: nil},
}

func TestToolCalls(t *testing.T) {
	bv := byteVocab()
	sv := synthVocab(3000, 9)
	vocabs := []*constrain.Vocab{constrain.NewVocab(bv.tokens, bv.eos), constrain.NewVocab(sv.tokens, sv.eos)}
	for _, parallel := range []bool{false, true} {
		g, err := constrain.CompileToolCalls(weatherTools, constrain.ToolCallOptions{Parallel: parallel, MaxCalls: 3})
		if err != nil {
			t.Fatal(err)
		}
		schema, err := constrain.ToolCallSchema(weatherTools, "", parallel)
		if err != nil {
			t.Fatal(err)
		}
		val := validator(t, schema)
		names := map[string]bool{}
		for _, v := range vocabs {
			for seed := range 8 {
				out, _ := generate(t, g, v, rand.New(rand.NewPCG(uint64(seed), 1)), 40, 5000)
				if err := checkValid(val, out); err != nil {
					t.Fatalf("parallel=%v: %q: %v", parallel, out, err)
				}
				var calls []struct{ Name string }
				if parallel {
					json.Unmarshal(out, &calls)
				} else {
					calls = make([]struct{ Name string }, 1)
					json.Unmarshal(out, &calls[0])
				}
				for _, c := range calls {
					names[c.Name] = true
				}
			}
		}
		if len(names) != len(weatherTools) {
			t.Errorf("parallel=%v: only tools %v were ever called", parallel, names)
		}
	}
	// A named tool choice: only that tool.
	g, err := constrain.CompileToolCalls(weatherTools[1:2], constrain.ToolCallOptions{ArgumentsKey: "parameters"})
	if err != nil {
		t.Fatal(err)
	}
	m := g.NewMatcher()
	if !m.Accept([]byte(`{"name":"add_event","parameters":{"title":"x","on":"2024-05-06"}}`)) || !m.Done() {
		t.Error("named call rejected")
	}
	if g.NewMatcher().Accept([]byte(`{"name":"get_weather"`)) {
		t.Error("other tool accepted")
	}
}

func TestToolCallsWrapped(t *testing.T) {
	g, err := constrain.CompileToolCalls(weatherTools, constrain.ToolCallOptions{Parallel: true, CallPrefix: "<tool_call>\n", CallSuffix: "\n</tool_call>"})
	if err != nil {
		t.Fatal(err)
	}
	schema, _ := constrain.ToolCallSchema(weatherTools, "", false)
	val := validator(t, schema)
	sv := synthVocab(3000, 2)
	v := constrain.NewVocab(sv.tokens, sv.eos)
	for seed := range 8 {
		out, _ := generate(t, g, v, rand.New(rand.NewPCG(uint64(seed), 4)), 60, 5000)
		parts := strings.Split(string(out), "\n")
		if len(parts)%3 != 0 {
			t.Fatalf("%q: not wrapped calls", out)
		}
		for i := 0; i < len(parts); i += 3 {
			if parts[i] != "<tool_call>" || parts[i+2] != "</tool_call>" {
				t.Fatalf("%q: bad wrapping", out)
			}
			if err := checkValid(val, []byte(parts[i+1])); err != nil {
				t.Fatalf("%q: %v", parts[i+1], err)
			}
		}
	}
	if _, err := constrain.CompileToolCalls(nil, constrain.ToolCallOptions{}); !errors.Is(err, constrain.ErrNoTools) {
		t.Errorf("no tools: %v", err)
	}
}

type bfclEntry struct {
	ID       string `json:"id"`
	Function []struct {
		Name       string          `json:"name"`
		Parameters json.RawMessage `json:"parameters"`
	} `json:"function"`
}

// bfclToJSONSchema rewrites BFCL's dialect into JSON Schema.
func bfclToJSONSchema(raw json.RawMessage) json.RawMessage {
	var fix func(v any) any
	fix = func(v any) any {
		switch t := v.(type) {
		case map[string]any:
			for k, x := range t {
				if k != "properties" && k != "type" {
					t[k] = fix(x)
				}
			}
			if p, ok := t["properties"].(map[string]any); ok {
				for k, x := range p {
					p[k] = fix(x)
				}
			}
			switch t["type"] {
			case "dict":
				t["type"] = "object"
			case "float":
				t["type"] = "number"
			case "tuple":
				t["type"] = "array"
			case "any":
				delete(t, "type")
			}
			return t
		case []any:
			for i := range t {
				t[i] = fix(t[i])
			}
		}
		return v
	}
	// Keep property order: decode with order-preserving tokens is not
	// needed for correctness here, since both the grammar and the
	// validator see the same re-encoded schema.
	var v any
	json.Unmarshal(raw, &v)
	out, _ := json.Marshal(fix(v))
	return out
}

// TestBFCLToolCalls samples parallel tool calls for real function sets.
func TestBFCLToolCalls(t *testing.T) {
	path := testenv.Shared(t, "bfcl", "BFCL_v4_parallel_multiple.json")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sv := synthVocab(3000, 3)
	v := constrain.NewVocab(sv.tokens, sv.eos)
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	n, limit := 0, 100
	if testing.Short() || raceEnabled {
		limit = 15
	}
	for sc.Scan() && n < limit {
		var e bfclEntry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatal(err)
		}
		n++
		var tools []constrain.Tool
		for _, fn := range e.Function {
			tools = append(tools, constrain.Tool{Name: fn.Name, Parameters: bfclToJSONSchema(fn.Parameters)})
		}
		g, err := constrain.CompileToolCalls(tools, constrain.ToolCallOptions{Parallel: true, MaxCalls: 4})
		if err != nil {
			t.Fatalf("%s: %v", e.ID, err)
		}
		schema, _ := constrain.ToolCallSchema(tools, "", true)
		val := validator(t, schema)
		out, _ := generate(t, g, v, rand.New(rand.NewPCG(uint64(n), 8)), 50, 5000)
		if err := checkValid(val, out); err != nil {
			t.Fatalf("%s: %q: %v", e.ID, out, err)
		}
	}
	if n == 0 {
		t.Fatal("no entries")
	}
	_ = bytes.MinRead
}
