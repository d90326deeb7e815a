//go:build amd64 && !purego

package quant

import (
	"sync"
	"unsafe"

	"github.com/plait-ai/plait/llm/local/ggml"
	"golang.org/x/sys/cpu"
)

//go:noescape
func dotQ8_0AVX2(x, y *byte, nb int) float32

//go:noescape
func dotQ4_0AVX2(x, y *byte, nb int) float32

//go:noescape
func dotQ5_0AVX2(x, y *byte, nb int) float32

//go:noescape
func dotQ4_1AVX2(x, y *byte, nb int) float32

//go:noescape
func dotQ5_1AVX2(x, y *byte, nb int) float32

//go:noescape
func dotQ4_KAVX2(x, y *byte, nb int) float32

//go:noescape
func dotQ5_KAVX2(x, y *byte, nb int) float32

//go:noescape
func dotQ2_KAVX2(x, y *byte, nb int) float32

//go:noescape
func dotQ3_KAVX2(x, y *byte, nb int) float32

//go:noescape
func dotIQ4_NLAVX2(x, y *byte, nb int) float32

//go:noescape
func dotIQ4_XSAVX2(x, y *byte, nb int) float32

//go:noescape
func dotIQ4_NLx4AVX2(x, y *byte, ystride int, d *byte, nb int, out *[4]float32)

//go:noescape
func dotIQ4_XSx4AVX2(x, y *byte, ystride int, nb int, out *[4]float32)

//go:noescape
func dotQ2_Kx4AVX2(x, y *byte, ystride int, nb int, out *[4]float32)

//go:noescape
func dotQ3_Kx4AVX2(x, y *byte, ystride int, nb int, out *[4]float32)

//go:noescape
func dotQ6_KAVX2(x, y *byte, nb int) float32

//go:noescape
func dotF32AVX2(x, y *byte, n int) float32

//go:noescape
func dotF16AVX2(x, y *byte, n int) float32

//go:noescape
func dotBF16AVX2(x, y *byte, n int) float32

//go:noescape
func axpyF32AVX2(alpha float32, x, y *float32, n int)

//go:noescape
func quantQ8_0AVX2(x *float32, y *byte, nb int)

//go:noescape
func dotQ8_0x4AVX2(x, y *byte, ystride int, d *byte, nb int, out *[4]float32)

//go:noescape
func dotQ4_0x4AVX2(x, y *byte, ystride int, d *byte, nb int, out *[4]float32)

//go:noescape
func dotQ5_0x4AVX2(x, y *byte, ystride int, d *byte, nb int, out *[4]float32)

//go:noescape
func dotQ8_0x4VNNI(x, y *byte, ystride int, d *byte, nb int, out *[4]float32)

//go:noescape
func dotQ4_0x4VNNI(x, y *byte, ystride int, d *byte, nb int, out *[4]float32)

//go:noescape
func dotQ5_0x4VNNI(x, y *byte, ystride int, d *byte, nb int, out *[4]float32)

//go:noescape
func dotQ4_Kx4AVX2(x, y *byte, ystride int, nb int, out *[4]float32)

//go:noescape
func dotQ5_Kx4AVX2(x, y *byte, ystride int, nb int, out *[4]float32)

//go:noescape
func dotQ6_Kx4AVX2(x, y *byte, ystride int, nb int, out *[4]float32)

//go:noescape
func quantQ8_KAVX2(x *float32, y *byte, nb int)

//go:noescape
func dotQ8_0x8VNNIU(x, y *byte, ystride int, d *byte, nb int, out *[8]float32)

//go:noescape
func dotQ4_0x8VNNIU(x, y *byte, ystride int, d *byte, nb int, out *[8]float32)

//go:noescape
func dotQ5_0x8VNNIU(x, y *byte, ystride int, d *byte, nb int, out *[8]float32)

//go:noescape
func dotQ8_0VNNI(x, y *byte, nb int) float32

//go:noescape
func dotQ4_0VNNI(x, y *byte, nb int) float32

//go:noescape
func dotQ8_0R4VNNI(x *byte, xstride int, y, d *byte, nb int, out *[4]float32)

//go:noescape
func dotQ4_0R4VNNI(x *byte, xstride int, y, d *byte, nb int, out *[4]float32)

