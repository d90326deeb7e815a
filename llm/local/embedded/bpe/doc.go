// Package bpe trains a small byte-level BPE tokenizer on a corpus and
// writes it into a GGUF file, in the form package tokenizer reads
// (tokenizer.ggml.model "gpt2" with the "qwen2" pre-tokenizer).
//
// The vocabulary is the 256 byte tokens, then one token per learned merge,
// then the special tokens given (control tokens, such as ChatML's
// <|im_start|> and <|im_end|>). Every text round-trips: a byte no merge
// covers is its own token.
//
//	v, err := bpe.Train(texts, bpe.Options{VocabSize: 4096, Specials: bpe.ChatML})
//	var w gguf.Writer
//	err = bpe.WriteGGUF(&w, v)
//
// Training is deterministic: ties between pairs of equal count are broken
// by the pair's bytes.
package bpe
