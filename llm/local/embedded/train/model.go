package train

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Params are a model's weights, in GGUF's orientation: a matrix is out×in,
// row major. Params is not safe for concurrent modification.
type Params struct {
	Embed   []float32 // vocab×dim, tied with the output
	OutNorm []float32 // dim
	Blocks  []Block

	all []float32 // every parameter, in tensors() order
}

// Block is one transformer block's weights.
type Block struct {
	AttnNorm, FFNNorm []float32 // dim
	Wq                []float32 // heads·hd × dim
	Wk, Wv            []float32 // kvHeads·hd × dim
	Wo                []float32 // dim × heads·hd
	Gate, Up          []float32 // ffn × dim
	Down              []float32 // dim × ffn
}

// tensors lists every parameter slice with its GGUF name, and whether
// weight decay applies to it.
func (p *Params) tensors() []namedTensor {
	out := []namedTensor{{"token_embd.weight", p.Embed, true}, {"output_norm.weight", p.OutNorm, false}}
	for i := range p.Blocks {
		b := &p.Blocks[i]
		pre := fmt.Sprintf("blk.%d.", i)
		out = append(out,
			namedTensor{pre + "attn_norm.weight", b.AttnNorm, false},
			namedTensor{pre + "attn_q.weight", b.Wq, true},
			namedTensor{pre + "attn_k.weight", b.Wk, true},
			namedTensor{pre + "attn_v.weight", b.Wv, true},
			namedTensor{pre + "attn_output.weight", b.Wo, true},
			namedTensor{pre + "ffn_norm.weight", b.FFNNorm, false},
			namedTensor{pre + "ffn_gate.weight", b.Gate, true},
			namedTensor{pre + "ffn_up.weight", b.Up, true},
			namedTensor{pre + "ffn_down.weight", b.Down, true},
		)
	}
	return out
}

type namedTensor struct {
	name  string
	data  []float32
	decay bool
}

// paramCount is the number of parameters of c, or -1 when it overflows.
func paramCount(c *Config) int64 {
	hd := int64(c.HeadDim())
	qd, kd := int64(c.Heads)*hd, int64(c.KVHeads)*hd
	d, f, v, l := int64(c.Dim), int64(c.FFN), int64(c.Vocab), int64(c.Layers)
	if d > 1<<20 || f > 1<<22 || v > 1<<22 || l > 1<<12 || qd > 1<<20 || kd > 1<<20 {
		return -1
	}
	return v*d + d + l*(2*d+qd*d+2*kd*d+d*qd+3*f*d)
}

// newParams allocates zeroed parameters for c backed by one slice.
func newParams(c *Config) *Params {
	hd := c.HeadDim()
	qd, kd := c.Heads*hd, c.KVHeads*hd
	sizes := []int{c.Vocab * c.Dim, c.Dim}
	for range c.Layers {
		sizes = append(sizes, c.Dim, c.Dim, qd*c.Dim, kd*c.Dim, kd*c.Dim, c.Dim*qd, c.FFN*c.Dim, c.FFN*c.Dim, c.Dim*c.FFN)
	}
	total := 0
	for _, s := range sizes {
		total += s
	}
	buf := make([]float32, total)
	all := buf
	take := func(n int) []float32 {
		s := buf[:n:n]
		buf = buf[n:]
		return s
	}
	p := &Params{all: all, Blocks: make([]Block, c.Layers)}
	p.Embed, p.OutNorm = take(c.Vocab*c.Dim), take(c.Dim)
	for i := range p.Blocks {
		b := &p.Blocks[i]
		b.AttnNorm, b.FFNNorm = take(c.Dim), take(c.Dim)
		b.Wq, b.Wk, b.Wv, b.Wo = take(qd*c.Dim), take(kd*c.Dim), take(kd*c.Dim), take(c.Dim*qd)
		b.Gate, b.Up, b.Down = take(c.FFN*c.Dim), take(c.FFN*c.Dim), take(c.Dim*c.FFN)
	}
	return p
}

