// Package corpus turns synthetic traces (package gen) into training text
// and token sequences for the embedded model: each trace gives two
// conversations, the plan and the final answer, rendered with ChatML.
package corpus

import (
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/llm/local/chat"
	"github.com/plait-ai/plait/llm/local/embedded/gen"
	"github.com/plait-ai/plait/llm/local/embedded/train"
	"github.com/plait-ai/plait/llm/local/tokenizer"
)

// Template is the chat template the embedded model is trained with.
func Template() chat.Template {
	t, err := chat.Lookup("chatml")
	if err != nil {
		panic(err) // chatml is always known to package chat
	}
	return t
}

// Conversations returns the conversations of exs: for each, the planning
// conversation then the answering one.
func Conversations(exs []gen.Example) [][]llm.Message {
	out := make([][]llm.Message, 0, 2*len(exs))
	for i := range exs {
		out = append(out, exs[i].PlanMessages(), exs[i].AnswerMessages())
	}
	return out
}

// Texts renders conversations as whole ChatML texts, for training a
// tokenizer.
func Texts(convs [][]llm.Message) ([]string, error) {
	t := Template()
	out := make([]string, 0, len(convs))
	for _, c := range convs {
		s, err := t.Render(c, nil, chat.Options{NoGenerationPrompt: true})
		if err != nil {
			return nil, fmt.Errorf("corpus: %w", err)
		}
		out = append(out, s)
	}
	return out, nil
}

// Sequences tokenizes conversations for training; conversations longer
// than maxSeq are skipped and counted.
func Sequences(tok *tokenizer.Tokenizer, convs [][]llm.Message, maxSeq int) (seqs []train.Sequence, skipped int, err error) {
	t := Template()
	for _, c := range convs {
		s, err := train.EncodeChat(tok, t, c, maxSeq)
		if errors.Is(err, train.ErrTooLong) {
			skipped++
			continue
		}
		if err != nil {
			return nil, 0, err
		}
		seqs = append(seqs, s)
	}
	return seqs, skipped, nil
}

// CopySequences returns n sequences that teach copying, the skill a plan
// needs to repeat names from its goal and an answer to quote its
// documents: a span of tokens taken from seqs, other tokens from seqs,
// then the span again, with the loss only on the repeat (after its first
// token, which nothing announces). Mixed into the training data, they make
// the attention heads that copy (induction heads) form early. Every
// sequence fits in maxSeq tokens; the same seed gives the same sequences.
func CopySequences(seqs []train.Sequence, n, maxSeq int, seed uint64) []train.Sequence {
	if len(seqs) == 0 || maxSeq < 8 {
		return nil
	}
	r := rand.New(rand.NewPCG(seed, 0xC0B1))
	out := make([]train.Sequence, 0, n)
	for len(out) < n {
		a := seqs[r.IntN(len(seqs))].Tokens
		b := seqs[r.IntN(len(seqs))].Tokens
		l := min(4+r.IntN(45), len(a), (maxSeq-1)/2)
		f := min(r.IntN(400), len(b), maxSeq-1-2*l)
		if l < 2 || f < 0 {
			continue
		}
		s := r.IntN(len(a) - l + 1)
		o := r.IntN(len(b) - f + 1)
		ids := make([]int32, 0, 2*l+f)
		ids = append(ids, a[s:s+l]...)
		ids = append(ids, b[o:o+f]...)
		ids = append(ids, a[s:s+l]...)
		seq := train.Sequence{Tokens: ids[:len(ids)-1], Targets: make([]int32, len(ids)-1)}
		for i := range seq.Targets {
			seq.Targets[i] = -1
			if i+1 > l+f {
				seq.Targets[i] = ids[i+1]
			}
		}
		out = append(out, seq)
	}
	return out
}
