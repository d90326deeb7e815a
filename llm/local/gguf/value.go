package gguf

import (
	"fmt"
)

// ValueType is the type tag of a metadata value, numbered as in the GGUF
// specification.
type ValueType uint32

// The metadata value types.
const (
	TypeUint8   ValueType = 0
	TypeInt8    ValueType = 1
	TypeUint16  ValueType = 2
	TypeInt16   ValueType = 3
	TypeUint32  ValueType = 4
	TypeInt32   ValueType = 5
	TypeFloat32 ValueType = 6
	TypeBool    ValueType = 7
	TypeString  ValueType = 8
	TypeArray   ValueType = 9
	TypeUint64  ValueType = 10
	TypeInt64   ValueType = 11
	TypeFloat64 ValueType = 12
)

var typeNames = [...]string{"u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool", "string", "array", "u64", "i64", "f64"}

// String returns the type's short name ("u32", "string", "array").
func (t ValueType) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return fmt.Sprintf("type(%d)", uint32(t))
}

// Valid reports whether t is one of the defined value types.
func (t ValueType) Valid() bool { return t <= TypeFloat64 }

// size returns the encoded size of a fixed-size scalar type, or 0 for
// strings and arrays.
func (t ValueType) size() int {
	switch t {
	case TypeUint8, TypeInt8, TypeBool:
		return 1
	case TypeUint16, TypeInt16:
		return 2
	case TypeUint32, TypeInt32, TypeFloat32:
		return 4
	case TypeUint64, TypeInt64, TypeFloat64:
		return 8
	}
	return 0
}

// minSize is the fewest bytes one encoded value of type t can take.
func (t ValueType) minSize() int {
	switch t {
	case TypeString:
		return 8
	case TypeArray:
		return 12
	}
	return t.size()
}

// Value is one metadata value.
//
// Scalars hold the Go value of their type in Data: uint8, int8, uint16,
// int16, uint32, int32, float32, bool, string, uint64, int64 or float64.
// Arrays (Type == TypeArray) name their element type in Elem and hold a
// typed slice in Data ([]uint8 ... []float64, []bool, []string), or, for an
// array of arrays, a []Value whose elements are themselves arrays.
//
// The zero Value is invalid; build values with [NewValue] or a literal.
type Value struct {
	Type ValueType
	Elem ValueType // element type, for arrays
	Data any
}

// Len returns the number of elements of an array value, or 0 for a scalar.
func (v Value) Len() int {
	if v.Type != TypeArray {
		return 0
	}
	switch d := v.Data.(type) {
	case []uint8:
		return len(d)
	case []int8:
		return len(d)
	case []uint16:
		return len(d)
	case []int16:
		return len(d)
	case []uint32:
		return len(d)
	case []int32:
		return len(d)
	case []float32:
		return len(d)
	case []bool:
		return len(d)
	case []string:
		return len(d)
	case []uint64:
		return len(d)
	case []int64:
		return len(d)
	case []float64:
		return len(d)
	case []Value:
		return len(d)
	}
	return 0
}

