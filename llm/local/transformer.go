package local

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
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
	// QKNorm: RMS-normalise queries and keys per head (Qwen 3, Gemma 3).
	QKNorm bool

	// The fields below are zero for the llama, qwen2 and qwen3 families.

	// RopeOrigContext is the context the model was trained with before
	// its RoPE was extended (rope.scaling.original_context_length): a
	// sequence longer than this uses the long RoPE frequency factors
	// (rope_factors_long), a shorter one the short ones (Phi-3). 0: the
	// trained context.
	RopeOrigContext int
	// RopeAttnFactor multiplies the cosine and sine of every RoPE angle,
	// scaling queries and keys (rope.scaling.attn_factor; 0 means 1).
	RopeAttnFactor float32
	// QueryScale, when not 0, multiplies queries before attention in
	// place of scaling their scores by 1/sqrt(HeadDim) (Phi-3, Gemma).
	QueryScale float32
	// EmbedScale, when not 0, multiplies the token embeddings (Gemma:
	// sqrt(Embd)).
	EmbedScale float32
	// GELU: the feed-forward gate goes through GELU (tanh approximation)
	// instead of SiLU (Gemma).
	GELU bool
	// PostNorm: RMS-normalise the attention and feed-forward outputs
	// before they join the residual stream (Gemma 2, Gemma 3).
	PostNorm bool
	// AttnSoftcap and FinalSoftcap, when not 0, cap attention scores and
	// output logits at ±cap smoothly: cap·tanh(x/cap) (Gemma 2).
	AttnSoftcap, FinalSoftcap float32
	// SlidingWindow, when not 0, limits the layers SWA marks to attending
	// to the last SlidingWindow positions, their own included (Gemma 2,
	// Gemma 3).
	SlidingWindow int
	// SWA marks, per layer, the layers that slide (nil: none).
	SWA []bool
	// RopeBaseSWA, when not 0, is the RoPE base of the layers SWA marks,
	// which then turn without RopeScale (Gemma 3: 10000, or the file's
	// rope.freq_base_swa, with the global layers on RopeBase).
	RopeBaseSWA float64
}

// SupportedArchitectures lists the general.architecture values the
// runtime runs.
var SupportedArchitectures = []string{"llama", "qwen2", "qwen3", "phi3", "gemma", "gemma2", "gemma3"}

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
	case "phi3", "gemma", "gemma2":
		c.NeoX = true
	case "gemma3":
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
	// As llama.cpp: the scaling type is linear where the file does not
	// say, and a factor (rope.scaling.factor, or the older
	// rope.scale_linear) divides the frequencies whatever the type.
	typ, err := f.String(a + "rope.scaling.type")
	if err != nil {
		typ = "linear"
	}
	switch typ {
	case "linear", "none", "":
		for _, key := range []string{"rope.scaling.factor", "rope.scale_linear"} {
			if v, err := f.Float(a + key); err == nil && v > 0 {
				c.RopeScale = 1 / v
				break
			}
		}
	default:
		return c, fmt.Errorf("%w: rope scaling %q", ErrUnsupportedModel, typ)
	}
	c.RMSEps = 1e-5
	if v, err := f.Float(a + "attention.layer_norm_rms_epsilon"); err == nil && v > 0 {
		c.RMSEps = float32(v)
	}
	if err := c.readFamily(f, a); err != nil {
		return c, err
	}
	return c, nil
}

