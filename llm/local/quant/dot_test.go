package quant_test

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/plait-ai/plait/llm/local/ggml"
	"github.com/plait-ai/plait/llm/local/quant"
)

func dot64(a, b []float32) (sum, abs float64) {
	for i := range a {
		p := float64(a[i]) * float64(b[i])
		sum += p
		abs += math.Abs(p)
	}
	return
}

func colsFor(t ggml.Type) int {
	if t.BlockSize() == 256 {
		return 1024
	}
	return 896
}

// Dot of a quantized row with a quantized activation equals the float dot
// of their dequantized values (the integer part is exact), and is close to
// the dot with the original activation.
func TestDotMatchesDequantized(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, typ := range weightTypes {
		for _, simd := range []bool{false, true} {
			t.Run(fmt.Sprintf("%v/simd=%v", typ, simd), func(t *testing.T) {
				defer quant.SetSIMD(quant.SetSIMD(simd))
				n := colsFor(typ)
				w := mustQuantize(t, typ, gauss(r, n, 0.05))
				x := gauss(r, n, 1)
				act, err := quant.QuantizeActivation(typ, x, nil)
				if err != nil {
					t.Fatal(err)
				}
				got, err := quant.Dot(typ, w, act, n)
				if err != nil {
					t.Fatal(err)
				}
				// The activation as the kernels read it: quantized, or
				// for F16 and BF16 weights rounded to their precision.
				at, _ := quant.VecDotType(typ)
				xq := mustDequantize(t, at, act, n)
				wf := mustDequantize(t, typ, w, n)
				want, abs := dot64(wf, xq)
				tol := 2e-5
				if at == ggml.Q8_1 {
					tol = 3e-4 // the block sums are stored as f16
				}
				if d := math.Abs(float64(got) - want); d > tol*abs {
					t.Errorf("Dot = %g, dequantized dot = %g (diff %g, scale %g)", got, want, d, abs)
				}
				orig, abs2 := dot64(wf, x)
				if d := math.Abs(float64(got) - orig); d > 0.01*abs2 {
					t.Errorf("Dot = %g, float activation dot = %g", got, orig)
				}
			})
		}
	}
}

// unitScaleRow makes a row of random quants whose block scales are 1 (and
// mins 0 or 1), so every product is an integer and float sums are exact in
// any order: SIMD and generic results must then be identical.
func unitScaleRow(t testing.TB, r *rand.Rand, typ ggml.Type, n int) []byte {
	b := randomBlocks(r, typ, n)
	one := quant.FP32ToFP16(1)
	ts := typ.TypeSize()
	for o := 0; o < len(b); o += ts {
		switch typ {
		case ggml.Q4_0, ggml.Q5_0, ggml.Q8_0, ggml.IQ4_NL:
			b[o], b[o+1] = byte(one), byte(one>>8)
		case ggml.Q4_1, ggml.Q5_1, ggml.Q4_K, ggml.Q5_K:
			b[o], b[o+1] = byte(one), byte(one>>8)
			b[o+2], b[o+3] = byte(one), byte(one>>8)
			if typ == ggml.Q4_K || typ == ggml.Q5_K {
				for j := 4; j < 16; j++ {
					b[o+j] &= 0x07 // scales and mins <= 7 keep sums below 2^24
				}
			}
		case ggml.Q2_K:
			b[o+80], b[o+81] = byte(one), byte(one>>8)
			b[o+82], b[o+83] = byte(one), byte(one>>8)
		case ggml.Q3_K:
			b[o+108], b[o+109] = byte(one), byte(one>>8)
		case ggml.IQ4_XS:
			b[o], b[o+1] = byte(one), byte(one>>8)
			// Sub-block scales ls-32 in -4..3 keep sums below 2^24.
			var sh uint16
			for ib := 0; ib < 8; ib++ {
				hb, lo := 2, r.IntN(4)
				if r.IntN(2) == 0 {
					hb, lo = 1, 12+r.IntN(4)
				}
				sh |= uint16(hb) << (2 * ib)
				b[o+4+ib/2] &^= 0xf << (4 * (ib % 2))
				b[o+4+ib/2] |= byte(lo) << (4 * (ib % 2))
			}
			b[o+2], b[o+3] = byte(sh), byte(sh>>8)
		case ggml.Q6_K:
			b[o+208], b[o+209] = byte(one), byte(one>>8)
			for j := 192; j < 208; j++ {
				b[o+j] = b[o+j]&0x0f - 8
			}
		case ggml.F32, ggml.F16, ggml.BF16:
			// small integers
			v := float32(r.IntN(15) - 7)
			enc := mustQuantize(t, typ, []float32{v})
			copy(b[o:], enc)
		}
	}
	return b
}

