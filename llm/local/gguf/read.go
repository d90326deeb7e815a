package gguf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"

	"github.com/plait-ai/plait/llm/local/ggml"
)

// Errors callers can test for with errors.Is.
var (
	// ErrMalformed: the file is not a valid GGUF file (truncated, corrupt,
	// or breaking a rule of the format).
	ErrMalformed = errors.New("gguf: malformed file")
	// ErrUnsupported: the file is GGUF, but of a version this package does
	// not read (only 2 and 3 are read).
	ErrUnsupported = errors.New("gguf: unsupported file")
	// ErrNotFound: no metadata key or tensor of that name.
	ErrNotFound = errors.New("gguf: not found")
	// ErrType: the metadata value is not of the type asked for.
	ErrType = errors.New("gguf: wrong metadata type")
)

// FormatError describes what is wrong with a file and where.
// It wraps ErrMalformed or ErrUnsupported.
type FormatError struct {
	Offset int64 // byte offset in the file where the problem was found
	Msg    string
	Err    error // ErrMalformed or ErrUnsupported
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("%v at byte %d: %s", e.Err, e.Offset, e.Msg)
}

func (e *FormatError) Unwrap() error { return e.Err }

// Magic is the four bytes a GGUF file starts with.
const Magic = "GGUF"

// Limits of the reader.
const (
	// DefaultAlignment is the alignment of tensor data when the file does
	// not set general.alignment.
	DefaultAlignment = 32
	// MaxDims is the largest number of dimensions of a tensor (GGML_MAX_DIMS).
	MaxDims  = 4
	maxDepth = 8 // deepest nesting of arrays of arrays
	// maxAlignment bounds general.alignment.
	maxAlignment = 1 << 30
)

// decoder reads the header sequentially from an io.ReaderAt, checking every
// read against the size of the file.
type decoder struct {
	r    io.ReaderAt
	size int64
	off  int64
	// buffered window [bufOff, bufOff+len(buf))
	buf    []byte
	bufOff int64
	store  []byte
	mem    []byte // the whole file, when it is in memory
	err    error
}

const windowSize = 64 << 10

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = &FormatError{Offset: d.off, Msg: fmt.Sprintf(format, args...), Err: ErrMalformed}
	}
}

func (d *decoder) remaining() int64 { return d.size - d.off }

// bytes returns the next n bytes. The slice is valid until the next call.
func (d *decoder) bytes(n int64) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > d.remaining() {
		d.fail("need %d bytes, only %d remain (truncated file?)", n, d.remaining())
		return nil
	}
	if d.mem != nil {
		b := d.mem[d.off : d.off+n]
		d.off += n
		return b
	}
	if d.off >= d.bufOff && d.off+n <= d.bufOff+int64(len(d.buf)) {
		b := d.buf[d.off-d.bufOff : d.off-d.bufOff+n]
		d.off += n
		return b
	}
	// refill: read max(n, window) bytes from off, bounded by the file.
	want := max(n, windowSize)
	want = min(want, d.remaining())
	if int64(cap(d.store)) < want {
		d.store = make([]byte, want)
	}
	b := d.store[:want]
	m, err := d.r.ReadAt(b, d.off)
	if int64(m) < n {
		if err == nil || err == io.EOF {
			d.fail("need %d bytes, read %d (truncated file?)", n, m)
		} else {
			d.err = fmt.Errorf("gguf: reading at byte %d: %w", d.off, err)
		}
		return nil
	}
	d.buf = b[:m]
	d.bufOff = d.off
	d.off += n
	return b[:n]
}

func (d *decoder) u8() uint8 {
	b := d.bytes(1)
	if b == nil {
		return 0
	}
	return b[0]
}

func (d *decoder) u16() uint16 {
	b := d.bytes(2)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint16(b)
}

func (d *decoder) u32() uint32 {
	b := d.bytes(4)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint32(b)
}

func (d *decoder) u64() uint64 {
	b := d.bytes(8)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint64(b)
}

