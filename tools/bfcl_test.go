package tools_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/plait-ai/plait/internal/testenv"
	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/tools"
)

// bfclKnownBad are the ground truths that break their own schemas, as the
// data's README lists them.
var bfclKnownBad = map[string]bool{
	"simple_python_307":    true,
	"parallel_multiple_12": true,
	"parallel_multiple_21": true,
	"parallel_multiple_26": true,
	"parallel_multiple_94": true,
}

type bfclCase struct {
	ID       string            `json:"id"`
	Function []json.RawMessage `json:"function"`
}

type bfclAnswer struct {
	ID          string                                  `json:"id"`
	GroundTruth []map[string]map[string]json.RawMessage `json:"ground_truth"`
}

func readJSONL[T any](t *testing.T, path string) []T {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []T
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		if len(strings.TrimSpace(sc.Text())) == 0 {
			continue
		}
		var v T
		d := json.NewDecoder(strings.NewReader(sc.Text()))
		d.UseNumber()
		if err := d.Decode(&v); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, v)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// pick returns the first allowed value that is not "" (which means the
// parameter may be left out; so does null, Python's None, which BFCL lists
// beside "" for parameters that default to None), with nested dicts of
// allowed values resolved the same way; ok is false when the parameter is
// to be left out.
func pick(allowed json.RawMessage) (any, bool, error) {
	var vals []any
	d := json.NewDecoder(strings.NewReader(string(allowed)))
	d.UseNumber()
	if err := d.Decode(&vals); err != nil {
		return nil, false, err
	}
	for _, v := range vals {
		if s, ok := v.(string); ok && s == "" || v == nil {
			continue
		}
		return resolve(v), true, nil
	}
	return nil, false, nil
}

// resolve turns a dict whose values are lists of allowed values into a
// plain value.
func resolve(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, allowed := range x {
			l, ok := allowed.([]any)
			if !ok {
				out[k] = resolve(allowed)
				continue
			}
			for _, a := range l {
				if s, ok := a.(string); ok && s == "" {
					continue
				}
				out[k] = resolve(a)
				break
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = resolve(e)
		}
		return out
	}
	return v
}

type paramInfo struct {
	Type  any   `json:"type"`
	Enum  []any `json:"enum"`
	Items *struct {
		Enum []any `json:"enum"`
	} `json:"items"`
}

type schemaInfo struct {
	Properties map[string]paramInfo `json:"properties"`
	Required   []string             `json:"required"`
}

// wrongValue returns a value of another JSON type than the parameter's,
// or false when the parameter takes any type.
func wrongValue(p paramInfo) (any, bool) {
	t, _ := p.Type.(string)
	switch t {
	case "string":
		return 12345, true
	case "integer", "number":
		return "not a number", true
	case "boolean":
		return "yes", true
	case "array":
		return "not a list", true
	case "object":
		return []any{"not", "an", "object"}, true
	}
	return nil, false
}

type bfclCounts struct {
	cases, functions, calls, valid, knownBad, knownBadCalls, knownBadRejected            int
	fastDecided                                                                          int
	dropped, dropTried, wrongType, wrongTried, unknownKey, unknownTried, enum, enumTried int
}

func TestBFCL(t *testing.T) {
	dir := testenv.Shared(t, "bfcl")
	files, err := filepath.Glob(filepath.Join(dir, "BFCL_v4_*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no BFCL files in %s: %v", dir, err)
	}
	sort.Strings(files)
	ctx := context.Background()
	for _, file := range files {
		category := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(file), "BFCL_v4_"), ".json")
		t.Run(category, func(t *testing.T) {
			cases := readJSONL[bfclCase](t, file)
			var answers map[string]bfclAnswer
			if ap := filepath.Join(dir, "possible_answer", filepath.Base(file)); fileExists(ap) {
				answers = map[string]bfclAnswer{}
				for _, a := range readJSONL[bfclAnswer](t, ap) {
					answers[a.ID] = a
				}
			}
			var c bfclCounts
			for _, bc := range cases {
				c.cases++
				set := &tools.Set{}
				params := map[string]schemaInfo{}
				for _, def := range bc.Function {
					spec, err := tools.FromBFCL(def)
					if err != nil {
						t.Errorf("%s: %v", bc.ID, err)
						continue
					}
					tool, err := tools.Raw(spec, func(ctx context.Context, args json.RawMessage) (any, error) { return "ok", nil })
					if err != nil {
						t.Errorf("%s: %s does not load: %v", bc.ID, spec.Name, err)
						continue
					}
					if err := set.Add(tool); err != nil {
						t.Errorf("%s: %v", bc.ID, err)
						continue
					}
					var si schemaInfo
					if err := json.Unmarshal(spec.Parameters, &si); err != nil {
						t.Fatal(err)
					}
					params[spec.Name] = si
					c.functions++
				}
				if answers == nil {
					continue
				}
				ans, ok := answers[bc.ID]
				if !ok {
					t.Errorf("%s: no answer", bc.ID)
					continue
				}
				d := tools.NewDispatcher(set)
				caseRejected := false
				for _, gt := range ans.GroundTruth {
					for name, allowed := range gt {
						c.calls++
						args := map[string]any{}
						for p, a := range allowed {
							v, present, err := pick(a)
							if err != nil {
								t.Fatalf("%s: %s: %v", bc.ID, p, err)
							}
							if present {
								args[p] = v
							}
						}
						raw, _ := json.Marshal(args)
						err := set.Validate(name, raw)
						c.agree(t, set, bc.ID, name, raw)
						if bfclKnownBad[bc.ID] {
							c.knownBadCalls++
							caseRejected = caseRejected || err != nil
							continue
						}
						if err != nil {
							t.Errorf("%s: ground truth %s(%s) rejected: %v", bc.ID, name, raw, err)
							continue
						}
						if r := d.Call(ctx, llm.ToolCall{Name: name, Arguments: raw}); r.Err != nil || r.Content != "ok" {
							t.Errorf("%s: dispatch of the ground truth failed: %v", bc.ID, r.Err)
						}
						c.valid++
						mutate(t, &c, set, bc.ID, name, params[name], args)
					}
				}
				if bfclKnownBad[bc.ID] {
					c.knownBad++
					if caseRejected {
						c.knownBadRejected++
					}
				}
			}
			t.Logf("%s: %d cases, %d functions loaded; %d ground-truth calls: %d valid, %d in known-bad cases (%d of %d such cases rejected); mutations rejected: required dropped %d/%d, wrong type %d/%d, unknown key %d/%d, outside enum %d/%d; fast path accepted %d documents alone",
				category, c.cases, c.functions, c.calls, c.valid, c.knownBadCalls, c.knownBadRejected, c.knownBad,
				c.dropped, c.dropTried, c.wrongType, c.wrongTried, c.unknownKey, c.unknownTried, c.enum, c.enumTried, c.fastDecided)
			if c.functions == 0 {
				t.Error("no functions loaded")
			}
			if answers != nil {
				if c.valid+c.knownBadCalls != c.calls || c.valid == 0 {
					t.Errorf("%d of %d calls valid", c.valid, c.calls)
				}
				if c.knownBadRejected != c.knownBad {
					t.Errorf("known-bad ground truths: %d of %d rejected", c.knownBadRejected, c.knownBad)
				}
				if c.dropped != c.dropTried || c.wrongType != c.wrongTried || c.unknownKey != c.unknownTried || c.enum != c.enumTried {
					t.Error("some mutations were accepted")
				}
				if c.unknownTried != c.valid || c.dropTried == 0 || c.wrongTried == 0 {
					t.Errorf("too few mutations tried")
				}
			}
		})
	}
}

