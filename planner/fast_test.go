package planner

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/plait-ai/plait/llm"
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
		`{"steps":[{"id":"a","args":{"x":1}},{"id":"c","args":{"y":1}}],"steps":[{"id":"b"}]}`,
		`{"steps":[{"id":"a","deps":["q"],"deps":["r"],"args":{"x":1},"args":{"y":2}}]}`,
		`{"th\u006fught":"t","steps":[{"\u0069d":"s1","tool" :"search","args"	:{"query":"x\u0022"}}]}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var texts argTexts
		fast, ok := scanPlan(s, &texts)
		if !ok {
			if texts.read {
				t.Fatalf("scanPlan rejected %q but says it read it", s)
			}
			return
		}
		slow, err := decodePlan([]byte(s))
		if err != nil {
			t.Fatalf("scanPlan accepted what decodePlan rejects (%v): %q", err, s)
		}
		checkCompileTexts(t, s, &texts)
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

// TestScanPlanManySteps: plans with more steps than the reader keeps
// arguments for on its stack read the same as with the general reader.
func TestScanPlanManySteps(t *testing.T) {
	var b bytes.Buffer
	b.WriteString(`{"thought":"t","steps":[`)
	for i := range 20 {
		if i > 0 {
			b.WriteByte(',')
		}
		if i == 5 {
			b.WriteString(`{"id":"r5","task":"think"}`) // no arguments
			continue
		}
		deps := ""
		if i >= 2 && i != 7 {
			// Two dependencies a step: more than the reader keeps on
			// its stack too. Step 7 names its first ones again.
			deps = `"s` + string(rune('a'+i-1)) + `","s` + string(rune('a'+i-2)) + `"`
		}
		if i == 7 {
			deps = `"x"],"deps":["sa","sb","sc"`
		}
		b.WriteString(`{"id":"s` + string(rune('a'+i)) + `","task":"x","tool":"search","args":{"query":"q` + string(rune('a'+i)) + `","n":[1,{"k":"}"}]},"deps":[` + deps + `]}`)
	}
	b.WriteString(`]}`)
	var texts argTexts
	fast, ok := scanPlan(b.String(), &texts)
	if !ok {
		t.Fatal("scanPlan rejected the plan")
	}
	checkCompileTexts(t, b.String(), &texts)
	slow, err := decodePlan(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	for i := range slow.Steps {
		f, s := fast.Steps[i], slow.Steps[i]
		if f.ID != s.ID || !bytes.Equal(f.Args, s.Args) || (f.Args == nil) != (s.Args == nil) {
			t.Errorf("step %d: fast %s %s, slow %s %s", i, f.ID, f.Args, s.ID, s.Args)
		}
		if len(f.Args) > 0 && cap(f.Args) != len(f.Args) {
			t.Errorf("step %d: arguments share room with the next step's (cap %d > len %d)", i, cap(f.Args), len(f.Args))
		}
		if !reflect.DeepEqual(f.Deps, s.Deps) {
			t.Errorf("step %d: deps fast %q, slow %q", i, f.Deps, s.Deps)
		}
		if cap(f.Deps) != len(f.Deps) {
			t.Errorf("step %d: dependencies share room with the next step's (cap %d > len %d)", i, cap(f.Deps), len(f.Deps))
		}
	}
}

var fastSpecs = []llm.ToolSpec{
	{Name: "search", Description: "Search.", Parameters: json.RawMessage(`{"type":"object","properties":{"query":{"type":"string"}}}`)},
	{Name: "sum", Description: "Add.", Parameters: json.RawMessage(`{"type":"object","properties":{"values":{"type":"array"}}}`)},
}

// checkCompileTexts checks that compiling the plan s with the texts of
// its arguments as scanPlan read them (which compile does not check
// again) finds the same problems, or none, as compiling it without them,
// and that ArgsText is each step's Args either way.
func checkCompileTexts(t *testing.T, s string, texts *argTexts) {
	t.Helper()
	// Read again: compile may change the plan it compiles.
	p1, ok := scanPlan(s, nil)
	if !ok {
		t.Fatalf("scanPlan rejected %q on a second reading", s)
	}
	p2, _ := scanPlan(s, nil)
	opts := Options{Specs: fastSpecs}
	with, err1 := compile(p1, nil, opts, nil, texts)
	without, err2 := compile(p2, nil, opts, nil, nil)
	if (err1 == nil) != (err2 == nil) || (err1 != nil && err1.Error() != err2.Error()) {
		t.Fatalf("compiling %q: with the reader's texts %v, without %v", s, err1, err2)
	}
	if err1 != nil {
		return
	}
	for i := range p1.Steps {
		if !bytes.Equal(p1.Steps[i].Args, p2.Steps[i].Args) {
			t.Errorf("step %d: args %s with the reader's texts, %s without", i, p1.Steps[i].Args, p2.Steps[i].Args)
		}
		if got, want := with.ArgsText(i), string(p1.Steps[i].Args); got != want {
			t.Errorf("step %d: ArgsText %q, Args %q", i, got, want)
		}
		if got, want := without.ArgsText(i), string(p2.Steps[i].Args); got != want {
			t.Errorf("step %d: ArgsText %q without the reader's texts, Args %q", i, got, want)
		}
	}
}

// FuzzTrimSpace holds trimSpace to strings.TrimSpace.
func FuzzTrimSpace(f *testing.F) {
	for _, s := range []string{"", " ", "s1", " s1", "s1 ", "\u00a0s1", "s1\u0085", "\u3000", "é", "a\tb", "\x7f"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := trimSpace(s), strings.TrimSpace(s); got != want {
			t.Fatalf("trimSpace(%q) = %q, want %q", s, got, want)
		}
	})
}

// TestScanPlanMatchesDecodePlan: the fast reader reads well-formed plans
// of every shape the schema allows — and the same as the general reader.
func TestScanPlanMatchesDecodePlan(t *testing.T) {
	long := strings.Repeat("a long thought, with words; ", 40)
	for _, s := range []string{
		`{"thought":"t","steps":[{"id":"s1","task":"a","tool":"search","args":{"query":"x"},"deps":[]}]}`,
		`{"steps":[{"id":"s1","task":"a","tool":"search","args":{"query":"x"}}],"thought":"after"}`,
		`{"thought":"` + long + `","steps":[{"id":"s1","task":"` + long + `","tool":"search","args":{"query":"` + long + `"}}]}`,
		`{"thought":"","steps":[{"id":"s1","task":"","tool":"","args":{},"deps":[],"when":""}]}`,
		`{"thought":"é ü 日本 \u00e9 \ud83d\ude00","steps":[{"id":"s1","task":"naïve café","tool":"search","args":{"query":"日本"}}]}`,
		`{"thought":"esc \" \\ \/ \b \f \n \r \t","steps":[{"id":"s1","task":"q \"x\"","tool":"search","args":{"query":"a\"b\\c"}}]}`,
		`{"thought":"t","steps":[{"id":" s1 ","task":"  spaced  ","tool":" search ","args":{"query":"x"},"when":" len(s0) > 0 "}]}`,
		"{\n  \"thought\": \"t\",\n  \"steps\": [\n    {\n      \"id\": \"s1\",\n      \"task\": \"a\",\n      \"tool\": \"search\",\n      \"args\": { \"query\": \"x\" },\n      \"deps\": [ ]\n    },\n    {\n      \"id\": \"s2\",\n      \"task\": \"b\",\n      \"tool\": \"sum\",\n      \"args\": {\"values\": [1, 2.5, -3e2, true, false, null, {\"k\": [\"}\"]}]},\n      \"deps\": [ \"s1\" ]\n    }\n  ]\n}\n",
		`{"thought":"t","steps":[{"id":"a","task":"x","tool":"search","args":{"query":"${goal}"}},{"id":"b","task":"y","tool":"search","args":{"query":"about ${a.hits[0].url}"},"deps":["a"],"when":"len(a.hits) > 0"},{"id":"c","task":"think it over"}]}`,
		`{"thought":"t","steps":[{"id":"s1","task":"a","tool":"search","args":{"query":"x"},"deps":[]},{"id":"s2","task":"b","tool":"search","args":{"query":"y"},"deps":["s1"]},{"id":"s3","task":"c","tool":"search","args":{"query":"z"},"deps":["s1","s2"]}]}`,
		`{"thought":"t","steps":[{"tool":"search","args":{"query":"x"},"task":"order","id":"s1","deps":["s0"]}]}`,
		`{"thought":"t","steps":[{"id":"s1","task":"nested","tool":"search","args":{"a":{"b":{"c":[[],{},[{}]]}},"n":0,"m":-0.5e-3}}]}`,
		`{"thought":"t","steps":[{"id":"s1","task":"a","tool":"search","args":{"query":"\u0041\u00e9 ctrl \u001f"}}]}`,
		`{"thought":"t","steps":[{"id":"\u00e9t\u00e9","task":"a"},{"id":"x\ty","task":"b"}]}`,
		`{"thought":"t","steps":[{"id":"s1","task":"a","tool":"search","args":{"query":"x"}},{"id":"s1","task":"duplicate ids read as written"}]}`,
		// Keys written otherwise than the schema's words: escaped, with
		// space, at the very end.
		`{"th\u006fught":"t","st\u0065ps":[{"\u0069d":"s1","t\u0061sk":"a","tool" :"search","args"	:{"query":"x"},"deps" : [],"w\u0068en":"true"}]}`,
		`{"steps":[{"id":"a"}]}`,
		`{"steps":[{"id":"a","when":"b"}],"thought":"t"}`,
		`{"thought" :"t","steps"` + "\n:" + `[{"id" :"s1","task"` + "\r\n:" + `"a"}]}`,
		// Repeated keys: the last one counts, as with encoding/json.
		`{"thought":"a","thought":"b","steps":[{"id":"a","id":"b","task":"x","task":"y","args":{"x":1},"args":{"y":2},"deps":["q"],"deps":["r"]}]}`,
		`{"steps":[{"id":"a","args":{"x":1}}],"steps":[{"id":"b"}]}`,
		`{"steps":[{"id":"a","args":{"x":1}},{"id":"c","args":{"y":1}}],"steps":[{"id":"b","tool":"search"}]}`,
		`{"steps":[{"id":"a"}],"steps":[{"id":"b","args":{"y":1}},{"id":"c","args":{"z":1}}]}`,
		`{"steps":[{"id":"a","deps":["q"],"deps":[]}]}`,
	} {
		fast, ok := scanPlan(s, nil)
		if !ok {
			t.Errorf("scanPlan rejected %q", s)
			continue
		}
		slow, err := decodePlan([]byte(s))
		if err != nil {
			t.Errorf("decodePlan rejected %q: %v", s, err)
			continue
		}
		for i := range slow.Steps {
			// The fast reader copies arguments as written; the
			// general one keeps them as json.RawMessage too.
			if len(slow.Steps[i].Deps) == 0 && len(fast.Steps[i].Deps) == 0 {
				slow.Steps[i].Deps, fast.Steps[i].Deps = nil, nil
			}
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Errorf("plans differ for %q:\nfast %#v\nslow %#v", s, fast, slow)
		}
		var texts argTexts
		if _, ok := scanPlan(s, &texts); !ok || !texts.read {
			t.Errorf("scanPlan with texts rejected %q", s)
		}
		checkCompileTexts(t, s, &texts)
	}
}

// escapedStrJSON is escapedStr as encoding/json reads the string.
func escapedStrJSON(s string, start, j int) (string, int, bool) {
	for ; j < len(s); j++ {
		c := s[j]
		switch {
		case c == '\\':
			j++
		case c == '"':
			var out string
			if json.Unmarshal([]byte(s[start:j+1]), &out) != nil {
				return "", start, false
			}
			return out, j + 1, true
		case c < 0x20:
			return "", start, false
		}
	}
	return "", start, false
}

// FuzzEscapedStr holds escapedStr to encoding/json, for the strings the
// fast reader passes it: an opening quote, then text with a backslash.
func FuzzEscapedStr(f *testing.F) {
	for _, s := range []string{
		`a\"b`, `\\`, `\/\b\f\n\r\t`, `\u00e9\u0041`, `\ud83d\ude00`, `\ud83d`, `\ud83dx`, `\ude00\ud83d`,
		`\ud83d\u0041`, `\ud83d\n`, `\ud83d\uzzzz`, `\u12`, `\x`, `\'`, "\\\x01", "a\x01\\n", `é\n`, "\xff\\n",
		"\xe2\x82\\n", `\u00`, `\`, `a\nb" tail`, `\uD83D\uDE00`, `\uFFFD`, "\xed\xa0\x80\\n", strings.Repeat(`ab\n`, 100),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		lit := `"` + s + `"`
		j := strings.IndexByte(lit, '\\')
		if j < 0 {
			return
		}
		if k := strings.IndexAny(lit[1:], "\"\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f") + 1; k < j {
			return // the string ends, or fails, before its first backslash
		}
		got, end, ok := escapedStr(lit, 0, j)
		want, wantEnd, wantOK := escapedStrJSON(lit, 0, j)
		if got != want || end != wantEnd || ok != wantOK {
			t.Fatalf("escapedStr(%q) = %q, %d, %v; encoding/json reads %q, %d, %v", lit, got, end, ok, want, wantEnd, wantOK)
		}
	})
}
