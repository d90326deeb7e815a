package planner

import (
	"encoding/json"
	"math/bits"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// scanPlan reads a plan written exactly as Schema asks — one JSON object
// with "thought" and "steps", each step's fields among id, task, tool,
// args, deps and when — without reflection: strings are taken from s
// without copying where they hold no escapes. ok is false for anything
// else, which the general readers then handle.
//
// When texts is not nil, scanPlan leaves in it the text of each step's
// arguments (see argTexts); otherwise it keeps them in a list of its own.
//
// The reader's functions take the text and a position and return the
// position after what they read, so that both stay in registers.
func scanPlan(s string, texts *argTexts) (*Plan, bool) {
	if texts == nil {
		// Zeroed only when needed: it is large.
		var own argTexts
		return scanPlanInto(s, &own)
	}
	return scanPlanInto(s, texts)
}

// scanPlanInto is scanPlan with texts, which it resets first.
func scanPlanInto(s string, texts *argTexts) (*Plan, bool) {
	texts.n, texts.more, texts.read, texts.prog = 0, nil, false, nil
	texts.deps.n, texts.deps.more = 0, nil
	p, ok := readPlan(s, texts)
	texts.read = ok
	return p, ok
}

// readPlan reads the plan; texts receives its arguments' texts.
func readPlan(s string, texts *argTexts) (*Plan, bool) {
	// The steps are read onto the stack, then copied into the plan,
	// allocated with them once their number is known.
	var buf [16]Step
	var steps []Step
	var thought string
	i := skipSpace(s, 0)
	if i >= len(s) || s[i] != '{' {
		return nil, false
	}
	i++
	sawSteps := false
	for first := true; ; first = false {
		i = skipSpace(s, i)
		if i < len(s) && s[i] == '}' {
			i++
			break
		}
		if !first {
			if i >= len(s) || s[i] != ',' {
				return nil, false
			}
			i = skipSpace(s, i+1)
		}
		key, j, ok := readKey(s, i)
		if !ok {
			return nil, false
		}
		switch i = j; key {
		case keyThought:
			thought, i, ok = readStr(s, i)
		case keySteps:
			// A later "steps" replaces an earlier one, as with the
			// general reader: so do its arguments' texts and its
			// dependencies.
			texts.truncate(0)
			texts.deps.truncate(0)
			steps, i, ok = readSteps(s, i, buf[:0], texts)
			sawSteps = true
		default:
			return nil, false
		}
		if !ok {
			return nil, false
		}
	}
	if skipSpace(s, i) != len(s) || !sawSteps || len(steps) == 0 {
		return nil, false
	}
	p, prog := newPlan(len(steps), texts.compiles)
	texts.prog = prog
	p.Thought = thought
	copy(p.Steps, steps)
	copyArgs(p.Steps, texts)
	texts.deps.copyTo(p.Steps)
	return p, true
}

// depList holds the dependencies of the steps being read, in order, each
// with its step's place; a caller keeps it on its stack (in argTexts):
// plans with up to 16 dependencies in all need no allocation for it.
type depList struct{ stackList[stepDep] }

type stepDep struct {
	step int
	id   string
}

// stackList is a list whose first 16 items are kept in the list itself,
// so that a list on its holder's stack needs no allocation until it holds
// more.
type stackList[T any] struct {
	buf  [16]T
	more []T // the items beyond buf's
	n    int // the number of items, in buf then in more
}

func (l *stackList[T]) add(v T) {
	if l.n < len(l.buf) {
		l.buf[l.n] = v
	} else {
		l.more = append(l.more, v)
	}
	l.n++
}

// at returns the k-th item.
func (l *stackList[T]) at(k int) T {
	if k < len(l.buf) {
		return l.buf[k]
	}
	return l.more[k-len(l.buf)]
}

// truncate keeps the first n items.
func (l *stackList[T]) truncate(n int) {
	l.n = n
	l.more = l.more[:max(0, n-len(l.buf))]
}

// copyTo gives the steps their dependencies, copied into one slice; each
// step's has no room beyond its own.
func (d *depList) copyTo(steps []Step) {
	if d.n == 0 {
		return
	}
	all := make([]string, d.n)
	from := 0
	for k := range d.n {
		sd := d.at(k)
		all[k] = sd.id
		if k+1 == d.n || d.at(k+1).step != sd.step {
			steps[sd.step].Deps = all[from : k+1 : k+1]
			from = k + 1
		}
	}
}

// newPlan returns a plan with n zero steps. Small plans come in one
// allocation with their steps (whose capacity is n either way) and, with
// withProgram, with the zero program that compile makes of them.
func newPlan(n int, withProgram bool) (*Plan, *Program) {
	switch n {
	case 1:
		return planIn[[1]Step, [1]compiled](withProgram)
	case 2:
		return planIn[[2]Step, [2]compiled](withProgram)
	case 3:
		return planIn[[3]Step, [3]compiled](withProgram)
	case 4:
		return planIn[[4]Step, [4]compiled](withProgram)
	case 5:
		return planIn[[5]Step, [5]compiled](withProgram)
	case 6:
		return planIn[[6]Step, [6]compiled](withProgram)
	case 7:
		return planIn[[7]Step, [7]compiled](withProgram)
	case 8:
		return planIn[[8]Step, [8]compiled](withProgram)
	}
	return &Plan{Steps: make([]Step, n)}, nil
}

// steps8 and compiled8 are the arrays of steps, and of compiled steps,
// that newPlan and newProgram allocate with a plan or a program.
type (
	steps8 interface {
		[1]Step | [2]Step | [3]Step | [4]Step | [5]Step | [6]Step | [7]Step | [8]Step
	}
	compiled8 interface {
		[1]compiled | [2]compiled | [3]compiled | [4]compiled | [5]compiled | [6]compiled | [7]compiled | [8]compiled
	}
)

// planIn is newPlan for the array of steps S and of compiled steps C of
// the plan's size: one allocation.
func planIn[S steps8, C compiled8](withProgram bool) (*Plan, *Program) {
	if withProgram {
		x := new(struct {
			p    Plan
			prog Program
			s    S
			c    C
		})
		x.p.Steps, x.prog.steps, x.prog.plan = stepSlice(&x.s), compiledSlice(&x.c), &x.p
		return &x.p, &x.prog
	}
	x := new(struct {
		p Plan
		s S
	})
	x.p.Steps = stepSlice(&x.s)
	return &x.p, nil
}

// stepSlice is a[:] for an array of steps of any of newPlan's sizes.
func stepSlice[S steps8](a *S) []Step {
	return unsafe.Slice((*Step)(unsafe.Pointer(a)), len(*a))
}

// compiledSlice is a[:] for an array of compiled steps of any of
// newPlan's sizes.
func compiledSlice[C compiled8](a *C) []compiled {
	return unsafe.Slice((*compiled)(unsafe.Pointer(a)), len(*a))
}

// argTexts are the texts of a plan's arguments as the fast plan reader
// read them, by step, in the order of the steps: each one JSON object,
// checked as it was read, and a part of the reply rather than a copy.
// compile need not check them again, and [Program.ArgsText] returns them
// without copying. A caller keeps it on its stack: plans of up to 16 steps
// with arguments need no allocation for it. It also holds what the reader
// keeps while it reads (the steps' dependencies), and the program it
// allocates with the plan for a caller that compiles it.
type argTexts struct {
	stackList[stepArgs]
	read bool // scanPlan read the plan

	// deps are the steps' dependencies, as the reader reads them.
	deps depList

	// compiles is set by a caller that compiles the plan read: then
	// prog, when not nil, is the plan's program, allocated with it for
	// compile to fill.
	compiles bool
	prog     *Program
}

type stepArgs struct {
	step int
	text string
}

// The keys of a plan and of its steps; keyOther is any other.
const (
	keyOther = iota
	keyThought
	keySteps
	keyID
	keyTask
	keyTool
	keyArgs
	keyDeps
	keyWhen
)

// The keys with their quotes and colon, as load8 reads them: "id": in 5
// bytes, "task": and the other step keys in 7, "steps": in 8, and the
// first 8 of the 10 of "thought":.
const (
	wordID      = '"' | 'i'<<8 | 'd'<<16 | '"'<<24 | ':'<<32
	wordTask    = '"' | 't'<<8 | 'a'<<16 | 's'<<24 | 'k'<<32 | '"'<<40 | ':'<<48
	wordTool    = '"' | 't'<<8 | 'o'<<16 | 'o'<<24 | 'l'<<32 | '"'<<40 | ':'<<48
	wordArgs    = '"' | 'a'<<8 | 'r'<<16 | 'g'<<24 | 's'<<32 | '"'<<40 | ':'<<48
	wordDeps    = '"' | 'd'<<8 | 'e'<<16 | 'p'<<24 | 's'<<32 | '"'<<40 | ':'<<48
	wordWhen    = '"' | 'w'<<8 | 'h'<<16 | 'e'<<24 | 'n'<<32 | '"'<<40 | ':'<<48
	wordSteps   = '"' | 's'<<8 | 't'<<16 | 'e'<<24 | 'p'<<32 | 's'<<40 | '"'<<48 | ':'<<56
	wordThought = '"' | 't'<<8 | 'h'<<16 | 'o'<<24 | 'u'<<32 | 'g'<<40 | 'h'<<48 | 't'<<56
)

// readKey reads the key of an object's member at i and the colon after
// it, and returns which key it is and the position of the value.
func readKey(s string, i int) (int, int, bool) {
	// Keys as the schema writes them are matched at once, a word at a
	// time; others (escaped, with space before the colon, unknown) are
	// read as strings.
	if i+8 <= len(s) {
		w := load8(s[i : i+8])
		if w&(1<<40-1) == wordID {
			return keyID, skipSpace(s, i+5), true
		}
		switch w & (1<<56 - 1) {
		case wordTask:
			return keyTask, skipSpace(s, i+7), true
		case wordTool:
			return keyTool, skipSpace(s, i+7), true
		case wordArgs:
			return keyArgs, skipSpace(s, i+7), true
		case wordDeps:
			return keyDeps, skipSpace(s, i+7), true
		case wordWhen:
			return keyWhen, skipSpace(s, i+7), true
		}
		switch w {
		case wordSteps:
			return keySteps, skipSpace(s, i+8), true
		case wordThought:
			if i+10 <= len(s) && s[i+8] == '"' && s[i+9] == ':' {
				return keyThought, skipSpace(s, i+10), true
			}
		}
	}
	key, j, ok := readStr(s, i)
	if !ok {
		return keyOther, i, false
	}
	if j = skipSpace(s, j); j >= len(s) || s[j] != ':' {
		return keyOther, j, false
	}
	k := keyOther
	switch key {
	case "thought":
		k = keyThought
	case "steps":
		k = keySteps
	case "id":
		k = keyID
	case "task":
		k = keyTask
	case "tool":
		k = keyTool
	case "args":
		k = keyArgs
	case "deps":
		k = keyDeps
	case "when":
		k = keyWhen
	}
	return k, skipSpace(s, j+1), true
}

// skipSpace returns the position of the first byte at or after i that is
// not JSON space.
func skipSpace(s string, i int) int {
	// Plans written as the schema asks are compact: the next byte is
	// usually not space, and every JSON space byte is at most ' '.
	for i < len(s) && s[i] <= ' ' {
		if c := s[i]; c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			break
		}
		i++
	}
	return i
}

