package tokenizer_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/plait-ai/plait/llm/local/gguf"
	"github.com/plait-ai/plait/llm/local/tokenizer"
)

// gpt2Alphabet returns GPT-2's 256 byte characters, in byte order.
func gpt2Alphabet() []string {
	var out []string
	n := 0
	for b := range 256 {
		if (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF) {
			out = append(out, string(rune(b)))
		} else {
			out = append(out, string(rune(256+n)))
			n++
		}
	}
	return out
}

// tinyBPE is a byte-level BPE vocabulary built by hand, the way a trainer
// would build one without a GGUF file.
func tinyBPE(pre string) *tokenizer.Vocab {
	toks := gpt2Alphabet()
	merges := []string{"h e", "l l", "he ll", "hell o", "Ġ w", "o r", "Ġw or", "l d", "Ġwor ld", "1 2", "12 3"}
	for _, m := range merges {
		toks = append(toks, strings.ReplaceAll(m, " ", ""))
	}
	toks = append(toks, "<|im_start|>", "<|im_end|>", "<|endoftext|>", "<think>")
	types := make([]tokenizer.TokenType, len(toks))
	for i := range types {
		types[i] = tokenizer.TypeNormal
	}
	n := len(toks)
	types[n-4], types[n-3], types[n-2] = tokenizer.TypeControl, tokenizer.TypeControl, tokenizer.TypeControl
	types[n-1] = tokenizer.TypeUserDefined
	return &tokenizer.Vocab{
		Model: "gpt2", Pre: pre, Tokens: toks, Types: types, Merges: merges,
		BOS: tokenizer.NoToken, EOS: int32(n - 2), UNK: tokenizer.NoToken, PAD: tokenizer.NoToken,
		EOT: tokenizer.NoToken, EOM: tokenizer.NoToken, SEP: tokenizer.NoToken,
	}
}

func TestNewFromVocab(t *testing.T) {
	for _, pre := range []string{"gpt-2", "llama-bpe", "qwen2", "deepseek-r1-qwen", "smollm", "deepseek-llm", "deepseek-coder", "default"} {
		t.Run(pre, func(t *testing.T) {
			tok, err := tokenizer.New(tinyBPE(pre))
			if err != nil {
				t.Fatal(err)
			}
			id := func(s string) int32 {
				x, ok := tok.ID(s)
				if !ok {
					t.Fatalf("no token %q", s)
				}
				return x
			}
			got := tok.Encode("hello world", false, false)
			if !slices.Equal(got, []int32{id("hello"), id("Ġworld")}) {
				t.Errorf("Encode = %v", got)
			}
			text := "<|im_start|>hello<think> world<|im_end|>"
			ids := tok.Encode(text, false, true)
			if ids[0] != id("<|im_start|>") || ids[len(ids)-1] != id("<|im_end|>") || !slices.Contains(ids, id("<think>")) {
				t.Errorf("parseSpecial: %v", ids)
			}
			if got := tok.Detokenize(ids, true); got != text {
				t.Errorf("Detokenize(special) = %q", got)
			}
			if got := tok.Decode(ids); got != "hello<think> world" {
				t.Errorf("Decode = %q", got)
			}
			// <|im_end|> and <|endoftext|> end generation; <|im_start|> does not.
			if !tok.IsEOG(id("<|im_end|>")) || !tok.IsEOG(id("<|endoftext|>")) || tok.IsEOG(id("<|im_start|>")) {
				t.Errorf("EOG = %v", tok.EOG())
			}
			if tok.EOT() != id("<|im_end|>") {
				t.Errorf("EOT = %d", tok.EOT())
			}
			for _, s := range []string{"", "a", "  hello\n\n world 123 !!", "中文 ünï 🦙"} {
				if got := tok.Decode(tok.Encode(s, true, false)); got != s {
					t.Errorf("round trip %q = %q", s, got)
				}
			}
		})
	}
}

func TestIgnoreMerges(t *testing.T) {
	v := tinyBPE("llama-bpe")
	// "hello" is a token reachable only by ignoring the merges if the
	// merges cannot build it.
	v.Merges = v.Merges[:2]
	tok, err := tokenizer.New(v)
	if err != nil {
		t.Fatal(err)
	}
	hello, _ := tok.ID("hello")
	if got := tok.Encode("hello", false, false); !slices.Equal(got, []int32{hello}) {
		t.Errorf("llama-bpe (ignore_merges) Encode(hello) = %v", got)
	}
	v.Pre = "gpt-2"
	tok2, _ := tokenizer.New(v)
	if got := tok2.Encode("hello", false, false); slices.Equal(got, []int32{hello}) {
		t.Errorf("gpt-2 should merge, not look up whole words: %v", got)
	}
}