//go:noescape
func dotQ5_0R4VNNI(x *byte, xstride int, y, d *byte, nb int, out *[4]float32)

//go:noescape
func dotQ8_0R8VNNI(x *byte, xstride int, y, d *byte, nb int, out *[8]float32)

//go:noescape
func dotQ4_0R8VNNI(x *byte, xstride int, y, d *byte, nb int, out *[8]float32)

//go:noescape
func dotQ5_0R8VNNI(x *byte, xstride int, y, d *byte, nb int, out *[8]float32)

//go:noescape
func dotQ5_0VNNI(x, y *byte, nb int) float32

//go:noescape
func dotQ4_KVNNI(x, y *byte, nb int) float32

//go:noescape
func readSumAVX2(p *byte, n int) uint64

//go:noescape
func dotQ4_KR4VNNI(x *byte, xstride int, y *byte, nb int, out *[4]float32)

//go:noescape
func dotQ6_KZVNNI(x, y *byte, nb int) float32

var (
	hasAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA && cpu.X86.HasF16C
	hasVNNI = hasAVX2 && cpu.X86.HasAVX512VNNI && cpu.X86.HasAVX512VL && cpu.X86.HasAVX512BW
)

func init() { setKernels(hasVNNI) }

// f16Table points to the float32 value of every F16 bit pattern, for the
// kernels that look block scales up instead of converting them (filled
// once, on the first setKernels that selects them).
var (
	f16Table     *[1 << 16]float32
	f16TableOnce sync.Once
)

func fillF16Table() {
	f16TableOnce.Do(func() {
		t := new([1 << 16]float32)
		for i := range t {
			t[i] = FP16ToFP32(uint16(i))
		}
		f16Table = t
	})
}

