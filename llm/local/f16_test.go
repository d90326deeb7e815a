package local

import (
	"github.com/plait-ai/plait/internal/testenv"
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

// The fused attention kernel gives the same bits as the loop over the F16
// helpers it replaces, and agrees with the portable loop to float rounding.
func TestAttendF16Fused(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, tc := range []struct{ hd, span, stride int }{
		{8, 1, 8}, {16, 3, 32}, {32, 17, 48}, {64, 1, 128}, {64, 200, 128}, {64, 128, 64}, {128, 300, 256}, {256, 9, 256}, {96, 20, 96}, {40, 50, 40}, {6, 9, 12},
	} {
		for trial := range 3 {
			q := make([]uint16, tc.hd)
			k := make([]uint16, tc.span*tc.stride)
			v := make([]uint16, tc.span*tc.stride)
			spread := []float64{0.1, 1, 4}[trial]
			for i := range q {
				q[i] = quant.FP32ToFP16(float32(rng.NormFloat64() * spread))
			}
			for i := range k {
				// Keys drift upward so that the running maximum moves often.
				k[i] = quant.FP32ToFP16(float32(rng.NormFloat64()*spread + float64(i/tc.stride)*0.01*spread))
				v[i] = quant.FP32ToFP16(float32(rng.NormFloat64()))
			}
			scale := float32(1 / math.Sqrt(float64(tc.hd)))
			run := func(fused, simd bool) ([]uint16, float32) {
				old := useF16SIMD
				defer func() { useF16SIMD = old }()
				useF16SIMD = simd && old
				acc := make([]uint16, tc.hd)
				var s float32
				if fused {
					s = attendF16(q, k, v, tc.stride, tc.span, scale, acc)
				} else {
					s = attendF16Go(q, k, v, tc.stride, tc.span, scale, acc)
				}
				return acc, s
			}
			a1, s1 := run(true, true)
			a2, s2 := run(false, true)
			if !slices.Equal(a1, a2) || s1 != s2 {
				t.Fatalf("hd=%d span=%d trial %d: fused kernel differs from the helper loop: S %v vs %v", tc.hd, tc.span, trial, s1, s2)
			}
			a3, s3 := run(false, false)
			if math.Abs(float64(s1-s3)) > 1e-3*math.Abs(float64(s3)) {
				t.Fatalf("hd=%d span=%d: S %v vs portable %v", tc.hd, tc.span, s1, s3)
			}
			for j := range a1 {
				x, y := quant.FP16ToFP32(a1[j])/s1, quant.FP16ToFP32(a3[j])/s3
				if math.Abs(float64(x-y)) > 2e-2*(1+math.Abs(float64(y))) {
					t.Fatalf("hd=%d span=%d: output %d: %v vs portable %v", tc.hd, tc.span, j, x, y)
				}
			}
		}
	}
}

func BenchmarkAttendF16(b *testing.B) {
	const hd, span, stride = 64, 256, 128
	rng := rand.New(rand.NewPCG(7, 8))
	q := make([]uint16, hd)
	k := make([]uint16, span*stride)
	v := make([]uint16, span*stride)
	for i := range q {
		q[i] = quant.FP32ToFP16(float32(rng.NormFloat64()))
	}
	for i := range k {
		k[i] = quant.FP32ToFP16(float32(rng.NormFloat64()))
		v[i] = quant.FP32ToFP16(float32(rng.NormFloat64()))
	}
	acc := make([]uint16, hd)
	for _, fused := range []bool{false, true} {
		name := "loop"
		if fused {
			name = "fused"
		}
		b.Run(name, func(b *testing.B) {
			c0 := testenv.CPUTime()
			defer func() {
				b.ReportMetric(float64((testenv.CPUTime()-c0).Nanoseconds())/float64(b.N*span), "cpu-ns/position")
			}()
			for b.Loop() {
				clear(acc)
				if fused {
					attendF16(q, k, v, stride, span, 0.125, acc)
				} else {
					attendF16Go(q, k, v, stride, span, 0.125, acc)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*span), "ns/position")
		})
	}
}
