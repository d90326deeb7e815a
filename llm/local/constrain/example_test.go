package constrain_test

import (
	"encoding/json"
	"fmt"

	"github.com/plait-ai/plait/llm/local/constrain"
)

// A toy vocabulary and a "model" that always prefers the first token it
// likes: the mask keeps it on the schema.
func Example() {
	g, err := constrain.CompileSchema([]byte(`{"type":"object","properties":{"ok":{"type":"boolean"},"n":{"type":"integer","minimum":1,"maximum":3}},"required":["ok","n"]}`), constrain.Options{})
	if err != nil {
		panic(err)
	}
	tokens := [][]byte{[]byte(`{"`), []byte(`ok`), []byte(`":`), []byte(`true`), []byte(`,"`), []byte(`n`), []byte(`7`), []byte(`2`), []byte(`}`), []byte("oops"), nil}
	eos := int32(len(tokens) - 1)
	v := constrain.NewVocab(tokens, []int32{eos})
	m := g.NewMatcher()
	mask := make([]uint64, v.MaskWords())
	var out []byte
	for !m.Ended() {
		mask = v.Fill(m, mask)
		for tok := int32(0); tok < int32(v.Len()); tok++ {
			if mask[tok/64]>>(tok%64)&1 == 1 {
				v.Advance(m, tok)
				out = append(out, v.TokenBytes(tok)...)
				break
			}
		}
	}
	fmt.Println(string(out))
	// Output: {"ok":true,"n":2}
}

// The union of tool-call shapes, for tool choice "required".
func ExampleCompileToolCalls() {
	tools := []constrain.Tool{
		{Name: "get_weather", Parameters: json.RawMessage(`{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}`)},
		{Name: "get_time", Parameters: json.RawMessage(`{"type":"object","properties":{"tz":{"enum":["UTC","CET"]}},"required":["tz"]}`)},
	}
	g, err := constrain.CompileToolCalls(tools, constrain.ToolCallOptions{Parallel: true})
	if err != nil {
		panic(err)
	}
	for _, s := range []string{
		`[{"name":"get_time","arguments":{"tz":"UTC"}},{"name":"get_weather","arguments":{"city":"Oslo"}}]`,
		`[{"name":"get_time","arguments":{"tz":"PST"}}]`,
		`[{"name":"delete_all","arguments":{}}]`,
	} {
		m := g.NewMatcher()
		fmt.Println(m.Accept([]byte(s)) && m.Done())
	}
	// Output:
	// true
	// false
	// false
}
