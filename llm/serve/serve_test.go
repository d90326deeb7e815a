package serve_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	ollama "github.com/ollama/ollama/api"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/tmc/langchaingo/llms"
	lcollama "github.com/tmc/langchaingo/llms/ollama"
	lcopenai "github.com/tmc/langchaingo/llms/openai"

	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/llm/llmtest"
	"github.com/plait-ai/plait/llm/serve"
)

const key = "test-key"

func reply(text string) llmtest.Step {
	return llmtest.Reply(&llm.Response{
		Message:      llm.Message{Role: llm.RoleAssistant, Content: text, Reasoning: "thinking about it"},
		FinishReason: llm.FinishStop, Usage: llm.Usage{InputTokens: 11, OutputTokens: 3},
	})
}

func streamed(parts ...string) llmtest.Step {
	var chunks []llm.Chunk
	for _, p := range parts {
		chunks = append(chunks, llm.Chunk{Text: p})
	}
	chunks = append(chunks, llm.Chunk{FinishReason: llm.FinishStop, Usage: &llm.Usage{InputTokens: 5, OutputTokens: len(parts)}})
	return llmtest.Stream(chunks...)
}

func toolCall() llmtest.Step {
	return llmtest.Stream(
		llm.Chunk{ToolCalls: []llm.ToolCallDelta{{Index: 0, ID: "call_a", Name: "get_weather", Arguments: `{"city":`}}},
		llm.Chunk{ToolCalls: []llm.ToolCallDelta{{Index: 0, Arguments: `"Paris"}`}}},
		llm.Chunk{FinishReason: llm.FinishToolCalls, Usage: &llm.Usage{InputTokens: 20, OutputTokens: 9}},
	)
}

func start(t *testing.T, m *llmtest.Model, keyed bool) *httptest.Server {
	t.Helper()
	s := &serve.Server{Models: map[string]llm.Model{"plait-agent": m}, AllowOrigins: []string{"*"}}
	if keyed {
		s.APIKey = key
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return ts
}

var weatherParams = map[string]any{
	"type":       "object",
	"properties": map[string]any{"city": map[string]any{"type": "string"}},
	"required":   []string{"city"},
}

func TestOpenAIGoClient(t *testing.T) {
	m := llmtest.New(reply("Hello from plait."), streamed("Hel", "lo ", "there"), toolCall())
	ts := start(t, m, true)
	c := openai.NewClient(option.WithBaseURL(ts.URL+"/v1"), option.WithAPIKey(key), option.WithMaxRetries(0))
	ctx := context.Background()

	// Plain reply.
	resp, err := c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
		Model:    "plait-agent",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("Be brief."), openai.UserMessage("Hi")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Choices[0].Message.Content != "Hello from plait." || resp.Usage.PromptTokens != 11 || resp.Choices[0].FinishReason != "stop" {
		t.Errorf("reply: %+v", resp)
	}
	got := m.Requests()[0]
	if len(got.Messages) != 2 || got.Messages[0].Role != llm.RoleSystem || got.Messages[1].Content != "Hi" {
		t.Errorf("server passed %+v", got.Messages)
	}

	// Streaming.
	stream := c.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{
		Model:         "plait-agent",
		Messages:      []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Hi")},
		StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)},
	})
	var acc openai.ChatCompletionAccumulator
	for stream.Next() {
		acc.AddChunk(stream.Current())
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if acc.Choices[0].Message.Content != "Hello there" || acc.Usage.CompletionTokens != 3 {
		t.Errorf("stream: %q usage %+v", acc.Choices[0].Message.Content, acc.Usage)
	}

	// Tool calls, streamed in fragments.
	stream = c.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{
		Model:    "plait-agent",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Weather in Paris?")},
		Tools: []openai.ChatCompletionToolUnionParam{openai.ChatCompletionFunctionTool(openai.FunctionDefinitionParam{
			Name: "get_weather", Description: openai.String("Weather for a city."), Parameters: weatherParams,
		})},
		ToolChoice: openai.ChatCompletionToolChoiceOptionUnionParam{OfAuto: openai.String("required")},
	})
	acc = openai.ChatCompletionAccumulator{}
	for stream.Next() {
		acc.AddChunk(stream.Current())
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	calls := acc.Choices[0].Message.ToolCalls
	if len(calls) != 1 || calls[0].Function.Name != "get_weather" || calls[0].Function.Arguments != `{"city":"Paris"}` || calls[0].ID != "call_a" {
		t.Errorf("tool calls: %+v", calls)
	}
	if acc.Choices[0].FinishReason != "tool_calls" {
		t.Errorf("finish reason %q", acc.Choices[0].FinishReason)
	}
	treq := m.Requests()[2]
	if len(treq.Tools) != 1 || treq.Tools[0].Name != "get_weather" || treq.ToolChoice.Mode != llm.ToolChoiceRequired {
		t.Errorf("tools passed: %+v %+v", treq.Tools, treq.ToolChoice)
	}

	// Models list.
	page, err := c.Models.List(ctx)
	if err != nil || len(page.Data) != 1 || page.Data[0].ID != "plait-agent" {
		t.Errorf("models: %+v %v", page, err)
	}

	// Wrong key.
	bad := openai.NewClient(option.WithBaseURL(ts.URL+"/v1"), option.WithAPIKey("wrong"), option.WithMaxRetries(0))
	_, err = bad.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "plait-agent", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("x")}})
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 401 {
		t.Errorf("wrong key: %v", err)
	}
}