func unitScaleAct(r *rand.Rand, typ ggml.Type, n int) []byte {
	at, _ := quant.VecDotType(typ)
	if at == ggml.F32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(r.IntN(255) - 127)
		}
		b, _ := quant.QuantizeActivation(typ, x, nil)
		return b
	}
	b := randomBlocks(r, at, n)
	ts := at.TypeSize()
	one := quant.FP32ToFP16(1)
	for o := 0; o < len(b); o += ts {
		switch at {
		case ggml.Q8_0:
			b[o], b[o+1] = byte(one), byte(one>>8)
			for j := 2; j < ts; j++ {
				if b[o+j] == 0x80 {
					b[o+j] = 0x81 // quantizers never produce -128
				}
			}
		case ggml.Q8_1:
			b[o], b[o+1] = byte(one), byte(one>>8)
			var s int
			for j := 4; j < ts; j++ {
				if b[o+j] == 0x80 {
					b[o+j] = 0x81
				}
				s += int(int8(b[o+j]))
			}
			h := quant.FP32ToFP16(float32(s))
			b[o+2], b[o+3] = byte(h), byte(h>>8)
		case ggml.Q8_K:
			b[o], b[o+1], b[o+2], b[o+3] = 0, 0, 0x80, 0x3f // 1.0
			for j := 0; j < 16; j++ {
				var s int
				for k := 0; k < 16; k++ {
					p := o + 4 + 16*j + k
					if b[p] == 0x80 {
						b[p] = 0x81
					}
					s += int(int8(b[p]))
				}
				b[o+260+2*j], b[o+261+2*j] = byte(int16(s)), byte(uint16(int16(s))>>8)
			}
		}
	}
	return b
}

func TestSIMDMatchesGenericExactly(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, typ := range weightTypes {
		t.Run(typ.String(), func(t *testing.T) {
			if !quant.SIMD(typ) {
				t.Skipf("no SIMD kernel for %v on this machine/build", typ)
			}
			bs := typ.BlockSize()
			for _, n := range []int{bs, 3 * bs, 7 * bs, 256, 1024, 4864 / 256 * 256, 1056} {
				if n%bs != 0 {
					continue
				}
				for trial := 0; trial < 20; trial++ {
					w := unitScaleRow(t, r, typ, n)
					a := unitScaleAct(r, typ, n)
					prev := quant.SetSIMD(false)
					want, err1 := quant.Dot(typ, w, a, n)
					quant.SetSIMD(true)
					got, err2 := quant.Dot(typ, w, a, n)
					quant.SetSIMD(prev)
					if err1 != nil || err2 != nil {
						t.Fatal(err1, err2)
					}
					if got != want {
						t.Fatalf("n=%d: SIMD %v != generic %v", n, got, want)
					}
				}
			}
		})
	}
}

func TestSIMDMatchesGenericRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, typ := range weightTypes {
		t.Run(typ.String(), func(t *testing.T) {
			for _, n := range []int{typ.BlockSize(), 5 * typ.BlockSize(), 256, 768, 4864 / 256 * 256, 4896} {
				if n%typ.BlockSize() != 0 {
					continue
				}
				for trial := 0; trial < 10; trial++ {
					w := randomBlocks(r, typ, n)
					x := gauss(r, n, 1)
					a, _ := quant.QuantizeActivation(typ, x, nil)
					prev := quant.SetSIMD(false)
					want, _ := quant.Dot(typ, w, a, n)
					quant.SetSIMD(true)
					got, _ := quant.Dot(typ, w, a, n)
					quant.SetSIMD(prev)
					wf := mustDequantize(t, typ, w, n)
					_, abs := dot64(wf, x)
					if d := math.Abs(float64(got - want)); d > 1e-5*abs+1e-30 {
						t.Fatalf("n=%d: SIMD %v, generic %v (scale %g)", n, got, want, abs)
					}
				}
			}
		})
	}
}

func TestMatVecMatMul(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for _, typ := range weightTypes {
		for _, rows := range []int{1, 3, 37} {
			for _, threads := range []int{1, 2, 3, 5} {
				name := fmt.Sprintf("%v/rows=%d/threads=%d", typ, rows, threads)
				t.Run(name, func(t *testing.T) {
					p := quant.NewPool(threads)
					defer p.Close()
					cols := colsFor(typ) / 2
					if typ.BlockSize() == 256 {
						cols = 512
					}
					m := quant.Matrix{Type: typ, Rows: rows, Cols: cols,
						Data: mustQuantize(t, typ, gauss(r, rows*cols, 0.05))}
					const batch = 11
					x := gauss(r, batch*cols, 1)
					y := make([]float32, batch*rows)
					if err := quant.MatMul(p, m, x, batch, y); err != nil {
						t.Fatal(err)
					}
					wf := mustDequantize(t, typ, m.Data, rows*cols)
					for b := 0; b < batch; b++ {
						yv := make([]float32, rows)
						if err := quant.MatVec(p, m, x[b*cols:(b+1)*cols], yv); err != nil {
							t.Fatal(err)
						}
						act, _ := quant.QuantizeActivation(typ, x[b*cols:(b+1)*cols], nil)
						for i := 0; i < rows; i++ {
							want, _ := quant.Dot(typ, m.Row(i), act, cols)
							if yv[i] != want {
								t.Fatalf("MatVec row %d token %d = %v, Dot = %v", i, b, yv[i], want)
							}
							_, abs := dot64(wf[i*cols:(i+1)*cols], x[b*cols:(b+1)*cols])
							if d := math.Abs(float64(y[b*rows+i] - want)); d > 1e-5*abs {
								t.Fatalf("MatMul row %d token %d = %v, Dot = %v", i, b, y[b*rows+i], want)
							}
						}
					}
					row := make([]float32, cols)
					if err := quant.RowDequantize(m, rows-1, row); err != nil {
						t.Fatal(err)
					}
					want := mustDequantize(t, typ, m.Row(rows-1), cols)
					for i := range row {
						if row[i] != want[i] {
							t.Fatalf("RowDequantize element %d = %v, want %v", i, row[i], want[i])
						}
					}
				})
			}
		}
	}
}

