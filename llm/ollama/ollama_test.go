package ollama_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/llm/internal/wiretest"
	"github.com/plait-ai/plait/llm/ollama"
)

func newModel(t *testing.T, base string, mod func(*ollama.Config)) *ollama.Model {
	t.Helper()
	cfg := ollama.Config{BaseURL: base, Model: "qwen3:4b"}
	if mod != nil {
		mod(&cfg)
	}
	m, err := ollama.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

var weather = llm.ToolSpec{Name: "get_weather", Description: "Weather in a city.", Parameters: json.RawMessage(`{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}`)}
var hi = &llm.Request{Messages: []llm.Message{llm.UserMessage("hi")}}

func ndjson(lines ...string) string { return strings.Join(lines, "\n") + "\n" }

func TestGenerateToolCallsAndThink(t *testing.T) {
	srv := wiretest.New(t, wiretest.Exchange{
		Path:     "/api/chat",
		NoHeader: []string{"Authorization"},
		Body: `{
			"model": "qwen3:4b",
			"messages": [
				{"role": "system", "content": "Be brief."},
				{"role": "user", "content": "Weather in Paris and Rome?"},
				{"role": "assistant", "content": "", "tool_calls": [
					{"function": {"name": "get_weather", "arguments": {"city": "Paris"}}},
					{"function": {"name": "get_weather", "arguments": {}}}]},
				{"role": "tool", "content": "18C", "tool_name": "get_weather"},
				{"role": "tool", "content": "24C", "tool_name": "get_weather"},
				{"role": "user", "content": "Now Oslo."}
			],
			"tools": [{"type": "function", "function": {"name": "get_weather", "description": "Weather in a city.", "parameters": {"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}],
			"format": {"type": "object"},
			"options": {"temperature": 0.1, "top_p": 0.95, "seed": 3, "num_predict": 256, "stop": ["</end>"]},
			"stream": false,
			"think": true,
			"keep_alive": "5m"
		}`,
		Resp: `{"model":"qwen3:4b","created_at":"2025-06-01T10:00:00Z","message":{"role":"assistant","content":"","thinking":"Oslo needs a call.",
			"tool_calls":[{"function":{"name":"get_weather","arguments":{"city":"Oslo"}}},{"function":{"name":"get_weather","arguments":{"city":"Bergen"}}}]},
			"done_reason":"stop","done":true,"total_duration":1,"prompt_eval_count":61,"eval_count":25}`,
	})
	req := &llm.Request{
		Messages: []llm.Message{
			llm.SystemMessage("Be brief."),
			llm.UserMessage("Weather in Paris and Rome?"),
			{Role: llm.RoleAssistant, ToolCalls: []llm.ToolCall{{ID: "a", Name: "get_weather", Arguments: json.RawMessage(`{"city":"Paris"}`)}, {ID: "b", Name: "get_weather"}}},
			{Role: llm.RoleTool, ToolCallID: "a", Name: "get_weather", Content: "18C"},
			{Role: llm.RoleTool, ToolCallID: "b", Content: "24C"}, // name found from the call
			llm.UserMessage("Now Oslo."),
		},
		Tools:          []llm.ToolSpec{weather},
		ResponseSchema: &llm.JSONSchema{Schema: json.RawMessage(`{"type":"object"}`)},
		Temperature:    llm.Ptr(0.1), TopP: llm.Ptr(0.95), Seed: llm.Ptr[int64](3), MaxTokens: 256, Stop: []string{"</end>"},
	}
	resp, err := newModel(t, srv.URL, func(c *ollama.Config) { c.Think = "true"; c.KeepAlive = "5m" }).Generate(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Message.ToolCalls) != 2 {
		t.Fatalf("calls %+v", resp.Message.ToolCalls)
	}
	for i, city := range []string{"Oslo", "Bergen"} {
		tc := resp.Message.ToolCalls[i]
		if _, err := uuid.Parse(tc.ID); err != nil {
			t.Errorf("call id %q is not a UUID", tc.ID)
		}
		if tc.Name != "get_weather" || string(tc.Arguments) != `{"city":"`+city+`"}` {
			t.Errorf("call %d: %+v", i, tc)
		}
	}
	if resp.Message.ToolCalls[0].ID == resp.Message.ToolCalls[1].ID {
		t.Error("ids repeat")
	}
	resp.Message.ToolCalls = nil
	want := &llm.Response{Message: llm.Message{Role: llm.RoleAssistant, Reasoning: "Oslo needs a call."},
		Usage: llm.Usage{InputTokens: 61, OutputTokens: 25}, FinishReason: llm.FinishToolCalls, Model: "qwen3:4b"}
	if !reflect.DeepEqual(resp, want) {
		t.Errorf("got  %+v\nwant %+v", resp, want)
	}
}

func TestToolChoice(t *testing.T) {
	other := llm.ToolSpec{Name: "now"}
	for _, tc := range []struct {
		choice llm.ToolChoice
		tools  string
	}{
		{llm.ToolChoice{}, `,"tools":[{"type":"function","function":{"name":"get_weather","description":"Weather in a city.","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}},{"type":"function","function":{"name":"now","parameters":{"type":"object","properties":{}}}}]`},
		{llm.ToolChoice{Mode: llm.ToolChoiceNone}, ``},
		{llm.ToolChoiceFor("now"), `,"tools":[{"type":"function","function":{"name":"now","parameters":{"type":"object","properties":{}}}}]`},
	} {
		srv := wiretest.New(t, wiretest.Exchange{
			Body: `{"model":"qwen3:4b","messages":[{"role":"user","content":"hi"}]` + tc.tools + `,"stream":false}`,
			Resp: `{"model":"qwen3:4b","message":{"role":"assistant","content":"x"},"done":true,"done_reason":"stop"}`,
		})
		req := &llm.Request{Messages: hi.Messages, Tools: []llm.ToolSpec{weather, other}, ToolChoice: tc.choice}
		if _, err := newModel(t, srv.URL, nil).Generate(context.Background(), req); err != nil {
			t.Fatal(err)
		}
	}
}

func collect(m llm.Model, req *llm.Request) (*llm.Response, []llm.Chunk, error) {
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

func TestStreamNDJSONThinking(t *testing.T) {
	srv := wiretest.New(t, wiretest.Exchange{
		Path:       "/api/chat",
		Body:       `{"model":"qwen3:4b","messages":[{"role":"user","content":"hi"}],"stream":true,"think":"high"}`,
		RespHeader: map[string]string{"Content-Type": "application/x-ndjson"},
		Resp: ndjson(
			`{"model":"qwen3:4b","created_at":"t","message":{"role":"assistant","content":"","thinking":"The user "},"done":false}`,
			`{"model":"qwen3:4b","created_at":"t","message":{"role":"assistant","content":"","thinking":"greets me."},"done":false}`,
			`{"model":"qwen3:4b","created_at":"t","message":{"role":"assistant","content":"Hello"},"done":false}`,
			``,
			`{"model":"qwen3:4b","created_at":"t","message":{"role":"assistant","content":"!"},"done":false}`,
			`{"model":"qwen3:4b","created_at":"t","message":{"role":"assistant","content":""},"done_reason":"stop","done":true,"prompt_eval_count":11,"eval_count":9}`),
	})
	resp, chunks, err := collect(newModel(t, srv.URL, func(c *ollama.Config) { c.Think = "high" }), hi)
	if err != nil {
		t.Fatal(err)
	}
	want := &llm.Response{Message: llm.Message{Role: llm.RoleAssistant, Content: "Hello!", Reasoning: "The user greets me."},
		Usage: llm.Usage{InputTokens: 11, OutputTokens: 9}, FinishReason: llm.FinishStop, Model: "qwen3:4b"}
	if !reflect.DeepEqual(resp, want) {
		t.Errorf("got  %+v\nwant %+v", resp, want)
	}
	if len(chunks) != 5 || chunks[2].Text != "Hello" || chunks[4].Usage == nil {
		t.Errorf("chunks %+v", chunks)
	}
}

func TestStreamToolCallsAndThinkTags(t *testing.T) {
	srv := wiretest.New(t, wiretest.Exchange{Resp: ndjson(
		`{"model":"deepseek-r1:7b","message":{"role":"assistant","content":"<think>"},"done":false}`,
		`{"model":"deepseek-r1:7b","message":{"role":"assistant","content":"need weather</think>\n\n"},"done":false}`,
		`{"model":"deepseek-r1:7b","message":{"role":"assistant","content":"","tool_calls":[{"function":{"name":"get_weather","arguments":{"city":"Paris"}}}]},"done":false}`,
		`{"model":"deepseek-r1:7b","message":{"role":"assistant","content":"","tool_calls":[{"id":"call_x","function":{"index":1,"name":"get_weather","arguments":"{\"city\":\"Rome\"}"}}]},"done":false}`,
		`{"model":"deepseek-r1:7b","message":{"role":"assistant","content":""},"done_reason":"stop","done":true,"prompt_eval_count":5,"eval_count":6}`)})
	resp, _, err := collect(newModel(t, srv.URL, nil), &llm.Request{Messages: hi.Messages, Tools: []llm.ToolSpec{weather}})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Message.Reasoning != "need weather" || resp.Message.Content != "" || resp.FinishReason != llm.FinishToolCalls {
		t.Errorf("resp %+v", resp)
	}
	calls := resp.Message.ToolCalls
	if len(calls) != 2 || string(calls[0].Arguments) != `{"city":"Paris"}` || string(calls[1].Arguments) != `{"city":"Rome"}` || calls[1].ID != "call_x" {
		t.Errorf("calls %s", calls)
	}
	if _, err := uuid.Parse(calls[0].ID); err != nil {
		t.Errorf("id %q: %v", calls[0].ID, err)
	}
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		ex     wiretest.Exchange
		stream bool
		is     error
		status int
		retry  time.Duration
	}{
		{name: "404 model", ex: wiretest.Exchange{Status: 404, Resp: `{"error":"model \"nope\" not found, try pulling it first"}`}, is: llm.ErrInvalidRequest, status: 404},
		{name: "401", ex: wiretest.Exchange{Status: 401, Resp: `{"error":"unauthorized"}`}, is: llm.ErrAuth, status: 401},
		{name: "429", ex: wiretest.Exchange{Status: 429, RespHeader: map[string]string{"Retry-After": "3"}, Resp: `{"error":"too many requests"}`}, is: llm.ErrRateLimit, status: 429, retry: 3 * time.Second},
		{name: "500", ex: wiretest.Exchange{Status: 500, Resp: `{"error":"llama runner process has terminated"}`}, is: llm.ErrUnavailable, status: 500},
		{name: "not JSON", ex: wiretest.Exchange{Resp: `Ollama is running`}, is: llm.ErrInvalidResponse},
		{name: "not done", ex: wiretest.Exchange{Resp: `{"model":"m","message":{"role":"assistant","content":"x"},"done":false}`}, is: llm.ErrInvalidResponse},
		{name: "arguments not JSON", ex: wiretest.Exchange{Resp: `{"model":"m","message":{"role":"assistant","content":"","tool_calls":[{"function":{"name":"f","arguments":"{bad"}}]},"done":true}`}, is: llm.ErrInvalidResponse},
		{name: "stream cut off", stream: true, ex: wiretest.Exchange{Resp: ndjson(`{"model":"m","message":{"role":"assistant","content":"x"},"done":false}`)}, is: llm.ErrInvalidResponse},
		{name: "stream bad line", stream: true, ex: wiretest.Exchange{Resp: ndjson(`{"model":"m","message":{"role":"assistant","content":"x"},"done":false}`, `{"model`)}, is: llm.ErrInvalidResponse},
		{name: "stream error line", stream: true, ex: wiretest.Exchange{Resp: ndjson(`{"model":"m","message":{"role":"assistant","content":"x"},"done":false}`, `{"error":"an error was encountered while running the model: unexpected EOF"}`)}, is: llm.ErrUnavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := wiretest.New(t, tc.ex)
			m := newModel(t, srv.URL, nil)
			var err error
			if tc.stream {
				_, _, err = collect(m, hi)
			} else {
				_, err = m.Generate(context.Background(), hi)
			}
			var e *llm.Error
			if !errors.Is(err, tc.is) || !errors.As(err, &e) {
				t.Fatalf("error %v, want %v", err, tc.is)
			}
			if e.StatusCode != tc.status || e.RetryAfter != tc.retry || e.Provider != "ollama" {
				t.Errorf("error %+v", e)
			}
		})
	}
}

