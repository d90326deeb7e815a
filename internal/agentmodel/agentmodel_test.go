package agentmodel_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/plait-ai/plait/agent"
	"github.com/plait-ai/plait/internal/agentmodel"
	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/llm/llmtest"
	"github.com/plait-ai/plait/tools"
)

type echoIn struct {
	Text string `json:"text"`
}

func echoTool(t *testing.T) tools.Tool {
	t.Helper()
	tl, err := tools.Func("echo", "Echoes text.", func(ctx context.Context, in echoIn) (string, error) { return "echo:" + in.Text, nil })
	if err != nil {
		t.Fatal(err)
	}
	return tl
}

func allText(msgs []llm.Message) string {
	var b strings.Builder
	for _, m := range msgs {
		b.WriteString(m.Content + "\n")
	}
	return b.String()
}

func TestStreamRunsAgentWithHistory(t *testing.T) {
	base := llmtest.New(
		llmtest.Text(`{"thought":"echo it","steps":[{"id":"s1","task":"echo","tool":"echo","args":{"text":"hi"}}]}`),
		llmtest.Text("The tool said echo:hi [s1]."),
	)
	m, err := agentmodel.New(agent.Config{Model: base, ToolList: []tools.Tool{echoTool(t)}}, agentmodel.Options{Name: "helper", Progress: true})
	if err != nil {
		t.Fatal(err)
	}
	req := &llm.Request{Messages: []llm.Message{
		llm.SystemMessage("Be brief."),
		llm.UserMessage("My name is Ada."),
		llm.AssistantMessage("Hello Ada."),
		{Role: llm.RoleAssistant, ToolCalls: []llm.ToolCall{{ID: "c1", Name: "client_tool", Arguments: []byte(`{}`)}}},
		{Role: llm.RoleTool, ToolCallID: "c1", Content: "client tool output"},
		llm.UserMessage("Echo hi please."),
	}}
	var text, reasoning strings.Builder
	var last llm.Chunk
	for c, err := range m.Stream(context.Background(), req) {
		if err != nil {
			t.Fatalf("stream: %v", err)
		}
		text.WriteString(c.Text)
		reasoning.WriteString(c.Reasoning)
		last = c
	}
	if text.String() != "The tool said echo:hi [s1]." {
		t.Errorf("text = %q", text.String())
	}
	if !strings.Contains(reasoning.String(), "echo it") || !strings.Contains(reasoning.String(), "s1 done") {
		t.Errorf("reasoning = %q, want the plan and the step", reasoning.String())
	}
	if last.FinishReason != llm.FinishStop || last.Usage == nil || last.Model != "helper" {
		t.Errorf("last chunk = %+v", last)
	}
	plan := allText(base.Requests()[0].Messages)
	for _, want := range []string{"My name is Ada.", "Hello Ada.", "Echo hi please."} {
		if !strings.Contains(plan, want) {
			t.Errorf("the planner's prompt lacks the history %q:\n%s", want, plan)
		}
	}
	if strings.Contains(plan, "client tool output") {
		t.Error("a client's tool result reached the agent")
	}
	if llm.InfoOf(m).Model != "helper" {
		t.Errorf("info = %+v", llm.InfoOf(m))
	}
}

func TestGenerateAndErrors(t *testing.T) {
	base := llmtest.New(llmtest.Text("Just an answer."), llmtest.Step{Err: llm.Errorf(llm.KindUnavailable, "test", "down")})
	m, err := agentmodel.New(agent.Config{Model: base, Strategy: agent.ReAct}, agentmodel.Options{})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := m.Generate(context.Background(), &llm.Request{Messages: []llm.Message{llm.UserMessage("hi")}})
	if err != nil || resp.Message.Content != "Just an answer." {
		t.Fatalf("Generate = %+v, %v", resp, err)
	}
	if _, err := m.Generate(context.Background(), &llm.Request{Messages: []llm.Message{llm.UserMessage("again")}}); !errors.Is(err, llm.ErrUnavailable) {
		t.Errorf("a failing model gave %v, want ErrUnavailable", err)
	}
	if _, err := m.Generate(context.Background(), &llm.Request{Messages: []llm.Message{llm.SystemMessage("s")}}); !errors.Is(err, llm.ErrInvalidRequest) {
		t.Errorf("no user message gave %v, want ErrInvalidRequest", err)
	}
}

func TestSplit(t *testing.T) {
	goal, hist := agentmodel.Split([]llm.Message{llm.UserMessage("a"), llm.AssistantMessage("b"), llm.UserMessage("c"), llm.AssistantMessage("d")})
	if goal != "c" || len(hist) != 2 {
		t.Errorf("Split = %q, %v", goal, hist)
	}
	if goal, _ := agentmodel.Split(nil); goal != "" {
		t.Errorf("Split(nil) = %q", goal)
	}
}
