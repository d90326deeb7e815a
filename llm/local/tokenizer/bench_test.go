package tokenizer_test

import (
	"strings"
	"testing"
)

// corpus is about 64 KiB of mixed text: the test vectors' inputs (English,
// code, Cyrillic, Chinese, emoji, white space runs) repeated.
func corpus(tb testing.TB) string {
	var b strings.Builder
	for b.Len() < 64<<10 {
		for _, v := range vectors(tb, "gpt-2") {
			b.WriteString(v.text)
			b.WriteString("\n")
		}
		b.WriteString("The quick brown fox jumps over the lazy dog. It's 12345 o'clock; we're done.\n")
		b.WriteString("func main() {\n\tfmt.Println(\"hello, 世界\")\n}\n")
	}
	return b.String()
}

func BenchmarkEncode(b *testing.B) {
	for _, name := range vocabNames {
		b.Run(name, func(b *testing.B) {
			tok := load(b, "tokenizer", "ggml-vocab-"+name+".gguf")
			text := corpus(b)
			n := len(tok.Encode(text, false, false))
			b.SetBytes(int64(len(text)))
			cpu0 := cpuTime()
			for b.Loop() {
				tok.Encode(text, false, false)
			}
			sec := b.Elapsed().Seconds()
			b.ReportMetric(float64(n)*float64(b.N)/sec, "tokens/s")
			if cpu := (cpuTime() - cpu0).Seconds(); cpu > 0 {
				b.ReportMetric(float64(n)*float64(b.N)/cpu, "tokens/cpu-s")
				b.ReportMetric(float64(len(text))*float64(b.N)/cpu/1e6, "MB/cpu-s")
			}
		})
	}
}

func BenchmarkDecode(b *testing.B) {
	tok := load(b, "tokenizer", "ggml-vocab-gpt-2.gguf")
	text := corpus(b)
	ids := tok.Encode(text, false, false)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		tok.Decode(ids)
	}
	b.ReportMetric(float64(len(ids))*float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
}

func BenchmarkDecoderStream(b *testing.B) {
	tok := load(b, "tokenizer", "ggml-vocab-gpt-2.gguf")
	ids := tok.Encode(corpus(b), false, false)
	b.ReportAllocs()
	for b.Loop() {
		d := tok.NewDecoder()
		for _, id := range ids {
			d.Next(id)
		}
		d.Flush()
	}
	b.ReportMetric(float64(len(ids))*float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
}
