// Package gguf reads and writes GGUF files, the single-file model format of
// llama.cpp and ggml (versions 2 and 3).
//
// A GGUF file holds an ordered list of metadata key/values (the model's
// architecture, hyper-parameters and tokenizer), a table of tensor infos
// (name, shape, element type, offset) and the tensor data, aligned.
//
// Reading:
//
//	f, err := gguf.Open("model.gguf") // memory-maps the file
//	if err != nil { ... }
//	defer f.Close()
//	arch := f.Architecture()
//	nLayer, err := f.Uint(arch + ".block_count")
//	tokens, err := f.Strings("tokenizer.ggml.tokens")
//	w, err := f.TensorData("blk.0.attn_q.weight") // the mapped bytes, no copy
//
// [Parse] and [ParseReaderAt] read a file held in memory or behind an
// io.ReaderAt. Every length and count in the file is checked against the
// bytes that remain before anything is allocated, and every problem is
// reported as an error that wraps [ErrMalformed] (or [ErrUnsupported] for a
// version this package does not read), so untrusted files are safe to open.
//
// Writing: a [Writer] collects metadata and tensor descriptions, then
// streams the file out; each tensor's bytes come from a function called when
// its turn comes, so a large model never has to be held in memory.
//
//	var w gguf.Writer
//	w.Set("general.architecture", "llama")
//	w.AddTensor("token_embd.weight", ggml.F32, []uint64{64, 1000}, gguf.Bytes(data))
//	err := w.WriteFile("model.gguf")
//
// A *File is safe for concurrent use by multiple goroutines once opened;
// slices returned by TensorData must not be used after Close. A Writer is
// not safe for concurrent use.
package gguf