// Repeated bytes for reading 8 bytes of a string at a time.
const (
	lows  = 0x0101010101010101
	highs = 0x8080808080808080
)

// load8 reads the 8 bytes of w, the first in the lowest byte.
func load8[T string | []byte](w T) uint64 {
	_ = w[7]
	return uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
		uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56
}

// stops flags (in the high bit of its byte, with highs) the bytes of x
// that end the plain run of a JSON string's body: a quote, a backslash
// or a control character. A flag may also be set, wrongly, for a byte
// above the first that is flagged rightly, but never below it: only the
// lowest flag is to be used.
func stops(x uint64) uint64 {
	q := x ^ (lows * '"')
	b := x ^ (lows * '\\')
	return ((x - lows*0x20) &^ x) | ((q - lows) &^ q) | ((b - lows) &^ b)
}

// readStr reads the JSON string at i, returning its value and the
// position after it.
func readStr(s string, i int) (string, int, bool) {
	if i >= len(s) || s[i] != '"' {
		return "", i, false
	}
	start := i + 1
	j := start
	// high picks the bytes of non-ASCII characters in a word, until the
	// first: then the body is checked as UTF-8 once it is read.
	high := uint64(highs)
	for {
		// Eight bytes at a time, to the first that is a quote, a
		// backslash, a control character or (while high is set)
		// non-ASCII. Every flag below the first such byte is exact,
		// which is all that is used.
		for ; j+8 <= len(s); j += 8 {
			x := load8(s[j : j+8])
			if m := (stops(x) | x&high) & highs; m != 0 {
				j += bits.TrailingZeros64(m) >> 3
				break
			}
		}
		if j >= len(s) {
			return "", i, false
		}
		switch c := s[j]; {
		case c == '"':
			body := s[start:j]
			if high == 0 && !utf8.ValidString(body) {
				return "", i, false
			}
			return body, j + 1, true
		case c == '\\':
			return escapedStr(s, i, j)
		case c < 0x20:
			return "", i, false
		case c >= utf8.RuneSelf:
			high = 0
		}
		j++
	}
}