func TestPool(t *testing.T) {
	for _, n := range []int{0, 1, 2, 7} {
		p := quant.NewPool(n)
		var hits [1000]int32
		p.For(len(hits), 13, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				hits[i]++
			}
		})
		for i, h := range hits {
			if h != 1 {
				t.Fatalf("threads=%d: item %d ran %d times", n, i, h)
			}
		}
		// nested jobs run inline rather than deadlock
		var total [4]int
		p.Run(func(part, parts int) {
			if part == 0 {
				p.Run(func(i, _ int) { total[i%4]++ })
			}
		})
		p.Close()
		p.Close()
		p.For(10, 1, func(lo, hi int) {}) // after Close: runs inline
	}
	// many back-to-back jobs: every part runs exactly once per job
	p := quant.NewPool(3)
	for j := 0; j < 300; j++ {
		var c [3]int32
		p.Run(func(part, parts int) { c[part]++ })
		if c != [3]int32{1, 1, 1} {
			t.Fatalf("job %d ran parts %v", j, c)
		}
	}
	p.Close()
	var nilPool *quant.Pool
	ran := 0
	nilPool.For(5, 2, func(lo, hi int) { ran += hi - lo })
	if ran != 5 || nilPool.Threads() != 1 {
		t.Errorf("nil pool ran %d items", ran)
	}
}

func TestActivationQuantizationSIMD(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	x := gauss(r, 32*40, 1)
	for i := 0; i < 32; i++ {
		x[32*5+i] = 0 // an all-zero block
	}
	for i := 256; i < 512; i++ {
		x[i] = 0 // an all-zero super-block
	}
	x[600], x[601] = 5, -5 // a tie between the extremes
	x[100] = 1e30
	x[200] = -3e-30
	x[300] = 127.5 / 127 * 0.5 // ties land on even
	for _, at := range []ggml.Type{ggml.Q8_0, ggml.Q8_1, ggml.Q8_K} {
		n, _ := quant.RowBytes(at, len(x))
		a, b := make([]byte, n), make([]byte, n)
		q := map[ggml.Type]func([]float32, []byte) error{ggml.Q8_0: quant.QuantizeQ8_0, ggml.Q8_1: quant.QuantizeQ8_1, ggml.Q8_K: quant.QuantizeQ8_K}[at]
		prev := quant.SetSIMD(false)
		err1 := q(x, a)
		quant.SetSIMD(true)
		err2 := q(x, b)
		quant.SetSIMD(prev)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		for i := range a {
			if a[i] != b[i] {
				t.Fatalf("%v byte %d: generic %#x, SIMD %#x", at, i, a[i], b[i])
			}
		}
		// and close to the input
		y := mustDequantize(t, at, a, len(x))
		for i := range y {
			if i/at.BlockSize() == 100/at.BlockSize() {
				continue // the block with the huge value
			}
			if d := math.Abs(float64(y[i] - x[i])); d > 0.05 {
				t.Fatalf("%v element %d: %g -> %g", at, i, x[i], y[i])
			}
		}
	}
}

func TestActivationReuse(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 18))
	m := quant.Matrix{Type: ggml.Q5_0, Rows: 5, Cols: 64, Data: mustQuantize(t, ggml.Q5_0, gauss(r, 5*64, 1))}
	m2 := quant.Matrix{Type: ggml.Q8_0, Rows: 3, Cols: 64, Data: mustQuantize(t, ggml.Q8_0, gauss(r, 3*64, 1))}
	x := gauss(r, 64, 1)
	var a quant.Activation
	if err := a.Set(ggml.Q5_0, x); err != nil {
		t.Fatal(err)
	}
	if !a.Serves(ggml.Q8_0) || a.Serves(ggml.Q4_K) || a.Len() != 64 {
		t.Fatalf("Serves/Len wrong")
	}
	for _, mm := range []quant.Matrix{m, m2} {
		y1 := make([]float32, mm.Rows)
		y2 := make([]float32, mm.Rows)
		if err := quant.MatVecQ(nil, mm, &a, y1); err != nil {
			t.Fatal(err)
		}
		if err := quant.MatVec(nil, mm, x, y2); err != nil {
			t.Fatal(err)
		}
		for i := range y1 {
			if y1[i] != y2[i] {
				t.Fatalf("MatVecQ %v != MatVec %v", y1[i], y2[i])
			}
		}
	}
	mk := quant.Matrix{Type: ggml.Q4_K, Rows: 1, Cols: 256, Data: make([]byte, 144)}
	if err := quant.MatVecQ(nil, mk, &a, make([]float32, 1)); err == nil {
		t.Errorf("MatVecQ accepted a Q8_0 activation for Q4_K weights")
	}
	// float weights after quantized ones, and back
	mf := quant.Matrix{Type: ggml.F32, Rows: 1, Cols: 64, Data: mustQuantize(t, ggml.F32, gauss(r, 64, 1))}
	if err := a.Set(ggml.F32, x); err != nil {
		t.Fatal(err)
	}
	y := make([]float32, 1)
	if err := quant.MatVecQ(nil, mf, &a, y); err != nil {
		t.Fatal(err)
	}
	xc := append([]float32(nil), x...)
	if err := a.Set(ggml.Q8_0, x); err != nil {
		t.Fatal(err)
	}
	for i := range x {
		if x[i] != xc[i] {
			t.Fatalf("Set wrote into the caller's vector")
		}
	}
}

