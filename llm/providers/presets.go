package providers

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/llm/anthropic"
	"github.com/plait-ai/plait/llm/gemini"
	"github.com/plait-ai/plait/llm/ollama"
	"github.com/plait-ai/plait/llm/openai"
)

// Wire names the API format a preset speaks.
type Wire string

// The wire formats.
const (
	WireOpenAI    Wire = "openai"    // chat completions (package llm/openai)
	WireAnthropic Wire = "anthropic" // Messages API (package llm/anthropic)
	WireGemini    Wire = "gemini"    // generateContent (package llm/gemini)
	WireOllama    Wire = "ollama"    // /api/chat (package llm/ollama)
)

// Preset describes one provider. Presets are values; changing one returned
// by [Presets] changes nothing registered. Its Open method is safe for
// concurrent use.
type Preset struct {
	// Name is the provider part of a spec ("deepseek").
	Name string
	// Aliases are other names that resolve to the preset ("claude").
	Aliases []string
	// Title is the provider's name for people ("DeepSeek").
	Title string
	// Wire is the API format.
	Wire Wire
	// BaseURL is the default API root.
	BaseURL string
	// KeyEnv lists the variables that hold the API key; the first set wins.
	KeyEnv []string
	// KeyRequired reports whether Open fails without a key.
	KeyRequired bool
	// BaseURLEnv lists the variables that override BaseURL; the first set
	// wins.
	BaseURLEnv []string
	// DefaultModel is used when a spec names no model; empty means the
	// spec must name one.
	DefaultModel string
	// GenAIName is the provider's gen_ai.provider.name for traces; it is
	// also the provider name models report in Info and errors.
	GenAIName string
	// JSONObjectOnly reports an OpenAI-dialect server whose structured
	// output is json_object mode only: a response schema is sent as that
	// mode plus an instruction with the schema (see openai.Config).
	JSONObjectOnly bool
	// SendReasoning reports an OpenAI-dialect server whose thinking models
	// want their reasoning_content back within a tool-calling turn (see
	// openai.Config).
	SendReasoning bool

	// quirks of the OpenAI dialect
	maxTokensField  string
	seedField       string
	noStreamOptions bool
}