// escapedStr reads the JSON string starting at start, which has an
// escape at j, and unescapes it as encoding/json does: escapes replaced,
// a \u escape of half a surrogate pair, like a byte of invalid UTF-8,
// replaced by U+FFFD.
func escapedStr(s string, start, j int) (string, int, bool) {
	var room [128]byte
	b := append(room[:0], s[start+1:j]...)
	if !utf8.Valid(b) {
		// Read again from the start, with invalid bytes replaced.
		b, j = b[:0], start+1
	}
	for j < len(s) {
		switch c := s[j]; {
		case c == '"':
			return string(b), j + 1, true
		case c == '\\':
			if j+1 >= len(s) {
				return "", start, false
			}
			switch e := s[j+1]; e {
			case '"', '\\', '/':
				b = append(b, e)
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				r, ok := u4(s, j)
				if !ok {
					return "", start, false
				}
				j += 6
				if utf16.IsSurrogate(r) {
					if r2, ok := u4(s, j); ok {
						if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
							b = utf8.AppendRune(b, d)
							j += 6
							continue
						}
					}
					r = utf8.RuneError
				}
				b = utf8.AppendRune(b, r)
				continue
			default:
				return "", start, false
			}
			j += 2
		case c < 0x20:
			return "", start, false
		case c < utf8.RuneSelf:
			b = append(b, c)
			j++
		default:
			r, size := utf8.DecodeRuneInString(s[j:])
			b = utf8.AppendRune(b, r)
			j += size
		}
	}
	return "", start, false
}

