package local

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/plait-ai/plait/internal/testenv"
	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/llm/local/chat"
	"github.com/plait-ai/plait/llm/local/ggml"
	"github.com/plait-ai/plait/llm/local/gguf"
	"github.com/plait-ai/plait/llm/local/quant"
)

// writeArchs, when set, writes the models of TestArchitectureReferenceModels
// into that folder, for an independent engine to compute their expected
// outputs (testdata/archs/README.md).
var writeArchs = flag.String("write-archs", "", "write the architecture test models into this folder")

// archSpec describes a tiny random model of one architecture: its shape,
// the metadata its family reads, and how its tensors are laid out.
type archSpec struct {
	arch                                  string
	embd, layers, heads, kv, headDim, ffn int
	ctx                                   int
	seed                                  uint64
	typ                                   ggml.Type // of the layers' matrices
	kvs                                   []archKV  // the family's own metadata
	fusedQKV, fusedFFN                    bool      // Phi-3's attn_qkv, and ffn_up holding gate and up
	postNorm                              bool      // Gemma 2's post_attention_norm, post_ffw_norm
	qkNorm                                bool      // Gemma 3's attn_q_norm, attn_k_norm
	tied                                  bool      // no output.weight
	ropeFactors                           bool      // Phi-3's rope_factors_short and rope_factors_long
	// embdSD is the token embeddings' standard deviation times
	// sqrt(embd) (3 where 0), outNorm the output norm's mean (1 where 0):
	// with tied embeddings, small embeddings and a large output norm keep
	// the model from predicting the token it has just read.
	embdSD, outNorm float64
	quantEmbd       bool // token embeddings in typ too (F32 otherwise)
}

// archKV is one metadata entry of a test model.
type archKV struct {
	key   string
	value any
}

