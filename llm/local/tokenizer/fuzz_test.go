package tokenizer_test

import (
	"strings"
	"testing"
	"unicode/utf8"
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
