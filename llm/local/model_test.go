package local_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/plait-ai/plait/internal/testenv"
	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/llm/local"
	"github.com/plait-ai/plait/llm/local/embedded"
	"github.com/plait-ai/plait/llm/local/sample"
)

func load(t *testing.T, name string) *local.Model {
	t.Helper()
	m, err := local.Load(context.Background(), testenv.Shared(t, "models", name), local.Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

var models = []string{"tiny-llama-spm-f32.gguf", "tiny-qwen2-gpt2-q8_0.gguf", "tiny-llama-spm-q4_k_m.gguf"}

func greedyReq(text string, maxTokens int) *llm.Request {
	return &llm.Request{
		Messages:    []llm.Message{llm.SystemMessage("You are terse."), llm.UserMessage(text)},
		Temperature: llm.Ptr(0.0),
		MaxTokens:   maxTokens,
	}
}

func TestGenerateAndStreamAgree(t *testing.T) {
	for _, name := range models {
		t.Run(name, func(t *testing.T) {
			m := load(t, name)
			ctx := context.Background()
			a, err := m.Generate(ctx, greedyReq("Hello", 12))
			if err != nil {
				t.Fatal(err)
			}
			var chunks int
			var text strings.Builder
			var last llm.Chunk
			for c, err := range m.Stream(ctx, greedyReq("Hello", 12)) {
				if err != nil {
					t.Fatal(err)
				}
				chunks++
				text.WriteString(c.Text)
				last = c
			}
			if text.String() != a.Text() {
				t.Errorf("stream %q != generate %q", text.String(), a.Text())
			}
			if a.Usage.OutputTokens == 0 || a.Usage.OutputTokens > 12 || a.Usage.InputTokens == 0 {
				t.Errorf("usage %+v", a.Usage)
			}
			if a.FinishReason != llm.FinishLength && a.FinishReason != llm.FinishStop {
				t.Errorf("finish %q", a.FinishReason)
			}
			if last.Usage == nil || last.FinishReason == "" {
				t.Errorf("last chunk must carry usage and finish reason: %+v", last)
			}
			if info := m.Info(); !info.Local || info.Provider != "local" {
				t.Errorf("info %+v", info)
			}
		})
	}
}

func TestSeedReproducibleAndPrefixCache(t *testing.T) {
	m := load(t, "tiny-qwen2-gpt2-q8_0.gguf")
	ctx := context.Background()
	req := &llm.Request{Messages: []llm.Message{llm.UserMessage("Tell me about Go.")}, Seed: llm.Ptr[int64](42), Temperature: llm.Ptr(1.0), MaxTokens: 16}
	a, err := m.Generate(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.Generate(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if a.Text() != b.Text() {
		t.Errorf("same seed, different text: %q vs %q", a.Text(), b.Text())
	}
	if b.Usage.CachedInputTokens == 0 {
		t.Errorf("second identical prompt reused no cached tokens: %+v", b.Usage)
	}
	// A fresh model gives the same answer as one that reused its cache.
	fresh := load(t, "tiny-qwen2-gpt2-q8_0.gguf")
	c, err := fresh.Generate(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if c.Text() != a.Text() {
		t.Errorf("cached %q != fresh %q", a.Text(), c.Text())
	}
}

func TestStopStringsAndMaxTokens(t *testing.T) {
	m := load(t, "tiny-llama-spm-f32.gguf")
	ctx := context.Background()
	full, err := m.Generate(ctx, greedyReq("Count", 24))
	if err != nil {
		t.Fatal(err)
	}
	txt := full.Text()
	if len(txt) < 6 {
		t.Skipf("reply too short to pick a stop string: %q", txt)
	}
	stop := txt[3:6]
	req := greedyReq("Count", 24)
	req.Stop = []string{stop}
	r, err := m.Generate(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if want := txt[:strings.Index(txt, stop)]; r.Text() != want || r.FinishReason != llm.FinishStop {
		t.Errorf("stop %q: got %q (%s), want %q", stop, r.Text(), r.FinishReason, want)
	}
	r, err = m.Generate(ctx, greedyReq("Count", 3))
	if err != nil || r.Usage.OutputTokens > 3 {
		t.Errorf("max tokens: %+v %v", r.Usage, err)
	}
}

func TestCancellation(t *testing.T) {
	m := load(t, "tiny-llama-spm-q4_k_m.gguf")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n := 0
	var gotErr error
	for _, err := range m.Stream(ctx, greedyReq("Go on", 400)) {
		if err != nil {
			gotErr = err
			break
		}
		n++
		if n == 2 {
			cancel()
		}
	}
	if !errors.Is(gotErr, context.Canceled) {
		t.Fatalf("after cancel: err = %v after %d chunks", gotErr, n)
	}
	// The model still works afterwards.
	if _, err := m.Generate(context.Background(), greedyReq("Hi", 4)); err != nil {
		t.Fatal(err)
	}
}

func TestContextTooLong(t *testing.T) {
	m, err := local.Load(context.Background(), testenv.Shared(t, "models", "tiny-llama-spm-f32.gguf"), local.Options{ContextLen: 32})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	_, err = m.Generate(context.Background(), greedyReq(strings.Repeat("many words here ", 20), 4))
	if !errors.Is(err, llm.ErrContextLength) {
		t.Fatalf("err = %v, want context length", err)
	}
}

var schemas = []string{
	`{"type":"object","properties":{"answer":{"type":"string","maxLength":40},"confidence":{"type":"number"},"tags":{"type":"array","items":{"type":"string","enum":["a","b","c"]},"maxItems":3}},"required":["answer","confidence","tags"],"additionalProperties":false}`,
	`{"type":"object","properties":{"steps":{"type":"array","minItems":1,"maxItems":3,"items":{"type":"object","properties":{"id":{"type":"integer"},"tool":{"enum":["search","calc"]},"done":{"type":"boolean"}},"required":["id","tool","done"]}}},"required":["steps"]}`,
	`{"type":"array","items":{"type":"integer"},"maxItems":4}`,
}

// Random-weight models emit noise; under a response schema, every reply
// must still parse and have the schema's shape.
func TestResponseSchemaAlwaysValid(t *testing.T) {
	for _, name := range models {
		m := load(t, name)
		for si, schema := range schemas {
			for seed := range seeds(4) {
				t.Run(fmt.Sprintf("%s/schema%d/seed%d", name, si, seed), func(t *testing.T) {
					req := &llm.Request{
						Messages:       []llm.Message{llm.UserMessage("Answer in JSON.")},
						ResponseSchema: &llm.JSONSchema{Schema: json.RawMessage(schema), Strict: true},
						Seed:           llm.Ptr(seed), Temperature: llm.Ptr(1.0), MaxTokens: 120,
					}
					r, err := m.Generate(context.Background(), req)
					if err != nil {
						t.Fatal(err)
					}
					var v any
					if err := json.Unmarshal([]byte(r.Text()), &v); err != nil {
						t.Fatalf("reply is not JSON: %q (%s, %d tokens): %v", r.Text(), r.FinishReason, r.Usage.OutputTokens, err)
					}
					if si == 0 {
						o := v.(map[string]any)
						if _, ok := o["answer"].(string); !ok || len(o) != 3 {
							t.Errorf("shape: %q", r.Text())
						}
					}
				})
			}
		}
	}
}

func TestRequiredToolCallsAreValid(t *testing.T) {
	tools := []llm.ToolSpec{
		{Name: "search", Description: "Search the web.", Parameters: json.RawMessage(`{"type":"object","properties":{"query":{"type":"string","maxLength":30},"k":{"type":"integer","minimum":1,"maximum":10}},"required":["query","k"]}`)},
		{Name: "calculator", Description: "Evaluate arithmetic.", Parameters: json.RawMessage(`{"type":"object","properties":{"expression":{"type":"string","maxLength":20}},"required":["expression"]}`)},
	}
	for _, name := range models {
		m := load(t, name)
		for seed := range seeds(3) {
			for _, choice := range []llm.ToolChoice{{Mode: llm.ToolChoiceRequired}, llm.ToolChoiceFor("calculator")} {
				req := &llm.Request{
					Messages: []llm.Message{llm.UserMessage("What is 2+2?")}, Tools: tools, ToolChoice: choice,
					Seed: llm.Ptr(seed), Temperature: llm.Ptr(1.0), MaxTokens: 160,
				}
				r, err := m.Generate(context.Background(), req)
				if err != nil {
					t.Fatalf("%s seed %d %v: %v", name, seed, choice, err)
				}
				if len(r.Message.ToolCalls) == 0 || r.FinishReason != llm.FinishToolCalls {
					t.Fatalf("%s seed %d %v: no tool call: %+v", name, seed, choice, r)
				}
				for _, c := range r.Message.ToolCalls {
					if choice.Mode == llm.ToolChoiceNamed && c.Name != "calculator" {
						t.Errorf("named choice ignored: %s", c.Name)
					}
					var args map[string]any
					if err := json.Unmarshal(c.Arguments, &args); err != nil || c.ID == "" {
						t.Errorf("%s: bad call %+v: %v", name, c, err)
					}
				}
			}
		}
	}
}

func TestConcurrentGenerations(t *testing.T) {
	m, err := local.Load(context.Background(), testenv.Shared(t, "models", "tiny-qwen2-gpt2-q8_0.gguf"), local.Options{MaxConcurrent: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	want, err := m.Generate(context.Background(), greedyReq("same", 8))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := m.Generate(context.Background(), greedyReq("same", 8))
			if err != nil || got.Text() != want.Text() {
				t.Errorf("concurrent: %q %v, want %q", got.Text(), err, want.Text())
			}
		}()
	}
	wg.Wait()
}

func TestOpenThroughRegistry(t *testing.T) {
	path := testenv.Shared(t, "models", "tiny-llama-spm-f32.gguf")
	m, err := llm.Open("local/"+path, llm.WithOption("threads", "1"))
	if err != nil {
		t.Fatal(err)
	}
	if c, ok := m.(interface{ Close() error }); ok {
		defer c.Close()
	}
	if _, err := m.Generate(context.Background(), greedyReq("x", 2)); err != nil {
		t.Fatal(err)
	}
	if _, err := llm.Open("local/no/such/model.gguf"); err == nil {
		t.Error("missing file must fail")
	}
}

// Every chat template's tool-call format comes back as tool calls under
// constrained decoding.
func TestRequiredToolCallsEveryTemplate(t *testing.T) {
	tools := []llm.ToolSpec{{Name: "lookup", Description: "Look up a term.", Parameters: json.RawMessage(`{"type":"object","properties":{"term":{"type":"string","maxLength":12}},"required":["term"]}`)}}
	for _, tmpl := range []string{"chatml", "llama3", "llama2", "mistral", "deepseek"} {
		t.Run(tmpl, func(t *testing.T) {
			m, err := local.Load(context.Background(), testenv.Shared(t, "models", "tiny-qwen2-gpt2-q8_0.gguf"), local.Options{Template: tmpl})
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			r, err := m.Generate(context.Background(), &llm.Request{
				Messages: []llm.Message{llm.UserMessage("Define RAG.")}, Tools: tools, ToolChoice: llm.ToolChoiceFor("lookup"),
				Seed: llm.Ptr[int64](1), Temperature: llm.Ptr(1.0), MaxTokens: 80,
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Message.ToolCalls) != 1 || r.Message.ToolCalls[0].Name != "lookup" || r.FinishReason != llm.FinishToolCalls {
				t.Fatalf("got %+v", r)
			}
			if r.Message.Content != "" {
				t.Errorf("call text leaked into content: %q", r.Message.Content)
			}
		})
	}
}

// seeds returns n, or fewer under the race detector, where generation is
// much slower and the sample checks the same properties.
func seeds(n int64) int64 {
	if local.RaceEnabled {
		return max(1, n/2)
	}
	return n
}

func TestOpenEmbeddedDefault(t *testing.T) {
	if _, _, ok := embedded.Default(); ok {
		t.Skip("a default model is already registered in this binary")
	}
	if _, err := llm.Open("local"); err == nil || !strings.Contains(err.Error(), "no embedded default model") {
		t.Fatalf("Open(local) with none registered: %v", err)
	}
	data, err := os.ReadFile(testenv.Shared(t, "models", "tiny-llama-spm-f32.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	embedded.Register("tiny-test", data)
	m, err := llm.Open("local")
	if err != nil {
		t.Fatal(err)
	}
	defer m.(*local.Model).Close()
	if _, err := m.Generate(context.Background(), greedyReq("hi", 2)); err != nil {
		t.Fatal(err)
	}
}

// TestSamplingDefaultsFromFile checks that a file without recommended
// sampling settings gets Ollama's defaults, and that the
// general.sampling.* keys replace them.
func TestSamplingDefaultsFromFile(t *testing.T) {
	m := load(t, "tiny-llama-spm-f32.gguf")
	if d := m.Defaults(); d.Temperature != 0.8 || d.TopK != 40 || d.TopP != 0.9 || d.RepeatPenalty != 1.1 {
		t.Errorf("defaults without keys = %+v, want Ollama's", d)
	}
	path := withKVs(t, testenv.Shared(t, "models", "tiny-llama-spm-f32.gguf"), map[string]any{local.KeySamplingTemp: float32(0), local.KeySamplingTopK: int32(7), local.KeySamplingTopP: float32(0.5), local.KeySamplingMinP: float32(0.05), local.KeySamplingRepeatPenalty: float32(1)})
	m2, err := local.Load(context.Background(), path, local.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer m2.Close()
	want := sample.Params{Temperature: 0, TopK: 7, TopP: 0.5, MinP: 0.05, RepeatPenalty: 1}
	if d := m2.Defaults(); d != want {
		t.Errorf("defaults = %+v, want %+v", d, want)
	}
}
