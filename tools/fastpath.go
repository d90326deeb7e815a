package tools

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"regexp"
	"strconv"
	"unicode/utf8"
	"unsafe"
)

// The fast path validates arguments in one pass over their bytes, with no
// allocation, for the keywords that tool schemas mostly use. It is only
// ever trusted to accept: when it finds a problem, or meets a keyword or a
// value it does not decide exactly as the reference validator
// (santhosh-tekuri/jsonschema) would, the arguments go through the
// reference validator, which gives the verdict and the error. So a call
// with valid arguments costs microseconds, and the fast path can never let
// through what the schema forbids. A differential fuzz test holds it to
// that.

type fastResult uint8

const (
	fastOK fastResult = iota
	fastBad
	fastUnknown
)

const (
	tNull uint8 = 1 << iota
	tBool
	tInt
	tNum
	tStr
	tArr
	tObj
)

// fastProp is what an object schema says of one property name.
type fastProp struct {
	s        *fastSchema
	declared bool // listed in properties
	bit      int8 // its bit in the required mask, or -1
}

type fastSchema struct {
	types uint8 // 0: any type
	slow  bool  // uses a keyword the fast path does not implement

	hasEnum  bool
	enumStr  []string
	enumBool uint8 // bit 0: false allowed, bit 1: true allowed
	enumNull bool

	props map[string]fastProp // declared and required properties
	// propList holds props too when there are at most smallProps:
	// comparing a few names costs less than hashing one.
	propList []namedProp
	reqMask  uint64
	addl     uint8 // 0: any, 1: forbidden, 2: addlSch
	addlSch  *fastSchema

	items              *fastSchema
	minItems, maxItems int64 // -1: none

	minLen, maxLen int64 // -1: none
	pattern        *regexp.Regexp
	format         bool

	hasMin, hasMax, hasExMin, hasExMax bool
	min, max, exMin, exMax             float64

	anyOf []*fastSchema

	// Set by finish, once the schema is compiled, to spare the common
	// cases the general path (see checkObject and validateFast):
	//
	// anyString: check accepts any JSON string, and only its syntax
	// matters (no anyOf, enum, format or length or pattern).
	anyString bool
	// bareObject: check of an object is checkObject itself (not slow,
	// objects allowed, no enum or anyOf).
	bareObject bool
}

// finish sets what s's checks can skip, once its keywords are compiled.
func (s *fastSchema) finish() {
	s.anyString = !s.slow && len(s.anyOf) == 0 && (s.types == 0 || s.types&tStr != 0) &&
		!s.hasEnum && s.pattern == nil && s.minLen < 0 && s.maxLen < 0 && !s.format
	s.bareObject = !s.slow && len(s.anyOf) == 0 && (s.types == 0 || s.types&tObj != 0) && !s.hasEnum
	for i := range s.propList {
		np := &s.propList[i]
		np.raw = rawKey(np.name)
		if np.raw && len(np.name) < 8 {
			// The name and its closing quote, as the eight bytes from
			// the name's start read little-endian, masked.
			var w [8]byte
			copy(w[:], np.name+`"`)
			np.word = binary.LittleEndian.Uint64(w[:])
			np.mask = 1<<(8*(len(np.name)+1)) - 1
			if len(np.name) == 7 {
				np.mask = ^uint64(0)
			}
		}
	}
}

// rawKey reports whether name appears in JSON as its own bytes between
// quotes, with no escape: it has no quote, backslash or control byte
// and is valid UTF-8, so a key of exactly its bytes is exactly it.
func rawKey(name string) bool {
	for i := 0; i < len(name); i++ {
		if c := name[i]; c < 0x20 || c == '"' || c == '\\' {
			return false
		}
	}
	return utf8.ValidString(name)
}

// annotation and unknown keywords are ignored by the reference validator
// too; these are the assertions the fast path leaves to it.
var slowKeywords = map[string]bool{
	"$ref": true, "$dynamicRef": true, "$recursiveRef": true, "allOf": true, "oneOf": true,
	"not": true, "if": true, "then": true, "else": true, "dependentSchemas": true,
	"dependencies": true, "dependentRequired": true, "prefixItems": true, "additionalItems": true,
	"contains": true, "minContains": true, "maxContains": true, "patternProperties": true,
	"propertyNames": true, "unevaluatedItems": true, "unevaluatedProperties": true,
	"multipleOf": true, "uniqueItems": true, "maxProperties": true, "minProperties": true,
	"$recursiveAnchor": true, "$dynamicAnchor": true,
}

