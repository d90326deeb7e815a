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
// A preset that needs a key and finds none fails at Open with an error of
// kind [llm.ErrAuth] that names the variable to set. The name "local" is
// left to the in-process runtime (package llm/local).
//
// [Presets] returns the table, for documentation and for listing; the
// [Markdown] function renders it.
package providers
