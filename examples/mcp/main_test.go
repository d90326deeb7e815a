package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/plait-ai/plait/examples/mcp/todo"
	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/llm/llmtest"
)

// TestMain makes the test binary the MCP server when started with
// serveFlag, as the real program does.
func TestMain(m *testing.M) {
	if len(os.Args) == 2 && os.Args[1] == serveFlag {
		if err := todo.Serve(context.Background(), os.Stdin, os.Stdout); err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func toolResults(req llm.Request) []string {
	var out []string
	for _, m := range req.Messages {
		if m.Role == llm.RoleTool {
			out = append(out, m.Content)
		}
	}
	return out
}

func TestAgentUsesTheServersTools(t *testing.T) {
	m := llmtest.New(
		llmtest.ToolCalls(
			llmtest.Call("add_todo", `{"title":"renew passport","due":"Friday"}`),
		),
		llmtest.ToolCalls(llmtest.Call("add_todo", `{"title":"buy milk"}`)),
		llmtest.ToolCalls(llmtest.Call("complete_todo", `{"id":2}`)),
		llmtest.ToolCalls(llmtest.Call("list_todos", `{}`)),
		llmtest.Text("Your list: renew passport (due Friday)."),
	)
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"add two, finish the second, show the list"}, &out, &errb, m)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, errb.String())
	}
	if !strings.Contains(errb.String(), "tools from the server: add_todo, complete_todo, list_todos") {
		t.Errorf("stderr:\n%s", errb.String())
	}
	// The state lives in the server process: the last listing shows it.
	res := toolResults(m.Requests()[4])
	last := res[len(res)-1]
	if !strings.Contains(last, `"title":"renew passport"`) || strings.Contains(last, "buy milk") {
		t.Errorf("list_todos returned %s; want the open item only", last)
	}
	if !strings.Contains(res[2], `"done":true`) {
		t.Errorf("complete_todo returned %s", res[2])
	}
	if strings.TrimSpace(out.String()) != "Your list: renew passport (due Friday)." {
		t.Errorf("stdout = %q", out.String())
	}
}

func TestServerErrorsReachTheModel(t *testing.T) {
	m := llmtest.New(llmtest.ToolCalls(llmtest.Call("complete_todo", `{"id":9}`)), llmtest.Text("There is no item 9."))
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"finish item 9"}, &out, &errb, m); code != 0 {
		t.Fatalf("exit %d:\n%s", code, errb.String())
	}
	if res := toolResults(m.Requests()[1]); len(res) != 1 || !strings.Contains(res[0], "no item 9") {
		t.Errorf("tool result = %v", res)
	}
}

func TestBadServer(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"-server", "/nonexistent/mcp-server", "x"}, &out, &errb, llmtest.New()); code != 1 {
		t.Errorf("exit %d, want 1:\n%s", code, errb.String())
	}
}
