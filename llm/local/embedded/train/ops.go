package train

import (
	"math"
	"runtime"
	"sync"

	"github.com/plait-ai/plait/llm/local/quant"
)

// parallel runs fn over [0,n) split into contiguous chunks, one per
// worker. Each index is handled by exactly one call, so results that each
// index writes alone are deterministic.
func parallel(threads, n int, fn func(lo, hi int)) {
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	if threads > n {
		threads = n
	}
	if threads <= 1 {
		if n > 0 {
			fn(0, n)
		}
		return
	}
	var wg sync.WaitGroup
	chunk := (n + threads - 1) / threads
	for lo := 0; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(lo, hi)
		}()
	}
	wg.Wait()
}

// dot and axpy use the runtime's AVX2 kernels (package quant) where they
// pay, and plain Go on short vectors.
func dot(a, b []float32) float32 {
	if len(a) >= 16 {
		return quant.DotF32(a, b[:len(a)])
	}
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// axpy: y += a*x.
func axpy(y []float32, a float32, x []float32) {
	if len(y) >= 16 {
		quant.Axpy(a, x[:len(y)], y)
		return
	}
	x = x[:len(y)]
	i := 0
	for ; i+4 <= len(y); i += 4 {
		y[i] += a * x[i]
		y[i+1] += a * x[i+1]
		y[i+2] += a * x[i+2]
		y[i+3] += a * x[i+3]
	}
	for ; i < len(y); i++ {
		y[i] += a * x[i]
	}
}

// matmulAdd adds Σ_i x[n,i]·w[o,i] to y[n,o] for n rows; w is out×in, row
// major (a GGUF matrix whose rows have length in). Given a zero y it is the
// product; given the residual, the residual connection.
func matmulAdd(threads int, y, x, w []float32, n, in, out int) {
	wt := make([]float32, in*out)
	transpose(wt, w, out, in, in)
	gemmPar(threads, n, out, in, x, in, wt, out, y, out)
}

// matmulBack accumulates the gradients of y = x·wᵀ (matmulAdd): dx += dy·w
// (when dx is not nil) and dw += dyᵀ·x.
func matmulBack(threads int, dx, dw, dy, x, w []float32, n, in, out int) {
	if dx != nil {
		gemmPar(threads, n, in, out, dy, out, w, in, dx, in)
	}
	gemmParOp(threads, true, out, in, n, dy, out, x, in, dw, in)
}

// rmsNorm sets y = x/rms(x)·w row by row and stores 1/rms per row in inv.
func rmsNorm(y, inv, x, w []float32, n, d int, eps float32) {
	for r := range n {
		xr, yr := x[r*d:(r+1)*d], y[r*d:(r+1)*d]
		var ss float64
		for _, v := range xr {
			ss += float64(v * v)
		}
		s := float32(1 / math.Sqrt(ss/float64(d)+float64(eps)))
		inv[r] = s
		for i, v := range xr {
			yr[i] = v * s * w[i]
		}
	}
}

// rmsNormBack accumulates dx and dw for y = rmsNorm(x, w), dx by rows and
// dw by columns over threads goroutines (each sum in row order).
func rmsNormBack(threads int, dx, dw, dy, x, w, inv []float32, n, d int) {
	parallel(threads, n, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			xr, dyr, dxr := x[r*d:(r+1)*d], dy[r*d:(r+1)*d], dx[r*d:(r+1)*d]
			s := inv[r]
			var c float32
			for i := range xr {
				c += dyr[i] * w[i] * xr[i]
			}
			k := c * s * s * s / float32(d)
			for i := range xr {
				dxr[i] += dyr[i]*w[i]*s - xr[i]*k
			}
		}
	})
	parallel(threads, d, func(lo, hi int) {
		dwc := dw[lo:hi]
		for r := range n {
			s := inv[r]
			xr, dyr := x[r*d+lo:r*d+hi], dy[r*d+lo:r*d+hi]
			for i := range dwc {
				dwc[i] += dyr[i] * xr[i] * s
			}
		}
	})
}

// ropeTable holds cos and sin of position p, pair i at [p*half+i].
type ropeTable struct {
	half     int
	cos, sin []float32
}

func newRope(maxPos, headDim int, base float64) *ropeTable {
	half := headDim / 2
	t := &ropeTable{half: half, cos: make([]float32, maxPos*half), sin: make([]float32, maxPos*half)}
	for p := range maxPos {
		for i := range half {
			theta := float64(p) * math.Pow(base, -2*float64(i)/float64(headDim))
			s, c := math.Sincos(theta)
			t.cos[p*half+i], t.sin[p*half+i] = float32(c), float32(s)
		}
	}
	return t
}