// compileFast builds the fast-path form of a schema document (as
// jsonschema.UnmarshalJSON decodes it). It never fails: what it cannot
// handle is marked slow.
func compileFast(doc any) *fastSchema {
	s := &fastSchema{minItems: -1, maxItems: -1, minLen: -1, maxLen: -1}
	switch d := doc.(type) {
	case bool:
		if !d {
			s.slow = true
		}
		s.finish()
		return s
	case map[string]any:
		for k, v := range d {
			if slowKeywords[k] {
				s.slow = true
				continue
			}
			switch k {
			case "type":
				s.types = typeBits(v, &s.slow)
			case "enum":
				l, ok := v.([]any)
				if !ok {
					s.slow = true
					continue
				}
				s.addEnum(l)
			case "const":
				s.addEnum([]any{v})
			case "properties":
				m, ok := v.(map[string]any)
				if !ok {
					s.slow = true
					continue
				}
				if s.props == nil {
					s.props = make(map[string]fastProp, len(m))
				}
				for name, ps := range m {
					p, seen := s.props[name]
					if !seen {
						p.bit = -1
					}
					p.s, p.declared = compileFast(ps), true
					s.props[name] = p
				}
			case "required":
				l, ok := v.([]any)
				if !ok || len(l) > 64 {
					s.slow = true
					continue
				}
				if s.props == nil {
					s.props = make(map[string]fastProp, len(l))
				}
				n := int8(0)
				for _, r := range l {
					name, ok := r.(string)
					if !ok {
						s.slow = true
						continue
					}
					p, seen := s.props[name]
					if !seen {
						p.bit = -1
					}
					if p.bit >= 0 {
						continue // listed twice
					}
					p.bit = n
					s.reqMask |= 1 << n
					n++
					s.props[name] = p
				}
			case "additionalProperties":
				switch a := v.(type) {
				case bool:
					if !a {
						s.addl = 1
					}
				case map[string]any:
					s.addl, s.addlSch = 2, compileFast(a)
				default:
					s.slow = true
				}
			case "items":
				switch v.(type) {
				case bool, map[string]any:
					s.items = compileFast(v)
				default:
					s.slow = true
				}
			case "minItems":
				s.minItems = intKeyword(v, &s.slow)
			case "maxItems":
				s.maxItems = intKeyword(v, &s.slow)
			case "minLength":
				s.minLen = intKeyword(v, &s.slow)
			case "maxLength":
				s.maxLen = intKeyword(v, &s.slow)
			case "pattern":
				p, ok := v.(string)
				if !ok {
					s.slow = true
					continue
				}
				re, err := regexp.Compile(p)
				if err != nil {
					s.slow = true
					continue
				}
				s.pattern = re
			case "format":
				s.format = true
			case "minimum":
				s.min, s.hasMin = floatKeyword(v, &s.slow)
			case "maximum":
				s.max, s.hasMax = floatKeyword(v, &s.slow)
			case "exclusiveMinimum":
				s.exMin, s.hasExMin = floatKeyword(v, &s.slow)
			case "exclusiveMaximum":
				s.exMax, s.hasExMax = floatKeyword(v, &s.slow)
			case "anyOf":
				l, ok := v.([]any)
				if !ok || len(l) == 0 {
					s.slow = true
					continue
				}
				for _, x := range l {
					s.anyOf = append(s.anyOf, compileFast(x))
				}
			}
		}
		if len(s.props) > 0 && len(s.props) <= smallProps {
			for name, p := range s.props {
				s.propList = append(s.propList, namedProp{name: name, p: p})
			}
		}
		s.finish()
		return s
	}
	s.slow = true
	s.finish()
	return s
}

func typeBits(v any, slow *bool) uint8 {
	one := func(name string) uint8 {
		switch name {
		case "null":
			return tNull
		case "boolean":
			return tBool
		case "integer":
			return tInt
		case "number":
			return tNum
		case "string":
			return tStr
		case "array":
			return tArr
		case "object":
			return tObj
		}
		*slow = true
		return 0
	}
	switch t := v.(type) {
	case string:
		return one(t)
	case []any:
		var bits uint8
		for _, x := range t {
			name, ok := x.(string)
			if !ok {
				*slow = true
				return 0
			}
			bits |= one(name)
		}
		if bits == 0 {
			*slow = true
		}
		return bits
	}
	*slow = true
	return 0
}

