package planner

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/plait-ai/plait/llm"
)

// parseCompiler reads LLMCompiler's text form:
//
//	Thought: I need two searches.
//	1. search(query="rag")
//	2. search(query="agents", limit=3)
//	3. summarize(text=$1)
//	4. join()
//
// ok is false when the text has no numbered call lines at all. A call
// missing its closing parenthesis is repaired; a call missing its opening
// parenthesis is read when what follows the name is key=value arguments;
// anything else is an error that names the line.
func parseCompiler(text string, specs []llm.ToolSpec) (p *Plan, ok bool, err error) {
	p = &Plan{}
	var thoughts []string
	var problems []string
	for line := range strings.Lines(text) {
		line = strings.TrimSpace(line)
		line = strings.TrimLeft(line, "*-# ")
		if t, found := cutPrefixFold(line, "thought:"); found {
			thoughts = append(thoughts, strings.TrimSpace(t))
			continue
		}
		num, rest, isStep := numbered(line)
		if !isStep {
			continue
		}
		ok = true
		name, args, perr := splitCall(rest)
		if perr != "" {
			problems = append(problems, fmt.Sprintf("line %q: %s", line, perr))
			continue
		}
		if name == "join" || name == "finish" {
			break
		}
		step := Step{ID: num, Task: rest, Tool: name}
		obj, aerr := compilerArgs(args, name, specs)
		if aerr != nil {
			problems = append(problems, fmt.Sprintf("step %s (%s): %v", num, name, aerr))
			continue
		}
		step.Args = obj
		p.Steps = append(p.Steps, step)
	}
	if !ok {
		return nil, false, nil
	}
	if len(problems) > 0 {
		return nil, true, &ParseError{Reason: "the numbered plan has errors: " + strings.Join(problems, "; ") +
			`; write each step as N. tool(key=value, ...)`}
	}
	p.Thought = strings.Join(thoughts, " ")
	normalizeIDs(p)
	return p, true, nil
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

// numbered splits "12. rest" (or "12) rest", "12: rest", "$12 = rest") into
// the number and the rest.
func numbered(line string) (num, rest string, ok bool) {
	line = strings.TrimPrefix(line, "$")
	i := 0
	for i < len(line) && line[i] >= '0' && line[i] <= '9' {
		i++
	}
	if i == 0 || i == len(line) {
		return "", "", false
	}
	switch line[i] {
	case '.', ')', ':', '=':
	default:
		return "", "", false
	}
	rest = strings.TrimSpace(line[i+1:])
	if rest == "" {
		return "", "", false
	}
	return line[:i], rest, true
}

// splitCall splits "name(args)" into name and the text between the
// parentheses, repairing a missing closing parenthesis.
func splitCall(s string) (name, args, problem string) {
	i := 0
	for i < len(s) && (s[i] == '_' || s[i] == '-' || s[i] == '.' || s[i] >= 'a' && s[i] <= 'z' || s[i] >= 'A' && s[i] <= 'Z' || s[i] >= '0' && s[i] <= '9' && i > 0) {
		i++
	}
	if i == 0 {
		return "", "", "expected a tool name followed by (arguments)"
	}
	name = s[:i]
	rest := strings.TrimSpace(s[i:])
	if rest == "" {
		return name, "", "" // join, or a call without arguments
	}
	if rest[0] != '(' {
		// Missing opening parenthesis: accept key=value arguments.
		body := strings.TrimSuffix(rest, ")")
		if !looksLikeKwargs(body) {
			return "", "", fmt.Sprintf("after %q expected (arguments), found %q", name, rest)
		}
		return name, body, ""
	}
	end := matchParen(rest, 0)
	if end < 0 {
		// Missing closing parenthesis: close it at the end of the line.
		body := strings.TrimSpace(rest[1:])
		return name, body, ""
	}
	if tail := strings.TrimSpace(rest[end+1:]); tail != "" && !strings.HasPrefix(tail, "#") {
		return "", "", fmt.Sprintf("unexpected %q after the call", tail)
	}
	return name, rest[1:end], ""
}

func looksLikeKwargs(s string) bool {
	s = strings.TrimSpace(s)
	i := 0
	for i < len(s) && (s[i] == '_' || s[i] >= 'a' && s[i] <= 'z' || s[i] >= 'A' && s[i] <= 'Z' || s[i] >= '0' && s[i] <= '9') {
		i++
	}
	return i > 0 && i < len(s) && strings.HasPrefix(strings.TrimSpace(s[i:]), "=")
}

// matchParen returns the index of the parenthesis closing the one at i,
// skipping quoted strings and nested brackets, or -1.
func matchParen(s string, i int) int {
	depth := 0
	for j := i; j < len(s); j++ {
		switch s[j] {
		case '"', '\'':
			j = skipQuoted(s, j) - 1
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth--
			if depth == 0 {
				if s[j] != ')' {
					return -1
				}
				return j
			}
		}
	}
	return -1
}

// compilerArgs turns Python-style call arguments into a JSON object.
func compilerArgs(args, tool string, specs []llm.ToolSpec) (json.RawMessage, error) {
	args = strings.TrimSpace(args)
	if args == "" {
		return json.RawMessage("{}"), nil
	}
	pr := &pyReader{s: args}
	var keys []string
	vals := map[string]any{}
	var positional []any
	for {
		pr.space()
		if pr.eof() {
			break
		}
		key := ""
		save := pr.i
		if id := pr.ident(); id != "" {
			pr.space()
			if !pr.eof() && pr.s[pr.i] == '=' && (pr.i+1 >= len(pr.s) || pr.s[pr.i+1] != '=') {
				pr.i++
				key = id
			} else {
				pr.i = save
			}
		}
		v, err := pr.value()
		if err != nil {
			return nil, err
		}
		if key == "" {
			if len(keys) > 0 {
				return nil, fmt.Errorf("positional argument after keyword arguments")
			}
			positional = append(positional, v)
		} else {
			if _, dup := vals[key]; dup {
				return nil, fmt.Errorf("argument %q given twice", key)
			}
			keys = append(keys, key)
			vals[key] = v
		}
		pr.space()
		if pr.eof() {
			break
		}
		if pr.s[pr.i] != ',' {
			return nil, fmt.Errorf("expected , between arguments at %q", pr.s[pr.i:])
		}
		pr.i++
	}
	if len(positional) > 0 {
		names := paramOrder(tool, specs)
		if len(positional) > len(names) {
			return nil, fmt.Errorf("%d positional arguments but the tool's schema names %d parameters; use key=value", len(positional), len(names))
		}
		for i, v := range positional {
			if _, dup := vals[names[i]]; dup {
				return nil, fmt.Errorf("argument %q given twice", names[i])
			}
			vals[names[i]] = v
		}
	}
	return json.Marshal(vals)
}

// paramOrder returns the property names of tool's schema in the order
// they are written.
func paramOrder(tool string, specs []llm.ToolSpec) []string {
	for _, sp := range specs {
		if sp.Name != tool {
			continue
		}
		var top map[string]json.RawMessage
		if json.Unmarshal(sp.Parameters, &top) != nil {
			return nil
		}
		props := top["properties"]
		dec := json.NewDecoder(bytes.NewReader(props))
		if t, err := dec.Token(); err != nil || t != json.Delim('{') {
			return nil
		}
		var names []string
		for dec.More() {
			t, err := dec.Token()
			if err != nil {
				return names
			}
			if k, ok := t.(string); ok {
				names = append(names, k)
			}
			var skip json.RawMessage
			if dec.Decode(&skip) != nil {
				return names
			}
		}
		return names
	}
	return nil
}

// pyReader reads Python-literal values: strings, numbers, True/False/None,
// lists, dicts, and $N references.
type pyReader struct {
	s     string
	i     int
	depth int
}

func (r *pyReader) eof() bool { return r.i >= len(r.s) }

func (r *pyReader) space() {
	for r.i < len(r.s) && (r.s[r.i] == ' ' || r.s[r.i] == '\t' || r.s[r.i] == '\n' || r.s[r.i] == '\r') {
		r.i++
	}
}

func (r *pyReader) ident() string {
	j := r.i
	for j < len(r.s) && (r.s[j] == '_' || r.s[j] >= 'a' && r.s[j] <= 'z' || r.s[j] >= 'A' && r.s[j] <= 'Z' || r.s[j] >= '0' && r.s[j] <= '9' && j > r.i) {
		j++
	}
	id := r.s[r.i:j]
	r.i = j
	return id
}

func (r *pyReader) value() (any, error) {
	r.space()
	if r.eof() {
		return nil, fmt.Errorf("missing value at the end")
	}
	if r.depth > 64 {
		return nil, fmt.Errorf("values nested too deeply")
	}
	switch c := r.s[r.i]; {
	case c == '"' || c == '\'':
		end := skipQuoted(r.s, r.i)
		if end > len(r.s) || end == len(r.s) && (end-r.i < 2 || r.s[end-1] != c) {
			return nil, fmt.Errorf("unterminated string %s", r.s[r.i:])
		}
		raw := r.s[r.i:end]
		r.i = end
		return unquotePy(raw), nil
	case c == '$':
		j := r.i + 1
		if j < len(r.s) && r.s[j] == '{' {
			end := matchBracket(r.s, j)
			if end < 0 {
				return nil, fmt.Errorf("unterminated reference %s", r.s[r.i:])
			}
			ref := r.s[r.i : end+1]
			r.i = end + 1
			return ref, nil
		}
		for j < len(r.s) && (r.s[j] >= '0' && r.s[j] <= '9' || r.s[j] == '_' || r.s[j] >= 'a' && r.s[j] <= 'z' || r.s[j] >= 'A' && r.s[j] <= 'Z') {
			j++
		}
		if j == r.i+1 {
			return nil, fmt.Errorf("a $ must be followed by a step number")
		}
		// A path into the output: $1.hits[0].url
		for j < len(r.s) {
			if r.s[j] == '.' && j+1 < len(r.s) && (r.s[j+1] == '_' || r.s[j+1] >= 'a' && r.s[j+1] <= 'z' || r.s[j+1] >= 'A' && r.s[j+1] <= 'Z') {
				j += 2
				for j < len(r.s) && (r.s[j] == '_' || r.s[j] >= 'a' && r.s[j] <= 'z' || r.s[j] >= 'A' && r.s[j] <= 'Z' || r.s[j] >= '0' && r.s[j] <= '9') {
					j++
				}
				continue
			}
			if r.s[j] == '[' {
				end := matchBracket(r.s, j)
				if end < 0 {
					return nil, fmt.Errorf("unterminated [ in reference %s", r.s[r.i:])
				}
				j = end + 1
				continue
			}
			break
		}
		ref := "${" + r.s[r.i+1:j] + "}"
		r.i = j
		return ref, nil
	case c == '[' || c == '(':
		closer := byte(']')
		if c == '(' {
			closer = ')'
		}
		r.i++
		r.depth++
		defer func() { r.depth-- }()
		list := []any{}
		for {
			r.space()
			if r.eof() {
				return nil, fmt.Errorf("unterminated list")
			}
			if r.s[r.i] == closer {
				r.i++
				return list, nil
			}
			v, err := r.value()
			if err != nil {
				return nil, err
			}
			list = append(list, v)
			r.space()
			if !r.eof() && r.s[r.i] == ',' {
				r.i++
			}
		}
	case c == '{':
		r.i++
		r.depth++
		defer func() { r.depth-- }()
		m := map[string]any{}
		for {
			r.space()
			if r.eof() {
				return nil, fmt.Errorf("unterminated dict")
			}
			if r.s[r.i] == '}' {
				r.i++
				return m, nil
			}
			k, err := r.value()
			if err != nil {
				return nil, err
			}
			ks, ok := k.(string)
			if !ok {
				ks = fmt.Sprint(k)
			}
			r.space()
			if r.eof() || r.s[r.i] != ':' {
				return nil, fmt.Errorf("expected : after dict key %q", ks)
			}
			r.i++
			v, err := r.value()
			if err != nil {
				return nil, err
			}
			m[ks] = v
			r.space()
			if !r.eof() && r.s[r.i] == ',' {
				r.i++
			}
		}
	case c == '-' || c == '+' || c == '.' || c >= '0' && c <= '9':
		j := r.i + 1
		for j < len(r.s) && strings.IndexByte("0123456789.eE+-_", r.s[j]) >= 0 {
			j++
		}
		num := strings.ReplaceAll(r.s[r.i:j], "_", "")
		r.i = j
		if n, err := strconv.ParseInt(num, 10, 64); err == nil {
			return n, nil
		}
		f, err := strconv.ParseFloat(num, 64)
		if err != nil {
			return nil, fmt.Errorf("bad number %q", num)
		}
		return f, nil
	default:
		id := r.ident()
		switch id {
		case "True", "true":
			return true, nil
		case "False", "false":
			return false, nil
		case "None", "null", "nil":
			return nil, nil
		case "":
			return nil, fmt.Errorf("unexpected %q", r.s[r.i:])
		}
		return nil, fmt.Errorf("unquoted word %q; quote strings", id)
	}
}

// unquotePy decodes a Python string literal (either quote).
func unquotePy(raw string) string {
	body := raw[1 : len(raw)-1]
	if !strings.Contains(body, `\`) {
		return body
	}
	var b strings.Builder
	for i := 0; i < len(body); i++ {
		c := body[i]
		if c != '\\' || i+1 >= len(body) {
			b.WriteByte(c)
			continue
		}
		i++
		switch body[i] {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		default:
			b.WriteByte(body[i])
		}
	}
	return b.String()
}
