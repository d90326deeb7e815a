// Package embedded is the home of plait's small embedded default model: the
// registration hook through which a package holding the weights makes
// itself the model that llm.Open("local") loads when no path is given, and
// the pipeline that builds such a model.
//
// # Registration
//
// The weights are not linked into every binary that imports plait. A
// package that embeds them (with go:embed) calls [Register] from its init
// function; a program opts in by importing that package for its side
// effect:
//
//	import _ "github.com/plait-ai/plait/llm/local/embedded/model"
//
// Package local's resolver asks [Default] (or [Path], for a file it can
// map) for the model when the spec is empty.
//
// # Pipeline
//
// The subpackages build the model from nothing, in Go:
//
//   - gen: synthetic agent traces (goals in English and Chinese, plans in
//     package planner's JSON format, observations, grounded answers), with
//     held-out templates and catalogs;
//   - bpe: a byte-level BPE tokenizer trained on them, written to GGUF;
//   - corpus: the traces as ChatML conversations and token sequences;
//   - train: a llama trainer (forward and backward in float32, AdamW,
//     cosine schedule, clipping, checkpoints) that exports a GGUF file
//     package local runs;
//   - eval: plan validity, tool selection, argument match and answer
//     grounding on held-out traces, with and without constrained decoding.
//
// The commands cmd/train and cmd/eval drive them:
//
//	go run ./llm/local/embedded/cmd/train -config small -examples 24000 -copy 0.25 -steps 4400 -out model.gguf
//	go run ./llm/local/embedded/cmd/eval -model model.gguf -n 50
package embedded