func (d *decoder) str() string {
	at := d.off
	n := d.u64()
	if d.err != nil {
		return ""
	}
	if n > uint64(d.remaining()) {
		d.off = at
		d.fail("string of %d bytes runs past the end of the file (%d bytes remain)", n, d.remaining()-8)
		return ""
	}
	return string(d.bytes(int64(n)))
}

// count reads an element count and checks that count elements of at least
// minSize bytes each fit in what remains.
func (d *decoder) count(what string, minSize int) int {
	at := d.off
	n := d.u64()
	if d.err != nil {
		return 0
	}
	if minSize < 1 {
		minSize = 1
	}
	if n > uint64(d.remaining())/uint64(minSize) {
		d.off = at
		d.fail("%s count %d cannot fit in the %d bytes that remain", what, n, d.remaining()-8)
		return 0
	}
	return int(n)
}

func (d *decoder) valueType(what string) ValueType {
	at := d.off
	t := ValueType(d.u32())
	if d.err == nil && !t.Valid() {
		d.off = at
		d.fail("%s: unknown value type %d", what, uint32(t))
	}
	return t
}

func (d *decoder) value(t ValueType, depth int) Value {
	switch t {
	case TypeUint8:
		return Value{Type: t, Data: d.u8()}
	case TypeInt8:
		return Value{Type: t, Data: int8(d.u8())}
	case TypeUint16:
		return Value{Type: t, Data: d.u16()}
	case TypeInt16:
		return Value{Type: t, Data: int16(d.u16())}
	case TypeUint32:
		return Value{Type: t, Data: d.u32()}
	case TypeInt32:
		return Value{Type: t, Data: int32(d.u32())}
	case TypeFloat32:
		return Value{Type: t, Data: math.Float32frombits(d.u32())}
	case TypeBool:
		at := d.off
		b := d.u8()
		if b > 1 && d.err == nil {
			d.off = at
			d.fail("bool value %d is neither 0 nor 1", b)
		}
		return Value{Type: t, Data: b == 1}
	case TypeString:
		return Value{Type: t, Data: d.str()}
	case TypeUint64:
		return Value{Type: t, Data: d.u64()}
	case TypeInt64:
		return Value{Type: t, Data: int64(d.u64())}
	case TypeFloat64:
		return Value{Type: t, Data: math.Float64frombits(d.u64())}
	case TypeArray:
		return d.array(depth)
	}
	d.fail("unknown value type %d", uint32(t))
	return Value{}
}

func (d *decoder) array(depth int) Value {
	if depth >= maxDepth {
		d.fail("arrays nested more than %d deep", maxDepth)
		return Value{}
	}
	elem := d.valueType("array element")
	if d.err != nil {
		return Value{}
	}
	n := d.count("array element", elem.minSize())
	if d.err != nil {
		return Value{}
	}
	v := Value{Type: TypeArray, Elem: elem}
	if sz := elem.size(); sz > 0 {
		raw := d.bytes(int64(n) * int64(sz))
		if raw == nil {
			return Value{}
		}
		v.Data = decodeFixed(elem, raw, n)
		if elem == TypeBool {
			for i, b := range raw {
				if b > 1 {
					d.off -= int64(len(raw) - i)
					d.fail("bool value %d is neither 0 nor 1", b)
					return Value{}
				}
			}
		}
		return v
	}
	switch elem {
	case TypeString:
		s := make([]string, n)
		for i := range s {
			s[i] = d.str()
			if d.err != nil {
				return Value{}
			}
		}
		v.Data = s
	case TypeArray:
		s := make([]Value, n)
		for i := range s {
			s[i] = d.array(depth + 1)
			if d.err != nil {
				return Value{}
			}
		}
		v.Data = s
	}
	return v
}