func TestNewErrors(t *testing.T) {
	good := tinyBPE("gpt-2")
	cases := map[string]func(v *tokenizer.Vocab){
		"unknown model":    func(v *tokenizer.Vocab) { v.Model = "t5" },
		"unknown pre":      func(v *tokenizer.Vocab) { v.Pre = "no-such-pre" },
		"no tokens":        func(v *tokenizer.Vocab) { v.Tokens = nil },
		"short types":      func(v *tokenizer.Vocab) { v.Types = v.Types[:3] },
		"duplicate":        func(v *tokenizer.Vocab) { v.Tokens = append(v.Tokens, "a"); v.Types = append(v.Types, 1) },
		"bos out of range": func(v *tokenizer.Vocab) { v.BOS = 1 << 20 },
		"add bos no bos":   func(v *tokenizer.Vocab) { v.AddBOS = true },
		"llama no scores":  func(v *tokenizer.Vocab) { v.Model = "llama" },
	}
	for name, mutate := range cases {
		v := *good
		v.Tokens = slices.Clone(good.Tokens)
		v.Types = slices.Clone(good.Types)
		mutate(&v)
		_, err := tokenizer.New(&v)
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		if !errors.Is(err, tokenizer.ErrInvalid) && !errors.Is(err, tokenizer.ErrUnsupported) {
			t.Errorf("%s: %v wraps neither ErrInvalid nor ErrUnsupported", name, err)
		}
	}
}

// TestGGUFRoundTrip writes a vocabulary with the gguf writer and reads it
// back through FromGGUF.
func TestGGUFRoundTrip(t *testing.T) {
	v := tinyBPE("qwen2")
	var w gguf.Writer
	w.Set("general.architecture", "qwen2")
	w.Set("tokenizer.ggml.model", v.Model)
	w.Set("tokenizer.ggml.pre", v.Pre)
	w.Set("tokenizer.ggml.tokens", v.Tokens)
	types := make([]int32, len(v.Types))
	for i, x := range v.Types {
		types[i] = int32(x)
	}
	w.Set("tokenizer.ggml.token_type", types)
	w.Set("tokenizer.ggml.merges", v.Merges)
	w.Set("tokenizer.ggml.eos_token_id", uint32(v.EOS))
	w.Set("tokenizer.ggml.bos_token_id", uint32(v.EOS))
	w.Set("tokenizer.ggml.add_bos_token", false)
	b, err := w.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	f, err := gguf.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenizer.FromGGUF(f)
	if err != nil {
		t.Fatal(err)
	}
	direct, _ := tokenizer.New(v)
	for _, s := range []string{"hello world", "<|im_start|>x", "123123"} {
		if a, b := tok.Encode(s, true, true), direct.Encode(s, true, true); !slices.Equal(a, b) {
			t.Errorf("%q: from GGUF %v, direct %v", s, a, b)
		}
	}
	if tok.AddBOS() || tok.BOS() != v.EOS || tok.Pre() != "qwen2" || tok.VocabSize() != len(v.Tokens) {
		t.Errorf("metadata: addBOS %v bos %d pre %q n %d", tok.AddBOS(), tok.BOS(), tok.Pre(), tok.VocabSize())
	}
}

// TestDecoderHoldsSplitCharacters streams byte tokens of multi-byte
// characters one at a time.
func TestDecoderHoldsSplitCharacters(t *testing.T) {
	tok := load(t, "tokenizer", "ggml-vocab-llama-spm.gguf")
	byteTok := func(b byte) int32 {
		id, ok := tok.ID("<0x" + strings.ToUpper(string("0123456789abcdef"[b>>4])+string("0123456789abcdef"[b&15])) + ">")
		if !ok {
			t.Fatalf("no byte token for %x", b)
		}
		return id
	}
	text := "中🦙é"
	d := tok.NewDecoder()
	var got []string
	for i := 0; i < len(text); i++ {
		got = append(got, d.Next(byteTok(text[i])))
	}
	want := []string{"", "", "中", "", "", "", "🦙", "", "é"}
	if !slices.Equal(got, want) {
		t.Errorf("stream = %q, want %q", got, want)
	}
	if d.Pending() || d.Flush() != "" {
		t.Error("bytes left over")
	}
	// An incomplete character at the end comes out on Flush; invalid bytes
	// are not held.
	d.Next(byteTok(0xE4))
	if !d.Pending() {
		t.Error("E4 not held")
	}
	if s := d.Flush(); s != "\xe4" {
		t.Errorf("Flush = %q", s)
	}
	if s := d.Next(byteTok(0xFF)); s != "\xff" {
		t.Errorf("invalid byte held: %q", s)
	}
	if s := d.Next(byteTok(0xB8)); s != "\xb8" {
		t.Errorf("stray continuation byte held: %q", s)
	}
}