var presets = []Preset{
	{Name: "openai", Title: "OpenAI", Wire: WireOpenAI, BaseURL: openai.DefaultBaseURL, KeyEnv: []string{"OPENAI_API_KEY"}, KeyRequired: true, BaseURLEnv: []string{"OPENAI_BASE_URL"}, DefaultModel: "gpt-4o-mini", GenAIName: "openai", maxTokensField: "max_completion_tokens"},
	{Name: "deepseek", Title: "DeepSeek", Wire: WireOpenAI, BaseURL: "https://api.deepseek.com", KeyEnv: []string{"DEEPSEEK_API_KEY"}, KeyRequired: true, BaseURLEnv: []string{"DEEPSEEK_BASE_URL"}, DefaultModel: "deepseek-chat", GenAIName: "deepseek", JSONObjectOnly: true, SendReasoning: true},
	{Name: "qwen", Aliases: []string{"dashscope", "tongyi"}, Title: "Qwen (Alibaba DashScope, compatible mode)", Wire: WireOpenAI, BaseURL: "https://dashscope.aliyuncs.com/compatible-mode/v1", KeyEnv: []string{"DASHSCOPE_API_KEY"}, KeyRequired: true, BaseURLEnv: []string{"DASHSCOPE_BASE_URL"}, DefaultModel: "qwen-plus", GenAIName: "qwen", JSONObjectOnly: true},
	{Name: "zhipu", Aliases: []string{"glm", "bigmodel"}, Title: "Zhipu GLM", Wire: WireOpenAI, BaseURL: "https://open.bigmodel.cn/api/paas/v4", KeyEnv: []string{"ZHIPUAI_API_KEY"}, KeyRequired: true, BaseURLEnv: []string{"ZHIPUAI_BASE_URL"}, DefaultModel: "glm-4-flash", GenAIName: "zhipu", JSONObjectOnly: true},
	{Name: "moonshot", Aliases: []string{"kimi"}, Title: "Moonshot Kimi", Wire: WireOpenAI, BaseURL: "https://api.moonshot.cn/v1", KeyEnv: []string{"MOONSHOT_API_KEY"}, KeyRequired: true, BaseURLEnv: []string{"MOONSHOT_BASE_URL"}, DefaultModel: "moonshot-v1-8k", GenAIName: "moonshot", JSONObjectOnly: true, SendReasoning: true},
	{Name: "doubao", Aliases: []string{"ark", "volcengine"}, Title: "Doubao (Volcengine Ark)", Wire: WireOpenAI, BaseURL: "https://ark.cn-beijing.volces.com/api/v3", KeyEnv: []string{"ARK_API_KEY"}, KeyRequired: true, BaseURLEnv: []string{"ARK_BASE_URL"}, DefaultModel: "doubao-1-5-pro-32k-250115", GenAIName: "doubao", JSONObjectOnly: true},
	{Name: "hunyuan", Title: "Tencent Hunyuan", Wire: WireOpenAI, BaseURL: "https://api.hunyuan.cloud.tencent.com/v1", KeyEnv: []string{"HUNYUAN_API_KEY"}, KeyRequired: true, BaseURLEnv: []string{"HUNYUAN_BASE_URL"}, DefaultModel: "hunyuan-turbos-latest", GenAIName: "hunyuan", JSONObjectOnly: true},
	{Name: "spark", Aliases: []string{"xfyun", "iflytek"}, Title: "iFlytek Spark", Wire: WireOpenAI, BaseURL: "https://spark-api-open.xf-yun.com/v1", KeyEnv: []string{"SPARK_API_KEY"}, KeyRequired: true, BaseURLEnv: []string{"SPARK_BASE_URL"}, DefaultModel: "4.0Ultra", GenAIName: "spark", JSONObjectOnly: true},
	{Name: "ernie", Aliases: []string{"qianfan", "baidu"}, Title: "Baidu ERNIE (Qianfan v2)", Wire: WireOpenAI, BaseURL: "https://qianfan.baidubce.com/v2", KeyEnv: []string{"QIANFAN_API_KEY"}, KeyRequired: true, BaseURLEnv: []string{"QIANFAN_BASE_URL"}, DefaultModel: "ernie-4.0-turbo-8k", GenAIName: "ernie", JSONObjectOnly: true},
	{Name: "zhinao", Aliases: []string{"360"}, Title: "360 Zhinao", Wire: WireOpenAI, BaseURL: "https://api.360.cn/v1", KeyEnv: []string{"ZHINAO_API_KEY"}, KeyRequired: true, BaseURLEnv: []string{"ZHINAO_BASE_URL"}, DefaultModel: "360gpt2-pro", GenAIName: "zhinao", JSONObjectOnly: true},
	{Name: "xai", Aliases: []string{"grok"}, Title: "xAI Grok", Wire: WireOpenAI, BaseURL: "https://api.x.ai/v1", KeyEnv: []string{"XAI_API_KEY"}, KeyRequired: true, BaseURLEnv: []string{"XAI_BASE_URL"}, DefaultModel: "grok-3-mini", GenAIName: "x_ai"},
	{Name: "mistral", Title: "Mistral AI", Wire: WireOpenAI, BaseURL: "https://api.mistral.ai/v1", KeyEnv: []string{"MISTRAL_API_KEY"}, KeyRequired: true, BaseURLEnv: []string{"MISTRAL_BASE_URL"}, DefaultModel: "mistral-small-latest", GenAIName: "mistral_ai", seedField: "random_seed", noStreamOptions: true},
	{Name: "gemini", Aliases: []string{"google"}, Title: "Google Gemini", Wire: WireGemini, BaseURL: gemini.DefaultBaseURL, KeyEnv: []string{"GEMINI_API_KEY", "GOOGLE_API_KEY"}, KeyRequired: true, BaseURLEnv: []string{"GEMINI_BASE_URL"}, DefaultModel: "gemini-2.5-flash", GenAIName: "gcp.gemini"},
	{Name: "anthropic", Aliases: []string{"claude"}, Title: "Anthropic Claude", Wire: WireAnthropic, BaseURL: anthropic.DefaultBaseURL, KeyEnv: []string{"ANTHROPIC_API_KEY"}, KeyRequired: true, BaseURLEnv: []string{"ANTHROPIC_BASE_URL"}, DefaultModel: "claude-sonnet-4-5", GenAIName: "anthropic"},
	{Name: "ollama", Title: "Ollama", Wire: WireOllama, BaseURL: ollama.DefaultBaseURL, KeyEnv: []string{"OLLAMA_API_KEY"}, BaseURLEnv: []string{"OLLAMA_BASE_URL", "OLLAMA_HOST"}, DefaultModel: "llama3.2", GenAIName: "ollama"},
	{Name: "llamacpp", Aliases: []string{"llama.cpp", "llama-server"}, Title: "llama.cpp server", Wire: WireOpenAI, BaseURL: "http://127.0.0.1:8080/v1", KeyEnv: []string{"LLAMACPP_API_KEY"}, BaseURLEnv: []string{"LLAMACPP_BASE_URL"}, DefaultModel: "default", GenAIName: "llamacpp"},
	{Name: "vllm", Title: "vLLM", Wire: WireOpenAI, BaseURL: "http://127.0.0.1:8000/v1", KeyEnv: []string{"VLLM_API_KEY"}, BaseURLEnv: []string{"VLLM_BASE_URL"}, GenAIName: "vllm"},
	{Name: "lmstudio", Aliases: []string{"lm-studio"}, Title: "LM Studio", Wire: WireOpenAI, BaseURL: "http://127.0.0.1:1234/v1", KeyEnv: []string{"LMSTUDIO_API_KEY"}, BaseURLEnv: []string{"LMSTUDIO_BASE_URL"}, GenAIName: "lmstudio"},
}

