package constrain_test

import (
	"sync"
	"testing"

	"github.com/plait-ai/plait/llm/local/constrain"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

type compiled struct {
	g   *constrain.Grammar
	val *jsonschema.Schema
}

var (
	fuzzOnce    sync.Once
	fuzzGrammar []compiled
	fuzzVocab   *constrain.Vocab
)

func fuzzSetup(tb testing.TB) {
	fuzzOnce.Do(func() {
		for _, tc := range testSchemas {
			g, err := constrain.CompileSchema([]byte(tc.schema), constrain.Options{})
			if err != nil {
				tb.Fatal(err)
			}
			fuzzGrammar = append(fuzzGrammar, compiled{g, validator(tb, []byte(tc.schema))})
		}
		sv := synthVocab(2000, 4)
		fuzzVocab = constrain.NewVocab(sv.tokens, sv.eos)
	})
}

// FuzzAccept feeds arbitrary bytes to matchers: nothing panics, a rejected
// chunk leaves the matcher as it was, and whatever is accepted and Done
// parses as JSON and validates.
func FuzzAccept(f *testing.F) {
	for i, s := range []string{`{"name":"a","age":1}`, `[1,2]`, `{"value":1,"children":[{"value":2}]}`, `"\u00e9\ud800"`, "\"\xff\"", `{"a":null,"b":true}`, `-0.5e+3`, `{}`} {
		f.Add(uint8(i), []byte(s), uint8(3))
	}
	f.Fuzz(func(t *testing.T, which uint8, data []byte, chunk uint8) {
		fuzzSetup(t)
		c := fuzzGrammar[int(which)%len(fuzzGrammar)]
		m := c.g.NewMatcher()
		var acc []byte
		step := int(chunk%7) + 1
		for i := 0; i < len(data); i += step {
			part := data[i:min(i+step, len(data))]
			before := m.Clone()
			can := m.CanAccept(part)
			ok := m.Accept(part)
			if ok != can {
				t.Fatalf("CanAccept=%v Accept=%v", can, ok)
			}
			if !ok {
				if before.Done() != m.Done() || before.Remaining() != m.Remaining() {
					t.Fatal("rejection changed the matcher")
				}
				continue
			}
			acc = append(acc, part...)
		}
		_ = fuzzVocab.Fill(m, nil)
		if m.Done() {
			if err := checkValid(c.val, acc); err != nil {
				t.Fatalf("accepted %q: %v", acc, err)
			}
		}
	})
}

// FuzzCompileSchema compiles arbitrary schemas: errors are fine, panics and
// hangs are not, and a compiled grammar accepts nothing invalid per the
// grammar's own bookkeeping (Done implies Remaining 0).
func FuzzCompileSchema(f *testing.F) {
	for _, tc := range testSchemas {
		f.Add([]byte(tc.schema), []byte(`{"a":1}`))
	}
	f.Add([]byte(`{"type":"string","pattern":"^(a|b)*c{2,3}$"}`), []byte(`"abcc"`))
	f.Fuzz(func(t *testing.T, schema, data []byte) {
		if len(schema) > 2000 {
			return
		}
		g, err := constrain.CompileSchema(schema, constrain.Options{})
		if err != nil {
			return
		}
		m := g.NewMatcher()
		for _, b := range data {
			m.Accept([]byte{b})
		}
		if m.Done() && m.Remaining() != 0 {
			t.Fatal("done with bytes remaining")
		}
	})
}
