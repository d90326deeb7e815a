package gguf

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"

	"github.com/plait-ai/plait/llm/local/ggml"
)

// TensorWriter writes exactly a tensor's bytes to w.
type TensorWriter func(w io.Writer) error

// Bytes returns a TensorWriter that writes b.
func Bytes(b []byte) TensorWriter {
	return func(w io.Writer) error { _, err := w.Write(b); return err }
}

// FromReader returns a TensorWriter that copies r to the output.
func FromReader(r io.Reader) TensorWriter {
	return func(w io.Writer) error { _, err := io.Copy(w, r); return err }
}

type writerTensor struct {
	info  TensorInfo
	write TensorWriter
}

// Writer builds a GGUF version 3 file. Set metadata with Set, describe
// tensors with AddTensor, then write with WriteTo or WriteFile: the header
// first, then each tensor's data, produced by its TensorWriter in turn and
// padded to the alignment. The zero Writer is ready to use. A Writer is not
// safe for concurrent use.
type Writer struct {
	kvs     []KV
	index   map[string]int
	tensors []writerTensor
	tindex  map[string]int
}

// Set sets metadata key to v (see [NewValue] for the Go types accepted).
// Setting a key again replaces its value in place; new keys keep the order
// in which they were first set. Setting general.alignment to a value that is
// not a power of two is an error.
func (w *Writer) Set(key string, v any) error {
	if key == "" {
		return errors.New("gguf: empty metadata key")
	}
	val, err := NewValue(v)
	if err != nil {
		return fmt.Errorf("gguf: key %q: %w", key, err)
	}
	if key == "general.alignment" {
		a, ok := asUint(val)
		if !ok || a == 0 || a&(a-1) != 0 || a > maxAlignment {
			return fmt.Errorf("gguf: general.alignment %v is not a power of two up to %d", val, maxAlignment)
		}
	}
	if w.index == nil {
		w.index = map[string]int{}
	}
	if i, ok := w.index[key]; ok {
		w.kvs[i].Value = val
		return nil
	}
	w.index[key] = len(w.kvs)
	w.kvs = append(w.kvs, KV{Key: key, Value: val})
	return nil
}

// SetKVs sets every pair of kvs in order (for example a File's KVs, to copy
// a file's metadata).
func (w *Writer) SetKVs(kvs []KV) error {
	for _, kv := range kvs {
		if err := w.Set(kv.Key, kv.Value); err != nil {
			return err
		}
	}
	return nil
}

// Delete removes metadata key, if set.
func (w *Writer) Delete(key string) {
	i, ok := w.index[key]
	if !ok {
		return
	}
	w.kvs = append(w.kvs[:i], w.kvs[i+1:]...)
	delete(w.index, key)
	for j := i; j < len(w.kvs); j++ {
		w.index[w.kvs[j].Key] = j
	}
}

// AddTensor describes a tensor: its name, element type and dimensions in
// ggml order (dims[0] is the row length, a multiple of the type's block
// size). write is called once, when the file is written, and must write
// exactly the tensor's size in bytes.
func (w *Writer) AddTensor(name string, typ ggml.Type, dims []uint64, write TensorWriter) error {
	if w.tindex == nil {
		w.tindex = map[string]int{}
	}
	if _, dup := w.tindex[name]; dup {
		return fmt.Errorf("gguf: duplicate tensor %q", name)
	}
	if len(dims) == 0 || len(dims) > MaxDims {
		return fmt.Errorf("gguf: tensor %q has %d dimensions; 1 to %d are allowed", name, len(dims), MaxDims)
	}
	if !typ.Known() {
		return fmt.Errorf("gguf: tensor %q: unknown type %v", name, typ)
	}
	ne := uint64(1)
	for i, d := range dims {
		if d == 0 {
			return fmt.Errorf("gguf: tensor %q: dimension %d is zero", name, i)
		}
		if ne > math.MaxInt64/d {
			return fmt.Errorf("gguf: tensor %q: element count overflows", name)
		}
		ne *= d
	}
	if dims[0]%uint64(typ.BlockSize()) != 0 {
		return fmt.Errorf("gguf: tensor %q: row of %d elements is not a multiple of the %v block size %d", name, dims[0], typ, typ.BlockSize())
	}
	size, err := typ.RowSize(int64(ne))
	if err != nil {
		return fmt.Errorf("gguf: tensor %q: %w", name, err)
	}
	if write == nil {
		return fmt.Errorf("gguf: tensor %q: nil TensorWriter", name)
	}
	ti := TensorInfo{Name: name, Dims: append([]uint64(nil), dims...), Type: typ, elems: int64(ne), size: size}
	w.tindex[name] = len(w.tensors)
	w.tensors = append(w.tensors, writerTensor{info: ti, write: write})
	return nil
}

func (w *Writer) alignment() int64 {
	if i, ok := w.index["general.alignment"]; ok {
		a, _ := asUint(w.kvs[i].Value)
		return int64(a)
	}
	return DefaultAlignment
}

type encoder struct {
	w   *bufio.Writer
	n   int64
	err error
	b   [8]byte
}

func (e *encoder) write(p []byte) {
	if e.err != nil {
		return
	}
	m, err := e.w.Write(p)
	e.n += int64(m)
	e.err = err
}

