package train

import (
	"math"
	"math/rand/v2"
	"testing"
)

func randSlice(r *rand.Rand, n int, scale float64) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64() * scale)
	}
	return s
}

// checkGrad compares analytic gradients with central differences of a
// scalar function f of the inputs (evaluated in float64).
func checkGrad(t *testing.T, name string, inputs [][]float32, grads [][]float32, f func() float64) {
	t.Helper()
	const h = 1e-2
	for k, in := range inputs {
		for i := range in {
			old := in[i]
			in[i] = old + h
			fp := f()
			in[i] = old - h
			fm := f()
			in[i] = old
			num := (fp - fm) / (2 * h)
			got := float64(grads[k][i])
			if math.Abs(num-got) > 2e-3+2e-2*math.Max(math.Abs(num), math.Abs(got)) {
				t.Fatalf("%s: input %d[%d]: analytic %.6g, numeric %.6g", name, k, i, got, num)
			}
		}
	}
}

// weighted returns Σ y·w, the scalar the op checks differentiate.
func weighted(y, w []float32) float64 {
	var s float64
	for i := range y {
		s += float64(y[i]) * float64(w[i])
	}
	return s
}

func TestGradMatmul(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const n, in, out = 3, 5, 4
	x, w, gy := randSlice(r, n*in, 1), randSlice(r, out*in, 1), randSlice(r, n*out, 1)
	y := make([]float32, n*out)
	dx, dw := make([]float32, n*in), make([]float32, out*in)
	matmulBack(2, dx, dw, gy, x, w, n, in, out)
	checkGrad(t, "matmul", [][]float32{x, w}, [][]float32{dx, dw}, func() float64 {
		clear(y)
		matmulAdd(2, y, x, w, n, in, out)
		return weighted(y, gy)
	})
}

func TestGradRMSNorm(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	const n, d = 3, 6
	x, w, gy := randSlice(r, n*d, 1), randSlice(r, d, 1), randSlice(r, n*d, 1)
	y, inv := make([]float32, n*d), make([]float32, n)
	rmsNorm(y, inv, x, w, n, d, 1e-5)
	dx, dw := make([]float32, n*d), make([]float32, d)
	rmsNormBack(2, dx, dw, gy, x, w, inv, n, d)
	checkGrad(t, "rmsnorm", [][]float32{x, w}, [][]float32{dx, dw}, func() float64 {
		rmsNorm(y, inv, x, w, n, d, 1e-5)
		return weighted(y, gy)
	})
}

func TestGradRoPE(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const heads, hd, pos = 2, 8, 5
	rt := newRope(16, hd, 10000)
	x, gy := randSlice(r, heads*hd, 1), randSlice(r, heads*hd, 1)
	dx := append([]float32(nil), gy...)
	rt.rope(dx, heads, pos, true)
	y := make([]float32, len(x))
	checkGrad(t, "rope", [][]float32{x}, [][]float32{dx}, func() float64 {
		copy(y, x)
		rt.rope(y, heads, pos, false)
		return weighted(y, gy)
	})
}

func TestGradSwiGLU(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	const n = 10
	g, u, gy := randSlice(r, n, 2), randSlice(r, n, 1), randSlice(r, n, 1)
	dg, du, h := make([]float32, n), make([]float32, n), make([]float32, n)
	swigluBack(dg, du, gy, g, u)
	checkGrad(t, "swiglu", [][]float32{g, u}, [][]float32{dg, du}, func() float64 {
		swiglu(h, g, u)
		return weighted(h, gy)
	})
}

func TestGradAttention(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	const tl, heads, kvh, hd = 5, 4, 2, 4
	q, k, v := randSlice(r, tl*heads*hd, 1), randSlice(r, tl*kvh*hd, 1), randSlice(r, tl*kvh*hd, 1)
	gy := randSlice(r, tl*heads*hd, 1)
	out, p := make([]float32, tl*heads*hd), make([]float32, heads*tl*tl)
	attention(out, p, q, k, v, nil, tl, heads, kvh, hd)
	dq, dk, dv := make([]float32, len(q)), make([]float32, len(k)), make([]float32, len(v))
	attentionBack(dq, dk, dv, gy, p, q, k, v, nil, tl, heads, kvh, hd)
	checkGrad(t, "attention", [][]float32{q, k, v}, [][]float32{dq, dk, dv}, func() float64 {
		attention(out, p, q, k, v, nil, tl, heads, kvh, hd)
		return weighted(out, gy)
	})
}

func TestGradCrossEntropy(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	const n, vocab = 4, 7
	logits := randSlice(r, n*vocab, 1)
	targets := []int32{3, -1, 0, 6}
	g := append([]float32(nil), logits...)
	losses := make([]float64, n)
	crossEntropy(1, g, targets, vocab, 1, losses)
	tmp := make([]float32, len(logits))
	checkGrad(t, "cross-entropy", [][]float32{logits}, [][]float32{g}, func() float64 {
		copy(tmp, logits)
		return crossEntropy(1, tmp, targets, vocab, 1, losses)
	})
}

// TestGradModel checks the whole model's gradient, every parameter, on a
// tiny configuration with two sequences of different lengths.
func TestGradModel(t *testing.T) {
	c := Config{Vocab: 11, Dim: 8, Layers: 2, Heads: 2, KVHeads: 1, FFN: 12, MaxSeq: 8, Steps: 1, BatchTokens: 8, LR: 1, Threads: 2}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	p, g := newParams(&c), newParams(&c)
	initParams(p, &c, 1)
	// Larger weights than the initialization, so every path matters.
	r := rand.New(rand.NewPCG(1, 1))
	for i, x := range p.flat() {
		p.flat()[i] = x*10 + float32(r.NormFloat64()*0.05)
	}
	rt := newRope(c.MaxSeq, c.HeadDim(), c.Base)
	var scr scratch // reused across the calls, as by a Trainer
	b := &Batch{
		Tokens:  [][]int32{{1, 4, 2, 7, 3}, {5, 9, 10}},
		Targets: [][]int32{{4, 2, -1, 3, 8}, {9, 10, 0}},
	}
	lossAndGrad(&c, p, g, rt, b, &scr)
	// Float32 central differences are noisy at single entries, so each
	// tensor is compared as a whole: ‖analytic − numeric‖ / ‖analytic +
	// numeric‖ must be small (a wrong term gives errors of order one).
	for k, tn := range p.tensors() {
		var diff, sum float64
		for i := range tn.data {
			old := tn.data[i]
			const h = 1e-3
			tn.data[i] = old + h
			fp, _ := lossAndGrad(&c, p, nil, rt, b, &scr)
			tn.data[i] = old - h
			fm, _ := lossAndGrad(&c, p, nil, rt, b, &scr)
			tn.data[i] = old
			num := (fp - fm) / (2 * h)
			got := float64(g.tensors()[k].data[i])
			diff += (num - got) * (num - got)
			sum += (num + got) * (num + got)
		}
		if rel := math.Sqrt(diff / sum); rel > 5e-3 || sum == 0 {
			t.Errorf("%s: relative gradient error %.2g", tn.name, rel)
		}
	}
}