// archCases are the models TestArchitectureReferenceModels makes, and how
// close their log-probabilities must be to llama.cpp's (largest difference
// and 95th percentile).
//
// The F32 models agree to a few ten-thousandths at the median. Their
// large, peaked logits amplify last-bit differences a little more than the
// shared tiny-llama-spm-f32 model does: a llama model made by
// buildArchModel with the Phi-3 case's shape differs from llama.cpp as
// much (median 4e-4, 95th percentile 1.6e-3), so the Phi-3 tolerance is
// that of the llama path on such weights. With Q8_0 weights, activations
// are quantized to 8 bits, as TestRequantizedReferenceModels explains.
var archCases = []struct {
	name     string
	spec     archSpec
	max, p95 float64
}{
	{"tiny-phi3-spm-f32", archSpec{
		arch: "phi3", embd: 96, layers: 2, heads: 4, kv: 2, headDim: 24, ffn: 160, ctx: 1024, seed: 31, typ: ggml.F32,
		kvs: []archKV{
			{"phi3.rope.scaling.original_context_length", uint32(256)},
			{"phi3.rope.scaling.attn_factor", float32(1.1)},
			// Read, and not applied, as llama.cpp does not.
			{"phi3.attention.sliding_window", uint32(8)},
		},
		fusedQKV: true, fusedFFN: true, ropeFactors: true,
	}, 8e-3, 2.5e-3},
	// Context 256 exceeds this one's original context (128): the long
	// factors apply.
	{"tiny-phi3-long-spm-f32", archSpec{
		arch: "phi3", embd: 64, layers: 2, heads: 4, kv: 2, headDim: 16, ffn: 128, ctx: 4096, seed: 33, typ: ggml.F32,
		kvs: []archKV{
			{"phi3.rope.scaling.original_context_length", uint32(128)},
			{"phi3.rope.scaling.attn_factor", float32(1.3)},
			{"phi3.attention.sliding_window", uint32(0)},
		},
		fusedQKV: true, fusedFFN: true, ropeFactors: true,
	}, 8e-3, 2.5e-3},
	{"tiny-phi3-spm-q8_0", archSpec{
		arch: "phi3", embd: 128, layers: 2, heads: 4, kv: 4, headDim: 32, ffn: 256, ctx: 256, seed: 37, typ: ggml.Q8_0,
		kvs:      []archKV{{"phi3.attention.sliding_window", uint32(0)}},
		fusedQKV: false, fusedFFN: true, tied: true,
	}, 0.25, 0.1},
	{"tiny-gemma-spm-f32", archSpec{
		arch: "gemma", embd: 64, layers: 2, heads: 4, kv: 1, headDim: 32, ffn: 160, ctx: 512, seed: 41, typ: ggml.F32,
		tied: true, embdSD: 0.5, outNorm: 4,
	}, 5e-3, 1e-3},
	{"tiny-gemma2-spm-f32", archSpec{
		arch: "gemma2", embd: 64, layers: 3, heads: 4, kv: 2, headDim: 32, ffn: 160, ctx: 512, seed: 43, typ: ggml.F32,
		kvs: []archKV{
			{"gemma2.attn_logit_softcapping", float32(4)},
			{"gemma2.final_logit_softcapping", float32(10)},
			{"gemma2.attention.sliding_window", uint32(6)},
		},
		postNorm: true, tied: true, embdSD: 0.5, outNorm: 4,
	}, 5e-3, 1e-3},
	// Q8_0 throughout, the tied output included; no caps in the file (the
	// defaults, 50 and 30, apply).
	{"tiny-gemma2-spm-q8_0", archSpec{
		arch: "gemma2", embd: 128, layers: 2, heads: 8, kv: 4, headDim: 32, ffn: 256, ctx: 512, seed: 47, typ: ggml.Q8_0,
		kvs:      []archKV{{"gemma2.attention.sliding_window", uint32(8)}},
		postNorm: true, tied: true, embdSD: 0.5, outNorm: 4, quantEmbd: true,
	}, 0.25, 0.1},
	// Layers 0-4 slide over 6 positions with RoPE base 10000, layer 5
	// attends to everything with the file's base 1e6 and linear scale 1/8.
	// Six layers amplify last-bit differences more than Gemma 2's three:
	// a Gemma 2 model of this shape, made by buildArchModel, differs from
	// llama.cpp as much (median 5e-4, 95th percentile 1.8e-3), hence
	// Phi-3's tolerance.
	{"tiny-gemma3-spm-f32", archSpec{
		arch: "gemma3", embd: 64, layers: 6, heads: 4, kv: 2, headDim: 32, ffn: 128, ctx: 2048, seed: 53, typ: ggml.F32,
		kvs: []archKV{
			{"gemma3.attention.sliding_window", uint32(6)},
			{"gemma3.rope.freq_base", float32(1e6)},
			{"gemma3.rope.scaling.type", "linear"},
			{"gemma3.rope.scaling.factor", float32(8)},
		},
		postNorm: true, qkNorm: true, tied: true, embdSD: 0.5, outNorm: 4,
	}, 8e-3, 2.5e-3},
	// No RoPE scaling, one KV head, head size 16, window 8; layer 6
	// slides again after the global layer 5.
	{"tiny-gemma3-noscale-spm-f32", archSpec{
		arch: "gemma3", embd: 48, layers: 7, heads: 3, kv: 1, headDim: 16, ffn: 96, ctx: 1024, seed: 59, typ: ggml.F32,
		kvs: []archKV{
			{"gemma3.attention.sliding_window", uint32(8)},
			{"gemma3.rope.freq_base", float32(1e6)},
		},
		postNorm: true, qkNorm: true, tied: true, embdSD: 0.5, outNorm: 4,
	}, 8e-3, 2.5e-3},
	// Q8_0 throughout, the tied output included.
	{"tiny-gemma3-spm-q8_0", archSpec{
		arch: "gemma3", embd: 128, layers: 6, heads: 4, kv: 2, headDim: 32, ffn: 256, ctx: 2048, seed: 61, typ: ggml.Q8_0,
		kvs: []archKV{
			{"gemma3.attention.sliding_window", uint32(8)},
			{"gemma3.rope.freq_base", float32(1e6)},
			{"gemma3.rope.scaling.type", "linear"},
			{"gemma3.rope.scaling.factor", float32(8)},
		},
		postNorm: true, qkNorm: true, tied: true, embdSD: 0.5, outNorm: 4, quantEmbd: true,
	}, 0.25, 0.1},
}