// rope rotates the heads of one row (heads×headDim) in place for position
// pos, in the normal (interleaved pairs) layout; inverse undoes it, which
// is also its backward.
func (t *ropeTable) rope(v []float32, heads, pos int, inverse bool) {
	hd := 2 * t.half
	cs, sn := t.cos[pos*t.half:(pos+1)*t.half], t.sin[pos*t.half:(pos+1)*t.half]
	for h := range heads {
		b := v[h*hd : (h+1)*hd]
		for i := range t.half {
			c, s := cs[i], sn[i]
			if inverse {
				s = -s
			}
			x0, x1 := b[2*i], b[2*i+1]
			b[2*i] = x0*c - x1*s
			b[2*i+1] = x0*s + x1*c
		}
	}
}

// swiglu sets h = silu(g)·u.
func swiglu(h, g, u []float32) {
	copy(h, g)
	expAffine(h, -1, 0)
	for i, e := range h {
		h[i] = g[i] * (1 / (1 + e)) * u[i]
	}
}

// swigluBack sets dg and du from dh; dg must not overlap the others.
func swigluBack(dg, du, dh, g, u []float32) {
	copy(dg, g)
	expAffine(dg, -1, 0)
	for i := range dh {
		s := 1 / (1 + dg[i])
		silu := g[i] * s
		du[i] = dh[i] * silu
		dg[i] = dh[i] * u[i] * s * (1 + g[i]*(1-s))
	}
}

// attnBlock is the number of query rows whose scores are computed
// together: the causal mask wastes at most this many columns per row.
const attnBlock = 32

// attention computes causal multi-head attention for one sequence of t
// rows. q is t×(heads·hd), k and v t×(kvHeads·hd), out t×(heads·hd); p
// receives the attention probabilities, heads×t×t: row i holds those of
// keys j ≤ i, zeros up to the end of its block of attnBlock rows, and
// whatever p held beyond (attentionBack reads no further). tmp has room
// for attentionTmp(t, hd) floats (nil allocates).
func attention(out, p, q, k, v, tmp []float32, t, heads, kvHeads, hd int) {
	qd, kd := heads*hd, kvHeads*hd
	group := heads / kvHeads
	scale := float32(1 / math.Sqrt(float64(hd)))
	if len(tmp) < attentionTmp(t, hd) {
		tmp = make([]float32, attentionTmp(t, hd))
	}
	kt := tmp[:hd*t]               // this KV head's keys, transposed: hd×t
	sb := tmp[hd*t:][:attnBlock*t] // one block's scores, kept in cache
	for h := range heads {
		kh := h / group
		if h%group == 0 {
			transpose(kt, k[kh*hd:], t, hd, kd)
		}
		ph := p[h*t*t : (h+1)*t*t]
		for i0 := 0; i0 < t; i0 += attnBlock {
			i1 := min(i0+attnBlock, t)
			rows := i1 - i0
			// Scores of rows [i0,i1) against keys [0,i1), then their
			// probabilities, zero past the diagonal.
			blk := sb[:rows*i1]
			clear(blk)
			gemm(rows, i1, hd, q[i0*qd+h*hd:], qd, kt, t, blk, i1)
			for i := i0; i < i1; i++ {
				sr := blk[(i-i0)*i1 : (i-i0+1)*i1]
				softmaxRow(sr[:i+1], scale)
				clear(sr[i+1:])
				copy(ph[i*t:i*t+i1], sr)
			}
			o := out[i0*qd+h*hd:]
			for r := range rows {
				clear(o[r*qd : r*qd+hd])
			}
			gemm(rows, hd, i1, blk, i1, v[kh*hd:], kd, o, qd)
		}
	}
}

// attentionTmp is the scratch attention and attentionBack need for a
// sequence of t rows and heads of size hd.
func attentionTmp(t, hd int) int { return max(t, attnBlock)*t + hd*t }

// softmaxRow sets s to softmax(s·scale), scale > 0.
func softmaxRow(s []float32, scale float32) {
	// max(s·scale) = max(s)·scale: rounding is monotonic.
	mx := maxF32(s) * scale
	expAffine(s, scale, mx)
	scaleF32(s, 1/sumF32(s))
}

