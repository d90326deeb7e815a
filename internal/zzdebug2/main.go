package main

import (
	"fmt"
	"os"

	"github.com/plait-ai/plait/llm/local/embedded/corpus"
	"github.com/plait-ai/plait/llm/local/embedded/gen"
	"github.com/plait-ai/plait/llm/local/embedded/train"
	"github.com/plait-ai/plait/llm/local/gguf"
	"github.com/plait-ai/plait/llm/local/tokenizer"
)

func main() {
	ck := os.Args[1]
	f, _ := gguf.Open(ck + ".vocab.gguf")
	v, _ := tokenizer.VocabFromGGUF(f)
	tok, _ := tokenizer.New(v)
	exs := gen.Generate(gen.Config{Seed: 1, Split: gen.Train}, 40)
	convs := corpus.Conversations(exs)
	seqs, _, err := corpus.Sequences(tok, convs, 1280)
	if err != nil {
		panic(err)
	}
	copies := corpus.CopySequences(seqs, 40, 1280, 99)
	ds, _ := train.NewDataset(seqs, 4096, 1)
	tr, err := train.Resume(ck, ds, 0)
	if err != nil {
		panic(err)
	}
	batch := func(ss []train.Sequence) *train.Batch {
		b := &train.Batch{}
		for _, s := range ss {
			b.Tokens = append(b.Tokens, s.Tokens)
			b.Targets = append(b.Targets, s.Targets)
		}
		return b
	}
	fmt.Println("trace loss:", tr.Loss(batch(seqs[:8])))
	fmt.Println("copy loss:", tr.Loss(batch(copies[:8])))
	// short copies (span inside first 32 tokens) vs long
	var short, long []train.Sequence
	for _, c := range copies {
		n := 0
		for _, t := range c.Targets {
			if t < 0 {
				n++
			}
		}
		if n < 48 {
			short = append(short, c)
		} else if n > 200 {
			long = append(long, c)
		}
	}
	if len(short) > 0 {
		fmt.Println("copy loss, gap<48:", tr.Loss(batch(short)), len(short))
	}
	if len(long) > 0 {
		fmt.Println("copy loss, gap>200:", tr.Loss(batch(long)), len(long))
	}
}
