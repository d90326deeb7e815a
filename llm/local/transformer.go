package local

import (
	"context"
	"errors"
	"fmt"
	"math"
	"unsafe"

	"github.com/plait-ai/plait/llm/local/ggml"
	"github.com/plait-ai/plait/llm/local/gguf"
	"github.com/plait-ai/plait/llm/local/quant"
)

// Config holds a transformer's hyper-parameters, read from a GGUF file's
// metadata.
type Config struct {
	Arch       string
	Embd       int // hidden size
	Layers     int
	Heads      int
	KVHeads    int
	HeadDim    int // per head, of queries and keys
	FFN        int
	Vocab      int
	ContextLen int // the context the model was trained with
	RopeDim    int // dimensions rotated per head
	RopeBase   float64
	// RopeScale multiplies positions (1/factor for linear scaling).
	RopeScale float64
	// NeoX: rotate pairs (i, i+d/2) instead of (2i, 2i+1).
	NeoX   bool
	RMSEps float32
	// QKNorm: RMS-normalise queries and keys per head (Qwen 3).
	QKNorm bool
}

// SupportedArchitectures lists the general.architecture values the
// runtime runs.
var SupportedArchitectures = []string{"llama", "qwen2", "qwen3"}

// ErrUnsupportedModel is returned for a model the runtime cannot run.
var ErrUnsupportedModel = errors.New("local: unsupported model")

func readConfig(f *gguf.File) (Config, error) {
	c := Config{Arch: f.Architecture(), RopeScale: 1}
	switch c.Arch {
	case "llama", "mistral":
		c.Arch = "llama"
	case "qwen2":
		c.NeoX = true
	case "qwen3":
		c.NeoX, c.QKNorm = true, true
	default:
		return c, fmt.Errorf("%w: architecture %q (supported: %v)", ErrUnsupportedModel, f.Architecture(), SupportedArchitectures)
	}
	a := f.Architecture() + "."
	need := func(key string) (int, error) {
		v, err := f.Uint(a + key)
		if err != nil {
			return 0, fmt.Errorf("%w: missing %s%s: %v", ErrUnsupportedModel, a, key, err)
		}
		if v == 0 || v > 1<<24 {
			return 0, fmt.Errorf("%w: %s%s = %d is out of range", ErrUnsupportedModel, a, key, v)
		}
		return int(v), nil
	}
	opt := func(key string, def int) int {
		if v, err := f.Uint(a + key); err == nil && v > 0 && v < 1<<24 {
			return int(v)
		}
		return def
	}
	var err error
	if c.Embd, err = need("embedding_length"); err != nil {
		return c, err
	}
	if c.Layers, err = need("block_count"); err != nil {
		return c, err
	}
	if c.Heads, err = need("attention.head_count"); err != nil {
		return c, err
	}
	if c.FFN, err = need("feed_forward_length"); err != nil {
		return c, err
	}
	c.KVHeads = opt("attention.head_count_kv", c.Heads)
	c.HeadDim = opt("attention.key_length", c.Embd/c.Heads)
	if v := opt("attention.value_length", c.HeadDim); v != c.HeadDim {
		return c, fmt.Errorf("%w: value_length %d differs from key_length %d", ErrUnsupportedModel, v, c.HeadDim)
	}
	c.ContextLen = opt("context_length", 2048)
	c.RopeDim = opt("rope.dimension_count", c.HeadDim)
	if c.Heads%c.KVHeads != 0 || c.RopeDim > c.HeadDim || c.RopeDim%2 != 0 {
		return c, fmt.Errorf("%w: %d heads, %d KV heads, rope dims %d of head dim %d", ErrUnsupportedModel, c.Heads, c.KVHeads, c.RopeDim, c.HeadDim)
	}
	c.RopeBase = 10000
	if v, err := f.Float(a + "rope.freq_base"); err == nil && v > 0 {
		c.RopeBase = v
	}
	if typ, err := f.String(a + "rope.scaling.type"); err == nil && typ == "linear" {
		if v, err := f.Float(a + "rope.scaling.factor"); err == nil && v > 0 {
			c.RopeScale = 1 / v
		}
	} else if typ != "" && typ != "none" && err == nil {
		return c, fmt.Errorf("%w: rope scaling %q", ErrUnsupportedModel, typ)
	}
	c.RMSEps = 1e-5
	if v, err := f.Float(a + "attention.layer_norm_rms_epsilon"); err == nil && v > 0 {
		c.RMSEps = float32(v)
	}
	return c, nil
}

