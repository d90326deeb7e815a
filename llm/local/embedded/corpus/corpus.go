// Package corpus turns synthetic traces (package gen) into training text
// and token sequences for the embedded model: each trace gives two
// conversations, the plan and the final answer, rendered with ChatML.
package corpus

import (
	"errors"
	"fmt"

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
