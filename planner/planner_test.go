package planner_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/llm/llmtest"
	"github.com/plait-ai/plait/planner"
	"github.com/plait-ai/plait/tools"
)

// schemaExec is a tools.Executor for tests: it knows specs and validates
// required properties and top-level JSON types; it runs nothing.
type schemaExec struct{ specs []llm.ToolSpec }

func (e schemaExec) Specs(names ...string) []llm.ToolSpec {
	if len(names) == 0 {
		return e.specs
	}
	var out []llm.ToolSpec
	for _, s := range e.specs {
		for _, n := range names {
			if s.Name == n {
				out = append(out, s)
			}
		}
	}
	return out
}

func (e schemaExec) Validate(name string, args json.RawMessage) error {
	for _, s := range e.specs {
		if s.Name != name {
			continue
		}
		var sch struct {
			Properties map[string]struct {
				Type string `json:"type"`
			} `json:"properties"`
			Required []string `json:"required"`
		}
		if err := json.Unmarshal(s.Parameters, &sch); err != nil {
			return err
		}
		var obj map[string]any
		if err := json.Unmarshal(args, &obj); err != nil {
			return fmt.Errorf("arguments are not a JSON object: %v", err)
		}
		for _, r := range sch.Required {
			if _, ok := obj[r]; !ok {
				return fmt.Errorf("missing property %q", r)
			}
		}
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p, ok := sch.Properties[k]
			if !ok {
				return fmt.Errorf("unknown property %q", k)
			}
			if !typeOK(p.Type, obj[k]) {
				return fmt.Errorf("property %q: want %s, got %T", k, p.Type, obj[k])
			}
		}
		return nil
	}
	return fmt.Errorf("unknown tool %q", name)
}

func typeOK(t string, v any) bool {
	switch t {
	case "string":
		_, ok := v.(string)
		return ok
	case "integer":
		f, ok := v.(float64)
		return ok && f == float64(int64(f))
	case "number":
		_, ok := v.(float64)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "object":
		_, ok := v.(map[string]any)
		return ok
	}
	return true
}

func (e schemaExec) Dispatch(ctx context.Context, calls ...llm.ToolCall) []tools.Result {
	out := make([]tools.Result, len(calls))
	for i, c := range calls {
		out[i] = tools.Result{Call: c, Err: errors.New("not runnable"), Content: "not runnable"}
	}
	return out
}

var testSpecs = []llm.ToolSpec{
	{Name: "search", Description: "Search the web.", Parameters: json.RawMessage(`{"type":"object","properties":{"query":{"type":"string"},"limit":{"type":"integer"}},"required":["query"]}`)},
	{Name: "fetch", Description: "Fetch a page.", Parameters: json.RawMessage(`{"type":"object","properties":{"url":{"type":"string","format":"uri"}},"required":["url"]}`)},
	{Name: "sum", Description: "Add numbers.", Parameters: json.RawMessage(`{"type":"object","properties":{"values":{"type":"array","items":{"type":"number"}},"scale":{"type":"number"}},"required":["values"]}`)},
}

var exec = schemaExec{specs: testSpecs}