type layer struct {
	attnNorm, ffnNorm []float32
	wq, wk, wv, wo    quant.Matrix
	bq, bk, bv        []float32
	qNorm, kNorm      []float32
	gate, up, down    quant.Matrix
	qkv, gateUp       []quant.Matrix // matrices that read the same input
	qkvOne, guOne     bool           // ... and share an activation format
}

// Transformer is a loaded llama-family model: weights mapped from the GGUF
// file, never copied. It is safe for concurrent use; each generation has
// its own [State].
type Transformer struct {
	cfg     Config
	tokEmbd quant.Matrix
	output  quant.Matrix
	outNorm []float32
	layers  []layer
	// ggml computes each pair's angle as pos·thetaScale^i by repeated
	// float32 multiplication, times a per-pair factor (frequency scale and
	// rope_freqs); doing the same keeps results bit-compatible.
	thetaScale float32
	ropeFactor []float32
	pool       *quant.Pool
}

// Config returns the model's hyper-parameters.
func (t *Transformer) Config() Config { return t.cfg }

// newTransformer maps the weights of f. pool runs the kernels.
func newTransformer(f *gguf.File, pool *quant.Pool) (*Transformer, error) {
	cfg, err := readConfig(f)
	if err != nil {
		return nil, err
	}
	t := &Transformer{cfg: cfg, pool: pool}
	if t.tokEmbd, err = matrix(f, "token_embd.weight", cfg.Embd, 0); err != nil {
		return nil, err
	}
	t.cfg.Vocab = t.tokEmbd.Rows
	if _, ok := f.Tensor("output.weight"); ok {
		if t.output, err = matrix(f, "output.weight", cfg.Embd, t.cfg.Vocab); err != nil {
			return nil, err
		}
	} else {
		t.output = t.tokEmbd // tied embeddings
	}
	if t.outNorm, err = vector(f, "output_norm.weight", cfg.Embd); err != nil {
		return nil, err
	}
	qDim, kvDim := cfg.Heads*cfg.HeadDim, cfg.KVHeads*cfg.HeadDim
	t.layers = make([]layer, cfg.Layers)
	for i := range t.layers {
		l := &t.layers[i]
		p := fmt.Sprintf("blk.%d.", i)
		for _, m := range []struct {
			dst        *quant.Matrix
			name       string
			cols, rows int
		}{
			{&l.wq, "attn_q.weight", cfg.Embd, qDim},
			{&l.wk, "attn_k.weight", cfg.Embd, kvDim},
			{&l.wv, "attn_v.weight", cfg.Embd, kvDim},
			{&l.wo, "attn_output.weight", qDim, cfg.Embd},
			{&l.gate, "ffn_gate.weight", cfg.Embd, cfg.FFN},
			{&l.up, "ffn_up.weight", cfg.Embd, cfg.FFN},
			{&l.down, "ffn_down.weight", cfg.FFN, cfg.Embd},
		} {
			if *m.dst, err = matrix(f, p+m.name, m.cols, m.rows); err != nil {
				return nil, err
			}
		}
		if l.attnNorm, err = vector(f, p+"attn_norm.weight", cfg.Embd); err != nil {
			return nil, err
		}
		if l.ffnNorm, err = vector(f, p+"ffn_norm.weight", cfg.Embd); err != nil {
			return nil, err
		}
		for _, v := range []struct {
			dst  *[]float32
			name string
			n    int
		}{
			{&l.bq, "attn_q.bias", qDim}, {&l.bk, "attn_k.bias", kvDim}, {&l.bv, "attn_v.bias", kvDim},
			{&l.qNorm, "attn_q_norm.weight", cfg.HeadDim}, {&l.kNorm, "attn_k_norm.weight", cfg.HeadDim},
		} {
			if _, ok := f.Tensor(p + v.name); ok {
				if *v.dst, err = vector(f, p+v.name, v.n); err != nil {
					return nil, err
				}
			}
		}
		l.qkv = []quant.Matrix{l.wq, l.wk, l.wv}
		l.gateUp = []quant.Matrix{l.gate, l.up}
		l.qkvOne, l.guOne = sameActivation(l.qkv), sameActivation(l.gateUp)
		if cfg.QKNorm && (l.qNorm == nil || l.kNorm == nil) {
			return nil, fmt.Errorf("%w: %s model without %sattn_q_norm/attn_k_norm", ErrUnsupportedModel, cfg.Arch, p)
		}
	}
	// RoPE: pair i turns by pos·thetaScale^i·ropeFactor[i], the factor
	// holding the frequency scale and, where the file has them, Llama 3.1's
	// per-pair rope_freqs.
	var factors []float32
	if _, ok := f.Tensor("rope_freqs.weight"); ok {
		if factors, err = vector(f, "rope_freqs.weight", cfg.RopeDim/2); err != nil {
			return nil, err
		}
	}
	t.thetaScale = float32(math.Pow(cfg.RopeBase, -2/float64(cfg.RopeDim)))
	t.ropeFactor = make([]float32, cfg.RopeDim/2)
	for i := range t.ropeFactor {
		t.ropeFactor[i] = float32(cfg.RopeScale)
		if factors != nil && factors[i] != 0 {
			t.ropeFactor[i] /= factors[i]
		}
	}
	return t, nil
}

