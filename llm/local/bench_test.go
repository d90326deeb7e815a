package local

import (
	"context"
	"fmt"
	"github.com/plait-ai/plait/internal/testenv"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/plait-ai/plait/llm/local/ggml"
	"github.com/plait-ai/plait/llm/local/gguf"
	"github.com/plait-ai/plait/llm/local/quant"
)

// benchShape is Qwen2.5-0.5B's shape.
var benchShape = struct {
	embd, layers, heads, kvHeads, ffn, vocab int
}{896, 24, 14, 2, 4864, 151936}

// mixes give each tensor's type. "q4_k_m" follows what llama-quantize
// makes of Qwen2.5-0.5B: rows of 896 are not a multiple of 256, so the
// K-quants fall back to Q5_0 (and Q8_0 where Q6_K was asked); ffn_down
// (rows of 4864) keeps Q4_K, with Q6_K on every other layer.
func benchType(mix, tensor string, layer int) ggml.Type {
	if mix == "q8_0" {
		return ggml.Q8_0
	}
	switch tensor {
	case "token_embd":
		return ggml.Q8_0
	case "attn_v":
		if layer%2 == 0 {
			return ggml.Q8_0
		}
		return ggml.Q5_0
	case "ffn_down":
		if layer%2 == 0 {
			return ggml.Q6_K
		}
		return ggml.Q4_K
	}
	return ggml.Q5_0
}

