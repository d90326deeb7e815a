package main

import (
	"bytes"
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/plait-ai/plait/internal/cli"
	"github.com/plait-ai/plait/llm/llmtest"
	"github.com/plait-ai/plait/llm/local/embedded"
	"github.com/plait-ai/plait/llm/serve"
)

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{{}, {"-strategy", "guess", "q"}, {"-nope", "q"}} {
		var out, errb bytes.Buffer
		if code := run(context.Background(), args, &out, &errb); code != cli.ExitUsage {
			t.Errorf("run(%q) = %d, want %d; stderr %s", args, code, cli.ExitUsage, errb.String())
		}
	}
}

func TestNoModelSaysWhatToSet(t *testing.T) {
	t.Setenv(cli.EnvModel, "")
	// Take the embedded model away for this test, as in a build without it.
	name, data, _ := embedded.Default()
	embedded.Register("", nil)
	t.Cleanup(func() { embedded.Register(name, data) })
	if _, _, err := cli.OpenModel(context.Background(), ""); err == nil {
		t.Fatal("the default model opened with none registered")
	}
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"What is RAG?"}, &out, &errb)
	if code != cli.ExitUsage {
		t.Errorf("exit code %d, want %d", code, cli.ExitUsage)
	}
	for _, want := range []string{"PLAIT_MODEL=deepseek/deepseek-chat", "DEEPSEEK_API_KEY", "local/path/to/model.gguf", "ollama/"} {
		if !strings.Contains(errb.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, errb.String())
		}
	}
}

// TestEndToEnd runs the command against a model behind the OpenAI-compatible
// API on loopback, reached through the openai preset.
func TestEndToEnd(t *testing.T) {
	plan := `{"thought":"Look it up.","steps":[
		{"id":"s1","task":"search","tool":"search_kb","args":{"query":"chain of thought reasoning"}},
		{"id":"s2","task":"read","tool":"read_doc","args":{"id":"${s1.hits[0].id}"}}]}`
	m := llmtest.New(llmtest.Text(plan), llmtest.Text("Chain of thought writes the reasoning before the answer [s2]."))
	srv := httptest.NewServer((&serve.Server{Default: m, Logger: slog.New(slog.DiscardHandler)}).Handler())
	defer srv.Close()
	t.Setenv("OPENAI_BASE_URL", srv.URL+"/v1")
	t.Setenv("OPENAI_API_KEY", "test")

	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"-model", "openai/scripted", "What is chain of thought?"}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit code %d; stderr:\n%s", code, errb.String())
	}
	for _, want := range []string{"plan: Look it up.", "s1", "search_kb", "✓ s2 done", "done in"} {
		if !strings.Contains(errb.String(), want) {
			t.Errorf("progress lacks %q:\n%s", want, errb.String())
		}
	}
	t.Logf("stderr:\n%s\nstdout:\n%s", errb.String(), out.String())
	for _, want := range []string{"[chain-of-thought]", "## Sources", "- [chain-of-thought] Chain of thought (bundled)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}

func TestTraceTimeline(t *testing.T) {
	m := llmtest.New(llmtest.Text("No tools needed."))
	srv := httptest.NewServer((&serve.Server{Default: m, Logger: slog.New(slog.DiscardHandler)}).Handler())
	defer srv.Close()
	t.Setenv("OPENAI_BASE_URL", srv.URL+"/v1")
	t.Setenv("OPENAI_API_KEY", "test")
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"-model", "openai/scripted", "-strategy", "react", "-trace", "hi"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d:\n%s", code, errb.String())
	}
	if !strings.Contains(errb.String(), "invoke_agent") || !strings.Contains(errb.String(), "chat") {
		t.Errorf("no timeline on stderr:\n%s", errb.String())
	}
}
