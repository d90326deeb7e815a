package local

import "golang.org/x/sys/cpu"

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
