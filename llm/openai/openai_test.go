package openai_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/llm/internal/wiretest"
	"github.com/plait-ai/plait/llm/openai"
)

func newModel(t *testing.T, base string, mod func(*openai.Config)) *openai.Model {
	t.Helper()
	cfg := openai.Config{BaseURL: base, APIKey: "sk-test", Model: "gpt-test"}
	if mod != nil {
		mod(&cfg)
	}
	m, err := openai.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

var weatherTool = llm.ToolSpec{
	Name:        "get_weather",
	Description: "Current weather in a city.",
	Parameters:  json.RawMessage(`{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}`),
}

func TestGenerateMapsEverything(t *testing.T) {
	srv := wiretest.New(t, wiretest.Exchange{
		Path:   "/v1/chat/completions",
		Header: map[string]string{"Authorization": "Bearer sk-test", "Content-Type": "application/json"},
		Body: `{
			"model": "gpt-test",
			"messages": [
				{"role": "system", "content": "Be brief."},
				{"role": "user", "content": "Weather in Paris and Rome?"},
				{"role": "assistant", "tool_calls": [
					{"id": "call_a", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}},
					{"id": "call_b", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}
				]},
				{"role": "tool", "tool_call_id": "call_a", "content": "18C"},
				{"role": "tool", "tool_call_id": "call_b", "content": "24C"},
				{"role": "assistant", "content": "Paris 18C, Rome 24C."},
				{"role": "user", "content": "Answer as JSON."}
			],
			"tools": [{"type": "function", "function": {"name": "get_weather", "description": "Current weather in a city.",
				"parameters": {"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}, "strict": true}},
				{"type": "function", "function": {"name": "now", "parameters": {"type":"object","properties":{}}}}],
			"tool_choice": {"type": "function", "function": {"name": "get_weather"}},
			"response_format": {"type": "json_schema", "json_schema": {"name": "answer", "schema": {"type":"object"}, "strict": true}},
			"temperature": 0.2, "top_p": 0.9, "max_completion_tokens": 300, "stop": ["END"], "seed": 42,
			"reasoning_effort": "low"
		}`,
		Resp: `{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-test-2025",
			"choices":[{"index":0,"message":{"role":"assistant","content":"{\"paris\":18}"},"finish_reason":"stop"}],
			"usage":{"prompt_tokens":50,"completion_tokens":20,"total_tokens":70,
				"prompt_tokens_details":{"cached_tokens":32},"completion_tokens_details":{"reasoning_tokens":12}}}`,
	})
	m := newModel(t, srv.URL+"/v1", func(c *openai.Config) { c.MaxTokensField = "max_completion_tokens"; c.ReasoningEffort = "low" })
	strictTool := weatherTool
	strictTool.Strict = true
	req := &llm.Request{
		Messages: []llm.Message{
			llm.SystemMessage("Be brief."),
			llm.UserMessage("Weather in Paris and Rome?"),
			{Role: llm.RoleAssistant, Reasoning: "not sent back", ToolCalls: []llm.ToolCall{
				{ID: "call_a", Name: "get_weather", Arguments: json.RawMessage(`{"city":"Paris"}`)},
				{ID: "call_b", Name: "get_weather"},
			}},
			{Role: llm.RoleTool, ToolCallID: "call_a", Name: "get_weather", Content: "18C"},
			{Role: llm.RoleTool, ToolCallID: "call_b", Name: "get_weather", Content: "24C"},
			llm.AssistantMessage("Paris 18C, Rome 24C."),
			llm.UserMessage("Answer as JSON."),
		},
		Tools:          []llm.ToolSpec{strictTool, {Name: "now"}},
		ToolChoice:     llm.ToolChoiceFor("get_weather"),
		ResponseSchema: &llm.JSONSchema{Name: "answer", Schema: json.RawMessage(`{"type":"object"}`), Strict: true},
		Temperature:    llm.Ptr(0.2),
		TopP:           llm.Ptr(0.9),
		MaxTokens:      300,
		Stop:           []string{"END"},
		Seed:           llm.Ptr[int64](42),
	}
	resp, err := m.Generate(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	want := &llm.Response{
		Message:      llm.Message{Role: llm.RoleAssistant, Content: `{"paris":18}`},
		Usage:        llm.Usage{InputTokens: 50, OutputTokens: 20, ReasoningTokens: 12, CachedInputTokens: 32},
		FinishReason: llm.FinishStop,
		ID:           "chatcmpl-1",
		Model:        "gpt-test-2025",
	}
	if !reflect.DeepEqual(resp, want) {
		t.Errorf("response\n got %+v\nwant %+v", resp, want)
	}
}

func TestToolChoiceModes(t *testing.T) {
	for _, tc := range []struct {
		choice llm.ToolChoice
		tools  bool
		want   string // the tool_choice JSON; "" for none sent
	}{
		{llm.ToolChoice{}, true, ""},
		{llm.ToolChoice{Mode: llm.ToolChoiceNone}, true, `"none"`},
		{llm.ToolChoice{Mode: llm.ToolChoiceRequired}, true, `"required"`},
		{llm.ToolChoiceFor("get_weather"), true, `{"type":"function","function":{"name":"get_weather"}}`},
		{llm.ToolChoice{Mode: llm.ToolChoiceRequired}, false, ""},
	} {
		t.Run(string(tc.choice.Mode)+"/"+map[bool]string{true: "tools", false: "notools"}[tc.tools], func(t *testing.T) {
			body := `{"model":"gpt-test","messages":[{"role":"user","content":"hi"}]`
			if tc.tools {
				body += `,"tools":[{"type":"function","function":{"name":"get_weather","description":"Current weather in a city.","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}]`
			}
			if tc.want != "" {
				body += `,"tool_choice":` + tc.want
			}
			body += "}"
			srv := wiretest.New(t, wiretest.Exchange{Path: "/chat/completions", Body: body,
				Resp: `{"id":"x","model":"gpt-test","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}]}`})
			req := &llm.Request{Messages: []llm.Message{llm.UserMessage("hi")}, ToolChoice: tc.choice}
			if tc.tools {
				req.Tools = []llm.ToolSpec{weatherTool}
			}
			if _, err := newModel(t, srv.URL, nil).Generate(context.Background(), req); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestGenerateParallelToolCalls(t *testing.T) {
	srv := wiretest.New(t, wiretest.Exchange{
		Path: "/chat/completions",
		Resp: `{"id":"chatcmpl-2","model":"gpt-test","choices":[{"index":0,"message":{"role":"assistant","content":null,
			"tool_calls":[
				{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},
				{"id":"call_2","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Rome\"}"}},
				{"id":"call_3","type":"function","function":{"name":"now","arguments":""}}]},
			"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":10,"completion_tokens":30}}`,
	})
	resp, err := newModel(t, srv.URL, nil).Generate(context.Background(), &llm.Request{Messages: []llm.Message{llm.UserMessage("x")}, Tools: []llm.ToolSpec{weatherTool}})
	if err != nil {
		t.Fatal(err)
	}
	want := []llm.ToolCall{
		{ID: "call_1", Name: "get_weather", Arguments: json.RawMessage(`{"city":"Paris"}`)},
		{ID: "call_2", Name: "get_weather", Arguments: json.RawMessage(`{"city":"Rome"}`)},
		{ID: "call_3", Name: "now", Arguments: json.RawMessage(`{}`)},
	}
	if !reflect.DeepEqual(resp.Message.ToolCalls, want) {
		t.Errorf("tool calls %s", resp.Message.ToolCalls)
	}
	if resp.FinishReason != llm.FinishToolCalls || resp.Message.Content != "" {
		t.Errorf("finish %q content %q", resp.FinishReason, resp.Message.Content)
	}
}

func collect(t *testing.T, m llm.Model, req *llm.Request) (*llm.Response, []llm.Chunk, error) {
	t.Helper()
	var chunks []llm.Chunk
	var acc llm.Accumulator
	for c, err := range m.Stream(context.Background(), req) {
		if err != nil {
			resp, _ := acc.Response()
			return resp, chunks, err
		}
		chunks = append(chunks, c)
		acc.Add(c)
	}
	resp, err := acc.Response()
	return resp, chunks, err
}

var hi = &llm.Request{Messages: []llm.Message{llm.UserMessage("hi")}}

func TestStreamTextUsageInLastChunk(t *testing.T) {
	srv := wiretest.New(t, wiretest.Exchange{
		Path:       "/chat/completions",
		Header:     map[string]string{"Accept": "text/event-stream"},
		Body:       `{"model":"gpt-test","messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":{"include_usage":true}}`,
		RespHeader: map[string]string{"Content-Type": "text/event-stream"},
		Resp: ": keep-alive\n\n" + wiretest.SSE(
			`{"id":"c1","object":"chat.completion.chunk","model":"gpt-test","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}],"usage":null}`,
			`{"id":"c1","object":"chat.completion.chunk","model":"gpt-test","choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}],"usage":null}`,
			`{"id":"c1","object":"chat.completion.chunk","model":"gpt-test","choices":[{"index":0,"delta":{"content":"lo!"},"finish_reason":null}],"usage":null}`,
			`{"id":"c1","object":"chat.completion.chunk","model":"gpt-test","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":null}`,
			`{"id":"c1","object":"chat.completion.chunk","model":"gpt-test","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":3,"total_tokens":12,"prompt_tokens_details":{"cached_tokens":0}}}`,
			`[DONE]`),
	})
	resp, chunks, err := collect(t, newModel(t, srv.URL, nil), hi)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Message.Content != "Hello!" || resp.FinishReason != llm.FinishStop || resp.ID != "c1" || resp.Model != "gpt-test" {
		t.Errorf("resp %+v", resp)
	}
	if resp.Usage != (llm.Usage{InputTokens: 9, OutputTokens: 3}) {
		t.Errorf("usage %+v", resp.Usage)
	}
	last := chunks[len(chunks)-1]
	if last.Usage == nil || last.Usage.InputTokens != 9 {
		t.Errorf("last chunk %+v carries no usage", last)
	}
	var texts []string
	for _, c := range chunks {
		if c.Text != "" {
			texts = append(texts, c.Text)
		}
	}
	if strings.Join(texts, "|") != "Hel|lo!" {
		t.Errorf("deltas %q", texts)
	}
}

func TestStreamParallelToolCallsInterleaved(t *testing.T) {
	srv := wiretest.New(t, wiretest.Exchange{
		Path: "/chat/completions",
		Resp: wiretest.SSE(
			`{"id":"c2","model":"gpt-test","choices":[{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_p","type":"function","function":{"name":"get_weather","arguments":""}}]},"finish_reason":null}]}`,
			`{"id":"c2","model":"gpt-test","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_r","type":"function","function":{"name":"get_weather","arguments":""}}]},"finish_reason":null}]}`,
			`{"id":"c2","model":"gpt-test","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":"}}]},"finish_reason":null}]}`,
			`{"id":"c2","model":"gpt-test","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"arguments":"{\"city\":\"Ro"}}]},"finish_reason":null}]}`,
			`{"id":"c2","model":"gpt-test","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\"Paris\"}"}}]},"finish_reason":null}]}`,
			`{"id":"c2","model":"gpt-test","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"arguments":"me\"}"}}]},"finish_reason":null}]}`,
			`{"id":"c2","model":"gpt-test","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}`,
			`{"id":"c2","model":"gpt-test","choices":[],"usage":{"prompt_tokens":20,"completion_tokens":40}}`,
			`[DONE]`),
	})
	resp, _, err := collect(t, newModel(t, srv.URL, nil), hi)
	if err != nil {
		t.Fatal(err)
	}
	want := []llm.ToolCall{
		{ID: "call_p", Name: "get_weather", Arguments: json.RawMessage(`{"city":"Paris"}`)},
		{ID: "call_r", Name: "get_weather", Arguments: json.RawMessage(`{"city":"Rome"}`)},
	}
	if !reflect.DeepEqual(resp.Message.ToolCalls, want) {
		t.Errorf("calls %s", resp.Message.ToolCalls)
	}
	if resp.FinishReason != llm.FinishToolCalls || resp.Usage.OutputTokens != 40 {
		t.Errorf("resp %+v", resp)
	}
}

func TestStreamToolCallsWithoutIndex(t *testing.T) {
	// Some compatible servers leave out the index; ids start calls.
	srv := wiretest.New(t, wiretest.Exchange{Resp: wiretest.SSE(
		`{"id":"c","choices":[{"index":0,"delta":{"tool_calls":[{"id":"a","type":"function","function":{"name":"f","arguments":"{\"x\""}}]}}]}`,
		`{"id":"c","choices":[{"index":0,"delta":{"tool_calls":[{"function":{"arguments":":1}"}}]}}]}`,
		`{"id":"c","choices":[{"index":0,"delta":{"tool_calls":[{"id":"b","type":"function","function":{"name":"g","arguments":"{}"}}]},"finish_reason":"tool_calls"}]}`,
		`[DONE]`)})
	resp, _, err := collect(t, newModel(t, srv.URL, nil), hi)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Message.ToolCalls) != 2 || string(resp.Message.ToolCalls[0].Arguments) != `{"x":1}` || resp.Message.ToolCalls[1].Name != "g" {
		t.Errorf("calls %s", resp.Message.ToolCalls)
	}
}

func TestReasoning(t *testing.T) {
	t.Run("plain reasoning_content", func(t *testing.T) {
		srv := wiretest.New(t, wiretest.Exchange{Resp: `{"id":"d1","model":"deepseek-reasoner","choices":[{"index":0,"message":{"role":"assistant","reasoning_content":"9.11 < 9.9","content":"9.9 is larger."},"finish_reason":"stop"}],
			"usage":{"prompt_tokens":12,"completion_tokens":40,"prompt_cache_hit_tokens":8,"prompt_cache_miss_tokens":4,"completion_tokens_details":{"reasoning_tokens":30}}}`})
		resp, err := newModel(t, srv.URL, nil).Generate(context.Background(), hi)
		if err != nil {
			t.Fatal(err)
		}
		if resp.Message.Reasoning != "9.11 < 9.9" || resp.Message.Content != "9.9 is larger." {
			t.Errorf("message %+v", resp.Message)
		}
		if resp.Usage != (llm.Usage{InputTokens: 12, OutputTokens: 40, ReasoningTokens: 30, CachedInputTokens: 8}) {
			t.Errorf("usage %+v", resp.Usage)
		}
	})
	t.Run("plain reasoning field", func(t *testing.T) {
		srv := wiretest.New(t, wiretest.Exchange{Resp: `{"id":"v","choices":[{"index":0,"message":{"role":"assistant","reasoning":"hmm","content":"ok"},"finish_reason":"stop"}]}`})
		resp, err := newModel(t, srv.URL, nil).Generate(context.Background(), hi)
		if err != nil || resp.Message.Reasoning != "hmm" || resp.Message.Content != "ok" {
			t.Errorf("%+v %v", resp, err)
		}
	})
	t.Run("plain think block", func(t *testing.T) {
		srv := wiretest.New(t, wiretest.Exchange{Resp: `{"id":"v","choices":[{"index":0,"message":{"role":"assistant","content":"<think>\nadd 2 and 2\n</think>\n\n4"},"finish_reason":"stop"}]}`})
		resp, err := newModel(t, srv.URL, nil).Generate(context.Background(), hi)
		if err != nil || resp.Message.Reasoning != "add 2 and 2" || resp.Message.Content != "4" {
			t.Errorf("%+v %v", resp, err)
		}
	})
	t.Run("stream reasoning_content", func(t *testing.T) {
		srv := wiretest.New(t, wiretest.Exchange{Resp: wiretest.SSE(
			`{"id":"d2","model":"deepseek-reasoner","choices":[{"index":0,"delta":{"role":"assistant","content":null,"reasoning_content":"Compare "},"finish_reason":null}]}`,
			`{"id":"d2","model":"deepseek-reasoner","choices":[{"index":0,"delta":{"content":null,"reasoning_content":"decimals."},"finish_reason":null}]}`,
			`{"id":"d2","model":"deepseek-reasoner","choices":[{"index":0,"delta":{"content":"9.9","reasoning_content":null},"finish_reason":null}]}`,
			`{"id":"d2","model":"deepseek-reasoner","choices":[{"index":0,"delta":{"content":""},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":7,"completion_tokens_details":{"reasoning_tokens":4}}}`,
			`[DONE]`)})
		resp, chunks, err := collect(t, newModel(t, srv.URL, nil), hi)
		if err != nil {
			t.Fatal(err)
		}
		if resp.Message.Reasoning != "Compare decimals." || resp.Message.Content != "9.9" || resp.Usage.ReasoningTokens != 4 {
			t.Errorf("resp %+v", resp)
		}
		if chunks[0].Reasoning != "Compare " {
			t.Errorf("first chunk %+v", chunks[0])
		}
	})
	t.Run("stream think block split across chunks", func(t *testing.T) {
		srv := wiretest.New(t, wiretest.Exchange{Resp: wiretest.SSE(
			`{"id":"r","choices":[{"index":0,"delta":{"content":"<thi"}}]}`,
			`{"id":"r","choices":[{"index":0,"delta":{"content":"nk>step one</th"}}]}`,
			`{"id":"r","choices":[{"index":0,"delta":{"content":"ink>\n\nThe answer"}}]}`,
			`{"id":"r","choices":[{"index":0,"delta":{"content":" is 4."},"finish_reason":"stop"}]}`,
			`[DONE]`)})
		resp, _, err := collect(t, newModel(t, srv.URL, nil), hi)
		if err != nil || resp.Message.Reasoning != "step one" || resp.Message.Content != "The answer is 4." {
			t.Errorf("%+v %v", resp, err)
		}
	})
	t.Run("KeepThink", func(t *testing.T) {
		srv := wiretest.New(t, wiretest.Exchange{Resp: `{"id":"v","choices":[{"index":0,"message":{"role":"assistant","content":"<think>x</think>y"},"finish_reason":"stop"}]}`})
		resp, err := newModel(t, srv.URL, func(c *openai.Config) { c.KeepThink = true }).Generate(context.Background(), hi)
		if err != nil || resp.Message.Content != "<think>x</think>y" || resp.Message.Reasoning != "" {
			t.Errorf("%+v %v", resp, err)
		}
	})
}

func TestErrors(t *testing.T) {
	errBody := func(msg, typ, code string) string {
		return `{"error":{"message":"` + msg + `","type":"` + typ + `","param":null,"code":` + code + `}}`
	}
	for _, tc := range []struct {
		name      string
		ex        wiretest.Exchange
		stream    bool
		is        error
		status    int
		code      string
		retry     time.Duration
		wantCalls int // tool calls still returned with the error
		anyProv   bool
	}{
		{name: "401", ex: wiretest.Exchange{Status: 401, Resp: errBody("Incorrect API key provided", "invalid_request_error", `"invalid_api_key"`)}, is: llm.ErrAuth, status: 401, code: "invalid_api_key"},
		{name: "429 Retry-After", ex: wiretest.Exchange{Status: 429, RespHeader: map[string]string{"Retry-After": "7"}, Resp: errBody("Rate limit reached", "requests", `"rate_limit_exceeded"`)}, is: llm.ErrRateLimit, status: 429, code: "rate_limit_exceeded", retry: 7 * time.Second},
		{name: "429 retry-after-ms", ex: wiretest.Exchange{Status: 429, RespHeader: map[string]string{"retry-after-ms": "250", "Retry-After": "1"}, Resp: errBody("slow down", "requests", `null`)}, is: llm.ErrRateLimit, status: 429, code: "requests", retry: 250 * time.Millisecond},
		{name: "429 stream", stream: true, ex: wiretest.Exchange{Status: 429, RespHeader: map[string]string{"Retry-After": "2"}, Resp: errBody("Rate limit reached", "requests", `"rate_limit_exceeded"`)}, is: llm.ErrRateLimit, status: 429, code: "rate_limit_exceeded", retry: 2 * time.Second},
		{name: "500", ex: wiretest.Exchange{Status: 500, Resp: errBody("The server had an error", "server_error", `null`)}, is: llm.ErrUnavailable, status: 500, code: "server_error"},
		{name: "503 html", ex: wiretest.Exchange{Status: 503, Resp: `<html>bad gateway</html>`}, is: llm.ErrUnavailable, status: 503},
		{name: "400 context length", ex: wiretest.Exchange{Status: 400, Resp: errBody("This model's maximum context length is 128000 tokens.", "invalid_request_error", `"context_length_exceeded"`)}, is: llm.ErrContextLength, status: 400, code: "context_length_exceeded"},
		{name: "404 model", ex: wiretest.Exchange{Status: 404, Resp: errBody("The model does not exist", "invalid_request_error", `"model_not_found"`)}, is: llm.ErrInvalidRequest, status: 404, code: "model_not_found"},
		{name: "not JSON", ex: wiretest.Exchange{Resp: `<html>hello</html>`}, is: llm.ErrInvalidResponse},
		{name: "no choices", ex: wiretest.Exchange{Resp: `{"id":"x","choices":[]}`}, is: llm.ErrInvalidResponse},
		{name: "error in 200 body", ex: wiretest.Exchange{Resp: errBody("quota", "rate_limit_error", `"1302"`)}, is: llm.ErrRateLimit, code: "1302"},
		{name: "arguments not JSON", ex: wiretest.Exchange{Resp: `{"id":"x","choices":[{"index":0,"message":{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{\"a\":"}}]},"finish_reason":"tool_calls"}]}`}, is: llm.ErrInvalidResponse, wantCalls: 1},
		{name: "stream arguments not JSON", stream: true, ex: wiretest.Exchange{Resp: wiretest.SSE(`{"id":"x","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"c","type":"function","function":{"name":"f","arguments":"{oops"}}]},"finish_reason":"tool_calls"}]}`, `[DONE]`)}, is: llm.ErrInvalidResponse, wantCalls: 1, anyProv: true},
		{name: "stream cut off", stream: true, ex: wiretest.Exchange{Resp: wiretest.SSE(`{"id":"x","choices":[{"index":0,"delta":{"content":"Hel"}}]}`)}, is: llm.ErrInvalidResponse},
		{name: "stream cut mid event", stream: true, ex: wiretest.Exchange{Resp: "data: {\"id\":\"x\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"He"}, is: llm.ErrInvalidResponse},
		{name: "stream event not JSON", stream: true, ex: wiretest.Exchange{Resp: wiretest.SSE(`not json`, `[DONE]`)}, is: llm.ErrInvalidResponse},
		{name: "stream error event", stream: true, ex: wiretest.Exchange{Resp: wiretest.SSE(`{"id":"x","choices":[{"index":0,"delta":{"content":"a"}}]}`, errBody("Overloaded", "server_error", `null`))}, is: llm.ErrUnavailable, code: "server_error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := wiretest.New(t, tc.ex)
			m := newModel(t, srv.URL, nil)
			var resp *llm.Response
			var err error
			if tc.stream {
				resp, _, err = collect(t, m, hi)
			} else {
				resp, err = m.Generate(context.Background(), hi)
			}
			if !errors.Is(err, tc.is) {
				t.Fatalf("error %v, want %v", err, tc.is)
			}
			var e *llm.Error
			if !errors.As(err, &e) {
				t.Fatalf("%T is not *llm.Error", err)
			}
			if e.StatusCode != tc.status || e.Code != tc.code || e.RetryAfter != tc.retry || (e.Provider != "openai" && !tc.anyProv) {
				t.Errorf("error %+v; want status %d code %q retry %v", e, tc.status, tc.code, tc.retry)
			}
			if tc.wantCalls > 0 && (resp == nil || len(resp.Message.ToolCalls) != tc.wantCalls) {
				t.Errorf("response with the error: %+v", resp)
			}
		})
	}
}

func TestUnknownFinishReasonKept(t *testing.T) {
	srv := wiretest.New(t,
		wiretest.Exchange{Resp: `{"id":"x","choices":[{"index":0,"message":{"role":"assistant","content":"a"},"finish_reason":"insufficient_system_resource"}]}`},
		wiretest.Exchange{Resp: wiretest.SSE(`{"id":"x","choices":[{"index":0,"delta":{"content":"a"},"finish_reason":"weird_reason"}]}`, `[DONE]`)},
	)
	m := newModel(t, srv.URL, nil)
	resp, err := m.Generate(context.Background(), hi)
	if err != nil || resp.FinishReason != "insufficient_system_resource" || resp.FinishReason.Known() {
		t.Errorf("%+v %v", resp, err)
	}
	resp, _, err = collect(t, m, hi)
	if err != nil || resp.FinishReason != "weird_reason" {
		t.Errorf("%+v %v", resp, err)
	}
}

func TestStreamCancelStopsRequest(t *testing.T) {
	gone := make(chan struct{})
	srv := wiretest.New(t, wiretest.Exchange{Handler: func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Write([]byte(wiretest.SSE(`{"id":"x","choices":[{"index":0,"delta":{"content":"first"}}]}`)))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
		close(gone)
	}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var got []string
	var last error
	for c, err := range newModel(t, srv.URL, nil).Stream(ctx, hi) {
		if err != nil {
			last = err
			break
		}
		got = append(got, c.Text)
		cancel()
	}
	if !errors.Is(last, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", last)
	}
	if strings.Join(got, "") != "first" {
		t.Errorf("got %q", got)
	}
	select {
	case <-gone:
	case <-time.After(5 * time.Second):
		t.Fatal("the server never saw the request end")
	}
}

func TestStreamBreakEndsRequest(t *testing.T) {
	gone := make(chan struct{})
	srv := wiretest.New(t, wiretest.Exchange{Handler: func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(wiretest.SSE(`{"id":"x","choices":[{"index":0,"delta":{"content":"first"}}]}`)))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
		close(gone)
	}})
	for range newModel(t, srv.URL, nil).Stream(context.Background(), hi) {
		break
	}
	select {
	case <-gone:
	case <-time.After(5 * time.Second):
		t.Fatal("breaking out of the loop did not end the request")
	}
}

func TestRetryAfter429(t *testing.T) {
	srv := wiretest.New(t,
		wiretest.Exchange{Status: 429, RespHeader: map[string]string{"retry-after-ms": "10"}, Resp: `{"error":{"message":"Rate limit","type":"requests","code":"rate_limit_exceeded"}}`},
		wiretest.Exchange{Resp: `{"id":"ok","choices":[{"index":0,"message":{"role":"assistant","content":"done"},"finish_reason":"stop"}]}`},
	)
	var waits []time.Duration
	m := llm.Chain(newModel(t, srv.URL, nil), llm.Retry(llm.RetryPolicy{OnRetry: func(_ int, _ error, d time.Duration) { waits = append(waits, d) }}))
	resp, err := m.Generate(context.Background(), hi)
	if err != nil || resp.Text() != "done" {
		t.Fatalf("%+v %v", resp, err)
	}
	if srv.Calls() != 2 || len(waits) != 1 || waits[0] < 10*time.Millisecond || waits[0] > 20*time.Millisecond {
		t.Errorf("calls %d waits %v", srv.Calls(), waits)
	}
	if llm.InfoOf(m) != (llm.Info{Provider: "openai", Model: "gpt-test"}) {
		t.Errorf("info %+v", llm.InfoOf(m))
	}
}

func TestNewNeedsModel(t *testing.T) {
	if _, err := openai.New(openai.Config{}); !errors.Is(err, llm.ErrInvalidRequest) {
		t.Errorf("error %v", err)
	}
}

func TestMistralDialect(t *testing.T) {
	srv := wiretest.New(t, wiretest.Exchange{
		Body: `{"model":"gpt-test","messages":[{"role":"user","content":"hi"}],"random_seed":7,"max_tokens":5,"stream":true}`,
		Resp: wiretest.SSE(`{"id":"m","choices":[{"index":0,"delta":{"content":"a"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1}}`, `[DONE]`),
	})
	m := newModel(t, srv.URL, func(c *openai.Config) { c.SeedField = "random_seed"; c.NoStreamOptions = true })
	resp, _, err := collect(t, m, &llm.Request{Messages: hi.Messages, Seed: llm.Ptr[int64](7), MaxTokens: 5})
	if err != nil || resp.Usage.InputTokens != 1 {
		t.Errorf("%+v %v", resp, err)
	}
}

func FuzzStream(f *testing.F) {
	f.Add([]byte(wiretest.SSE(`{"id":"c","choices":[{"index":0,"delta":{"content":"<think>a</think>b","tool_calls":[{"index":0,"id":"x","function":{"name":"f","arguments":"{}"}}]},"finish_reason":"stop"}],"usage":{"prompt_tokens":1}}`, `[DONE]`)))
	f.Add([]byte("data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":-5}]}}]}\n\ndata: [DONE]\n\n"))
	f.Add([]byte("event: x\r\ndata: {\"error\":{\"message\":\"m\",\"code\":5}}\r\n\r\n"))
	f.Add([]byte("data: {\"choices\":[{\"index\":0,\"message\":{\"content\":[{\"type\":\"text\",\"text\":\"x\"}]}}]}\n\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		m := newModel(t, "http://fuzz.invalid", func(c *openai.Config) { c.HTTPClient = &http.Client{Transport: wiretest.Body(body)} })
		for _, err := range m.Stream(context.Background(), hi) {
			if err != nil {
				var e *llm.Error
				if !errors.As(err, &e) {
					t.Fatalf("error %T %v is not *llm.Error", err, err)
				}
				break
			}
		}
		// The same bytes as a whole reply.
		_, err := m.Generate(context.Background(), hi)
		var e *llm.Error
		if err != nil && !errors.As(err, &e) {
			t.Fatalf("error %T %v is not *llm.Error", err, err)
		}
	})
}

func TestJSONObjectOnly(t *testing.T) {
	schema := json.RawMessage(`{"type":"object","properties":{"n":{"type":"integer"}}}`)
	srv := wiretest.New(t,
		wiretest.Exchange{Body: `{"model":"gpt-test","messages":[{"role":"system","content":"Be brief.\n\nReply with a single JSON object, and nothing else, that satisfies this JSON schema:\n{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"integer\"}}}"},{"role":"user","content":"hi"}],"response_format":{"type":"json_object"}}`,
			Resp: `{"id":"x","choices":[{"index":0,"message":{"role":"assistant","content":"{\"n\":1}"},"finish_reason":"stop"}]}`},
		wiretest.Exchange{Body: `{"model":"gpt-test","messages":[{"role":"system","content":"Reply with a single JSON object and nothing else."},{"role":"user","content":"hi"}],"response_format":{"type":"json_object"}}`,
			Resp: `{"id":"x","choices":[{"index":0,"message":{"role":"assistant","content":"{}"},"finish_reason":"stop"}]}`},
	)
	m := newModel(t, srv.URL, func(c *openai.Config) { c.JSONObjectOnly = true })
	req := &llm.Request{Messages: []llm.Message{llm.SystemMessage("Be brief."), llm.UserMessage("hi")}, ResponseSchema: &llm.JSONSchema{Schema: schema}}
	if _, err := m.Generate(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if req.Messages[0].Content != "Be brief." {
		t.Error("the request was modified")
	}
	if _, err := m.Generate(context.Background(), &llm.Request{Messages: hi.Messages, ResponseSchema: &llm.JSONSchema{}}); err != nil {
		t.Fatal(err)
	}
}

func TestSendReasoning(t *testing.T) {
	body := `{"model":"gpt-test","messages":[{"role":"user","content":"hi"},
		{"role":"assistant","content":"ok"},
		{"role":"assistant","reasoning_content":"need a tool","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]},
		{"role":"tool","tool_call_id":"c","content":"1"}]}`
	srv := wiretest.New(t, wiretest.Exchange{Body: body, Resp: `{"id":"x","choices":[{"index":0,"message":{"role":"assistant","content":"done"},"finish_reason":"stop"}]}`})
	m := newModel(t, srv.URL, func(c *openai.Config) { c.SendReasoning = true })
	call := llm.ToolCall{ID: "c", Name: "f", Arguments: json.RawMessage(`{}`)}
	_, err := m.Generate(context.Background(), &llm.Request{Messages: []llm.Message{
		llm.UserMessage("hi"),
		{Role: llm.RoleAssistant, Content: "ok", Reasoning: "not sent: no tool calls"},
		{Role: llm.RoleAssistant, Reasoning: "need a tool", ToolCalls: []llm.ToolCall{call}},
		llm.ToolResultMessage(call, "1"),
	}})
	if err != nil {
		t.Fatal(err)
	}
}

func TestRetryStream429Then200(t *testing.T) {
	srv := wiretest.New(t,
		wiretest.Exchange{Status: 429, RespHeader: map[string]string{"Retry-After": "0.01"}, Resp: `{"error":{"message":"Rate limit","type":"requests","code":"rate_limit_exceeded"}}`},
		wiretest.Exchange{Resp: wiretest.SSE(`{"id":"s","choices":[{"index":0,"delta":{"content":"ok"},"finish_reason":"stop"}]}`, `[DONE]`)},
	)
	m := llm.Chain(newModel(t, srv.URL, nil), llm.Retry(llm.RetryPolicy{}))
	resp, err := llm.Collect(m.Stream(context.Background(), hi))
	if err != nil || resp.Text() != "ok" || srv.Calls() != 2 {
		t.Fatalf("%+v %v calls %d", resp, err, srv.Calls())
	}
}

func TestConcurrentUse(t *testing.T) {
	var steps []wiretest.Exchange
	for range 16 {
		steps = append(steps, wiretest.Exchange{Resp: wiretest.SSE(`{"id":"s","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"a","function":{"name":"f","arguments":"{}"}}]},"finish_reason":"tool_calls"}]}`, `[DONE]`)})
	}
	srv := wiretest.New(t, steps...)
	m := newModel(t, srv.URL, nil)
	errs := make(chan error, 16)
	for range 16 {
		go func() {
			resp, err := llm.Collect(m.Stream(context.Background(), hi))
			if err == nil && len(resp.Message.ToolCalls) != 1 {
				err = errors.New("lost the tool call")
			}
			errs <- err
		}()
	}
	for range 16 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