// buildArchModel writes the model spec describes, with the tokenizer of
// the GGUF file vocab, and returns its bytes: they depend on nothing but
// spec and vocab.
func buildArchModel(spec archSpec, vocab *gguf.File) ([]byte, error) {
	tokens, err := vocab.Strings("tokenizer.ggml.tokens")
	if err != nil {
		return nil, err
	}
	nv := uint64(len(tokens))
	a := spec.arch + "."
	var w gguf.Writer
	w.Set("general.architecture", spec.arch)
	w.Set("general.name", "tiny random model")
	w.Set(a+"context_length", uint32(spec.ctx))
	w.Set(a+"embedding_length", uint32(spec.embd))
	w.Set(a+"block_count", uint32(spec.layers))
	w.Set(a+"feed_forward_length", uint32(spec.ffn))
	w.Set(a+"attention.head_count", uint32(spec.heads))
	w.Set(a+"attention.head_count_kv", uint32(spec.kv))
	w.Set(a+"attention.key_length", uint32(spec.headDim))
	w.Set(a+"attention.value_length", uint32(spec.headDim))
	w.Set(a+"rope.dimension_count", uint32(spec.headDim))
	w.Set(a+"attention.layer_norm_rms_epsilon", float32(1e-6))
	for _, kv := range spec.kvs {
		w.Set(kv.key, kv.value)
	}
	for _, kv := range vocab.KVs() {
		if strings.HasPrefix(kv.Key, "tokenizer.") {
			w.Set(kv.Key, kv.Value)
		}
	}
	rng := rand.New(rand.NewPCG(spec.seed, spec.seed+1))
	var addErr error
	// add writes a tensor of normal values of standard deviation sd about
	// mean, in typ (F32 for vectors).
	add := func(name string, typ ggml.Type, mean, sd float64, dims ...uint64) {
		n := uint64(1)
		for _, d := range dims {
			n *= d
		}
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(mean + sd*rng.NormFloat64())
		}
		if len(dims) == 1 {
			typ = ggml.F32
		}
		size, err := quant.RowBytes(typ, int(n))
		if err == nil {
			data := make([]byte, size)
			if err = quant.Quantize(typ, x, data); err == nil {
				err = w.AddTensor(name, typ, dims, gguf.Bytes(data))
			}
		}
		if err != nil && addErr == nil {
			addErr = fmt.Errorf("%s: %w", name, err)
		}
	}
	embd, hd := uint64(spec.embd), uint64(spec.headDim)
	qDim, kvDim, ffn := uint64(spec.heads)*hd, uint64(spec.kv)*hd, uint64(spec.ffn)
	mat := func(name string, cols, rows uint64) {
		add(name, spec.typ, 0, 1/math.Sqrt(float64(cols)), cols, rows)
	}
	// The embeddings (and output matrix) are kept in F32; logits of a
	// few units spread the next-token distribution.
	embdSD, outNorm := cmp.Or(spec.embdSD, 3), cmp.Or(spec.outNorm, 1)
	embdTyp := ggml.F32
	if spec.quantEmbd {
		embdTyp = spec.typ
	}
	add("token_embd.weight", embdTyp, 0, embdSD/math.Sqrt(float64(embd)), embd, nv)
	add("output_norm.weight", ggml.F32, outNorm, 0.2, embd)
	if !spec.tied {
		add("output.weight", ggml.F32, 0, 3/math.Sqrt(float64(embd)), embd, nv)
	}
	if spec.ropeFactors {
		f := func(name string, hi float64) {
			x := make([]float32, hd/2)
			for i := range x {
				x[i] = float32(1 + hi*rng.Float64())
			}
			data := make([]byte, 4*len(x))
			_ = quant.Quantize(ggml.F32, x, data)
			if err := w.AddTensor(name, ggml.F32, []uint64{hd / 2}, gguf.Bytes(data)); err != nil && addErr == nil {
				addErr = err
			}
		}
		f("rope_factors_long.weight", 8)
		f("rope_factors_short.weight", 0.5)
	}
	for l := range spec.layers {
		p := fmt.Sprintf("blk.%d.", l)
		add(p+"attn_norm.weight", ggml.F32, 1, 0.2, embd)
		if spec.fusedQKV {
			mat(p+"attn_qkv.weight", embd, qDim+2*kvDim)
		} else {
			mat(p+"attn_q.weight", embd, qDim)
			mat(p+"attn_k.weight", embd, kvDim)
			mat(p+"attn_v.weight", embd, kvDim)
		}
		if spec.qkNorm {
			add(p+"attn_q_norm.weight", ggml.F32, 1, 0.2, hd)
			add(p+"attn_k_norm.weight", ggml.F32, 1, 0.2, hd)
		}
		mat(p+"attn_output.weight", qDim, embd)
		if spec.postNorm {
			add(p+"post_attention_norm.weight", ggml.F32, 1, 0.2, embd)
		}
		add(p+"ffn_norm.weight", ggml.F32, 1, 0.2, embd)
		if spec.fusedFFN {
			mat(p+"ffn_up.weight", embd, 2*ffn)
		} else {
			mat(p+"ffn_gate.weight", embd, ffn)
			mat(p+"ffn_up.weight", embd, ffn)
		}
		mat(p+"ffn_down.weight", ffn, embd)
		if spec.postNorm {
			add(p+"post_ffw_norm.weight", ggml.F32, 1, 0.2, embd)
		}
	}
	if addErr != nil {
		return nil, addErr
	}
	return w.Bytes()
}

