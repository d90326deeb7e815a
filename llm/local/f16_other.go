//go:build !amd64

package local

var useF16SIMD = false

func dotF16(a, b []uint16) float32      { return dotF16Go(a, b) }
func madF16(y, x []uint16, v float32)   { madF16Go(y, x, v) }
func scaleF16(y []uint16, v float32)    { scaleF16Go(y, v) }
func toF16(dst []uint16, src []float32) { toF16Go(dst, src) }
func swiglu(g, u []float32)             { swigluGo(g, u) }

func attendF16(q16, k, v []uint16, stride, span int, scale float32, acc []uint16) float32 {
	return attendF16Go(q16, k, v, stride, span, scale, acc)
}
