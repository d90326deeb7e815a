package planner

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// Plan is what the planner produces: the model's reasoning, then the steps
// that reach the goal. Steps form a DAG through their dependencies, declared
// in Deps and inferred from the references in Args and When.
//
// A Plan is a plain value: it is not safe for concurrent modification, but
// any number of goroutines may read it.
type Plan struct {
	// Thought is the model's chain of thought: what the goal needs, which
	// tools provide it, what can run in parallel.
	Thought string `json:"thought"`
	// Steps are the steps, in the order the model wrote them. A step may
	// only depend on steps written before it.
	Steps []Step `json:"steps"`
}

// Step is one step of a plan: a tool call, or a reasoning step when Tool is
// empty.
type Step struct {
	// ID names the step; references and Deps use it. An identifier such as
	// "s1" (letters, digits and underscores, not starting with a digit).
	ID string `json:"id"`
	// Task says in words what the step does.
	Task string `json:"task"`
	// Tool is the tool to call; empty for a reasoning step, which the model
	// works out from its dependencies' outputs.
	Tool string `json:"tool"`
	// Args is the JSON object of the tool's arguments. A string value may
	// hold references to earlier steps' outputs: "${s1.hits[0].url}" is
	// replaced by the value itself (with its JSON type) when it is the
	// whole string, and interpolated as text when it is part of one.
	Args json.RawMessage `json:"args,omitempty"`
	// Deps are the ids of the steps this one needs, besides those its
	// references name.
	Deps []string `json:"deps,omitempty"`
	// When is an optional condition over earlier outputs
	// (`len(s1.hits) > 0`); when it is false the step is skipped.
	When string `json:"when,omitempty"`
}

