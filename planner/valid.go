package planner

// validJSON reports whether s is one valid JSON text, exactly as
// json.Valid does (strings are not checked for valid UTF-8, nesting is
// limited to 10000 levels), without its state machine: plans are checked
// on every planning call, and their arguments are short.
func validJSON[T string | []byte](s T) bool {
	v := validator[T]{s: s}
	v.space()
	if !v.value(0) {
		return false
	}
	v.space()
	return v.i == len(v.s)
}

// maxDepth is encoding/json's limit on nesting.
const maxDepth = 10000

type validator[T string | []byte] struct {
	s T
	i int
}

func (v *validator[T]) space() {
	// Every JSON space byte is at most ' ': one comparison settles the
	// usual case of compact JSON.
	if v.i < len(v.s) && v.s[v.i] > ' ' {
		return
	}
	for v.i < len(v.s) {
		switch v.s[v.i] {
		case ' ', '\t', '\n', '\r':
			v.i++
		default:
			return
		}
	}
}

func (v *validator[T]) value(depth int) bool {
	if v.i >= len(v.s) {
		return false
	}
	switch c := v.s[v.i]; c {
	case '{':
		if depth >= maxDepth {
			return false
		}
		v.i++
		v.space()
		if v.i < len(v.s) && v.s[v.i] == '}' {
			v.i++
			return true
		}
		for {
			if v.i >= len(v.s) || v.s[v.i] != '"' || !v.str() {
				return false
			}
			v.space()
			if v.i >= len(v.s) || v.s[v.i] != ':' {
				return false
			}
			v.i++
			v.space()
			if !v.value(depth + 1) {
				return false
			}
			v.space()
			if v.i >= len(v.s) {
				return false
			}
			switch v.s[v.i] {
			case ',':
				v.i++
				v.space()
			case '}':
				v.i++
				return true
			default:
				return false
			}
		}
	case '[':
		if depth >= maxDepth {
			return false
		}
		v.i++
		v.space()
		if v.i < len(v.s) && v.s[v.i] == ']' {
			v.i++
			return true
		}
		for {
			if !v.value(depth + 1) {
				return false
			}
			v.space()
			if v.i >= len(v.s) {
				return false
			}
			switch v.s[v.i] {
			case ',':
				v.i++
				v.space()
			case ']':
				v.i++
				return true
			default:
				return false
			}
		}
	case '"':
		return v.str()
	case 't':
		return v.word("true")
	case 'f':
		return v.word("false")
	case 'n':
		return v.word("null")
	default:
		if c == '-' || '0' <= c && c <= '9' {
			return v.number()
		}
		return false
	}
}

func (v *validator[T]) word(w string) bool {
	if len(v.s)-v.i < len(w) || string(v.s[v.i:v.i+len(w)]) != w {
		return false
	}
	v.i += len(w)
	return true
}

// str reads a string starting at its opening quote.
func (v *validator[T]) str() bool {
	v.i++
	for v.i < len(v.s) {
		c := v.s[v.i]
		switch {
		case c == '"':
			v.i++
			return true
		case c < 0x20:
			return false
		case c == '\\':
			v.i++
			if v.i >= len(v.s) {
				return false
			}
			switch v.s[v.i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				v.i++
			case 'u':
				v.i++
				for k := 0; k < 4; k++ {
					if v.i >= len(v.s) || !isHex(v.s[v.i]) {
						return false
					}
					v.i++
				}
			default:
				return false
			}
		default:
			v.i++
		}
	}
	return false
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func (v *validator[T]) digits() bool {
	start := v.i
	for v.i < len(v.s) && '0' <= v.s[v.i] && v.s[v.i] <= '9' {
		v.i++
	}
	return v.i > start
}

// number reads -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?.
func (v *validator[T]) number() bool {
	if v.s[v.i] == '-' {
		v.i++
	}
	if v.i >= len(v.s) {
		return false
	}
	switch c := v.s[v.i]; {
	case c == '0':
		v.i++
	case '1' <= c && c <= '9':
		v.digits()
	default:
		return false
	}
	if v.i < len(v.s) && v.s[v.i] == '.' {
		v.i++
		if !v.digits() {
			return false
		}
	}
	if v.i < len(v.s) && (v.s[v.i] == 'e' || v.s[v.i] == 'E') {
		v.i++
		if v.i < len(v.s) && (v.s[v.i] == '+' || v.s[v.i] == '-') {
			v.i++
		}
		if !v.digits() {
			return false
		}
	}
	return true
}
