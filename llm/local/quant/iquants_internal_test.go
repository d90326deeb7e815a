package quant

import (
	"math"
	"math/rand/v2"
	"testing"
)

// bestIndexSearch is ggml's best_index_int8 as written: a binary search
// over the levels comparing 2x with the sum of two adjacent levels.
func bestIndexSearch(x float32) uint8 {
	x2 := x + x
	idx := 0
	for step := 8; step > 0; step >>= 1 {
		j := idx + step
		if x2 >= float32(int32(kvaluesIQ4NL[j-1])+int32(kvaluesIQ4NL[j])) {
			idx = j
		}
	}
	return uint8(idx)
}

// The branch-free level search picks ggml's index for every midpoint and
// its neighbouring floats, the levels, the extremes, NaN and random values.
func TestBestIndexIQ4(t *testing.T) {
	xs := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 0, -0.0, math.MaxFloat32, -math.MaxFloat32}
	for j := 0; j < 16; j++ {
		xs = append(xs, float32(kvaluesIQ4NL[j]))
		if j > 0 {
			m := float32(int32(kvaluesIQ4NL[j-1])+int32(kvaluesIQ4NL[j])) / 2
			xs = append(xs, m, math.Nextafter32(m, -200), math.Nextafter32(m, 200))
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 100000 {
		xs = append(xs, float32(r.NormFloat64()*80))
	}
	for _, x := range xs {
		if got, want := bestIndexIQ4(x), bestIndexSearch(x); got != want {
			t.Fatalf("x=%v: index %d, ggml's search %d", x, got, want)
		}
	}
}
