package planner

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/plait-ai/plait/llm"
)

// ErrParse is matched by every [*ParseError].
var ErrParse = errors.New("planner: cannot read a plan")

// ParseError says why a reply could not be read as a plan; an immutable
// value. Its message is
// written for the model, which gets it back to correct its reply.
type ParseError struct {
	// Reason says what was wrong.
	Reason string
}

// Error implements error.
func (e *ParseError) Error() string {
	return "planner: cannot read a plan from the reply: " + e.Reason
}

// Is makes errors.Is(err, ErrParse) true.
func (e *ParseError) Is(target error) bool { return target == ErrParse }

// Parse reads a plan from a model's reply. It accepts
//
//   - a JSON object with "thought" and "steps" (or a bare array of steps),
//     alone, in a fenced code block, or with prose around it; trailing
//     commas, comments, single-quoted strings, unquoted keys and Python's
//     True/False/None are repaired;
//   - LLMCompiler's text form, one numbered call a line:
//     `1. search(query="x")`, `2. fetch(url=$1)`, `3. join()`. A call whose
//     closing parenthesis is missing is repaired; positional arguments are
//     matched to the tool's parameters in specs, in their schema order.
//
// A leading <think>…</think> block is skipped. Numeric step ids become
// "s1", "s2", … and references to them are rewritten. Parse does not
// validate the plan: see [Compile].
func Parse(text string, specs []llm.ToolSpec) (*Plan, error) {
	return parse(text, specs, nil)
}

// parse is Parse; when the fast plan reader reads the plan and texts is
// not nil, the texts of its arguments are left in texts (see argTexts).
func parse(text string, specs []llm.ToolSpec, texts *argTexts) (*Plan, error) {
	_, text = llm.SplitThink(text)
	s := strings.TrimSpace(text)
	if s == "" {
		return nil, &ParseError{Reason: "the reply is empty; reply with a JSON object with \"thought\" and \"steps\""}
	}
	// The common case: the whole reply is the JSON plan, as the schema
	// asks.
	if s[0] == '{' {
		if p, ok := scanPlan(s, texts); ok {
			return p, nil
		}
		if p, ok := decodeStrict(s); ok {
			return p, nil
		}
	}
	if s[0] == '{' || s[0] == '[' {
		if p, err := decodePlan([]byte(s)); err == nil {
			return p, nil
		}
	}
	var firstErr error
	try := func(cand string) *Plan {
		p, err := decodePlan([]byte(cand))
		if err == nil {
			return p
		}
		if fixed, ok := repairJSON(cand); ok {
			if p, err2 := decodePlan([]byte(fixed)); err2 == nil {
				return p
			}
		}
		if firstErr == nil {
			firstErr = err
		}
		return nil
	}
	for _, block := range fencedBlocks(s) {
		if p := try(block); p != nil {
			return p, nil
		}
	}
	for start := 0; start < len(s); {
		i := strings.IndexAny(s[start:], "{[")
		if i < 0 {
			break
		}
		i += start
		end := matchBracket(s, i)
		if end < 0 {
			// Unterminated: try closing it.
			if p := try(closeBrackets(s[i:])); p != nil {
				return p, nil
			}
			start = i + 1
			continue
		}
		if p := try(s[i : end+1]); p != nil {
			return p, nil
		}
		start = i + 1
	}
	if p, ok, err := parseCompiler(s, specs); ok {
		if err != nil {
			return nil, err
		}
		return p, nil
	}
	if firstErr != nil {
		return nil, &ParseError{Reason: "the JSON is not a plan: " + firstErr.Error()}
	}
	return nil, &ParseError{Reason: "no JSON object found; reply with a JSON object with \"thought\" and \"steps\""}
}

// strictPlan is a plan written exactly as Schema asks.
type strictPlan struct {
	Thought string       `json:"thought"`
	Steps   []strictStep `json:"steps"`
}

type strictStep struct {
	ID   string          `json:"id"`
	Task string          `json:"task"`
	Tool string          `json:"tool"`
	Args json.RawMessage `json:"args"`
	Deps []string        `json:"deps"`
	When string          `json:"when"`
}

// decodeStrict decodes a plan that follows Schema to the letter, without
// the lenient reader's cost; ok is false for anything else (other field
// names, numeric ids, ...), which the lenient reader then handles.
func decodeStrict(s string) (*Plan, bool) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	var sp strictPlan
	if dec.Decode(&sp) != nil || dec.More() || len(sp.Steps) == 0 {
		return nil, false
	}
	p := &Plan{Thought: sp.Thought, Steps: make([]Step, len(sp.Steps))}
	for i, st := range sp.Steps {
		if isDigits(st.ID) {
			return nil, false
		}
		for _, d := range st.Deps {
			if d == "" || d[0] == '$' || isDigits(d) {
				return nil, false
			}
		}
		if bytes.Equal(st.Args, nullJSON) {
			st.Args = nil
		}
		if len(st.Args) > 0 && st.Args[0] == '"' {
			return nil, false
		}
		p.Steps[i] = Step{ID: strings.TrimSpace(st.ID), Task: st.Task, Tool: strings.TrimSpace(st.Tool), Args: st.Args, Deps: st.Deps, When: strings.TrimSpace(st.When)}
	}
	return p, true
}