// u4 reads the escape \uXXXX at j.
func u4(s string, j int) (rune, bool) {
	if j+6 > len(s) || s[j] != '\\' || s[j+1] != 'u' {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[j+2 : j+6]) {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// readSteps reads the steps at i onto steps; texts receives the texts of
// their arguments and dependencies.
func readSteps(s string, i int, steps []Step, texts *argTexts) ([]Step, int, bool) {
	if i >= len(s) || s[i] != '[' {
		return nil, i, false
	}
	i++
	for first := true; ; first = false {
		i = skipSpace(s, i)
		if i < len(s) && s[i] == ']' {
			return steps, i + 1, true
		}
		if !first {
			if i >= len(s) || s[i] != ',' {
				return nil, i, false
			}
			i = skipSpace(s, i+1)
		}
		steps = append(steps, Step{})
		var args string
		var ok bool
		if i, args, ok = readStep(s, i, steps, &texts.deps); !ok {
			return nil, i, false
		}
		if args != "" {
			texts.add(stepArgs{len(steps) - 1, args})
		}
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

// readStep reads the step at i into the last of steps, which is zero, and
// returns the position after it and the text of its arguments ("" when it
// has none: arguments are an object, never empty). Its dependencies are
// added to deps.
func readStep(s string, i int, steps []Step, deps *depList) (int, string, bool) {
	k := len(steps) - 1
	st := &steps[k]
	if i >= len(s) || s[i] != '{' {
		return i, "", false
	}
	i++
	var args string
	from := -1 // where the step's dependencies start in deps
	for first := true; ; first = false {
		i = skipSpace(s, i)
		if i < len(s) && s[i] == '}' {
			i++
			break
		}
		if !first {
			if i >= len(s) || s[i] != ',' {
				return i, "", false
			}
			i = skipSpace(s, i+1)
		}
		key, j, ok := readKey(s, i)
		if !ok {
			return i, "", false
		}
		switch i = j; key {
		case keyID:
			st.ID, i, ok = readStr(s, i)
			// Numbers, also with space around them, are for the
			// general reader, which normalizes them.
			st.ID = trimSpace(st.ID)
			ok = ok && !isDigits(st.ID)
		case keyTask:
			st.Task, i, ok = readStr(s, i)
		case keyTool:
			st.Tool, i, ok = readStr(s, i)
		case keyWhen:
			st.When, i, ok = readStr(s, i)
		case keyArgs:
			if i >= len(s) || s[i] != '{' {
				return i, "", false
			}
			// One JSON object, checked as it is read; copied with the
			// other steps' arguments once the steps are read.
			var end int
			if end, ok = jsonValue(s, i, 0); ok {
				args, i = s[i:end], end
			}
		case keyDeps:
			// A later "deps" replaces an earlier one.
			if from >= 0 {
				deps.truncate(from)
			}
			from = deps.n
			if i >= len(s) || s[i] != '[' {
				return i, "", false
			}
			i++
			for f := true; ; f = false {
				i = skipSpace(s, i)
				if i < len(s) && s[i] == ']' {
					i++
					break
				}
				if !f {
					if i >= len(s) || s[i] != ',' {
						return i, "", false
					}
					i = skipSpace(s, i+1)
				}
				var d string
				d, i, ok = readStr(s, i)
				if !ok || d == "" || d[0] == '$' || isDigits(d) || trimSpace(d) != d {
					return i, "", false
				}
				deps.add(stepDep{k, d})
			}
		default:
			return i, "", false
		}
		if !ok {
			return i, "", false
		}
	}
	st.Tool, st.When = trimSpace(st.Tool), trimSpace(st.When)
	return i, args, true
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
