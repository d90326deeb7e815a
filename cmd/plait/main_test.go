package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	sdkmcp "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/plait-ai/plait/internal/testenv"
	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/llm/llmtest"
	"github.com/plait-ai/plait/llm/local/discover"
	"github.com/plait-ai/plait/tools"
	"github.com/plait-ai/plait/tools/mcp"
)

// TestMain doubles as a small MCP server when the test binary is started
// with PLAIT_TEST_MCP=1, so that tests can connect to a real subprocess.
func TestMain(m *testing.M) {
	if os.Getenv("PLAIT_TEST_MCP") == "1" {
		type shoutIn struct {
			Text string `json:"text"`
		}
		shout := tools.MustFunc("shout", "Upper-cases text.", func(ctx context.Context, in shoutIn) (string, error) {
			return strings.ToUpper(in.Text) + "!", nil
		})
		if err := mcp.Serve(context.Background(), tools.NewDispatcher(tools.MustSet(shout)), &sdkmcp.StdioTransport{}, nil); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// syncBuffer is a bytes.Buffer safe for concurrent writes and reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// useModel makes the commands open m whatever the spec.
func useModel(t *testing.T, m llm.Model) {
	t.Helper()
	old := openModel
	openModel = func(ctx context.Context, flag string) (llm.Model, string, error) { return m, "test/" + flag, nil }
	t.Cleanup(func() { openModel = old })
}

func runPlait(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb syncBuffer
	code = dispatch(context.Background(), args, env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb})
	return code, out.String(), errb.String()
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{{}, {"fly"}, {"run"}, {"run", "-strategy", "x", "goal"}, {"chat", "extra"}, {"serve", "-nope"}} {
		if code, _, _ := runPlait(t, "", args...); code != 2 {
			t.Errorf("plait %q exit %d, want 2", args, code)
		}
	}
	if code, out, _ := runPlait(t, "", "help"); code != 0 || !strings.Contains(out, "serve") {
		t.Errorf("help: %d %q", code, out)
	}
}

func TestRunPlanWithBuiltinTools(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "prices.txt"), []byte("apples 3\npears 4\n"), 0o644)
	plan := `{"thought":"read, then add","steps":[
		{"id":"s1","task":"read prices","tool":"read_file","args":{"path":"prices.txt"}},
		{"id":"s2","task":"add","tool":"calculator","args":{"expression":"3+4"},"deps":["s1"]}]}`
	m := llmtest.New(llmtest.Text(plan), llmtest.Text("Together they cost 7 [s2]."))
	useModel(t, m)
	code, out, errs := runPlait(t, "", "run", "-dir", dir, "What do apples and pears cost together?")
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, errs)
	}
	if strings.TrimSpace(out) != "Together they cost 7 [s2]." {
		t.Errorf("stdout = %q, want just the answer", out)
	}
	for _, want := range []string{"plan: read, then add", "✓ s1 done", "✓ s2 done", "7", "done in"} {
		if !strings.Contains(errs, want) {
			t.Errorf("progress lacks %q:\n%s", want, errs)
		}
	}
	if strings.Contains(errs, "\x1b[") {
		t.Error("progress to a non-terminal has escape codes")
	}
	var names []string
	for _, s := range m.Requests()[0].Tools {
		names = append(names, s.Name)
	}
	for _, msg := range m.Requests()[0].Messages {
		names = append(names, msg.Content)
	}
	if got := strings.Join(names, ","); !strings.Contains(got, "calculator") || !strings.Contains(got, "read_file") || strings.Contains(got, "http_get") {
		t.Errorf("tools offered = %s", got)
	}
}

func TestRunWithMCPServerAndApproval(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "mcp.json")
	b, _ := json.Marshal(map[string]any{"mcpServers": map[string]any{
		"loud": map[string]any{"command": os.Args[0], "env": map[string]string{"PLAIT_TEST_MCP": "1"}},
	}})
	os.WriteFile(cfg, b, 0o644)
	tests := []struct {
		name, stdin, want string
	}{
		{"approved", "y\n", `HELLO!`},
		{"denied", "n\n", "denied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := llmtest.New(
				llmtest.ToolCalls(llmtest.Call("loud_shout", `{"text":"hello"}`)),
				llmtest.Text("done"),
			)
			useModel(t, m)
			code, out, errs := runPlait(t, tt.stdin, "run", "-strategy", "react", "-mcp-config", cfg, "-approve", "Shout hello")
			if code != 0 {
				t.Fatalf("exit %d:\n%s", code, errs)
			}
			if !strings.Contains(errs, "wants to run loud_shout") {
				t.Errorf("no approval question:\n%s", errs)
			}
			msgs := m.Requests()[1].Messages
			if got := msgs[len(msgs)-1].Content; !strings.Contains(got, tt.want) {
				t.Errorf("tool result = %q, want %q", got, tt.want)
			}
			if strings.TrimSpace(out) != "done" {
				t.Errorf("stdout = %q", out)
			}
		})
	}
}

func TestMCPFlagParsing(t *testing.T) {
	f := agentFlags{mcp: listFlag{"fs=server --root /tmp", "http://localhost:9/mcp"}}
	names, servers, err := f.servers()
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(names) != "[fs mcp2]" || servers["fs"].Command != "server" || fmt.Sprint(servers["fs"].Args) != "[--root /tmp]" || servers["mcp2"].URL != "http://localhost:9/mcp" {
		t.Errorf("names %v servers %+v", names, servers)
	}
	if _, _, err := (&agentFlags{mcp: listFlag{"a=x", "a=y"}}).servers(); err == nil {
		t.Error("two servers with one name were accepted")
	}
}