func (s *fastSchema) addEnum(l []any) {
	if s.hasEnum {
		s.slow = true // enum and const together
		return
	}
	s.hasEnum = true
	for _, e := range l {
		switch x := e.(type) {
		case string:
			s.enumStr = append(s.enumStr, x)
		case bool:
			if x {
				s.enumBool |= 2
			} else {
				s.enumBool |= 1
			}
		case nil:
			s.enumNull = true
		default: // numbers, arrays, objects: compared by the reference validator
			s.slow = true
		}
	}
}

func intKeyword(v any, slow *bool) int64 {
	n, ok := v.(json.Number)
	if !ok {
		*slow = true
		return -1
	}
	i, err := n.Int64()
	if err != nil || i < 0 {
		*slow = true
		return -1
	}
	return i
}

func floatKeyword(v any, slow *bool) (float64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		*slow = true
		return 0, false
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || math.IsInf(f, 0) {
		*slow = true
		return 0, false
	}
	return f, true
}

// fastScanner walks JSON bytes.
type fastScanner struct {
	b []byte
	i int
}

func (sc *fastScanner) ws() {
	// Every JSON space byte is at most ' ': one comparison settles the
	// usual case of compact JSON.
	if sc.i < len(sc.b) && sc.b[sc.i] > ' ' {
		return
	}
	for sc.i < len(sc.b) {
		switch sc.b[sc.i] {
		case ' ', '\t', '\n', '\r':
			sc.i++
		default:
			return
		}
	}
}

// validateFast checks a whole arguments document.
func (s *fastSchema) validateFast(b []byte) fastResult {
	if s == nil {
		return fastUnknown
	}
	sc := fastScanner{b: b}
	sc.ws()
	if sc.i >= len(b) || b[sc.i] != '{' {
		return fastUnknown
	}
	var r fastResult
	if s.bareObject {
		r = s.checkObject(&sc, 0) // what check would come to
	} else {
		r = s.check(&sc, 0)
	}
	if r != fastOK {
		return r
	}
	sc.ws()
	if sc.i != len(b) {
		return fastBad
	}
	return fastOK
}

const maxFastDepth = 64

// check consumes one value and validates it against s.
func (s *fastSchema) check(sc *fastScanner, depth int) fastResult {
	if s.slow || depth > maxFastDepth {
		return fastUnknown
	}
	sc.ws()
	start := sc.i
	r := s.checkOwn(sc, depth)
	if r != fastOK || len(s.anyOf) == 0 {
		return r
	}
	end := sc.i
	res := fastBad
	for _, br := range s.anyOf {
		sub := fastScanner{b: sc.b[:end], i: start}
		switch br.check(&sub, depth+1) {
		case fastOK:
			if sub.i == end {
				return fastOK
			}
			res = fastUnknown
		case fastUnknown:
			res = fastUnknown
		}
	}
	return res
}

func (s *fastSchema) checkOwn(sc *fastScanner, depth int) fastResult {
	if sc.i >= len(sc.b) {
		return fastBad
	}
	switch c := sc.b[sc.i]; {
	case c == '{':
		if s.types != 0 && s.types&tObj == 0 || s.hasEnum {
			return fastBad
		}
		return s.checkObject(sc, depth)
	case c == '[':
		if s.types != 0 && s.types&tArr == 0 || s.hasEnum {
			return fastBad
		}
		return s.checkArray(sc, depth)
	case c == '"':
		if s.types != 0 && s.types&tStr == 0 {
			return fastBad
		}
		return s.checkString(sc)
	case c == 't' || c == 'f' || c == 'n':
		var lit string
		var bit uint8
		switch c {
		case 't':
			lit, bit = "true", tBool
		case 'f':
			lit, bit = "false", tBool
		default:
			lit, bit = "null", tNull
		}
		if !bytes.HasPrefix(sc.b[sc.i:], []byte(lit)) {
			return fastBad
		}
		sc.i += len(lit)
		if s.types != 0 && s.types&bit == 0 {
			return fastBad
		}
		if s.hasEnum {
			switch c {
			case 't':
				if s.enumBool&2 == 0 {
					return fastBad
				}
			case 'f':
				if s.enumBool&1 == 0 {
					return fastBad
				}
			default:
				if !s.enumNull {
					return fastBad
				}
			}
		}
		return fastOK
	case c == '-' || c >= '0' && c <= '9':
		start := sc.i
		integral, ok := scanNumber(sc)
		if !ok {
			return fastBad
		}
		if s.hasEnum {
			return fastBad
		}
		if s.types != 0 && s.types&tNum == 0 {
			if s.types&tInt == 0 {
				return fastBad
			}
			if !integral {
				return fastUnknown // 1.0 and 1e2 are integers to JSON Schema
			}
		}
		if s.hasMin || s.hasMax || s.hasExMin || s.hasExMax {
			num := sc.b[start:sc.i]
			f, err := strconv.ParseFloat(unsafe.String(&num[0], len(num)), 64)
			if err != nil {
				return fastUnknown
			}
			// Rounding to float64 keeps order, so a strict inequality
			// between rounded values holds between the exact ones; only
			// equality is undecided.
			if s.hasMin && !(f > s.min) || s.hasExMin && !(f > s.exMin) ||
				s.hasMax && !(f < s.max) || s.hasExMax && !(f < s.exMax) {
				if s.hasMin && f < s.min || s.hasExMin && f < s.exMin ||
					s.hasMax && f > s.max || s.hasExMax && f > s.exMax {
					return fastBad
				}
				return fastUnknown
			}
		}
		return fastOK
	}
	return fastBad
}