func TestParse(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		wantIDs   []string
		wantTools []string
		wantArgs  map[string]string // step id -> compact JSON args
		wantDeps  map[string][]string
		thought   string
	}{
		{
			name:      "plain JSON",
			in:        `{"thought":"two searches","steps":[{"id":"s1","task":"a","tool":"search","args":{"query":"rag"},"deps":[]},{"id":"s2","task":"b","tool":"search","args":{"query":"agents"}}]}`,
			wantIDs:   []string{"s1", "s2"},
			wantTools: []string{"search", "search"},
			wantArgs:  map[string]string{"s1": `{"query":"rag"}`},
			thought:   "two searches",
		},
		{
			name:    "fenced with prose and trailing commas",
			in:      "Let me think.\n```json\n{\"thought\": \"t\", \"steps\": [{\"id\": \"s1\", \"task\": \"a\", \"tool\": \"search\", \"args\": {\"query\": \"x\",},},],}\n```\nDone.",
			wantIDs: []string{"s1"},
			thought: "t",
		},
		{
			name:     "prose around, single quotes, unquoted keys, comments, Python literals",
			in:       "Here is my plan: {thought: 'go', steps: [{id: 's1', task: 'it\\'s', tool: 'search', args: {query: 'x', exact: True}, deps: []} // one step\n]} hope it helps",
			wantIDs:  []string{"s1"},
			wantArgs: map[string]string{"s1": `{"exact":true,"query":"x"}`},
			thought:  "go",
		},
		{
			name:     "numeric ids and $N references",
			in:       `{"thought":"","steps":[{"id":1,"task":"a","tool":"search","args":{"query":"x"}},{"id":2,"task":"b","tool":"fetch","args":{"url":"$1"},"deps":[1]}]}`,
			wantIDs:  []string{"s1", "s2"},
			wantArgs: map[string]string{"s2": `{"url":"${s1}"}`},
			wantDeps: map[string][]string{"s2": {"s1"}},
		},
		{
			name:    "bare array of steps after a think block",
			in:      `<think>hmm</think>[{"id":"a","task":"x","tool":"search","args":{"query":"q"}}]`,
			wantIDs: []string{"a"},
		},
		{
			name:    "truncated JSON is closed",
			in:      `{"thought":"t","steps":[{"id":"s1","task":"a","tool":"search","args":{"query":"x"}}`,
			wantIDs: []string{"s1"},
		},
		{
			name:      "LLMCompiler text",
			in:        "Thought: search twice, then fetch.\n1. search(query=\"rag\", limit=3)\n2. search('agents')\n3. fetch(url=$1)\n4. join()\n<END_OF_PLAN>",
			wantIDs:   []string{"s1", "s2", "s3"},
			wantTools: []string{"search", "search", "fetch"},
			wantArgs:  map[string]string{"s1": `{"limit":3,"query":"rag"}`, "s2": `{"query":"agents"}`, "s3": `{"url":"${s1}"}`},
			thought:   "search twice, then fetch.",
		},
		{
			name:      "LLMCompiler text with missing parentheses",
			in:        "1. search(query=\"rag\"\n2. search query=\"agents\"\n3. join",
			wantIDs:   []string{"s1", "s2"},
			wantTools: []string{"search", "search"},
			wantArgs:  map[string]string{"s1": `{"query":"rag"}`, "s2": `{"query":"agents"}`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := planner.Parse(tt.in, testSpecs)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			var ids, toolNames []string
			for _, s := range p.Steps {
				ids = append(ids, s.ID)
				toolNames = append(toolNames, s.Tool)
			}
			if fmt.Sprint(ids) != fmt.Sprint(tt.wantIDs) {
				t.Errorf("ids = %v, want %v", ids, tt.wantIDs)
			}
			if tt.wantTools != nil && fmt.Sprint(toolNames) != fmt.Sprint(tt.wantTools) {
				t.Errorf("tools = %v, want %v", toolNames, tt.wantTools)
			}
			for id, want := range tt.wantArgs {
				for _, s := range p.Steps {
					if s.ID == id {
						if got := compact(t, s.Args); got != want {
							t.Errorf("step %s args = %s, want %s", id, got, want)
						}
					}
				}
			}
			for id, want := range tt.wantDeps {
				for _, s := range p.Steps {
					if s.ID == id && fmt.Sprint(s.Deps) != fmt.Sprint(want) {
						t.Errorf("step %s deps = %v, want %v", id, s.Deps, want)
					}
				}
			}
			if tt.thought != "" && p.Thought != tt.thought {
				t.Errorf("thought = %q, want %q", p.Thought, tt.thought)
			}
		})
	}
}

func compact(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("args %s: %v", raw, err)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func TestParseRejects(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "   ", "empty"},
		{"prose only", "I would search the web first.", "no JSON object"},
		{"object without steps", `{"thought":"x"}`, "steps"},
		{"LLMCompiler call without parentheses or arguments", "1. search for the weather\n2. join()", `expected (arguments)`},
		{"LLMCompiler unquoted word", "1. search(query=rag)", "quote strings"},
		{"LLMCompiler too many positional", "1. fetch('a', 'b')", "positional"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := planner.Parse(tt.in, testSpecs)
			if err == nil {
				t.Fatal("Parse succeeded")
			}
			var pe *planner.ParseError
			if !errors.As(err, &pe) || !errors.Is(err, planner.ErrParse) {
				t.Fatalf("error %T is not a *ParseError", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
		})
	}
}

