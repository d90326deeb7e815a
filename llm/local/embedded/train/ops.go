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

// matmul sets y[n,o] = Σ_i x[n,i]·w[o,i] for n rows; w is out×in, row major
// (a GGUF matrix whose rows have length in).
func matmul(threads int, y, x, w []float32, n, in, out int) {
	parallel(threads, n, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			xr := x[r*in : (r+1)*in]
			yr := y[r*out : (r+1)*out]
			for o := range out {
				yr[o] = dot(xr, w[o*in:(o+1)*in])
			}
		}
	})
}

// matmulBack accumulates the gradients of y = matmul(x, w): dx += dy·w
// (when dx is not nil) and dw += dyᵀ·x.
func matmulBack(threads int, dx, dw, dy, x, w []float32, n, in, out int) {
	if dx != nil {
		parallel(threads, n, func(lo, hi int) {
			for r := lo; r < hi; r++ {
				dxr := dx[r*in : (r+1)*in]
				dyr := dy[r*out : (r+1)*out]
				for o, g := range dyr {
					if g != 0 {
						axpy(dxr, g, w[o*in:(o+1)*in])
					}
				}
			}
		})
	}
	parallel(threads, out, func(lo, hi int) {
		for o := lo; o < hi; o++ {
			dwo := dw[o*in : (o+1)*in]
			for r := range n {
				if g := dy[r*out+o]; g != 0 {
					axpy(dwo, g, x[r*in:(r+1)*in])
				}
			}
		}
	})
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

// rmsNormBack accumulates dx and dw for y = rmsNorm(x, w).
func rmsNormBack(dx, dw, dy, x, w, inv []float32, n, d int) {
	for r := range n {
		xr, dyr, dxr := x[r*d:(r+1)*d], dy[r*d:(r+1)*d], dx[r*d:(r+1)*d]
		s := inv[r]
		var c float32
		for i := range xr {
			c += dyr[i] * w[i] * xr[i]
			dw[i] += dyr[i] * xr[i] * s
		}
		k := c * s * s * s / float32(d)
		for i := range xr {
			dxr[i] += dyr[i]*w[i]*s - xr[i]*k
		}
	}
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

func sigmoid(x float32) float32 { return 1 / (1 + float32(math.Exp(float64(-x)))) }

// swiglu sets h = silu(g)·u.
func swiglu(h, g, u []float32) {
	for i := range h {
		h[i] = g[i] * sigmoid(g[i]) * u[i]
	}
}

// swigluBack sets dg and du from dh.
func swigluBack(dg, du, dh, g, u []float32) {
	for i := range dh {
		s := sigmoid(g[i])
		silu := g[i] * s
		du[i] = dh[i] * silu
		dg[i] = dh[i] * u[i] * s * (1 + g[i]*(1-s))
	}
}

// attention computes causal multi-head attention for one sequence of t
// rows. q is t×(heads·hd), k and v t×(kvHeads·hd), out t×(heads·hd); p
// receives the attention probabilities, heads×t×t.
func attention(out, p, q, k, v []float32, t, heads, kvHeads, hd int) {
	qd, kd := heads*hd, kvHeads*hd
	group := heads / kvHeads
	scale := float32(1 / math.Sqrt(float64(hd)))
	for h := range heads {
		kh := h / group
		for i := range t {
			qi := q[i*qd+h*hd : i*qd+(h+1)*hd]
			pr := p[(h*t+i)*t : (h*t+i+1)*t]
			mx := float32(math.Inf(-1))
			for j := 0; j <= i; j++ {
				s := dot(qi, k[j*kd+kh*hd:j*kd+(kh+1)*hd]) * scale
				pr[j] = s
				mx = max(mx, s)
			}
			var sum float32
			for j := 0; j <= i; j++ {
				e := float32(math.Exp(float64(pr[j] - mx)))
				pr[j] = e
				sum += e
			}
			o := out[i*qd+h*hd : i*qd+(h+1)*hd]
			clear(o)
			for j := 0; j <= i; j++ {
				pr[j] /= sum
				axpy(o, pr[j], v[j*kd+kh*hd:j*kd+(kh+1)*hd])
			}
			clear(pr[i+1:])
		}
	}
}

// attentionBack accumulates dq, dk, dv from dout. tmp has room for t
// floats.
func attentionBack(dq, dk, dv, dout, p, q, k, v, tmp []float32, t, heads, kvHeads, hd int) {
	qd, kd := heads*hd, kvHeads*hd
	group := heads / kvHeads
	scale := float32(1 / math.Sqrt(float64(hd)))
	for h := range heads {
		kh := h / group
		for i := range t {
			do := dout[i*qd+h*hd : i*qd+(h+1)*hd]
			pr := p[(h*t+i)*t : (h*t+i+1)*t]
			dp := tmp[:i+1]
			var c float32
			for j := 0; j <= i; j++ {
				dp[j] = dot(do, v[j*kd+kh*hd:j*kd+(kh+1)*hd])
				c += dp[j] * pr[j]
				axpy(dv[j*kd+kh*hd:j*kd+(kh+1)*hd], pr[j], do)
			}
			qi := q[i*qd+h*hd : i*qd+(h+1)*hd]
			dqi := dq[i*qd+h*hd : i*qd+(h+1)*hd]
			for j := 0; j <= i; j++ {
				ds := pr[j] * (dp[j] - c) * scale
				if ds == 0 {
					continue
				}
				axpy(dqi, ds, k[j*kd+kh*hd:j*kd+(kh+1)*hd])
				axpy(dk[j*kd+kh*hd:j*kd+(kh+1)*hd], ds, qi)
			}
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
			mx := row[0]
			for _, x := range row {
				mx = max(mx, x)
			}
			var sum float64
			for i, x := range row {
				e := math.Exp(float64(x - mx))
				row[i] = float32(e)
				sum += e
			}
			losses[r] = -math.Log(float64(row[tg]) / sum)
			inv := float32(1 / sum)
			for i := range row {
				row[i] *= inv * scale
			}
			row[tg] -= scale
		}
	})
	var total float64
	for r := range n {
		total += losses[r]
	}
	return total
}
