package quant_test

import (
	"fmt"
	"github.com/plait-ai/plait/internal/testenv"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/plait-ai/plait/llm/local/ggml"
	"github.com/plait-ai/plait/llm/local/quant"
)

// randomMatrix fills a matrix with random quants and small finite scales:
// kernel speed does not depend on the values, and this is much faster than
// quantizing hundreds of megabytes.
func randomMatrix(r *rand.Rand, typ ggml.Type, rows, cols int) quant.Matrix {
	return quant.Matrix{Type: typ, Rows: rows, Cols: cols, Data: randomBlocks(r, typ, rows*cols)}
}

type simLayer struct {
	qkv, gateUp []quant.Matrix
	o, down     quant.Matrix
}

// BenchmarkDecodeSim runs the matrix-vector products of one decoded token
// of a model with Qwen2.5-0.5B's shapes (hidden 896, 24 layers, 14 heads of
// 64, 2 KV heads, FFN 4864, tied 151936-token output), every layer in its
// own memory: everything a token streams from memory except attention over
// the KV cache and the small vector operations. It reports tokens per
// second, the weight bandwidth reached and its fraction of the bandwidth
// MeasureBandwidth finds with the same threads: the ceiling the forward
// pass can reach on this machine. "q4_k_m" follows llama-quantize's mix
// for this model (rows of 896 are not whole 256-blocks, so most tensors
// fall back to Q5_0/Q8_0; ffn_down alternates Q4_K and Q6_K).
const simHidden, simLayers, simKV, simFFN, simVocab = 896, 24, 128, 4864, 151936

type simModel struct {
	name   string
	layers []simLayer
	out    quant.Matrix
	bytes  int64
}

var simCache = map[string]*simModel{}

// simModels builds (once) the two weight mixes with Qwen2.5-0.5B's shapes.
func simModels() []*simModel {
	const hidden, layers, kv, ffn, vocab = simHidden, simLayers, simKV, simFFN, simVocab
	mixes := []struct {
		name              string
		attn, v, ffn, out ggml.Type
		downEven, downOdd ggml.Type
	}{
		{"q8_0", ggml.Q8_0, ggml.Q8_0, ggml.Q8_0, ggml.Q8_0, ggml.Q8_0, ggml.Q8_0},
		{"q4_k_m", ggml.Q5_0, ggml.Q8_0, ggml.Q5_0, ggml.Q8_0, ggml.Q4_K, ggml.Q6_K},
	}
	var models []*simModel
	for _, mix := range mixes {
		if m, ok := simCache[mix.name]; ok {
			models = append(models, m)
			continue
		}
		r := rand.New(rand.NewPCG(99, 1))
		var ls []simLayer
		var total int64
		for l := 0; l < layers; l++ {
			down := mix.downEven
			if l%2 == 1 {
				down = mix.downOdd
			}
			L := simLayer{
				qkv:    []quant.Matrix{randomMatrix(r, mix.attn, hidden, hidden), randomMatrix(r, mix.attn, kv, hidden), randomMatrix(r, mix.v, kv, hidden)},
				o:      randomMatrix(r, mix.attn, hidden, hidden),
				gateUp: []quant.Matrix{randomMatrix(r, mix.ffn, ffn, hidden), randomMatrix(r, mix.ffn, ffn, hidden)},
				down:   randomMatrix(r, down, hidden, ffn),
			}
			for _, m := range append(append([]quant.Matrix{L.o, L.down}, L.qkv...), L.gateUp...) {
				total += int64(len(m.Data))
			}
			ls = append(ls, L)
		}
		out := randomMatrix(r, mix.out, vocab, hidden)
		total += int64(len(out.Data))
		m := &simModel{mix.name, ls, out, total}
		simCache[mix.name] = m
		models = append(models, m)
	}
	return models
}

