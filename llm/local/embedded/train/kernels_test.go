package train

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func TestMatmulMatchesReference(t *testing.T) {
	shapes := []struct{ n, in, out int }{
		{1, 1, 1}, {3, 5, 7}, {4, 16, 16}, {9, 24, 48}, {17, 33, 70}, {64, 96, 256}, {5, 300, 9},
	}
	kernelPaths(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(5, 6))
		for _, s := range shapes {
			x, w := randSlice(r, s.n*s.in, 1), randSlice(r, s.out*s.in, 1)
			dy := randSlice(r, s.n*s.out, 1)
			tol := 1e-5 * math.Sqrt(float64(max(s.in, s.n, s.out)))
			y0 := randSlice(r, s.n*s.out, 1)
			want, got := make([]float32, s.n*s.out), append([]float32(nil), y0...)
			matmulRef(1, want, x, w, s.n, s.in, s.out)
			for i := range want {
				want[i] += y0[i]
			}
			matmulAdd(2, got, x, w, s.n, s.in, s.out)
			if i, ok := closeTo(got, want, tol); !ok {
				t.Fatalf("matmul %v: y[%d] = %v, want %v", s, i, got[i], want[i])
			}
			dx0, dw0 := randSlice(r, s.n*s.in, 1), randSlice(r, s.out*s.in, 1)
			wdx, wdw := append([]float32(nil), dx0...), append([]float32(nil), dw0...)
			matmulBackRef(1, wdx, wdw, dy, x, w, s.n, s.in, s.out)
			gdx, gdw := append([]float32(nil), dx0...), append([]float32(nil), dw0...)
			matmulBack(2, gdx, gdw, dy, x, w, s.n, s.in, s.out)
			if i, ok := closeTo(gdx, wdx, tol); !ok {
				t.Fatalf("matmulBack %v: dx[%d] = %v, want %v", s, i, gdx[i], wdx[i])
			}
			if i, ok := closeTo(gdw, wdw, tol); !ok {
				t.Fatalf("matmulBack %v: dw[%d] = %v, want %v", s, i, gdw[i], wdw[i])
			}
			// Without dx only dw changes.
			gdw = append(gdw[:0], dw0...)
			matmulBack(1, nil, gdw, dy, x, w, s.n, s.in, s.out)
			if i, ok := closeTo(gdw, wdw, tol); !ok {
				t.Fatalf("matmulBack %v without dx: dw[%d] = %v, want %v", s, i, gdw[i], wdw[i])
			}
		}
	})
}

func TestAttentionMatchesReference(t *testing.T) {
	shapes := []struct{ t, heads, kvHeads, hd int }{
		{1, 1, 1, 2}, {2, 2, 1, 4}, {7, 4, 2, 6}, {33, 4, 2, 24}, {70, 2, 2, 16}, {45, 3, 1, 10},
	}
	kernelPaths(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(7, 8))
		for _, s := range shapes {
			name := fmt.Sprintf("t=%d heads=%d/%d hd=%d", s.t, s.heads, s.kvHeads, s.hd)
			qd, kd := s.heads*s.hd, s.kvHeads*s.hd
			q, k, v := randSlice(r, s.t*qd, 1), randSlice(r, s.t*kd, 1), randSlice(r, s.t*kd, 1)
			dout := randSlice(r, s.t*qd, 1)
			wout, wp := make([]float32, s.t*qd), make([]float32, s.heads*s.t*s.t)
			attentionRef(wout, wp, q, k, v, s.t, s.heads, s.kvHeads, s.hd)
			// Stale scratch and outputs must not leak into the results.
			gout, gp := randSlice(r, s.t*qd, 1), randSlice(r, s.heads*s.t*s.t, 1)
			tmp := randSlice(r, attentionTmp(s.t, s.hd), 1)
			attention(gout, gp, q, k, v, tmp, s.t, s.heads, s.kvHeads, s.hd)
			for h := range s.heads {
				for i := range s.t {
					// Row i up to the end of its block; beyond is unspecified.
					end := min((i/attnBlock+1)*attnBlock, s.t)
					row := (h*s.t + i) * s.t
					if j, ok := closeTo(gp[row:row+end], wp[row:row+end], 1e-5); !ok {
						t.Fatalf("%s: p[%d,%d,%d] = %v, want %v", name, h, i, j, gp[row+j], wp[row+j])
					}
				}
			}
			if i, ok := closeTo(gout, wout, 1e-5*math.Sqrt(float64(s.t))); !ok {
				t.Fatalf("%s: out[%d] = %v, want %v", name, i, gout[i], wout[i])
			}
			dq0, dk0, dv0 := randSlice(r, s.t*qd, 1), randSlice(r, s.t*kd, 1), randSlice(r, s.t*kd, 1)
			wdq, wdk, wdv := append([]float32(nil), dq0...), append([]float32(nil), dk0...), append([]float32(nil), dv0...)
			attentionBackRef(wdq, wdk, wdv, dout, wp, q, k, v, make([]float32, s.t), s.t, s.heads, s.kvHeads, s.hd)
			gdq, gdk, gdv := append([]float32(nil), dq0...), append([]float32(nil), dk0...), append([]float32(nil), dv0...)
			tmp = randSlice(r, attentionTmp(s.t, s.hd), 1)
			// From attention's own p, stale beyond each row's block.
			attentionBack(gdq, gdk, gdv, dout, gp, q, k, v, tmp, s.t, s.heads, s.kvHeads, s.hd)
			tol := 1e-5 * math.Sqrt(float64(s.t))
			for _, c := range []struct {
				n         string
				got, want []float32
			}{{"dq", gdq, wdq}, {"dk", gdk, wdk}, {"dv", gdv, wdv}} {
				if i, ok := closeTo(c.got, c.want, tol); !ok {
					t.Fatalf("%s: %s[%d] = %v, want %v", name, c.n, i, c.got[i], c.want[i])
				}
			}
		}
	})
}