// attentionBack accumulates dq, dk, dv from dout. tmp has room for
// attentionTmp(t, hd) floats (nil allocates).
func attentionBack(dq, dk, dv, dout, p, q, k, v, tmp []float32, t, heads, kvHeads, hd int) {
	qd, kd := heads*hd, kvHeads*hd
	group := heads / kvHeads
	scale := float32(1 / math.Sqrt(float64(hd)))
	if len(tmp) < attentionTmp(t, hd) {
		tmp = make([]float32, attentionTmp(t, hd))
	}
	ds := tmp[:t*t]        // dP, then dS, row i over keys j ≤ i
	vt := tmp[t*t:][:hd*t] // this KV head's values, transposed
	for h := range heads {
		kh := h / group
		if h%group == 0 {
			transpose(vt, v[kh*hd:], t, hd, kd)
		}
		ph := p[h*t*t : (h+1)*t*t]
		clear(ds)
		for i0 := 0; i0 < t; i0 += attnBlock {
			i1 := min(i0+attnBlock, t)
			// dP = dO·Vᵀ for rows [i0,i1), keys [0,i1).
			gemm(i1-i0, i1, hd, dout[i0*qd+h*hd:], qd, vt, t, ds[i0*t:], t)
			for i := i0; i < i1; i++ {
				pr, dr := ph[i*t:i*t+i+1], ds[i*t:i*t+i1]
				softmaxGrad(dr[:i+1], pr, dot(dr[:i+1], pr), scale)
				clear(dr[i+1:])
			}
			// dQ += dS·K over keys [0,i1).
			gemm(i1-i0, hd, i1, ds[i0*t:], t, k[kh*hd:], kd, dq[i0*qd+h*hd:], qd)
		}
		// dV += Pᵀ·dO and dK += dSᵀ·Q, by blocks of keys [j0,j1): only
		// the queries i ≥ j0 see them.
		for j0 := 0; j0 < t; j0 += attnBlock {
			j1 := min(j0+attnBlock, t)
			gemmT(j1-j0, hd, t-j0, ph[j0*t+j0:], t, dout[j0*qd+h*hd:], qd, dv[j0*kd+kh*hd:], kd)
			gemmT(j1-j0, hd, t-j0, ds[j0*t+j0:], t, q[j0*qd+h*hd:], qd, dk[j0*kd+kh*hd:], kd)
		}
	}
}

// crossEntropy returns the summed loss of the rows whose target is not
// negative, and writes into logits the gradient of that sum scaled by
// scale (softmax − onehot). Rows without a target get a zero gradient.
func crossEntropy(threads int, logits []float32, targets []int32, vocab int, scale float32, losses []float64) float64 {
	n := len(targets)
	parallel(threads, n, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			row := logits[r*vocab : (r+1)*vocab]
			tg := targets[r]
			if tg < 0 {
				clear(row)
				losses[r] = 0
				continue
			}
			mx := maxF32(row)
			expAffine(row, 1, mx)
			var sum float64
			for _, e := range row {
				sum += float64(e)
			}
			losses[r] = -math.Log(float64(row[tg]) / sum)
			scaleF32(row, float32(1/sum)*scale)
			row[tg] -= scale
		}
	})
	var total float64
	for r := range n {
		total += losses[r]
	}
	return total
}

// expf is e^x in float32 (Cephes' expf: Cody–Waite reduction by ln 2 and
// a degree-6 polynomial, within a few ulps), falling back to math.Exp
// outside [-87, 88] and for NaN. Every operation is rounded to float32
// on its own, as expAffine8 does eight at a time.
func expf(x float32) float32 {
	if !(x <= 88 && x >= -87) {
		return float32(math.Exp(float64(x)))
	}
	z := float32(math.Floor(float64(float32(x*1.44269504088896341) + 0.5)))
	r := x - float32(z*0.693359375)
	r -= float32(z * -2.12194440e-4)
	p := float32(1.9875691500e-4)
	p = float32(p*r) + 1.3981999507e-3
	p = float32(p*r) + 8.3334519073e-3
	p = float32(p*r) + 4.1665795894e-2
	p = float32(p*r) + 1.6666665459e-1
	p = float32(p*r) + 5.0000001201e-1
	y := float32(float32(p*float32(r*r))+r) + 1
	return y * math.Float32frombits(uint32(int32(z)+127)<<23)
}

// expAffine sets s[i] = expf(s[i]*a - shift), eight at a time where it
// can.
func expAffine(s []float32, a, shift float32) {
	i := 0
	if useAVX512 {
		n16 := len(s) &^ 15
		for i < n16 {
			i += expAffine16(&s[i], n16-i, a, shift)
			if i < n16 {
				// A group with an argument out of range.
				for j := i; j < i+16; j++ {
					s[j] = expf(float32(s[j]*a) - shift)
				}
				i += 16
			}
		}
	}
	if useAsm {
		n8 := len(s) &^ 7
		for i < n8 {
			i += expAffine8(&s[i], n8-i, a, shift)
			if i < n8 {
				// A group with an argument out of range.
				for j := i; j < i+8; j++ {
					s[j] = expf(float32(s[j]*a) - shift)
				}
				i += 8
			}
		}
	}
	for ; i < len(s); i++ {
		s[i] = expf(float32(s[i]*a) - shift)
	}
}
