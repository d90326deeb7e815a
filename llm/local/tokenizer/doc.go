// Package tokenizer turns text into token ids and back for the models of
// the local runtime, from the tokenizer a GGUF file describes, byte for
// byte as llama.cpp does.
//
// Two tokenizer models are implemented:
//
//   - "llama": SentencePiece BPE. Adjacent pieces are merged by score; a
//     character with no token falls back to byte tokens (<0x0A>); spaces are
//     written "▁"; a space is put before the text (add_dummy_prefix) when
//     the vocabulary asks.
//   - "gpt2": byte-level BPE. The text is first split into words by the
//     pre-tokenizer the file names in tokenizer.ggml.pre (gpt-2, llama-bpe
//     / llama3, qwen2, deepseek-r1-qwen, smollm, deepseek-llm,
//     deepseek-coder and others; see [PreTokenizers]); each word's bytes are
//     mapped to GPT-2's printable characters and merged by the rank of the
//     merges.
//
// The pre-tokenizers' split patterns use look-ahead, which Go's regexp
// cannot express. The patterns of gpt-2, llama3, qwen2, smollm,
// deepseek-llm and deepseek-coder are hand-written scanners; the rest run
// on github.com/dlclark/regexp2. The tests check every scanner against
// regexp2 on random text, and BenchmarkSplit measures both (the scanners
// are 3 to 20 times faster).
// Character classes (\p{L}, \p{N}, \s) follow Go's unicode tables.
//
// Use:
//
//	f, _ := gguf.Open("model.gguf")
//	tok, err := tokenizer.FromGGUF(f)
//	ids := tok.Encode("Hello, world", true, false) // with BOS if the model wants it
//	text := tok.Decode(ids)
//
//	dec := tok.NewDecoder() // streaming: holds back split UTF-8 characters
//	for _, id := range generated { fmt.Print(dec.Next(id)) }
//	fmt.Print(dec.Flush())
//
// A tokenizer can also be built without a file, from a [Vocab] ([New]).
//
// Special tokens: control tokens (BOS, <|im_start|>) are recognised in the
// input only when Encode's parseSpecial is set; user-defined tokens always.
// [Tokenizer.IsEOG] reports the tokens that end generation, derived as
// llama.cpp derives them (EOS, EOT, and tokens such as <|im_end|>,
// <|eot_id|>, <｜end▁of▁sentence｜> found by their text).
//
// A *Tokenizer is immutable once built and safe for concurrent use by
// multiple goroutines; a *Decoder is not.
package tokenizer