func TestLangchaingoClients(t *testing.T) {
	m := llmtest.New(reply("plain"), streamed("a", "b", "c"), toolCall(), reply("from ollama"), streamed("x", "y"))
	ts := start(t, m, false)
	ctx := context.Background()

	oa, err := lcopenai.New(lcopenai.WithBaseURL(ts.URL+"/v1"), lcopenai.WithToken("unused"), lcopenai.WithModel("plait-agent"))
	if err != nil {
		t.Fatal(err)
	}
	msgs := []llms.MessageContent{llms.TextParts(llms.ChatMessageTypeHuman, "Hi")}
	r, err := oa.GenerateContent(ctx, msgs)
	if err != nil || r.Choices[0].Content != "plain" {
		t.Fatalf("openai plain: %+v %v", r, err)
	}
	var sb strings.Builder
	r, err = oa.GenerateContent(ctx, msgs, llms.WithStreamingFunc(func(_ context.Context, b []byte) error {
		sb.Write(b)
		return nil
	}))
	if err != nil || sb.String() != "abc" {
		t.Fatalf("openai stream: %q %v", sb.String(), err)
	}
	r, err = oa.GenerateContent(ctx, msgs, llms.WithTools([]llms.Tool{{Type: "function", Function: &llms.FunctionDefinition{Name: "get_weather", Description: "Weather.", Parameters: weatherParams}}}))
	if err != nil || len(r.Choices[0].ToolCalls) != 1 || r.Choices[0].ToolCalls[0].FunctionCall.Name != "get_weather" || r.Choices[0].ToolCalls[0].FunctionCall.Arguments != `{"city":"Paris"}` {
		t.Fatalf("openai tools: %+v %v", r, err)
	}

	ol, err := lcollama.New(lcollama.WithServerURL(ts.URL), lcollama.WithModel("plait-agent"))
	if err != nil {
		t.Fatal(err)
	}
	r, err = ol.GenerateContent(ctx, msgs)
	if err != nil || r.Choices[0].Content != "from ollama" {
		t.Fatalf("ollama plain: %+v %v", r, err)
	}
	sb.Reset()
	_, err = ol.GenerateContent(ctx, msgs, llms.WithStreamingFunc(func(_ context.Context, b []byte) error {
		sb.Write(b)
		return nil
	}))
	if err != nil || sb.String() != "xy" {
		t.Fatalf("ollama stream: %q %v", sb.String(), err)
	}
}

func TestOllamaAPIClient(t *testing.T) {
	m := llmtest.New(streamed("Hi", " there"), reply("whole"), toolCall(), streamed("gen", "erated"))
	ts := start(t, m, false)
	u, _ := url.Parse(ts.URL)
	c := ollama.NewClient(u, http.DefaultClient)
	ctx := context.Background()

	v, err := c.Version(ctx)
	if err != nil || v == "" {
		t.Fatalf("version: %q %v", v, err)
	}
	tags, err := c.List(ctx)
	if err != nil || len(tags.Models) != 1 || tags.Models[0].Name != "plait-agent:latest" {
		t.Fatalf("tags: %+v %v", tags, err)
	}

	var text strings.Builder
	var final ollama.ChatResponse
	err = c.Chat(ctx, &ollama.ChatRequest{Model: "plait-agent:latest", Messages: []ollama.Message{{Role: "user", Content: "Hello"}}}, func(r ollama.ChatResponse) error {
		text.WriteString(r.Message.Content)
		if r.Done {
			final = r
		}
		return nil
	})
	if err != nil || text.String() != "Hi there" || !final.Done || final.EvalCount != 2 {
		t.Fatalf("stream chat: %q %+v %v", text.String(), final, err)
	}

	no := false
	err = c.Chat(ctx, &ollama.ChatRequest{Model: "plait-agent", Stream: &no, Messages: []ollama.Message{{Role: "user", Content: "Hello"}}, Think: &ollama.ThinkValue{Value: true}}, func(r ollama.ChatResponse) error {
		final = r
		return nil
	})
	if err != nil || final.Message.Content != "whole" || final.Message.Thinking != "thinking about it" {
		t.Fatalf("non-stream chat: %+v %v", final, err)
	}

	var tool ollama.Tool
	if err := json.Unmarshal([]byte(`{"type":"function","function":{"name":"get_weather","description":"Weather.","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}`), &tool); err != nil {
		t.Fatal(err)
	}
	var calls []ollama.ToolCall
	err = c.Chat(ctx, &ollama.ChatRequest{Model: "plait-agent", Messages: []ollama.Message{{Role: "user", Content: "Weather?"}}, Tools: ollama.Tools{tool}}, func(r ollama.ChatResponse) error {
		calls = append(calls, r.Message.ToolCalls...)
		return nil
	})
	if err != nil || len(calls) != 1 || calls[0].Function.Name != "get_weather" {
		t.Fatalf("tool call: %+v %v", calls, err)
	}
	if city, _ := calls[0].Function.Arguments.Get("city"); city != "Paris" {
		t.Errorf("arguments: %+v", calls[0].Function.Arguments)
	}

	text.Reset()
	err = c.Generate(ctx, &ollama.GenerateRequest{Model: "plait-agent", Prompt: "Go"}, func(r ollama.GenerateResponse) error {
		text.WriteString(r.Response)
		return nil
	})
	if err != nil || text.String() != "generated" {
		t.Fatalf("generate: %q %v", text.String(), err)
	}
	if _, err := c.Show(ctx, &ollama.ShowRequest{Model: "plait-agent"}); err != nil {
		t.Fatalf("show: %v", err)
	}
}

