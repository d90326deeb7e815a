package planner

import (
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// scanPlan reads a plan written exactly as Schema asks — one JSON object
// with "thought" and "steps", each step's fields among id, task, tool,
// args, deps and when — without reflection: strings are taken from s
// without copying where they hold no escapes. ok is false for anything
// else, which the general readers then handle.
func scanPlan(s string) (*Plan, bool) {
	sc := scanner{s: s}
	p := &Plan{}
	if !sc.eat('{') {
		return nil, false
	}
	sawSteps := false
	for first := true; ; first = false {
		sc.space()
		if sc.eat('}') {
			break
		}
		if !first && !sc.eat(',') {
			return nil, false
		}
		key, ok := sc.str()
		if !ok || !sc.eat(':') {
			return nil, false
		}
		switch key {
		case "thought":
			if p.Thought, ok = sc.str(); !ok {
				return nil, false
			}
		case "steps":
			if p.Steps, ok = sc.steps(); !ok {
				return nil, false
			}
			sawSteps = true
		default:
			return nil, false
		}
	}
	sc.space()
	if sc.i != len(s) || !sawSteps || len(p.Steps) == 0 {
		return nil, false
	}
	return p, true
}

type scanner struct {
	s string
	i int
}

func (sc *scanner) space() {
	for sc.i < len(sc.s) {
		switch sc.s[sc.i] {
		case ' ', '\t', '\n', '\r':
			sc.i++
		default:
			return
		}
	}
}

func (sc *scanner) eat(c byte) bool {
	sc.space()
	if sc.i < len(sc.s) && sc.s[sc.i] == c {
		sc.i++
		return true
	}
	return false
}

// str reads a JSON string.
func (sc *scanner) str() (string, bool) {
	sc.space()
	if sc.i >= len(sc.s) || sc.s[sc.i] != '"' {
		return "", false
	}
	start := sc.i
	escaped := false
	for j := start + 1; j < len(sc.s); j++ {
		c := sc.s[j]
		switch {
		case c == '\\':
			escaped = true
			j++
		case c == '"':
			sc.i = j + 1
			if !escaped {
				body := sc.s[start+1 : j]
				if !utf8.ValidString(body) {
					return "", false
				}
				return body, true
			}
			var out string
			if json.Unmarshal([]byte(sc.s[start:j+1]), &out) != nil {
				return "", false
			}
			return out, true
		case c < 0x20:
			return "", false
		}
	}
	return "", false
}

func (sc *scanner) steps() ([]Step, bool) {
	if !sc.eat('[') {
		return nil, false
	}
	steps := make([]Step, 0, 4)
	for first := true; ; first = false {
		if sc.eat(']') {
			return steps, true
		}
		if !first && !sc.eat(',') {
			return nil, false
		}
		st, ok := sc.step()
		if !ok {
			return nil, false
		}
		steps = append(steps, st)
	}
}

func (sc *scanner) step() (Step, bool) {
	var st Step
	if !sc.eat('{') {
		return st, false
	}
	for first := true; ; first = false {
		if sc.eat('}') {
			break
		}
		if !first && !sc.eat(',') {
			return st, false
		}
		key, ok := sc.str()
		if !ok || !sc.eat(':') {
			return st, false
		}
		switch key {
		case "id":
			st.ID, ok = sc.str()
			ok = ok && !isDigits(st.ID)
		case "task":
			st.Task, ok = sc.str()
		case "tool":
			st.Tool, ok = sc.str()
		case "when":
			st.When, ok = sc.str()
		case "args":
			sc.space()
			if sc.i >= len(sc.s) || sc.s[sc.i] != '{' {
				return st, false
			}
			end := matchBracket(sc.s, sc.i)
			if end < 0 {
				return st, false
			}
			raw := sc.s[sc.i : end+1]
			if !validJSON(raw) {
				return st, false
			}
			st.Args = json.RawMessage(raw)
			sc.i = end + 1
		case "deps":
			if !sc.eat('[') {
				return st, false
			}
			for f := true; ; f = false {
				if sc.eat(']') {
					break
				}
				if !f && !sc.eat(',') {
					return st, false
				}
				d, ok := sc.str()
				if !ok || d == "" || d[0] == '$' || isDigits(d) {
					return st, false
				}
				st.Deps = append(st.Deps, d)
			}
		default:
			return st, false
		}
		if !ok {
			return st, false
		}
	}
	st.ID, st.Tool, st.When = strings.TrimSpace(st.ID), strings.TrimSpace(st.Tool), strings.TrimSpace(st.When)
	return st, true
}