func TestExpf(t *testing.T) {
	var worst float64
	for x := -90.0; x <= 90; x += 0.001 {
		got := float64(expf(float32(x)))
		want := math.Exp(float64(float32(x)))
		if want > math.MaxFloat32 {
			if !math.IsInf(got, 1) {
				t.Fatalf("expf(%v) = %v, want +Inf", x, got)
			}
			continue
		}
		if want < 1e-37 {
			continue // subnormal results: absolute error only
		}
		worst = max(worst, math.Abs(got-want)/want)
	}
	if worst > 5e-7 {
		t.Fatalf("expf: worst relative error %g, want ≤ 5e-7", worst)
	}
	for _, c := range []struct{ x, want float32 }{{0, 1}, {float32(math.Inf(-1)), 0}, {float32(math.Inf(1)), float32(math.Inf(1))}} {
		if got := expf(c.x); got != c.want {
			t.Errorf("expf(%v) = %v, want %v", c.x, got, c.want)
		}
	}
	if got := expf(float32(math.NaN())); !math.IsNaN(float64(got)) {
		t.Errorf("expf(NaN) = %v, want NaN", got)
	}
}

func TestExpAffine(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	in := randSlice(r, 1003, 40)
	// Out-of-range and special arguments in some groups of eight.
	in[5], in[17], in[40], in[41] = 200, -300, float32(math.NaN()), float32(math.Inf(-1))
	in[1000] = float32(math.Inf(1))
	for _, c := range []struct{ a, shift float32 }{{1, 0}, {-1, 0}, {1, 3.5}, {0.5, -2}} {
		want := make([]float32, len(in))
		for i, x := range in {
			want[i] = expf(float32(x*c.a) - c.shift)
		}
		kernelPaths(t, func(t *testing.T) {
			for _, n := range []int{0, 1, 7, 8, 9, 64, len(in)} {
				got := append([]float32(nil), in[:n]...)
				expAffine(got, c.a, c.shift)
				for i := range got {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("a=%v shift=%v n=%d: exp(%v) = %v, want %v", c.a, c.shift, n, in[i], got[i], want[i])
					}
				}
			}
		})
	}
}

func TestVectorHelpers(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	kernelPaths(t, func(t *testing.T) {
		for _, n := range []int{1, 5, 15, 16, 17, 32, 100, 513} {
			s := randSlice(r, n, 3)
			wantMax, wantSum := s[0], 0.0
			for _, x := range s {
				wantMax = max(wantMax, x)
				wantSum += float64(x)
			}
			if got := maxF32(s); got != wantMax {
				t.Errorf("n=%d: maxF32 = %v, want %v", n, got, wantMax)
			}
			if got := sumF32(s); math.Abs(float64(got)-wantSum) > 1e-5*float64(n) {
				t.Errorf("n=%d: sumF32 = %v, want %v", n, got, wantSum)
			}
			scaled := append([]float32(nil), s...)
			scaleF32(scaled, 0.25)
			for i := range s {
				if scaled[i] != s[i]*0.25 {
					t.Fatalf("n=%d: scaleF32[%d] = %v, want %v", n, i, scaled[i], s[i]*0.25)
				}
			}
		}
	})
}

func TestSoftmaxGrad(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	kernelPaths(t, func(t *testing.T) {
		for _, n := range []int{1, 7, 8, 9, 33} {
			d, p := randSlice(r, n, 1), randSlice(r, n, 1)
			got := append([]float32(nil), d...)
			softmaxGrad(got, p, 0.3, 0.2)
			for i := range d {
				want := p[i] * (d[i] - 0.3) * 0.2
				if math.Abs(float64(got[i]-want)) > 1e-6*(1+math.Abs(float64(want))) {
					t.Fatalf("n=%d: d[%d] = %v, want %v", n, i, got[i], want)
				}
			}
		}
	})
}
