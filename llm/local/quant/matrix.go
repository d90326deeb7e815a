package quant

import (
	"encoding/binary"
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

// RowBytes returns the bytes one row takes (0 for an unknown type).
func (m Matrix) RowBytes() int {
	bs := m.Type.BlockSize()
	if bs == 0 {
		return 0
	}
	return m.Cols / bs * m.Type.TypeSize()
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

// Row returns the bytes of row i, which must be in [0, Rows) of a valid
// matrix (it slices Data like an index expression would).
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
	if c > 4 {
		c = (c + 7) &^ 7 // whole passes of the eight-row kernels
	} else if c > 2 {
		c = 4
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
	typ   ggml.Type // VecDotType of the weights it serves
	round ggml.Type // for float activations, the precision they were rounded to (see actRound)
	n     int
	data  []byte
	own   []float32 // the rounded copy of a float activation
}

// Set quantizes x for weights of type wt.
func (a *Activation) Set(wt ggml.Type, x []float32) error {
	at, err := VecDotType(wt)
	if err != nil {
		return err
	}
	if at == ggml.F32 {
		rt := actRound(wt)
		if rt != ggml.F32 {
			if cap(a.own) < len(x) {
				a.own = make([]float32, len(x))
			}
			r := a.own[:len(x)]
			roundAct(rt, x, r)
			x = r
		}
		a.typ, a.round, a.n, a.data = at, rt, len(x), f32Bytes(x)
		return nil
	}
	a.round = ggml.F32
	need, err := actSize(at, len(x))
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
	quantizeActExt(at, x, a.data)
	return nil
}

// Len returns the number of elements of the vector.
func (a *Activation) Len() int { return a.n }

// Serves reports whether a holds the format weights of type wt need.
func (a *Activation) Serves(wt ggml.Type) bool {
	at, err := VecDotType(wt)
	return err == nil && a.data != nil && at == a.typ && (at != ggml.F32 || actRound(wt) == a.round)
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
	ks := rowKernelsFor(m.Type)
	rb := m.RowBytes()
	n := m.Cols
	act := a.data
	p.For(m.Rows, rowChunk(m.Rows, rb, p.Threads()), func(lo, hi int) {
		matVecRows(ks, m.Data, rb, act, n, y, lo, hi)
	})
	return nil
}

// MatVecMany computes ys[i] = ms[i]·x for several matrices that read the
// same input (q, k and v; gate and up) in one parallel job: a is quantized
// once and the rows of all the matrices are split over p's threads
// together, saving a dispatch per matrix. Every matrix must take a (same
// VecDotType and Cols == a.Len()).
func MatVecMany(p *Pool, ms []Matrix, a *Activation, ys [][]float32) error {
	if len(ms) != len(ys) {
		return fmt.Errorf("%w: %d matrices, %d outputs", ErrSize, len(ms), len(ys))
	}
	total := 0
	type part struct {
		ks   rowKernels
		rb   int
		from int
	}
	var buf [8]part
	parts := buf[:0]
	for i, m := range ms {
		if err := m.Validate(); err != nil {
			return err
		}
		if !a.Serves(m.Type) || a.n != m.Cols {
			return fmt.Errorf("%w: activation of %d elements in %v for a %dx%d %v matrix", ErrSize, a.n, a.typ, m.Rows, m.Cols, m.Type)
		}
		if len(ys[i]) < m.Rows {
			return fmt.Errorf("%w: %d rows into %d outputs", ErrSize, m.Rows, len(ys[i]))
		}
		parts = append(parts, part{rowKernelsFor(m.Type), m.RowBytes(), total})
		total += m.Rows
	}
	if total == 0 {
		return nil
	}
	act, n := a.data, a.n
	chunk := rowChunk(total, parts[0].rb, p.Threads())
	p.For(total, chunk, func(lo, hi int) {
		for i := len(parts) - 1; i >= 0 && hi > lo; i-- {
			pt := parts[i]
			if hi <= pt.from {
				continue
			}
			start := max(lo, pt.from)
			matVecRows(pt.ks, ms[i].Data, pt.rb, act, n, ys[i], start-pt.from, hi-pt.from)
			hi = start
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
	ms, ys := [1]Matrix{m}, [1][]float32{y}
	return MatMulMany(p, ms[:], x, batch, ys[:])
}

// MatMulMany computes ys[i] = X·ms[i]ᵀ (as MatMul) for several matrices
// that read the same batch of inputs (q, k and v; gate and up): where they
// take the same activation format, each input row is quantized once and
// the GEMM kernels' packed tiles are built once per weight offset, for
// all of them. Safe for concurrent use with distinct ys.
func MatMulMany(p *Pool, ms []Matrix, x []float32, batch int, ys [][]float32) error {
	if len(ms) != len(ys) {
		return fmt.Errorf("%w: %d matrices, %d outputs", ErrSize, len(ms), len(ys))
	}
	if len(ms) == 0 {
		return nil
	}
	var at ggml.Type
	for i, m := range ms {
		if err := m.Validate(); err != nil {
			return err
		}
		if batch < 0 || len(x) != batch*m.Cols || len(ys[i]) < batch*m.Rows {
			return fmt.Errorf("%w: %dx%d matrix times %d rows of %d (%d values) into %d", ErrSize, m.Rows, m.Cols, batch, m.Cols, len(x), len(ys[i]))
		}
		t, err := VecDotType(m.Type)
		if err != nil {
			return err
		}
		if i == 0 {
			at = t
		} else if !SameActivation(m.Type, ms[0].Type) {
			// Different activation formats: one product at a time.
			for i := range ms {
				if err := MatMulMany(p, ms[i:i+1], x, batch, ys[i:i+1]); err != nil {
					return err
				}
			}
			return nil
		}
	}
	if batch == 0 {
		return nil
	}
	cols := ms[0].Cols
	sa := sharedAct{batch: batch}
	defer sa.release()
	bp := slabs.Get().(*[]byte)
	defer slabs.Put(bp)
	if at == ggml.F32 {
		if rt := actRound(ms[0].Type); rt != ggml.F32 {
			if cap(*bp) < 4*len(x) {
				*bp = make([]byte, 4*len(x))
			}
			r := bytesF32((*bp)[:4*len(x)])
			p.For(batch, 1, func(lo, hi int) {
				roundAct(rt, x[lo*cols:hi*cols], r[lo*cols:hi*cols])
			})
			x = r
		}
		sa.act = f32Bytes(x)
		sa.ab = 4 * cols
	} else {
		sa.ab, _ = actSize(at, cols)
		ab := sa.ab
		if cap(*bp) < ab*batch {
			*bp = make([]byte, ab*batch)
		}
		act := (*bp)[:ab*batch]
		p.For(batch, 1, func(lo, hi int) {
			for b := lo; b < hi; b++ {
				quantizeActExt(at, x[b*cols:(b+1)*cols], act[b*ab:(b+1)*ab])
			}
		})
		sa.act = act
	}
	for i, m := range ms {
		matMulQ(p, m, &sa, ys[i])
	}
	return nil
}

// sharedAct is a batch of quantized activation rows (ab bytes apart) and
// what the batched kernels derive from them, built on first use and
// shared by the matrices of one MatMulMany.
type sharedAct struct {
	act   []byte
	ab    int
	batch int
	actU  []byte // quants offset by 128, for the offset kernels
	upool *[]byte
	packs []packedTiles
}

// packedTiles are the activations laid out for the GEMM kernels, with the
// correction for one weight offset.
type packedTiles struct {
	off  int32
	buf  *[]byte
	data []byte
}

func (sa *sharedAct) release() {
	if sa.upool != nil {
		slabsU.Put(sa.upool)
	}
	for _, pt := range sa.packs {
		slabsG.Put(pt.buf)
	}
}

// offset returns the activations with quants offset by 128 (nb blocks a row).
func (sa *sharedAct) offset(nb int) []byte {
	if sa.actU != nil {
		return sa.actU
	}
	sa.upool = slabsU.Get().(*[]byte)
	if cap(*sa.upool) < len(sa.act) {
		*sa.upool = make([]byte, len(sa.act))
	}
	actU := (*sa.upool)[:len(sa.act)]
	copy(actU, sa.act)
	for b := 0; b < sa.batch; b++ {
		row := actU[b*sa.ab : b*sa.ab+34*nb]
		for i := 0; i < nb; i++ {
			qs := row[34*i+2 : 34*i+34]
			for j := range qs {
				qs[j] ^= 0x80
			}
		}
	}
	sa.actU = actU
	return actU
}

// tiles returns the first tiles·gemmTokens activation rows packed for
// weights whose quants carry offset off.
func (sa *sharedAct) tiles(p *Pool, tiles, nb int, off int32) []byte {
	for _, pt := range sa.packs {
		if pt.off == off {
			return pt.data
		}
	}
	pp := slabsG.Get().(*[]byte)
	need := tiles * nb * gemmBlockBytes
	if cap(*pp) < need {
		*pp = make([]byte, need)
	}
	packed := (*pp)[:need]
	act, ab := sa.act, sa.ab
	p.For(tiles, 1, func(lo, hi int) {
		for tt := lo; tt < hi; tt++ {
			packTile(packed[tt*nb*gemmBlockBytes:(tt+1)*nb*gemmBlockBytes], act, ab, nb, tt*gemmTokens, off)
		}
	})
	sa.packs = append(sa.packs, packedTiles{off, pp, packed})
	return packed
}

// matMulQ computes y = X·mᵀ for the quantized batch in sa.
func matMulQ(p *Pool, m Matrix, sa *sharedAct, y []float32) {
	act, ab, batch := sa.act, sa.ab, sa.batch
	k := kernelFor(m.Type)
	kn := multiKernelFor(m.Type)
	k8 := offsetKernelFor(m.Type)
	rb := m.RowBytes()
	n, rows := m.Cols, m.Rows
	nb := n / m.Type.BlockSize()
	// Tokens in whole tiles of 16 and rows in groups of 8 go through the
	// register-blocked GEMM kernel where the type has one; the rest (and
	// every product on other types) through the per-row kernels.
	g := gemmKernelFor(m.Type)
	tiles := 0
	var packed []byte
	if g.fn != nil && batch >= gemmTokens && rows >= gemmRows {
		tiles = batch / gemmTokens
		packed = sa.tiles(p, tiles, nb, g.off)
	}
	// The offset kernels serve tokens outside whole GEMM tiles (and rows
	// outside whole groups); their activations are only built if some do.
	var actU []byte
	if k8 != nil && (batch-tiles*gemmTokens >= 8 || (rows%gemmRows != 0 && batch >= 8)) {
		actU = sa.offset(m.Cols / qk)
	}
	// rowsTokens computes rows [rlo, rhi) for tokens [b0, b1) with the
	// per-row kernels: within a chunk of rows, tokens go in tiles of 64 so
	// that the tile's activations stay in L2 while the chunk's rows are
	// reused from L1/L2.
	rowsTokens := func(rlo, rhi, b0, b1 int) {
		var out [4]float32
		var out8 [8]float32
		const tile = 64
		for t0 := b0; t0 < b1; t0 += tile {
			t1 := min(b1, t0+tile)
			for r := rlo; r < rhi; r++ {
				w := m.Data[r*rb : (r+1)*rb]
				b := t0
				if actU != nil {
					for ; b+8 <= t1; b += 8 {
						k8(w, actU[b*ab:], ab, nb, &out8)
						for j, v := range out8 {
							y[(b+j)*rows+r] = v
						}
					}
				}
				if kn != nil {
					for ; b+4 <= t1; b += 4 {
						kn(w, act[b*ab:], ab, nb, &out)
						y[b*rows+r] = out[0]
						y[(b+1)*rows+r] = out[1]
						y[(b+2)*rows+r] = out[2]
						y[(b+3)*rows+r] = out[3]
					}
				}
				for ; b < t1; b++ {
					y[b*rows+r] = k(w, act[b*ab:(b+1)*ab], n)
				}
			}
		}
	}
	// Rows are split over the threads in chunks of about 16 KiB of weights.
	chunk := rowChunk(rows, rb, p.Threads())
	if tiles > 0 {
		chunk = (chunk + gemmRows - 1) / gemmRows * gemmRows
	}
	p.For(rows, chunk, func(lo, hi int) {
		r := lo
		if tiles > 0 {
			for ; r+gemmRows <= hi; r += gemmRows {
				for tt := 0; tt < tiles; tt++ {
					g.fn(m.Data[r*rb:(r+gemmRows)*rb], rb, packed[tt*nb*gemmBlockBytes:(tt+1)*nb*gemmBlockBytes], nb, y[tt*gemmTokens*rows+r:], rows)
				}
			}
			if tiles*gemmTokens < batch && r > lo {
				rowsTokens(lo, r, tiles*gemmTokens, batch)
			}
		}
		rowsTokens(r, hi, 0, batch)
	})
}

// The GEMM kernels take gemmRows weight rows and gemmTokens tokens per
// call; their activations come packed per block in gemmBlockBytes: the
// tokens' 32 quants each, then an int32 correction each, then a float32
// scale each.
const (
	gemmRows       = 8
	gemmTokens     = 16
	gemmBlockBytes = gemmTokens * (32 + 4 + 4)
)

// gemmKernel is a register-blocked batched kernel with the offset its
// weight quants carry (the correction it needs is -off·Σa per block). It
// writes token t's results for the gemmRows rows to y[t*stride:], with
// len(y) >= (gemmTokens-1)*stride+gemmRows.
type gemmKernel struct {
	fn  func(w []byte, rb int, packed []byte, nb int, y []float32, stride int)
	off int32
}

var simdGemmKernels = map[ggml.Type]gemmKernel{}

// simdFor returns t's kernel in table, a table of SIMD kernels that
// registers fill on CPUs that have the instructions; the zero value (no
// kernel: use the portable path) when SIMD is off or t has none.
func simdFor[K any](table map[ggml.Type]K, t ggml.Type) K {
	if useSIMD {
		return table[t]
	}
	var none K
	return none
}

func gemmKernelFor(t ggml.Type) gemmKernel { return simdFor(simdGemmKernels, t) }

// packTile lays out gemmTokens activation rows (Q8_0 activation format,
// ab bytes apart, from token b0) block by block for the GEMM kernels.
func packTile(dst, act []byte, ab, nb, b0 int, off int32) {
	for blk := 0; blk < nb; blk++ {
		d := dst[blk*gemmBlockBytes : (blk+1)*gemmBlockBytes]
		for t := 0; t < gemmTokens; t++ {
			row := act[(b0+t)*ab : (b0+t+1)*ab]
			q := row[34*blk+2 : 34*blk+34]
			copy(d[32*t:32*t+32], q)
			var sum int32
			for _, v := range q {
				sum += int32(int8(v))
			}
			binary.LittleEndian.PutUint32(d[32*gemmTokens+4*t:], uint32(-off*sum))
			copy(d[36*gemmTokens+4*t:36*gemmTokens+4*t+4], row[34*nb+4*blk:34*nb+4*blk+4])
		}
	}
}

var slabsG = sync.Pool{New: func() any { return new([]byte) }}

var slabs = sync.Pool{New: func() any { return new([]byte) }}

var slabsU = sync.Pool{New: func() any { return new([]byte) }}

// offsetKernel computes the dots of one Q8_0-family weight row with eight
// activation rows whose quants are stored offset by 128 (unsigned).
type offsetKernel func(w, a []byte, stride, nb int, out *[8]float32)

var simdOffsetKernels = map[ggml.Type]offsetKernel{}

func offsetKernelFor(t ggml.Type) offsetKernel { return simdFor(simdOffsetKernels, t) }

// rowKernel computes the dots of four consecutive weight rows (rb bytes
// apart, n elements each) with one activation, bit-identical to four calls
// of the type's single-row kernel.
type rowKernel func(w []byte, rb int, a []byte, n int, out *[4]float32)

var simdRowKernels = map[ggml.Type]rowKernel{}

func rowKernelFor(t ggml.Type) rowKernel { return simdFor(simdRowKernels, t) }

// rowKernel8 is rowKernel for eight consecutive rows.
type rowKernel8 func(w []byte, rb int, a []byte, n int, out *[8]float32)

var simdRowKernels8 = map[ggml.Type]rowKernel8{}

func rowKernel8For(t ggml.Type) rowKernel8 { return simdFor(simdRowKernels8, t) }

// rowKernels are a type's matrix-vector kernels: one row, and four and
// eight rows per call where the type has them (nil otherwise).
type rowKernels struct {
	k  kernel
	k4 rowKernel
	k8 rowKernel8
}

func rowKernelsFor(t ggml.Type) rowKernels {
	return rowKernels{kernelFor(t), rowKernelFor(t), rowKernel8For(t)}
}

// matVecRows sets y[r] = dot(row r of data, act) for r in [lo, hi), eight
// or four rows per call where the type has such kernels.
func matVecRows(ks rowKernels, data []byte, rb int, act []byte, n int, y []float32, lo, hi int) {
	k, k4 := ks.k, ks.k4
	r := lo
	// The kernels write into y itself: a local array would escape through
	// the indirect call and cost an allocation per call.
	if ks.k8 != nil {
		for ; r+8 <= hi; r += 8 {
			ks.k8(data[r*rb:(r+8)*rb], rb, act, n, (*[8]float32)(y[r:r+8]))
		}
	}
	if k4 != nil {
		for ; r+4 <= hi; r += 4 {
			k4(data[r*rb:(r+4)*rb], rb, act, n, (*[4]float32)(y[r:r+4]))
		}
	}
	for ; r < hi; r++ {
		y[r] = k(data[r*rb:(r+1)*rb], act, n)
	}
}

// multiKernel computes the dots of one weight row (nb blocks) with four
// activation rows (as actSize lays them out) stored stride bytes apart.
type multiKernel func(w, a []byte, stride, nb int, out *[4]float32)

var simdMultiKernels = map[ggml.Type]multiKernel{}

func multiKernelFor(t ggml.Type) multiKernel { return simdFor(simdMultiKernels, t) }