// The VNNI and AVX2 batched kernels compute the same integer sums and the
// same float operations in the same order: their results are identical.
func TestMatMulVNNIMatchesAVX2(t *testing.T) {
	if !quant.SetVNNI(true) {
		t.Skip("no AVX-512 VNNI on this machine or build")
	}
	defer quant.SetVNNI(true)
	r := rand.New(rand.NewPCG(19, 20))
	for _, typ := range []ggml.Type{ggml.Q8_0, ggml.Q4_0, ggml.Q5_0} {
		const rows, cols, batch = 9, 320, 9
		m := quant.Matrix{Type: typ, Rows: rows, Cols: cols, Data: mustQuantize(t, typ, gauss(r, rows*cols, 0.1))}
		x := gauss(r, batch*cols, 1)
		y1 := make([]float32, batch*rows)
		y2 := make([]float32, batch*rows)
		quant.SetVNNI(true)
		if err := quant.MatMul(nil, m, x, batch, y1); err != nil {
			t.Fatal(err)
		}
		quant.SetVNNI(false)
		if err := quant.MatMul(nil, m, x, batch, y2); err != nil {
			t.Fatal(err)
		}
		for i := range y1 {
			if y1[i] != y2[i] {
				t.Fatalf("%v output %d: VNNI %v, AVX2 %v", typ, i, y1[i], y2[i])
			}
		}
		// and the single-row kernels MatVec uses
		for _, nb := range []int{1, 2, 7, 10} {
			n := nb * 32
			w := mustQuantize(t, typ, gauss(r, n, 0.1))
			a, _ := quant.QuantizeActivation(typ, gauss(r, n, 1), nil)
			quant.SetVNNI(true)
			d1, _ := quant.Dot(typ, w, a, n)
			quant.SetVNNI(false)
			d2, _ := quant.Dot(typ, w, a, n)
			if d1 != d2 {
				t.Fatalf("%v Dot over %d blocks: VNNI %v, AVX2 %v", typ, nb, d1, d2)
			}
		}
	}
}

// The VNNI K-quant kernels (single-row and row groups) compute the AVX2
// kernels' int32 lanes and float operations: their results are identical,
// for random bytes (any scales) and for quantized weights, over odd and
// even super-block counts and row counts that leave remainders.
func TestKQuantVNNIMatchesAVX2(t *testing.T) {
	if !quant.SetVNNI(true) {
		t.Skip("no AVX-512 VNNI on this machine or build")
	}
	defer quant.SetVNNI(true)
	same := func(a, b float32) bool {
		return a == b || (math.IsNaN(float64(a)) && math.IsNaN(float64(b)))
	}
	r := rand.New(rand.NewPCG(23, 24))
	for _, typ := range []ggml.Type{ggml.Q4_K, ggml.Q5_K, ggml.Q6_K} {
		for _, nb := range []int{1, 2, 3, 19} {
			n := nb * 256
			for trial := 0; trial < 8; trial++ {
				w := randomBlocks(r, typ, n)
				if trial%2 == 1 {
					w = mustQuantize(t, typ, gauss(r, n, 0.05))
				}
				a, _ := quant.QuantizeActivation(typ, gauss(r, n, 1), nil)
				quant.SetVNNI(true)
				d1, _ := quant.Dot(typ, w, a, n)
				quant.SetVNNI(false)
				d2, _ := quant.Dot(typ, w, a, n)
				if !same(d1, d2) {
					t.Fatalf("%v Dot over %d super-blocks: VNNI %v, AVX2 %v", typ, nb, d1, d2)
				}
			}
			for k, rows := range []int{1, 4, 8, 13, 21} {
				m := quant.Matrix{Type: typ, Rows: rows, Cols: n, Data: mustQuantize(t, typ, gauss(r, rows*n, 0.05))}
				if k%2 == 1 {
					m.Data = randomBlocks(r, typ, rows*n) // any scales, mins and quants
				}
				x := gauss(r, n, 1)
				y1 := make([]float32, rows)
				y2 := make([]float32, rows)
				quant.SetVNNI(true)
				if err := quant.MatVec(nil, m, x, y1); err != nil {
					t.Fatal(err)
				}
				quant.SetVNNI(false)
				if err := quant.MatVec(nil, m, x, y2); err != nil {
					t.Fatal(err)
				}
				for i := range y1 {
					if !same(y1[i], y2[i]) {
						t.Fatalf("%v %dx%d row %d: VNNI %v, AVX2 %v", typ, rows, n, i, y1[i], y2[i])
					}
				}
			}
		}
	}
}

