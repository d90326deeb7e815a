// Command train trains plait's embedded model on synthetic agent traces and
// exports it as a llama GGUF file.
//
//	go run ./llm/local/embedded/cmd/train -config tiny -out model.gguf
//
// It generates the training traces (package gen, training split), trains a
// byte-level BPE tokenizer on them (package bpe), trains the model (package
// train) and writes a checkpoint every -save-every steps to -ckpt (with the
// vocabulary beside it, as -ckpt.vocab.gguf). -resume continues from the
// checkpoint, with the same data order, so the loss curve is the one an
// uninterrupted run would give; -resume -export writes the checkpoint as
// it stands (a snapshot of a job still running) without training. The
// exported file is Q8_0 unless -quant f32.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"runtime"
	"slices"
	"time"

	"github.com/plait-ai/plait/llm/local"
	"github.com/plait-ai/plait/llm/local/embedded/bpe"
	"github.com/plait-ai/plait/llm/local/embedded/corpus"
	"github.com/plait-ai/plait/llm/local/embedded/gen"
	"github.com/plait-ai/plait/llm/local/embedded/train"
	"github.com/plait-ai/plait/llm/local/ggml"
	"github.com/plait-ai/plait/llm/local/gguf"
	"github.com/plait-ai/plait/llm/local/tokenizer"
)

