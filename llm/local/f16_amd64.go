package local

import (
	"math"

	"github.com/plait-ai/plait/llm/local/quant"
	"golang.org/x/sys/cpu"
)

//go:noescape
func scoresF16AVX2(q *float32, k *uint16, stride, n, hd int, scale float32, out *float32)

//go:noescape
func expfAVX2(x *float32, n int)

//go:noescape
func accum64F16AVX2(acc, v *uint16, stride, n int, ms, vs *float32)

//go:noescape
func accumF16AVX2(acc, v *uint16, stride, n int, ms, vs *float32)

//go:noescape
func dotF16AVX2(a, b *uint16, n int) float32

//go:noescape
func madF16AVX2(y, x *uint16, v float32, n int)

//go:noescape
func scaleF16AVX2(y *uint16, v float32, n int)

//go:noescape
func toF16AVX2(dst *uint16, src *float32, n int)

//go:noescape
func siluMulAVX2(x, u *float32, n int)

// useF16SIMD selects the F16C/AVX2/FMA kernels; tests turn it off to
// compare with the portable code.
var useF16SIMD = cpu.X86.HasAVX2 && cpu.X86.HasFMA && cpu.X86.HasF16C

func dotF16(a, b []uint16) float32 {
	n := min(len(a), len(b))
	if !useF16SIMD || n < 8 {
		return dotF16Go(a[:n], b[:n])
	}
	m := n &^ 7
	s := dotF16AVX2(&a[0], &b[0], m)
	if m < n {
		s += dotF16Go(a[m:n], b[m:n])
	}
	return s
}

func madF16(y, x []uint16, v float32) {
	n := min(len(y), len(x))
	m := 0
	if useF16SIMD && n >= 8 {
		m = n &^ 7
		madF16AVX2(&y[0], &x[0], v, m)
	}
	madF16Go(y[m:n], x[m:n], v)
}

func scaleF16(y []uint16, v float32) {
	m := 0
	if useF16SIMD && len(y) >= 8 {
		m = len(y) &^ 7
		scaleF16AVX2(&y[0], v, m)
	}
	scaleF16Go(y[m:], v)
}

func toF16(dst []uint16, src []float32) {
	n := min(len(dst), len(src))
	m := 0
	if useF16SIMD && n >= 8 {
		m = n &^ 7
		toF16AVX2(&dst[0], &src[0], m)
	}
	toF16Go(dst[m:n], src[m:n])
}

func swiglu(g, u []float32) {
	u = u[:len(g)]
	m := 0
	if useF16SIMD && len(g) >= 8 {
		m = len(g) &^ 7
		siluMulAVX2(&g[0], &u[0], m)
	}
	swigluGo(g[m:], u[m:])
}

// attendF16 is attendF16Go in three AVX2 passes over blocks of up to
// attnBlock positions where the head size is a multiple of 32 (at most
// 256): the scores, then the softmax factors (the running maximum in
// order, the exponentials in eight lanes), then the values accumulated
// with the accumulator in registers (64 or 32 elements at a time). The loop-carried chain per position
// is then the accumulator's alone, not the dot product, exponential and
// accumulation in series. Bit-identical to attendF16Go on the AVX2
// helpers: every value goes through the same operations; a factor the
// loop skips is exactly 1 here (expf(0)), and scaling by 1 is skipped.
func attendF16(q16, k, v []uint16, stride, span int, scale float32, acc []uint16) float32 {
	hd := len(q16)
	if !useF16SIMD || hd == 0 || hd%32 != 0 || hd > 256 || span <= 0 {
		return attendF16Go(q16, k, v, stride, span, scale, acc)
	}
	last := (span-1)*stride + hd
	_, _, _ = k[last-1], v[last-1], acc[hd-1]
	var qf [256]float32
	for j, h := range q16 {
		qf[j] = quant.FP16ToFP32(h)
	}
	M := float32(math.Inf(-1))
	var S float32
	var sc, ms [attnBlock]float32
	for p0 := 0; p0 < span; p0 += attnBlock {
		n := min(attnBlock, span-p0)
		scoresF16AVX2(&qf[0], &k[p0*stride], 2*stride, n, hd, scale, &sc[0])
		for i, s := range sc[:n] {
			m := M
			if s > M {
				m = s
			}
			ms[i], sc[i] = M-m, s-m
			M = m
		}
		n8 := (n + 7) &^ 7
		expfAVX2(&ms[0], n8)
		expfAVX2(&sc[0], n8)
		for i := range n {
			S = S*ms[i] + sc[i]
		}
		d := 0
		for ; d+64 <= hd; d += 64 {
			accum64F16AVX2(&acc[d], &v[p0*stride+d], 2*stride, n, &ms[0], &sc[0])
		}
		if d < hd {
			accumF16AVX2(&acc[d], &v[p0*stride+d], 2*stride, n, &ms[0], &sc[0])
		}
	}
	return S
}

// attnBlock is how many positions attendF16 scores at a time.
const attnBlock = 128
