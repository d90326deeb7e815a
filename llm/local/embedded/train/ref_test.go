package train

import "math"

// The straightforward kernels the optimized ones are checked against.

// matmulRef: sets y[n,o] = Σ_i x[n,i]·w[o,i] for n rows; w is out×in, row major
// (a GGUF matrix whose rows have length in).
func matmulRef(threads int, y, x, w []float32, n, in, out int) {
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

// matmulBackRef: accumulates the gradients of y = matmul(x, w): dx += dy·w
// (when dx is not nil) and dw += dyᵀ·x.
func matmulBackRef(threads int, dx, dw, dy, x, w []float32, n, in, out int) {
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

// attentionRef: computes causal multi-head attention for one sequence of t
// rows. q is t×(heads·hd), k and v t×(kvHeads·hd), out t×(heads·hd); p
// receives the attention probabilities, heads×t×t.
func attentionRef(out, p, q, k, v []float32, t, heads, kvHeads, hd int) {
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

// attentionBackRef: accumulates dq, dk, dv from dout. tmp has room for t
// floats.
func attentionBackRef(dq, dk, dv, dout, p, q, k, v, tmp []float32, t, heads, kvHeads, hd int) {
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