func BenchmarkDecodeSim(b *testing.B) {
	if testing.Short() {
		b.Skip("allocates about 0.5 GB")
	}
	const hidden, kv, ffn, vocab = simHidden, simKV, simFFN, simVocab
	for _, sm := range simModels() {
		ls, out, total := sm.layers, sm.out, sm.bytes
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/threads=%d", sm.name, threads), func(b *testing.B) {
				p := quant.NewPool(threads)
				defer p.Close()
				x := gauss(rand.New(rand.NewPCG(5, 5)), hidden, 1)
				h := gauss(rand.New(rand.NewPCG(6, 6)), ffn, 1)
				q, k, v := make([]float32, hidden), make([]float32, kv), make([]float32, kv)
				g, u := make([]float32, ffn), make([]float32, ffn)
				o, logits := make([]float32, hidden), make([]float32, vocab)
				var a, a2 quant.Activation
				step := func() {
					for _, L := range ls {
						must(b, a.Set(L.qkv[0].Type, x))
						must(b, quant.MatVecMany(p, L.qkv, &a, [][]float32{q, k, v}))
						must(b, quant.MatVecQ(p, L.o, &a, o))
						must(b, a.Set(L.gateUp[0].Type, x))
						must(b, quant.MatVecMany(p, L.gateUp, &a, [][]float32{g, u}))
						must(b, a2.Set(L.down.Type, h))
						must(b, quant.MatVecQ(p, L.down, &a2, o))
					}
					must(b, quant.MatVec(p, out, x, logits))
				}
				step()
				b.ResetTimer()
				c0 := testenv.CPUTime()
				for b.Loop() {
					step()
				}
				b.ReportMetric((testenv.CPUTime()-c0).Seconds()*1e3/float64(b.N), "cpu-ms/tok")
				sec := b.Elapsed().Seconds() / float64(b.N)
				b.StopTimer()
				bw := quant.MeasureBandwidth(p, 512<<20, 300*time.Millisecond)
				b.ReportMetric(1/sec, "tok/s")
				b.ReportMetric(float64(total)/sec/1e9, "GB/s")
				b.ReportMetric(float64(total)/sec/bw, "of-bandwidth")
				b.ReportMetric(bw/1e9, "probe-GB/s")
			})
		}
	}
}

func must(b *testing.B, err error) {
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkPromptSim runs the matrix products of processing a 64-token
// prompt through the same models (MatMul for every layer, the output
// matrix for the last token only, as llama.cpp does) and reports prompt
// tokens per second and GFLOP/s.
func BenchmarkPromptSim(b *testing.B) {
	if testing.Short() {
		b.Skip("allocates about 0.5 GB")
	}
	const hidden, kv, ffn, vocab, batch = simHidden, simKV, simFFN, simVocab, 64
	for _, sm := range simModels() {
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/batch=%d/threads=%d", sm.name, batch, threads), func(b *testing.B) {
				p := quant.NewPool(threads)
				defer p.Close()
				x := gauss(rand.New(rand.NewPCG(5, 5)), batch*hidden, 1)
				h := gauss(rand.New(rand.NewPCG(6, 6)), batch*ffn, 1)
				y := make([]float32, batch*ffn)
				logits := make([]float32, vocab)
				var flops float64
				step := func() {
					flops = 0
					mm := func(m quant.Matrix, in []float32) {
						must(b, quant.MatMul(p, m, in, batch, y))
						flops += 2 * float64(batch*m.Rows*m.Cols)
					}
					for _, L := range sm.layers {
						for _, m := range L.qkv {
							mm(m, x)
						}
						mm(L.o, x)
						for _, m := range L.gateUp {
							mm(m, x)
						}
						mm(L.down, h)
					}
					must(b, quant.MatVec(p, sm.out, x[:hidden], logits))
					flops += 2 * float64(vocab*hidden)
				}
				step()
				b.ResetTimer()
				c0 := testenv.CPUTime()
				for b.Loop() {
					step()
				}
				sec := b.Elapsed().Seconds() / float64(b.N)
				b.ReportMetric(batch/sec, "tok/s")
				b.ReportMetric(flops/sec/1e9, "GFLOP/s")
				reportCPU(b, c0, flops/1e9, "GFLOP/cpu-s")
			})
		}
	}
}