// Every F16 pattern of the K-quant super-block scales (Q4_K's d and dmin,
// Q6_K's d), subnormals, infinities and NaNs included, gives the same Dot
// through the VNNI kernels (which look some of them up in a table) as
// through the AVX2 kernels (which convert them).
func TestKQuantVNNIEveryScale(t *testing.T) {
	if !quant.SetVNNI(true) {
		t.Skip("no AVX-512 VNNI on this machine or build")
	}
	defer quant.SetVNNI(true)
	r := rand.New(rand.NewPCG(45, 46))
	for _, typ := range []ggml.Type{ggml.Q4_K, ggml.Q6_K} {
		const blocks = 1 << 16
		ts := typ.TypeSize()
		data := randomBlocks(r, typ, blocks*256)
		off := 0 // where d sits in the block
		if typ == ggml.Q6_K {
			off = 208
		}
		for i := range blocks {
			binary.LittleEndian.PutUint16(data[i*ts+off:], uint16(i))
			if typ == ggml.Q4_K {
				binary.LittleEndian.PutUint16(data[i*ts+2:], uint16(i*40503)) // odd: every pattern once
			}
		}
		a, _ := quant.QuantizeActivation(typ, gauss(r, 256, 1), nil)
		got := make([]float32, blocks)
		quant.SetVNNI(true)
		for i := range blocks {
			got[i], _ = quant.Dot(typ, data[i*ts:(i+1)*ts], a, 256)
		}
		quant.SetVNNI(false)
		for i := range blocks {
			want, _ := quant.Dot(typ, data[i*ts:(i+1)*ts], a, 256)
			if got[i] != want && !(math.IsNaN(float64(got[i])) && math.IsNaN(float64(want))) {
				t.Fatalf("%v scale %#04x: VNNI %v, AVX2 %v", typ, i, got[i], want)
			}
		}
	}
}

func TestMatVecMany(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	const cols = 256
	for _, tt := range []struct {
		act   ggml.Type // the weight type the activation is set for
		types []ggml.Type
		rows  []int
		other ggml.Type // a type the activation does not serve
	}{
		{ggml.Q8_0, []ggml.Type{ggml.Q8_0, ggml.Q5_0, ggml.Q4_0, ggml.Q8_0}, []int{37, 5, 0, 64}, ggml.Q4_K},
		// IQ4_NL shares Q8_0 activations with the legacy 32-element types.
		{ggml.IQ4_NL, []ggml.Type{ggml.IQ4_NL, ggml.Q4_0, ggml.IQ4_NL, ggml.Q8_0}, []int{37, 5, 0, 64}, ggml.Q3_K},
		// Q3_K_M's mix: attn_v and ffn_down in higher types.
		{ggml.Q3_K, []ggml.Type{ggml.Q3_K, ggml.Q2_K, ggml.Q5_K, ggml.Q4_K, ggml.Q6_K}, []int{37, 5, 0, 64, 9}, ggml.Q8_0},
		// IQ4_XS files keep some matrices in K-quants.
		{ggml.IQ4_XS, []ggml.Type{ggml.IQ4_XS, ggml.Q6_K, ggml.IQ4_XS, ggml.Q5_K}, []int{37, 5, 0, 64}, ggml.IQ4_NL},
	} {
		t.Run(tt.types[0].String(), func(t *testing.T) {
			ms := make([]quant.Matrix, len(tt.types))
			ys := make([][]float32, len(ms))
			for i, typ := range tt.types {
				ms[i] = quant.Matrix{Type: typ, Rows: tt.rows[i], Cols: cols}
				ms[i].Data = mustQuantize(t, typ, gauss(r, ms[i].Rows*cols, 1))
				ys[i] = make([]float32, ms[i].Rows)
			}
			x := gauss(r, cols, 1)
			var a quant.Activation
			if err := a.Set(tt.act, x); err != nil {
				t.Fatal(err)
			}
			for _, threads := range []int{1, 2, 3} {
				p := quant.NewPool(threads)
				if err := quant.MatVecMany(p, ms, &a, ys); err != nil {
					t.Fatal(err)
				}
				p.Close()
				for i, m := range ms {
					want := make([]float32, m.Rows)
					if err := quant.MatVecQ(nil, m, &a, want); err != nil {
						t.Fatal(err)
					}
					for j := range want {
						if ys[i][j] != want[j] {
							t.Fatalf("threads=%d matrix %d row %d: %v, want %v", threads, i, j, ys[i][j], want[j])
						}
					}
				}
			}
			bad := append([]quant.Matrix{}, ms...)
			bad[1].Type = tt.other
			if err := quant.MatVecMany(nil, bad, &a, ys); err == nil {
				t.Error("MatVecMany accepted a matrix the activation does not serve")
			}
		})
	}
}

// Batches beyond one 64-token tile, with every kernel family.
func TestMatMulLargeBatch(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	p := quant.NewPool(2)
	defer p.Close()
	for _, typ := range []ggml.Type{ggml.Q8_0, ggml.Q2_K, ggml.Q3_K, ggml.Q4_K, ggml.Q5_K, ggml.Q6_K, ggml.Q5_1, ggml.Q4_0, ggml.Q5_0, ggml.IQ4_NL, ggml.IQ4_XS} {
		const rows, cols, batch = 6, 512, 133
		m := quant.Matrix{Type: typ, Rows: rows, Cols: cols, Data: mustQuantize(t, typ, gauss(r, rows*cols, 0.1))}
		wf := mustDequantize(t, typ, m.Data, rows*cols)
		x := gauss(r, batch*cols, 1)
		y := make([]float32, batch*rows)
		if err := quant.MatMul(p, m, x, batch, y); err != nil {
			t.Fatal(err)
		}
		yv := make([]float32, rows)
		for b := 0; b < batch; b++ {
			xb := x[b*cols : (b+1)*cols]
			if err := quant.MatVec(p, m, xb, yv); err != nil {
				t.Fatal(err)
			}
			for i := range yv {
				_, abs := dot64(wf[i*cols:(i+1)*cols], xb)
				if d := math.Abs(float64(y[b*rows+i] - yv[i])); d > 1e-5*abs {
					t.Fatalf("%v token %d row %d: MatMul %v, MatVec %v", typ, b, i, y[b*rows+i], yv[i])
				}
			}
		}
	}
}

