package constrain_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/plait-ai/plait/internal/testenv"
	"github.com/plait-ai/plait/llm/local/constrain"
	"github.com/plait-ai/plait/llm/local/gguf"
	"github.com/plait-ai/plait/llm/local/tokenizer"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

type loadedVocab struct {
	tokens [][]byte
	eos    []int32
}

var vocabCache sync.Map

// realVocab loads a vocabulary from ../shared/testdata/tokenizer through
// the runtime's tokenizer: TokenBytes gives each token's bytes (nil for
// control tokens), EOG the tokens that end generation.
func realVocab(tb testing.TB, name string) loadedVocab {
	tb.Helper()
	if v, ok := vocabCache.Load(name); ok {
		return v.(loadedVocab)
	}
	path := testenv.Shared(tb, "tokenizer", name)
	f, err := gguf.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	tok, err := tokenizer.FromGGUF(f)
	if err != nil {
		tb.Fatal(err)
	}
	lv := loadedVocab{tokens: make([][]byte, tok.VocabSize()), eos: tok.EOG()}
	for i := range lv.tokens {
		lv.tokens[i] = bytes.Clone(tok.TokenBytes(int32(i)))
	}
	vocabCache.Store(name, lv)
	return lv
}

// unionVocab is the union of the token strings of two vocabularies (the
// ~150k vocabulary of the benchmarks), EOS last.
func unionVocab(tb testing.TB, a, b string) loadedVocab {
	key := a + "+" + b
	if v, ok := vocabCache.Load(key); ok {
		return v.(loadedVocab)
	}
	va, vb := realVocab(tb, a), realVocab(tb, b)
	seen := map[string]bool{}
	var out [][]byte
	for _, v := range [][][]byte{va.tokens, vb.tokens} {
		for _, t := range v {
			if len(t) == 0 || seen[string(t)] {
				continue
			}
			seen[string(t)] = true
			out = append(out, t)
		}
	}
	// Pad with distinct control-like entries up to a round size.
	for len(out) < 150000 {
		out = append(out, nil)
	}
	out = append(out, nil)
	lv := loadedVocab{tokens: out, eos: []int32{int32(len(out) - 1)}}
	vocabCache.Store(key, lv)
	return lv
}

// byteVocab has one token per byte value, plus EOS.
func byteVocab() loadedVocab {
	var toks [][]byte
	for b := 0; b < 256; b++ {
		toks = append(toks, []byte{byte(b)})
	}
	toks = append(toks, nil)
	return loadedVocab{tokens: toks, eos: []int32{256}}
}

// synthVocab is a synthetic BPE-like vocabulary of about n tokens: every
// byte, JSON punctuation runs, words with and without a leading space,
// digits, multi-byte characters and partial UTF-8, and control tokens with
// no bytes. Used where the real vocabularies are absent.
func synthVocab(n int, seed uint64) loadedVocab {
	r := rand.New(rand.NewPCG(seed, 1))
	seen := map[string]bool{}
	var toks [][]byte
	add := func(s string) {
		if s != "" && !seen[s] {
			seen[s] = true
			toks = append(toks, []byte(s))
		}
	}
	toks = append(toks, nil, nil) // BOS-like control tokens
	for b := 0; b < 256; b++ {
		add(string([]byte{byte(b)}))
	}
	for _, s := range []string{`{"`, `":"`, `","`, `"}`, `":`, `},{"`, `"]`, `["`, `":[`, `":{"`, `},`, `}}`, `]}`, `null`, `true`, `false`, `\n`, `\"`, `\\`, `\u`, `  `, "\n", "\n ", "\n  ", `", "`, `": "`, `0.`, `-1`, `e+`, `E-`} {
		add(s)
	}
	for i := 0; i < 1000; i++ {
		add(strconv.Itoa(i))
	}
	letters := "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	uni := []rune("éüßøçñ中文字日本語한국어Привет€😀")
	for len(toks) < n {
		var sb strings.Builder
		switch r.IntN(6) {
		case 0:
			sb.WriteByte(' ')
			fallthrough
		case 1, 2:
			for j := 1 + r.IntN(8); j > 0; j-- {
				sb.WriteByte(letters[r.IntN(len(letters))])
			}
		case 3:
			for j := 1 + r.IntN(3); j > 0; j-- {
				sb.WriteRune(uni[r.IntN(len(uni))])
			}
		case 4: // partial UTF-8
			var buf [4]byte
			k := utf8.EncodeRune(buf[:], uni[r.IntN(len(uni))])
			sb.Write(buf[:1+r.IntN(k)])
		case 5:
			sb.WriteString(`"`)
			for j := 1 + r.IntN(5); j > 0; j-- {
				sb.WriteByte(letters[r.IntN(len(letters))])
			}
			if r.IntN(2) == 0 {
				sb.WriteString(`"`)
			}
		}
		add(sb.String())
	}
	toks = append(toks, nil)
	return loadedVocab{tokens: toks, eos: []int32{int32(len(toks) - 1)}}
}