// UnmarshalJSON reads a step leniently: ids and dependencies may be
// numbers, dependencies may be written "$1" or "s1", the arguments may be
// called "arguments" or "input", the dependencies "depends_on" or
// "dependencies", and the tool may be null.
func (s *Step) UnmarshalJSON(b []byte) error {
	var raw struct {
		ID           json.RawMessage `json:"id"`
		Task         string          `json:"task"`
		Description  string          `json:"description"`
		Tool         *string         `json:"tool"`
		Name         *string         `json:"name"`
		Args         json.RawMessage `json:"args"`
		Arguments    json.RawMessage `json:"arguments"`
		Input        json.RawMessage `json:"input"`
		Deps         json.RawMessage `json:"deps"`
		DependsOn    json.RawMessage `json:"depends_on"`
		Dependencies json.RawMessage `json:"dependencies"`
		When         *string         `json:"when"`
		Condition    *string         `json:"condition"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*s = Step{ID: idString(raw.ID), Task: raw.Task}
	if s.Task == "" {
		s.Task = raw.Description
	}
	switch {
	case raw.Tool != nil:
		s.Tool = strings.TrimSpace(*raw.Tool)
	case raw.Name != nil:
		s.Tool = strings.TrimSpace(*raw.Name)
	}
	s.Args = firstRaw(raw.Args, raw.Arguments, raw.Input)
	if len(s.Args) > 0 && s.Args[0] == '"' {
		// Arguments given as a JSON string holding the object.
		var inner string
		if json.Unmarshal(s.Args, &inner) == nil && json.Valid([]byte(inner)) {
			s.Args = json.RawMessage(inner)
		}
	}
	if bytes.Equal(s.Args, nullJSON) {
		s.Args = nil
	}
	deps := firstRaw(raw.Deps, raw.DependsOn, raw.Dependencies)
	if len(deps) > 0 && !bytes.Equal(deps, nullJSON) {
		var list []json.RawMessage
		if err := json.Unmarshal(deps, &list); err != nil {
			// A single id rather than a list.
			list = []json.RawMessage{deps}
		}
		for _, d := range list {
			if id := strings.TrimPrefix(idString(d), "$"); id != "" {
				s.Deps = append(s.Deps, id)
			}
		}
	}
	switch {
	case raw.When != nil:
		s.When = strings.TrimSpace(*raw.When)
	case raw.Condition != nil:
		s.When = strings.TrimSpace(*raw.Condition)
	}
	return nil
}

var nullJSON = []byte("null")

func firstRaw(rs ...json.RawMessage) json.RawMessage {
	for _, r := range rs {
		if len(r) > 0 {
			return r
		}
	}
	return nil
}

// idString reads an id written as a JSON string or number.
func idString(r json.RawMessage) string {
	r = bytes.TrimSpace(r)
	if len(r) == 0 || bytes.Equal(r, nullJSON) {
		return ""
	}
	if r[0] == '"' {
		var s string
		if json.Unmarshal(r, &s) == nil {
			return strings.TrimSpace(s)
		}
		return ""
	}
	var n json.Number
	if json.Unmarshal(r, &n) == nil {
		return n.String()
	}
	return ""
}

// Schema is the tool-independent JSON schema of a plan: any tool name,
// any arguments object. The thought comes first so that the model reasons
// before it writes steps. A [Planner] sends [SchemaFor] of its tools
// instead, which constrains each step's tool and arguments.
var Schema = json.RawMessage(`{"type":"object","properties":{` +
	`"thought":{"type":"string","description":"Your reasoning: what the goal needs, which tools provide it, which steps can run in parallel."},` +
	`"steps":{"type":"array","items":{"type":"object","properties":{` +
	`"id":{"type":"string","description":"A unique short name such as s1."},` +
	`"task":{"type":"string","description":"What the step does."},` +
	`"tool":{"type":"string","description":"The tool to call; empty for a reasoning step."},` +
	`"args":{"type":"object","description":"The tool's arguments; strings may reference earlier outputs as ${s1.field}."},` +
	`"deps":{"type":"array","items":{"type":"string"},"description":"Ids of the earlier steps this one needs."},` +
	`"when":{"type":"string","description":"Optional condition over earlier outputs; the step is skipped when false."}` +
	`},"required":["id","task","tool","args","deps"]}}},"required":["thought","steps"]}`)

// isIdent reports whether s can name a step in expressions.
func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// normalizeIDs renames steps whose ids are numbers ("1") to "s1" and
// rewrites their references ("$1", "${1.x}", "${1}") and dependencies, so
// every id can be named in an expression. Plans in LLMCompiler's style
// number their steps.
func normalizeIDs(p *Plan) {
	rename := map[string]string{}
	for i := range p.Steps {
		if id := p.Steps[i].ID; isDigits(id) {
			rename[id] = "s" + id
		}
	}
	if len(rename) == 0 {
		return
	}
	for i := range p.Steps {
		st := &p.Steps[i]
		if r, ok := rename[st.ID]; ok {
			st.ID = r
		}
		for j, d := range st.Deps {
			if r, ok := rename[d]; ok {
				st.Deps[j] = r
			}
		}
		if len(st.Args) > 0 && bytes.IndexByte(st.Args, '$') >= 0 {
			st.Args = json.RawMessage(renameRefs(string(st.Args), rename))
		}
		if st.When != "" {
			st.When = renameExprIDs(st.When, rename)
		}
	}
}

// renameRefs rewrites "$1" and "${1…}" in text using rename.
func renameRefs(text string, rename map[string]string) string {
	var b strings.Builder
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c != '$' || i+1 >= len(text) {
			b.WriteByte(c)
			continue
		}
		j := i + 1
		brace := text[j] == '{'
		if brace {
			j++
		}
		k := j
		for k < len(text) && text[k] >= '0' && text[k] <= '9' {
			k++
		}
		r, ok := rename[text[j:k]]
		if !ok || k == j {
			b.WriteByte(c)
			continue
		}
		if brace {
			b.WriteString("${" + r)
		} else {
			b.WriteString("${" + r + "}")
		}
		i = k - 1
	}
	return b.String()
}

// renameExprIDs rewrites bare numeric ids and "$1" in a condition.
func renameExprIDs(src string, rename map[string]string) string {
	var b strings.Builder
	for i := 0; i < len(src); {
		c := src[i]
		if c == '"' || c == '\'' || c == '`' {
			j := skipQuoted(src, i)
			b.WriteString(src[i:j])
			i = j
			continue
		}
		if c == '$' && i+1 < len(src) && src[i+1] >= '0' && src[i+1] <= '9' {
			k := i + 1
			for k < len(src) && src[k] >= '0' && src[k] <= '9' {
				k++
			}
			if r, ok := rename[src[i+1:k]]; ok {
				b.WriteString(r)
				i = k
				continue
			}
		}
		b.WriteByte(c)
		i++
	}
	return b.String()
}

// skipQuoted returns the index just after the quoted string starting at i.
func skipQuoted(s string, i int) int {
	q := s[i]
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case q:
			return j + 1
		}
	}
	return len(s)
}

// stepLabel names a step in an error message: its id, or its position when
// it has none.
// It is small enough to be inlined: compile asks for every step's label
// whether or not it has a problem to report.
func stepLabel(p *Plan, i int) string {
	if id := p.Steps[i].ID; id != "" {
		return id
	}
	return positionLabel(i)
}

// positionLabel names the step at i by its position: "#3". (Not inlined,
// so that stepLabel is.)
//
//go:noinline
func positionLabel(i int) string {
	return "#" + strconv.Itoa(i+1)
}
