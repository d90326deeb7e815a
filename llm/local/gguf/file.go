package gguf

import (
	"fmt"
	"math"
	"os"

	"github.com/plait-ai/plait/llm/local/ggml"
)

// TensorInfo describes one tensor of a file.
type TensorInfo struct {
	Name string
	// Dims are the tensor's dimensions in ggml order: Dims[0] is the number
	// of elements in a row (the fastest-varying dimension).
	Dims   []uint64
	Type   ggml.Type
	Offset uint64 // byte offset of the data from the start of the data section

	elems int64
	size  int64
}

// Elements returns the number of elements of the tensor.
func (t TensorInfo) Elements() int64 {
	if t.elems == 0 {
		n := int64(1)
		for _, d := range t.Dims {
			n *= int64(d)
		}
		return n
	}
	return t.elems
}

// Size returns the number of bytes the tensor's data takes.
func (t TensorInfo) Size() int64 {
	if t.size == 0 {
		n, _ := t.Type.RowSize(t.Elements())
		return n
	}
	return t.size
}

// File is a parsed GGUF file. It is safe for concurrent use; Close must not
// race with other calls, and slices from TensorData are invalid after Close.
type File struct {
	version    uint32
	kvs        []KV
	index      map[string]int
	tensors    []TensorInfo
	tindex     map[string]int
	alignment  int64
	dataOffset int64
	size       int64

	data []byte // whole file (mmap or Parse), or nil
	ra   interface {
		ReadAt([]byte, int64) (int, error)
	} // when data is nil
	unmap  func() error
	closed bool
}

// Open opens and memory-maps the GGUF file at path (on systems without
// mmap it reads the file into memory). Close releases it.
func Open(path string) (*File, error) {
	fd, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("gguf: %w", err)
	}
	defer fd.Close()
	st, err := fd.Stat()
	if err != nil {
		return nil, fmt.Errorf("gguf: %w", err)
	}
	size := st.Size()
	if size < 8 {
		return nil, &FormatError{Offset: 0, Msg: fmt.Sprintf("%s: %d bytes is too short for a GGUF header", path, size), Err: ErrMalformed}
	}
	data, unmap, err := mapFile(fd, size)
	if err != nil {
		return nil, fmt.Errorf("gguf: mapping %s: %w", path, err)
	}
	f, err := Parse(data)
	if err != nil {
		_ = unmap()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	f.unmap = unmap
	return f, nil
}

// Close releases the file's mapping. It is safe to call more than once.
func (f *File) Close() error {
	if f == nil || f.closed {
		return nil
	}
	f.closed = true
	f.data = nil
	if f.unmap != nil {
		err := f.unmap()
		f.unmap = nil
		return err
	}
	return nil
}

// Version returns the file's GGUF version (2 or 3).
func (f *File) Version() uint32 { return f.version }

// Alignment returns the alignment of tensor data (general.alignment, or 32).
func (f *File) Alignment() int64 { return f.alignment }

// DataOffset returns the byte offset at which the tensor data section starts.
func (f *File) DataOffset() int64 { return f.dataOffset }

// Size returns the size of the file in bytes.
func (f *File) Size() int64 { return f.size }

// KVs returns the metadata in file order. The slice must not be modified.
func (f *File) KVs() []KV { return f.kvs }

// Keys returns the metadata keys in file order.
func (f *File) Keys() []string {
	keys := make([]string, len(f.kvs))
	for i, kv := range f.kvs {
		keys[i] = kv.Key
	}
	return keys
}

// Get returns the value of key and whether the file has it.
func (f *File) Get(key string) (Value, bool) {
	i, ok := f.index[key]
	if !ok {
		return Value{}, false
	}
	return f.kvs[i].Value, true
}

// Has reports whether the file has metadata key.
func (f *File) Has(key string) bool { _, ok := f.index[key]; return ok }

// Tensors returns the tensor infos in file order. The slice must not be
// modified.
func (f *File) Tensors() []TensorInfo { return f.tensors }

// Tensor returns the info of the tensor called name.
func (f *File) Tensor(name string) (TensorInfo, bool) {
	i, ok := f.tindex[name]
	if !ok {
		return TensorInfo{}, false
	}
	return f.tensors[i], true
}

