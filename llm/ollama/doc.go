// Package ollama is a client of Ollama's native chat API, /api/chat.
//
//	m, err := ollama.New(ollama.Config{Model: "qwen2.5:7b"})
//
// Or, with the presets imported, llm.Open("ollama/qwen2.5:7b"); the server
// is taken from OLLAMA_HOST (host, host:port or a URL), by default
// http://127.0.0.1:11434.
//
// The mapping: messages of every role (tool results as role "tool" with
// tool_name), tools as function tools, a response schema as "format",
// temperature, top_p, seed, max tokens (num_predict) and stop in
// "options". Ollama has no tool choice: "none" sends no tools, a named
// tool sends only that tool, and "required" sends the tools as they are.
// Replies give the text, the reasoning ("thinking", or a leading <think>
// block), tool calls (Ollama gives no ids, so each call gets a random
// UUID), usage from prompt_eval_count and eval_count, and done_reason
// (stop, or tool_calls when the reply calls tools; length; others
// verbatim).
//
// Streams read newline-delimited JSON; a stream that ends before a line
// with "done": true yields [llm.ErrInvalidResponse].
//
// Reasoning models think when [Config.Think] is set ("true", "false", or a
// level such as "high" for models that take one); the provider option
// "think" sets it through llm.WithOption.
package ollama
