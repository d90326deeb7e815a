// Package providers registers plait's remote model presets with package
// llm, so that llm.Open("provider/model") reaches them. Import it for its
// side effect:
//
//	import _ "github.com/plait-ai/plait/llm/providers"
//
//	m, err := llm.Open("deepseek/deepseek-chat")
//
// Each [Preset] has a wire format (the OpenAI chat-completions API, or
// Anthropic's, Gemini's or Ollama's native API), a default base URL, the
// environment variables that hold its API key and override its base URL,
// and a default model used when the spec names none ("deepseek"). Options
// given to llm.Open win over the environment: llm.WithBaseURL,
// llm.WithAPIKey, llm.WithHTTPClient, llm.WithHeader, and llm.WithOption
// for the provider-specific settings listed in [Options].
//
// Provider options, by wire format:
//
//   - OpenAI dialect: "reasoning_effort" (low, medium, high);
//     "max_tokens_field" (max_tokens or max_completion_tokens);
//     "keep_think" (true keeps a <think> block in the content);
//     "send_reasoning" (true sends reasoning_content back with tool calls;
//     on by default for DeepSeek and Moonshot).
//   - Anthropic: "thinking_budget" (tokens; turns on extended thinking);
//     "max_tokens" (used when a request sets none; 4096 by default).
//   - Gemini: "include_thoughts" (true returns thought summaries as
//     reasoning); "thinking_budget" (tokens; 0 off, -1 dynamic).
//   - Ollama: "think" (true, false, or a level: low, medium, high);
//     "keep_alive" (how long the server keeps the model loaded: "5m", "-1").
//
// An option a preset does not know is an error at Open.
//
// A preset that needs a key and finds none fails at Open with an error of
// kind [llm.ErrAuth] that names the variable to set. The name "local" is
// left to the in-process runtime (package llm/local).
//
// [Presets] returns the table, for documentation and for listing; the
// [Markdown] function renders it.
package providers