func TestUnknownDoneReasonKept(t *testing.T) {
	srv := wiretest.New(t, wiretest.Exchange{Resp: `{"model":"m","message":{"role":"assistant","content":""},"done":true,"done_reason":"unload"}`})
	resp, err := newModel(t, srv.URL, nil).Generate(context.Background(), hi)
	if err != nil || resp.FinishReason != "unload" {
		t.Errorf("%+v %v", resp, err)
	}
}

func TestStreamCancel(t *testing.T) {
	gone := make(chan struct{})
	srv := wiretest.New(t, wiretest.Exchange{Handler: func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(ndjson(`{"model":"m","message":{"role":"assistant","content":"first"},"done":false}`)))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
		close(gone)
	}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var last error
	for _, err := range newModel(t, srv.URL, nil).Stream(ctx, hi) {
		if err != nil {
			last = err
			break
		}
		cancel()
	}
	if !errors.Is(last, context.Canceled) {
		t.Errorf("error %v", last)
	}
	select {
	case <-gone:
	case <-time.After(5 * time.Second):
		t.Fatal("request not ended")
	}
}

func TestHostURL(t *testing.T) {
	for in, want := range map[string]string{
		"":                         "http://127.0.0.1:11434",
		"0.0.0.0":                  "http://127.0.0.1:11434",
		"gpu-box":                  "http://gpu-box:11434",
		"gpu-box:9000":             "http://gpu-box:9000",
		"https://ollama.example":   "https://ollama.example:443",
		"http://10.0.0.2:11434/":   "http://10.0.0.2:11434",
		"http://host/ollama/":      "http://host:80/ollama",
		"[::1]:11434":              "http://[::1]:11434",
		"::":                       "http://127.0.0.1:11434",
		" http://127.0.0.1:11434 ": "http://127.0.0.1:11434",
	} {
		if got := ollama.HostURL(in); got != want {
			t.Errorf("HostURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzStream(f *testing.F) {
	f.Add([]byte(ndjson(`{"model":"m","message":{"role":"assistant","content":"<think>a</think>b","tool_calls":[{"function":{"name":"f","arguments":"\"x\""}}]},"done":false}`, `{"done":true}`)))
	f.Add([]byte(`{"error":"x"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		m := newModel(t, "http://fuzz.invalid", func(c *ollama.Config) { c.HTTPClient = &http.Client{Transport: wiretest.Body(body)} })
		for _, err := range m.Stream(context.Background(), hi) {
			if err != nil {
				var e *llm.Error
				if !errors.As(err, &e) {
					t.Fatalf("error %T %v", err, err)
				}
				break
			}
		}
		if _, err := m.Generate(context.Background(), hi); err != nil {
			var e *llm.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T %v", err, err)
			}
		}
	})
}
