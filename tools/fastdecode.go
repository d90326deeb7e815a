package tools

import (
	"encoding"
	"encoding/binary"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// The fast decoder decodes the arguments of a [Func] tool whose In is a
// flat struct (exported fields of kinds bool, int*, uint*, float*, string,
// none with a custom decoding) straight into the struct, without
// reflection per call and without allocating: it is most of the cost of a
// trivial call otherwise. Like the fast validator it is only ever trusted
// to decode what it is sure of, exactly as encoding/json would: a key that
// is not a field's exact name, a string with an escape, a number that does
// not fit, a nested value or anything unusual makes it give up, and the
// caller decodes with encoding/json from scratch, which gives the result
// or the error. A differential fuzz test holds it to that.

type flatKind uint8

const (
	fkBool flatKind = iota + 1
	fkInt
	fkUint
	fkFloat32
	fkFloat64
	fkString
)

type flatField struct {
	name string
	off  uintptr
	kind flatKind
	bits int // of an integer
}

type flatDecoder struct {
	fields []flatField
	// one is `{"name":"` when the struct's one field is a string: a
	// tool of one string argument is mostly called with exactly that,
	// a string with nothing to unescape, and `"}`, which decodeOne
	// decodes in one pass.
	one string
	// oneLo and oneHi, when one has 8 to 16 bytes (oneLo is 0
	// otherwise), are its first and last eight bytes read
	// little-endian, which decodeOne compares as two words.
	oneLo, oneHi uint64
}

var (
	jsonUnmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// newFlatDecoder returns the fast decoder of t, or nil when t is not a
// struct it handles.
func newFlatDecoder(t reflect.Type) *flatDecoder {
	if implementsUnmarshal(t) {
		return nil
	}
	fs := plainFields(t, implementsUnmarshal)
	if fs == nil {
		return nil
	}
	d := &flatDecoder{fields: make([]flatField, len(fs))}
	for i, f := range fs {
		d.fields[i] = f.flatField
	}
	if len(fs) == 1 && fs[0].kind == fkString {
		d.one = `{"` + fs[0].name + `":"`
		if k := len(d.one); k >= 8 && k <= 16 {
			d.oneLo = binary.LittleEndian.Uint64([]byte(d.one[:8]))
			d.oneHi = binary.LittleEndian.Uint64([]byte(d.one[k-8:]))
		}
	}
	return d
}

// plainField is a field the fast paths handle, with its tag's options
// (",opt1,opt2,") and the field itself.
type plainField struct {
	flatField
	opts string
	sf   reflect.StructField
}

// plainFields returns the JSON fields of struct t when every one is a
// bool, number or string under a plain key that custom (which reports
// whether a type has its own JSON or text methods) does not claim; nil
// when t has one that is not (left to encoding/json), or is no struct.
func plainFields(t reflect.Type, custom func(reflect.Type) bool) []plainField {
	if t.Kind() != reflect.Struct {
		return nil
	}
	fs := []plainField{}
	seen := map[string]bool{}
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous {
			return nil
		}
		tag, hasTag := f.Tag.Lookup("json")
		if tag == "-" {
			continue
		}
		if !f.IsExported() {
			if hasTag {
				// encoding/json ignores it, but keep to the plain case.
				return nil
			}
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		opts = "," + opts + ","
		if strings.Contains(opts, ",string,") {
			return nil
		}
		if name == "" {
			name = f.Name
		}
		if !plainKey(name) || seen[strings.ToLower(name)] {
			// Names that fold together are matched by encoding/json's
			// rules for ties; leave them to it.
			return nil
		}
		seen[strings.ToLower(name)] = true
		if custom(f.Type) {
			return nil
		}
		pf := plainField{flatField: flatField{name: name, off: f.Offset}, opts: opts, sf: f}
		switch f.Type.Kind() {
		case reflect.Bool:
			pf.kind = fkBool
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			pf.kind, pf.bits = fkInt, f.Type.Bits()
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
			pf.kind, pf.bits = fkUint, f.Type.Bits()
		case reflect.Float32:
			pf.kind = fkFloat32
		case reflect.Float64:
			pf.kind = fkFloat64
		case reflect.String:
			pf.kind = fkString
		default:
			return nil
		}
		fs = append(fs, pf)
	}
	return fs
}

func implementsUnmarshal(t reflect.Type) bool {
	p := reflect.PointerTo(t)
	return t.Implements(jsonUnmarshalerType) || p.Implements(jsonUnmarshalerType) ||
		t.Implements(textUnmarshalerType) || p.Implements(textUnmarshalerType)
}

// plainKey reports whether a field name is ASCII that encoding/json takes
// as a tag name as it is (letters, digits and its allowed punctuation) and
// that needs no escaping, so that an unescaped key equal to it is that
// field.
func plainKey(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&()*+-./:;<=>?@[]^_{|}~ ", c) >= 0) {
			return false
		}
	}
	return true
}