// TensorData returns the bytes of the tensor called name. For a file from
// Open or Parse it is a slice of the mapped file (no copy: do not modify it,
// do not use it after Close); for ParseReaderAt it is read into a new slice.
func (f *File) TensorData(name string) ([]byte, error) {
	ti, ok := f.Tensor(name)
	if !ok {
		return nil, fmt.Errorf("%w: tensor %q", ErrNotFound, name)
	}
	if f.closed {
		return nil, fmt.Errorf("gguf: tensor %q: file is closed", name)
	}
	start := f.dataOffset + int64(ti.Offset)
	if f.data != nil {
		return f.data[start : start+ti.size : start+ti.size], nil
	}
	if f.ra == nil {
		return nil, fmt.Errorf("gguf: tensor %q: file has no data source", name)
	}
	b := make([]byte, ti.size)
	if _, err := f.ra.ReadAt(b, start); err != nil {
		return nil, fmt.Errorf("gguf: reading tensor %q: %w", name, err)
	}
	return b, nil
}

// Architecture returns general.architecture ("llama", "qwen2"), or "" when
// the file does not say.
func (f *File) Architecture() string {
	s, _ := f.String("general.architecture")
	return s
}

func (f *File) lookup(key string) (Value, error) {
	v, ok := f.Get(key)
	if !ok {
		return Value{}, fmt.Errorf("%w: metadata key %q", ErrNotFound, key)
	}
	return v, nil
}

func typeErr(key string, v Value, want string) error {
	got := v.Type.String()
	if v.Type == TypeArray {
		got = "[" + v.Elem.String() + "]"
	}
	return fmt.Errorf("%w: metadata key %q is %s, want %s", ErrType, key, got, want)
}

func asUint(v Value) (uint64, bool) {
	switch x := v.Data.(type) {
	case uint8:
		return uint64(x), true
	case uint16:
		return uint64(x), true
	case uint32:
		return uint64(x), true
	case uint64:
		return x, true
	case int8:
		return uint64(x), x >= 0
	case int16:
		return uint64(x), x >= 0
	case int32:
		return uint64(x), x >= 0
	case int64:
		return uint64(x), x >= 0
	}
	return 0, false
}

func asInt(v Value) (int64, bool) {
	switch x := v.Data.(type) {
	case uint8:
		return int64(x), true
	case uint16:
		return int64(x), true
	case uint32:
		return int64(x), true
	case uint64:
		return int64(x), x <= math.MaxInt64
	case int8:
		return int64(x), true
	case int16:
		return int64(x), true
	case int32:
		return int64(x), true
	case int64:
		return x, true
	}
	return 0, false
}

// Uint returns the value of key as an unsigned integer. Any integer type is
// accepted (files differ: u32, i32, u64 ...) as long as the value is not
// negative. Errors wrap ErrNotFound or ErrType.
func (f *File) Uint(key string) (uint64, error) {
	v, err := f.lookup(key)
	if err != nil {
		return 0, err
	}
	if n, ok := asUint(v); ok {
		return n, nil
	}
	return 0, typeErr(key, v, "a non-negative integer")
}

// Int returns the value of key as a signed integer; any integer type that
// fits is accepted. Errors wrap ErrNotFound or ErrType.
func (f *File) Int(key string) (int64, error) {
	v, err := f.lookup(key)
	if err != nil {
		return 0, err
	}
	if n, ok := asInt(v); ok {
		return n, nil
	}
	return 0, typeErr(key, v, "an integer")
}

// Float returns the value of key as a float64; f32, f64 and integer values
// are accepted. Errors wrap ErrNotFound or ErrType.
func (f *File) Float(key string) (float64, error) {
	v, err := f.lookup(key)
	if err != nil {
		return 0, err
	}
	switch x := v.Data.(type) {
	case float32:
		return float64(x), nil
	case float64:
		return x, nil
	}
	if n, ok := asInt(v); ok {
		return float64(n), nil
	}
	if n, ok := asUint(v); ok {
		return float64(n), nil
	}
	return 0, typeErr(key, v, "a number")
}