func TestChatKeepsHistory(t *testing.T) {
	db := filepath.Join(t.TempDir(), "chat.db")
	m := llmtest.New(llmtest.Text("Hello Ada."), llmtest.Text("Your name is Ada."))
	useModel(t, m)
	code, out, errs := runPlait(t, "My name is Ada.\n\nWhat is my name?\n/exit\n", "chat", "-db", db)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, errs)
	}
	if out != "Hello Ada.\nYour name is Ada.\n" {
		t.Errorf("stdout = %q", out)
	}
	var second strings.Builder
	for _, msg := range m.Requests()[1].Messages {
		second.WriteString(msg.Content + "\n")
	}
	if !strings.Contains(second.String(), "My name is Ada.") || !strings.Contains(second.String(), "Hello Ada.") {
		t.Errorf("the second turn did not see the first:\n%s", second.String())
	}
	// The conversation is in the file: resume it.
	id := regexp.MustCompile(`conversation ([0-9a-f-]{36})`).FindStringSubmatch(errs)
	if id == nil {
		t.Fatalf("no conversation id in %q", errs)
	}
	m2 := llmtest.New(llmtest.Text("Still Ada."))
	useModel(t, m2)
	if code, _, errs := runPlait(t, "And now?\n", "chat", "-db", db, "-conversation", id[1]); code != 0 {
		t.Fatalf("resume: exit %d\n%s", code, errs)
	}
	var resumed strings.Builder
	for _, msg := range m2.Requests()[0].Messages {
		resumed.WriteString(msg.Content + "\n")
	}
	if !strings.Contains(resumed.String(), "Your name is Ada.") {
		t.Errorf("the resumed conversation lacks its history:\n%s", resumed.String())
	}
}

func TestModelsListsLocalAndPresets(t *testing.T) {
	old := listLocal
	t.Cleanup(func() { listLocal = old })
	listLocal = func(ctx context.Context) ([]discover.Model, error) {
		return []discover.Model{{Name: "qwen2.5:0.5b", Size: 397 << 20, Architecture: "qwen2", Quantization: "Q4_K_M", Parameters: 494e6, Source: "ollama"}}, nil
	}
	code, out, _ := runPlait(t, "", "models")
	if code != 0 {
		t.Fatal(code)
	}
	for _, want := range []string{"qwen2.5:0.5b", "397.0 MiB", "qwen2", "Q4_K_M", "494M", "deepseek", "DEEPSEEK_API_KEY", "ollama"} {
		if !strings.Contains(out, want) {
			t.Errorf("models output lacks %q:\n%s", want, out)
		}
	}
}

func TestModelsReadsRealGGUF(t *testing.T) {
	src := testenv.Shared(t, "models", "tiny-qwen2-gpt2-q8_0.gguf")
	dir := t.TempDir()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tiny.gguf"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PLAIT_MODELS", dir)
	t.Setenv("OLLAMA_MODELS", t.TempDir())
	code, out, errs := runPlait(t, "", "models", "-remote=false")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "tiny") || !strings.Contains(out, "qwen2") || !strings.Contains(out, "Q8_0") {
		t.Errorf("models output:\n%s", out)
	}
}

func TestServeAgentAndShutdown(t *testing.T) {
	plan := `{"thought":"compute","steps":[{"id":"s1","task":"multiply","tool":"calculator","args":{"expression":"6*7"}}]}`
	m := llmtest.New(llmtest.Text(plan), llmtest.Text("It is 42 [s1]."), llmtest.Text("Plain reply."))
	useModel(t, m)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var errb syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- dispatch(ctx, []string{"serve", "-addr", "127.0.0.1:0", "-api-key", "k", "-name", "helper"}, env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: &errb})
	}()
	var base string
	re := regexp.MustCompile(`on (http://[0-9.:]+)`)
	for i := 0; i < 500 && base == ""; i++ {
		if mm := re.FindStringSubmatch(errb.String()); mm != nil {
			base = mm[1]
		}
		time.Sleep(10 * time.Millisecond)
	}
	if base == "" {
		t.Fatalf("server did not start:\n%s", errb.String())
	}
	post := func(path, key, body string) (*http.Response, string) {
		req, _ := http.NewRequest("POST", base+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	if resp, _ := post("/v1/chat/completions", "", `{"model":"helper","messages":[{"role":"user","content":"hi"}]}`); resp.StatusCode != 401 {
		t.Errorf("no key: status %d, want 401", resp.StatusCode)
	}
	resp, body := post("/v1/chat/completions", "k", `{"model":"helper","stream":true,"messages":[{"role":"user","content":"What is 6 times 7?"}]}`)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	var text, reasoning strings.Builder
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok || line == "[DONE]" {
			continue
		}
		var ev struct {
			Choices []struct {
				Delta struct {
					Content          string `json:"content"`
					ReasoningContent string `json:"reasoning_content"`
				} `json:"delta"`
			} `json:"choices"`
		}
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("bad SSE event %q: %v", line, err)
		}
		for _, c := range ev.Choices {
			text.WriteString(c.Delta.Content)
			reasoning.WriteString(c.Delta.ReasoningContent)
		}
	}
	if text.String() != "It is 42 [s1]." {
		t.Errorf("streamed answer = %q\n%s", text.String(), body)
	}
	if !strings.Contains(reasoning.String(), "multiply") {
		t.Errorf("reasoning = %q, want the plan", reasoning.String())
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("serve exit %d:\n%s", code, errb.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not shut down")
	}
	if !strings.Contains(errb.String(), "shutting down") {
		t.Errorf("stderr:\n%s", errb.String())
	}
}