func mustParse(t *testing.T, s string) *planner.Plan {
	t.Helper()
	p, err := planner.Parse(s, testSpecs)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return p
}

func TestCompileProblems(t *testing.T) {
	type want struct {
		kind planner.ProblemKind
		step string
	}
	tests := []struct {
		name string
		plan string
		want []want
	}{
		{"empty plan", `{"thought":"nothing","steps":[]}`, []want{{planner.ProblemEmpty, ""}}},
		{"missing id and task", `{"steps":[{"task":"a","tool":"search","args":{"query":"x"}},{"id":"s2"}]}`,
			[]want{{planner.ProblemMissingID, "#1"}, {planner.ProblemMissingTask, "s2"}}},
		{"duplicate id", `{"steps":[{"id":"s1","task":"a","tool":"search","args":{"query":"x"}},{"id":"s1","task":"b","tool":"search","args":{"query":"y"}}]}`,
			[]want{{planner.ProblemDuplicateID, "s1"}}},
		{"unknown tool", `{"steps":[{"id":"s1","task":"a","tool":"browse","args":{}}]}`,
			[]want{{planner.ProblemUnknownTool, "s1"}}},
		{"invalid arguments", `{"steps":[{"id":"s1","task":"a","tool":"search","args":{"limit":"ten"}}]}`,
			[]want{{planner.ProblemInvalidArgs, "s1"}}},
		{"arguments not an object", `{"steps":[{"id":"s1","task":"a","tool":"search","args":["x"]}]}`,
			[]want{{planner.ProblemInvalidArgs, "s1"}}},
		{"reference to a later step", `{"steps":[{"id":"s1","task":"a","tool":"fetch","args":{"url":"${s2.url}"}},{"id":"s2","task":"b","tool":"search","args":{"query":"x"}}]}`,
			[]want{{planner.ProblemLaterStep, "s1"}}},
		{"dependency on a missing step", `{"steps":[{"id":"s1","task":"a","tool":"search","args":{"query":"x"},"deps":["s9"]}]}`,
			[]want{{planner.ProblemUnknownStep, "s1"}}},
		{"reference to a missing step", `{"steps":[{"id":"s1","task":"a","tool":"search","args":{"query":"${nope.q}"}}]}`,
			[]want{{planner.ProblemUnknownStep, "s1"}}},
		{"cycle", `{"steps":[{"id":"s1","task":"a","tool":"search","args":{"query":"x"},"deps":["s2"]},{"id":"s2","task":"b","tool":"search","args":{"query":"y"},"deps":["s1"]}]}`,
			[]want{{planner.ProblemLaterStep, "s1"}, {planner.ProblemCycle, "s1"}}},
		{"self dependency", `{"steps":[{"id":"s1","task":"a","tool":"search","args":{"query":"x"},"deps":["s1"]}]}`,
			[]want{{planner.ProblemCycle, "s1"}}},
		{"bad expression", `{"steps":[{"id":"s1","task":"a","tool":"search","args":{"query":"x"}},{"id":"s2","task":"b","tool":"search","args":{"query":"${s1.(}"},"when":"len(s1 >"}]}`,
			[]want{{planner.ProblemExpression, "s2"}}},
		{"reference where an integer goes, wrong type elsewhere", `{"steps":[{"id":"s1","task":"a","tool":"search","args":{"query":"x"}},{"id":"s2","task":"b","tool":"search","args":{"query":"${s1.q}","limit":"${s1.n}","extra":1}}]}`,
			[]want{{planner.ProblemInvalidArgs, "s2"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustParse(t, tt.plan)
			_, err := planner.Compile(p, exec, planner.Options{})
			var ve *planner.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Compile error = %v, want a *ValidationError", err)
			}
			if !errors.Is(err, planner.ErrInvalidPlan) {
				t.Error("errors.Is(err, ErrInvalidPlan) is false")
			}
			for _, w := range tt.want {
				if !ve.Has(w.kind, w.step) {
					t.Errorf("no %s problem for step %q in %v", w.kind, w.step, err)
				}
			}
		})
	}
}