func (e *encoder) u8(x uint8)   { e.b[0] = x; e.write(e.b[:1]) }
func (e *encoder) u16(x uint16) { binary.LittleEndian.PutUint16(e.b[:], x); e.write(e.b[:2]) }
func (e *encoder) u32(x uint32) { binary.LittleEndian.PutUint32(e.b[:], x); e.write(e.b[:4]) }
func (e *encoder) u64(x uint64) { binary.LittleEndian.PutUint64(e.b[:], x); e.write(e.b[:8]) }
func (e *encoder) str(s string) {
	e.u64(uint64(len(s)))
	if e.err == nil {
		m, err := e.w.WriteString(s)
		e.n += int64(m)
		e.err = err
	}
}

func (e *encoder) value(v Value) {
	if v.Type == TypeArray {
		e.u32(uint32(v.Elem))
		e.u64(uint64(v.Len()))
		e.array(v)
		return
	}
	e.scalar(v.Data)
}

func (e *encoder) scalar(x any) {
	switch d := x.(type) {
	case uint8:
		e.u8(d)
	case int8:
		e.u8(uint8(d))
	case uint16:
		e.u16(d)
	case int16:
		e.u16(uint16(d))
	case uint32:
		e.u32(d)
	case int32:
		e.u32(uint32(d))
	case float32:
		e.u32(math.Float32bits(d))
	case bool:
		if d {
			e.u8(1)
		} else {
			e.u8(0)
		}
	case string:
		e.str(d)
	case uint64:
		e.u64(d)
	case int64:
		e.u64(uint64(d))
	case float64:
		e.u64(math.Float64bits(d))
	default:
		if e.err == nil {
			e.err = fmt.Errorf("gguf: cannot encode %T", x)
		}
	}
}

func (e *encoder) array(v Value) {
	switch s := v.Data.(type) {
	case []uint8:
		e.write(s)
	case []int8:
		for _, x := range s {
			e.u8(uint8(x))
		}
	case []uint16:
		for _, x := range s {
			e.u16(x)
		}
	case []int16:
		for _, x := range s {
			e.u16(uint16(x))
		}
	case []uint32:
		for _, x := range s {
			e.u32(x)
		}
	case []int32:
		for _, x := range s {
			e.u32(uint32(x))
		}
	case []float32:
		for _, x := range s {
			e.u32(math.Float32bits(x))
		}
	case []bool:
		for _, x := range s {
			e.scalar(x)
		}
	case []string:
		for _, x := range s {
			e.str(x)
		}
	case []uint64:
		for _, x := range s {
			e.u64(x)
		}
	case []int64:
		for _, x := range s {
			e.u64(uint64(x))
		}
	case []float64:
		for _, x := range s {
			e.u64(math.Float64bits(x))
		}
	case []Value:
		for _, x := range s {
			e.value(x)
		}
	}
}

func (e *encoder) pad(align int64) {
	if r := e.n % align; r != 0 {
		var zero [256]byte
		for n := align - r; n > 0 && e.err == nil; {
			k := min(n, int64(len(zero)))
			e.write(zero[:k])
			n -= k
		}
	}
}

// countingWriter counts bytes written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// WriteTo writes the file to out and returns the number of bytes written.
func (w *Writer) WriteTo(out io.Writer) (int64, error) {
	align := w.alignment()
	e := &encoder{w: bufio.NewWriterSize(out, 1<<20)}
	e.write([]byte(Magic))
	e.u32(3)
	e.u64(uint64(len(w.tensors)))
	e.u64(uint64(len(w.kvs)))
	for _, kv := range w.kvs {
		e.str(kv.Key)
		e.u32(uint32(kv.Value.Type))
		e.value(kv.Value)
	}
	var off uint64
	for i := range w.tensors {
		t := &w.tensors[i]
		t.info.Offset = off
		e.str(t.info.Name)
		e.u32(uint32(len(t.info.Dims)))
		for _, d := range t.info.Dims {
			e.u64(d)
		}
		e.u32(uint32(t.info.Type))
		e.u64(off)
		off += uint64((t.info.size + align - 1) / align * align)
	}
	e.pad(align)
	for _, t := range w.tensors {
		if e.err != nil {
			break
		}
		cw := &countingWriter{w: e.w}
		if err := t.write(cw); err != nil {
			return e.n + cw.n, fmt.Errorf("gguf: writing tensor %q: %w", t.info.Name, err)
		}
		e.n += cw.n
		if cw.n != t.info.size {
			return e.n, fmt.Errorf("gguf: tensor %q: its writer wrote %d bytes, want %d (%v %v)", t.info.Name, cw.n, t.info.size, t.info.Type, t.info.Dims)
		}
		e.pad(align)
	}
	if e.err == nil {
		e.err = e.w.Flush()
	}
	if e.err != nil {
		return e.n, fmt.Errorf("gguf: %w", e.err)
	}
	return e.n, nil
}

// Bytes writes the file into memory and returns it (for tests and small
// files).
func (w *Writer) Bytes() ([]byte, error) {
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// WriteFile writes the file to path, through a temporary file renamed into
// place when complete.
func (w *Writer) WriteFile(path string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".gguf-*")
	if err != nil {
		return fmt.Errorf("gguf: %w", err)
	}
	name := tmp.Name()
	if _, err := w.WriteTo(tmp); err != nil {
		tmp.Close()
		os.Remove(name)
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(name)
		return fmt.Errorf("gguf: %w", err)
	}
	if err := os.Rename(name, path); err != nil {
		os.Remove(name)
		return fmt.Errorf("gguf: %w", err)
	}
	return nil
}