func TestDotF32Axpy(t *testing.T) {
	r := rand.New(rand.NewPCG(25, 26))
	for _, n := range []int{0, 1, 7, 8, 9, 31, 32, 33, 64, 100, 1000} {
		a, b := gauss(r, n, 1), gauss(r, n+3, 1) // b longer: only min length counts
		want, abs := dot64(a, b[:n])
		for _, simd := range []bool{false, true} {
			prev := quant.SetSIMD(simd)
			got := quant.DotF32(a, b)
			y := append([]float32(nil), b...)
			quant.Axpy(0.5, a, y)
			quant.SetSIMD(prev)
			if d := math.Abs(float64(got) - want); d > 1e-5*abs+1e-6 {
				t.Fatalf("n=%d simd=%v: DotF32 = %v, want %v", n, simd, got, want)
			}
			for i := range y {
				w := b[i]
				if i < n {
					w += 0.5 * a[i]
				}
				if math.Abs(float64(y[i]-w)) > 1e-6 {
					t.Fatalf("n=%d simd=%v: Axpy element %d = %v, want %v", n, simd, i, y[i], w)
				}
			}
		}
	}
}

// MatVec runs four rows per kernel call where the type has such a kernel;
// every result must equal the single-row Dot bit for bit, for odd and even
// block counts and row counts that leave a remainder.
func TestMatVecRowGroupsMatchDot(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	for _, typ := range []ggml.Type{ggml.Q8_0, ggml.Q4_0, ggml.Q5_0, ggml.Q4_K, ggml.Q6_K} {
		for _, cols := range []int{32, 96, 256, 896} {
			if cols%typ.BlockSize() != 0 {
				continue
			}
			for _, rows := range []int{4, 9, 131} {
				for _, threads := range []int{1, 2} {
					m := quant.Matrix{Type: typ, Rows: rows, Cols: cols,
						Data: mustQuantize(t, typ, gauss(r, rows*cols, 0.05))}
					x := gauss(r, cols, 1)
					y := make([]float32, rows)
					p := quant.NewPool(threads)
					err := quant.MatVec(p, m, x, y)
					p.Close()
					if err != nil {
						t.Fatal(err)
					}
					act, _ := quant.QuantizeActivation(typ, x, nil)
					for i := range rows {
						want, _ := quant.Dot(typ, m.Row(i), act, cols)
						if y[i] != want {
							t.Fatalf("%v cols=%d rows=%d threads=%d: row %d = %v, Dot = %v", typ, cols, rows, threads, i, y[i], want)
						}
					}
				}
			}
		}
	}
}

// The row-group kernels (eight and four rows per call) on random quant
// bytes, every bit pattern of quants and fifth bits included, with block
// counts that run their two-block loop, their one-block tail or both, and
// row counts that leave remainders: every row equals the single-row Dot.
func TestRowGroupsRandomBlocks(t *testing.T) {
	r := rand.New(rand.NewPCG(43, 44))
	for _, typ := range []ggml.Type{ggml.Q8_0, ggml.Q4_0, ggml.Q5_0, ggml.Q4_K, ggml.Q6_K} {
		for _, nb := range []int{1, 2, 3, 5, 28} {
			cols := nb * typ.BlockSize()
			for _, rows := range []int{8, 16, 27} {
				m := quant.Matrix{Type: typ, Rows: rows, Cols: cols, Data: randomBlocks(r, typ, rows*cols)}
				if i, got, want := rowOffDot(t, m, gauss(r, cols, 1)); i >= 0 {
					t.Fatalf("%v %d blocks, %d rows: row %d = %v, Dot = %v", typ, nb, rows, i, got, want)
				}
			}
		}
	}
}

// MatMul runs IQ4_NL and IQ4_XS four tokens per kernel call: on random
// quant bytes every token's result equals the single-row Dot, bit for bit
// for IQ4_XS (the same lanes, scaled in the same order) and up to the
// float accumulation order for IQ4_NL.
func TestIQ4MatMulMatchesDot(t *testing.T) {
	r := rand.New(rand.NewPCG(45, 46))
	for _, typ := range []ggml.Type{ggml.IQ4_NL, ggml.IQ4_XS} {
		for _, nb := range []int{1, 2, 3, 5} {
			const rows, batch = 3, 11
			cols := nb * typ.BlockSize()
			m := quant.Matrix{Type: typ, Rows: rows, Cols: cols, Data: randomBlocks(r, typ, rows*cols)}
			wf := mustDequantize(t, typ, m.Data, rows*cols)
			x := gauss(r, batch*cols, 1)
			y := make([]float32, batch*rows)
			if err := quant.MatMul(nil, m, x, batch, y); err != nil {
				t.Fatal(err)
			}
			for b := 0; b < batch; b++ {
				xb := x[b*cols : (b+1)*cols]
				act, _ := quant.QuantizeActivation(typ, xb, nil)
				for i := 0; i < rows; i++ {
					want, err := quant.Dot(typ, m.Row(i), act, cols)
					if err != nil {
						t.Fatal(err)
					}
					got := y[b*rows+i]
					_, abs := dot64(wf[i*cols:(i+1)*cols], xb)
					if (typ == ggml.IQ4_XS && got != want) || math.Abs(float64(got-want)) > 1e-5*abs {
						t.Fatalf("%v %d blocks: token %d row %d: MatMul %v, Dot %v", typ, nb, b, i, got, want)
					}
				}
			}
		}
	}
}

