package tokenizer

import (
	"fmt"

	"github.com/plait-ai/plait/llm/local/gguf"
)

// WriteGGUF sets the tokenizer.ggml.* metadata describing v on w, so that
// VocabFromGGUF (and llama.cpp) read the same vocabulary back. Special
// tokens set to NoToken are left out.
func (v *Vocab) WriteGGUF(w *gguf.Writer) error {
	if len(v.Tokens) == 0 {
		return fmt.Errorf("%w: no tokens", ErrInvalid)
	}
	set := func(key string, val any) error {
		if err := w.Set(key, val); err != nil {
			return fmt.Errorf("tokenizer: %w", err)
		}
		return nil
	}
	if err := set("tokenizer.ggml.model", v.Model); err != nil {
		return err
	}
	if v.Model == "gpt2" || v.Pre != "" {
		pre := v.Pre
		if pre == "" {
			pre = "default"
		}
		if err := set("tokenizer.ggml.pre", pre); err != nil {
			return err
		}
	}
	if err := set("tokenizer.ggml.tokens", v.Tokens); err != nil {
		return err
	}
	if v.Scores != nil {
		if err := set("tokenizer.ggml.scores", v.Scores); err != nil {
			return err
		}
	}
	if v.Types != nil {
		tt := make([]int32, len(v.Types))
		for i, x := range v.Types {
			tt[i] = int32(x)
		}
		if err := set("tokenizer.ggml.token_type", tt); err != nil {
			return err
		}
	}
	if v.Merges != nil {
		if err := set("tokenizer.ggml.merges", v.Merges); err != nil {
			return err
		}
	}
	for _, s := range []struct {
		key string
		id  int32
	}{
		{"tokenizer.ggml.bos_token_id", v.BOS},
		{"tokenizer.ggml.eos_token_id", v.EOS},
		{"tokenizer.ggml.eot_token_id", v.EOT},
		{"tokenizer.ggml.eom_token_id", v.EOM},
		{"tokenizer.ggml.unknown_token_id", v.UNK},
		{"tokenizer.ggml.seperator_token_id", v.SEP},
		{"tokenizer.ggml.padding_token_id", v.PAD},
	} {
		if s.id < 0 {
			continue
		}
		if int(s.id) >= len(v.Tokens) {
			return fmt.Errorf("%w: %s %d is out of range (%d tokens)", ErrInvalid, s.key, s.id, len(v.Tokens))
		}
		if err := set(s.key, uint32(s.id)); err != nil {
			return err
		}
	}
	if err := set("tokenizer.ggml.add_bos_token", v.AddBOS); err != nil {
		return err
	}
	if err := set("tokenizer.ggml.add_eos_token", v.AddEOS); err != nil {
		return err
	}
	if v.Model == "llama" {
		return set("tokenizer.ggml.add_space_prefix", v.AddSpacePrefix)
	}
	return nil
}
