package planner

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// FuzzScanPlan checks that the fast reader, whenever it accepts a text,
// reads the same plan as the general one.
func FuzzScanPlan(f *testing.F) {
	for _, s := range []string{
		`{"thought":"t","steps":[{"id":"s1","task":"a","tool":"search","args":{"query":"x"},"deps":[]}]}`,
		`{"steps":[{"id":"s1","task":"a \"q\" \u00e9","tool":"","args":{},"deps":["s0"],"when":"len(s0) > 0"}],"thought":""}`,
		` { "thought" : "x" , "steps" : [ { "id" : "a" , "args" : { "k" : [1, {"b": "}"}] } } ] } `,
		`{"thought":"t","steps":[{"id":1}]}`,
		`{"thought":"t","steps":[{"id":"s1","args":{'a':1}}]}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fast, ok := scanPlan(s)
		if !ok {
			return
		}
		slow, err := decodePlan([]byte(s))
		if err != nil {
			t.Fatalf("scanPlan accepted what decodePlan rejects (%v): %q", err, s)
		}
		norm := func(p *Plan) {
			for i := range p.Steps {
				st := &p.Steps[i]
				if len(st.Deps) == 0 {
					st.Deps = nil
				}
				if len(st.Args) > 0 {
					var b bytes.Buffer
					_ = json.Compact(&b, st.Args)
					st.Args = b.Bytes()
				}
			}
		}
		norm(fast)
		norm(slow)
		if !reflect.DeepEqual(fast, slow) {
			t.Fatalf("plans differ for %q:\nfast %+v\nslow %+v", s, fast, slow)
		}
	})
}
