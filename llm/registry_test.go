package llm_test

import (
	"context"
	"strings"
	"testing"

	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/llm/llmtest"
)

func TestOpen(t *testing.T) {
	var got struct {
		model string
		cfg   llm.Config
	}
	llm.Register("Fake-Test", llm.ProviderFunc(func(_ context.Context, model string, cfg llm.Config) (llm.Model, error) {
		got.model, got.cfg = model, cfg
		return llmtest.New(), nil
	}))
	m, err := llm.Open("fake-test/org/model:7b", llm.WithAPIKey("k"), llm.WithBaseURL("http://x"), llm.WithHeader("H", "v"), llm.WithOption("o", "1"))
	if err != nil || m == nil {
		t.Fatal(err)
	}
	if got.model != "org/model:7b" || got.cfg.APIKey != "k" || got.cfg.BaseURL != "http://x" || got.cfg.Headers["H"] != "v" || got.cfg.Options["o"] != "1" {
		t.Errorf("provider got %+v", got)
	}
	if _, err := llm.Open("fake-test"); err != nil || got.model != "" {
		t.Errorf("provider without model: %v %q", err, got.model)
	}
	for _, spec := range []string{"", "  ", "nosuch/model"} {
		_, err := llm.Open(spec)
		if err == nil {
			t.Errorf("Open(%q): want error", spec)
		}
	}
	_, err = llm.Open("nosuch/model")
	if !strings.Contains(err.Error(), "llm/providers") {
		t.Errorf("error should say what to import: %v", err)
	}
	found := false
	for _, p := range llm.Providers() {
		found = found || p == "fake-test"
	}
	if !found {
		t.Errorf("Providers() = %v", llm.Providers())
	}
}

func TestScriptedModel(t *testing.T) {
	m := llmtest.New(llmtest.Text("a"), llmtest.ToolCalls(llmtest.Call("f", `{"x":1}`)))
	ctx := context.Background()
	r1, err := m.Generate(ctx, req("one"))
	if err != nil || r1.Text() != "a" {
		t.Fatal(r1, err)
	}
	r2, err := llm.Collect(m.Stream(ctx, req("two")))
	if err != nil || len(r2.Message.ToolCalls) != 1 || r2.Message.ToolCalls[0].ID != "call_1" {
		t.Fatal(r2, err)
	}
	if _, err := m.Generate(ctx, req("three")); err == nil {
		t.Fatal("exhausted script must fail")
	}
	reqs := m.Requests()
	if len(reqs) != 3 || reqs[1].Messages[0].Content != "two" {
		t.Errorf("requests = %+v", reqs)
	}
	loop := llmtest.Loop(llmtest.Text("x"))
	for range 3 {
		if r, err := loop.Generate(ctx, req("q")); err != nil || r.Text() != "x" {
			t.Fatal(r, err)
		}
	}
}
