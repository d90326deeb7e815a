package gguf_test

import (
	"fmt"

	"github.com/plait-ai/plait/llm/local/ggml"
	"github.com/plait-ai/plait/llm/local/gguf"
)

func Example() {
	var w gguf.Writer
	w.Set("general.architecture", "llama")
	w.Set("llama.block_count", uint32(2))
	w.Set("tokenizer.ggml.tokens", []string{"<unk>", "<s>", "</s>"})
	w.AddTensor("output_norm.weight", ggml.F32, []uint64{4}, gguf.Bytes(make([]byte, 16)))
	data, err := w.Bytes()
	if err != nil {
		panic(err)
	}

	f, err := gguf.Parse(data) // gguf.Open(path) maps a file instead
	if err != nil {
		panic(err)
	}
	layers, _ := f.Uint(f.ArchKey("block_count"))
	toks, _ := f.Strings("tokenizer.ggml.tokens")
	norm, _ := f.Float32Data("output_norm.weight")
	fmt.Println(f.Architecture(), layers, len(toks), len(norm))
	// Output: llama 2 3 4
}