// isSpace reports whether c is JSON white space. Every such byte is at
// most ' ', so one comparison settles the usual case of compact JSON.
func isSpace(c byte) bool { return c <= ' ' && (c == ' ' || c == '\t' || c == '\n' || c == '\r') }

// skipSpace returns the index of the first byte of data from i on that is
// not JSON white space.
func skipSpace(data []byte, i int) int {
	for i < len(data) && isSpace(data[i]) {
		i++
	}
	return i
}

// decodeOne decodes compact arguments of the one string field (see
// flatDecoder.one) into the zero struct at p. It reports false, having
// stored nothing, for anything else.
func (d *flatDecoder) decodeOne(data []byte, p unsafe.Pointer) bool {
	n, k := len(data), len(d.one)
	if n < k+2 || data[n-1] != '}' || data[n-2] != '"' {
		return false
	}
	if d.oneLo != 0 {
		// The two words cover the k bytes, overlapping.
		if binary.LittleEndian.Uint64(data[:8]) != d.oneLo || binary.LittleEndian.Uint64(data[k-8:k]) != d.oneHi {
			return false
		}
	} else if string(data[:k]) != d.one {
		return false
	}
	v := data[k : n-2]
	ascii := true
	for _, c := range v {
		if !plainByte[c] {
			if c < 0x80 { // a quote, a backslash or a control byte
				return false
			}
			ascii = false
		}
	}
	if !ascii && !utf8.Valid(v) {
		return false
	}
	*(*string)(unsafe.Add(p, d.fields[0].off)) = string(v)
	return true
}

// decode decodes data into the zero struct at p. It returns false when it
// gave up; p may then hold part of the values, and must be zeroed again.
func (d *flatDecoder) decode(data []byte, p unsafe.Pointer) bool {
	if d.one != "" && d.decodeOne(data, p) {
		return true
	}
	n := len(data)
	i := skipSpace(data, 0)
	if i == n || data[i] != '{' {
		return false
	}
	i = skipSpace(data, i+1)
	if i < n && data[i] == '}' {
		return skipSpace(data, i+1) == n
	}
	for {
		// A key.
		if i == n || data[i] != '"' {
			return false
		}
		ks := i + 1
		i = ks
		for ; i < n; i++ {
			c := data[i]
			if c == '"' {
				break
			}
			if c == '\\' || c < 0x20 {
				return false
			}
		}
		if i == n {
			return false
		}
		key := data[ks:i]
		var f *flatField
		for k := range d.fields {
			if fk := &d.fields[k]; len(fk.name) == len(key) && fk.name == string(key) {
				f = fk
				break
			}
		}
		if f == nil {
			return false
		}
		i = skipSpace(data, i+1)
		if i == n || data[i] != ':' {
			return false
		}
		i = skipSpace(data, i+1)
		if i == n {
			return false
		}
		// A value.
		at := unsafe.Add(p, f.off)
		switch c := data[i]; {
		case c == '"':
			if f.kind != fkString {
				return false
			}
			vs := i + 1
			i = vs
			ascii := true
			for ; i < n; i++ {
				c := data[i]
				if c == '"' {
					break
				}
				if c == '\\' || c < 0x20 {
					return false
				}
				if c >= 0x80 {
					ascii = false
				}
			}
			if i == n {
				return false
			}
			v := data[vs:i]
			if !ascii && !utf8.Valid(v) {
				return false
			}
			i++
			*(*string)(at) = string(v)
		case c == 't' || c == 'f' || c == 'n':
			var lit string
			switch c {
			case 't':
				lit = "true"
			case 'f':
				lit = "false"
			default:
				lit = "null"
			}
			if n-i < len(lit) || string(data[i:i+len(lit)]) != lit {
				return false
			}
			i += len(lit)
			if c != 'n' {
				// null leaves a field of these kinds as it is.
				if f.kind != fkBool {
					return false
				}
				*(*bool)(at) = c == 't'
			}
		case c == '-' || c >= '0' && c <= '9':
			ns := i
			isInt, ok := scanJSONNumber(data, &i)
			if !ok {
				return false
			}
			if !setNumber(f, at, data[ns:i], isInt) {
				return false
			}
		default:
			return false
		}
		i = skipSpace(data, i)
		if i == n {
			return false
		}
		switch data[i] {
		case ',':
			i = skipSpace(data, i+1)
		case '}':
			return skipSpace(data, i+1) == n
		default:
			return false
		}
	}
}

