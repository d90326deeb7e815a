package train

import "fmt"

// Blocking of gemm: kc rows of B (and columns of A) by nc columns of B are
// reused from cache across all the row blocks of A.
const (
	gemmKC = 256
	gemmNC = 512
)

// gemm adds A·B to C, where A is m×k, B k×n and C m×n, all row major with
// the given leading dimensions (in elements). It runs on the calling
// goroutine.
func gemm(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	gemmOp(false, m, n, k, a, lda, b, ldb, c, ldc)
}

// gemmT adds Aᵀ·B to C, where A is k×m (row major, leading dimension
// lda), B k×n and C m×n.
func gemmT(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	gemmOp(true, m, n, k, a, lda, b, ldb, c, ldc)
}

// gemmOp is gemm, or gemmT when transA is set.
func gemmOp(transA bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if m <= 0 || n <= 0 || k <= 0 {
		return
	}
	alen := (m-1)*lda + k
	if transA {
		alen = (k-1)*lda + m
	}
	if len(a) < alen || len(b) < (k-1)*ldb+n || len(c) < (m-1)*ldc+n {
		panic(fmt.Sprintf("train: gemm %d×%d×%d: operands too short (%d, %d, %d)", m, n, k, len(a), len(b), len(c)))
	}
	// aAt is the offset of A's element (row i, inner index p).
	aAt := func(i, p int) int { return i*lda + p }
	k32, k24, k16w := gemm8x32, gemm8x24, gemm8x16
	k16, k8, kgo := gemm4x16, gemm4x8, gemmGo
	if transA {
		aAt = func(i, p int) int { return p*lda + i }
		k32, k24, k16w = gemm8x32T, gemm8x24T, gemm8x16T
		k16, k8, kgo = gemm4x16T, gemm4x8T, gemmGoT
	}
	asm, wide := useAsm, useAsm && useAVX512
	m4, m8 := m&^3, 0
	if wide {
		m8 = m &^ 7
	}
	for p0 := 0; p0 < k; p0 += gemmKC {
		kk := min(gemmKC, k-p0)
		for j0 := 0; j0 < n; j0 += gemmNC {
			j1 := j0 + min(gemmNC, n-j0)
			// rows4 does four rows from column j to j1.
			rows4 := func(i, j int) {
				if asm {
					ai := &a[aAt(i, p0)]
					for ; j+16 <= j1; j += 16 {
						k16(kk, ai, lda, &b[p0*ldb+j], ldb, &c[i*ldc+j], ldc)
					}
					if j+8 <= j1 {
						k8(kk, ai, lda, &b[p0*ldb+j], ldb, &c[i*ldc+j], ldc)
						j += 8
					}
				}
				if j < j1 {
					kgo(4, j1-j, kk, a[aAt(i, p0):], lda, b[p0*ldb+j:], ldb, c[i*ldc+j:], ldc)
				}
			}
			for i := 0; i < m8; i += 8 {
				ai := &a[aAt(i, p0)]
				j := j0
				for ; j+32 <= j1; j += 32 {
					k32(kk, ai, lda, &b[p0*ldb+j], ldb, &c[i*ldc+j], ldc)
				}
				if j+24 <= j1 {
					k24(kk, ai, lda, &b[p0*ldb+j], ldb, &c[i*ldc+j], ldc)
					j += 24
				} else if j+16 <= j1 {
					k16w(kk, ai, lda, &b[p0*ldb+j], ldb, &c[i*ldc+j], ldc)
					j += 16
				}
				if j < j1 {
					rows4(i, j)
					rows4(i+4, j)
				}
			}
			for i := m8; i < m4; i += 4 {
				rows4(i, j0)
			}
			if m4 < m {
				kgo(m-m4, j1-j0, kk, a[aAt(m4, p0):], lda, b[p0*ldb+j0:], ldb, c[m4*ldc+j0:], ldc)
			}
		}
	}
}

// gemmGoT is gemmGo with A transposed (k×m).
func gemmGoT(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	for i := range m {
		ci := c[i*ldc : i*ldc+n]
		p := 0
		for ; p+4 <= k; p += 4 {
			a0, a1, a2, a3 := a[p*lda+i], a[(p+1)*lda+i], a[(p+2)*lda+i], a[(p+3)*lda+i]
			b0 := b[p*ldb : p*ldb+n]
			b1 := b[(p+1)*ldb : (p+1)*ldb+n]
			b2 := b[(p+2)*ldb : (p+2)*ldb+n]
			b3 := b[(p+3)*ldb : (p+3)*ldb+n]
			for j := range ci {
				ci[j] += a0*b0[j] + a1*b1[j] + a2*b2[j] + a3*b3[j]
			}
		}
		for ; p < k; p++ {
			ap := a[p*lda+i]
			bp := b[p*ldb : p*ldb+n]
			for j := range ci {
				ci[j] += ap * bp[j]
			}
		}
	}
}

