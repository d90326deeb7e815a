package local

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/plait-ai/plait/llm/local/ggml"
	"github.com/plait-ai/plait/llm/local/gguf"
	"github.com/plait-ai/plait/llm/local/quant"
)

// kquantMixes give each tensor's type in tiny models of the 2- and 3-bit
// K-quant files: Q2_K and Q3_K for most matrices, with higher types where
// llama-quantize puts them (attn_v, ffn_down, attn_output, output). The
// all-Q4_K and all-Q8_0 models show what the comparison with the F32 twin
// gives for types with SIMD kernels checked elsewhere.
var kquantMixes = map[string]func(tensor string, layer int) ggml.Type{
	"q4_k": func(string, int) ggml.Type { return ggml.Q4_K }, // for comparison
	"q8_0": func(string, int) ggml.Type { return ggml.Q8_0 }, // for comparison
	"q2_k": func(tensor string, layer int) ggml.Type {
		switch tensor {
		case "output":
			return ggml.Q6_K
		case "attn_v", "ffn_down", "attn_output":
			return ggml.Q3_K
		}
		return ggml.Q2_K
	},
	"q3_k_m": func(tensor string, layer int) ggml.Type {
		switch tensor {
		case "output":
			return ggml.Q6_K
		case "attn_v":
			return ggml.Q5_K
		case "ffn_down":
			if layer == 0 {
				return ggml.Q5_K
			}
			return ggml.Q4_K
		case "attn_output":
			return ggml.Q4_K
		}
		return ggml.Q3_K
	},
	// Q3_K_M as llama-quantize writes it for a model whose width is not a
	// multiple of 256 (Qwen2.5-0.5B's 896): the matrices whose rows are
	// the width fall back to IQ4_NL (the output to Q8_0), ffn_down keeps
	// its K-quants, so one forward pass alternates Q8_0 and Q8_K inputs.
	"q3_k_m_nl": func(tensor string, layer int) ggml.Type {
		switch tensor {
		case "output":
			return ggml.Q8_0
		case "ffn_down":
			if layer == 0 {
				return ggml.Q5_K
			}
			return ggml.Q4_K
		}
		return ggml.IQ4_NL
	},
	// IQ4_XS: the output in Q6_K and attn_v in Q5_K, as llama-quantize
	// raises them.
	"iq4_xs": func(tensor string, layer int) ggml.Type {
		switch tensor {
		case "output":
			return ggml.Q6_K
		case "attn_v":
			return ggml.Q5_K
		}
		return ggml.IQ4_XS
	},
}

