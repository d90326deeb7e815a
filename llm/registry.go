package llm

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
)

// Config is what a provider needs to open a model. Fields left empty are
// filled from the provider's environment variables and defaults.
type Config struct {
	// BaseURL overrides the API's base URL.
	BaseURL string
	// APIKey overrides the key from the environment.
	APIKey string
	// HTTPClient is used for requests; nil means a client with sensible
	// timeouts for streaming.
	HTTPClient *http.Client
	// Headers are extra HTTP headers sent with every request.
	Headers map[string]string
	// Options holds provider-specific settings (documented by each provider).
	Options map[string]string
}

// Option changes the Config that [Open] passes to a provider.
type Option func(*Config)

// WithBaseURL sets the API's base URL.
func WithBaseURL(url string) Option { return func(c *Config) { c.BaseURL = url } }

// WithAPIKey sets the API key.
func WithAPIKey(key string) Option { return func(c *Config) { c.APIKey = key } }

// WithHTTPClient sets the HTTP client.
func WithHTTPClient(hc *http.Client) Option { return func(c *Config) { c.HTTPClient = hc } }

// WithHeader adds an HTTP header sent with every request.
func WithHeader(key, value string) Option {
	return func(c *Config) {
		if c.Headers == nil {
			c.Headers = map[string]string{}
		}
		c.Headers[key] = value
	}
}

// WithOption sets a provider-specific option.
func WithOption(key, value string) Option {
	return func(c *Config) {
		if c.Options == nil {
			c.Options = map[string]string{}
		}
		c.Options[key] = value
	}
}

// Provider opens models of one provider. model is the part of the spec
// after "provider/" (it may itself contain slashes, or be empty for the
// provider's default).
type Provider interface {
	Open(ctx context.Context, model string, cfg Config) (Model, error)
}

// ProviderFunc adapts a function to the Provider interface.
type ProviderFunc func(ctx context.Context, model string, cfg Config) (Model, error)

// Open implements Provider.
func (f ProviderFunc) Open(ctx context.Context, model string, cfg Config) (Model, error) {
	return f(ctx, model, cfg)
}

var registry struct {
	sync.RWMutex
	m map[string]Provider
}

// Register makes a provider available to [Open] under name. It is meant to
// be called from a backend package's init function; registering a name
// twice replaces the earlier provider.
func Register(name string, p Provider) {
	registry.Lock()
	defer registry.Unlock()
	if registry.m == nil {
		registry.m = make(map[string]Provider)
	}
	registry.m[strings.ToLower(name)] = p
}

// Providers returns the registered provider names, sorted.
func Providers() []string {
	registry.RLock()
	defer registry.RUnlock()
	names := make([]string, 0, len(registry.m))
	for n := range registry.m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Open resolves spec, "provider/model", to a Model: "openai/gpt-4o",
// "deepseek/deepseek-chat", "ollama/qwen2.5:7b", "local/path/to/model.gguf".
// A spec without a slash names a provider and its default model ("local").
// The provider must be registered: import its package, or
// github.com/plait-ai/plait/llm/providers for every remote preset.
func Open(spec string, opts ...Option) (Model, error) {
	return OpenContext(context.Background(), spec, opts...)
}

// OpenContext is [Open] with a context for providers that do work while
// opening (loading a local model).
func OpenContext(ctx context.Context, spec string, opts ...Option) (Model, error) {
	name, model, _ := strings.Cut(strings.TrimSpace(spec), "/")
	if name == "" {
		return nil, fmt.Errorf("llm: empty model spec; want \"provider/model\", for example \"openai/gpt-4o-mini\"")
	}
	registry.RLock()
	p := registry.m[strings.ToLower(name)]
	registry.RUnlock()
	if p == nil {
		return nil, fmt.Errorf("llm: no provider %q is registered (registered: %s); import github.com/plait-ai/plait/llm/providers for the remote presets, or github.com/plait-ai/plait/llm/local for local models", name, strings.Join(Providers(), ", "))
	}
	var cfg Config
	for _, o := range opts {
		o(&cfg)
	}
	return p.Open(ctx, model, cfg)
}

// Getenv returns the value of the first of the environment variables that
// is set and not empty, or "".
func Getenv(names ...string) string {
	for _, n := range names {
		if v := os.Getenv(n); v != "" {
			return v
		}
	}
	return ""
}