// writeBenchModel writes a random-weight model of benchShape with the
// project's GGUF writer and quantizers, once per mix, into the user's cache
// directory (PLAIT_BENCH_DIR overrides): about 500 MB, not committed.
func writeBenchModel(b *testing.B, mix string) string {
	b.Helper()
	dir := os.Getenv("PLAIT_BENCH_DIR")
	if dir == "" {
		c, err := os.UserCacheDir()
		if err != nil {
			c = os.TempDir()
		}
		dir = filepath.Join(c, "plait-bench")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(dir, "random-qwen2.5-0.5b-shape-"+mix+".gguf")
	if _, err := os.Stat(path); err == nil {
		return path
	}
	// The files of earlier versions, which had no tokenizer: not
	// needed again.
	os.Remove(filepath.Join(dir, "qwen2.5-0.5b-shape-random-"+mix+".gguf"))
	s := benchShape
	hd := s.embd / s.heads
	var w gguf.Writer
	set := func(k string, v any) {
		if err := w.Set(k, v); err != nil {
			b.Fatal(err)
		}
	}
	set("general.architecture", "qwen2")
	set("general.name", "random-qwen2.5-0.5b-shape")
	set("qwen2.context_length", uint32(32768))
	set("qwen2.embedding_length", uint32(s.embd))
	set("qwen2.block_count", uint32(s.layers))
	set("qwen2.feed_forward_length", uint32(s.ffn))
	set("qwen2.attention.head_count", uint32(s.heads))
	set("qwen2.attention.head_count_kv", uint32(s.kvHeads))
	set("qwen2.rope.freq_base", float32(1e6))
	set("qwen2.attention.layer_norm_rms_epsilon", float32(1e-6))
	fileType := uint32(7) // llama.cpp's LLAMA_FTYPE_MOSTLY_Q8_0
	if mix == "q4_k_m" {
		fileType = 15 // LLAMA_FTYPE_MOSTLY_Q4_K_M
	}
	set("general.file_type", fileType)
	// A byte-level BPE vocabulary of the model's size (GPT-2's 256
	// byte tokens, one merge, an end-of-text token, placeholders), so
	// that llama.cpp loads the same file for a side-by-side comparison
	// (see BENCHMARKS.md).
	tokens, types := benchVocab(s.vocab)
	set("tokenizer.ggml.model", "gpt2")
	set("tokenizer.ggml.pre", "qwen2")
	set("tokenizer.ggml.tokens", tokens)
	set("tokenizer.ggml.token_type", types)
	set("tokenizer.ggml.merges", []string{"\u0120 t"})
	set("tokenizer.ggml.eos_token_id", uint32(257))
	set("tokenizer.ggml.bos_token_id", uint32(257))
	set("tokenizer.ggml.add_bos_token", false)
	rng := rand.New(rand.NewPCG(1, 2))
	// Each matrix is written from a pool of quantized random rows, picked
	// at random: real quantizers, without quantizing 500M floats.
	matrix := func(name string, t ggml.Type, cols, rows int, scale float64) {
		rowBytes, err := quant.RowBytes(t, cols)
		if err != nil {
			b.Fatal(err)
		}
		const poolRows = 64
		pool := make([]byte, poolRows*rowBytes)
		src := make([]float32, cols)
		for r := range poolRows {
			for i := range src {
				src[i] = float32(rng.NormFloat64() * scale)
			}
			if err := quant.Quantize(t, src, pool[r*rowBytes:(r+1)*rowBytes]); err != nil {
				b.Fatal(err)
			}
		}
		seed := rng.Uint64()
		err = w.AddTensor(name, t, []uint64{uint64(cols), uint64(rows)}, func(out io.Writer) error {
			r := rand.New(rand.NewPCG(seed, 7))
			buf := make([]byte, 0, 256*rowBytes)
			for i := range rows {
				k := r.IntN(poolRows)
				buf = append(buf, pool[k*rowBytes:(k+1)*rowBytes]...)
				if len(buf) == cap(buf) || i == rows-1 {
					if _, err := out.Write(buf); err != nil {
						return err
					}
					buf = buf[:0]
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	vector := func(name string, n int, v float32) {
		data := make([]byte, 4*n)
		f := make([]float32, n)
		for i := range f {
			f[i] = v + float32(rng.NormFloat64()*0.01)
		}
		quant.Quantize(ggml.F32, f, data)
		if err := w.AddTensor(name, ggml.F32, []uint64{uint64(n)}, gguf.Bytes(data)); err != nil {
			b.Fatal(err)
		}
	}
	matrix("token_embd.weight", benchType(mix, "token_embd", 0), s.embd, s.vocab, 0.05)
	vector("output_norm.weight", s.embd, 1)
	for l := range s.layers {
		p := "blk." + strconv.Itoa(l) + "."
		vector(p+"attn_norm.weight", s.embd, 1)
		vector(p+"ffn_norm.weight", s.embd, 1)
		matrix(p+"attn_q.weight", benchType(mix, "attn_q", l), s.embd, s.heads*hd, 0.04)
		matrix(p+"attn_k.weight", benchType(mix, "attn_k", l), s.embd, s.kvHeads*hd, 0.04)
		matrix(p+"attn_v.weight", benchType(mix, "attn_v", l), s.embd, s.kvHeads*hd, 0.04)
		vector(p+"attn_q.bias", s.heads*hd, 0)
		vector(p+"attn_k.bias", s.kvHeads*hd, 0)
		vector(p+"attn_v.bias", s.kvHeads*hd, 0)
		matrix(p+"attn_output.weight", benchType(mix, "attn_output", l), s.heads*hd, s.embd, 0.04)
		matrix(p+"ffn_gate.weight", benchType(mix, "ffn_gate", l), s.embd, s.ffn, 0.04)
		matrix(p+"ffn_up.weight", benchType(mix, "ffn_up", l), s.embd, s.ffn, 0.04)
		matrix(p+"ffn_down.weight", benchType(mix, "ffn_down", l), s.ffn, s.embd, 0.02)
	}
	tmp := path + ".tmp"
	if err := w.WriteFile(tmp); err != nil {
		b.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		b.Fatal(err)
	}
	return path
}

// benchVocab returns n tokens for writeBenchModel: GPT-2's byte tokens
// (bytes as the printable characters byte-level BPE maps them to), "Ġt",
// the merge of the space and "t", then "<|endoftext|>" (a control token)
// and unique placeholders; and their types.
func benchVocab(n int) ([]string, []int32) {
	tokens := make([]string, 0, n)
	types := make([]int32, 0, n)
	next := rune(256)
	for b := range 256 {
		r := rune(b)
		if !(b >= '!' && b <= '~' || b >= 0xA1 && b <= 0xAC || b >= 0xAE) {
			r = next
			next++
		}
		tokens = append(tokens, string(r))
		types = append(types, 1) // normal
	}
	tokens = append(tokens, "\u0120t", "<|endoftext|>")
	types = append(types, 1, 3) // normal, control
	for i := len(tokens); i < n; i++ {
		tokens = append(tokens, "[PAD"+strconv.Itoa(i)+"]")
		types = append(types, 1)
	}
	return tokens, types
}

// weightBytes is what one decode step reads: every matrix once (the tied
// output reads the embedding matrix whole).
func weightBytes(t *Transformer) int64 {
	n := int64(len(t.output.Data))
	for _, l := range t.layers {
		for _, m := range []quant.Matrix{l.wq, l.wk, l.wv, l.wo, l.gate, l.up, l.down} {
			n += int64(len(m.Data))
		}
	}
	return n
}

func rssBytes() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			f := strings.Fields(line)
			if len(f) >= 2 {
				kb, _ := strconv.ParseInt(f[1], 10, 64)
				return kb * 1024
			}
		}
	}
	return 0
}

// benchThreads is the benchmarks' thread count: 2, or PLAIT_THREADS.
func benchThreads() int {
	if v, err := strconv.Atoi(os.Getenv("PLAIT_THREADS")); err == nil && v > 0 {
		return v
	}
	return 2
}

// benchTransformer loads BenchmarkModel's model of mix on a pool of
// benchThreads threads; both are closed when b ends.
func benchTransformer(b *testing.B, mix string) (*Transformer, *quant.Pool) {
	f, err := gguf.Open(writeBenchModel(b, mix))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { f.Close() })
	pool := quant.NewPool(benchThreads())
	b.Cleanup(pool.Close)
	tr, err := newTransformer(f, pool)
	if err != nil {
		b.Fatal(err)
	}
	return tr, pool
}

// BenchmarkModel reports prompt processing and decode speed of a model with
// Qwen2.5-0.5B's shape, in Q8_0 and in the Q4_K_M mix, with 2 threads, and
// the share of the machine's memory bandwidth decode reaches. llama.cpp
// loads the same files (see writeBenchModel), for llama-bench to measure
// them side by side: BENCHMARKS.md says how.
//
//	go test -run XXX -bench BenchmarkModel -benchtime 1x ./llm/local/
func BenchmarkModel(b *testing.B) {
	for _, mix := range []string{"q8_0", "q4_k_m"} {
		b.Run(mix, func(b *testing.B) {
			tr, pool := benchTransformer(b, mix)
			bw := quant.MeasureBandwidth(pool, 256<<20, 300*time.Millisecond)
			const promptLen, decode = 128, 32
			prompt := make([]int32, promptLen)
			for i := range prompt {
				prompt[i] = int32(i * 997 % tr.cfg.Vocab)
			}
			ctx := context.Background()
			var promptDur, decodeDur time.Duration
			var rss int64
			for b.Loop() {
				st := tr.NewState(promptLen + decode + 1)
				t0 := time.Now()
				for i := 0; i < promptLen; i += 64 {
					if _, err := st.Forward(ctx, prompt[i:min(i+64, promptLen)], false); err != nil {
						b.Fatal(err)
					}
				}
				t1 := time.Now()
				tok := int32(1)
				for range decode {
					if _, err := st.Forward(ctx, []int32{tok}, false); err != nil {
						b.Fatal(err)
					}
					tok = (tok*31 + 7) % int32(tr.cfg.Vocab)
				}
				decodeDur += time.Since(t1)
				promptDur += t1.Sub(t0)
				rss = max(rss, rssBytes())
			}
			n := float64(b.N)
			promptTPS := promptLen * n / promptDur.Seconds()
			decodeTPS := decode * n / decodeDur.Seconds()
			wb := float64(weightBytes(tr))
			b.ReportMetric(promptTPS, "prompt-tok/s")
			b.ReportMetric(decodeTPS, "decode-tok/s")
			b.ReportMetric(wb*decodeTPS/1e9, "decode-GB/s")
			b.ReportMetric(bw/1e9, "machine-GB/s")
			b.ReportMetric(100*wb*decodeTPS/bw, "%bandwidth")
			b.ReportMetric(float64(rss)/(1<<20), "RSS-MiB")
			b.ReportMetric(wb/(1<<20), "weights-MiB")
			b.Logf("%s: %d threads, GOMAXPROCS %d, %s", mix, benchThreads(), runtime.GOMAXPROCS(0), fmt.Sprint(tr.cfg))
		})
	}
}

// BenchmarkDecode decodes one token per iteration after a 64-token prompt,
// for profiling decode alone (-cpuprofile). The model is BenchmarkModel's.
//
//	go test -run XXX -bench BenchmarkDecode -benchtime 200x ./llm/local/
func BenchmarkDecode(b *testing.B) {
	for _, mix := range []string{"q8_0", "q4_k_m"} {
		b.Run(mix, func(b *testing.B) {
			tr, _ := benchTransformer(b, mix)
			const promptLen, window = 64, 192
			prompt := make([]int32, promptLen)
			for i := range prompt {
				prompt[i] = int32(i * 997 % tr.cfg.Vocab)
			}
			ctx := context.Background()
			st := tr.NewState(promptLen + window)
			tok := int32(1)
			var cpu time.Duration
			for b.Loop() {
				if st.Pos() >= promptLen+window || st.Pos() == 0 {
					st.Truncate(0)
					if _, err := st.Forward(ctx, prompt, false); err != nil {
						b.Fatal(err)
					}
				}
				c0 := testenv.CPUTime()
				if _, err := st.Forward(ctx, []int32{tok}, false); err != nil {
					b.Fatal(err)
				}
				cpu += testenv.CPUTime() - c0
				tok = (tok*31 + 7) % int32(tr.cfg.Vocab)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tok/s")
			b.ReportMetric(cpu.Seconds()*1e3/float64(b.N), "cpu-ms/tok")
		})
	}
}

// BenchmarkPrompt evaluates a 128-token prompt in chunks of 64 per
// iteration (BenchmarkModel's prompt phase), for profiling it alone.
//
//	go test -run XXX -bench BenchmarkPrompt -benchtime 5x ./llm/local/
func BenchmarkPrompt(b *testing.B) {
	for _, mix := range []string{"q8_0", "q4_k_m"} {
		b.Run(mix, func(b *testing.B) {
			tr, _ := benchTransformer(b, mix)
			const promptLen = 128
			prompt := make([]int32, promptLen)
			for i := range prompt {
				prompt[i] = int32(i * 997 % tr.cfg.Vocab)
			}
			ctx := context.Background()
			st := tr.NewState(promptLen)
			c0 := testenv.CPUTime()
			for b.Loop() {
				st.Truncate(0)
				for i := 0; i < promptLen; i += 64 {
					if _, err := st.Forward(ctx, prompt[i:min(i+64, promptLen)], false); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.N*promptLen)/b.Elapsed().Seconds(), "tok/s")
			b.ReportMetric((testenv.CPUTime()-c0).Seconds()*1e3/float64(b.N*promptLen), "cpu-ms/tok")
		})
	}
}