// writeTinyK writes a tiny model whose rows are whole K-quant blocks, with
// the matrices in the types mix gives (norms stay F32), and its twin whose
// matrices are the F32 values those blocks decode to: the two compute the
// same function up to the runtime's 8-bit quantization of activations.
func writeTinyK(t *testing.T, arch string, mix func(string, int) ggml.Type) (quantized, twin *gguf.File) {
	t.Helper()
	const embd, layers, heads, kv, ffn, vocab = 256, 2, 4, 2, 512, 300
	hd := embd / heads
	rng := newRand(7)
	var wq, wf gguf.Writer
	for _, w := range []*gguf.Writer{&wq, &wf} {
		w.Set("general.architecture", arch)
		w.Set(arch+".embedding_length", uint32(embd))
		w.Set(arch+".block_count", uint32(layers))
		w.Set(arch+".feed_forward_length", uint32(ffn))
		w.Set(arch+".attention.head_count", uint32(heads))
		w.Set(arch+".attention.head_count_kv", uint32(kv))
		w.Set(arch+".context_length", uint32(256))
	}
	add := func(name string, layer int, dims ...uint64) {
		n := uint64(1)
		for _, d := range dims {
			n *= d
		}
		f := make([]float32, n)
		for i := range f {
			f[i] = float32(rng.NormFloat64() * 0.06)
			if len(dims) == 1 {
				f[i] = 1 + f[i]/3
			}
		}
		typ := ggml.F32
		if len(dims) == 2 {
			typ = mix(strings.TrimSuffix(strings.TrimPrefix(name, fmt.Sprintf("blk.%d.", layer)), ".weight"), layer)
		}
		size, err := quant.RowBytes(typ, int(n))
		if err != nil {
			t.Fatal(err)
		}
		q := make([]byte, size)
		if err := quant.Quantize(typ, f, q); err != nil {
			t.Fatal(err)
		}
		if err := wq.AddTensor(name, typ, dims, gguf.Bytes(q)); err != nil {
			t.Fatal(err)
		}
		if err := quant.Dequantize(typ, q, f); err != nil {
			t.Fatal(err)
		}
		data := make([]byte, 4*n)
		if err := quant.Quantize(ggml.F32, f, data); err != nil {
			t.Fatal(err)
		}
		if err := wf.AddTensor(name, ggml.F32, dims, gguf.Bytes(data)); err != nil {
			t.Fatal(err)
		}
	}
	add("token_embd.weight", -1, embd, vocab)
	add("output_norm.weight", -1, embd)
	add("output.weight", -1, embd, vocab)
	for l := range layers {
		p := fmt.Sprintf("blk.%d.", l)
		add(p+"attn_norm.weight", l, embd)
		add(p+"ffn_norm.weight", l, embd)
		add(p+"attn_q.weight", l, embd, heads*uint64(hd))
		add(p+"attn_k.weight", l, embd, kv*uint64(hd))
		add(p+"attn_v.weight", l, embd, kv*uint64(hd))
		add(p+"attn_output.weight", l, heads*uint64(hd), embd)
		add(p+"ffn_gate.weight", l, embd, ffn)
		add(p+"ffn_up.weight", l, embd, ffn)
		add(p+"ffn_down.weight", l, ffn, embd)
		if arch == "qwen3" {
			add(p+"attn_q_norm.weight", l, uint64(hd))
			add(p+"attn_k_norm.weight", l, uint64(hd))
		}
	}
	parse := func(w *gguf.Writer) *gguf.File {
		data, err := w.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		f, err := gguf.Parse(data)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	return parse(&wq), parse(&wf)
}

// A model in the Q2_K, Q3_K_M (also with its IQ4_NL fallback) and IQ4_XS
// mixes loads, and greedy generation with
// it (a batched prompt, then one token at a time) follows its F32 twin:
// with teacher forcing, every step's logits agree within the error the
// 8-bit activations bring, and its greedy token is the twin's wherever the
// twin's top two are not a near tie.
func TestKQuantMixesMatchF32(t *testing.T) {
	type row struct {
		mix, arch string
		simd      bool
	}
	var rows []row
	for _, mix := range []string{"q2_k", "q3_k_m", "q3_k_m_nl", "iq4_xs", "q4_k", "q8_0"} {
		for _, arch := range []string{"llama", "qwen3"} {
			rows = append(rows, row{mix, arch, true})
			if mix == "q2_k" || mix == "q3_k_m" {
				rows = append(rows, row{mix, arch, false}) // the portable kernels
			}
		}
	}
	for _, r := range rows {
		mixName, arch := r.mix, r.arch
		t.Run(fmt.Sprintf("%s/%s/simd=%v", mixName, arch, r.simd), func(t *testing.T) {
			defer quant.SetSIMD(quant.SetSIMD(r.simd))
			qf, ff := writeTinyK(t, arch, kquantMixes[mixName])
			pool := quant.NewPool(2)
			defer pool.Close()
			qt, err := newTransformer(qf, pool)
			if err != nil {
				t.Fatal(err)
			}
			ft, err := newTransformer(ff, pool)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			V := qt.cfg.Vocab
			prompt := []int32{1, 17, 250, 3, 99, 42, 7, 123, 64}
			qs, fs := qt.NewState(0), ft.NewState(0)
			ql, err := qs.Forward(ctx, prompt, false)
			if err != nil {
				t.Fatal(err)
			}
			fl, err := fs.Forward(ctx, prompt, false)
			if err != nil {
				t.Fatal(err)
			}
			var worst float64
			for step := 0; step < 12; step++ {
				e := relDiff(ql[:V], fl[:V])
				worst = max(worst, e)
				if e > 0.08 {
					t.Fatalf("step %d: logits differ from the F32 twin's by %.4f (relative RMS)", step, e)
				}
				next := int32(argmax(ql[:V]))
				if top := int32(argmax(fl[:V])); next != top && margin(fl[:V]) > 0.1 {
					t.Fatalf("step %d: greedy token %d, F32 twin's %d", step, next, top)
				}
				if ql, err = qs.Forward(ctx, []int32{next}, false); err != nil {
					t.Fatal(err)
				}
				if fl, err = fs.Forward(ctx, []int32{next}, false); err != nil {
					t.Fatal(err)
				}
			}
			t.Logf("worst relative RMS logit difference %.4f", worst) // 0.028 to 0.042 for every mix
		})
	}
}

func relDiff(a, b []float32) float64 {
	var num, den float64
	for i := range a {
		d := float64(a[i]) - float64(b[i])
		num += d * d
		den += float64(b[i]) * float64(b[i])
	}
	return math.Sqrt(num / den)
}

func argmax(l []float32) int {
	return slices.Index(l, slices.Max(l))
}

// margin is the gap between the largest and second largest logits.
func margin(l []float32) float64 {
	s := slices.Clone(l)
	slices.Sort(s)
	return float64(s[len(s)-1] - s[len(s)-2])
}
