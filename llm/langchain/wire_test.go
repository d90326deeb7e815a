package langchain_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/tmc/langchaingo/agents"
	"github.com/tmc/langchaingo/chains"
	"github.com/tmc/langchaingo/tools"

	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/llm/internal/wiretest"
	"github.com/plait-ai/plait/llm/langchain"
	_ "github.com/plait-ai/plait/llm/providers"
)

// TestAgentOverWire runs langchaingo's tool-calling agent on a plait preset
// that talks to a loopback chat-completions server: the agent's function
// reaches the wire as a tool, the server's tool call reaches the agent, and
// the tool's result goes back as a tool message with the call's id.
func TestAgentOverWire(t *testing.T) {
	srv := wiretest.New(t,
		wiretest.Exchange{
			Path:   "/v1/chat/completions",
			Header: map[string]string{"Authorization": "Bearer sk-lc"},
			Resp: `{"id":"a","model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":null,
				"tool_calls":[{"id":"call_1","type":"function","function":{"name":"adder","arguments":"{\"__arg1\":\"20+22\"}"}}]},"finish_reason":"tool_calls"}]}`,
		},
		wiretest.Exchange{
			Path: "/v1/chat/completions",
			Resp: `{"id":"b","model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"It is 42."},"finish_reason":"stop"}]}`,
		},
	)
	m, err := llm.Open("openai", llm.WithBaseURL(srv.URL+"/v1"), llm.WithAPIKey("sk-lc"))
	if err != nil {
		t.Fatal(err)
	}
	add := &adder{}
	exec := agents.NewExecutor(agents.NewOpenAIFunctionsAgent(langchain.New(m), []tools.Tool{add}), agents.WithMaxIterations(3))
	out, err := chains.Run(context.Background(), exec, "What is 20+22?")
	if err != nil {
		t.Fatal(err)
	}
	if out != "It is 42." || !reflect.DeepEqual(add.calls, []string{"20+22"}) {
		t.Errorf("out %q calls %q", out, add.calls)
	}
	var first, second struct {
		Tools []struct {
			Function struct{ Name string } `json:"function"`
		} `json:"tools"`
		Messages []struct {
			Role       string `json:"role"`
			Content    string `json:"content"`
			ToolCallID string `json:"tool_call_id"`
			ToolCalls  []struct {
				ID string `json:"id"`
			} `json:"tool_calls"`
		} `json:"messages"`
	}
	if err := json.Unmarshal(srv.Bodies[0], &first); err != nil || len(first.Tools) != 1 || first.Tools[0].Function.Name != "adder" {
		t.Errorf("first request %s", srv.Bodies[0])
	}
	if err := json.Unmarshal(srv.Bodies[1], &second); err != nil {
		t.Fatal(err)
	}
	n := len(second.Messages)
	if n < 2 || second.Messages[n-2].Role != "assistant" || len(second.Messages[n-2].ToolCalls) != 1 || second.Messages[n-2].ToolCalls[0].ID != "call_1" ||
		second.Messages[n-1].Role != "tool" || second.Messages[n-1].ToolCallID != "call_1" || second.Messages[n-1].Content != "42" {
		t.Errorf("second request %s", srv.Bodies[1])
	}
}