// agree checks that the fast path never accepts what the reference
// validator rejects, and counts the calls it decides alone.
func (c *bfclCounts) agree(t *testing.T, set *tools.Set, id, name string, args json.RawMessage) {
	t.Helper()
	if tools.FastAccepts(set, name, args) {
		c.fastDecided++
		if err := tools.ReferenceValidate(set, name, args); err != nil {
			t.Errorf("%s: the fast path accepts %s(%s), which the reference validator rejects: %v", id, name, args, err)
		}
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// mutate checks that four corruptions of a valid call are rejected.
func mutate(t *testing.T, c *bfclCounts, set *tools.Set, id, name string, si schemaInfo, args map[string]any) {
	t.Helper()
	reject := func(kind string, m map[string]any, counter *int) {
		raw, _ := json.Marshal(m)
		err := set.Validate(name, raw)
		c.agree(t, set, id, name, raw)
		if err == nil {
			t.Errorf("%s: %s mutation accepted: %s(%s)", id, kind, name, raw)
			return
		}
		var ve *tools.ValidationError
		if !errors.As(err, &ve) || len(ve.Problems) == 0 {
			t.Errorf("%s: %s: untyped error %v", id, kind, err)
			return
		}
		*counter++
	}
	clone := func() map[string]any {
		m := make(map[string]any, len(args)+1)
		for k, v := range args {
			m[k] = v
		}
		return m
	}
	names := make([]string, 0, len(si.Properties))
	for p := range si.Properties {
		names = append(names, p)
	}
	sort.Strings(names)
	// 1. A required parameter dropped.
	for _, r := range si.Required {
		if _, ok := args[r]; ok {
			m := clone()
			delete(m, r)
			c.dropTried++
			reject("required dropped", m, &c.dropped)
			break
		}
	}
	// 2. A value of the wrong type.
	for _, p := range names {
		if w, ok := wrongValue(si.Properties[p]); ok {
			m := clone()
			m[p] = w
			c.wrongTried++
			reject("wrong type", m, &c.wrongType)
			break
		}
	}
	// 3. An unknown key.
	m := clone()
	m["__not_a_parameter__"] = 1
	c.unknownTried++
	reject("unknown key", m, &c.unknownKey)
	// 4. A value outside an enum.
	for _, p := range names {
		pi := si.Properties[p]
		var bad any
		switch {
		case len(pi.Enum) > 0:
			bad = outside(pi.Enum)
		case pi.Items != nil && len(pi.Items.Enum) > 0:
			bad = []any{outside(pi.Items.Enum)}
		default:
			continue
		}
		m := clone()
		m[p] = bad
		c.enumTried++
		reject("outside enum", m, &c.enum)
		break
	}
}

// outside returns a value of the enum's type that is not in it.
func outside(enum []any) any {
	switch enum[0].(type) {
	case json.Number, float64:
		for i := 987654; ; i++ {
			if !slices.ContainsFunc(enum, func(v any) bool { return jsonEq(v, i) }) {
				return i
			}
		}
	case bool:
		if slices.Contains(enum, any(true)) {
			return false
		}
		return true
	}
	return "__not_in_the_enum__"
}

func jsonEq(v any, i int) bool {
	a, _ := json.Marshal(v)
	b, _ := json.Marshal(i)
	return string(a) == string(b)
}