func TestLimitsAndErrors(t *testing.T) {
	m := llmtest.New(llmtest.Fail(&llm.Error{Kind: llm.KindContextLength, Message: "too long"}))
	s := &serve.Server{Models: map[string]llm.Model{"m": m}, MaxBodyBytes: 512}
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	post := func(path, body string) (*http.Response, string) {
		resp, err := http.Post(ts.URL+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		buf := make([]byte, 4096)
		for {
			n, err := resp.Body.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		return resp, b.String()
	}
	tests := []struct {
		path, body string
		status     int
		contains   string
	}{
		{"/v1/chat/completions", `{"model":"m","messages":[{"role":"user","content":"x"}]}`, 400, "context_length_exceeded"},
		{"/v1/chat/completions", `{"model":"nope","messages":[{"role":"user","content":"x"}]}`, 404, "model_not_found"},
		{"/v1/chat/completions", `not json`, 400, "invalid_json"},
		{"/v1/chat/completions", `{"model":"m","messages":[]}`, 400, "messages must not be empty"},
		{"/v1/chat/completions", `{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"x"}}]}]}`, 400, "not supported"},
		{"/v1/chat/completions", `{"model":"m","messages":[{"role":"user","content":"` + strings.Repeat("a", 600) + `"}]}`, 413, "request_too_large"},
		{"/api/chat", `{"model":"nope","messages":[{"role":"user","content":"x"}]}`, 404, "not found"},
		{"/api/chat", `{"model":"m","format":"xml","messages":[{"role":"user","content":"x"}]}`, 400, "format"},
	}
	for _, tt := range tests {
		resp, body := post(tt.path, tt.body)
		if resp.StatusCode != tt.status || !strings.Contains(body, tt.contains) {
			t.Errorf("%s %s: %d %s; want %d containing %q", tt.path, tt.body[:min(40, len(tt.body))], resp.StatusCode, body, tt.status, tt.contains)
		}
	}
	// CORS preflight.
	req, _ := http.NewRequest(http.MethodOptions, ts.URL+"/api/chat", nil)
	req.Header.Set("Origin", "chrome-extension://abc")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Error("origin not allowed must get no CORS header")
	}
	s2 := &serve.Server{Default: m, AllowOrigins: []string{"*"}}
	ts2 := httptest.NewServer(s2.Handler())
	defer ts2.Close()
	req, _ = http.NewRequest(http.MethodOptions, ts2.URL+"/api/chat", nil)
	req.Header.Set("Origin", "chrome-extension://abc")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Origin") != "chrome-extension://abc" {
		t.Errorf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
	if r, err := http.Get(ts2.URL + "/"); err != nil || r.StatusCode != 200 {
		t.Errorf("root: %v", err)
	}
}

// A full server answers 429 with Retry-After rather than queueing.
func TestConcurrencyLimit(t *testing.T) {
	release := make(chan struct{})
	m := llmtest.New(llmtest.Func(func(ctx context.Context, _ *llm.Request) (*llm.Response, error) {
		select {
		case <-release:
		case <-ctx.Done():
		}
		return &llm.Response{Message: llm.AssistantMessage("done")}, nil
	}), reply("second"))
	s := &serve.Server{Default: m, MaxConcurrent: 1}
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	body := `{"model":"m","messages":[{"role":"user","content":"x"}]}`
	done := make(chan int)
	go func() {
		r, err := http.Post(ts.URL+"/v1/chat/completions", "application/json", strings.NewReader(body))
		if err != nil {
			done <- 0
			return
		}
		r.Body.Close()
		done <- r.StatusCode
	}()
	for m.Calls() == 0 { // wait until the first request holds the slot
		time.Sleep(time.Millisecond)
	}
	r, err := http.Post(ts.URL+"/v1/chat/completions", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != 429 || r.Header.Get("Retry-After") == "" {
		t.Errorf("second request: %d %v", r.StatusCode, r.Header)
	}
	close(release)
	if st := <-done; st != 200 {
		t.Errorf("first request: %d", st)
	}
}