// gemmGo is the portable kernel: each row of C gains a[i,p]·B[p,:] for
// every p, four rows of B at a time.
func gemmGo(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	for i := range m {
		ci := c[i*ldc : i*ldc+n]
		ai := a[i*lda : i*lda+k]
		p := 0
		for ; p+4 <= k; p += 4 {
			a0, a1, a2, a3 := ai[p], ai[p+1], ai[p+2], ai[p+3]
			b0 := b[p*ldb : p*ldb+n]
			b1 := b[(p+1)*ldb : (p+1)*ldb+n]
			b2 := b[(p+2)*ldb : (p+2)*ldb+n]
			b3 := b[(p+3)*ldb : (p+3)*ldb+n]
			for j := range ci {
				ci[j] += a0*b0[j] + a1*b1[j] + a2*b2[j] + a3*b3[j]
			}
		}
		for ; p < k; p++ {
			ap := ai[p]
			bp := b[p*ldb : p*ldb+n]
			for j := range ci {
				ci[j] += ap * bp[j]
			}
		}
	}
}

// gemmPar is gemm split over threads goroutines, by blocks of rows of C
// when there are enough, else by blocks of columns; each element of C is
// written by one goroutine.
func gemmPar(threads, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	gemmParOp(threads, false, m, n, k, a, lda, b, ldb, c, ldc)
}

// gemmParOp is gemmPar, with A transposed (k×m) when transA is set.
func gemmParOp(threads int, transA bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if m <= 0 || n <= 0 || k <= 0 {
		return
	}
	rowBlocks, colBlocks := (m+3)/4, (n+15)/16
	if rowBlocks >= 4*colBlocks || rowBlocks >= 16 || colBlocks < 2 {
		parallel(threads, rowBlocks, func(lo, hi int) {
			r0, r1 := lo*4, min(hi*4, m)
			if transA {
				gemmOp(true, r1-r0, n, k, a[r0:], lda, b, ldb, c[r0*ldc:], ldc)
			} else {
				gemmOp(false, r1-r0, n, k, a[r0*lda:], lda, b, ldb, c[r0*ldc:], ldc)
			}
		})
		return
	}
	parallel(threads, colBlocks, func(lo, hi int) {
		c0, c1 := lo*16, min(hi*16, n)
		gemmOp(transA, m, c1-c0, k, a, lda, b[c0:], ldb, c[c0:], ldc)
	})
}

// transpose sets dst (cols×rows, leading dimension rows) to the transpose
// of src (rows×cols, leading dimension lds).
func transpose(dst, src []float32, rows, cols, lds int) {
	const blk = 32
	for r0 := 0; r0 < rows; r0 += blk {
		r1 := min(r0+blk, rows)
		for c0 := 0; c0 < cols; c0 += blk {
			c1 := min(c0+blk, cols)
			for r := r0; r < r1; r++ {
				s := src[r*lds+c0 : r*lds+c1]
				for i, v := range s {
					dst[(c0+i)*rows+r] = v
				}
			}
		}
	}
}

// maxF32 is the largest element of a non-empty s.
func maxF32(s []float32) float32 {
	mx := s[0]
	i := 0
	if n16 := len(s) &^ 15; useAsm && n16 > 0 {
		mx = maxF32x16(&s[0], n16)
		i = n16
	}
	for _, x := range s[i:] {
		mx = max(mx, x)
	}
	return mx
}

// sumF32 is the sum of s (in float32, eight lanes at a time where it can).
func sumF32(s []float32) float32 {
	var sum float32
	i := 0
	if n16 := len(s) &^ 15; useAsm && n16 > 0 {
		sum = sumF32x16(&s[0], n16)
		i = n16
	}
	for _, x := range s[i:] {
		sum += x
	}
	return sum
}

// scaleF32 multiplies s by a.
func scaleF32(s []float32, a float32) {
	i := 0
	if n16 := len(s) &^ 15; useAsm && n16 > 0 {
		scaleF32x16(&s[0], n16, a)
		i = n16
	}
	for j := range s[i:] {
		s[i+j] *= a
	}
}

// softmaxGrad sets d[j] = p[j]·(d[j] - c)·scale, the gradient of the
// scaled scores from that of the probabilities p (c = Σ d·p).
func softmaxGrad(d, p []float32, c, scale float32) {
	p = p[:len(d)]
	i := 0
	if n8 := len(d) &^ 7; useAsm && n8 > 0 {
		softmaxGrad8(&d[0], &p[0], n8, c, scale)
		i = n8
	}
	for ; i < len(d); i++ {
		d[i] = p[i] * (d[i] - c) * scale
	}
}
