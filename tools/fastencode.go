package tools

import (
	"encoding"
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"strings"
	"unsafe"
)

// The fast encoder writes the output of a [Func] tool whose Out is a flat
// struct (exported fields of kinds bool, int*, uint*, float*, string, none
// with a custom encoding) as encoding/json would, without reflection per
// call. It gives up, and the output goes through encoding/json, on any
// value it does not write exactly as encoding/json does: a string with a
// byte that encoding/json escapes or replaces (a quote, a backslash, a
// control character, anything not ASCII), a NaN or an infinity. A
// differential fuzz test holds it to that.

type encField struct {
	key       string // `"name":`
	off       uintptr
	kind      flatKind
	bits      int
	omitEmpty bool // omitempty or omitzero: the same for these kinds (-0.0 is zero to both)
}

type flatEncoder struct {
	fields []encField
}

var (
	jsonMarshalerType = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
	isZeroerType      = reflect.TypeFor[interface{ IsZero() bool }]()
)

func implementsMarshal(t reflect.Type) bool {
	p := reflect.PointerTo(t)
	return t.Implements(jsonMarshalerType) || p.Implements(jsonMarshalerType) ||
		t.Implements(textMarshalerType) || p.Implements(textMarshalerType)
}

// newFlatEncoder returns the fast encoder of t, or nil when t is not a
// struct it handles.
func newFlatEncoder(t reflect.Type) *flatEncoder {
	if implementsMarshal(t) {
		return nil
	}
	fs := plainFields(t, implementsMarshal)
	if fs == nil {
		return nil
	}
	e := &flatEncoder{fields: make([]encField, len(fs))}
	for i, f := range fs {
		omitZero := strings.Contains(f.opts, ",omitzero,")
		if omitZero && (f.sf.Type.Implements(isZeroerType) || reflect.PointerTo(f.sf.Type).Implements(isZeroerType)) {
			return nil
		}
		e.fields[i] = encField{key: `"` + f.name + `":`, off: f.off, kind: f.kind, bits: f.bits,
			omitEmpty: omitZero || strings.Contains(f.opts, ",omitempty,")}
	}
	return e
}

// encode writes the struct at p as JSON, or reports false when it gives
// up.
func (e *flatEncoder) encode(p unsafe.Pointer) (string, bool) {
	var buf [256]byte
	b := append(buf[:0], '{')
	first := true
	for i := range e.fields {
		f := &e.fields[i]
		at := unsafe.Add(p, f.off)
		mark := len(b)
		if !first {
			b = append(b, ',')
		}
		b = append(b, f.key...)
		zero := false
		switch f.kind {
		case fkBool:
			v := *(*bool)(at)
			zero = !v
			b = strconv.AppendBool(b, v)
		case fkInt:
			var v int64
			switch f.bits {
			case 8:
				v = int64(*(*int8)(at))
			case 16:
				v = int64(*(*int16)(at))
			case 32:
				v = int64(*(*int32)(at))
			default:
				v = *(*int64)(at)
			}
			zero = v == 0
			b = strconv.AppendInt(b, v, 10)
		case fkUint:
			var v uint64
			switch f.bits {
			case 8:
				v = uint64(*(*uint8)(at))
			case 16:
				v = uint64(*(*uint16)(at))
			case 32:
				v = uint64(*(*uint32)(at))
			default:
				v = *(*uint64)(at)
			}
			zero = v == 0
			b = strconv.AppendUint(b, v, 10)
		case fkFloat32, fkFloat64:
			var v float64
			bits := 64
			if f.kind == fkFloat32 {
				v, bits = float64(*(*float32)(at)), 32
			} else {
				v = *(*float64)(at)
			}
			if math.IsInf(v, 0) || math.IsNaN(v) {
				return "", false
			}
			zero = v == 0
			b = appendJSONFloat(b, v, bits)
		case fkString:
			v := *(*string)(at)
			for j := 0; j < len(v); j++ {
				if c := v[j]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
					return "", false
				}
			}
			zero = v == ""
			b = append(b, '"')
			b = append(b, v...)
			b = append(b, '"')
		}
		if zero && f.omitEmpty {
			b = b[:mark]
			continue
		}
		first = false
	}
	b = append(b, '}')
	return string(b), true
}

// appendJSONFloat formats a finite float as encoding/json does: like ES6,
// with an exponent only for very small or very large magnitudes, and
// "e-7" rather than "e-07".
func appendJSONFloat(b []byte, f float64, bits int) []byte {
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	b = strconv.AppendFloat(b, f, format, -1, bits)
	if format == 'e' {
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}