// archExpected is llama.cpp's outputs for one model (see expected), with
// the SHA-256 of the file it ran.
type archExpected struct {
	SHA256 string `json:"sha256"`
	expected
}

// TestArchitectureReferenceModels holds the Phi-3, Gemma, Gemma 2 and
// Gemma 3 forward passes to llama.cpp: a tiny random model of each (made here,
// deterministically, with a real SentencePiece vocabulary) is run with
// teacher forcing on the prompts llama.cpp ran on the very same file (its
// SHA-256 is checked first), and every step's top log-probabilities are
// compared, as TestReferenceModels does for the shared models.
func TestArchitectureReferenceModels(t *testing.T) {
	vocabPath := testenv.Shared(t, "tokenizer", "ggml-vocab-llama-spm.gguf")
	vocab, err := gguf.Open(vocabPath)
	if err != nil {
		t.Fatal(err)
	}
	defer vocab.Close()
	for _, ac := range archCases {
		t.Run(ac.name, func(t *testing.T) {
			raw, err := buildArchModel(ac.spec, vocab)
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(raw)
			if *writeArchs != "" {
				path := filepath.Join(*writeArchs, ac.name+".gguf")
				if err := os.WriteFile(path, raw, 0o644); err != nil {
					t.Fatal(err)
				}
				t.Logf("wrote %s (sha256 %s)", path, hex.EncodeToString(sum[:]))
				return
			}
			exp, err := os.ReadFile(filepath.Join("testdata", "archs", ac.name+".expected.json"))
			if err != nil {
				t.Fatal(err)
			}
			var want archExpected
			if err := json.Unmarshal(exp, &want); err != nil {
				t.Fatal(err)
			}
			if got := hex.EncodeToString(sum[:]); got != want.SHA256 {
				t.Fatalf("the model's SHA-256 is %s, llama.cpp ran %s: the model builder no longer writes the same bytes", got, want.SHA256)
			}
			f, err := gguf.Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			pool := quant.NewPool(2)
			defer pool.Close()
			tr, err := newTransformer(f, pool)
			if err != nil {
				t.Fatal(err)
			}
			for _, simd := range []bool{true, false} {
				path := map[bool]string{true: "simd", false: "portable"}[simd]
				t.Run(path, func(t *testing.T) {
					n := len(want.Cases)
					if raceEnabled {
						if !simd {
							t.Skip("the portable loops are slow under the race detector")
						}
						n = 1
					}
					prev := quant.SetSIMD(simd)
					defer quant.SetSIMD(prev)
					diffs := compareWithReference(t, tr, 256, want.expected, n, ac.max, 0.1)
					checkDiffs(t, ac.name+"/"+path, diffs, n, ac.p95)
				})
			}
		})
	}
}

