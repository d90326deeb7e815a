package langchain_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/tmc/langchaingo/agents"
	"github.com/tmc/langchaingo/chains"
	"github.com/tmc/langchaingo/llms"
	"github.com/tmc/langchaingo/prompts"
	"github.com/tmc/langchaingo/tools"

	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/llm/langchain"
	"github.com/plait-ai/plait/llm/llmtest"
)

func TestGenerateContentMapsEverything(t *testing.T) {
	m := llmtest.New(llmtest.Reply(&llm.Response{
		Message: llm.Message{Role: llm.RoleAssistant, Content: "Calling.", Reasoning: "need weather",
			ToolCalls: []llm.ToolCall{{ID: "c1", Name: "get_weather", Arguments: json.RawMessage(`{"city":"Paris"}`)}}},
		Usage:        llm.Usage{InputTokens: 30, OutputTokens: 12, ReasoningTokens: 4, CachedInputTokens: 8},
		FinishReason: llm.FinishToolCalls, ID: "r1", Model: "scripted-1",
	}))
	params := map[string]any{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}}
	msgs := []llms.MessageContent{
		llms.TextParts(llms.ChatMessageTypeSystem, "Be brief."),
		llms.TextParts(llms.ChatMessageTypeHuman, "Weather ", "in Rome?"),
		{Role: llms.ChatMessageTypeAI, Parts: []llms.ContentPart{
			llms.TextContent{Text: "Checking."},
			llms.ToolCall{ID: "c0", Type: "function", FunctionCall: &llms.FunctionCall{Name: "get_weather", Arguments: `{"city":"Rome"}`}},
		}},
		{Role: llms.ChatMessageTypeTool, Parts: []llms.ContentPart{llms.ToolCallResponse{ToolCallID: "c0", Name: "get_weather", Content: "24C"}}},
		llms.TextParts(llms.ChatMessageTypeGeneric, "And Paris?"),
	}
	resp, err := langchain.New(m).GenerateContent(context.Background(), msgs,
		llms.WithModel("override"),
		llms.WithTemperature(0), // an explicit zero is kept
		llms.WithMaxTokens(64),
		llms.WithStopWords([]string{"END"}),
		llms.WithSeed(0),
		llms.WithTools([]llms.Tool{{Type: "function", Function: &llms.FunctionDefinition{Name: "get_weather", Description: "Weather.", Parameters: params}}}),
		llms.WithToolChoice(llms.ToolChoice{Type: "function", Function: &llms.FunctionReference{Name: "get_weather"}}),
		llms.WithJSONMode(),
	)
	if err != nil {
		t.Fatal(err)
	}
	got := m.Requests()[0]
	want := llm.Request{
		Model: "override",
		Messages: []llm.Message{
			llm.SystemMessage("Be brief."),
			llm.UserMessage("Weather in Rome?"),
			{Role: llm.RoleAssistant, Content: "Checking.", ToolCalls: []llm.ToolCall{{ID: "c0", Name: "get_weather", Arguments: json.RawMessage(`{"city":"Rome"}`)}}},
			{Role: llm.RoleTool, ToolCallID: "c0", Name: "get_weather", Content: "24C"},
			llm.UserMessage("And Paris?"),
		},
		Tools:          []llm.ToolSpec{{Name: "get_weather", Description: "Weather.", Parameters: json.RawMessage(`{"properties":{"city":{"type":"string"}},"type":"object"}`)}},
		ToolChoice:     llm.ToolChoiceFor("get_weather"),
		ResponseSchema: &llm.JSONSchema{Name: "response"},
		Temperature:    llm.Ptr(0.0),
		Seed:           llm.Ptr[int64](0),
		MaxTokens:      64,
		Stop:           []string{"END"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("request\n got %+v\nwant %+v", got, want)
	}
	c := resp.Choices[0]
	if c.Content != "Calling." || c.ReasoningContent != "need weather" || c.StopReason != "tool_calls" || c.FuncCall != nil {
		t.Errorf("choice %+v", c)
	}
	if len(c.ToolCalls) != 1 || c.ToolCalls[0].ID != "c1" || c.ToolCalls[0].FunctionCall.Arguments != `{"city":"Paris"}` {
		t.Errorf("tool calls %+v", c.ToolCalls)
	}
	for k, v := range map[string]any{"PromptTokens": 30, "CompletionTokens": 12, "TotalTokens": 42, "ReasoningTokens": 4, "PromptCachedTokens": 8, "ID": "r1", "Model": "scripted-1"} {
		if c.GenerationInfo[k] != v {
			t.Errorf("GenerationInfo[%s] = %v, want %v", k, c.GenerationInfo[k], v)
		}
	}
}