// matrix maps a 2-D weight tensor of rows × cols (rows 0: any).
func matrix(f *gguf.File, name string, cols, rows int) (quant.Matrix, error) {
	ti, ok := f.Tensor(name)
	if !ok {
		return quant.Matrix{}, fmt.Errorf("%w: tensor %s is missing", ErrUnsupportedModel, name)
	}
	if len(ti.Dims) != 2 || int(ti.Dims[0]) != cols || (rows > 0 && int(ti.Dims[1]) != rows) {
		return quant.Matrix{}, fmt.Errorf("%w: tensor %s has shape %v, want [%d %d]", ErrUnsupportedModel, name, ti.Dims, cols, rows)
	}
	if !quant.Supported(ti.Type) {
		return quant.Matrix{}, fmt.Errorf("%w: tensor %s has type %s, which the runtime does not run", ErrUnsupportedModel, name, ti.Type)
	}
	data, err := f.TensorData(name)
	if err != nil {
		return quant.Matrix{}, err
	}
	m := quant.Matrix{Type: ti.Type, Rows: int(ti.Dims[1]), Cols: cols, Data: data}
	if err := m.Validate(); err != nil {
		return quant.Matrix{}, fmt.Errorf("local: tensor %s: %w", name, err)
	}
	return m, nil
}

// vector reads a 1-D tensor of n elements as float32: mapped in place when
// it is F32, decoded otherwise.
func vector(f *gguf.File, name string, n int) ([]float32, error) {
	ti, ok := f.Tensor(name)
	if !ok {
		return nil, fmt.Errorf("%w: tensor %s is missing", ErrUnsupportedModel, name)
	}
	if ti.Elements() != int64(n) {
		return nil, fmt.Errorf("%w: tensor %s has %d elements, want %d", ErrUnsupportedModel, name, ti.Elements(), n)
	}
	data, err := f.TensorData(name)
	if err != nil {
		return nil, err
	}
	if ti.Type == ggml.F32 && uintptr(unsafe.Pointer(unsafe.SliceData(data)))%4 == 0 && len(data) >= 4*n {
		return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(data))), n), nil
	}
	out := make([]float32, n)
	if err := quant.Dequantize(ti.Type, data, out); err != nil {
		return nil, fmt.Errorf("local: tensor %s: %w", name, err)
	}
	return out, nil
}

