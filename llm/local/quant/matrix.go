package quant

import (
	"fmt"
	"sync"

	"github.com/plait-ai/plait/llm/local/ggml"
)

// Matrix is a weight matrix in one of the supported types, stored as ggml
// stores it: Rows rows of Cols elements each, row-major, each row a whole
// number of blocks (Cols contiguous). Data is typically a slice of a
// memory-mapped GGUF file; the kernels read it in place and never copy or
// dequantize it whole.
//
// A Matrix is a plain value; it is safe for concurrent use as long as
// nobody writes Data.
type Matrix struct {
	Type       ggml.Type
	Rows, Cols int
	Data       []byte
}

// RowBytes returns the bytes one row takes.
func (m Matrix) RowBytes() int {
	return m.Cols / m.Type.BlockSize() * m.Type.TypeSize()
}

// Validate checks that the type is supported, Cols is a whole number of
// blocks and Data holds Rows rows.
func (m Matrix) Validate() error {
	if !Supported(m.Type) {
		return fmt.Errorf("%w: matrix of %v", ErrUnsupportedType, m.Type)
	}
	rb, err := RowBytes(m.Type, m.Cols)
	if err != nil {
		return err
	}
	if m.Rows < 0 || len(m.Data) < m.Rows*rb {
		return fmt.Errorf("%w: %dx%d %v matrix needs %d bytes, have %d", ErrSize, m.Rows, m.Cols, m.Type, m.Rows*rb, len(m.Data))
	}
	return nil
}

// Row returns the bytes of row i.
func (m Matrix) Row(i int) []byte {
	rb := m.RowBytes()
	return m.Data[i*rb : (i+1)*rb]
}

// RowDequantize decodes row i of m into dst (len(dst) >= m.Cols), for
// embedding lookups.
func RowDequantize(m Matrix, i int, dst []float32) error {
	if err := m.Validate(); err != nil {
		return err
	}
	if i < 0 || i >= m.Rows {
		return fmt.Errorf("%w: row %d of a %d-row matrix", ErrSize, i, m.Rows)
	}
	if len(dst) < m.Cols {
		return fmt.Errorf("%w: row of %d elements into %d", ErrSize, m.Cols, len(dst))
	}
	return Dequantize(m.Type, m.Row(i), dst[:m.Cols])
}

var actPool = sync.Pool{New: func() any { return new(Activation) }}

// rowChunk picks how many rows one unit of work covers: about 16 KiB of
// weights, and at least 8 units per thread so a slowed thread is absorbed.
func rowChunk(rows, rowBytes, threads int) int {
	c := max(1, 16<<10/max(1, rowBytes))
	if per := (rows + 8*threads - 1) / (8 * threads); c > per {
		c = max(1, per)
	}
	return c
}

// Activation is a vector quantized once into the activation format of a
// family of weight types (see VecDotType), so that several matrices that
// read the same input (q, k and v; gate and up) share one quantization.
// The zero value is ready to use; Set reuses its buffer. For float weight
// types it refers to the caller's slice instead of copying it, which must
// then stay unchanged until the Activation is used. Not safe for
// concurrent Set; safe for concurrent reads once set.
type Activation struct {
	typ  ggml.Type // VecDotType of the weights it serves
	n    int
	data []byte
}

// Set quantizes x for weights of type wt.
func (a *Activation) Set(wt ggml.Type, x []float32) error {
	at, err := VecDotType(wt)
	if err != nil {
		return err
	}
	if at == ggml.F32 {
		a.typ, a.n, a.data = at, len(x), f32Bytes(x)
		return nil
	}
	need, err := RowBytes(at, len(x))
	if err != nil {
		return err
	}
	if a.typ == ggml.F32 && a.data != nil {
		a.data = nil // never write into a caller's float slice
	}
	if cap(a.data) < need {
		a.data = make([]byte, need)
	}
	a.typ, a.n, a.data = at, len(x), a.data[:need]
	quantizeAct(at, x, a.data)
	return nil
}

// Len returns the number of elements of the vector.
func (a *Activation) Len() int { return a.n }

// Serves reports whether a holds the format weights of type wt need.
func (a *Activation) Serves(wt ggml.Type) bool {
	at, err := VecDotType(wt)
	return err == nil && a.data != nil && at == a.typ
}

// MatVec computes y = m·x: y[r] = dot(row r, x) for every row, with
// len(x) == m.Cols and len(y) >= m.Rows. x is quantized once into the
// weight type's activation format (VecDotType) and the rows are split over
// p's threads (p may be nil: one thread). Safe for concurrent use with
// distinct y.
func MatVec(p *Pool, m Matrix, x, y []float32) error {
	if err := m.Validate(); err != nil {
		return err
	}
	if len(x) != m.Cols {
		return fmt.Errorf("%w: %dx%d matrix times %d-vector", ErrSize, m.Rows, m.Cols, len(x))
	}
	a := actPool.Get().(*Activation)
	defer actPool.Put(a)
	if err := a.Set(m.Type, x); err != nil {
		return err
	}
	err := MatVecQ(p, m, a, y)
	if a.typ == ggml.F32 {
		a.data = nil // drop the reference to x
	}
	return err
}