// rowOffDot multiplies m by x with MatVec (which runs the row-group
// kernels) and returns the first row that differs from the single-row Dot
// (a NaN equals a NaN), or -1.
func rowOffDot(t *testing.T, m quant.Matrix, x []float32) (row int, got, want float32) {
	t.Helper()
	y := make([]float32, m.Rows)
	if err := quant.MatVec(nil, m, x, y); err != nil {
		t.Fatal(err)
	}
	act, _ := quant.QuantizeActivation(m.Type, x, nil)
	for i := range m.Rows {
		d, _ := quant.Dot(m.Type, m.Row(i), act, m.Cols)
		if y[i] != d && !(math.IsNaN(float64(y[i])) && math.IsNaN(float64(d))) {
			return i, y[i], d
		}
	}
	return -1, 0, 0
}

// Shapes that run the register-blocked GEMM kernels (groups of 8 rows,
// tiles of 16 tokens) with remainders on both sides and odd block counts,
// against MatVec (the single-token kernels), on 1 and 2 threads.
func TestMatMulBlocked(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	for _, typ := range []ggml.Type{ggml.Q8_0, ggml.Q4_0, ggml.Q5_0} {
		for _, sh := range []struct{ rows, cols, batch int }{{8, 32, 16}, {19, 96, 37}, {64, 896, 64}, {35, 160, 17}} {
			for _, threads := range []int{1, 2} {
				p := quant.NewPool(threads)
				m := quant.Matrix{Type: typ, Rows: sh.rows, Cols: sh.cols, Data: mustQuantize(t, typ, gauss(r, sh.rows*sh.cols, 0.1))}
				wf := mustDequantize(t, typ, m.Data, sh.rows*sh.cols)
				x := gauss(r, sh.batch*sh.cols, 1)
				y := make([]float32, sh.batch*sh.rows)
				if err := quant.MatMul(p, m, x, sh.batch, y); err != nil {
					t.Fatal(err)
				}
				yv := make([]float32, sh.rows)
				for b := 0; b < sh.batch; b++ {
					xb := x[b*sh.cols : (b+1)*sh.cols]
					if err := quant.MatVec(p, m, xb, yv); err != nil {
						t.Fatal(err)
					}
					for i := range yv {
						_, abs := dot64(wf[i*sh.cols:(i+1)*sh.cols], xb)
						if d := math.Abs(float64(y[b*sh.rows+i] - yv[i])); d > 1e-5*abs {
							t.Fatalf("%v %dx%d batch %d threads %d: token %d row %d: MatMul %v, MatVec %v", typ, sh.rows, sh.cols, sh.batch, threads, b, i, y[b*sh.rows+i], yv[i])
						}
					}
				}
				p.Close()
			}
		}
	}
}

// Every F16 block scale, subnormals, infinities and NaNs included, gives
// the same result through the row-group kernels (which look scales up in
// a table) as through the single-row kernels (which convert them): the
// block scale of Q8_0, Q4_0 and Q5_0, and Q4_K's super-block scale and
// min scale (every pattern of each, in different pairings).
func TestRowGroupsEveryScale(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	for _, typ := range []ggml.Type{ggml.Q8_0, ggml.Q4_0, ggml.Q5_0, ggml.Q4_K} {
		const rows = 1 << 16
		cols := typ.BlockSize()
		rb := typ.TypeSize()
		var data []byte
		if typ == ggml.Q4_K {
			data = randomBlocks(r, typ, rows*cols) // any 6-bit scales and mins
		} else {
			data = mustQuantize(t, typ, gauss(r, rows*cols, 0.05))
		}
		for i := range rows {
			binary.LittleEndian.PutUint16(data[i*rb:], uint16(i))
			if typ == ggml.Q4_K {
				binary.LittleEndian.PutUint16(data[i*rb+2:], uint16(i*40503)) // odd: every pattern once
			}
		}
		m := quant.Matrix{Type: typ, Rows: rows, Cols: cols, Data: data}
		if i, got, want := rowOffDot(t, m, gauss(r, cols, 1)); i >= 0 {
			t.Fatalf("%v scale %#04x: row kernel %v, Dot %v", typ, i, got, want)
		}
	}
}

// For covers every item exactly once in chunks that start at multiples of
// the chunk size, also when one thread is slow and the others take chunks
// from its share.
func TestPoolForShares(t *testing.T) {
	for _, threads := range []int{2, 3, 4} {
		p := quant.NewPool(threads)
		for _, tc := range []struct{ n, chunk int }{{1, 1}, {5, 2}, {100, 7}, {1000, 13}, {4096, 64}, {17, 20}, {151936, 20}} {
			hits := make([]atomic.Int32, tc.n)
			var slow atomic.Bool
			p.For(tc.n, tc.chunk, func(lo, hi int) {
				if lo%tc.chunk != 0 || hi-lo > tc.chunk || (hi-lo < tc.chunk && hi != tc.n) {
					t.Errorf("threads=%d n=%d chunk=%d: range [%d, %d)", threads, tc.n, tc.chunk, lo, hi)
				}
				if lo == 0 && slow.CompareAndSwap(false, true) {
					time.Sleep(2 * time.Millisecond) // the others steal meanwhile
				}
				for i := lo; i < hi; i++ {
					hits[i].Add(1)
				}
			})
			for i := range hits {
				if h := hits[i].Load(); h != 1 {
					t.Fatalf("threads=%d n=%d chunk=%d: item %d ran %d times", threads, tc.n, tc.chunk, i, h)
				}
			}
		}
		p.Close()
	}
}