func init() {
	for _, p := range presets {
		p := p
		for _, name := range append([]string{p.Name}, p.Aliases...) {
			llm.Register(name, llm.ProviderFunc(p.Open))
		}
	}
}

// Presets returns a copy of the preset table, in a stable order.
func Presets() []Preset {
	out := make([]Preset, len(presets))
	for i, p := range presets {
		p.Aliases = slices.Clone(p.Aliases)
		p.KeyEnv = slices.Clone(p.KeyEnv)
		p.BaseURLEnv = slices.Clone(p.BaseURLEnv)
		out[i] = p
	}
	return out
}

// Lookup returns the preset with the given name or alias.
func Lookup(name string) (Preset, bool) {
	name = strings.ToLower(name)
	for _, p := range Presets() {
		if p.Name == name || slices.Contains(p.Aliases, name) {
			return p, true
		}
	}
	return Preset{}, false
}

// Options lists the provider-specific options (llm.WithOption) each wire
// format reads.
var Options = map[Wire][]string{
	WireOpenAI:    {"reasoning_effort", "max_tokens_field", "keep_think", "send_reasoning"},
	WireAnthropic: {"thinking_budget", "max_tokens"},
	WireGemini:    {"include_thoughts", "thinking_budget"},
	WireOllama:    {"think", "keep_alive"},
}

