package constrain_test

import (
	"fmt"
	"math/bits"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/plait-ai/plait/llm/local/constrain"
)

const benchSchema = `{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"},"ok":{"type":"boolean"},"score":{"type":"number"},"tags":{"type":"array","items":{"type":"string"}}},"required":["name","age"]}`

var benchStates = []struct{ name, prefix string }{
	{"string", `{"name":"Jo`},
	{"key", `{"name":"x","age":1,`},
	{"number", `{"name":"x","age":12`},
}

type benchVocab struct {
	name string
	load func(testing.TB) loadedVocab
}

var benchVocabs = []benchVocab{
	{"spm32k", func(tb testing.TB) loadedVocab { return realVocab(tb, "ggml-vocab-llama-spm.gguf") }},
	{"union150k", func(tb testing.TB) loadedVocab {
		return unionVocab(tb, "ggml-vocab-deepseek-llm.gguf", "ggml-vocab-gpt-2.gguf")
	}},
	{"synth32k", func(testing.TB) loadedVocab { return synthVocab(32000, 1) }},
}

// BenchmarkFill measures building a full mask in several grammar states,
// the grammar's automaton warm: "nocache" walks the whole trie every time
// (the cost of a state never seen), "projected" serves the
// context-independent part from its cache and walks only where the context
// decides (the cost of a new state whose projection was seen, as every new
// string position in a grammar), "cached" is a repeated state.
func BenchmarkFill(b *testing.B) {
	g, err := constrain.CompileSchema([]byte(benchSchema), constrain.Options{})
	if err != nil {
		b.Fatal(err)
	}
	for _, bv := range benchVocabs {
		lv := bv.load(b)
		for _, st := range benchStates {
			for _, mode := range []string{"nocache", "projected", "cached"} {
				b.Run(fmt.Sprintf("%s/%s/%s", bv.name, st.name, mode), func(b *testing.B) {
					defer lockThread()()
					v := constrain.NewVocab(lv.tokens, lv.eos)
					switch mode {
					case "nocache":
						v.SetCacheSize(0, 0)
					case "projected":
						v.SetCacheSize(0, 1024)
					}
					m := g.NewMatcher()
					if !m.Accept([]byte(st.prefix)) {
						b.Fatalf("prefix %q rejected", st.prefix)
					}
					mask := v.Fill(m, nil)
					n := 0
					for _, w := range mask {
						for ; w != 0; w &= w - 1 {
							n++
						}
					}
					cpu0 := cpuTime()
					for b.Loop() {
						mask = v.Fill(m, mask)
					}
					b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "us/mask")
					b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-us/mask")
					b.ReportMetric(float64(n), "allowed")
				})
			}
		}
	}
}

// BenchmarkAllowed measures the fast path: checking the sampled token.
func BenchmarkAllowed(b *testing.B) {
	g, err := constrain.CompileSchema([]byte(benchSchema), constrain.Options{})
	if err != nil {
		b.Fatal(err)
	}
	for _, bv := range benchVocabs[:2] {
		lv := bv.load(b)
		v := constrain.NewVocab(lv.tokens, lv.eos)
		for _, st := range benchStates {
			b.Run(bv.name+"/"+st.name, func(b *testing.B) {
				m := g.NewMatcher()
				m.Accept([]byte(st.prefix))
				mask := v.Fill(m, nil)
				var toks []int32
				for i := range v.Len() {
					if mask[i>>6]>>(i&63)&1 == 1 {
						toks = append(toks, int32(i))
					}
				}
				r := rand.New(rand.NewPCG(1, 1))
				defer lockThread()()
				cpu0 := cpuTime()
				for b.Loop() {
					v.Allowed(m, toks[r.IntN(len(toks))])
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/check")
				b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/check")
			})
		}
	}
}

// BenchmarkGenerate is MaskBench-like: whole generations by a random
// model from a freshly compiled grammar (cold automaton, and cold masks
// for its states; the Vocab is shared as a runtime would share it),
// building the full mask at every token; it reports the average masking
// time per token. "fastpath" checks a proposed token first and builds the
// mask only when it is rejected.
func BenchmarkGenerate(b *testing.B) {
	for _, bv := range benchVocabs[:2] {
		lv := bv.load(b)
		for _, fast := range []bool{false, true} {
			mode := "fullmask"
			if fast {
				mode = "fastpath"
			}
			b.Run(bv.name+"/"+mode, func(b *testing.B) {
				defer lockThread()()
				// One Vocab per model, as a runtime keeps it; every schema
				// is compiled afresh, so its states start cold.
				v := constrain.NewVocab(lv.tokens, lv.eos)
				var total time.Duration
				tokens := 0
				seed := uint64(0)
				var cpu time.Duration
				for b.Loop() {
					for _, tc := range testSchemas {
						g, err := constrain.CompileSchema([]byte(tc.schema), constrain.Options{})
						if err != nil {
							b.Fatal(err)
						}
						seed++
						r := rand.New(rand.NewPCG(seed, 5))
						d, c, n := timedGenerate(g, v, r, 40, fast)
						total += d
						cpu += c
						tokens += n
					}
				}
				b.ReportMetric(float64(total.Microseconds())/float64(tokens), "us/token")
				b.ReportMetric(float64(cpu.Microseconds())/float64(tokens), "cpu-us/token")
			})
		}
	}
}

// timedGenerate is generate with the masking work of the free phase (the
// first budget tokens) timed; it returns wall and CPU time and the number
// of tokens timed.
func timedGenerate(g *constrain.Grammar, v *constrain.Vocab, r *rand.Rand, budget int, fast bool) (time.Duration, time.Duration, int) {
	timed := 0
	m := g.NewMatcher()
	var mask []uint64
	var total, cpu time.Duration
	var allowed []int32
	for step := 0; step < 3000; step++ {
		var tok int32 = -1
		start, cpu0 := time.Now(), cpuTime()
		if fast && step < budget {
			cand := int32(r.IntN(v.Len()))
			if v.Allowed(m, cand) {
				tok = cand
			}
		}
		if tok < 0 && step < budget {
			mask = v.Fill(m, mask)
		}
		if step < budget {
			// Only the free phase is timed: the finishing phase stands in
			// for a model that closes its output by itself.
			total += time.Since(start)
			cpu += cpuTime() - cpu0
			timed++
		} else if tok < 0 {
			mask = v.FillFinishing(m, mask)
		}
		if tok < 0 {
			allowed = allowed[:0]
			for w, word := range mask {
				for ; word != 0; word &= word - 1 {
					allowed = append(allowed, int32(w*64+trailing(word)))
				}
			}
			tok = allowed[r.IntN(len(allowed))]
			if m.Done() && r.IntN(3) == 0 {
				for _, a := range allowed {
					if len(v.TokenBytes(a)) == 0 {
						tok = a
					}
				}
			}
		}
		v.Advance(m, tok)
		if m.Ended() {
			break
		}
	}
	return total, cpu, timed
}

func trailing(w uint64) int { return bits.TrailingZeros64(w) }