// flat returns the single slice behind every parameter.
func (p *Params) flat() []float32 { return p.all }

// Count is the number of parameters.
func (p *Params) Count() int { return len(p.flat()) }

// initParams draws the initial weights: N(0, 0.02), output projections
// scaled by 1/√(2·layers), norms at one.
func initParams(p *Params, c *Config, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	fill := func(s []float32, std float64) {
		for i := range s {
			s[i] = float32(r.NormFloat64() * std)
		}
	}
	ones := func(s []float32) {
		for i := range s {
			s[i] = 1
		}
	}
	fill(p.Embed, 0.02)
	ones(p.OutNorm)
	proj := 0.02 / math.Sqrt(2*float64(c.Layers))
	for i := range p.Blocks {
		b := &p.Blocks[i]
		ones(b.AttnNorm)
		ones(b.FFNNorm)
		fill(b.Wq, 0.02)
		fill(b.Wk, 0.02)
		fill(b.Wv, 0.02)
		fill(b.Wo, proj)
		fill(b.Gate, 0.02)
		fill(b.Up, 0.02)
		fill(b.Down, proj)
	}
}

// Batch is whole sequences trained on together. Targets[i][t] is the token
// that should follow Tokens[i][t], or -1 where no loss is taken.
type Batch struct {
	Tokens  [][]int32
	Targets [][]int32
}

// layerActs are the activations of one block that backward needs.
type layerActs struct {
	x, xn1, inv1, q, k, v, att, p, x2, xn2, inv2, g, u, h []float32
}

// workspace holds the activations of one batch.
type workspace struct {
	n      int
	offs   []int // first row of each sequence, and n at the end
	pOffs  []int // offset of each sequence's probabilities in layerActs.p
	layers []layerActs
	xf     []float32 // final hidden state
	xfn    []float32 // after the output norm
	invf   []float32
	logits []float32
	losses []float64
}

