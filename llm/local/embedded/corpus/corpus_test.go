package corpus_test

import (
	"strings"
	"testing"

	"github.com/plait-ai/plait/llm/local/embedded/bpe"
	"github.com/plait-ai/plait/llm/local/embedded/corpus"
	"github.com/plait-ai/plait/llm/local/embedded/gen"
	"github.com/plait-ai/plait/llm/local/tokenizer"
)

// The loss covers exactly the assistant's reply and the token that ends
// its turn; the prompt tokens decode to the rendered prompt.
func TestSequencesMaskTheReply(t *testing.T) {
	exs := gen.Generate(gen.Config{Seed: 2}, 30)
	convs := corpus.Conversations(exs)
	texts, err := corpus.Texts(convs)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(texts[0], "<|im_start|>system\n") || !strings.Contains(texts[0], exs[0].PlanJSON+"<|im_end|>") {
		t.Fatalf("unexpected rendering:\n%s", texts[0])
	}
	v, err := bpe.Train(texts, bpe.Options{VocabSize: 800, Specials: bpe.ChatML})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenizer.New(v)
	if err != nil {
		t.Fatal(err)
	}
	seqs, skipped, err := corpus.Sequences(tok, convs, 4096)
	if err != nil || skipped != 0 || len(seqs) != len(convs) {
		t.Fatalf("%d sequences, %d skipped, %v", len(seqs), skipped, err)
	}
	for i, s := range seqs {
		var reply []int32
		for j, tg := range s.Targets {
			if tg >= 0 {
				reply = append(reply, tg)
			} else if len(reply) > 0 {
				t.Fatalf("sequence %d: a gap in the loss mask at %d", i, j)
			}
		}
		want := convs[i][len(convs[i])-1].Content + "<|im_end|>"
		if got := tok.Detokenize(reply, true); got != want {
			t.Fatalf("sequence %d: loss on %q, want %q", i, got, want)
		}
	}
	if _, skipped, _ := corpus.Sequences(tok, convs, 50); skipped != len(convs) {
		t.Fatalf("%d of %d long conversations skipped", skipped, len(convs))
	}
}