func TestCompileListsEveryProblem(t *testing.T) {
	p := mustParse(t, `{"steps":[
		{"id":"s1","task":"a","tool":"browse","args":{}},
		{"id":"s2","task":"b","tool":"search","args":{}},
		{"id":"s2","task":"c","tool":"search","args":{"query":"x"}},
		{"id":"s4","task":"d","tool":"fetch","args":{"url":"${s5}"}},
		{"id":"s5","task":"e","tool":"search","args":{"query":"y"}}]}`)
	_, err := planner.Compile(p, exec, planner.Options{})
	var ve *planner.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v", err)
	}
	for _, w := range []struct {
		k    planner.ProblemKind
		step string
	}{{planner.ProblemUnknownTool, "s1"}, {planner.ProblemInvalidArgs, "s2"}, {planner.ProblemDuplicateID, "s2"}, {planner.ProblemLaterStep, "s4"}} {
		if !ve.Has(w.k, w.step) {
			t.Errorf("missing %s for %s in %v", w.k, w.step, err)
		}
	}
	if !strings.Contains(err.Error(), "browse") || !strings.Contains(err.Error(), "search, fetch, sum") {
		t.Errorf("the unknown-tool problem does not name the tool and the tools that exist: %v", err)
	}
}

func TestReferences(t *testing.T) {
	p := mustParse(t, `{"thought":"t","steps":[
		{"id":"s1","task":"find","tool":"search","args":{"query":"rag"}},
		{"id":"s2","task":"read the first hit","tool":"fetch","args":{"url":"${s1.hits[0].url}"},"when":"len(s1.hits) > 0"},
		{"id":"s3","task":"search more","tool":"search","args":{"query":"more about ${s1.hits[0].title} (${len(s1.hits)} hits)","limit":"${len(s1.hits) * 2}"}},
		{"id":"s4","task":"add","tool":"sum","args":{"values":"${map(s1.hits, .score)}","scale":2}},
		{"id":"s5","task":"never","tool":"search","args":{"query":"x"},"when":"len(s1.hits) > 5"}]}`)
	prog, err := planner.Compile(p, exec, planner.Options{})
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	for i, want := range [][]int{nil, {0}, {0}, {0}, {0}} {
		if got := prog.Deps(i); fmt.Sprint(got) != fmt.Sprint(want) && !(len(got) == 0 && len(want) == 0) {
			t.Errorf("Deps(%d) = %v, want %v (inferred from references)", i, got, want)
		}
	}
	if !prog.Reads("s1") || prog.Reads("s2") {
		t.Errorf("Reads: s1 %v s2 %v", prog.Reads("s1"), prog.Reads("s2"))
	}
	var out any
	_ = json.Unmarshal([]byte(`{"hits":[{"url":"https://a.example/x","title":"RAG","score":0.5},{"url":"https://b.example","title":"B","score":1.5}]}`), &out)
	env := map[string]any{"s1": out}
	cases := map[int]string{
		1: `{"url":"https://a.example/x"}`,
		2: `{"limit":4,"query":"more about RAG (2 hits)"}`,
		3: `{"scale":2,"values":[0.5,1.5]}`,
	}
	for i, want := range cases {
		got, err := prog.Args(i, env)
		if err != nil {
			t.Fatalf("Args(%d): %v", i, err)
		}
		if c := compact(t, got); c != want {
			t.Errorf("Args(%d) = %s, want %s", i, c, want)
		}
	}
	if ok, err := prog.When(1, env); err != nil || !ok {
		t.Errorf("When(1) = %v, %v; want true", ok, err)
	}
	if ok, err := prog.When(4, env); err != nil || ok {
		t.Errorf("When(4) = %v, %v; want false", ok, err)
	}
	if _, err := prog.Args(1, map[string]any{"s1": map[string]any{"hits": []any{}}}); err == nil {
		t.Error("Args with an out-of-range index succeeded")
	}
}