// State is one sequence being evaluated: its KV cache and scratch buffers.
// It is not safe for concurrent use.
type State struct {
	t      *Transformer
	pos    int
	maxLen int
	k, v   [][]uint16 // per layer: positions × kvDim, in F16 as llama.cpp keeps them
	buf    stateBuf
}

type stateBuf struct {
	act                      quant.Activation
	ys                       [3][]float32
	logits                   []float32
	n                        int
	x, xb, q, kk, vv, att, o []float32
	g, u                     []float32
	rope                     []float32 // per token: cos and sin of each pair's angle
	scores                   []float32 // per (token, head) worker: scratch
}

// NewState returns an empty sequence that can hold up to maxLen tokens
// (the model's trained context when maxLen <= 0).
func (t *Transformer) NewState(maxLen int) *State {
	if maxLen <= 0 {
		maxLen = t.cfg.ContextLen
	}
	return &State{t: t, maxLen: maxLen, k: make([][]uint16, t.cfg.Layers), v: make([][]uint16, t.cfg.Layers)}
}

// Pos returns the number of tokens evaluated so far.
func (s *State) Pos() int { return s.pos }

// Truncate drops the cache after the first n tokens, so a conversation that
// shares a prefix with the last one reuses it.
func (s *State) Truncate(n int) {
	if n < s.pos {
		s.pos = max(n, 0)
	}
}

// ErrContextFull is returned when a sequence would exceed its maximum length.
var ErrContextFull = errors.New("local: context window full")

func (s *State) grow(n int) {
	c := s.t.cfg
	b := &s.buf
	if b.n < n {
		qDim, kvDim := c.Heads*c.HeadDim, c.KVHeads*c.HeadDim
		b.n = n
		b.x = make([]float32, n*c.Embd)
		b.xb = make([]float32, n*c.Embd)
		b.q = make([]float32, n*qDim)
		b.kk = make([]float32, n*kvDim)
		b.vv = make([]float32, n*kvDim)
		b.att = make([]float32, n*qDim)
		b.o = make([]float32, n*c.Embd)
		b.g = make([]float32, n*c.FFN)
		b.u = make([]float32, n*c.FFN)
		b.rope = make([]float32, n*c.RopeDim)
	}
	kvDim := c.KVHeads * c.HeadDim
	need := (s.pos + n) * kvDim
	for l := range s.k {
		if cap(s.k[l]) < need {
			nc := max(need, 2*cap(s.k[l]), 64*kvDim)
			nc = min(nc, s.maxLen*kvDim)
			k := make([]uint16, need, nc)
			v := make([]uint16, need, nc)
			copy(k, s.k[l][:s.pos*kvDim])
			copy(v, s.v[l][:s.pos*kvDim])
			s.k[l], s.v[l] = k, v
		} else {
			s.k[l] = s.k[l][:need]
			s.v[l] = s.v[l][:need]
		}
	}
}