func decodeFixed(t ValueType, b []byte, n int) any {
	le := binary.LittleEndian
	switch t {
	case TypeUint8:
		return append([]uint8(nil), b...)
	case TypeInt8:
		s := make([]int8, n)
		for i := range s {
			s[i] = int8(b[i])
		}
		return s
	case TypeBool:
		s := make([]bool, n)
		for i := range s {
			s[i] = b[i] == 1
		}
		return s
	case TypeUint16:
		s := make([]uint16, n)
		for i := range s {
			s[i] = le.Uint16(b[2*i:])
		}
		return s
	case TypeInt16:
		s := make([]int16, n)
		for i := range s {
			s[i] = int16(le.Uint16(b[2*i:]))
		}
		return s
	case TypeUint32:
		s := make([]uint32, n)
		for i := range s {
			s[i] = le.Uint32(b[4*i:])
		}
		return s
	case TypeInt32:
		s := make([]int32, n)
		for i := range s {
			s[i] = int32(le.Uint32(b[4*i:]))
		}
		return s
	case TypeFloat32:
		s := make([]float32, n)
		for i := range s {
			s[i] = math.Float32frombits(le.Uint32(b[4*i:]))
		}
		return s
	case TypeUint64:
		s := make([]uint64, n)
		for i := range s {
			s[i] = le.Uint64(b[8*i:])
		}
		return s
	case TypeInt64:
		s := make([]int64, n)
		for i := range s {
			s[i] = int64(le.Uint64(b[8*i:]))
		}
		return s
	case TypeFloat64:
		s := make([]float64, n)
		for i := range s {
			s[i] = math.Float64frombits(le.Uint64(b[8*i:]))
		}
		return s
	}
	return nil
}

// Parse reads a GGUF file held in memory. The returned File keeps data and
// TensorData returns sub-slices of it.
func Parse(data []byte) (*File, error) {
	f, err := parse(bytesReaderAt(data), int64(len(data)))
	if err != nil {
		return nil, err
	}
	f.data = data
	return f, nil
}

// ParseReaderAt reads a GGUF file of size bytes from r. Only the header is
// read now; TensorData reads a tensor's bytes from r when asked.
func ParseReaderAt(r io.ReaderAt, size int64) (*File, error) {
	f, err := parse(r, size)
	if err != nil {
		return nil, err
	}
	f.ra = r
	return f, nil
}

type bytesReaderAt []byte

