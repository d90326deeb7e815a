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
//
// When texts is not nil, scanPlan leaves in it the text of each step's
// arguments (see argTexts); otherwise it keeps them in a list of its own.
func scanPlan(s string, texts *argTexts) (*Plan, bool) {
	var own argTexts
	if texts == nil {
		texts = &own
	}
	*texts = argTexts{}
	sc := scanner{s: s}
	p, ok := sc.plan(texts)
	texts.read = ok
	return p, ok
}

// plan reads the plan; texts receives its arguments' texts. (texts is a
// parameter rather than a field of the scanner so that it stays on the
// caller's stack: what the scanner holds flows into the plan.)
func (sc *scanner) plan(texts *argTexts) (*Plan, bool) {
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
			// A later "steps" replaces an earlier one, as with the
			// general reader: so do its arguments' texts.
			texts.n, texts.more = 0, texts.more[:0]
			if p.Steps, ok = sc.steps(texts); !ok {
				return nil, false
			}
			sawSteps = true
		default:
			return nil, false
		}
	}
	sc.space()
	if sc.i != len(sc.s) || !sawSteps || len(p.Steps) == 0 {
		return nil, false
	}
	return p, true
}

// argTexts are the texts of a plan's arguments as the fast plan reader
// read them, by step, in the order of the steps: each one JSON object,
// checked as it was read, and a part of the reply rather than a copy.
// compile need not check them again, and [Program.ArgsText] returns them
// without copying. A caller keeps it on its stack: plans of up to 16 steps
// with arguments need no allocation for it.
type argTexts struct {
	buf  [16]stepArgs
	more []stepArgs // the texts beyond buf's
	n    int        // the number of texts, in buf then in more
	read bool       // scanPlan read the plan
}

func (t *argTexts) add(a stepArgs) {
	if t.n < len(t.buf) {
		t.buf[t.n] = a
	} else {
		t.more = append(t.more, a)
	}
	t.n++
}

// at returns the k-th text.
func (t *argTexts) at(k int) stepArgs {
	if k < len(t.buf) {
		return t.buf[k]
	}
	return t.more[k-len(t.buf)]
}

type stepArgs struct {
	step int
	text string
}

type scanner struct {
	s string
	i int
	// stepArgs is the text of the arguments of the step being read.
	stepArgs string
	hasArgs  bool
}

// strClass classifies the bytes of a JSON string's body: 0 for a byte
// that stands for itself (ASCII), then the quote, the backslash, control
// characters and the bytes of non-ASCII characters.
var strClass = func() (t [256]uint8) {
	for c := 0; c < 0x20; c++ {
		t[c] = clsControl
	}
	t['"'] = clsQuote
	t['\\'] = clsEscape
	for c := 0x80; c < 0x100; c++ {
		t[c] = clsNonASCII
	}
	return t
}()

const (
	clsPlain uint8 = iota
	clsQuote
	clsEscape
	clsControl
	clsNonASCII
)

func (sc *scanner) space() {
	// Plans written as the schema asks are compact: the next byte is
	// usually not space, and every JSON space byte is at most ' '.
	if sc.i < len(sc.s) && sc.s[sc.i] > ' ' {
		return
	}
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
	s := sc.s
	if sc.i >= len(s) || s[sc.i] != '"' {
		return "", false
	}
	start := sc.i
	ascii := true
	for j := start + 1; j < len(s); j++ {
		switch strClass[s[j]] {
		case clsPlain:
		case clsQuote:
			sc.i = j + 1
			body := s[start+1 : j]
			if !ascii && !utf8.ValidString(body) {
				return "", false
			}
			return body, true
		case clsNonASCII:
			ascii = false
		case clsEscape:
			return sc.escapedStr(start, j)
		default:
			return "", false
		}
	}
	return "", false
}

// escapedStr reads the JSON string starting at start, which has an
// escape at j.
func (sc *scanner) escapedStr(start, j int) (string, bool) {
	s := sc.s
	for ; j < len(s); j++ {
		c := s[j]
		switch {
		case c == '\\':
			j++
		case c == '"':
			sc.i = j + 1
			var out string
			if json.Unmarshal([]byte(s[start:j+1]), &out) != nil {
				return "", false
			}
			return out, true
		case c < 0x20:
			return "", false
		}
	}
	return "", false
}

// steps reads the steps; texts receives the texts of their arguments,
// which steps then copies into one buffer for the plan.
func (sc *scanner) steps(texts *argTexts) ([]Step, bool) {
	if !sc.eat('[') {
		return nil, false
	}
	// The steps are read onto the stack, then copied into a slice of
	// their number: one allocation of the right size rather than several
	// as the slice grows.
	var buf [16]Step
	steps := buf[:0]
	for first := true; ; first = false {
		if sc.eat(']') {
			out := make([]Step, len(steps))
			copy(out, steps)
			copyArgs(out, texts)
			return out, true
		}
		if !first && !sc.eat(',') {
			return nil, false
		}
		st, ok := sc.step()
		if !ok {
			return nil, false
		}
		if sc.hasArgs {
			texts.add(stepArgs{len(steps), sc.stepArgs})
		}
		steps = append(steps, st)
	}
}

// copyArgs gives the steps their arguments, copied into one buffer.
func copyArgs(steps []Step, texts *argTexts) {
	if texts.n == 0 {
		return
	}
	n := 0
	for k := range texts.n {
		n += len(texts.at(k).text)
	}
	buf := make([]byte, 0, n)
	for k := range texts.n {
		a := texts.at(k)
		start := len(buf)
		buf = append(buf, a.text...)
		steps[a.step].Args = json.RawMessage(buf[start:len(buf):len(buf)])
	}
}

func (sc *scanner) step() (Step, bool) {
	var st Step
	sc.hasArgs = false
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
			// Numbers, also with space around them, are for the
			// general reader, which normalizes them.
			ok = ok && !isDigits(trimSpace(st.ID))
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
			// One JSON object, checked as it is read.
			v := validator[string]{s: sc.s, i: sc.i}
			if !v.value(0) {
				return st, false
			}
			// Copied with the other steps' arguments once the
			// steps are read.
			sc.stepArgs, sc.hasArgs = sc.s[sc.i:v.i], true
			sc.i = v.i
		case "deps":
			// A later "deps" replaces an earlier one.
			st.Deps = nil
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
				if !ok || d == "" || d[0] == '$' || isDigits(d) || trimSpace(d) != d {
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
	st.ID, st.Tool, st.When = trimSpace(st.ID), trimSpace(st.Tool), trimSpace(st.When)
	return st, true
}

// trimSpace is strings.TrimSpace, which it calls only when s starts or
// ends with something other than printable ASCII (a space, or a byte of
// a non-ASCII character, which may be a space).
func trimSpace(s string) string {
	if s == "" {
		return s
	}
	if first, last := s[0], s[len(s)-1]; first > ' ' && first < utf8.RuneSelf && last > ' ' && last < utf8.RuneSelf {
		return s
	}
	return strings.TrimSpace(s)
}