// readFamily reads the settings of the Phi-3 and Gemma families, as
// llama.cpp's graphs for them use them (src/models/phi3.cpp, gemma.cpp,
// gemma2.cpp, gemma3.cpp).
func (c *Config) readFamily(f *gguf.File, a string) error {
	float := func(key string) float32 {
		if v, err := f.Float(a + key); err == nil {
			return float32(v)
		}
		return 0
	}
	switch c.Arch {
	case "phi3":
		if v, err := f.Uint(a + "rope.scaling.original_context_length"); err == nil && v > 0 && v < 1<<24 {
			c.RopeOrigContext = int(v)
		}
		c.RopeAttnFactor = float("rope.scaling.attn_factor")
		// Queries are scaled before attention, in F32.
		c.QueryScale = 1 / float32(math.Sqrt(float64(c.HeadDim)))
		// phi3.attention.sliding_window is not applied: llama.cpp
		// disables sliding-window attention for Phi-3, as converted files
		// do not state it correctly (its pull request 13676), and the
		// runtime computes what llama.cpp computes.
	case "gemma", "gemma2":
		c.EmbedScale = float32(math.Sqrt(float64(c.Embd)))
		c.GELU = true
		c.QueryScale = 1 / float32(math.Sqrt(float64(c.HeadDim)))
		if c.Arch == "gemma" {
			break
		}
		c.PostNorm = true
		if c.Layers == 46 {
			// Gemma 2 27B scales queries by 1/sqrt(query_pre_attn_scalar)
			// = 1/sqrt(Embd/Heads), not by its head size; llama.cpp
			// recognises it by its layer count, as here.
			c.QueryScale = 1 / float32(math.Sqrt(float64(c.Embd/c.Heads)))
		}
		// Gemma 2's caps where the file does not give them, as llama.cpp.
		c.AttnSoftcap = cmp.Or(float("attn_logit_softcapping"), 50)
		c.FinalSoftcap = cmp.Or(float("final_logit_softcapping"), 30)
		c.SlidingWindow = 4096 // Gemma 2's, where the file does not say
		if v, err := f.Uint(a + "attention.sliding_window"); err == nil && v > 0 && v < 1<<31 {
			c.SlidingWindow = int(v)
		}
		// Every other layer slides, starting with the first, unless the
		// file says otherwise.
		var err error
		if c.SWA, err = swaPattern(f, a, c.Layers, 2); err != nil {
			return err
		}
		if v, err := f.Float(a + "rope.freq_base_swa"); err == nil && v != c.RopeBase {
			return fmt.Errorf("%w: a different RoPE base (%g) for sliding-window layers", ErrUnsupportedModel, v)
		}
	case "gemma3":
		c.EmbedScale = float32(math.Sqrt(float64(c.Embd)))
		c.GELU, c.PostNorm = true, true
		c.QueryScale = 1 / float32(math.Sqrt(float64(c.HeadDim)))
		if c.Layers == 62 {
			// Gemma 3 27B: 1/sqrt(query_pre_attn_scalar), as llama.cpp
			// recognises it, by its layer count.
			c.QueryScale = 1 / float32(math.Sqrt(float64(c.Embd/c.Heads)))
		}
		// No attention cap; a final cap only where the file gives one.
		c.FinalSoftcap = float("final_logit_softcapping")
		// Without a window every layer attends to everything, on the
		// file's RoPE base.
		v, err := f.Uint(a + "attention.sliding_window")
		if err != nil || v == 0 {
			break
		}
		if v >= 1<<31 {
			return fmt.Errorf("%w: %sattention.sliding_window = %d is out of range", ErrUnsupportedModel, a, v)
		}
		c.SlidingWindow = int(v)
		// Five layers of six slide, unless the file says otherwise.
		if c.SWA, err = swaPattern(f, a, c.Layers, 6); err != nil {
			return err
		}
		// The sliding layers keep RoPE base 10000 and no frequency
		// scaling: only the global ones take the file's base and linear
		// scale. Files converted by Ollama name the bases
		// rope.local.freq_base and rope.global.freq_base, and may give
		// neither (Ollama then takes 10000 and 1e6).
		c.RopeBaseSWA = 10000
		for _, key := range []string{"rope.freq_base_swa", "rope.local.freq_base"} {
			if v, err := f.Float(a + key); err == nil && v > 0 {
				c.RopeBaseSWA = v
				break
			}
		}
		if !f.Has(a + "rope.freq_base") {
			c.RopeBase = 1e6
			if v, err := f.Float(a + "rope.global.freq_base"); err == nil && v > 0 {
				c.RopeBase = v
			}
		}
	}
	return nil
}

// swaPattern returns which of the model's layers slide, from the file's
// attention.sliding_window_pattern: a period (the last layer of each
// period attends to everything; 0: all slide) or one bool per layer, as
// llama.cpp reads it; period where the file gives none.
func swaPattern(f *gguf.File, a string, layers, period int) ([]bool, error) {
	key := a + "attention.sliding_window_pattern"
	if v, ok := f.Get(key); ok && v.Type == gguf.TypeArray {
		b, isBool := v.Data.([]bool)
		if !isBool || len(b) != layers {
			return nil, fmt.Errorf("%w: %s is not one bool per layer", ErrUnsupportedModel, key)
		}
		return slices.Clone(b), nil
	} else if ok {
		p, err := f.Uint(key)
		if err != nil || p > 1<<16 {
			return nil, fmt.Errorf("%w: %s is not a layer period the runtime reads", ErrUnsupportedModel, key)
		}
		period = int(p)
	}
	swa := make([]bool, layers)
	for i := range swa {
		swa[i] = period == 0 || i%period < period-1
	}
	return swa, nil
}