// Open opens model (the preset's default when empty) with cfg, filling
// what cfg leaves empty from the environment and the preset's defaults.
// It implements llm.Provider.
func (p Preset) Open(ctx context.Context, model string, cfg llm.Config) (llm.Model, error) {
	if model == "" {
		model = p.DefaultModel
	}
	if model == "" {
		return nil, llm.Errorf(llm.KindInvalidRequest, p.GenAIName, "%s has no default model; name one, as in %q", p.Title, p.Name+"/MODEL")
	}
	for k := range cfg.Options {
		if !slices.Contains(Options[p.Wire], k) {
			return nil, llm.Errorf(llm.KindInvalidRequest, p.GenAIName, "unknown option %q for %s (known: %s)", k, p.Name, strings.Join(Options[p.Wire], ", "))
		}
	}
	base := cfg.BaseURL
	if base == "" {
		for _, env := range p.BaseURLEnv {
			if v := llm.Getenv(env); v != "" {
				base = v
				if p.Wire == WireOllama {
					base = ollama.HostURL(v)
				}
				break
			}
		}
	}
	if base == "" {
		base = p.BaseURL
	}
	key := cfg.APIKey
	if key == "" {
		key = llm.Getenv(p.KeyEnv...)
	}
	if key == "" && p.KeyRequired {
		return nil, &llm.Error{Kind: llm.KindAuth, Provider: p.GenAIName,
			Message: fmt.Sprintf("no API key for %s: set %s, or pass llm.WithAPIKey", p.Title, strings.Join(p.KeyEnv, " or "))}
	}
	opt := cfg.Options
	switch p.Wire {
	case WireOpenAI:
		c := openai.Config{Provider: p.GenAIName, BaseURL: base, APIKey: key, Model: model, HTTPClient: cfg.HTTPClient, Headers: cfg.Headers,
			MaxTokensField: p.maxTokensField, SeedField: p.seedField, NoStreamOptions: p.noStreamOptions, JSONObjectOnly: p.JSONObjectOnly, SendReasoning: p.SendReasoning,
			ReasoningEffort: opt["reasoning_effort"]}
		if v := opt["max_tokens_field"]; v != "" {
			c.MaxTokensField = v
		}
		if v, ok := opt["send_reasoning"]; ok {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return nil, badOption(p, "send_reasoning", v)
			}
			c.SendReasoning = b
		}
		if v, ok := opt["keep_think"]; ok {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return nil, badOption(p, "keep_think", v)
			}
			c.KeepThink = b
		}
		return openai.New(c)
	case WireAnthropic:
		c := anthropic.Config{Provider: p.GenAIName, BaseURL: base, APIKey: key, Model: model, HTTPClient: cfg.HTTPClient, Headers: cfg.Headers}
		var err error
		if c.ThinkingBudget, err = anthropic.ParseThinkingBudget(opt); err != nil {
			return nil, err
		}
		if v, ok := opt["max_tokens"]; ok {
			if c.MaxTokens, err = strconv.Atoi(v); err != nil {
				return nil, badOption(p, "max_tokens", v)
			}
		}
		return anthropic.New(c)
	case WireGemini:
		c := gemini.Config{Provider: p.GenAIName, BaseURL: base, APIKey: key, Model: model, HTTPClient: cfg.HTTPClient, Headers: cfg.Headers}
		if v, ok := opt["include_thoughts"]; ok {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return nil, badOption(p, "include_thoughts", v)
			}
			c.IncludeThoughts = b
		}
		if v, ok := opt["thinking_budget"]; ok {
			n, err := strconv.Atoi(v)
			if err != nil {
				return nil, badOption(p, "thinking_budget", v)
			}
			c.ThinkingBudget = &n
		}
		return gemini.New(c)
	case WireOllama:
		return ollama.New(ollama.Config{Provider: p.GenAIName, BaseURL: base, APIKey: key, Model: model, HTTPClient: cfg.HTTPClient, Headers: cfg.Headers,
			Think: opt["think"], KeepAlive: opt["keep_alive"]})
	}
	return nil, fmt.Errorf("providers: preset %s has unknown wire format %q", p.Name, p.Wire)
}

func badOption(p Preset, k, v string) error {
	return llm.Errorf(llm.KindInvalidRequest, p.GenAIName, "option %s=%q for %s is not valid", k, v, p.Name)
}

// Markdown renders the preset table as a Markdown table: provider and
// aliases, wire format, key and base-URL variables, default base URL and
// default model.
func Markdown() string {
	var b strings.Builder
	b.WriteString("| Provider | Spec (aliases) | Wire format | API key variable | Base URL variable | Default base URL | Default model |\n")
	b.WriteString("|---|---|---|---|---|---|---|\n")
	ps := Presets()
	for _, p := range ps {
		names := "`" + p.Name + "`"
		if len(p.Aliases) > 0 {
			names += " (" + "`" + strings.Join(p.Aliases, "`, `") + "`" + ")"
		}
		key := "`" + strings.Join(p.KeyEnv, "` or `") + "`"
		if !p.KeyRequired {
			key += " (optional)"
		}
		model := "`" + p.DefaultModel + "`"
		if p.DefaultModel == "" {
			model = "(name one)"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | `%s` | %s | %s |\n", p.Title, names, p.Wire, key, strings.Join(p.BaseURLEnv, "` or `"), p.BaseURL, model)
	}
	return b.String()
}