func TestUnsetOptionsStayUnset(t *testing.T) {
	m := llmtest.New(llmtest.Text("hi"))
	out, err := langchain.New(m).Call(context.Background(), "hello")
	if err != nil || out != "hi" {
		t.Fatalf("%q %v", out, err)
	}
	r := m.Requests()[0]
	if r.Temperature != nil || r.TopP != nil || r.Seed != nil || r.ToolChoice.Mode != llm.ToolChoiceAuto || r.ResponseSchema != nil {
		t.Errorf("request %+v", r)
	}
}

func TestToolChoices(t *testing.T) {
	for _, tc := range []struct {
		choice any
		want   llm.ToolChoice
	}{
		{"auto", llm.ToolChoice{}},
		{"none", llm.ToolChoice{Mode: llm.ToolChoiceNone}},
		{"required", llm.ToolChoice{Mode: llm.ToolChoiceRequired}},
		{"any", llm.ToolChoice{Mode: llm.ToolChoiceRequired}},
		{&llms.ToolChoice{Type: "function", Function: &llms.FunctionReference{Name: "f"}}, llm.ToolChoiceFor("f")},
		{map[string]any{"type": "function", "function": map[string]any{"name": "g"}}, llm.ToolChoiceFor("g")},
	} {
		m := llmtest.New(llmtest.Text("x"))
		if _, err := langchain.New(m).GenerateContent(context.Background(), []llms.MessageContent{llms.TextParts(llms.ChatMessageTypeHuman, "x")}, llms.WithToolChoice(tc.choice)); err != nil {
			t.Fatal(err)
		}
		if got := m.Requests()[0].ToolChoice; got != tc.want {
			t.Errorf("%v: %+v", tc.choice, got)
		}
	}
	_, err := langchain.New(llmtest.New()).GenerateContent(context.Background(), nil, llms.WithToolChoice(42))
	if !errors.Is(err, llm.ErrInvalidRequest) {
		t.Errorf("bad choice: %v", err)
	}
}

func TestStreamingFuncs(t *testing.T) {
	m := llmtest.New(llmtest.Stream(
		llm.Chunk{Reasoning: "think "},
		llm.Chunk{Reasoning: "more"},
		llm.Chunk{Text: "Hel"},
		llm.Chunk{Text: "lo", FinishReason: llm.FinishStop, Usage: &llm.Usage{InputTokens: 1, OutputTokens: 2}},
	))
	var text, reasoning []string
	resp, err := langchain.New(m).GenerateContent(context.Background(), []llms.MessageContent{llms.TextParts(llms.ChatMessageTypeHuman, "hi")},
		llms.WithStreamingFunc(func(_ context.Context, chunk []byte) error { text = append(text, string(chunk)); return nil }),
		llms.WithStreamingReasoningFunc(func(_ context.Context, r, _ []byte) error {
			if len(r) > 0 {
				reasoning = append(reasoning, string(r))
			}
			return nil
		}),
	)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(text, "|") != "Hel|lo" || strings.Join(reasoning, "|") != "think |more" {
		t.Errorf("text %q reasoning %q", text, reasoning)
	}
	if c := resp.Choices[0]; c.Content != "Hello" || c.ReasoningContent != "think more" || c.GenerationInfo["TotalTokens"] != 3 {
		t.Errorf("choice %+v", c)
	}

	// A streaming func that fails stops the stream.
	stop := errors.New("enough")
	m = llmtest.New(llmtest.Stream(llm.Chunk{Text: "a"}, llm.Chunk{Text: "b"}))
	_, err = langchain.New(m).GenerateContent(context.Background(), []llms.MessageContent{llms.TextParts(llms.ChatMessageTypeHuman, "hi")},
		llms.WithStreamingFunc(func(context.Context, []byte) error { return stop }))
	if !errors.Is(err, stop) {
		t.Errorf("error %v", err)
	}
}

func TestErrorsPassThrough(t *testing.T) {
	m := llmtest.New(llmtest.Fail(&llm.Error{Kind: llm.KindRateLimit, Message: "slow down"}))
	_, err := langchain.New(m).Call(context.Background(), "x")
	if !errors.Is(err, llm.ErrRateLimit) {
		t.Errorf("error %v", err)
	}
	_, err = langchain.New(llmtest.New()).GenerateContent(context.Background(), []llms.MessageContent{{Role: llms.ChatMessageTypeHuman, Parts: []llms.ContentPart{llms.ImageURLPart("http://x/y.png")}}})
	if !errors.Is(err, llm.ErrInvalidRequest) {
		t.Errorf("image part: %v", err)
	}
	_, err = langchain.New(llmtest.New()).GenerateContent(context.Background(), nil, llms.WithN(2))
	if !errors.Is(err, llm.ErrInvalidRequest) {
		t.Errorf("n=2: %v", err)
	}
}