func TestCompileDone(t *testing.T) {
	done := map[string]planner.Done{"s1": {Tool: "search", Args: json.RawMessage(`{"query": "rag"}`)}}
	p := mustParse(t, `{"steps":[
		{"id":"s1","task":"again","tool":"search","args":{"query":"rag"}},
		{"id":"s3","task":"use it","tool":"fetch","args":{"url":"${s1.url}"}}]}`)
	prog, err := planner.Compile(p, exec, planner.Options{Done: done})
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	if !prog.Reused(0) || prog.Reused(1) {
		t.Errorf("Reused = %v %v, want true false", prog.Reused(0), prog.Reused(1))
	}
	// A reference to a completed step outside the plan is fine.
	p = mustParse(t, `{"steps":[{"id":"s3","task":"use it","tool":"fetch","args":{"url":"${s1.url}"}}]}`)
	if _, err := planner.Compile(p, exec, planner.Options{Done: done}); err != nil {
		t.Errorf("Compile with a reference to a done step: %v", err)
	}
	// The same id for a different call is an error.
	p = mustParse(t, `{"steps":[{"id":"s1","task":"other","tool":"search","args":{"query":"other"}}]}`)
	_, err = planner.Compile(p, exec, planner.Options{Done: done})
	var ve *planner.ValidationError
	if !errors.As(err, &ve) || !ve.Has(planner.ProblemDuplicateID, "s1") {
		t.Errorf("err = %v, want a duplicate id", err)
	}
}

func TestPlannerRepairs(t *testing.T) {
	bad := `{"thought":"t","steps":[{"id":"s1","task":"a","tool":"browse","args":{}},{"id":"s2","task":"b","tool":"fetch","args":{"url":"${s3}"}}]}`
	good := `{"thought":"t","steps":[{"id":"s1","task":"a","tool":"search","args":{"query":"x"}}]}`
	m := llmtest.New(llmtest.Text("no plan here, sorry"), llmtest.Text(bad), llmtest.Text(good))
	p, err := planner.New(planner.Config{Model: m, Tools: exec, Instructions: "Be brief."})
	if err != nil {
		t.Fatal(err)
	}
	out, err := p.Plan(context.Background(), planner.Request{Goal: "find x", Memory: "note: x is y"})
	if err != nil {
		t.Fatalf("Plan: %v", err)
	}
	if out.Calls != 3 || len(out.Rejected) != 2 || out.Usage.InputTokens != 30 {
		t.Errorf("calls %d rejected %d usage %+v", out.Calls, len(out.Rejected), out.Usage)
	}
	reqs := m.Requests()
	if reqs[0].ResponseSchema == nil || reqs[0].ResponseSchema.Name != "plan" {
		t.Error("the plan was not requested under its schema")
	}
	sys := reqs[0].Messages[0].Content
	for _, want := range []string{"Be brief.", "think step by step", "search", `"required":["query"]`} {
		if !strings.Contains(sys, want) {
			t.Errorf("system prompt lacks %q", want)
		}
	}
	if !strings.Contains(reqs[0].Messages[1].Content, "note: x is y") {
		t.Error("the prompt does not show memory")
	}
	last := reqs[2].Messages[len(reqs[2].Messages)-1].Content
	for _, want := range []string{"step s1", `unknown tool "browse"`, "step s2", `"s3"`} {
		if !strings.Contains(last, want) {
			t.Errorf("repair prompt lacks %q:\n%s", want, last)
		}
	}
}