// lossAndGrad runs forward and backward over b and returns the mean loss
// over the targets and their count. grads receives the gradient of the mean
// loss (it is overwritten). scr, when not nil, lends the buffers that
// outlive the call.
func lossAndGrad(c *Config, p, grads *Params, rope *ropeTable, b *Batch, scr *scratch) (float64, int) {
	th := c.Threads
	hd := c.HeadDim()
	qd, kd, d, f := c.Heads*hd, c.KVHeads*hd, c.Dim, c.FFN
	ws := &workspace{}
	ws.offs = append(ws.offs, 0)
	ws.pOffs = append(ws.pOffs, 0)
	var targets []int32
	count := 0
	for i, seq := range b.Tokens {
		ws.n += len(seq)
		ws.offs = append(ws.offs, ws.n)
		ws.pOffs = append(ws.pOffs, ws.pOffs[i]+c.Heads*len(seq)*len(seq))
		for _, t := range b.Targets[i] {
			if t >= 0 {
				count++
			}
		}
		targets = append(targets, b.Targets[i]...)
	}
	n := ws.n
	nseq := len(b.Tokens)
	// Embedding.
	x := make([]float32, n*d)
	r := 0
	for _, seq := range b.Tokens {
		for _, t := range seq {
			copy(x[r*d:(r+1)*d], p.Embed[int(t)*d:(int(t)+1)*d])
			r++
		}
	}
	ws.layers = make([]layerActs, c.Layers)
	for l := range c.Layers {
		w := &p.Blocks[l]
		a := &ws.layers[l]
		a.x = x
		a.xn1, a.inv1 = make([]float32, n*d), make([]float32, n)
		parallel(th, n, func(lo, hi int) {
			rmsNorm(a.xn1[lo*d:hi*d], a.inv1[lo:hi], x[lo*d:hi*d], w.AttnNorm, hi-lo, d, c.Eps)
		})
		a.q, a.k, a.v = make([]float32, n*qd), make([]float32, n*kd), make([]float32, n*kd)
		matmulAdd(th, a.q, a.xn1, w.Wq, n, d, qd)
		matmulAdd(th, a.k, a.xn1, w.Wk, n, d, kd)
		matmulAdd(th, a.v, a.xn1, w.Wv, n, d, kd)
		a.att = make([]float32, n*qd)
		a.p = scr.probsFor(l, ws.pOffs[nseq])
		parallel(th, nseq, func(lo, hi int) {
			maxT := 0
			for s := lo; s < hi; s++ {
				maxT = max(maxT, ws.offs[s+1]-ws.offs[s])
			}
			tmp := make([]float32, attentionTmp(maxT, hd))
			for s := lo; s < hi; s++ {
				o, t := ws.offs[s], ws.offs[s+1]-ws.offs[s]
				for i := range t {
					rope.rope(a.q[(o+i)*qd:(o+i+1)*qd], c.Heads, i, false)
					rope.rope(a.k[(o+i)*kd:(o+i+1)*kd], c.KVHeads, i, false)
				}
				attention(a.att[o*qd:], a.p[ws.pOffs[s]:ws.pOffs[s+1]], a.q[o*qd:], a.k[o*kd:], a.v[o*kd:], tmp, t, c.Heads, c.KVHeads, hd)
			}
		})
		a.x2 = make([]float32, n*d)
		copy(a.x2, x) // the residual
		matmulAdd(th, a.x2, a.att, w.Wo, n, qd, d)
		a.xn2, a.inv2 = make([]float32, n*d), make([]float32, n)
		parallel(th, n, func(lo, hi int) {
			rmsNorm(a.xn2[lo*d:hi*d], a.inv2[lo:hi], a.x2[lo*d:hi*d], w.FFNNorm, hi-lo, d, c.Eps)
		})
		a.g, a.u, a.h = make([]float32, n*f), make([]float32, n*f), make([]float32, n*f)
		matmulAdd(th, a.g, a.xn2, w.Gate, n, d, f)
		matmulAdd(th, a.u, a.xn2, w.Up, n, d, f)
		parallel(th, n, func(lo, hi int) {
			swiglu(a.h[lo*f:hi*f], a.g[lo*f:hi*f], a.u[lo*f:hi*f])
		})
		x = make([]float32, n*d)
		copy(x, a.x2) // the residual
		matmulAdd(th, x, a.h, w.Down, n, f, d)
	}
	ws.xf = x
	ws.xfn, ws.invf = make([]float32, n*d), make([]float32, n)
	parallel(th, n, func(lo, hi int) {
		rmsNorm(ws.xfn[lo*d:hi*d], ws.invf[lo:hi], x[lo*d:hi*d], p.OutNorm, hi-lo, d, c.Eps)
	})
	// Only the rows that carry a loss go through the output projection.
	var rows []int
	var tsel []int32
	for r, tg := range targets {
		if tg >= 0 {
			rows = append(rows, r)
			tsel = append(tsel, tg)
		}
	}
	m := len(rows)
	xsel := make([]float32, m*d)
	for i, r := range rows {
		copy(xsel[i*d:(i+1)*d], ws.xfn[r*d:(r+1)*d])
	}
	ws.logits = make([]float32, m*c.Vocab)
	matmulAdd(th, ws.logits, xsel, p.Embed, m, d, c.Vocab)
	ws.losses = make([]float64, m)
	if count == 0 {
		if grads != nil {
			clear(grads.flat())
		}
		return 0, 0
	}
	total := crossEntropy(th, ws.logits, tsel, c.Vocab, 1/float32(count), ws.losses)
	if grads == nil {
		return total / float64(count), count
	}

	// Backward.
	clear(grads.flat())
	dsel := make([]float32, m*d)
	matmulBack(th, dsel, grads.Embed, ws.logits, xsel, p.Embed, m, d, c.Vocab)
	dxfn := make([]float32, n*d)
	for i, r := range rows {
		copy(dxfn[r*d:(r+1)*d], dsel[i*d:(i+1)*d])
	}
	dx := make([]float32, n*d)
	rmsNormBack(th, dx, grads.OutNorm, dxfn, ws.xf, p.OutNorm, ws.invf, n, d)
	for l := c.Layers - 1; l >= 0; l-- {
		w, gw, a := &p.Blocks[l], &grads.Blocks[l], &ws.layers[l]
		// FFN: x_out = x2 + down(h).
		dh := make([]float32, n*f)
		matmulBack(th, dh, gw.Down, dx, a.h, w.Down, n, f, d)
		dg, du := make([]float32, n*f), make([]float32, n*f)
		parallel(th, n, func(lo, hi int) {
			swigluBack(dg[lo*f:hi*f], du[lo*f:hi*f], dh[lo*f:hi*f], a.g[lo*f:hi*f], a.u[lo*f:hi*f])
		})
		dxn2 := make([]float32, n*d)
		matmulBack(th, dxn2, gw.Gate, dg, a.xn2, w.Gate, n, d, f)
		matmulBack(th, dxn2, gw.Up, du, a.xn2, w.Up, n, d, f)
		dx2 := dx // the residual passes the gradient through
		rmsNormBack(th, dx2, gw.FFNNorm, dxn2, a.x2, w.FFNNorm, a.inv2, n, d)
		// Attention: x2 = x + wo(att).
		datt := make([]float32, n*qd)
		matmulBack(th, datt, gw.Wo, dx2, a.att, w.Wo, n, qd, d)
		dq, dk, dv := make([]float32, n*qd), make([]float32, n*kd), make([]float32, n*kd)
		parallel(th, nseq, func(lo, hi int) {
			maxT := 0
			for s := lo; s < hi; s++ {
				maxT = max(maxT, ws.offs[s+1]-ws.offs[s])
			}
			tmp := make([]float32, attentionTmp(maxT, hd))
			for s := lo; s < hi; s++ {
				o, t := ws.offs[s], ws.offs[s+1]-ws.offs[s]
				attentionBack(dq[o*qd:], dk[o*kd:], dv[o*kd:], datt[o*qd:], a.p[ws.pOffs[s]:ws.pOffs[s+1]], a.q[o*qd:], a.k[o*kd:], a.v[o*kd:], tmp, t, c.Heads, c.KVHeads, hd)
				for i := range t {
					rope.rope(dq[(o+i)*qd:(o+i+1)*qd], c.Heads, i, true)
					rope.rope(dk[(o+i)*kd:(o+i+1)*kd], c.KVHeads, i, true)
				}
			}
		})
		dxn1 := make([]float32, n*d)
		matmulBack(th, dxn1, gw.Wq, dq, a.xn1, w.Wq, n, d, qd)
		matmulBack(th, dxn1, gw.Wk, dk, a.xn1, w.Wk, n, d, kd)
		matmulBack(th, dxn1, gw.Wv, dv, a.xn1, w.Wv, n, d, kd)
		rmsNormBack(th, dx2, gw.AttnNorm, dxn1, a.x, w.AttnNorm, a.inv1, n, d)
		dx = dx2
	}
	// Embedding rows.
	r = 0
	for _, seq := range b.Tokens {
		for _, t := range seq {
			axpy(grads.Embed[int(t)*d:(int(t)+1)*d], 1, dx[r*d:(r+1)*d])
			r++
		}
	}
	return total / float64(count), count
}

// scratch keeps the attention probabilities (heads×t×t per sequence and
// layer, the largest activations) from one step to the next, so that each
// step does not fault in fresh memory for them; attention overwrites every
// element it later reads. A nil *scratch allocates afresh.
type scratch struct {
	probs [][]float32
}

// probsFor returns room for n probabilities of layer l.
func (s *scratch) probsFor(l, n int) []float32 {
	if s == nil {
		return make([]float32, n)
	}
	for len(s.probs) <= l {
		s.probs = append(s.probs, nil)
	}
	if cap(s.probs[l]) < n {
		s.probs[l] = make([]float32, n)
	}
	return s.probs[l][:n]
}
