package corpus_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/plait-ai/plait/llm/local/embedded/bpe"
	"github.com/plait-ai/plait/llm/local/embedded/corpus"
	"github.com/plait-ai/plait/llm/local/embedded/gen"
	"github.com/plait-ai/plait/llm/local/embedded/train"
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

func TestCopySequences(t *testing.T) {
	var src []train.Sequence
	for i := range 5 {
		s := train.Sequence{Tokens: make([]int32, 30+i*40)}
		for j := range s.Tokens {
			s.Tokens[j] = int32(1000*i + j)
		}
		src = append(src, s)
	}
	got := corpus.CopySequences(src, 200, 96, 1)
	if len(got) != 200 {
		t.Fatalf("%d sequences", len(got))
	}
	for k, s := range got {
		if len(s.Tokens) != len(s.Targets) || len(s.Tokens)+1 > 96 {
			t.Fatalf("sequence %d: %d tokens, %d targets", k, len(s.Tokens), len(s.Targets))
		}
		// The targets are a suffix of the sequence that repeats its start.
		first := -1
		for i, tg := range s.Targets {
			if tg >= 0 && first < 0 {
				first = i
			}
			if first >= 0 && tg < 0 {
				t.Fatalf("sequence %d: a gap in the targets at %d", k, i)
			}
		}
		if first < 0 {
			t.Fatalf("sequence %d has no target", k)
		}
		ids := append(append([]int32{}, s.Tokens...), s.Targets[len(s.Targets)-1])
		l := len(ids) - first
		for i := 1; i < l; i++ {
			if ids[first+i] != ids[i] || s.Targets[first+i-1] != ids[i] {
				t.Fatalf("sequence %d: position %d does not repeat the span", k, first+i)
			}
		}
	}
	if again := corpus.CopySequences(src, 200, 96, 1); !reflect.DeepEqual(again, got) {
		t.Error("same seed, different sequences")
	}
}
