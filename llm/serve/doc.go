// Package serve exposes any llm.Model — a remote API, a local GGUF model,
// or an agent adapted as a model — over the two HTTP APIs that chat clients
// speak: OpenAI's (/v1/chat/completions with SSE streaming and tool calls,
// /v1/models) and Ollama's (/api/chat, /api/generate, /api/tags, /api/show,
// /api/version). Chatbox, AnythingLLM, Page Assist, Open WebUI and the
// OpenAI and Ollama client libraries can then use a plait agent as if it
// were a model.
//
//	srv := &serve.Server{Models: map[string]llm.Model{"researcher": m}}
//	http.ListenAndServe("127.0.0.1:11434", srv.Handler())
//
// The server checks an optional API key (Authorization: Bearer), bounds
// request bodies and concurrent generations (answering 429 with
// Retry-After when full), answers CORS preflights for browser clients
// (AllowOrigins), and cancels a generation when its client goes away.
//
// A Server is safe for concurrent use; do not change its fields after
// Handler is called.
package serve