func TestPlannerGivesUp(t *testing.T) {
	bad := llmtest.Text(`{"steps":[{"id":"s1","task":"a","tool":"nope","args":{}}]}`)
	m := llmtest.New(bad, bad)
	p, _ := planner.New(planner.Config{Model: m, Tools: exec, MaxRepairs: 1, NoSchema: true})
	out, err := p.Plan(context.Background(), planner.Request{Goal: "g"})
	var ve *planner.ValidationError
	if !errors.As(err, &ve) || !ve.Has(planner.ProblemUnknownTool, "s1") {
		t.Fatalf("err = %v, want the last validation error", err)
	}
	if out.Program != nil || out.Calls != 2 {
		t.Errorf("program %v calls %d", out.Program, out.Calls)
	}
	if m.Requests()[0].ResponseSchema != nil {
		t.Error("NoSchema sent a response schema")
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`{"thought":"t","steps":[{"id":"s1","task":"a","tool":"search","args":{"query":"x"}}]}`,
		"```json\n{\"steps\":[{\"id\":1,\"tool\":\"fetch\",\"args\":{\"url\":\"$1\"},\"deps\":[1]}]}\n```",
		"{thought: 'x', steps: [{id: 's1', args: {a: [1,2,],},},]}",
		"1. search(query=\"rag\"\n2. fetch(url=$1)\n3. join()",
		"Thought: x\n1. sum(values=[1, 2.5, -3e2], scale=None)\n2. search('a', {'k': (1, 2)})",
		`[{"id":"a","deps":"b","when":"len($1) > 0"}]`,
		"<think>{</think>{\"steps\":[",
		"1. a(b=${s1.x[0]}, c='${s2}')",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := planner.Parse(s, testSpecs)
		if err != nil {
			if !errors.Is(err, planner.ErrParse) {
				t.Fatalf("error %v is not a ParseError", err)
			}
			return
		}
		if p == nil {
			t.Fatal("nil plan without error")
		}
		// Whatever parses must compile or be rejected with problems,
		// never panic.
		if _, err := planner.Compile(p, exec, planner.Options{}); err != nil && !errors.Is(err, planner.ErrInvalidPlan) {
			t.Fatalf("Compile error %v is not a ValidationError", err)
		}
	})
}

func TestPlannerFallsBackWithoutSchema(t *testing.T) {
	m := llmtest.New(
		llmtest.Fail(&llm.Error{Kind: llm.KindInvalidRequest, Message: "response_format is not supported"}),
		llmtest.Text("Sure:\n```json\n{\"thought\":\"t\",\"steps\":[{\"id\":\"s1\",\"task\":\"a\",\"tool\":\"search\",\"args\":{\"query\":\"x\"}}]}\n```"),
	)
	p, _ := planner.New(planner.Config{Model: m, Tools: exec})
	out, err := p.Plan(context.Background(), planner.Request{Goal: "g"})
	if err != nil {
		t.Fatalf("Plan: %v", err)
	}
	reqs := m.Requests()
	if out.Calls != 2 || reqs[0].ResponseSchema == nil || reqs[1].ResponseSchema != nil {
		t.Errorf("calls %d, schemas %v %v", out.Calls, reqs[0].ResponseSchema != nil, reqs[1].ResponseSchema != nil)
	}
}

// TestIndexSmallAndLargePlans checks step lookup by id in plans small
// enough to be searched and large enough to be indexed in a map.
func TestIndexSmallAndLargePlans(t *testing.T) {
	chain := func(n int, mutate func(steps []planner.Step)) *planner.Plan {
		p := &planner.Plan{}
		for k := 1; k <= n; k++ {
			st := planner.Step{ID: fmt.Sprintf("s%d", k), Task: fmt.Sprintf("think %d", k)}
			if k > 1 {
				st.Deps = []string{fmt.Sprintf("s%d", k-1)}
			}
			p.Steps = append(p.Steps, st)
		}
		if mutate != nil {
			mutate(p.Steps)
		}
		return p
	}
	for _, n := range []int{3, 8, 9, 12, 32, 33, 40} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			prog, err := planner.Compile(chain(n, nil), nil, planner.Options{})
			if err != nil {
				t.Fatalf("Compile: %v", err)
			}
			for k := 1; k <= n; k++ {
				i, ok := prog.Index(fmt.Sprintf("s%d", k))
				if !ok || i != k-1 {
					t.Errorf("Index(s%d) = %d, %v; want %d, true", k, i, ok, k-1)
				}
				if k > 1 && fmt.Sprint(prog.Deps(k-1)) != fmt.Sprint([]int{k - 2}) {
					t.Errorf("Deps(%d) = %v, want [%d]", k-1, prog.Deps(k-1), k-2)
				}
			}
			for _, id := range []string{"", "nope", fmt.Sprintf("s%d", n+1)} {
				if i, ok := prog.Index(id); ok {
					t.Errorf("Index(%q) = %d, true; want false", id, i)
				}
			}
			// The last step takes the first one's id: a duplicate.
			_, err = planner.Compile(chain(n, func(s []planner.Step) { s[n-1].ID = "s1" }), nil, planner.Options{})
			var ve *planner.ValidationError
			if !errors.As(err, &ve) || !ve.Has(planner.ProblemDuplicateID, "s1") {
				t.Errorf("duplicate id: Compile error = %v, want a duplicate_id problem", err)
			}
			// The first step needs the last: a later step.
			_, err = planner.Compile(chain(n, func(s []planner.Step) { s[0].Deps = []string{fmt.Sprintf("s%d", n)} }), nil, planner.Options{})
			if !errors.As(err, &ve) || !ve.Has(planner.ProblemLaterStep, "s1") {
				t.Errorf("later step: Compile error = %v, want a later_step problem", err)
			}
		})
	}
}