// String formats the value for humans; long arrays are abbreviated.
func (v Value) String() string {
	if v.Type == TypeArray {
		return fmt.Sprintf("[%s × %d]", v.Elem, v.Len())
	}
	if s, ok := v.Data.(string); ok {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprint(v.Data)
}

// NewValue returns the Value for a Go value: one of the scalar types listed
// on [Value], a slice of one of them, a []Value of arrays (nested arrays),
// or a Value (returned as is). Plain int becomes int64 (i64) and []int
// becomes []int64 ([i64]).
func NewValue(x any) (Value, error) {
	switch d := x.(type) {
	case Value:
		return d, d.check(0)
	case uint8:
		return Value{Type: TypeUint8, Data: d}, nil
	case int8:
		return Value{Type: TypeInt8, Data: d}, nil
	case uint16:
		return Value{Type: TypeUint16, Data: d}, nil
	case int16:
		return Value{Type: TypeInt16, Data: d}, nil
	case uint32:
		return Value{Type: TypeUint32, Data: d}, nil
	case int32:
		return Value{Type: TypeInt32, Data: d}, nil
	case float32:
		return Value{Type: TypeFloat32, Data: d}, nil
	case bool:
		return Value{Type: TypeBool, Data: d}, nil
	case string:
		return Value{Type: TypeString, Data: d}, nil
	case uint64:
		return Value{Type: TypeUint64, Data: d}, nil
	case int64:
		return Value{Type: TypeInt64, Data: d}, nil
	case int:
		return Value{Type: TypeInt64, Data: int64(d)}, nil
	case float64:
		return Value{Type: TypeFloat64, Data: d}, nil
	case []uint8:
		return Value{Type: TypeArray, Elem: TypeUint8, Data: d}, nil
	case []int8:
		return Value{Type: TypeArray, Elem: TypeInt8, Data: d}, nil
	case []uint16:
		return Value{Type: TypeArray, Elem: TypeUint16, Data: d}, nil
	case []int16:
		return Value{Type: TypeArray, Elem: TypeInt16, Data: d}, nil
	case []uint32:
		return Value{Type: TypeArray, Elem: TypeUint32, Data: d}, nil
	case []int32:
		return Value{Type: TypeArray, Elem: TypeInt32, Data: d}, nil
	case []float32:
		return Value{Type: TypeArray, Elem: TypeFloat32, Data: d}, nil
	case []bool:
		return Value{Type: TypeArray, Elem: TypeBool, Data: d}, nil
	case []string:
		return Value{Type: TypeArray, Elem: TypeString, Data: d}, nil
	case []uint64:
		return Value{Type: TypeArray, Elem: TypeUint64, Data: d}, nil
	case []int64:
		return Value{Type: TypeArray, Elem: TypeInt64, Data: d}, nil
	case []int:
		s := make([]int64, len(d))
		for i, x := range d {
			s[i] = int64(x)
		}
		return Value{Type: TypeArray, Elem: TypeInt64, Data: s}, nil
	case []float64:
		return Value{Type: TypeArray, Elem: TypeFloat64, Data: d}, nil
	case []Value:
		v := Value{Type: TypeArray, Elem: TypeArray, Data: d}
		return v, v.check(0)
	}
	return Value{}, fmt.Errorf("gguf: no metadata type for Go type %T; use a sized integer, float, bool, string, a slice of one, or []Value", x)
}

// check reports whether v is well formed: Data matches Type and Elem, and
// arrays nest at most maxDepth deep.
func (v Value) check(depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("gguf: arrays nested more than %d deep", maxDepth)
	}
	want := map[ValueType]string{
		TypeUint8: "uint8", TypeInt8: "int8", TypeUint16: "uint16", TypeInt16: "int16",
		TypeUint32: "uint32", TypeInt32: "int32", TypeFloat32: "float32", TypeBool: "bool",
		TypeString: "string", TypeUint64: "uint64", TypeInt64: "int64", TypeFloat64: "float64",
	}
	if v.Type != TypeArray {
		name, ok := want[v.Type]
		if !ok {
			return fmt.Errorf("gguf: invalid value type %v", v.Type)
		}
		if got := fmt.Sprintf("%T", v.Data); got != name {
			return fmt.Errorf("gguf: %v value holds %s, want %s", v.Type, got, name)
		}
		return nil
	}
	if v.Elem == TypeArray {
		vs, ok := v.Data.([]Value)
		if !ok {
			return fmt.Errorf("gguf: array of arrays holds %T, want []gguf.Value", v.Data)
		}
		for _, e := range vs {
			if e.Type != TypeArray {
				return fmt.Errorf("gguf: array of arrays holds a %v", e.Type)
			}
			if err := e.check(depth + 1); err != nil {
				return err
			}
		}
		return nil
	}
	name, ok := want[v.Elem]
	if !ok {
		return fmt.Errorf("gguf: invalid array element type %v", v.Elem)
	}
	if got := fmt.Sprintf("%T", v.Data); got != "[]"+name {
		return fmt.Errorf("gguf: [%v] array holds %s, want []%s", v.Elem, got, name)
	}
	return nil
}

// KV is one metadata key/value pair.
type KV struct {
	Key   string
	Value Value
}