// Forward evaluates tokens after those already in the state and returns the
// logits after the last one. With all set, it returns the logits after every
// token, row by row. The slice belongs to the state and is overwritten by
// the next call; the caller may modify it until then.
func (s *State) Forward(ctx context.Context, tokens []int32, all bool) ([]float32, error) {
	n := len(tokens)
	if n == 0 {
		return nil, errors.New("local: Forward with no tokens")
	}
	c := s.t.cfg
	if s.pos+n > s.maxLen {
		return nil, fmt.Errorf("%w: %d tokens after %d exceed %d", ErrContextFull, n, s.pos, s.maxLen)
	}
	for _, id := range tokens {
		if id < 0 || int(id) >= c.Vocab {
			return nil, fmt.Errorf("local: token id %d out of range [0, %d)", id, c.Vocab)
		}
	}
	s.grow(n)
	b := &s.buf
	t := s.t
	x := b.x[:n*c.Embd]
	for i, id := range tokens {
		if err := quant.RowDequantize(t.tokEmbd, int(id), x[i*c.Embd:(i+1)*c.Embd]); err != nil {
			return nil, err
		}
	}
	for i := range n {
		t.ropeAngles(b.rope[i*c.RopeDim:(i+1)*c.RopeDim], s.pos+i)
	}
	qDim, kvDim := c.Heads*c.HeadDim, c.KVHeads*c.HeadDim
	xb, q, kk, vv := b.xb[:n*c.Embd], b.q[:n*qDim], b.kk[:n*kvDim], b.vv[:n*kvDim]
	att, o, g, u := b.att[:n*qDim], b.o[:n*c.Embd], b.g[:n*c.FFN], b.u[:n*c.FFN]
	for li := range t.layers {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		l := &t.layers[li]
		rmsNormRows(xb, x, l.attnNorm, c.Embd, c.RMSEps)
		b.ys[0], b.ys[1], b.ys[2] = q, kk, vv
		if err := s.project(l.qkv, l.qkvOne, xb, n, b.ys[:3]); err != nil {
			return nil, err
		}
		addBias(q, l.bq)
		addBias(kk, l.bk)
		addBias(vv, l.bv)
		if c.QKNorm {
			rmsNormRows(q, q, l.qNorm, c.HeadDim, c.RMSEps)
			rmsNormRows(kk, kk, l.kNorm, c.HeadDim, c.RMSEps)
		}
		for i := range n {
			cs := b.rope[i*c.RopeDim : (i+1)*c.RopeDim]
			t.rope(q[i*qDim:(i+1)*qDim], c.Heads, cs)
			t.rope(kk[i*kvDim:(i+1)*kvDim], c.KVHeads, cs)
		}
		toF16(s.k[li][s.pos*kvDim:], kk)
		toF16(s.v[li][s.pos*kvDim:], vv)
		s.attention(li, q, att, n)
		if err := t.matmul(l.wo, att, n, o); err != nil {
			return nil, err
		}
		addInto(x, o)

		rmsNormRows(xb, x, l.ffnNorm, c.Embd, c.RMSEps)
		b.ys[0], b.ys[1] = g, u
		if err := s.project(l.gateUp, l.guOne, xb, n, b.ys[:2]); err != nil {
			return nil, err
		}
		t.pool.For(len(g), max(1024, len(g)/(4*t.pool.Threads())), func(lo, hi int) {
			swiglu(g[lo:hi], u[lo:hi])
		})
		if err := t.matmul(l.down, g, n, o); err != nil {
			return nil, err
		}
		addInto(x, o)
	}
	s.pos += n
	first := n - 1
	if all {
		first = 0
	}
	rows := n - first
	rmsNormRows(xb[:rows*c.Embd], x[first*c.Embd:], t.outNorm, c.Embd, c.RMSEps)
	if cap(b.logits) < rows*c.Vocab {
		b.logits = make([]float32, rows*c.Vocab)
	}
	logits := b.logits[:rows*c.Vocab]
	if err := t.matmul(t.output, xb[:rows*c.Embd], rows, logits); err != nil {
		return nil, err
	}
	return logits, nil
}

// project computes ys[i] = ms[i]·x for matrices that read the same input:
// where they share an activation format, x is quantized once for all of
// them (and one token's products run as one parallel job).
func (s *State) project(ms []quant.Matrix, shared bool, x []float32, n int, ys [][]float32) error {
	if n == 1 && shared {
		if err := s.buf.act.Set(ms[0].Type, x[:ms[0].Cols]); err != nil {
			return err
		}
		for i, m := range ms {
			ys[i] = ys[i][:m.Rows]
		}
		return quant.MatVecMany(s.t.pool, ms, &s.buf.act, ys)
	}
	if shared {
		for i, m := range ms {
			ys[i] = ys[i][:n*m.Rows]
		}
		return quant.MatMulMany(s.t.pool, ms, x[:n*ms[0].Cols], n, ys)
	}
	for i, m := range ms {
		if err := s.t.matmul(m, x, n, ys[i]); err != nil {
			return err
		}
	}
	return nil
}

func sameActivation(ms []quant.Matrix) bool {
	if _, err := quant.VecDotType(ms[0].Type); err != nil {
		return false
	}
	for _, m := range ms[1:] {
		if !quant.SameActivation(m.Type, ms[0].Type) || m.Cols != ms[0].Cols {
			return false
		}
	}
	return true
}