// setKernels fills the SIMD kernel tables, with the AVX-512 VNNI variants
// when vnni is true.
func setKernels(vnni bool) {
	clear(simdKernels)
	clear(simdMultiKernels)
	clear(simdOffsetKernels)
	if !hasAVX2 {
		return
	}
	// The kernels take whole rows; callers (Dot, MatVec, MatMul) have
	// checked the lengths, so n is a multiple of the block size here and
	// the slices hold the bytes n elements take.
	block := func(f func(x, y *byte, nb int) float32, bs int) kernel {
		return func(w, a []byte, n int) float32 {
			if n == 0 {
				return 0
			}
			return f(&w[0], &a[0], n/bs)
		}
	}
	// Q8_0 activations carry float32 block scales after the blocks.
	scaled := func(f func(x, y *byte, nb int) float32) kernel {
		return func(w, a []byte, n int) float32 {
			if n == 0 {
				return 0
			}
			nb := n / qk
			_ = a[38*nb-1]
			return f(&w[0], &a[0], nb)
		}
	}
	clear(simdRowKernels)
	r4 := func(f func(x *byte, xstride int, y, d *byte, nb int, out *[4]float32)) rowKernel {
		return func(w []byte, rb int, a []byte, n int, out *[4]float32) {
			nb := n / qk
			if nb == 0 {
				*out = [4]float32{}
				return
			}
			_ = w[3*rb+rb-1]
			_ = a[38*nb-1]
			f(&w[0], rb, &a[0], &a[34*nb], nb, out)
		}
	}
	clear(simdGemmKernels)
	clear(simdRowKernels8)
	if vnni {
		fillF16Table()
		r8 := func(f func(x *byte, xstride int, y, d *byte, nb int, out *[8]float32)) rowKernel8 {
			return func(w []byte, rb int, a []byte, n int, out *[8]float32) {
				nb := n / qk
				if nb == 0 {
					*out = [8]float32{}
					return
				}
				_ = w[7*rb+rb-1]
				_ = a[38*nb-1]
				f(&w[0], rb, &a[0], &a[34*nb], nb, out)
			}
		}
		simdRowKernels8[ggml.Q8_0] = r8(dotQ8_0R8VNNI)
		simdRowKernels8[ggml.Q4_0] = r8(dotQ4_0R8VNNI)
		simdRowKernels8[ggml.Q5_0] = r8(dotQ5_0R8VNNI)
		gk := func(off int32, f func(w *byte, rb int, act *byte, nb int, out *float32, ostride int)) gemmKernel {
			return gemmKernel{off: off, fn: func(w []byte, rb int, packed []byte, nb int, y []float32, stride int) {
				_ = y[(gemmTokens-1)*stride+gemmRows-1]
				if nb == 0 {
					for t := range gemmTokens {
						clear(y[t*stride : t*stride+gemmRows])
					}
					return
				}
				_ = w[gemmRows*rb-1]
				_ = packed[nb*gemmBlockBytes-1]
				f(&w[0], rb, &packed[0], nb, &y[0], 4*stride)
			}}
		}
		simdGemmKernels[ggml.Q8_0] = gk(128, gemmQ8_0VNNI)
		simdGemmKernels[ggml.Q4_0] = gk(8, gemmQ4_0VNNI)
		simdGemmKernels[ggml.Q5_0] = gk(16, gemmQ5_0VNNI)
		simdRowKernels[ggml.Q8_0] = r4(dotQ8_0R4VNNI)
		simdRowKernels[ggml.Q4_0] = r4(dotQ4_0R4VNNI)
		simdRowKernels[ggml.Q5_0] = r4(dotQ5_0R4VNNI)
		simdKernels[ggml.Q8_0] = scaled(dotQ8_0VNNI)
		simdKernels[ggml.Q4_0] = scaled(dotQ4_0VNNI)
		simdKernels[ggml.Q5_0] = scaled(dotQ5_0VNNI)
	} else {
		simdKernels[ggml.Q8_0] = scaled(dotQ8_0AVX2)
		simdKernels[ggml.Q4_0] = scaled(dotQ4_0AVX2)
		simdKernels[ggml.Q5_0] = scaled(dotQ5_0AVX2)
	}
	simdKernels[ggml.Q4_1] = block(dotQ4_1AVX2, qk)
	simdKernels[ggml.Q5_1] = block(dotQ5_1AVX2, qk)
	simdKernels[ggml.Q2_K] = block(dotQ2_KAVX2, qkK)
	simdKernels[ggml.Q3_K] = block(dotQ3_KAVX2, qkK)
	simdKernels[ggml.Q4_K] = block(dotQ4_KAVX2, qkK)
	simdKernels[ggml.Q5_K] = block(dotQ5_KAVX2, qkK)
	simdKernels[ggml.Q6_K] = block(dotQ6_KAVX2, qkK)
	simdKernels[ggml.IQ4_NL] = scaled(dotIQ4_NLAVX2)
	simdKernels[ggml.IQ4_XS] = block(dotIQ4_XSAVX2, qkK)
	if vnni {
		simdKernels[ggml.Q4_K] = block(dotQ4_KVNNI, qkK)
		simdKernels[ggml.Q6_K] = block(dotQ6_KZVNNI, qkK)
		// Four rows per call, bit-identical to the single-row kernels.
		kr4 := func(f func(x *byte, xstride int, y *byte, nb int, out *[4]float32)) rowKernel {
			return func(w []byte, rb int, a []byte, n int, out *[4]float32) {
				nb := n / qkK
				if nb == 0 {
					*out = [4]float32{}
					return
				}
				_ = w[3*rb+rb-1]
				_ = a[292*nb-1]
				f(&w[0], rb, &a[0], nb, out)
			}
		}
		simdRowKernels[ggml.Q4_K] = kr4(dotQ4_KR4VNNI)
	}
	x4 := func(f func(x, y *byte, ystride int, d *byte, nb int, out *[4]float32)) multiKernel {
		return func(w, a []byte, stride, nb int, out *[4]float32) {
			if nb == 0 {
				*out = [4]float32{}
				return
			}
			_ = a[3*stride+nb*38-1] // the four rows, with their float32 scales
			f(&w[0], &a[0], stride, &a[34*nb], nb, out)
		}
	}
	if vnni {
		x8 := func(f func(x, y *byte, ystride int, d *byte, nb int, out *[8]float32)) offsetKernel {
			return func(w, a []byte, stride, nb int, out *[8]float32) {
				if nb == 0 {
					*out = [8]float32{}
					return
				}
				_ = a[7*stride+nb*38-1]
				f(&w[0], &a[0], stride, &a[34*nb], nb, out)
			}
		}
		simdOffsetKernels[ggml.Q8_0] = x8(dotQ8_0x8VNNIU)
		simdOffsetKernels[ggml.Q4_0] = x8(dotQ4_0x8VNNIU)
		simdOffsetKernels[ggml.Q5_0] = x8(dotQ5_0x8VNNIU)
		simdMultiKernels[ggml.Q8_0] = x4(dotQ8_0x4VNNI)
		simdMultiKernels[ggml.Q4_0] = x4(dotQ4_0x4VNNI)
		simdMultiKernels[ggml.Q5_0] = x4(dotQ5_0x4VNNI)
	} else {
		simdMultiKernels[ggml.Q8_0] = x4(dotQ8_0x4AVX2)
		simdMultiKernels[ggml.Q4_0] = x4(dotQ4_0x4AVX2)
		simdMultiKernels[ggml.Q5_0] = x4(dotQ5_0x4AVX2)
	}
	kx4 := func(f func(x, y *byte, ystride int, nb int, out *[4]float32)) multiKernel {
		return func(w, a []byte, stride, nb int, out *[4]float32) {
			if nb == 0 {
				*out = [4]float32{}
				return
			}
			_ = a[3*stride+nb*292-1]
			f(&w[0], &a[0], stride, nb, out)
		}
	}
	simdMultiKernels[ggml.Q2_K] = kx4(dotQ2_Kx4AVX2)
	simdMultiKernels[ggml.Q3_K] = kx4(dotQ3_Kx4AVX2)
	simdMultiKernels[ggml.Q4_K] = kx4(dotQ4_Kx4AVX2)
	simdMultiKernels[ggml.Q5_K] = kx4(dotQ5_Kx4AVX2)
	simdMultiKernels[ggml.Q6_K] = kx4(dotQ6_Kx4AVX2)
	simdMultiKernels[ggml.IQ4_NL] = x4(dotIQ4_NLx4AVX2)
	simdMultiKernels[ggml.IQ4_XS] = kx4(dotIQ4_XSx4AVX2)
	simdKernels[ggml.F32] = func(w, a []byte, n int) float32 {
		if n == 0 {
			return 0
		}
		return dotF32AVX2(&w[0], &a[0], n)
	}
	simdKernels[ggml.F16] = func(w, a []byte, n int) float32 {
		if n == 0 {
			return 0
		}
		return dotF16AVX2(&w[0], &a[0], n)
	}
	simdKernels[ggml.BF16] = func(w, a []byte, n int) float32 {
		if n == 0 {
			return 0
		}
		return dotBF16AVX2(&w[0], &a[0], n)
	}
}

