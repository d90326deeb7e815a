// Package train trains small llama-architecture models in pure Go and
// exports them as GGUF files that package local runs.
//
// The model is the llama block: token embeddings tied with the output,
// RMSNorm, rotary position embeddings in the normal (interleaved) layout,
// causal grouped-query attention, and a SwiGLU feed-forward. Forward and
// backward run in float32 (each op is checked against finite differences in
// the tests). Every matrix product, attention's included (by blocks of
// query rows on the causal triangle), is one cache-blocked SGEMM with
// register-blocked AVX2/FMA or AVX-512 micro-kernels (a pure-Go path
// elsewhere), split over goroutines by rows or columns of the result; the
// softmax, SwiGLU and cross-entropy use a vectorized float32 exp. Each
// element's sum is taken in the same order whatever the split, so results
// do not depend on the thread count. The optimizer is
// AdamW with decoupled weight decay on matrices, a linear warm-up and a
// cosine decay, and clipping by the global gradient norm.
//
// Training is deterministic: every step's batch is a function of the step
// number ([Source]), each parallel worker writes its own rows, and sums are
// taken in a fixed order, so a run resumed from a checkpoint ([Trainer.Save],
// [Resume]) gives the same losses, bit for bit, as an uninterrupted one.
//
//	ds, _ := train.NewDataset(seqs, cfg.BatchTokens, seed)
//	tr, _ := train.New(cfg, ds)
//	for tr.StepNum() < cfg.Steps {
//		st, err := tr.Step()
//		...
//	}
//	err := tr.Export(w, train.ExportOptions{Vocab: vocab, Type: ggml.Q8_0})
//
// [Presets] documents the configurations (micro for tests, tiny and small
// for the embedded model). A Trainer is not safe for concurrent use.
package train
