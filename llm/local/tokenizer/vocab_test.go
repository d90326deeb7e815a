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

// TestGGUFRoundTrip writes vocabularies with Vocab.WriteGGUF and reads them
// back through FromGGUF.
func TestGGUFRoundTrip(t *testing.T) {
	spm := &tokenizer.Vocab{
		Model: "llama", Tokens: []string{"<unk>", "<s>", "</s>", "▁a", "a", "▁", "b", "<0x41>"},
		Scores: []float32{0, 0, 0, -1, -2, -3, -4, 0},
		Types:  []tokenizer.TokenType{2, 3, 3, 1, 1, 1, 1, 6},
		BOS:    1, EOS: 2, UNK: 0, PAD: tokenizer.NoToken, EOT: tokenizer.NoToken, EOM: tokenizer.NoToken, SEP: tokenizer.NoToken,
		AddBOS: true, AddSpacePrefix: true,
	}
	for _, v := range []*tokenizer.Vocab{tinyBPE("qwen2"), tinyBPE("llama-bpe"), spm} {
		var w gguf.Writer
		w.Set("general.architecture", "llama")
		if err := v.WriteGGUF(&w); err != nil {
			t.Fatal(err)
		}
		b, err := w.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		f, err := gguf.Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		back, err := tokenizer.VocabFromGGUF(f)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(back.Tokens, v.Tokens) || !slices.Equal(back.Merges, v.Merges) || !slices.Equal(back.Types, v.Types) ||
			back.BOS != v.BOS || back.EOS != v.EOS || back.UNK != v.UNK || back.AddBOS != v.AddBOS || back.AddSpacePrefix != v.AddSpacePrefix {
			t.Errorf("%s/%s: vocabulary changed on the way through GGUF", v.Model, v.Pre)
		}
		tok, err := tokenizer.FromGGUF(f)
		if err != nil {
			t.Fatal(err)
		}
		direct, err := tokenizer.New(v)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{"hello world", "<|im_start|>x", "123123", "a b ab A"} {
			if a, b := tok.Encode(s, true, true), direct.Encode(s, true, true); !slices.Equal(a, b) {
				t.Errorf("%q: from GGUF %v, direct %v", s, a, b)
			}
		}
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