// archModels holds the models archModel built, by spec.
var archModels = struct {
	sync.Mutex
	m map[string][]byte
}{m: map[string][]byte{}}

// archModel builds spec's model (once per test binary) and loads it.
func archModel(t *testing.T, spec archSpec) *Transformer {
	t.Helper()
	f, err := gguf.Parse(archModelBytes(t, spec))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := newTransformer(f, quant.NewPool(2))
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// archModelBytes builds spec's model once per test binary.
func archModelBytes(t *testing.T, spec archSpec) []byte {
	t.Helper()
	key := fmt.Sprintf("%+v", spec)
	archModels.Lock()
	raw, ok := archModels.m[key]
	archModels.Unlock()
	if !ok {
		vocab, err := gguf.Open(testenv.Shared(t, "tokenizer", "ggml-vocab-llama-spm.gguf"))
		if err != nil {
			t.Fatal(err)
		}
		defer vocab.Close()
		if raw, err = buildArchModel(spec, vocab); err != nil {
			t.Fatal(err)
		}
		archModels.Lock()
		archModels.m[key] = raw
		archModels.Unlock()
	}
	return raw
}

// The new architectures (with F32 weights) give the same logits for a
// prompt evaluated in one batch and token by token, past the Gemma 2 and
// Gemma 3 sliding windows, on the SIMD and portable paths.
func TestArchitecturesBatchMatchesSequential(t *testing.T) {
	toks := []int32{1, 450, 4996, 17354, 1701, 29916, 432, 17204, 975, 278, 17366, 11203}
	for _, ac := range archCases {
		if ac.spec.typ != ggml.F32 {
			// Quantized activations: a last-bit difference between the
			// batch and single-token kernels can flip an 8-bit value.
			continue
		}
		tr := archModel(t, ac.spec)
		for _, simd := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/simd=%v", ac.name, simd), func(t *testing.T) {
				if raceEnabled && !simd {
					t.Skip("the portable loops are slow under the race detector")
				}
				prev := quant.SetSIMD(simd)
				defer quant.SetSIMD(prev)
				all, err := tr.NewState(64).Forward(context.Background(), toks, true)
				if err != nil {
					t.Fatal(err)
				}
				all = slices.Clone(all)
				st := tr.NewState(64)
				V := tr.cfg.Vocab
				for i, tk := range toks {
					one, err := st.Forward(context.Background(), []int32{tk}, false)
					if err != nil {
						t.Fatal(err)
					}
					for j := range one {
						if d := math.Abs(float64(one[j] - all[i*V+j])); d > 1e-3 {
							t.Fatalf("token %d logit %d: sequential %v, batch %v", i, j, one[j], all[i*V+j])
						}
					}
				}
			})
		}
	}
}

// Phi-3 files with attn_q/k/v instead of attn_qkv run the same: the
// builder draws the same weights for both layouts.
func TestPhi3SeparateQKV(t *testing.T) {
	spec := archCases[0].spec
	fused := archModel(t, spec)
	spec.fusedQKV = false
	sep := archModel(t, spec)
	toks := []int32{1, 450, 4996, 17354, 1701}
	a, err := fused.NewState(64).Forward(context.Background(), toks, true)
	if err != nil {
		t.Fatal(err)
	}
	a = slices.Clone(a)
	b, err := sep.NewState(64).Forward(context.Background(), toks, true)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a, b) {
		t.Error("fused and separate q/k/v give different logits")
	}
}