func TestGoalReference(t *testing.T) {
	p := mustParse(t, `{"steps":[
		{"id":"s1","task":"search the question","tool":"search","args":{"query":"${goal}"}},
		{"id":"s2","task":"search again","tool":"search","args":{"query":"more on ${goal}"},"when":"len(goal) > 3"}]}`)
	prog, err := planner.Compile(p, exec, planner.Options{})
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	if !prog.Reads(planner.GoalRef) || len(prog.Deps(0)) != 0 || len(prog.Deps(1)) != 0 {
		t.Errorf("Reads(goal) = %v, deps %v %v; want the goal read and no dependencies", prog.Reads(planner.GoalRef), prog.Deps(0), prog.Deps(1))
	}
	env := map[string]any{planner.GoalRef: "What is RAG?"}
	for i, want := range []string{`{"query":"What is RAG?"}`, `{"query":"more on What is RAG?"}`} {
		got, err := prog.Args(i, env)
		if err != nil {
			t.Fatalf("Args(%d): %v", i, err)
		}
		if c := compact(t, got); c != want {
			t.Errorf("Args(%d) = %s, want %s", i, c, want)
		}
	}
	if ok, err := prog.When(1, env); err != nil || !ok {
		t.Errorf("When(1) = %v, %v; want true", ok, err)
	}
	// A step named goal shadows the goal.
	p = mustParse(t, `{"steps":[
		{"id":"goal","task":"find","tool":"search","args":{"query":"x"}},
		{"id":"s2","task":"use it","tool":"fetch","args":{"url":"${goal.url}"}}]}`)
	prog, err = planner.Compile(p, exec, planner.Options{})
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	if d := prog.Deps(1); len(d) != 1 || d[0] != 0 {
		t.Errorf("Deps(1) = %v, want [0]: the step named goal", d)
	}
}

// TestArgsText: ArgsText is each step's arguments as the plan wrote them,
// for a plan the planner read from a reply and for one compiled by hand.
func TestArgsText(t *testing.T) {
	text := `{"thought":"t","steps":[
		{"id":"s1","task":"find","tool":"search","args":{ "query" : "rag" }},
		{"id":"s2","task":"read","tool":"fetch","args":{"url":"${s1.url}"}},
		{"id":"s3","task":"more","tool":"sum","args":{"values":[1,2]},"deps":["s1"]},
		{"id":"s4","task":"think it over","deps":["s2","s3"]}]}`
	wants := []string{`{ "query" : "rag" }`, `{"url":"${s1.url}"}`, `{"values":[1,2]}`, ``}
	p, err := planner.New(planner.Config{Model: llmtest.New(llmtest.Text(text)), Tools: exec})
	if err != nil {
		t.Fatal(err)
	}
	out, err := p.Plan(context.Background(), planner.Request{Goal: "g"})
	if err != nil {
		t.Fatalf("Plan: %v", err)
	}
	byHand, err := planner.Compile(mustParse(t, text), exec, planner.Options{})
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	for name, prog := range map[string]*planner.Program{"planned": out.Program, "compiled": byHand} {
		for i, want := range wants {
			if got := prog.ArgsText(i); got != want || got != string(prog.Step(i).Args) {
				t.Errorf("%s: ArgsText(%d) = %q, want %q (Args %q)", name, i, got, want, prog.Step(i).Args)
			}
		}
	}
}

