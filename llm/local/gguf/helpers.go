package gguf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"unsafe"

	"github.com/plait-ai/plait/llm/local/ggml"
)

// ArchKey returns the metadata key of an architecture-specific
// hyper-parameter: ArchKey("block_count") is "llama.block_count" in a llama
// file.
func (f *File) ArchKey(suffix string) string { return f.Architecture() + "." + suffix }

// UintOr returns Uint(key), or def when the file does not have key. A value
// of the wrong type is still an error.
func (f *File) UintOr(key string, def uint64) (uint64, error) {
	v, err := f.Uint(key)
	if errors.Is(err, ErrNotFound) {
		return def, nil
	}
	return v, err
}

// FloatOr returns Float(key), or def when the file does not have key.
func (f *File) FloatOr(key string, def float64) (float64, error) {
	v, err := f.Float(key)
	if errors.Is(err, ErrNotFound) {
		return def, nil
	}
	return v, err
}

// StringOr returns String(key), or def when the file does not have key.
func (f *File) StringOr(key string, def string) (string, error) {
	v, err := f.String(key)
	if errors.Is(err, ErrNotFound) {
		return def, nil
	}
	return v, err
}

// BoolOr returns Bool(key), or def when the file does not have key.
func (f *File) BoolOr(key string, def bool) (bool, error) {
	v, err := f.Bool(key)
	if errors.Is(err, ErrNotFound) {
		return def, nil
	}
	return v, err
}

var littleEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

// Float32Data returns the data of an F32 tensor as float32s. On
// little-endian machines, when the data is 4-byte aligned (always, for
// files from Open), the slice aliases the mapped file: do not modify it or
// use it after Close. Otherwise the values are copied.
func (f *File) Float32Data(name string) ([]float32, error) {
	ti, ok := f.Tensor(name)
	if !ok {
		return nil, fmt.Errorf("%w: tensor %q", ErrNotFound, name)
	}
	if ti.Type != ggml.F32 {
		return nil, fmt.Errorf("gguf: tensor %q is %v, not F32", name, ti.Type)
	}
	b, err := f.TensorData(name)
	if err != nil {
		return nil, err
	}
	n := len(b) / 4
	if n == 0 {
		return []float32{}, nil
	}
	if littleEndian && uintptr(unsafe.Pointer(&b[0]))%4 == 0 {
		return unsafe.Slice((*float32)(unsafe.Pointer(&b[0])), n), nil
	}
	out := make([]float32, n)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out, nil
}