func main() {
	var (
		config    = flag.String("config", "tiny", "preset: micro, tiny or small (see package train)")
		out       = flag.String("out", "model.gguf", "the GGUF file to write")
		ckpt      = flag.String("ckpt", "train.ckpt", "checkpoint file")
		resume    = flag.Bool("resume", false, "continue from -ckpt")
		steps     = flag.Int("steps", 0, "optimizer steps (0: the preset's)")
		examples  = flag.Int("examples", 6000, "synthetic traces to train on")
		vocabSize = flag.Int("vocab", 2048, "tokenizer vocabulary size")
		seed      = flag.Uint64("seed", 1, "seed of the data, the tokenizer and the weights")
		quantize  = flag.String("quant", "q8_0", "exported weight type: q8_0 or f32")
		threads   = flag.Int("threads", runtime.GOMAXPROCS(0), "threads")
		logEvery  = flag.Int("log-every", 10, "log the loss every N steps")
		saveEvery = flag.Int("save-every", 50, "checkpoint every N steps")
		name      = flag.String("name", "plait-embedded", "general.name of the exported model")
		maxSeq    = flag.Int("max-seq", 0, "longest training sequence and exported context (0: the preset's)")
		context   = flag.Int("context", 0, "exported context length, if not -max-seq")
		lengths   = flag.Bool("lengths", false, "print the distribution of sequence lengths and exit")
		until     = flag.Int("until", 0, "stop after this step with a checkpoint and no export (0: run to the end); -resume continues")
		copyFrac  = flag.Float64("copy", 0.25, "copying sequences to add, as a fraction of the trace sequences (see corpus.CopySequences)")
		snapshot  = flag.Bool("export", false, "with -resume: export the checkpoint as it stands to -out, without training (a snapshot of a running job)")
	)
	flag.Parse()
	log.SetFlags(log.Ltime)
	if *snapshot && !*resume {
		log.Fatal("-export needs -resume: it exports the checkpoint")
	}
	cfg, ok := train.Presets[*config]
	if !ok {
		log.Fatalf("unknown config %q", *config)
	}
	if *maxSeq > 0 {
		cfg.MaxSeq = *maxSeq
	}
	exs := gen.Generate(gen.Config{Seed: *seed, Split: gen.Train}, *examples)
	convs := corpus.Conversations(exs)
	vocabPath := *ckpt + ".vocab.gguf"
	var v *tokenizer.Vocab
	if *resume {
		f, err := gguf.Open(vocabPath)
		if err != nil {
			log.Fatalf("resume: %v", err)
		}
		if v, err = tokenizer.VocabFromGGUF(f); err != nil {
			log.Fatalf("resume: %v", err)
		}
		f.Close()
	} else {
		texts, err := corpus.Texts(convs)
		if err != nil {
			log.Fatal(err)
		}
		t0 := time.Now()
		if v, err = bpe.Train(texts, bpe.Options{VocabSize: *vocabSize, Specials: bpe.ChatML}); err != nil {
			log.Fatal(err)
		}
		var w gguf.Writer
		w.Set("general.architecture", "tokenizer")
		if err := bpe.WriteGGUF(&w, v); err != nil {
			log.Fatal(err)
		}
		if err := w.WriteFile(vocabPath); err != nil {
			log.Fatal(err)
		}
		log.Printf("tokenizer: %d tokens in %v", len(v.Tokens), time.Since(t0).Round(time.Millisecond))
	}
	tok, err := tokenizer.New(v)
	if err != nil {
		log.Fatal(err)
	}
	seqs, skipped, err := corpus.Sequences(tok, convs, cfg.MaxSeq)
	if err != nil {
		log.Fatal(err)
	}
	copies := corpus.CopySequences(seqs, int(*copyFrac*float64(len(seqs))), cfg.MaxSeq, *seed)
	seqs = append(seqs, copies...)
	total := 0
	for _, s := range seqs {
		total += len(s.Tokens)
	}
	if *lengths {
		printLengths(seqs)
		return
	}
	log.Printf("data: %d sequences (%d of them copying), %d tokens (%.0f per sequence), %d skipped as longer than %d", len(seqs), len(copies), total, float64(total)/float64(len(seqs)), skipped, cfg.MaxSeq)
	cfg.Vocab = len(v.Tokens)
	cfg.Seed = *seed
	cfg.Threads = *threads
	if *steps > 0 {
		cfg.Steps = *steps
	}
	ds, err := train.NewDataset(seqs, cfg.BatchTokens, *seed)
	if err != nil {
		log.Fatal(err)
	}
	var tr *train.Trainer
	if *resume {
		tr, err = train.Resume(*ckpt, ds, *steps)
		if err == nil {
			c := tr.Config()
			c.Threads = *threads
			log.Printf("resumed at step %d of %d", tr.StepNum(), c.Steps)
		}
	} else {
		tr, err = train.New(cfg, ds)
	}
	if err != nil {
		log.Fatal(err)
	}
	c := tr.Config()
	log.Printf("model: %d parameters, dim %d, %d layers, %d heads (%d kv), ffn %d, vocab %d; %d steps of %d tokens", tr.Params().Count(), c.Dim, c.Layers, c.Heads, c.KVHeads, c.FFN, c.Vocab, c.Steps, c.BatchTokens)
	t0, toks := time.Now(), 0
	var sum float64
	var n int
	end := c.Steps
	if *until > 0 && *until < end {
		end = *until
	}
	for !*snapshot && tr.StepNum() < end {
		st, err := tr.Step()
		if err != nil {
			log.Fatal(err)
		}
		toks += st.Tokens
		sum += st.Loss
		n++
		if st.Step%*logEvery == 0 || st.Step == c.Steps {
			el := time.Since(t0).Seconds()
			log.Printf("step %d/%d loss %.4f (mean %.4f) lr %.2e grad %.2f | %.0f tokens/s", st.Step, c.Steps, st.Loss, sum/float64(n), st.LR, st.GradNorm, float64(toks)/el)
			sum, n = 0, 0
		}
		if st.Step%*saveEvery == 0 || st.Step == end {
			if err := tr.Save(*ckpt); err != nil {
				log.Fatal(err)
			}
		}
	}
	if end < c.Steps && !*snapshot {
		log.Printf("stopped at step %d of %d; continue with -resume", end, c.Steps)
		return
	}
	typ := ggml.Q8_0
	if *quantize == "f32" {
		typ = ggml.F32
	}
	f, err := os.Create(*out)
	if err != nil {
		log.Fatal(err)
	}
	// The model is meant to be decoded greedily: it recommends so in the
	// file, and package local follows (a request can still ask otherwise).
	// Its answers quote the steps' outputs, which it is too small to copy
	// reliably: it asks for quotations held to the sources.
	kvs := map[string]any{
		"general.license":                 "Apache-2.0",
		"general.sampling.temp":           float32(0),
		"general.sampling.penalty_repeat": float32(1),
		local.KeyQuotes:                   "sentences",
	}
	if err := tr.Export(f, train.ExportOptions{Vocab: v, Type: typ, Name: *name, KVs: kvs, ContextLen: *context}); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
	fi, _ := os.Stat(*out)
	fmt.Printf("wrote %s (%d bytes)\n", *out, fi.Size())
}

// printLengths prints the quantiles of the sequences' lengths in tokens,
// and of the tokens that carry a loss.
func printLengths(seqs []train.Sequence) {
	n := make([]int, len(seqs))
	l := make([]int, len(seqs))
	for i, s := range seqs {
		n[i] = len(s.Tokens)
		for _, t := range s.Targets {
			if t >= 0 {
				l[i]++
			}
		}
	}
	slices.Sort(n)
	slices.Sort(l)
	for _, q := range []float64{0.1, 0.5, 0.9, 0.99, 1} {
		i := min(len(n)-1, int(q*float64(len(n))))
		fmt.Printf("q%.2f: %d tokens, %d with a loss\n", q, n[i], l[i])
	}
}