// MatMulMany gives every matrix the same result as its own MatMul, with
// one activation format (shared quantization and tiles, several weight
// offsets) and with mixed formats.
func TestMatMulMany(t *testing.T) {
	r := rand.New(rand.NewPCG(51, 52))
	for _, types := range [][]ggml.Type{
		{ggml.Q8_0, ggml.Q8_0, ggml.Q8_0},
		{ggml.Q5_0, ggml.Q5_0, ggml.Q8_0, ggml.Q4_0},
		{ggml.Q4_K, ggml.Q6_K},
		{ggml.Q3_K, ggml.Q2_K, ggml.Q5_K, ggml.Q6_K},
		{ggml.IQ4_NL, ggml.Q8_0, ggml.IQ4_NL},
		// A Q3_K_M file of a model whose widths are not multiples of 256
		// holds IQ4_NL matrices beside K-quant ones.
		{ggml.Q3_K, ggml.IQ4_NL, ggml.Q5_K},
		{ggml.IQ4_XS, ggml.Q4_K, ggml.IQ4_XS, ggml.Q6_K},
		{ggml.Q8_0, ggml.Q4_K, ggml.F16},
	} {
		const cols = 256
		for _, batch := range []int{1, 5, 16, 37, 64} {
			ms := make([]quant.Matrix, len(types))
			ys := make([][]float32, len(types))
			for i, typ := range types {
				rows := []int{40, 16, 9, 24}[i]
				ms[i] = quant.Matrix{Type: typ, Rows: rows, Cols: cols, Data: mustQuantize(t, typ, gauss(r, rows*cols, 0.05))}
				ys[i] = make([]float32, batch*rows)
			}
			x := gauss(r, batch*cols, 1)
			p := quant.NewPool(2)
			if err := quant.MatMulMany(p, ms, x, batch, ys); err != nil {
				t.Fatal(err)
			}
			for i, m := range ms {
				want := make([]float32, batch*m.Rows)
				if err := quant.MatMul(p, m, x, batch, want); err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(ys[i], want) {
					t.Fatalf("%v batch %d: matrix %d (%v) differs from its own MatMul", types, batch, i, m.Type)
				}
			}
			p.Close()
		}
	}
	if err := quant.MatMulMany(nil, []quant.Matrix{{}}, nil, 0, nil); err == nil {
		t.Error("mismatched outputs accepted")
	}
}

// With unit super-block scales and integer activations whose Q8_K scale
// is ±1, every float operation is exact: MatMul's four-token kernels and
// MatVec's row kernels must then give the generic Dot's results bit for
// bit, which checks their integer sums against the generic kernels'. With
// SIMD off, the matrix paths run on the generic kernels alone.
func TestKQuantMatMulExact(t *testing.T) {
	r := rand.New(rand.NewPCG(61, 62))
	for _, tc := range []struct {
		typ  ggml.Type
		simd bool
	}{
		{ggml.Q2_K, true}, {ggml.Q3_K, true}, {ggml.Q4_K, true}, {ggml.Q5_K, true}, {ggml.Q6_K, true}, {ggml.IQ4_XS, true},
		{ggml.Q2_K, false}, {ggml.Q3_K, false}, {ggml.IQ4_XS, false},
	} {
		typ := tc.typ
		t.Run(fmt.Sprintf("%v/simd=%v", typ, tc.simd), func(t *testing.T) {
			defer quant.SetSIMD(quant.SetSIMD(tc.simd))
			const rows, cols, batch = 5, 768, 9
			var data []byte
			for range rows {
				data = append(data, unitScaleRow(t, r, typ, cols)...)
			}
			m := quant.Matrix{Type: typ, Rows: rows, Cols: cols, Data: data}
			x := make([]float32, batch*cols)
			for i := range x {
				x[i] = float32(r.IntN(255) - 127)
				if i%256 == 0 {
					x[i] = 127
				}
			}
			y := make([]float32, batch*rows)
			p := quant.NewPool(2)
			defer p.Close()
			if err := quant.MatMul(p, m, x, batch, y); err != nil {
				t.Fatal(err)
			}
			yv := make([]float32, rows)
			for b := 0; b < batch; b++ {
				xb := x[b*cols : (b+1)*cols]
				if err := quant.MatVec(p, m, xb, yv); err != nil {
					t.Fatal(err)
				}
				prev := quant.SetSIMD(false)
				a, _ := quant.QuantizeActivation(typ, xb, nil)
				for i := 0; i < rows; i++ {
					want, err := quant.Dot(typ, m.Row(i), a, cols)
					if err != nil {
						t.Fatal(err)
					}
					if y[b*rows+i] != want || yv[i] != want {
						quant.SetSIMD(prev)
						t.Fatalf("token %d row %d: MatMul %v, MatVec %v, generic Dot %v", b, i, y[b*rows+i], yv[i], want)
					}
				}
				quant.SetSIMD(prev)
			}
		})
	}
}
