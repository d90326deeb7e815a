package constrain_test

import (
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/plait-ai/plait/llm/local/constrain"
)

// TestFillMatchesAllowed checks the trie walk (with its projection and
// caches) against the token-by-token check, at every prefix of sampled
// outputs.
func TestFillMatchesAllowed(t *testing.T) {
	bv := byteVocab()
	byteV := constrain.NewVocab(bv.tokens, bv.eos)
	sv := synthVocab(3000, 11)
	vocabs := []*constrain.Vocab{constrain.NewVocab(sv.tokens, sv.eos)}
	if !testing.Short() && !raceEnabled {
		lv := realVocab(t, "ggml-vocab-gpt-2.gguf")
		vocabs = append(vocabs, constrain.NewVocab(lv.tokens, lv.eos))
	}
	nocache := constrain.NewVocab(sv.tokens, sv.eos)
	nocache.SetCacheSize(0, 0)
	vocabs = append(vocabs, nocache)
	for _, tc := range testSchemas {
		g, err := constrain.CompileSchema([]byte(tc.schema), constrain.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for seed := range 2 {
			r := rand.New(rand.NewPCG(uint64(seed), 42))
			out, _ := generate(t, g, byteV, r, 40, 5000)
			for vi, v := range vocabs {
				// Every prefix for small vocabularies, a few for a real one.
				step := max(1, len(out)/12)
				if v.Len() > 10000 {
					step = max(1, len(out)/3)
				}
				_ = vi
				var mask []uint64
				for k := 0; k <= len(out); k += step {
					m := g.NewMatcher()
					if !m.Accept(out[:k]) {
						t.Fatalf("%s: prefix %q of an accepted output rejected", tc.name, out[:k])
					}
					mask = v.Fill(m, mask)
					for tok := range v.Len() {
						in := mask[tok>>6]>>(tok&63)&1 == 1
						if in != v.Allowed(m, int32(tok)) {
							t.Fatalf("%s vocab %d after %q: token %q mask=%v Allowed=%v", tc.name, vi, out[:k], v.TokenBytes(int32(tok)), in, !in)
						}
					}
				}
			}
		}
	}
}

// TestFillFinishingTerminates checks that sampling only from the finishing
// mask always ends, and that Remaining falls at every token.
func TestFillFinishingTerminates(t *testing.T) {
	sv := synthVocab(3000, 5)
	v := constrain.NewVocab(sv.tokens, sv.eos)
	for _, tc := range testSchemas {
		g, err := constrain.CompileSchema([]byte(tc.schema), constrain.Options{})
		if err != nil {
			t.Fatal(err)
		}
		r := rand.New(rand.NewPCG(3, 3))
		m := g.NewMatcher()
		// Wander first, then finish.
		var mask []uint64
		for range 20 {
			mask = v.Fill(m, mask)
			toks := setBits(mask)
			tok := toks[r.IntN(len(toks))]
			if len(v.TokenBytes(tok)) == 0 {
				break
			}
			v.Advance(m, tok)
		}
		for steps := 0; !m.Done(); steps++ {
			before := m.Remaining()
			mask = v.FillFinishing(m, mask)
			toks := setBits(mask)
			if len(toks) == 0 {
				t.Fatalf("%s: empty finishing mask", tc.name)
			}
			v.Advance(m, toks[r.IntN(len(toks))])
			if m.Remaining() >= before {
				t.Fatalf("%s: Remaining did not fall (%d -> %d)", tc.name, before, m.Remaining())
			}
		}
	}
}

func setBits(mask []uint64) []int32 {
	var out []int32
	for w, word := range mask {
		for ; word != 0; word &= word - 1 {
			out = append(out, int32(w*64+trailing(word)))
		}
	}
	return out
}

// TestConcurrentUse runs generations on one Grammar and one Vocab from
// several goroutines (run with -race).
func TestConcurrentUse(t *testing.T) {
	sv := synthVocab(2000, 21)
	v := constrain.NewVocab(sv.tokens, sv.eos)
	var gs []*constrain.Grammar
	for _, tc := range testSchemas[:8] {
		g, err := constrain.CompileSchema([]byte(tc.schema), constrain.Options{})
		if err != nil {
			t.Fatal(err)
		}
		gs = append(gs, g)
	}
	vals := make([]*jsonschema.Schema, len(gs))
	for i := range gs {
		vals[i] = validator(t, []byte(testSchemas[i].schema))
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4*len(gs))
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, g := range gs {
				r := rand.New(rand.NewPCG(uint64(w), uint64(i)))
				out, _ := generate(t, g, v, r, 30, 5000)
				if err := checkValid(vals[i], out); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestApplyMask(t *testing.T) {
	logits := make([]float32, 130)
	mask := make([]uint64, 2)
	mask[0] = 1<<3 | 1<<63
	mask[1] = 1 << 1
	constrain.ApplyMask(logits, mask)
	for i, l := range logits {
		want := i == 3 || i == 63 || i == 65
		if (l == 0) != want {
			t.Fatalf("logit %d = %v", i, l)
		}
	}
}
