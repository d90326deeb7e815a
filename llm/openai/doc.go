// Package openai is a client of the OpenAI chat-completions API, the wire
// format that OpenAI and most other providers speak (DeepSeek, Qwen on
// DashScope, Zhipu GLM, Moonshot Kimi, Doubao, Hunyuan, Spark, ERNIE on
// Qianfan v2, 360 Zhinao, xAI, Mistral, llama.cpp's server, vLLM, LM Studio,
// Ollama's /v1).
//
// [New] returns an [llm.Model] for one model at one base URL:
//
//	m, err := openai.New(openai.Config{
//		BaseURL: "https://api.deepseek.com",
//		APIKey:  os.Getenv("DEEPSEEK_API_KEY"),
//		Model:   "deepseek-reasoner",
//	})
//
// Most programs use the presets instead: blank-import
// github.com/plait-ai/plait/llm/providers and call llm.Open("deepseek/deepseek-chat").
//
// Everything in [llm.Request] is mapped: messages of every role (tool
// results as role "tool" messages linked by tool_call_id), tools as
// function tools, the tool choice ("auto", "none", "required" or a named
// function), a response schema as response_format json_schema,
// temperature, top_p, max tokens, stop and seed. Replies give usage
// (cached prompt tokens and reasoning tokens from the *_details objects,
// or DeepSeek's prompt_cache_hit_tokens), the finish reason (unknown ones
// verbatim), the response id and model. Reasoning text is read from
// reasoning_content (DeepSeek, Qwen, Kimi, xAI), reasoning (vLLM, some
// gateways) or a leading <think> block in the content (R1 distills).
//
// Streams use server-sent events with stream_options.include_usage, so the
// last chunk carries the usage; a stream must end with "data: [DONE]" or
// the stream yields [llm.ErrInvalidResponse]. Tool-call fragments are
// reported by their index, so parallel calls stream interleaved.
//
// Dialects differ: [Config] has switches for the name of the max-tokens
// and seed fields, servers that reject stream_options, servers whose
// structured output is json_object only, and thinking models that want
// their reasoning_content back within a tool-calling turn. The presets in
// package llm/providers set them per provider.
package openai