// scanJSONNumber moves *pi past a JSON number, reporting whether it has no
// fraction or exponent and whether it is well-formed.
func scanJSONNumber(data []byte, pi *int) (isInt, ok bool) {
	i, n := *pi, len(data)
	if data[i] == '-' {
		i++
	}
	if i == n {
		return false, false
	}
	switch {
	case data[i] == '0':
		i++
	case data[i] >= '1' && data[i] <= '9':
		for i < n && data[i] >= '0' && data[i] <= '9' {
			i++
		}
	default:
		return false, false
	}
	isInt = true
	if i < n && data[i] == '.' {
		isInt = false
		i++
		d := i
		for i < n && data[i] >= '0' && data[i] <= '9' {
			i++
		}
		if i == d {
			return false, false
		}
	}
	if i < n && (data[i] == 'e' || data[i] == 'E') {
		isInt = false
		i++
		if i < n && (data[i] == '+' || data[i] == '-') {
			i++
		}
		d := i
		for i < n && data[i] >= '0' && data[i] <= '9' {
			i++
		}
		if i == d {
			return false, false
		}
	}
	*pi = i
	return isInt, true
}

// setNumber stores a number literal in a field as encoding/json would,
// or reports false where encoding/json would fail or where the field is
// not a number.
func setNumber(f *flatField, at unsafe.Pointer, lit []byte, isInt bool) bool {
	s := unsafe.String(unsafe.SliceData(lit), len(lit))
	switch f.kind {
	case fkInt:
		if !isInt {
			return false
		}
		v, err := strconv.ParseInt(s, 10, f.bits)
		if err != nil {
			return false
		}
		switch f.bits {
		case 8:
			*(*int8)(at) = int8(v)
		case 16:
			*(*int16)(at) = int16(v)
		case 32:
			*(*int32)(at) = int32(v)
		default:
			*(*int64)(at) = v
		}
	case fkUint:
		if !isInt {
			return false
		}
		v, err := strconv.ParseUint(s, 10, f.bits)
		if err != nil {
			return false
		}
		switch f.bits {
		case 8:
			*(*uint8)(at) = uint8(v)
		case 16:
			*(*uint16)(at) = uint16(v)
		case 32:
			*(*uint32)(at) = uint32(v)
		default:
			*(*uint64)(at) = v
		}
	case fkFloat32:
		v, err := strconv.ParseFloat(s, 32)
		if err != nil {
			return false
		}
		*(*float32)(at) = float32(v)
	case fkFloat64:
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return false
		}
		*(*float64)(at) = v
	default:
		return false
	}
	return true
}