// adder is a langchaingo tool that adds two integers written "a+b".
type adder struct {
	mu    sync.Mutex
	calls []string
}

func (a *adder) Name() string        { return "adder" }
func (a *adder) Description() string { return "Adds two integers written as a+b." }
func (a *adder) Call(_ context.Context, input string) (string, error) {
	a.mu.Lock()
	a.calls = append(a.calls, input)
	a.mu.Unlock()
	var x, y int
	var err error
	if x, y, err = parseSum(strings.TrimSpace(input)); err != nil {
		return "", err
	}
	return itoa(x + y), nil
}

func parseSum(s string) (int, int, error) {
	l, r, ok := strings.Cut(s, "+")
	if !ok {
		return 0, 0, errors.New("want a+b")
	}
	var x, y int
	if err := json.Unmarshal([]byte(strings.TrimSpace(l)), &x); err != nil {
		return 0, 0, err
	}
	if err := json.Unmarshal([]byte(strings.TrimSpace(r)), &y); err != nil {
		return 0, 0, err
	}
	return x, y, nil
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// TestOpenAIFunctionsAgent runs langchaingo's tool-calling agent and
// executor on a scripted plait model: a native tool call, its result fed
// back as a tool message linked by id, then the answer.
func TestOpenAIFunctionsAgent(t *testing.T) {
	m := llmtest.New(
		llmtest.ToolCalls(llm.ToolCall{ID: "call_9", Name: "adder", Arguments: json.RawMessage(`{"__arg1":"2+3"}`)}),
		llmtest.Text("2+3 is 5."),
	)
	add := &adder{}
	agent := agents.NewOpenAIFunctionsAgent(langchain.New(m), []tools.Tool{add})
	out, err := chains.Run(context.Background(), agents.NewExecutor(agent, agents.WithMaxIterations(3)), "What is 2+3?")
	if err != nil {
		t.Fatal(err)
	}
	if out != "2+3 is 5." || !reflect.DeepEqual(add.calls, []string{"2+3"}) {
		t.Errorf("out %q calls %q", out, add.calls)
	}
	reqs := m.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests", len(reqs))
	}
	if len(reqs[0].Tools) != 1 || reqs[0].Tools[0].Name != "adder" || !json.Valid(reqs[0].Tools[0].Parameters) {
		t.Errorf("tools %+v", reqs[0].Tools)
	}
	var call, result *llm.Message
	for i := range reqs[1].Messages {
		msg := &reqs[1].Messages[i]
		if len(msg.ToolCalls) > 0 {
			call = msg
		}
		if msg.Role == llm.RoleTool {
			result = msg
		}
	}
	if call == nil || result == nil || call.ToolCalls[0].ID != "call_9" || result.ToolCallID != "call_9" || result.Content != "5" {
		t.Errorf("second request %+v", reqs[1].Messages)
	}
}

// TestOneShotAgent runs langchaingo's text ReAct (MRKL) agent, which
// parses Action / Final Answer lines out of the reply text.
func TestOneShotAgent(t *testing.T) {
	m := llmtest.New(
		llmtest.Text("Thought: I should add.\nAction: adder\nAction Input: 40+2"),
		llmtest.Text("Thought: I know the answer.\nFinal Answer: 42"),
	)
	add := &adder{}
	exec := agents.NewExecutor(agents.NewOneShotAgent(langchain.New(m), []tools.Tool{add}), agents.WithMaxIterations(3))
	out, err := chains.Run(context.Background(), exec, "What is 40+2?")
	if err != nil {
		t.Fatal(err)
	}
	if out != "42" || !reflect.DeepEqual(add.calls, []string{"40+2"}) {
		t.Errorf("out %q calls %q", out, add.calls)
	}
	second := m.Requests()[1].Messages
	if !strings.Contains(second[len(second)-1].Content, "Observation: 42") {
		t.Errorf("the observation did not reach the model: %q", second[len(second)-1].Content)
	}
}

func TestLLMChain(t *testing.T) {
	m := llmtest.New(llmtest.Text("Bonjour"))
	chain := chains.NewLLMChain(langchain.New(m), prompts.NewPromptTemplate("Translate to French: {{.text}}", []string{"text"}))
	out, err := chains.Run(context.Background(), chain, "Hello", chains.WithTemperature(0.3))
	if err != nil || out != "Bonjour" {
		t.Fatalf("%q %v", out, err)
	}
	r := m.Requests()[0]
	if r.Messages[0].Content != "Translate to French: Hello" || r.Temperature == nil || *r.Temperature != 0.3 {
		t.Errorf("request %+v", r)
	}
}
