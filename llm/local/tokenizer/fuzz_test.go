package tokenizer_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/plait-ai/plait/llm/local/tokenizer"
)

func seedVectors(f *testing.F, name string) {
	for _, v := range vectors(f, name) {
		f.Add(v.text)
	}
	f.Add("<|endoftext|>a<s></s>")
	f.Add("\xff\xfe invalid \xc3")
}

// FuzzEncodeGPT2: no input panics; valid UTF-8 round-trips exactly.
func FuzzEncodeGPT2(f *testing.F) {
	seedVectors(f, "gpt-2")
	tok := load(f, "tokenizer", "ggml-vocab-gpt-2.gguf")
	f.Fuzz(func(t *testing.T, text string) {
		ids := tok.Encode(text, false, false)
		got := tok.Decode(ids)
		if utf8.ValidString(text) && got != text {
			t.Fatalf("Decode(Encode(%q)) = %q", text, got)
		}
		tok.Encode(text, true, true)
		d := tok.NewDecoder()
		var sb strings.Builder
		for _, id := range ids {
			sb.WriteString(d.Next(id))
		}
		sb.WriteString(d.Flush())
		if sb.String() != got {
			t.Fatalf("streamed %q, decoded %q", sb.String(), got)
		}
	})
}

// FuzzEncodeSPM: no input panics; valid UTF-8 without "▁" round-trips
// exactly. (Invalid UTF-8 is split into characters by lead byte, as
// llama.cpp does, which can swallow a following space's "▁".)
func FuzzEncodeSPM(f *testing.F) {
	seedVectors(f, "llama-spm")
	tok := load(f, "tokenizer", "ggml-vocab-llama-spm.gguf")
	f.Fuzz(func(t *testing.T, text string) {
		ids := tok.Encode(text, true, false)
		if utf8.ValidString(text) && !strings.Contains(text, "▁") {
			if got := tok.Decode(ids); got != text {
				t.Fatalf("Decode(Encode(%q)) = %q", text, got)
			}
		}
		tok.Encode(text, false, true)
	})
}

// FuzzEncodeDeepseek runs the regexp2 pre-tokenizers: no input panics and
// valid UTF-8 without user-defined token text round-trips.
func FuzzEncodeDeepseek(f *testing.F) {
	seedVectors(f, "deepseek-llm")
	llm := load(f, "tokenizer", "ggml-vocab-deepseek-llm.gguf")
	coder := load(f, "tokenizer", "ggml-vocab-deepseek-coder.gguf")
	f.Fuzz(func(t *testing.T, text string) {
		for _, tok := range []interface {
			Encode(string, bool, bool) []int32
			Decode([]int32) string
		}{llm, coder} {
			ids := tok.Encode(text, false, false)
			if got := tok.Decode(ids); utf8.ValidString(text) && got != text {
				t.Fatalf("Decode(Encode(%q)) = %q", text, got)
			}
		}
	})
}

// FuzzDecode: any ids decode without panicking.
func FuzzDecode(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3})
	f.Add([]byte{0xff, 0xff, 0xff, 0x7f})
	tok := load(f, "tokenizer", "ggml-vocab-gpt-2.gguf")
	f.Fuzz(func(t *testing.T, b []byte) {
		var ids []int32
		for i := 0; i+3 < len(b); i += 4 {
			ids = append(ids, int32(uint32(b[i])|uint32(b[i+1])<<8|uint32(b[i+2])<<16|uint32(b[i+3])<<24)%70000-100)
		}
		tok.Decode(ids)
		tok.Detokenize(ids, true)
		d := tok.NewDecoder()
		for _, id := range ids {
			d.Next(id)
			tok.TokenBytes(id)
			tok.Piece(id)
			tok.IsEOG(id)
		}
		d.Flush()
	})
}

// FuzzNew builds tokenizers from arbitrary vocabularies: New either fails
// with an error or returns a tokenizer that encodes and decodes without
// panicking.
func FuzzNew(f *testing.F) {
	f.Add("a\x00b\x00ab\x00 \x00Ġ", "a b\x00ab Ġ", "gpt-2", uint8(0))
	f.Add("<s>\x00</s>\x00▁a\x00<0x41>", "", "", uint8(1))
	f.Add("x\x00y", "x y\x00 \x00x\x00", "llama-bpe", uint8(2))
	f.Fuzz(func(t *testing.T, toks, merges, pre string, kind uint8) {
		v := &tokenizer.Vocab{
			Model: "gpt2", Pre: pre, Tokens: strings.Split(toks, "\x00"),
			BOS: tokenizer.NoToken, EOS: tokenizer.NoToken, UNK: tokenizer.NoToken, PAD: tokenizer.NoToken,
			EOT: tokenizer.NoToken, EOM: tokenizer.NoToken, SEP: tokenizer.NoToken,
		}
		if merges != "" {
			v.Merges = strings.Split(merges, "\x00")
		}
		v.Types = make([]tokenizer.TokenType, len(v.Tokens))
		for i := range v.Types {
			v.Types[i] = tokenizer.TokenType((int(kind) + i) % 8)
		}
		if kind%2 == 1 {
			v.Model = "llama"
			v.Scores = make([]float32, len(v.Tokens))
			for i := range v.Scores {
				v.Scores[i] = float32(-i)
			}
			v.AddSpacePrefix = kind%4 == 1
			v.UNK = 0
		}
		tok, err := tokenizer.New(v)
		if err != nil {
			return
		}
		for _, text := range []string{toks, merges, "a b  c\n", "\xff<s>"} {
			ids := tok.Encode(text, true, true)
			tok.Decode(ids)
			tok.Detokenize(ids, true)
			for _, id := range ids {
				if id < 0 || int(id) >= tok.VocabSize() {
					t.Fatalf("Encode(%q) gave id %d of %d", text, id, tok.VocabSize())
				}
			}
		}
	})
}
