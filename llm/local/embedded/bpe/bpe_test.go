package bpe_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/plait-ai/plait/llm/local/chat"
	"github.com/plait-ai/plait/llm/local/embedded/bpe"
	"github.com/plait-ai/plait/llm/local/embedded/gen"
	"github.com/plait-ai/plait/llm/local/gguf"
	"github.com/plait-ai/plait/llm/local/tokenizer"
)

func corpus(t testing.TB, seed uint64, n int) []string {
	tmpl, err := chat.Lookup("chatml")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range gen.Generate(gen.Config{Seed: seed}, n) {
		s, err := tmpl.Render(e.PlanMessages(), nil, chat.Options{NoGenerationPrompt: true})
		if err != nil {
			t.Fatal(err)
		}
		a, err := tmpl.Render(e.AnswerMessages(), nil, chat.Options{NoGenerationPrompt: true})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, s, a)
	}
	return out
}

// roundTrip loads v through a GGUF file, as the runtime does.
func load(t *testing.T, v *tokenizer.Vocab) *tokenizer.Tokenizer {
	t.Helper()
	var w gguf.Writer
	w.Set("general.architecture", "llama")
	if err := bpe.WriteGGUF(&w, v); err != nil {
		t.Fatal(err)
	}
	data, err := w.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	f, err := gguf.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenizer.FromGGUF(f)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestTrainRoundTrip(t *testing.T) {
	train := corpus(t, 1, 200)
	v, err := bpe.Train(train, bpe.Options{VocabSize: 1024, Specials: bpe.ChatML})
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Tokens) > 1024 || len(v.Merges) < 500 {
		t.Fatalf("%d tokens, %d merges", len(v.Tokens), len(v.Merges))
	}
	tok := load(t, v)
	end, ok := tok.ID("<|im_end|>")
	if !ok || !tok.IsControl(end) || !tok.IsEOG(end) {
		t.Fatalf("<|im_end|> is not a control end-of-generation token")
	}
	start, _ := tok.ID("<|im_start|>")
	var bytesIn, tokensOut int
	for _, s := range append(corpus(t, 99, 30), "unseen ünïcödé 文本 🙂 \x00 tabs\t\n") {
		ids := tok.Encode(s, false, true)
		if got := tok.Detokenize(ids, true); got != s {
			t.Fatalf("round trip:\n%q\n%q", s, got)
		}
		n := 0
		for _, id := range ids {
			if id == start {
				n++
			}
		}
		if want := countSub(s, "<|im_start|>"); n != want {
			t.Fatalf("<|im_start|> encoded %d times, want %d", n, want)
		}
		bytesIn += len(s)
		tokensOut += len(ids)
	}
	// The merges must compress the traces well: bytes alone give about
	// one byte per token here (Chinese takes three), and the traces'
	// documents are random prose, which 1024 tokens cannot cover.
	if r := float64(bytesIn) / float64(tokensOut); r < 2.5 {
		t.Fatalf("only %.2f bytes per token", r)
	}
	t.Logf("%.2f bytes per token on held-out traces", float64(bytesIn)/float64(tokensOut))
}

func countSub(s, sub string) int {
	n := 0
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			n++
		}
	}
	return n
}

func TestDeterministic(t *testing.T) {
	c := corpus(t, 2, 40)
	a, _ := bpe.Train(c, bpe.Options{VocabSize: 600, Specials: bpe.ChatML})
	b, _ := bpe.Train(c, bpe.Options{VocabSize: 600, Specials: bpe.ChatML})
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two trainings differ")
	}
}

func TestVocabTooSmall(t *testing.T) {
	if _, err := bpe.Train([]string{"x"}, bpe.Options{VocabSize: 100}); !errors.Is(err, bpe.ErrVocabSize) {
		t.Fatalf("got %v", err)
	}
}
