package bpe

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/dlclark/regexp2/v2"

	"github.com/plait-ai/plait/llm/local/gguf"
	"github.com/plait-ai/plait/llm/local/tokenizer"
)

// Pre is the pre-tokenizer the vocabulary is trained for and written with.
const Pre = "qwen2"

// patQwen2 is llama.cpp's qwen2 pre-tokenizer pattern, the one package
// tokenizer applies for Pre.
const patQwen2 = `(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`

// ChatML are the special tokens of the ChatML chat template; the first
// ends a turn and is the vocabulary's end of sequence.
var ChatML = []string{"<|im_end|>", "<|im_start|>", "<|endoftext|>"}

// Options configures [Train].
type Options struct {
	// VocabSize is the size of the whole vocabulary: 256 byte tokens,
	// merges and specials. 0 means 4096.
	VocabSize int
	// Specials are control tokens appended after the merges; Specials[0]
	// becomes EOS and EOT. The texts may contain them: they are never
	// split or merged.
	Specials []string
	// MinCount stops training when the best pair occurs fewer times; 0
	// means 2.
	MinCount int
}

// ErrVocabSize is returned when VocabSize cannot hold the byte tokens and
// the specials.
var ErrVocabSize = errors.New("bpe: vocabulary size too small")

// byteToRune is GPT-2's map from bytes to printable runes.
var byteToRune [256]rune

func init() {
	n := 0
	for b := 0; b < 256; b++ {
		if (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF) {
			byteToRune[b] = rune(b)
		} else {
			byteToRune[b] = rune(256 + n)
			n++
		}
	}
}

func encodeBytes(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		b.WriteRune(byteToRune[s[i]])
	}
	return b.String()
}

// Train learns a byte-level BPE vocabulary from texts.
func Train(texts []string, opts Options) (*tokenizer.Vocab, error) {
	size := opts.VocabSize
	if size == 0 {
		size = 4096
	}
	if size < 256+len(opts.Specials) {
		return nil, fmt.Errorf("%w: %d cannot hold 256 byte tokens and %d specials", ErrVocabSize, size, len(opts.Specials))
	}
	minCount := opts.MinCount
	if minCount <= 0 {
		minCount = 2
	}
	re, err := regexp2.Compile(patQwen2, regexp2.None, regexp2.OptionMaxBacktrackingStackSize(-1))
	if err != nil {
		return nil, fmt.Errorf("bpe: %w", err)
	}
	// Count the pre-tokenized words.
	counts := map[string]int{}
	for _, text := range texts {
		for _, frag := range splitSpecials(text, opts.Specials) {
			m, err := re.FindStringMatch(frag)
			for m != nil && err == nil {
				i, l := m.ByteRange()
				counts[frag[i:i+l]]++
				m, err = re.FindNextMatch(m)
			}
		}
	}
	// Tokens 0..255 are the bytes.
	tokens := make([]string, 256, size)
	for b := range 256 {
		tokens[b] = string(byteToRune[b])
	}
	type word struct {
		syms  []int32
		count int
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	words := make([]word, len(keys))
	for i, k := range keys {
		syms := make([]int32, len(k))
		for j := 0; j < len(k); j++ {
			syms[j] = int32(k[j])
		}
		words[i] = word{syms, counts[k]}
	}
	var merges []string
	type pair struct{ a, b int32 }
	nMerges := size - 256 - len(opts.Specials)
	pc := map[pair]int{}
	for len(merges) < nMerges {
		clear(pc)
		for _, w := range words {
			for j := 0; j+1 < len(w.syms); j++ {
				pc[pair{w.syms[j], w.syms[j+1]}] += w.count
			}
		}
		best, bestN := pair{}, 0
		for p, n := range pc {
			if n > bestN || (n == bestN && lessPair(tokens, p.a, p.b, best.a, best.b)) {
				best, bestN = p, n
			}
		}
		if bestN < minCount {
			break
		}
		id := int32(len(tokens))
		tokens = append(tokens, tokens[best.a]+tokens[best.b])
		merges = append(merges, tokens[best.a]+" "+tokens[best.b])
		for i := range words {
			s := words[i].syms
			out := s[:0]
			for j := 0; j < len(s); j++ {
				if j+1 < len(s) && s[j] == best.a && s[j+1] == best.b {
					out = append(out, id)
					j++
				} else {
					out = append(out, s[j])
				}
			}
			words[i].syms = out
		}
	}
	types := make([]tokenizer.TokenType, len(tokens), len(tokens)+len(opts.Specials))
	for i := range types {
		types[i] = tokenizer.TypeNormal
	}
	v := &tokenizer.Vocab{
		Model: "gpt2", Pre: Pre, Merges: merges,
		BOS: tokenizer.NoToken, EOS: tokenizer.NoToken, UNK: tokenizer.NoToken, PAD: tokenizer.NoToken,
		EOT: tokenizer.NoToken, EOM: tokenizer.NoToken, SEP: tokenizer.NoToken,
	}
	for i, s := range opts.Specials {
		if i == 0 {
			v.EOS, v.EOT = int32(len(tokens)), int32(len(tokens))
		}
		tokens = append(tokens, s)
		types = append(types, tokenizer.TypeControl)
	}
	v.Tokens, v.Types = tokens, types
	return v, nil
}

// lessPair orders pairs by their tokens' text, for deterministic ties.
func lessPair(tokens []string, a, b, c, d int32) bool {
	if tokens[a] != tokens[c] {
		return tokens[a] < tokens[c]
	}
	return tokens[b] < tokens[d]
}

// splitSpecials cuts text around occurrences of the specials, dropping them.
func splitSpecials(text string, specials []string) []string {
	out := []string{text}
	for _, sp := range specials {
		var next []string
		for _, f := range out {
			next = append(next, strings.Split(f, sp)...)
		}
		out = next
	}
	return out
}

// WriteGGUF sets the tokenizer metadata of v on w (tokenizer.ggml.*),
// as package tokenizer reads it back.
func WriteGGUF(w *gguf.Writer, v *tokenizer.Vocab) (err error) {
	if _, err = tokenizer.New(v); err != nil {
		return fmt.Errorf("bpe: the vocabulary does not load: %w", err)
	}
	types := make([]int32, len(v.Tokens))
	for i := range types {
		types[i] = int32(tokenizer.TypeNormal)
		if v.Types != nil {
			types[i] = int32(v.Types[i])
		}
	}
	set := func(k string, x any) {
		if err == nil {
			err = w.Set(k, x)
		}
	}
	set("tokenizer.ggml.model", v.Model)
	set("tokenizer.ggml.pre", v.Pre)
	set("tokenizer.ggml.tokens", v.Tokens)
	set("tokenizer.ggml.token_type", types)
	if len(v.Merges) > 0 {
		set("tokenizer.ggml.merges", v.Merges)
	}
	if len(v.Scores) > 0 {
		set("tokenizer.ggml.scores", v.Scores)
	}
	for _, id := range []struct {
		k string
		v int32
	}{{"bos_token_id", v.BOS}, {"eos_token_id", v.EOS}, {"eot_token_id", v.EOT}, {"unknown_token_id", v.UNK}, {"padding_token_id", v.PAD}} {
		if id.v >= 0 {
			set("tokenizer.ggml."+id.k, uint32(id.v))
		}
	}
	set("tokenizer.ggml.add_bos_token", v.AddBOS)
	set("tokenizer.ggml.add_eos_token", v.AddEOS)
	return err
}
