package train

import (
	"math"
	"math/rand/v2"
	"testing"
)

// kernelPaths runs f with the assembly kernels (where the CPU has them)
// and with the portable Go kernels.
func kernelPaths(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	saved, saved512 := useAsm, useAVX512
	defer func() { useAsm, useAVX512 = saved, saved512 }()
	for _, c := range []struct {
		name     string
		asm, avx bool
		have     bool
	}{
		{"go", false, false, true},
		{"avx2", true, false, saved},
		{"avx512", true, true, saved512},
	} {
		if !c.have {
			continue
		}
		useAsm, useAVX512 = c.asm, c.avx
		t.Run(c.name, f)
	}
}

// closeTo reports the first index where got and want differ by more than
// float32 rounding of sums of the given magnitude.
func closeTo(got, want []float32, tol float64) (int, bool) {
	for i := range want {
		d := math.Abs(float64(got[i]) - float64(want[i]))
		if d > tol*(1+math.Abs(float64(want[i]))) || math.IsNaN(float64(got[i])) {
			return i, false
		}
	}
	return -1, true
}

func TestGemm(t *testing.T) {
	shapes := []struct{ m, n, k int }{
		{1, 1, 1}, {4, 16, 1}, {3, 7, 5}, {4, 8, 3}, {5, 17, 9}, {8, 24, 24},
		{13, 40, 33}, {4, 16, 700}, {9, 600, 20}, {2, 1, 300}, {31, 53, 257},
		{8, 32, 1}, {16, 96, 300}, {23, 72, 17}, {40, 1100, 5},
		{8, 24, 3}, {16, 48, 9}, {24, 56, 31}, {8, 16, 2}, {9, 20, 260},
	}
	kernelPaths(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(1, 2))
		for _, s := range shapes {
			// Leading dimensions wider than the operands.
			lda, ldb, ldc := s.k+3, s.n+5, s.n+1
			a := randSlice(r, s.m*lda, 1)
			b := randSlice(r, s.k*ldb, 1)
			c := randSlice(r, s.m*ldc, 1)
			want := append([]float32(nil), c...)
			for i := range s.m {
				for j := range s.n {
					var sum float64
					for p := range s.k {
						sum += float64(a[i*lda+p]) * float64(b[p*ldb+j])
					}
					want[i*ldc+j] += float32(sum)
				}
			}
			// The same A stored transposed: k×m with leading dimension m+2.
			ldt := s.m + 2
			at := make([]float32, s.k*ldt)
			for i := range s.m {
				for p := range s.k {
					at[p*ldt+i] = a[i*lda+p]
				}
			}
			var first []float32
			for _, threads := range []int{1, 2, 3} {
				got := append([]float32(nil), c...)
				gemmPar(threads, s.m, s.n, s.k, a, lda, b, ldb, got, ldc)
				if i, ok := closeTo(got, want, 1e-5*math.Sqrt(float64(s.k))); !ok {
					t.Fatalf("%dx%dx%d threads %d: c[%d] = %v, want %v", s.m, s.n, s.k, threads, i, got[i], want[i])
				}
				// The split over threads does not change any sum's order.
				if first == nil {
					first = got
				} else {
					for i := range got {
						if math.Float32bits(got[i]) != math.Float32bits(first[i]) {
							t.Fatalf("%dx%dx%d threads %d: c[%d] = %v, with one thread %v", s.m, s.n, s.k, threads, i, got[i], first[i])
						}
					}
				}
				got = append(got[:0], c...)
				gemmParOp(threads, true, s.m, s.n, s.k, at, ldt, b, ldb, got, ldc)
				if i, ok := closeTo(got, want, 1e-5*math.Sqrt(float64(s.k))); !ok {
					t.Fatalf("transposed A %dx%dx%d threads %d: c[%d] = %v, want %v", s.m, s.n, s.k, threads, i, got[i], want[i])
				}
			}
		}
	})
}

func TestTranspose(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, s := range [][2]int{{1, 1}, {3, 70}, {65, 33}} {
		rows, cols, lds := s[0], s[1], s[1]+2
		src := randSlice(r, rows*lds, 1)
		dst := make([]float32, rows*cols)
		transpose(dst, src, rows, cols, lds)
		for i := range rows {
			for j := range cols {
				if dst[j*rows+i] != src[i*lds+j] {
					t.Fatalf("%v: dst[%d,%d] = %v, want %v", s, j, i, dst[j*rows+i], src[i*lds+j])
				}
			}
		}
	}
}
