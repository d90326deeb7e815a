package local

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/plait-ai/plait/llm/local/quant"
)

// The F16 helpers' SIMD and portable paths agree: conversions and fused
// multiply-adds bit for bit, dot products to float rounding.
func TestF16PathsAgree(t *testing.T) {
	if !useF16SIMD {
		t.Skip("no F16C/AVX2/FMA on this machine: only the portable path runs")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{1, 7, 8, 15, 16, 33, 64, 128, 200} {
		src := make([]float32, n)
		for i := range src {
			src[i] = float32(rng.NormFloat64() * math.Pow(10, float64(rng.IntN(7)-3)))
		}
		convert := func(simd bool) []uint16 {
			old := useF16SIMD
			defer func() { useF16SIMD = old }()
			useF16SIMD = simd
			out := make([]uint16, n)
			toF16(out, src)
			return out
		}
		a := convert(true)
		if !slices.Equal(a, convert(false)) {
			t.Fatalf("n=%d: toF16 differs", n)
		}
		b := make([]uint16, n)
		for i := range b {
			b[i] = quant.FP32ToFP16(float32(rng.NormFloat64()))
		}
		y1 := slices.Clone(a)
		y2 := slices.Clone(a)
		useF16SIMD = true
		madF16(y1, b, 0.37)
		scaleF16(y1, 0.9)
		d1 := dotF16(a, b)
		useF16SIMD = false
		madF16(y2, b, 0.37)
		scaleF16(y2, 0.9)
		d2 := dotF16(a, b)
		useF16SIMD = true
		if !slices.Equal(y1, y2) {
			t.Fatalf("n=%d: madF16/scaleF16 differ", n)
		}
		if math.Abs(float64(d1-d2)) > 1e-4*(1+math.Abs(float64(d2))) {
			t.Fatalf("n=%d: dot %v vs %v", n, d1, d2)
		}
	}
}

func BenchmarkAttentionF16(b *testing.B) {
	const hd, span = 64, 512
	q := make([]uint16, hd)
	kv := make([]uint16, hd*span)
	for i := range kv {
		kv[i] = quant.FP32ToFP16(float32(i%13) * 0.01)
	}
	acc := make([]uint16, hd)
	for b.Loop() {
		for p := range span {
			s := dotF16(q, kv[p*hd:(p+1)*hd])
			madF16(acc, kv[p*hd:(p+1)*hd], s)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*span), "ns/position")
}

// The AVX2 SwiGLU matches the portable one to within 2 ulp, NaN included.
func TestSwigluSIMD(t *testing.T) {
	if !useF16SIMD {
		t.Skip("no AVX2/FMA/F16C")
	}
	const n = 1003
	g, u := make([]float32, n), make([]float32, n)
	for i := range g {
		g[i] = float32(i-n/2) * 0.0371
		u[i] = float32(i%13) - 6.5
	}
	g[5] = float32(math.NaN())
	g[6], g[7] = 200, -200
	want := append([]float32(nil), g...)
	swigluGo(want, u)
	got := append([]float32(nil), g...)
	swiglu(got, u)
	for i := range got {
		w, v := float64(want[i]), float64(got[i])
		if math.IsNaN(w) != math.IsNaN(v) || math.Abs(v-w) > 2*0x1p-23*math.Abs(w)+1e-37 {
			t.Fatalf("element %d (x=%v): SIMD %v, Go %v", i, g[i], v, w)
		}
	}
}