// Phi-3 takes rope_factors_short for a sequence within the original
// context and rope_factors_long beyond it, as llama.cpp chooses by its
// context size.
func TestPhi3RopeFactors(t *testing.T) {
	spec := archCases[0].spec // original context 256 of 1024
	tr := archModel(t, spec)
	if tr.ropeFactorLong == nil {
		t.Fatal("the long factors were not loaded")
	}
	short, long := tr.NewState(256), tr.NewState(257)
	if &short.ropeFactor[0] != &tr.ropeFactor[0] || &long.ropeFactor[0] != &tr.ropeFactorLong[0] {
		t.Error("a 256-token state must use the short factors, a 257-token one the long ones")
	}
	if slices.Equal(tr.ropeFactor, tr.ropeFactorLong) {
		t.Error("short and long factors are the same")
	}
	toks := []int32{1, 450, 4996, 17354, 1701}
	a, err := short.Forward(context.Background(), toks, false)
	if err != nil {
		t.Fatal(err)
	}
	a = slices.Clone(a)
	b, err := long.Forward(context.Background(), toks, false)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Equal(a, b) {
		t.Error("the long factors change nothing")
	}
}

// Gemma 2's configuration: sliding window on every other layer from the
// first, soft caps, post norms.
func TestGemma2Config(t *testing.T) {
	tr := archModel(t, archCases[4].spec)
	c := tr.Config()
	if !c.PostNorm || !c.GELU || c.AttnSoftcap != 4 || c.FinalSoftcap != 10 || c.SlidingWindow != 6 || c.HeadDim != 32 {
		t.Errorf("config %+v", c)
	}
	for i, l := range tr.layers {
		if want := map[bool]int{true: 6, false: 0}[i%2 == 0]; l.window != want {
			t.Errorf("layer %d window %d, want %d", i, l.window, want)
		}
	}
}

// Gemma 3's configuration: five layers of six slide, on RoPE base 10000
// without scaling; the others take the file's base and linear scale.
func TestGemma3Config(t *testing.T) {
	for _, ac := range archCases[6:8] {
		tr := archModel(t, ac.spec)
		c := tr.Config()
		if !c.QKNorm || !c.PostNorm || !c.GELU || c.AttnSoftcap != 0 || c.FinalSoftcap != 0 || c.RopeBaseSWA != 10000 || c.RopeBase != 1e6 {
			t.Errorf("%s: config %+v", ac.name, c)
		}
		if ac.name == "tiny-gemma3-spm-f32" && c.RopeScale != 1.0/8 {
			t.Errorf("%s: RopeScale %v, want 1/8", ac.name, c.RopeScale)
		}
		for i, l := range tr.layers {
			slides := i%6 != 5
			if want := map[bool]int{true: c.SlidingWindow, false: 0}[slides]; l.window != want || l.ropeSWA != slides {
				t.Errorf("%s: layer %d window %d (RoPE of the window: %v), want %d", ac.name, i, l.window, l.ropeSWA, want)
			}
		}
	}
}

// Gemma 3 files converted by Ollama: a per-layer pattern of bools, RoPE
// bases named rope.local.freq_base and rope.global.freq_base, or none.
func TestGemma3OllamaMetadata(t *testing.T) {
	base := archCases[7].spec // 7 layers, base 1e6, no scaling
	pattern := []bool{true, false, true, true, true, true, false}
	for _, tc := range []struct {
		name        string
		kvs         []archKV
		local, glob float64
		swa         []bool
	}{
		{"bool pattern", []archKV{{"gemma3.attention.sliding_window", uint32(8)}, {"gemma3.rope.freq_base", float32(1e6)}, {"gemma3.attention.sliding_window_pattern", pattern}}, 10000, 1e6, pattern},
		{"named bases", []archKV{{"gemma3.attention.sliding_window", uint32(8)}, {"gemma3.rope.local.freq_base", float32(20000)}, {"gemma3.rope.global.freq_base", float32(5e5)}}, 20000, 5e5, nil},
		{"no bases", []archKV{{"gemma3.attention.sliding_window", uint32(8)}}, 10000, 1e6, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := base
			spec.kvs = tc.kvs
			c := archModel(t, spec).Config()
			if c.RopeBaseSWA != tc.local || c.RopeBase != tc.glob {
				t.Errorf("RoPE bases %v (sliding) and %v, want %v and %v", c.RopeBaseSWA, c.RopeBase, tc.local, tc.glob)
			}
			want := tc.swa
			if want == nil {
				want = []bool{true, true, true, true, true, false, true}
			}
			if !slices.Equal(c.SWA, want) {
				t.Errorf("sliding layers %v, want %v", c.SWA, want)
			}
		})
	}
	spec := base
	spec.kvs = []archKV{{"gemma3.attention.sliding_window", uint32(8)}, {"gemma3.attention.sliding_window_pattern", []bool{true, false}}}
	f, err := gguf.Parse(archModelBytes(t, spec))
	if err != nil {
		t.Fatal(err)
	}
	pool := quant.NewPool(1)
	defer pool.Close()
	if _, err := newTransformer(f, pool); !errors.Is(err, ErrUnsupportedModel) {
		t.Errorf("a pattern of 2 bools for 7 layers: %v, want ErrUnsupportedModel", err)
	}
}