// decodePlan decodes a plan object, a wrapper {"plan": {...}} or a bare
// array of steps, and normalizes numeric ids.
func decodePlan(b []byte) (*Plan, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil, errors.New("empty")
	}
	p := &Plan{}
	if b[0] == '[' {
		if err := json.Unmarshal(b, &p.Steps); err != nil {
			return nil, err
		}
	} else {
		var raw struct {
			Thought   *string         `json:"thought"`
			Reasoning *string         `json:"reasoning"`
			Steps     json.RawMessage `json:"steps"`
			Plan      json.RawMessage `json:"plan"`
		}
		if err := json.Unmarshal(b, &raw); err != nil {
			return nil, err
		}
		switch {
		case raw.Thought != nil:
			p.Thought = *raw.Thought
		case raw.Reasoning != nil:
			p.Thought = *raw.Reasoning
		}
		steps := raw.Steps
		if len(steps) == 0 && len(raw.Plan) > 0 {
			pb := bytes.TrimSpace(raw.Plan)
			if len(pb) > 0 && pb[0] == '{' {
				inner, err := decodePlan(pb)
				if err != nil {
					return nil, err
				}
				if inner.Thought == "" {
					inner.Thought = p.Thought
				}
				return inner, nil
			}
			steps = raw.Plan
		}
		if len(steps) == 0 {
			return nil, errors.New(`the object has no "steps" array`)
		}
		if err := json.Unmarshal(steps, &p.Steps); err != nil {
			return nil, fmt.Errorf(`"steps": %w`, err)
		}
	}
	normalizeIDs(p)
	return p, nil
}

// fencedBlocks returns the contents of ``` fenced blocks, in order.
func fencedBlocks(s string) []string {
	var out []string
	for {
		i := strings.Index(s, "```")
		if i < 0 {
			return out
		}
		rest := s[i+3:]
		// Skip the info string (json, JSON, js...).
		nl := strings.IndexByte(rest, '\n')
		if nl < 0 {
			return out
		}
		body := rest[nl+1:]
		j := strings.Index(body, "```")
		if j < 0 {
			out = append(out, body) // unterminated fence
			return out
		}
		out = append(out, body[:j])
		s = body[j+3:]
	}
}

// matchBracket returns the index of the bracket that closes the one at i,
// skipping quoted strings, or -1.
func matchBracket(s string, i int) int {
	var stack []byte
	for j := i; j < len(s); j++ {
		switch c := s[j]; c {
		case '"', '\'':
			j = skipQuoted(s, j) - 1
		case '{':
			stack = append(stack, '}')
		case '[':
			stack = append(stack, ']')
		case '}', ']':
			if len(stack) == 0 || stack[len(stack)-1] != c {
				return -1
			}
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				return j
			}
		}
	}
	return -1
}

// closeBrackets appends the brackets (and quote) missing at the end of a
// truncated JSON text.
func closeBrackets(s string) string {
	var stack []byte
	inStr := byte(0)
	for j := 0; j < len(s); j++ {
		c := s[j]
		if inStr != 0 {
			switch c {
			case '\\':
				j++
			case inStr:
				inStr = 0
			}
			continue
		}
		switch c {
		case '"', '\'':
			inStr = c
		case '{':
			stack = append(stack, '}')
		case '[':
			stack = append(stack, ']')
		case '}', ']':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		}
	}
	var b strings.Builder
	b.WriteString(strings.TrimRight(s, " \t\r\n,"))
	if inStr != 0 {
		b.WriteByte(inStr)
	}
	for k := len(stack) - 1; k >= 0; k-- {
		b.WriteByte(stack[k])
	}
	return b.String()
}

// repairJSON rewrites JSON-like text as JSON: comments dropped, trailing
// commas removed, single-quoted strings and unquoted keys quoted, Python's
// True/False/None mapped. It reports whether the result is valid JSON.
func repairJSON(s string) (string, bool) {
	var b strings.Builder
	b.Grow(len(s) + 16)
	// lastSig is the last significant byte written, to drop a comma
	// before a closing bracket.
	commaAt := -1
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\'':
			j := i + 1
			b.WriteByte('"')
			for ; j < len(s) && s[j] != c; j++ {
				switch {
				case s[j] == '\\' && j+1 < len(s):
					if s[j+1] == '\'' {
						b.WriteByte('\'')
					} else {
						b.WriteByte('\\')
						b.WriteByte(s[j+1])
					}
					j++
				case s[j] == '"':
					b.WriteString(`\"`)
				case s[j] == '\n':
					b.WriteString(`\n`)
				case s[j] == '\t':
					b.WriteString(`\t`)
				case s[j] == '\r':
					b.WriteString(`\r`)
				default:
					b.WriteByte(s[j])
				}
			}
			b.WriteByte('"')
			i = j
			commaAt = -1
		case c == '/' && i+1 < len(s) && s[i+1] == '/':
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(s) && s[i+1] == '*':
			end := strings.Index(s[i+2:], "*/")
			if end < 0 {
				i = len(s)
			} else {
				i += end + 3
			}
		case c == ',':
			commaAt = b.Len()
			b.WriteByte(c)
		case c == '}' || c == ']':
			if commaAt >= 0 {
				t := b.String()[:commaAt] + b.String()[commaAt+1:]
				b.Reset()
				b.WriteString(t)
			}
			commaAt = -1
			b.WriteByte(c)
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			b.WriteByte(c)
		case c == '_' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			j := i
			for j < len(s) && (s[j] == '_' || s[j] == '$' || s[j] == '-' || s[j] == '.' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= '0' && s[j] <= '9') {
				j++
			}
			word := s[i:j]
			switch word {
			case "true", "True":
				b.WriteString("true")
			case "false", "False":
				b.WriteString("false")
			case "null", "None", "nil":
				b.WriteString("null")
			default:
				q, _ := json.Marshal(word)
				b.Write(q)
			}
			i = j - 1
			commaAt = -1
		default:
			b.WriteByte(c)
			commaAt = -1
		}
	}
	out := b.String()
	return out, json.Valid([]byte(out))
}