// namedProp is a property of propList.
type namedProp struct {
	name string
	p    fastProp
	raw  bool // see rawKey
	// word and mask, for a raw name of at most seven bytes (mask 0
	// otherwise), are the name and its closing quote as checkObject
	// compares them with the eight bytes after a key's opening quote.
	word, mask uint64
}

// smallProps is the number of properties up to which an object schema
// keeps them in a list too.
const smallProps = 8

// prop returns what s says of the property named key.
func (s *fastSchema) prop(key []byte) (fastProp, bool) {
	if s.propList != nil {
		for i := range s.propList {
			if np := &s.propList[i]; len(np.name) == len(key) && np.name == string(key) {
				return np.p, true
			}
		}
		return fastProp{}, false
	}
	p, ok := s.props[string(key)]
	return p, ok
}

// skipWS returns the index of the first byte at or after i in b that is
// not JSON white space.
func skipWS(b []byte, i int) int {
	for i < len(b) && b[i] <= ' ' {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// checkObject consumes an object and validates it against s. Its index
// is kept in a local, stored back to sc around what it calls. A key that
// is one of a small object's property names, as written (see rawKey), is
// found by comparing the bytes in place; a value that any string matches
// is checked by scanning it.
func (s *fastSchema) checkObject(sc *fastScanner, depth int) fastResult {
	b := sc.b
	i := skipWS(b, sc.i+1) // past {
	var seen uint64
	if i < len(b) && b[i] == '}' {
		sc.i = i + 1
		if s.reqMask != 0 {
			return fastBad
		}
		return fastOK
	}
	for {
		i = skipWS(b, i)
		if i >= len(b) || b[i] != '"' {
			sc.i = i
			return fastBad
		}
		var p fastProp
		known := false
		var w uint64
		short := i+9 <= len(b)
		if short {
			w = binary.LittleEndian.Uint64(b[i+1 : i+9])
		}
		for k := range s.propList {
			np := &s.propList[k]
			if short && np.mask != 0 {
				if w&np.mask == np.word {
					p, known = np.p, true
					i += 1 + len(np.name) + 1
					break
				}
				continue
			}
			if end := i + 1 + len(np.name); np.raw && end < len(b) && b[end] == '"' && string(b[i+1:end]) == np.name {
				p, known = np.p, true
				i = end + 1
				break
			}
		}
		if !known {
			sc.i = i
			key, plain, ok := scanString(sc)
			if !ok {
				return fastBad
			}
			if !plain {
				return fastUnknown
			}
			i = sc.i
			p, known = s.prop(key)
		}
		i = skipWS(b, i)
		if i >= len(b) || b[i] != ':' {
			sc.i = i
			return fastBad
		}
		i++
		var child *fastSchema
		if known {
			if p.bit >= 0 {
				seen |= 1 << p.bit
			}
			child = p.s
		}
		if !known || !p.declared {
			switch s.addl {
			case 1:
				sc.i = i
				return fastBad
			case 2:
				child = s.addlSch
			}
		}
		if child == nil {
			sc.i = i
			if !skipValue(sc, depth+1) {
				return fastBad
			}
			i = sc.i
		} else {
			i = skipWS(b, i)
			sc.i = i
			if child.anyString && depth+1 <= maxFastDepth && i < len(b) && b[i] == '"' {
				// What child.check would come to.
				if _, _, ok := scanString(sc); !ok {
					return fastBad
				}
			} else if r := child.check(sc, depth+1); r != fastOK {
				return r
			}
			i = sc.i
		}
		i = skipWS(b, i)
		if i >= len(b) {
			sc.i = i
			return fastBad
		}
		switch b[i] {
		case ',':
			i++
			continue
		case '}':
			sc.i = i + 1
			if seen&s.reqMask != s.reqMask {
				return fastBad
			}
			return fastOK
		}
		sc.i = i
		return fastBad
	}
}

func (s *fastSchema) checkArray(sc *fastScanner, depth int) fastResult {
	sc.i++ // [
	var n int64
	sc.ws()
	if sc.i < len(sc.b) && sc.b[sc.i] == ']' {
		sc.i++
	} else {
		for {
			if s.items != nil {
				if r := s.items.check(sc, depth+1); r != fastOK {
					return r
				}
			} else if !skipValue(sc, depth+1) {
				return fastBad
			}
			n++
			sc.ws()
			if sc.i >= len(sc.b) {
				return fastBad
			}
			if sc.b[sc.i] == ',' {
				sc.i++
				continue
			}
			if sc.b[sc.i] == ']' {
				sc.i++
				break
			}
			return fastBad
		}
	}
	if s.minItems >= 0 && n < s.minItems || s.maxItems >= 0 && n > s.maxItems {
		return fastBad
	}
	return fastOK
}

func (s *fastSchema) checkString(sc *fastScanner) fastResult {
	str, plain, ok := scanString(sc)
	if !ok {
		return fastBad
	}
	needValue := s.hasEnum || s.pattern != nil || s.minLen >= 0 || s.maxLen >= 0
	if s.format {
		return fastUnknown
	}
	if !needValue {
		return fastOK
	}
	if !plain {
		return fastUnknown
	}
	if s.hasEnum {
		found := false
		for _, e := range s.enumStr {
			if string(str) == e {
				found = true
				break
			}
		}
		if !found {
			return fastBad
		}
	}
	if s.minLen >= 0 || s.maxLen >= 0 {
		n := int64(utf8.RuneCount(str))
		if s.minLen >= 0 && n < s.minLen || s.maxLen >= 0 && n > s.maxLen {
			return fastBad
		}
	}
	if s.pattern != nil && !s.pattern.Match(str) {
		return fastBad
	}
	return fastOK
}

// plainByte[c] reports an ASCII byte that stands for itself in a JSON
// string: not a quote, a backslash or a control byte.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// scanString consumes a JSON string. plain reports a string without
// escapes that is valid UTF-8, whose bytes are its value.
func scanString(sc *fastScanner) (val []byte, plain, ok bool) {
	// The index is kept in a local, in a register, and stored back
	// once.
	b, i := sc.b, sc.i+1 // past the "
	start := i
	plain = true
	ascii := true
	for i < len(b) {
		c := b[i]
		if plainByte[c] {
			i++
			continue
		}
		switch {
		case c == '"':
			val = b[start:i]
			sc.i = i + 1
			if !ascii && !utf8.Valid(val) {
				plain = false
			}
			return val, plain, true
		case c == '\\':
			plain = false
			i++
			if i >= len(b) {
				sc.i = i
				return nil, false, false
			}
			switch b[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i++
			case 'u':
				if i+4 >= len(b) {
					sc.i = i
					return nil, false, false
				}
				for _, h := range b[i+1 : i+5] {
					if !(h >= '0' && h <= '9' || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F') {
						sc.i = i
						return nil, false, false
					}
				}
				i += 5
			default:
				sc.i = i
				return nil, false, false
			}
		case c < 0x20:
			sc.i = i
			return nil, false, false
		default:
			if c >= 0x80 {
				ascii = false
			}
			i++
		}
	}
	sc.i = i
	return nil, false, false
}

// scanNumber consumes a JSON number, reporting whether it has neither a
// fraction nor an exponent.
func scanNumber(sc *fastScanner) (integral, ok bool) {
	b := sc.b
	i := sc.i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return false, false
	}
	integral = true
	if i < len(b) && b[i] == '.' {
		integral = false
		i++
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return false, false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		integral = false
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return false, false
		}
	}
	sc.i = i
	return integral, true
}

// skipValue consumes any JSON value, checking its syntax.
func skipValue(sc *fastScanner, depth int) bool {
	if depth > maxFastDepth {
		return false
	}
	open := fastSchema{minItems: -1, maxItems: -1, minLen: -1, maxLen: -1}
	sc.ws()
	return open.checkOwn(sc, depth) == fastOK
}
