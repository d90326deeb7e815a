package providers_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/llm/internal/wiretest"
	"github.com/plait-ai/plait/llm/providers"
)

// reply is a minimal successful reply of each wire format.
var reply = map[providers.Wire]string{
	providers.WireOpenAI:    `{"id":"x","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"pong"},"finish_reason":"stop"}]}`,
	providers.WireAnthropic: `{"id":"x","type":"message","role":"assistant","model":"m","content":[{"type":"text","text":"pong"}],"stop_reason":"end_turn","usage":{"input_tokens":1,"output_tokens":1}}`,
	providers.WireGemini:    `{"candidates":[{"content":{"role":"model","parts":[{"text":"pong"}]},"finishReason":"STOP"}]}`,
	providers.WireOllama:    `{"model":"m","message":{"role":"assistant","content":"pong"},"done":true,"done_reason":"stop"}`,
}

// clearEnv unsets every variable the presets read, so the machine's
// environment cannot leak into the tests.
func clearEnv(t *testing.T) {
	for _, p := range providers.Presets() {
		for _, v := range append(slices.Clone(p.KeyEnv), p.BaseURLEnv...) {
			t.Setenv(v, "")
		}
	}
}

// expectation returns the path, headers and body a preset's request must
// have under base path prefix with key and model.
func expectation(p providers.Preset, prefix, key, model string) wiretest.Exchange {
	ex := wiretest.Exchange{Resp: reply[p.Wire], Header: map[string]string{}}
	switch p.Wire {
	case providers.WireOpenAI:
		ex.Path = prefix + "/chat/completions"
		ex.Body = `{"model":"` + model + `","messages":[{"role":"user","content":"ping"}]}`
		if key != "" {
			ex.Header["Authorization"] = "Bearer " + key
		} else {
			ex.NoHeader = []string{"Authorization"}
		}
	case providers.WireAnthropic:
		ex.Path = prefix + "/v1/messages"
		ex.Body = `{"model":"` + model + `","max_tokens":4096,"messages":[{"role":"user","content":[{"type":"text","text":"ping"}]}]}`
		ex.Header["x-api-key"] = key
		ex.Header["anthropic-version"] = "2023-06-01"
	case providers.WireGemini:
		ex.Path = prefix + "/models/" + model + ":generateContent"
		ex.Body = `{"contents":[{"role":"user","parts":[{"text":"ping"}]}]}`
		ex.Header["x-goog-api-key"] = key
	case providers.WireOllama:
		ex.Path = prefix + "/api/chat"
		ex.Body = `{"model":"` + model + `","messages":[{"role":"user","content":"ping"}],"stream":false}`
		if key != "" {
			ex.Header["Authorization"] = "Bearer " + key
		}
	}
	return ex
}

var ping = &llm.Request{Messages: []llm.Message{llm.UserMessage("ping")}}

// TestEveryPresetFromEnvironment opens every preset, under its name and
// each alias, with the key and base URL from its environment variables, and
// checks that the request reaches the right path with the right key header
// and model name.
func TestEveryPresetFromEnvironment(t *testing.T) {
	for _, p := range providers.Presets() {
		for _, name := range append([]string{p.Name}, p.Aliases...) {
			t.Run(name, func(t *testing.T) {
				clearEnv(t)
				model := "test-model-1"
				key := "key-" + p.Name
				ex := expectation(p, "/prefix/v9", key, model)
				srv := wiretest.New(t, ex)
				t.Setenv(p.KeyEnv[len(p.KeyEnv)-1], key)
				t.Setenv(p.BaseURLEnv[0], srv.URL+"/prefix/v9")
				m, err := llm.Open(name + "/" + model)
				if err != nil {
					t.Fatal(err)
				}
				resp, err := m.Generate(context.Background(), ping)
				if err != nil {
					t.Fatal(err)
				}
				if resp.Text() != "pong" || srv.Calls() != 1 {
					t.Errorf("reply %q after %d calls", resp.Text(), srv.Calls())
				}
				if info := llm.InfoOf(m); info.Provider != p.GenAIName || info.Model != model {
					t.Errorf("info %+v", info)
				}
			})
		}
	}
}