func (b bytesReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("negative offset")
	}
	if off >= int64(len(b)) {
		return 0, io.EOF
	}
	n := copy(p, b[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func parse(r io.ReaderAt, size int64) (*File, error) {
	if size < 0 {
		return nil, fmt.Errorf("%w: negative size", ErrMalformed)
	}
	d := &decoder{r: r, size: size}
	if b, ok := r.(bytesReaderAt); ok {
		d.mem = b
	}
	magic := d.bytes(4)
	if d.err != nil {
		return nil, &FormatError{Offset: 0, Msg: "file too short for a GGUF header", Err: ErrMalformed}
	}
	if string(magic) != Magic {
		return nil, &FormatError{Offset: 0, Msg: fmt.Sprintf("bad magic %q, want %q: not a GGUF file", magic, Magic), Err: ErrMalformed}
	}
	version := d.u32()
	if d.err != nil {
		return nil, d.err
	}
	if version != 2 && version != 3 {
		return nil, &FormatError{Offset: 4, Msg: fmt.Sprintf("version %d; only versions 2 and 3 are read (re-convert the model with a recent llama.cpp)", version), Err: ErrUnsupported}
	}
	// the smallest tensor info: name length 8, n_dims 4, one dim 8, type 4, offset 8
	nTensors := d.count("tensor", 32)
	// the smallest key/value: key length 8, type 4, one byte of value
	nKV := d.count("key/value", 13)
	if d.err != nil {
		return nil, d.err
	}
	f := &File{version: version, index: make(map[string]int, min(nKV, 1024)), alignment: DefaultAlignment}
	f.kvs = make([]KV, 0, min(nKV, 1024))
	for range nKV {
		at := d.off
		key := d.str()
		if d.err != nil {
			return nil, d.err
		}
		if key == "" {
			d.off = at
			d.fail("empty metadata key")
			return nil, d.err
		}
		if _, dup := f.index[key]; dup {
			d.off = at
			d.fail("duplicate metadata key %q", key)
			return nil, d.err
		}
		t := d.valueType(fmt.Sprintf("key %q", key))
		v := d.value(t, 0)
		if d.err != nil {
			return nil, d.err
		}
		f.index[key] = len(f.kvs)
		f.kvs = append(f.kvs, KV{Key: key, Value: v})
	}
	if v, ok := f.Get("general.alignment"); ok {
		a, ok := asUint(v)
		if !ok || a == 0 || a&(a-1) != 0 || a > maxAlignment {
			return nil, &FormatError{Offset: d.off, Msg: fmt.Sprintf("general.alignment %v is not a power of two up to %d", v, maxAlignment), Err: ErrMalformed}
		}
		f.alignment = int64(a)
	}

	f.tensors = make([]TensorInfo, 0, min(nTensors, 4096))
	f.tindex = make(map[string]int, min(nTensors, 4096))
	for range nTensors {
		at := d.off
		var ti TensorInfo
		ti.Name = d.str()
		nd := d.u32()
		if d.err != nil {
			return nil, d.err
		}
		if _, dup := f.tindex[ti.Name]; dup {
			d.off = at
			d.fail("duplicate tensor name %q", ti.Name)
			return nil, d.err
		}
		if nd == 0 || nd > MaxDims {
			d.fail("tensor %q has %d dimensions; 1 to %d are allowed", ti.Name, nd, MaxDims)
			return nil, d.err
		}
		ti.Dims = make([]uint64, nd)
		var ne uint64 = 1
		for i := range ti.Dims {
			dim := d.u64()
			if d.err != nil {
				return nil, d.err
			}
			if dim == 0 {
				d.fail("tensor %q: dimension %d is zero", ti.Name, i)
				return nil, d.err
			}
			hi, lo := bits.Mul64(ne, dim)
			if hi != 0 || lo > math.MaxInt64 {
				d.fail("tensor %q: element count overflows", ti.Name)
				return nil, d.err
			}
			ne = lo
			ti.Dims[i] = dim
		}
		ti.Type = ggml.Type(d.u32())
		ti.Offset = d.u64()
		if d.err != nil {
			return nil, d.err
		}
		if !ti.Type.Known() || ti.Type.BlockSize() == 0 {
			d.fail("tensor %q: unknown tensor type %d", ti.Name, uint32(ti.Type))
			return nil, d.err
		}
		if bs := uint64(ti.Type.BlockSize()); ti.Dims[0]%bs != 0 {
			d.fail("tensor %q: row of %d elements is not a multiple of the %v block size %d", ti.Name, ti.Dims[0], ti.Type, bs)
			return nil, d.err
		}
		nb := ne / uint64(ti.Type.BlockSize())
		hi, lo := bits.Mul64(nb, uint64(ti.Type.TypeSize()))
		if hi != 0 || lo > math.MaxInt64 {
			d.fail("tensor %q: byte size overflows", ti.Name)
			return nil, d.err
		}
		ti.size = int64(lo)
		ti.elems = int64(ne)
		if ti.Offset%uint64(f.alignment) != 0 {
			d.fail("tensor %q: data offset %d is not a multiple of the alignment %d", ti.Name, ti.Offset, f.alignment)
			return nil, d.err
		}
		f.tindex[ti.Name] = len(f.tensors)
		f.tensors = append(f.tensors, ti)
	}
	if d.err != nil {
		return nil, d.err
	}
	headerEnd := d.off
	f.dataOffset = (headerEnd + f.alignment - 1) / f.alignment * f.alignment
	f.size = size
	for _, ti := range f.tensors {
		avail := size - f.dataOffset
		if avail < 0 || ti.Offset > uint64(avail) || uint64(ti.size) > uint64(avail)-ti.Offset {
			return nil, &FormatError{Offset: headerEnd, Msg: fmt.Sprintf("tensor %q: data [%d, +%d) lies outside the file's data section (%d bytes from byte %d)", ti.Name, ti.Offset, ti.size, max(avail, 0), f.dataOffset), Err: ErrMalformed}
		}
	}
	return f, nil
}