type layer struct {
	attnNorm, ffnNorm []float32
	wq, wk, wv, wo    quant.Matrix
	bq, bk, bv        []float32
	qNorm, kNorm      []float32
	gate, up, down    quant.Matrix
	qkv, gateUp       []quant.Matrix // matrices that read the same input
	qkvOne, guOne     bool           // ... and share an activation format
	// Gemma 2 and 3: norms of the attention and feed-forward outputs.
	attnPostNorm, ffnPostNorm []float32
	window                    int  // sliding window (0: none)
	ropeSWA                   bool // turns by the sliding-window RoPE (Gemma 3)
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
	// Phi-3's factors for sequences longer than RopeOrigContext (nil
	// where the model has none).
	ropeFactorLong []float32
	// The sliding-window layers' RoPE where it differs (RopeBaseSWA;
	// ropeFactorSWA nil otherwise).
	thetaScaleSWA float32
	ropeFactorSWA []float32
	pool          *quant.Pool
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
	// Gemma's and Gemma 2's output is always their token embeddings
	// (llama.cpp ignores an output.weight there); Gemma 3 takes an
	// output.weight where the file has one.
	gemma := cfg.Arch == "gemma" || cfg.Arch == "gemma2"
	if _, ok := f.Tensor("output.weight"); ok && !gemma {
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
		type mat struct {
			dst        *quant.Matrix
			name       string
			cols, rows int
		}
		mats := []mat{
			{&l.wq, "attn_q.weight", cfg.Embd, qDim},
			{&l.wk, "attn_k.weight", cfg.Embd, kvDim},
			{&l.wv, "attn_v.weight", cfg.Embd, kvDim},
			{&l.wo, "attn_output.weight", qDim, cfg.Embd},
			{&l.gate, "ffn_gate.weight", cfg.Embd, cfg.FFN},
			{&l.up, "ffn_up.weight", cfg.Embd, cfg.FFN},
			{&l.down, "ffn_down.weight", cfg.FFN, cfg.Embd},
		}
		if cfg.Arch == "phi3" {
			// Phi-3 keeps gate and up in one matrix, the gate's rows
			// first (llama.cpp's LLM_FFN_SWIGLU split), and usually q, k
			// and v in one too: the layer takes row ranges of them.
			type fusedMat struct {
				name  string
				parts []*quant.Matrix
				rows  []int
			}
			fused := []fusedMat{{"ffn_up.weight", []*quant.Matrix{&l.gate, &l.up}, []int{cfg.FFN, cfg.FFN}}}
			mats = slices.DeleteFunc(mats, func(m mat) bool { return m.dst == &l.gate || m.dst == &l.up })
			if _, ok := f.Tensor(p + "attn_qkv.weight"); ok {
				fused = append(fused, fusedMat{"attn_qkv.weight", []*quant.Matrix{&l.wq, &l.wk, &l.wv}, []int{qDim, kvDim, kvDim}})
				mats = mats[3:]
			}
			for _, fm := range fused {
				whole, err := matrix(f, p+fm.name, cfg.Embd, sum(fm.rows))
				if err != nil {
					return nil, err
				}
				lo := 0
				for i, part := range fm.parts {
					*part = rowRange(whole, lo, lo+fm.rows[i])
					lo += fm.rows[i]
				}
			}
			if _, ok := f.Tensor(p + "attn_qkv.bias"); ok {
				b, err := vector(f, p+"attn_qkv.bias", qDim+2*kvDim)
				if err != nil {
					return nil, err
				}
				l.bq, l.bk, l.bv = b[:qDim:qDim], b[qDim:qDim+kvDim:qDim+kvDim], b[qDim+kvDim:]
			}
		}
		for _, m := range mats {
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
		if cfg.PostNorm {
			if l.attnPostNorm, err = vector(f, p+"post_attention_norm.weight", cfg.Embd); err != nil {
				return nil, err
			}
			if l.ffnPostNorm, err = vector(f, p+"post_ffw_norm.weight", cfg.Embd); err != nil {
				return nil, err
			}
		}
		if cfg.SWA != nil && cfg.SWA[i] {
			l.window = cfg.SlidingWindow
			l.ropeSWA = cfg.RopeBaseSWA != 0
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
	// Phi-3 has short and long factors instead (rope_factors_short,
	// rope_factors_long): llama.cpp takes the long ones for a context
	// longer than the original one, the short ones otherwise.
	var factors, long []float32
	for _, v := range []struct {
		dst  *[]float32
		name string
	}{{&factors, "rope_freqs.weight"}, {&factors, "rope_factors_short.weight"}, {&long, "rope_factors_long.weight"}} {
		if _, ok := f.Tensor(v.name); ok && *v.dst == nil {
			if *v.dst, err = vector(f, v.name, cfg.RopeDim/2); err != nil {
				return nil, err
			}
		}
	}
	t.thetaScale = float32(math.Pow(cfg.RopeBase, -2/float64(cfg.RopeDim)))
	t.ropeFactor = ropeFactors(cfg.RopeScale, factors, cfg.RopeDim/2)
	if cfg.RopeBaseSWA != 0 && cfg.SWA != nil {
		t.thetaScaleSWA = float32(math.Pow(cfg.RopeBaseSWA, -2/float64(cfg.RopeDim)))
		t.ropeFactorSWA = ropeFactors(1, nil, cfg.RopeDim/2)
	}
	if long != nil {
		t.ropeFactorLong = ropeFactors(cfg.RopeScale, long, cfg.RopeDim/2)
	} else if _, ok := f.Tensor("rope_factors_short.weight"); ok {
		t.ropeFactorLong = ropeFactors(cfg.RopeScale, nil, cfg.RopeDim/2)
	}
	return t, nil
}

// ropeFactors returns each pair's angle factor: the frequency scale
// divided by the pair's frequency factor, where there is one.
func ropeFactors(scale float64, factors []float32, n int) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(scale)
		if factors != nil && factors[i] != 0 {
			out[i] /= factors[i]
		}
	}
	return out
}

// rowRange returns rows [lo, hi) of m, sharing its data.
func rowRange(m quant.Matrix, lo, hi int) quant.Matrix {
	rb := m.RowBytes()
	return quant.Matrix{Type: m.Type, Rows: hi - lo, Cols: m.Cols, Data: m.Data[lo*rb : hi*rb : hi*rb]}
}

func sum(v []int) int {
	s := 0
	for _, x := range v {
		s += x
	}
	return s
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
	// ropeFactor is the transformer's, or its long factors for a
	// sequence longer than the original context (Phi-3).
	ropeFactor []float32
}

type stateBuf struct {
	act                      quant.Activation
	ys                       [3][]float32
	logits                   []float32
	n                        int
	x, xb, q, kk, vv, att, o []float32
	g, u                     []float32
	rope                     []float32 // per token: cos and sin of each pair's angle
	ropeSWA                  []float32 // the same for the sliding-window layers' RoPE
	scores                   []float32 // per (token, head) worker: scratch
}

// NewState returns an empty sequence that can hold up to maxLen tokens
// (the model's trained context when maxLen <= 0).
func (t *Transformer) NewState(maxLen int) *State {
	if maxLen <= 0 {
		maxLen = t.cfg.ContextLen
	}
	s := &State{t: t, maxLen: maxLen, k: make([][]uint16, t.cfg.Layers), v: make([][]uint16, t.cfg.Layers), ropeFactor: t.ropeFactor}
	orig := t.cfg.RopeOrigContext
	if orig == 0 {
		orig = t.cfg.ContextLen
	}
	if t.ropeFactorLong != nil && maxLen > orig {
		s.ropeFactor = t.ropeFactorLong
	}
	return s
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
		if s.t.ropeFactorSWA != nil {
			b.ropeSWA = make([]float32, n*c.RopeDim)
		}
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
	if c.EmbedScale != 0 {
		for i := range x {
			x[i] *= c.EmbedScale
		}
	}
	for i := range n {
		t.ropeAngles(b.rope[i*c.RopeDim:(i+1)*c.RopeDim], s.pos+i, t.thetaScale, s.ropeFactor)
		if t.ropeFactorSWA != nil {
			t.ropeAngles(b.ropeSWA[i*c.RopeDim:(i+1)*c.RopeDim], s.pos+i, t.thetaScaleSWA, t.ropeFactorSWA)
		}
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
		angles := b.rope
		if l.ropeSWA {
			angles = b.ropeSWA
		}
		for i := range n {
			cs := angles[i*c.RopeDim : (i+1)*c.RopeDim]
			t.rope(q[i*qDim:(i+1)*qDim], c.Heads, cs)
			t.rope(kk[i*kvDim:(i+1)*kvDim], c.KVHeads, cs)
		}
		toF16(s.k[li][s.pos*kvDim:], kk)
		toF16(s.v[li][s.pos*kvDim:], vv)
		if c.QueryScale != 0 {
			for i := range q {
				q[i] *= c.QueryScale
			}
		}
		s.attention(li, q, att, n)
		if err := t.matmul(l.wo, att, n, o); err != nil {
			return nil, err
		}
		if l.attnPostNorm != nil {
			rmsNormRows(o, o, l.attnPostNorm, c.Embd, c.RMSEps)
		}
		addInto(x, o)

		rmsNormRows(xb, x, l.ffnNorm, c.Embd, c.RMSEps)
		b.ys[0], b.ys[1] = g, u
		if err := s.project(l.gateUp, l.guOne, xb, n, b.ys[:2]); err != nil {
			return nil, err
		}
		gated := swiglu
		if c.GELU {
			gated = geglu
		}
		t.pool.For(len(g), max(1024, len(g)/(4*t.pool.Threads())), func(lo, hi int) {
			gated(g[lo:hi], u[lo:hi])
		})
		if err := t.matmul(l.down, g, n, o); err != nil {
			return nil, err
		}
		if l.ffnPostNorm != nil {
			rmsNormRows(o, o, l.ffnPostNorm, c.Embd, c.RMSEps)
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
	if cp := c.FinalSoftcap; cp != 0 {
		softcap(logits, cp)
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
	if c.QueryScale != 0 {
		scale = 1 // the queries are scaled
	}
	window, softcap := s.t.layers[li].window, c.AttnSoftcap
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
			if window > 0 && span > window {
				// Sliding window: positions pos+i-window+1..pos+i.
				kvOff += (span - window) * kvDim
				span = window
			}
			clear(acc)
			var S float32
			if softcap != 0 {
				S = attendF16Capped(q16, kc[kvOff:], vc[kvOff:], kvDim, span, scale, softcap, acc)
			} else {
				S = attendF16(q16, kc[kvOff:], vc[kvOff:], kvDim, span, scale, acc)
			}
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

// attendF16Capped is attendF16Go with each score capped smoothly at
// ±softcap, as llama.cpp's flash attention caps it: the scale is divided
// by the cap, and the score becomes cap·tanh(score).
func attendF16Capped(q16, k, v []uint16, stride, span int, scale, softcap float32, acc []uint16) float32 {
	hd := len(q16)
	scale /= softcap
	M := float32(math.Inf(-1))
	var S float32
	for p := range span {
		row := p * stride
		sc := dotF16(q16, k[row:row+hd]) * scale
		sc = softcap * float32(math.Tanh(float64(sc)))
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

// softcap sets each x to cp·tanh(x/cp), in the steps of llama.cpp's graph.
func softcap(v []float32, cp float32) {
	inv := 1 / cp
	for i, x := range v {
		v[i] = float32(math.Tanh(float64(x*inv))) * cp
	}
}

// geluTable holds GELU (tanh approximation) of every F16 value, in F16:
// ggml computes GeGLU through such a table, and so the runtime does.
var geluTable = sync.OnceValue(func() *[1 << 16]uint16 {
	var t [1 << 16]uint16
	const a, c = float32(0.044715), float32(0.79788456080286535587989211986876)
	for h := range t {
		x := quant.FP16ToFP32(uint16(h))
		y := float32(0.5) * x * (1 + float32(math.Tanh(float64(c*x*(1+a*x*x)))))
		t[h] = quant.FP32ToFP16(y)
	}
	return &t
})

// geglu sets g = gelu(g) * u, GELU read from geluTable as ggml reads it
// (exact beyond ±10).
func geglu(g, u []float32) {
	t := geluTable()
	u = u[:len(g)]
	for i, x := range g {
		switch {
		case x <= -10:
			g[i] = 0
		case x >= 10:
			g[i] = x * u[i]
		default:
			g[i] = quant.FP16ToFP32(t[quant.FP32ToFP16(x)]) * u[i]
		}
	}
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
func (t *Transformer) ropeAngles(cs []float32, pos int, thetaScale float32, factor []float32) {
	theta := float32(pos)
	for i := range factor {
		sin, cos := math.Sincos(float64(theta * factor[i]))
		theta *= thetaScale
		cs[2*i], cs[2*i+1] = float32(cos), float32(sin)
	}
	if m := t.cfg.RopeAttnFactor; m != 0 && m != 1 {
		for i := range cs[:2*len(factor)] {
			cs[i] *= m
		}
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