// validator compiles a schema with the reference validator.
func validator(tb testing.TB, schema []byte) *jsonschema.Schema {
	tb.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema))
	if err != nil {
		tb.Fatalf("schema: %v", err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("mem://schema.json", doc); err != nil {
		tb.Fatal(err)
	}
	s, err := c.Compile("mem://schema.json")
	if err != nil {
		tb.Fatalf("compile schema: %v", err)
	}
	return s
}

// checkValid reports whether out is JSON that the schema accepts.
func checkValid(s *jsonschema.Schema, out []byte) error {
	var v any
	if err := json.Unmarshal(out, &v); err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(out))
	if err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	if err := s.Validate(inst); err != nil {
		return fmt.Errorf("invalid: %v", err)
	}
	return nil
}

// generate runs a random "model" under the grammar: each step it proposes
// a random token and keeps it when the fast path allows it, else builds
// the mask and samples among the allowed tokens with random weights. After
// budget tokens it samples from the finishing mask, which guarantees an
// end. It returns the output bytes and the number of tokens.
func generate(tb testing.TB, g *constrain.Grammar, v *constrain.Vocab, r *rand.Rand, budget, limit int) ([]byte, int) {
	tb.Helper()
	m := g.NewMatcher()
	var out []byte
	var mask []uint64
	eos := int32(-1)
	for step := 0; step < limit; step++ {
		var tok int32 = -1
		if step < budget && r.IntN(2) == 0 {
			cand := int32(r.IntN(v.Len()))
			if v.Allowed(m, cand) {
				tok = cand
			}
		}
		if tok < 0 {
			if step < budget {
				mask = v.Fill(m, mask)
			} else {
				mask = v.FillFinishing(m, mask)
			}
			var allowed []int32
			for w, word := range mask {
				for word != 0 {
					b := bits.TrailingZeros64(word)
					allowed = append(allowed, int32(w*64+b))
					word &= word - 1
				}
			}
			if len(allowed) == 0 {
				tb.Fatalf("empty mask after %q (done=%v)", out, m.Done())
			}
			// Cross-check the fast path against the mask.
			probe := int32(r.IntN(v.Len()))
			inMask := mask[probe>>6]>>(probe&63)&1 == 1
			if step < budget && v.Allowed(m, probe) != inMask {
				tb.Fatalf("Allowed(%q)=%v but mask says %v after %q", v.TokenBytes(probe), !inMask, inMask, out)
			}
			if m.Done() {
				for _, a := range allowed {
					if len(v.TokenBytes(a)) == 0 {
						eos = a
					}
				}
			}
			tok = allowed[r.IntN(len(allowed))]
			if eos >= 0 && m.Done() && r.IntN(3) == 0 {
				tok = eos
			}
		}
		tokBytes := v.TokenBytes(tok)
		if !v.Advance(m, tok) {
			tb.Fatalf("Advance rejected an allowed token %q after %q", tokBytes, out)
		}
		if m.Ended() {
			return out, step + 1
		}
		out = append(out, tokBytes...)
	}
	return out, limit
}