func dotF32(a, b []float32) float32 {
	if useSIMD && hasAVX2 && len(a) > 0 {
		return dotF32AVX2((*byte)(unsafe.Pointer(&a[0])), (*byte)(unsafe.Pointer(&b[0])), len(a))
	}
	return dotF32Go(a, b)
}

func axpyF32(alpha float32, x, y []float32) {
	if useSIMD && hasAVX2 && len(x) > 0 {
		axpyF32AVX2(alpha, &x[0], &y[0], len(x))
		return
	}
	axpyF32Go(alpha, x, y)
}

func quantQ8_0(x []float32, dst []byte) {
	if useSIMD && hasAVX2 && len(x) >= qk {
		quantQ8_0AVX2(&x[0], &dst[0], len(x)/qk)
		return
	}
	quantQ8_0Go(x, dst)
}

func quantQ8_KAct(x []float32, dst []byte) {
	if useSIMD && hasAVX2 && len(x) >= qkK {
		_ = dst[len(x)/qkK*292-1]
		quantQ8_KAVX2(&x[0], &dst[0], len(x)/qkK)
		return
	}
	quantQ8_KGo(x, dst)
}

func readSum(b []byte) uint64 {
	if useSIMD && hasAVX2 && len(b) >= 256 {
		return readSumAVX2(&b[0], len(b)&^255)
	}
	return readSumGo(b)
}

//go:noescape
func gemmQ8_0VNNI(w *byte, rb int, act *byte, nb int, out *float32, ostride int)

//go:noescape
func gemmQ4_0VNNI(w *byte, rb int, act *byte, nb int, out *float32, ostride int)

//go:noescape
func gemmQ5_0VNNI(w *byte, rb int, act *byte, nb int, out *float32, ostride int)