// TestPlansIndependent: the plans and programs of separate planning
// calls, and their steps, are separate values, each program compiled from
// its own plan, also for plans of every size the planner allocates
// together with their programs.
func TestPlansIndependent(t *testing.T) {
	for _, n := range []int{1, 2, 3, 5, 8, 9, 17} {
		var b strings.Builder
		b.WriteString(`{"thought":"t","steps":[`)
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"id":"s%d","task":"find %d","tool":"search","args":{"query":"q%d"},"deps":[%s]}`, i+1, i+1, i+1, map[bool]string{true: `"s1"`}[i > 0])
		}
		b.WriteString(`]}`)
		p, err := planner.New(planner.Config{Model: llmtest.Loop(llmtest.Text(b.String())), Tools: exec})
		if err != nil {
			t.Fatal(err)
		}
		var outs [2]*planner.Outcome
		for k := range outs {
			if outs[k], err = p.Plan(context.Background(), planner.Request{Goal: "g"}); err != nil {
				t.Fatalf("%d steps: Plan: %v", n, err)
			}
		}
		a, c := outs[0].Program, outs[1].Program
		if a == c || a.Plan() == c.Plan() || a.Len() != n || len(a.Plan().Steps) != n || cap(a.Plan().Steps) != n {
			t.Fatalf("%d steps: programs %p %p, plans %p %p, len %d, steps %d (cap %d)", n, a, c, a.Plan(), c.Plan(), a.Len(), len(a.Plan().Steps), cap(a.Plan().Steps))
		}
		for i := range n {
			if a.Step(i) != &a.Plan().Steps[i] {
				t.Errorf("%d steps: Step(%d) is not the plan's step", n, i)
			}
		}
		// Changing one plan's steps leaves the other's alone.
		a.Plan().Steps[0].ID = "changed"
		a.Plan().Steps[n-1].Args[2] = 'X'
		if got := c.Step(0).ID; got != "s1" {
			t.Errorf("%d steps: the other plan's first id became %q", n, got)
		}
		if got, want := string(c.Step(n-1).Args), fmt.Sprintf(`{"query":"q%d"}`, n); got != want {
			t.Errorf("%d steps: the other plan's last args became %s, want %s", n, got, want)
		}
		if i, ok := c.Index("s1"); !ok || i != 0 {
			t.Errorf("%d steps: Index(s1) = %d, %v", n, i, ok)
		}
		if n > 1 {
			if d := c.Deps(n - 1); len(d) != 1 || d[0] != 0 {
				t.Errorf("%d steps: Deps(%d) = %v, want [0]", n, n-1, d)
			}
		}
	}
}

// TestUserPrompt checks the user message of a plan request, exactly, for
// each part it may hold.
func TestUserPrompt(t *testing.T) {
	const rule = "\nPlan only what is still needed. Completed steps keep their ids and outputs: reference them as ${id}, and do not run them again.\n"
	prev := &planner.Plan{Thought: "search first"}
	for _, tc := range []struct {
		name string
		req  planner.Request
		want string
	}{
		{"goal", planner.Request{Goal: "find x"}, "Goal: find x\n"},
		{"memory", planner.Request{Goal: "find x", Memory: "  note: x is y\n"}, "Goal: find x\n\nMemory:\nnote: x is y\n"},
		{"blank memory", planner.Request{Goal: "find x", Memory: " \n "}, "Goal: find x\n"},
		{"replan", planner.Request{Goal: "g", Replan: "s1 failed"},
			"Goal: g\n\nThe previous plan must be replaced: s1 failed" + rule},
		{"replan with thought", planner.Request{Goal: "g", Memory: "m", Replan: "s1 failed", Previous: prev},
			"Goal: g\n\nMemory:\nm\n\nThe previous plan must be replaced: s1 failed" + rule + "The previous plan's thought was: search first\n"},
		{"previous without replan", planner.Request{Goal: "g", Previous: prev}, "Goal: g\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := llmtest.New(llmtest.Text(`{"thought":"t","steps":[{"id":"s9","task":"a","tool":"search","args":{"query":"x"}}]}`))
			p, err := planner.New(planner.Config{Model: m, Tools: exec})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.Plan(context.Background(), tc.req); err != nil {
				t.Fatal(err)
			}
			msgs := m.Requests()[0].Messages
			if got := msgs[len(msgs)-1].Content; got != tc.want {
				t.Errorf("user prompt\n%q\nwant\n%q", got, tc.want)
			}
		})
	}
}