// A RoPE scaling factor without a type is linear, as in llama.cpp.
func TestRopeScalingWithoutType(t *testing.T) {
	spec := archCases[6].spec
	spec.kvs = slices.DeleteFunc(slices.Clone(spec.kvs), func(kv archKV) bool { return kv.key == "gemma3.rope.scaling.type" })
	if got := archModel(t, spec).Config().RopeScale; got != 1.0/8 {
		t.Errorf("RopeScale %v, want 1/8", got)
	}
	spec.kvs = append(slices.Clone(spec.kvs), archKV{"gemma3.rope.scaling.type", "yarn"})
	raw := archModelBytes(t, spec)
	f, err := gguf.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	pool := quant.NewPool(1)
	defer pool.Close()
	if _, err := newTransformer(f, pool); !errors.Is(err, ErrUnsupportedModel) {
		t.Errorf("yarn scaling: %v, want ErrUnsupportedModel", err)
	}
}

// The new architectures load as Models, with the chat family of their
// template, and generate through it.
func TestArchitecturesThroughModel(t *testing.T) {
	vocab, err := gguf.Open(testenv.Shared(t, "tokenizer", "ggml-vocab-llama-spm.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	defer vocab.Close()
	for _, tc := range []struct {
		spec     archSpec
		template string
		want     chat.Family
	}{
		{archCases[0].spec, "{% for message in messages %}{{'<|' + message['role'] + '|>\n' + message['content'] + '<|end|>\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% endif %}", chat.Phi3},
		{archCases[4].spec, "{{ bos_token }}{% for message in messages %}{{ '<start_of_turn>' + role + '\n' + message['content'] | trim + '<end_of_turn>\n' }}{% endfor %}", chat.Gemma},
		{archCases[3].spec, "", chat.Gemma},
		{archCases[6].spec, "", chat.Gemma},
	} {
		t.Run(tc.spec.arch, func(t *testing.T) {
			spec := tc.spec
			if tc.template != "" {
				spec.kvs = append(slices.Clone(spec.kvs), archKV{"tokenizer.chat_template", tc.template})
			}
			raw, err := buildArchModel(spec, vocab)
			if err != nil {
				t.Fatal(err)
			}
			f, err := gguf.Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			m, err := New(f, Options{Threads: 2, ContextLen: 256})
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			if got := m.Template().Family(); got != tc.want {
				t.Errorf("template family %s, want %s", got, tc.want)
			}
			req := &llm.Request{
				Messages:    []llm.Message{llm.SystemMessage("You are terse."), llm.UserMessage("Hello")},
				Temperature: llm.Ptr(0.0),
				MaxTokens:   6,
			}
			a, err := m.Generate(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			b, err := m.Generate(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			if a.Usage.InputTokens == 0 || a.Usage.OutputTokens == 0 || a.Text() != b.Text() {
				t.Errorf("generations %q (%+v) and %q", a.Text(), a.Usage, b.Text())
			}
		})
	}
}