func (t *Transformer) matmul(m quant.Matrix, x []float32, n int, y []float32) error {
	if n == 1 {
		return quant.MatVec(t.pool, m, x[:m.Cols], y[:m.Rows])
	}
	return quant.MatMul(t.pool, m, x[:n*m.Cols], n, y[:n*m.Rows])
}

// attention computes causal grouped-query attention for the n new tokens,
// as llama.cpp's CPU flash attention does with its default F16 cache: the
// query is rounded to F16, scores are exact F32 dot products of F16 values,
// and the softmax-weighted sum of values is accumulated online in F16. Doing
// the same arithmetic keeps the runtime's outputs within a few thousandths
// of llama.cpp's, and the cache takes half the memory of F32.
func (s *State) attention(li int, q, out []float32, n int) {
	c := s.t.cfg
	hd := c.HeadDim
	qDim, kvDim := c.Heads*hd, c.KVHeads*hd
	group := c.Heads / c.KVHeads
	scale := float32(1 / math.Sqrt(float64(hd)))
	kc, vc := s.k[li], s.v[li]
	s.t.pool.For(n*c.Heads, 1, func(lo, hi int) {
		// Per-call buffers on the stack for the usual head sizes (this
		// runs once per thread, layer and token).
		var qBuf, accBuf [256]uint16
		q16, acc := qBuf[:0], accBuf[:0]
		if hd > len(qBuf) {
			q16, acc = make([]uint16, 0, hd), make([]uint16, 0, hd)
		}
		q16, acc = q16[:hd], acc[:hd]
		for job := lo; job < hi; job++ {
			i, h := job/c.Heads, job%c.Heads
			span := s.pos + i + 1 // causal: positions 0..pos+i
			toF16(q16, q[i*qDim+h*hd:i*qDim+(h+1)*hd])
			kvOff := (h / group) * hd
			clear(acc)
			S := attendF16(q16, kc[kvOff:], vc[kvOff:], kvDim, span, scale, acc)
			oh := out[i*qDim+h*hd : i*qDim+(h+1)*hd]
			inv := 1 / S
			for j, a := range acc {
				oh[j] = quant.FP16ToFP32(a) * inv
			}
		}
	})
}

// attendF16Go runs one query head (q16, F16) over span cached positions,
// whose keys and values start stride elements apart in k and v: the
// online softmax llama.cpp's CPU flash attention computes, with the
// weighted sum of values accumulated in acc (F16, zeroed by the caller).
// It returns the softmax denominator; the head's output is acc divided by
// it.
func attendF16Go(q16, k, v []uint16, stride, span int, scale float32, acc []uint16) float32 {
	hd := len(q16)
	M := float32(math.Inf(-1))
	var S float32
	for p := range span {
		row := p * stride
		sc := dotF16(q16, k[row:row+hd]) * scale
		ms, vs := float32(1), float32(1)
		if sc > M {
			ms = expf(M - sc)
			M = sc
			scaleF16(acc, ms)
		} else {
			vs = expf(sc - M)
		}
		madF16(acc, v[row:row+hd], vs)
		S = S*ms + vs
	}
	return S
}

func toF16Go(dst []uint16, src []float32) {
	for i, x := range src {
		dst[i] = quant.FP32ToFP16(x)
	}
}

// dotF16 is the dot product of two F16 vectors, accumulated in F32.
func dotF16Go(a, b []uint16) float32 {
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += quant.FP16ToFP32(a[i]) * quant.FP16ToFP32(b[i])
		s1 += quant.FP16ToFP32(a[i+1]) * quant.FP16ToFP32(b[i+1])
		s2 += quant.FP16ToFP32(a[i+2]) * quant.FP16ToFP32(b[i+2])
		s3 += quant.FP16ToFP32(a[i+3]) * quant.FP16ToFP32(b[i+3])
	}
	for ; i < len(a); i++ {
		s0 += quant.FP16ToFP32(a[i]) * quant.FP16ToFP32(b[i])
	}
	return (s0 + s1) + (s2 + s3)
}

