package planner

import "math/bits"

// validJSON reports whether s is one valid JSON text, exactly as
// json.Valid does (strings are not checked for valid UTF-8, nesting is
// limited to 10000 levels), without its state machine: plans are checked
// on every planning call, and their arguments are short.
//
// The checker's functions take the text and a position and return the
// position after what they read, so that both stay in registers.
func validJSON[T string | []byte](s T) bool {
	i, ok := jsonValue(s, jsonSpace(s, 0), 0)
	return ok && jsonSpace(s, i) == len(s)
}

// maxDepth is encoding/json's limit on nesting.
const maxDepth = 10000

// jsonSpace returns the position of the first byte at or after i that is
// not JSON space.
func jsonSpace[T string | []byte](s T, i int) int {
	// Every JSON space byte is at most ' ': one comparison settles the
	// usual case of compact JSON.
	for i < len(s) && s[i] <= ' ' {
		if c := s[i]; c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			break
		}
		i++
	}
	return i
}

// jsonValue checks the JSON value at i, nested depth levels deep, and
// returns the position after it.
func jsonValue[T string | []byte](s T, i, depth int) (int, bool) {
	if i >= len(s) {
		return i, false
	}
	var ok bool
	switch c := s[i]; c {
	case '{':
		if depth >= maxDepth {
			return i, false
		}
		i = jsonSpace(s, i+1)
		if i < len(s) && s[i] == '}' {
			return i + 1, true
		}
		for {
			if i >= len(s) || s[i] != '"' {
				return i, false
			}
			if i, ok = jsonStr(s, i); !ok {
				return i, false
			}
			if i = jsonSpace(s, i); i >= len(s) || s[i] != ':' {
				return i, false
			}
			if i = jsonSpace(s, i+1); i < len(s) && s[i] == '"' {
				i, ok = jsonStr(s, i)
			} else {
				i, ok = jsonValue(s, i, depth+1)
			}
			if !ok {
				return i, false
			}
			if i = jsonSpace(s, i); i >= len(s) {
				return i, false
			}
			switch s[i] {
			case ',':
				i = jsonSpace(s, i+1)
			case '}':
				return i + 1, true
			default:
				return i, false
			}
		}
	case '[':
		if depth >= maxDepth {
			return i, false
		}
		i = jsonSpace(s, i+1)
		if i < len(s) && s[i] == ']' {
			return i + 1, true
		}
		for {
			if i, ok = jsonValue(s, i, depth+1); !ok {
				return i, false
			}
			if i = jsonSpace(s, i); i >= len(s) {
				return i, false
			}
			switch s[i] {
			case ',':
				i = jsonSpace(s, i+1)
			case ']':
				return i + 1, true
			default:
				return i, false
			}
		}
	case '"':
		return jsonStr(s, i)
	case 't':
		return jsonWord(s, i, "true")
	case 'f':
		return jsonWord(s, i, "false")
	case 'n':
		return jsonWord(s, i, "null")
	default:
		if c == '-' || '0' <= c && c <= '9' {
			return jsonNumber(s, i)
		}
		return i, false
	}
}

func jsonWord[T string | []byte](s T, i int, w string) (int, bool) {
	if len(s)-i < len(w) || string(s[i:i+len(w)]) != w {
		return i, false
	}
	return i + len(w), true
}

// jsonStr checks the string starting at its opening quote at i.
func jsonStr[T string | []byte](s T, i int) (int, bool) {
	j := i + 1
	for {
		// Eight bytes at a time, to the first that ends a plain run.
		for ; j+8 <= len(s); j += 8 {
			if m := stops(load8(s[j:j+8])) & highs; m != 0 {
				j += bits.TrailingZeros64(m) >> 3
				break
			}
		}
		if j >= len(s) {
			return j, false
		}
		switch c := s[j]; {
		case c == '"':
			return j + 1, true
		case c < 0x20:
			return j, false
		case c == '\\':
			j++
			if j >= len(s) {
				return j, false
			}
			switch s[j] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				j++
			case 'u':
				j++
				for k := 0; k < 4; k++ {
					if j >= len(s) || !isHex(s[j]) {
						return j, false
					}
					j++
				}
			default:
				return j, false
			}
		default:
			j++
		}
	}
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func jsonDigits[T string | []byte](s T, i int) (int, bool) {
	start := i
	for i < len(s) && '0' <= s[i] && s[i] <= '9' {
		i++
	}
	return i, i > start
}

// jsonNumber checks -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? at i.
func jsonNumber[T string | []byte](s T, i int) (int, bool) {
	if s[i] == '-' {
		i++
	}
	if i >= len(s) {
		return i, false
	}
	ok := true
	switch c := s[i]; {
	case c == '0':
		i++
	case '1' <= c && c <= '9':
		i, _ = jsonDigits(s, i)
	default:
		return i, false
	}
	if i < len(s) && s[i] == '.' {
		if i, ok = jsonDigits(s, i+1); !ok {
			return i, false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i, ok = jsonDigits(s, i); !ok {
			return i, false
		}
	}
	return i, true
}
