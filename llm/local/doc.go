// Package local is plait's in-process model runtime: GGUF models run inside
// the Go process, in pure Go (no cgo, no server), behind the same
// [llm.Model] interface as the remote APIs.
//
// # Use
//
// Through the registry, with the package imported for its side effect:
//
//	import _ "github.com/plait-ai/plait/llm/local"
//
//	m, err := llm.Open("local/models/qwen2.5-0.5b-instruct-q4_k_m.gguf")
//	m, err := llm.Open("local/qwen2.5:0.5b")  // a model pulled by Ollama, no server needed
//	m, err := llm.Open("local")               // the embedded default (import .../embedded/model)
//
// or directly, with [Options]:
//
//	m, err := local.Load(ctx, "model.gguf", local.Options{Threads: 4})
//	defer m.Close()
//	resp, err := m.Generate(ctx, &llm.Request{Messages: msgs})
//
// A name is resolved by [Resolve]: a path, a name in Ollama's store, a
// file in $PLAIT_MODELS (package discover).
//
// # What runs
//
// The llama family (Llama 2 and 3, Mistral, TinyLlama, SmolLM), qwen2
// (Qwen2.5, the DeepSeek-R1 distills), qwen3, phi3 (Phi-3, Phi-3.5, Phi-4,
// with their long-context RoPE factors), gemma, gemma2 (soft-capped
// logits, sliding-window layers) and gemma3 (text models: normed queries
// and keys, five sliding-window layers of six with their own RoPE base),
// in F32, F16, BF16, Q8_0, Q4_0, Q4_1,
// Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_NL and IQ4_XS, mixed as
// quantized files mix them (Q2_K, Q3_K_S/M/L, Q4_K_S/M, Q5_K_S/M, Q6_K,
// IQ4_NL, IQ4_XS, with IQ4_NL where a model's width is not a multiple of
// 256). Each architecture computes what llama.cpp's graph for it computes,
// and is tested against llama.cpp's outputs. Weights are memory-mapped,
// never copied; matrix products work on
// the quantized blocks (package quant: Go assembly for AVX2, AVX-512 and
// VNNI, with a pure-Go fallback giving the same results). Tokenizers and
// chat templates come from the file's metadata (packages tokenizer and
// chat); tools are rendered the way each family was trained and the
// model's calls parsed back into [llm.ToolCall]s; what a reasoning model
// writes inside <think> goes to the reasoning field.
//
// # Constrained output
//
// A request's ResponseSchema, or its tools with a tool choice of required
// or a named tool, compile to a grammar (package constrain) under which
// the reply always parses and validates. A request with Sources (an
// agent's final answer sends its steps' outputs) may also have its
// quotations held to them: with [Options.Quotes] (or the file's
// [KeyQuotes]) set, every quotation in the reply ("…", “…” or 「…」) is an
// exact copy of a span, or of whole sentences, of a source. That is how
// the small embedded model answers from what the tools returned.
//
// # Concurrency and cancellation
//
// A [Model] is safe for concurrent use; generations beyond
// Options.MaxConcurrent wait their turn. Prompt prefixes are reused from
// earlier generations. Cancelling ctx stops a generation between tokens
// and inside long prompt processing.
package local