// scaleF16 sets y = y*v in F16.
func scaleF16Go(y []uint16, v float32) {
	for i, a := range y {
		y[i] = quant.FP32ToFP16(quant.FP16ToFP32(a) * v)
	}
}

// madF16 sets y += x*v in F16, with one rounding of the fused product-sum
// to F32 as an FMA gives, then to F16.
func madF16Go(y, x []uint16, v float32) {
	for i, a := range y {
		y[i] = quant.FP32ToFP16(float32(float64(quant.FP16ToFP32(x[i]))*float64(v) + float64(quant.FP16ToFP32(a))))
	}
}

// ropeAngles writes the cosine and sine of each rotated pair's angle at
// position pos into cs (cos, sin, cos, sin, ...; RopeDim values), once per
// token for every layer's queries and keys.
func (t *Transformer) ropeAngles(cs []float32, pos int) {
	theta := float32(pos)
	for i := range t.ropeFactor {
		sin, cos := math.Sincos(float64(theta * t.ropeFactor[i]))
		theta *= t.thetaScale
		cs[2*i], cs[2*i+1] = float32(cos), float32(sin)
	}
}

// rope rotates each head of v (heads × HeadDim) by the angles ropeAngles
// gave for its position.
func (t *Transformer) rope(v []float32, heads int, angles []float32) {
	c := t.cfg
	hd, half := c.HeadDim, c.RopeDim/2
	for i := range half {
		cs, sn := angles[2*i], angles[2*i+1]
		for h := range heads {
			base := h * hd
			var a, b int
			if c.NeoX {
				a, b = base+i, base+i+half
			} else {
				a, b = base+2*i, base+2*i+1
			}
			x0, x1 := v[a], v[b]
			v[a] = x0*cs - x1*sn
			v[b] = x0*sn + x1*cs
		}
	}
}

// rmsNormRows writes RMSNorm(src row) * w into dst for each row of dim
// elements. dst and src may be the same slice.
func rmsNormRows(dst, src, w []float32, dim int, eps float32) {
	for r := 0; r+dim <= len(src) && r+dim <= len(dst); r += dim {
		row := src[r : r+dim]
		var ss float64
		for _, x := range row {
			ss += float64(x * x)
		}
		mean := float32(ss / float64(dim))
		scale := 1 / float32(math.Sqrt(float64(mean+eps)))
		out := dst[r : r+dim]
		for j, x := range row {
			out[j] = x * scale * w[j]
		}
	}
}

// addBias adds b to every row of v; a nil b does nothing.
func addBias(v, b []float32) {
	if b == nil {
		return
	}
	for r := 0; r+len(b) <= len(v); r += len(b) {
		row := v[r : r+len(b)]
		for j := range row {
			row[j] += b[j]
		}
	}
}

func addInto(dst, src []float32) {
	for i := range dst {
		dst[i] += src[i]
	}
}

// swiglu sets g = silu(g) * u.
func swigluGo(g, u []float32) {
	u = u[:len(g)]
	for i, x := range g {
		g[i] = x / (1 + expf(-x)) * u[i]
	}
}

// expf is e^x in float32 to within about 2 ulp (the accuracy of ggml's
// vectorised expf), several times faster than math.Exp: x = n·ln2 + r with
// |r| <= ln2/2, e^r from its degree-7 Taylor polynomial, 2^n from the
// exponent bits. Arguments are clamped to [-87, 88], where e^x is a
// normal float32; NaN propagates.
func expf(x float32) float32 {
	x = min(max(x, -87), 88) // NaN stays NaN (min and max propagate it)
	const (
		log2e = 1.44269504088896341
		ln2hi = 0.693145751953125
		ln2lo = 1.428606765330187045e-06
	)
	// Adding 1.5·2^23 rounds to an integer in float32 arithmetic.
	const round = 12582912
	n := (x*log2e + round) - round
	r := x - n*ln2hi - n*ln2lo
	p := 1 + r*(1+r*(1.0/2+r*(1.0/6+r*(1.0/24+r*(1.0/120+r*(1.0/720+r*(1.0/5040)))))))
	return p * math.Float32frombits(uint32(int32(n)+127)<<23)
}