// MatVecQ is MatVec with an already quantized input: a must have been Set
// for m's type (or one with the same VecDotType) from a vector of m.Cols
// elements.
func MatVecQ(p *Pool, m Matrix, a *Activation, y []float32) error {
	if err := m.Validate(); err != nil {
		return err
	}
	if !a.Serves(m.Type) || a.n != m.Cols {
		return fmt.Errorf("%w: activation of %d elements in %v for a %dx%d %v matrix", ErrSize, a.n, a.typ, m.Rows, m.Cols, m.Type)
	}
	if len(y) < m.Rows {
		return fmt.Errorf("%w: %d rows into %d outputs", ErrSize, m.Rows, len(y))
	}
	k := kernelFor(m.Type)
	rb := m.RowBytes()
	n := m.Cols
	act := a.data
	p.For(m.Rows, rowChunk(m.Rows, rb, p.Threads()), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			y[r] = k(m.Data[r*rb:(r+1)*rb], act, n)
		}
	})
	return nil
}

// MatMul computes Y = X·mᵀ for a batch of activation rows: X holds batch
// rows of m.Cols elements (row-major, len(x) == batch*m.Cols) and Y
// receives batch rows of m.Rows elements (len(y) >= batch*m.Rows), so
// Y[b*m.Rows+r] = dot(row r of m, X row b). Each X row is quantized once;
// the weight rows are split over p's threads in tiles, and each tile of
// weight rows is used against every activation row while it is in cache.
// Safe for concurrent use with distinct y.
func MatMul(p *Pool, m Matrix, x []float32, batch int, y []float32) error {
	if err := m.Validate(); err != nil {
		return err
	}
	if batch < 0 || len(x) != batch*m.Cols || len(y) < batch*m.Rows {
		return fmt.Errorf("%w: %dx%d matrix times %d rows of %d (%d values) into %d", ErrSize, m.Rows, m.Cols, batch, m.Cols, len(x), len(y))
	}
	if batch == 0 {
		return nil
	}
	at, err := VecDotType(m.Type)
	if err != nil {
		return err
	}
	var act []byte
	var ab int
	bp := slabs.Get().(*[]byte)
	defer slabs.Put(bp)
	if at == ggml.F32 {
		act = f32Bytes(x)
		ab = 4 * m.Cols
	} else {
		ab, _ = RowBytes(at, m.Cols)
		if cap(*bp) < ab*batch {
			*bp = make([]byte, ab*batch)
		}
		act = (*bp)[:ab*batch]
		p.For(batch, 1, func(lo, hi int) {
			for b := lo; b < hi; b++ {
				quantizeAct(at, x[b*m.Cols:(b+1)*m.Cols], act[b*ab:(b+1)*ab])
			}
		})
	}
	k := kernelFor(m.Type)
	kn := multiKernelFor(m.Type)
	var ds []float32 // activation block scales as float32, for kn
	if kn != nil {
		nb := m.Cols / qk
		dp := scales.Get().(*[]float32)
		defer scales.Put(dp)
		if cap(*dp) < batch*nb {
			*dp = make([]float32, batch*nb)
		}
		ds = (*dp)[:batch*nb]
		for b := 0; b < batch; b++ {
			for i := 0; i < nb; i++ {
				ds[b*nb+i] = f16(act[b*ab+i*34:])
			}
		}
	}
	rb := m.RowBytes()
	n, rows := m.Cols, m.Rows
	nb := n / m.Type.BlockSize()
	chunk := rowChunk(rows, rb, p.Threads())
	p.For(rows, chunk, func(lo, hi int) {
		var out [4]float32
		for r := lo; r < hi; r++ {
			w := m.Data[r*rb : (r+1)*rb]
			b := 0
			if kn != nil {
				for ; b+4 <= batch; b += 4 {
					kn(w, act[b*ab:], ab, ds[b*nb:], nb, &out)
					y[b*rows+r] = out[0]
					y[(b+1)*rows+r] = out[1]
					y[(b+2)*rows+r] = out[2]
					y[(b+3)*rows+r] = out[3]
				}
			}
			for ; b < batch; b++ {
				y[b*rows+r] = k(w, act[b*ab:(b+1)*ab], n)
			}
		}
	})
	return nil
}

var slabs = sync.Pool{New: func() any { return new([]byte) }}

var scales = sync.Pool{New: func() any { return new([]float32) }}

// multiKernel computes the dots of one weight row (nb blocks) with four
// Q8_0 activation rows stored stride bytes apart, whose block scales are
// given as float32 in d (nb per row).
type multiKernel func(w, a []byte, stride int, d []float32, nb int, out *[4]float32)

var simdMultiKernels = map[ggml.Type]multiKernel{}

func multiKernelFor(t ggml.Type) multiKernel {
	if useSIMD {
		return simdMultiKernels[t]
	}
	return nil
}