// String returns the string value of key. Errors wrap ErrNotFound or ErrType.
func (f *File) String(key string) (string, error) {
	v, err := f.lookup(key)
	if err != nil {
		return "", err
	}
	if s, ok := v.Data.(string); ok && v.Type == TypeString {
		return s, nil
	}
	return "", typeErr(key, v, "string")
}

// Bool returns the bool value of key; an integer 0 or 1 is accepted too.
// Errors wrap ErrNotFound or ErrType.
func (f *File) Bool(key string) (bool, error) {
	v, err := f.lookup(key)
	if err != nil {
		return false, err
	}
	if b, ok := v.Data.(bool); ok {
		return b, nil
	}
	if n, ok := asUint(v); ok && n <= 1 {
		return n == 1, nil
	}
	return false, typeErr(key, v, "bool")
}

// Strings returns the string-array value of key. The slice is shared with
// the File: do not modify it. Errors wrap ErrNotFound or ErrType.
func (f *File) Strings(key string) ([]string, error) {
	v, err := f.lookup(key)
	if err != nil {
		return nil, err
	}
	if s, ok := v.Data.([]string); ok && v.Type == TypeArray {
		return s, nil
	}
	return nil, typeErr(key, v, "[string]")
}

// Float32s returns the numeric-array value of key as float32s (f32 arrays
// are returned as stored, shared with the File; f64 and integer arrays are
// converted). Errors wrap ErrNotFound or ErrType.
func (f *File) Float32s(key string) ([]float32, error) {
	v, err := f.lookup(key)
	if err != nil {
		return nil, err
	}
	if v.Type != TypeArray {
		return nil, typeErr(key, v, "[f32]")
	}
	if s, ok := v.Data.([]float32); ok {
		return s, nil
	}
	if s, ok := v.Data.([]float64); ok {
		out := make([]float32, len(s))
		for i, x := range s {
			out[i] = float32(x)
		}
		return out, nil
	}
	ints, ok := intSlice(v)
	if !ok {
		return nil, typeErr(key, v, "[f32]")
	}
	out := make([]float32, len(ints))
	for i, x := range ints {
		out[i] = float32(x)
	}
	return out, nil
}

// Int32s returns the integer-array value of key as int32s (i32 arrays are
// returned as stored, shared with the File; other integer arrays are
// converted when every element fits). Errors wrap ErrNotFound or ErrType.
func (f *File) Int32s(key string) ([]int32, error) {
	v, err := f.lookup(key)
	if err != nil {
		return nil, err
	}
	if v.Type != TypeArray {
		return nil, typeErr(key, v, "[i32]")
	}
	if s, ok := v.Data.([]int32); ok {
		return s, nil
	}
	ints, ok := intSlice(v)
	if !ok {
		return nil, typeErr(key, v, "[i32]")
	}
	out := make([]int32, len(ints))
	for i, x := range ints {
		if x < math.MinInt32 || x > math.MaxInt32 {
			return nil, fmt.Errorf("%w: metadata key %q: element %d = %d does not fit in an i32", ErrType, key, i, x)
		}
		out[i] = int32(x)
	}
	return out, nil
}

func intSlice(v Value) ([]int64, bool) {
	conv := func(n int, at func(int) int64) []int64 {
		out := make([]int64, n)
		for i := range out {
			out[i] = at(i)
		}
		return out
	}
	switch s := v.Data.(type) {
	case []uint8:
		return conv(len(s), func(i int) int64 { return int64(s[i]) }), true
	case []int8:
		return conv(len(s), func(i int) int64 { return int64(s[i]) }), true
	case []uint16:
		return conv(len(s), func(i int) int64 { return int64(s[i]) }), true
	case []int16:
		return conv(len(s), func(i int) int64 { return int64(s[i]) }), true
	case []uint32:
		return conv(len(s), func(i int) int64 { return int64(s[i]) }), true
	case []int32:
		return conv(len(s), func(i int) int64 { return int64(s[i]) }), true
	case []int64:
		return s, true
	case []uint64:
		for _, x := range s {
			if x > math.MaxInt64 {
				return nil, false
			}
		}
		return conv(len(s), func(i int) int64 { return int64(s[i]) }), true
	}
	return nil, false
}