// TestEveryPresetWithOptions opens every preset with the base URL and key
// given in code, which win over the environment, and the default model.
func TestEveryPresetWithOptions(t *testing.T) {
	for _, p := range providers.Presets() {
		t.Run(p.Name, func(t *testing.T) {
			clearEnv(t)
			t.Setenv(p.KeyEnv[0], "from-env")
			t.Setenv(p.BaseURLEnv[0], "http://127.0.0.1:1/never")
			model := p.DefaultModel
			spec := p.Name
			if model == "" {
				model = "org/model-with/slashes"
				spec += "/" + model
			}
			srv := wiretest.New(t, expectation(p, "", "from-code", model))
			m, err := llm.Open(spec, llm.WithBaseURL(srv.URL), llm.WithAPIKey("from-code"))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := m.Generate(context.Background(), ping); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestDefaultBaseURLs(t *testing.T) {
	// Requests go to the preset's default base URL when nothing overrides
	// it; a transport records where.
	for _, p := range providers.Presets() {
		t.Run(p.Name, func(t *testing.T) {
			clearEnv(t)
			var got string
			hc := &http.Client{Transport: roundTrip(func(r *http.Request) (*http.Response, error) {
				got = r.URL.String()
				return nil, errors.New("offline")
			})}
			m, err := llm.Open(p.Name+"/m", llm.WithAPIKey("k"), llm.WithHTTPClient(hc))
			if err != nil {
				t.Fatal(err)
			}
			_, err = m.Generate(context.Background(), ping)
			if !errors.Is(err, llm.ErrUnavailable) {
				t.Errorf("error %v", err)
			}
			if !strings.HasPrefix(got, p.BaseURL+"/") {
				t.Errorf("request to %s, want under %s", got, p.BaseURL)
			}
		})
	}
}

type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestMissingKeyNamesVariable(t *testing.T) {
	for _, p := range providers.Presets() {
		if !p.KeyRequired {
			continue
		}
		t.Run(p.Name, func(t *testing.T) {
			clearEnv(t)
			_, err := llm.Open(p.Name + "/m")
			if !errors.Is(err, llm.ErrAuth) {
				t.Fatalf("error %v", err)
			}
			for _, v := range p.KeyEnv {
				if !strings.Contains(err.Error(), v) {
					t.Errorf("error %q does not name %s", err, v)
				}
			}
		})
	}
}

func TestGeminiKeyFallsBackToGoogleAPIKey(t *testing.T) {
	clearEnv(t)
	p, _ := providers.Lookup("gemini")
	srv := wiretest.New(t, expectation(p, "", "gk", "gemini-2.5-flash"))
	t.Setenv("GOOGLE_API_KEY", "gk")
	m, err := llm.Open("google", llm.WithBaseURL(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Generate(context.Background(), ping); err != nil {
		t.Fatal(err)
	}
}

func TestOllamaHost(t *testing.T) {
	clearEnv(t)
	p, _ := providers.Lookup("ollama")
	srv := wiretest.New(t, expectation(p, "", "", "qwen2.5:0.5b"))
	t.Setenv("OLLAMA_HOST", strings.TrimPrefix(srv.URL, "http://"))
	m, err := llm.Open("ollama/qwen2.5:0.5b")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Generate(context.Background(), ping); err != nil {
		t.Fatal(err)
	}
}

func TestOpenErrors(t *testing.T) {
	clearEnv(t)
	for spec, want := range map[string]error{
		"vllm":     llm.ErrInvalidRequest, // no default model
		"lmstudio": llm.ErrInvalidRequest,
	} {
		if _, err := llm.Open(spec); !errors.Is(err, want) {
			t.Errorf("%s: %v", spec, err)
		}
	}
	if _, err := llm.Open("ollama/x", llm.WithOption("thinkk", "true")); err == nil || !strings.Contains(err.Error(), "think") {
		t.Errorf("unknown option: %v", err)
	}
	if _, err := llm.Open("anthropic/x", llm.WithAPIKey("k"), llm.WithOption("thinking_budget", "lots")); !errors.Is(err, llm.ErrInvalidRequest) {
		t.Errorf("bad option: %v", err)
	}
	if _, err := llm.Open("local/x.gguf"); err == nil {
		t.Error("local is registered by the presets")
	}
	if slices.Contains(llm.Providers(), "local") {
		t.Error("local registered")
	}
}

func TestProviderOptions(t *testing.T) {
	clearEnv(t)
	srv := wiretest.New(t,
		wiretest.Exchange{Body: `{"model":"o3","messages":[{"role":"user","content":"ping"}],"max_completion_tokens":9,"reasoning_effort":"high"}`, Resp: reply[providers.WireOpenAI]},
		wiretest.Exchange{Body: `{"model":"c","max_tokens":2100,"thinking":{"type":"enabled","budget_tokens":2000},"messages":[{"role":"user","content":[{"type":"text","text":"ping"}]}]}`, Resp: reply[providers.WireAnthropic]},
		wiretest.Exchange{Body: `{"contents":[{"role":"user","parts":[{"text":"ping"}]}],"generationConfig":{"thinkingConfig":{"includeThoughts":true,"thinkingBudget":0}}}`, Resp: reply[providers.WireGemini]},
		wiretest.Exchange{Body: `{"model":"q","messages":[{"role":"user","content":"ping"}],"stream":false,"think":false,"keep_alive":"-1"}`, Resp: reply[providers.WireOllama]},
		wiretest.Exchange{Body: `{"model":"m","messages":[{"role":"user","content":"ping"}],"random_seed":5}`, Resp: reply[providers.WireOpenAI]},
	)
	open := func(spec string, opts ...llm.Option) llm.Model {
		m, err := llm.Open(spec, append(opts, llm.WithBaseURL(srv.URL), llm.WithAPIKey("k"))...)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	for _, step := range []struct {
		m   llm.Model
		req *llm.Request
	}{
		{open("openai/o3", llm.WithOption("reasoning_effort", "high")), &llm.Request{Messages: ping.Messages, MaxTokens: 9}},
		{open("claude/c", llm.WithOption("thinking_budget", "2000"), llm.WithOption("max_tokens", "100")), ping},
		{open("gemini/g", llm.WithOption("include_thoughts", "true"), llm.WithOption("thinking_budget", "0")), ping},
		{open("ollama/q", llm.WithOption("think", "false"), llm.WithOption("keep_alive", "-1")), ping},
		{open("mistral/m"), &llm.Request{Messages: ping.Messages, Seed: llm.Ptr[int64](5)}},
	} {
		if _, err := step.m.Generate(context.Background(), step.req); err != nil {
			t.Fatal(err)
		}
	}
}

func TestMarkdownTable(t *testing.T) {
	md := providers.Markdown()
	lines := strings.Split(strings.TrimSpace(md), "\n")
	if len(lines) != len(providers.Presets())+2 {
		t.Errorf("%d lines", len(lines))
	}
	for _, p := range providers.Presets() {
		for _, v := range append(slices.Clone(p.KeyEnv), p.BaseURLEnv...) {
			if !strings.Contains(md, v) {
				t.Errorf("table lacks %s", v)
			}
		}
	}
	// The table is a copy: changing it changes nothing registered.
	ps := providers.Presets()
	ps[0].KeyEnv[0] = "CHANGED"
	if p, _ := providers.Lookup(ps[0].Name); p.KeyEnv[0] == "CHANGED" {
		t.Error("Presets returned the table itself")
	}
}

func TestStructuredOutputDialects(t *testing.T) {
	clearEnv(t)
	srv := wiretest.New(t,
		wiretest.Exchange{Body: `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"ping"}],"response_format":{"type":"json_schema","json_schema":{"name":"r","schema":{"type":"object"}}}}`, Resp: reply[providers.WireOpenAI]},
		wiretest.Exchange{Body: `{"model":"deepseek-chat","messages":[{"role":"system","content":"Reply with a single JSON object, and nothing else, that satisfies this JSON schema:\n{\"type\":\"object\"}"},{"role":"user","content":"ping"}],"response_format":{"type":"json_object"}}`, Resp: reply[providers.WireOpenAI]},
	)
	req := &llm.Request{Messages: ping.Messages, ResponseSchema: &llm.JSONSchema{Name: "r", Schema: []byte(`{"type":"object"}`)}}
	for _, spec := range []string{"openai", "deepseek"} {
		m, err := llm.Open(spec, llm.WithBaseURL(srv.URL), llm.WithAPIKey("k"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.Generate(context.Background(), req); err != nil {
			t.Fatal(err)
		}
	}
}

// TestNilRequest checks that no wire client panics on a nil request.
func TestNilRequest(t *testing.T) {
	for _, p := range providers.Presets() {
		m, err := llm.Open(p.Name+"/m", llm.WithAPIKey("k"), llm.WithBaseURL("http://127.0.0.1:1"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.Generate(context.Background(), nil); !errors.Is(err, llm.ErrInvalidRequest) {
			t.Errorf("%s Generate: %v", p.Name, err)
		}
		if _, err := llm.Collect(m.Stream(context.Background(), nil)); !errors.Is(err, llm.ErrInvalidRequest) {
			t.Errorf("%s Stream: %v", p.Name, err)
		}
	}
}
