package anthropic_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/llm/anthropic"
	"github.com/plait-ai/plait/llm/internal/wiretest"
)

func newModel(t *testing.T, base string, mod func(*anthropic.Config)) *anthropic.Model {
	t.Helper()
	cfg := anthropic.Config{BaseURL: base, APIKey: "sk-ant-test", Model: "claude-test"}
	if mod != nil {
		mod(&cfg)
	}
	m, err := anthropic.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

var weather = llm.ToolSpec{Name: "get_weather", Description: "Weather in a city.", Parameters: json.RawMessage(`{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}`)}

var hi = &llm.Request{Messages: []llm.Message{llm.UserMessage("hi")}}

func TestToolUseAndToolResult(t *testing.T) {
	srv := wiretest.New(t, wiretest.Exchange{
		Path:     "/v1/messages",
		Header:   map[string]string{"x-api-key": "sk-ant-test", "anthropic-version": "2023-06-01", "Content-Type": "application/json"},
		NoHeader: []string{"Authorization"},
		Body: `{
			"model": "claude-test", "max_tokens": 1024,
			"system": "You are terse.\n\nUse metric units.",
			"messages": [
				{"role": "user", "content": [{"type": "text", "text": "Weather in Paris and Rome?"}]},
				{"role": "assistant", "content": [
					{"type": "text", "text": "Checking both."},
					{"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}},
					{"type": "tool_use", "id": "toolu_2", "name": "get_weather", "input": {"city": "Rome"}}]},
				{"role": "user", "content": [
					{"type": "tool_result", "tool_use_id": "toolu_1", "content": "18C"},
					{"type": "tool_result", "tool_use_id": "toolu_2", "content": "24C"},
					{"type": "text", "text": "And Oslo?"}]}
			],
			"tools": [{"name": "get_weather", "description": "Weather in a city.", "input_schema": {"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}],
			"tool_choice": {"type": "any"},
			"temperature": 0.5, "top_p": 0.8, "stop_sequences": ["###"]
		}`,
		Resp: `{"id":"msg_01","type":"message","role":"assistant","model":"claude-test-20250101",
			"content":[{"type":"thinking","thinking":"Oslo next.","signature":"sig"},{"type":"text","text":"Let me check."},
				{"type":"tool_use","id":"toolu_3","name":"get_weather","input":{"city":"Oslo"}}],
			"stop_reason":"tool_use","stop_sequence":null,
			"usage":{"input_tokens":100,"output_tokens":30,"cache_creation_input_tokens":20,"cache_read_input_tokens":50}}`,
	})
	req := &llm.Request{
		Messages: []llm.Message{
			llm.SystemMessage("You are terse."),
			llm.UserMessage("Weather in Paris and Rome?"),
			{Role: llm.RoleAssistant, Content: "Checking both.", Reasoning: "not sent", ToolCalls: []llm.ToolCall{
				{ID: "toolu_1", Name: "get_weather", Arguments: json.RawMessage(`{"city":"Paris"}`)},
				{ID: "toolu_2", Name: "get_weather", Arguments: json.RawMessage(`{"city":"Rome"}`)},
			}},
			{Role: llm.RoleTool, ToolCallID: "toolu_1", Content: "18C"},
			{Role: llm.RoleTool, ToolCallID: "toolu_2", Content: "24C"},
			llm.SystemMessage("Use metric units."),
			llm.UserMessage("And Oslo?"),
		},
		Tools:       []llm.ToolSpec{weather},
		ToolChoice:  llm.ToolChoice{Mode: llm.ToolChoiceRequired},
		Temperature: llm.Ptr(0.5), TopP: llm.Ptr(0.8), MaxTokens: 1024, Stop: []string{"###"}, Seed: llm.Ptr[int64](1),
	}
	resp, err := newModel(t, srv.URL, nil).Generate(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	want := &llm.Response{
		Message: llm.Message{Role: llm.RoleAssistant, Content: "Let me check.", Reasoning: "Oslo next.",
			ToolCalls: []llm.ToolCall{{ID: "toolu_3", Name: "get_weather", Arguments: json.RawMessage(`{"city":"Oslo"}`)}}},
		Usage:        llm.Usage{InputTokens: 170, OutputTokens: 30, CachedInputTokens: 50},
		FinishReason: llm.FinishToolCalls, ID: "msg_01", Model: "claude-test-20250101",
	}
	if !reflect.DeepEqual(resp, want) {
		t.Errorf("got  %+v\nwant %+v", resp, want)
	}
}

func TestToolChoiceAndSchema(t *testing.T) {
	base := `"model":"claude-test","max_tokens":4096,"messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}]`
	tools := `"tools":[{"name":"get_weather","description":"Weather in a city.","input_schema":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}]`
	for _, tc := range []struct {
		name string
		req  llm.Request
		body string
	}{
		{"auto", llm.Request{Tools: []llm.ToolSpec{weather}}, `{` + base + `,` + tools + `}`},
		{"none", llm.Request{Tools: []llm.ToolSpec{weather}, ToolChoice: llm.ToolChoice{Mode: llm.ToolChoiceNone}}, `{` + base + `,` + tools + `,"tool_choice":{"type":"none"}}`},
		{"named", llm.Request{Tools: []llm.ToolSpec{weather}, ToolChoice: llm.ToolChoiceFor("get_weather")}, `{` + base + `,` + tools + `,"tool_choice":{"type":"tool","name":"get_weather"}}`},
		{"schema", llm.Request{ResponseSchema: &llm.JSONSchema{Name: "answer", Schema: json.RawMessage(`{"type":"object","properties":{"n":{"type":"integer"}}}`)}},
			`{` + base + `,"tools":[{"name":"answer","description":"Give the final answer by calling this tool; its input is the answer.","input_schema":{"type":"object","properties":{"n":{"type":"integer"}}}}],"tool_choice":{"type":"tool","name":"answer"}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := `{"id":"m","type":"message","role":"assistant","model":"claude-test","content":[{"type":"text","text":"ok"}],"stop_reason":"end_turn","usage":{"input_tokens":1,"output_tokens":1}}`
			if tc.name == "schema" {
				resp = `{"id":"m","type":"message","role":"assistant","model":"claude-test","content":[{"type":"tool_use","id":"t","name":"answer","input":{"n":4}}],"stop_reason":"tool_use","usage":{"input_tokens":1,"output_tokens":1}}`
			}
			srv := wiretest.New(t, wiretest.Exchange{Body: tc.body, Resp: resp})
			req := tc.req
			req.Messages = hi.Messages
			got, err := newModel(t, srv.URL, nil).Generate(context.Background(), &req)
			if err != nil {
				t.Fatal(err)
			}
			if tc.name == "schema" && (got.Text() != `{"n":4}` || got.FinishReason != llm.FinishStop || len(got.Message.ToolCalls) != 0) {
				t.Errorf("structured reply %+v", got)
			}
		})
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

func sse(events ...[2]string) string {
	var b strings.Builder
	for _, e := range events {
		b.WriteString("event: " + e[0] + "\ndata: " + e[1] + "\n\n")
	}
	return b.String()
}

var streamEvents = [][2]string{
	{"message_start", `{"type":"message_start","message":{"id":"msg_s","type":"message","role":"assistant","model":"claude-test","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":25,"output_tokens":1,"cache_read_input_tokens":5}}}`},
	{"content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":""}}`},
	{"content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Two cities, "}}`},
	{"content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"two calls."}}`},
	{"content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"abc"}}`},
	{"content_block_stop", `{"type":"content_block_stop","index":0}`},
	{"content_block_start", `{"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}`},
	{"ping", `{"type": "ping"}`},
	{"content_block_delta", `{"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"Checking"}}`},
	{"content_block_delta", `{"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":" now."}}`},
	{"content_block_stop", `{"type":"content_block_stop","index":1}`},
	{"content_block_start", `{"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_a","name":"get_weather","input":{}}}`},
	{"content_block_delta", `{"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":""}}`},
	{"content_block_delta", `{"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{\"city\": \"Pa"}}`},
	{"content_block_delta", `{"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"ris\"}"}}`},
	{"content_block_stop", `{"type":"content_block_stop","index":2}`},
	{"content_block_start", `{"type":"content_block_start","index":3,"content_block":{"type":"tool_use","id":"toolu_b","name":"get_weather","input":{}}}`},
	{"content_block_delta", `{"type":"content_block_delta","index":3,"delta":{"type":"input_json_delta","partial_json":"{\"city\": \"Rome\"}"}}`},
	{"content_block_stop", `{"type":"content_block_stop","index":3}`},
	{"message_delta", `{"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":89}}`},
	{"message_stop", `{"type":"message_stop"}`},
}

func TestStreamEvents(t *testing.T) {
	srv := wiretest.New(t, wiretest.Exchange{
		Path:   "/v1/messages",
		Header: map[string]string{"Accept": "text/event-stream", "x-api-key": "sk-ant-test"},
		Body:   `{"model":"claude-test","max_tokens":4096,"messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}],"stream":true}`,
		Resp:   sse(streamEvents...),
	})
	resp, chunks, err := collect(newModel(t, srv.URL, nil), hi)
	if err != nil {
		t.Fatal(err)
	}
	want := &llm.Response{
		Message: llm.Message{Role: llm.RoleAssistant, Content: "Checking now.", Reasoning: "Two cities, two calls.", ToolCalls: []llm.ToolCall{
			{ID: "toolu_a", Name: "get_weather", Arguments: json.RawMessage(`{"city": "Paris"}`)},
			{ID: "toolu_b", Name: "get_weather", Arguments: json.RawMessage(`{"city": "Rome"}`)},
		}},
		Usage:        llm.Usage{InputTokens: 30, OutputTokens: 89, CachedInputTokens: 5},
		FinishReason: llm.FinishToolCalls, ID: "msg_s", Model: "claude-test",
	}
	if !reflect.DeepEqual(resp, want) {
		t.Errorf("got  %+v\nwant %+v", resp, want)
	}
	if chunks[0].ID != "msg_s" || chunks[1].Reasoning != "Two cities, " {
		t.Errorf("first chunks %+v", chunks[:2])
	}
}

func TestStreamSchemaTool(t *testing.T) {
	srv := wiretest.New(t, wiretest.Exchange{Resp: sse(
		[2]string{"message_start", `{"type":"message_start","message":{"id":"m","model":"c","usage":{"input_tokens":3,"output_tokens":1}}}`},
		[2]string{"content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"t","name":"response","input":{}}}`},
		[2]string{"content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{\"n\":"}}`},
		[2]string{"content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"4}"}}`},
		[2]string{"message_delta", `{"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":5}}`},
		[2]string{"message_stop", `{"type":"message_stop"}`},
	)})
	req := &llm.Request{Messages: hi.Messages, ResponseSchema: &llm.JSONSchema{Schema: json.RawMessage(`{"type":"object"}`)}}
	resp, _, err := collect(newModel(t, srv.URL, nil), req)
	if err != nil || resp.Text() != `{"n":4}` || resp.FinishReason != llm.FinishStop || len(resp.Message.ToolCalls) != 0 {
		t.Errorf("%+v %v", resp, err)
	}
}

func TestThinkingBudget(t *testing.T) {
	srv := wiretest.New(t, wiretest.Exchange{
		Body: `{"model":"claude-test","max_tokens":6096,"messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}],"thinking":{"type":"enabled","budget_tokens":2000},"tools":[{"name":"get_weather","description":"Weather in a city.","input_schema":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}]}`,
		Resp: `{"id":"m","type":"message","role":"assistant","model":"c","content":[{"type":"text","text":"ok"}],"stop_reason":"end_turn","usage":{"input_tokens":1,"output_tokens":1}}`,
	})
	// Forced tool choice is dropped: extended thinking allows only auto or none.
	req := &llm.Request{Messages: hi.Messages, MaxTokens: 1000, Tools: []llm.ToolSpec{weather}, ToolChoice: llm.ToolChoice{Mode: llm.ToolChoiceRequired}}
	m := newModel(t, srv.URL, func(c *anthropic.Config) { c.ThinkingBudget = 2000; c.MaxTokens = 4096 })
	if _, err := m.Generate(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if n, err := anthropic.ParseThinkingBudget(map[string]string{"thinking_budget": "x"}); err == nil || n != 0 {
		t.Errorf("bad option accepted")
	}
}

func TestErrors(t *testing.T) {
	errBody := func(typ, msg string) string {
		return `{"type":"error","error":{"type":"` + typ + `","message":"` + msg + `"},"request_id":"req_1"}`
	}
	start := [2]string{"message_start", `{"type":"message_start","message":{"id":"m","model":"c","usage":{"input_tokens":1,"output_tokens":1}}}`}
	text := [2]string{"content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hel"}}`}
	for _, tc := range []struct {
		name   string
		ex     wiretest.Exchange
		stream bool
		is     error
		status int
		code   string
		retry  time.Duration
	}{
		{name: "401", ex: wiretest.Exchange{Status: 401, Resp: errBody("authentication_error", "invalid x-api-key")}, is: llm.ErrAuth, status: 401, code: "authentication_error"},
		{name: "429", ex: wiretest.Exchange{Status: 429, RespHeader: map[string]string{"retry-after": "30"}, Resp: errBody("rate_limit_error", "Number of requests has exceeded your rate limit")}, is: llm.ErrRateLimit, status: 429, code: "rate_limit_error", retry: 30 * time.Second},
		{name: "529 overloaded", ex: wiretest.Exchange{Status: 529, Resp: errBody("overloaded_error", "Overloaded")}, is: llm.ErrUnavailable, status: 529, code: "overloaded_error"},
		{name: "500", ex: wiretest.Exchange{Status: 500, Resp: errBody("api_error", "Internal server error")}, is: llm.ErrUnavailable, status: 500, code: "api_error"},
		{name: "400 too long", ex: wiretest.Exchange{Status: 400, Resp: errBody("invalid_request_error", "prompt is too long: 210000 tokens > 200000 maximum")}, is: llm.ErrContextLength, status: 400, code: "invalid_request_error"},
		{name: "not JSON", ex: wiretest.Exchange{Resp: `upstream connect error`}, is: llm.ErrInvalidResponse},
		{name: "input not JSON", ex: wiretest.Exchange{Resp: `{"id":"m","type":"message","role":"assistant","content":[{"type":"tool_use","id":"t","name":"f","input":"{bad"}],"stop_reason":"tool_use","usage":{}}`}, is: llm.ErrInvalidResponse},
		{name: "stream 529", stream: true, ex: wiretest.Exchange{Status: 529, Resp: errBody("overloaded_error", "Overloaded")}, is: llm.ErrUnavailable, status: 529, code: "overloaded_error"},
		{name: "stream error event", stream: true, ex: wiretest.Exchange{Resp: sse(start, text, [2]string{"error", `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`})}, is: llm.ErrUnavailable, code: "overloaded_error"},
		{name: "stream no message_stop", stream: true, ex: wiretest.Exchange{Resp: sse(start, text)}, is: llm.ErrInvalidResponse},
		{name: "stream bad event", stream: true, ex: wiretest.Exchange{Resp: sse(start, [2]string{"content_block_delta", `{"type":`})}, is: llm.ErrInvalidResponse},
		{name: "stream stray json delta", stream: true, ex: wiretest.Exchange{Resp: sse(start, [2]string{"content_block_delta", `{"type":"content_block_delta","index":9,"delta":{"type":"input_json_delta","partial_json":"{"}}`})}, is: llm.ErrInvalidResponse},
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
			if e.StatusCode != tc.status || e.Code != tc.code || e.RetryAfter != tc.retry || e.Provider != "anthropic" {
				t.Errorf("error %+v", e)
			}
		})
	}
}

func TestUnknownStopReasonKept(t *testing.T) {
	srv := wiretest.New(t, wiretest.Exchange{Resp: `{"id":"m","type":"message","role":"assistant","content":[{"type":"text","text":"x"}],"stop_reason":"pause_turn","usage":{}}`})
	resp, err := newModel(t, srv.URL, nil).Generate(context.Background(), hi)
	if err != nil || resp.FinishReason != "pause_turn" {
		t.Errorf("%+v %v", resp, err)
	}
}

func TestStreamCancel(t *testing.T) {
	gone := make(chan struct{})
	srv := wiretest.New(t, wiretest.Exchange{Handler: func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(sse(streamEvents[0], streamEvents[6], streamEvents[8])))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
		close(gone)
	}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var last error
	for c, err := range newModel(t, srv.URL, nil).Stream(ctx, hi) {
		if err != nil {
			last = err
			break
		}
		if c.Text != "" {
			cancel()
		}
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

func TestRetryOverloaded(t *testing.T) {
	srv := wiretest.New(t,
		wiretest.Exchange{Status: 529, RespHeader: map[string]string{"retry-after-ms": "5"}, Resp: `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`},
		wiretest.Exchange{Resp: `{"id":"m","type":"message","role":"assistant","content":[{"type":"text","text":"fine"}],"stop_reason":"end_turn","usage":{}}`},
	)
	m := llm.Chain(newModel(t, srv.URL, nil), llm.Retry(llm.RetryPolicy{BaseDelay: time.Millisecond}))
	resp, err := m.Generate(context.Background(), hi)
	if err != nil || resp.Text() != "fine" || srv.Calls() != 2 {
		t.Errorf("%+v %v calls %d", resp, err, srv.Calls())
	}
}

func FuzzStream(f *testing.F) {
	f.Add([]byte(sse(streamEvents...)))
	f.Add([]byte(sse([2]string{"content_block_delta", `{"type":"content_block_delta","index":-1,"delta":{"type":"input_json_delta"}}`})))
	f.Add([]byte("event: error\ndata: {\"error\":{}}\n\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		m := newModel(t, "http://fuzz.invalid", func(c *anthropic.Config) { c.HTTPClient = &http.Client{Transport: wiretest.Body(body)} })
		req := &llm.Request{Messages: hi.Messages, ResponseSchema: &llm.JSONSchema{Schema: json.RawMessage(`{}`)}}
		for _, err := range m.Stream(context.Background(), req) {
			if err != nil {
				var e *llm.Error
				if !errors.As(err, &e) {
					t.Fatalf("error %T %v", err, err)
				}
				break
			}
		}
		if _, err := m.Generate(context.Background(), req); err != nil {
			var e *llm.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T %v", err, err)
			}
		}
	})
}

// TestThinkingBlocksGoBack checks that with extended thinking the signed
// thinking blocks of a reply that called tools are sent back before the
// tool_use blocks, from a stream and from a whole reply.
func TestThinkingBlocksGoBack(t *testing.T) {
	user := `{"role":"user","content":[{"type":"text","text":"hi"}]}`
	srv := wiretest.New(t,
		wiretest.Exchange{Resp: sse(streamEvents...)},
		wiretest.Exchange{Body: `{"model":"claude-test","max_tokens":4096,"thinking":{"type":"enabled","budget_tokens":1000},"messages":[` + user + `,
			{"role":"assistant","content":[
				{"type":"thinking","thinking":"Two cities, two calls.","signature":"abc"},
				{"type":"text","text":"Checking now."},
				{"type":"tool_use","id":"toolu_a","name":"get_weather","input":{"city":"Paris"}},
				{"type":"tool_use","id":"toolu_b","name":"get_weather","input":{"city":"Rome"}}]},
			{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_a","content":"18C"},{"type":"tool_result","tool_use_id":"toolu_b","content":"24C"}]}]}`,
			Resp: `{"id":"m2","type":"message","role":"assistant","content":[{"type":"redacted_thinking","data":"EnCrYpTeD"},{"type":"tool_use","id":"toolu_c","name":"get_weather","input":{"city":"Oslo"}}],"stop_reason":"tool_use","usage":{}}`},
		wiretest.Exchange{Body: `{"model":"claude-test","max_tokens":4096,"thinking":{"type":"enabled","budget_tokens":1000},"messages":[` + user + `,
			{"role":"assistant","content":[{"type":"redacted_thinking","data":"EnCrYpTeD"},{"type":"tool_use","id":"toolu_c","name":"get_weather","input":{"city":"Oslo"}}]},
			{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_c","content":"-3C"}]}]}`,
			Resp: `{"id":"m3","type":"message","role":"assistant","content":[{"type":"text","text":"Cold."}],"stop_reason":"end_turn","usage":{}}`},
	)
	m := newModel(t, srv.URL, func(c *anthropic.Config) { c.ThinkingBudget = 1000 })
	first, _, err := collect(m, hi)
	if err != nil {
		t.Fatal(err)
	}
	msgs := append(slices.Clone(hi.Messages), first.Message,
		llm.ToolResultMessage(first.Message.ToolCalls[0], "18C"), llm.ToolResultMessage(first.Message.ToolCalls[1], "24C"))
	second, err := m.Generate(context.Background(), &llm.Request{Messages: msgs})
	if err != nil {
		t.Fatal(err)
	}
	third := append(slices.Clone(hi.Messages), second.Message, llm.ToolResultMessage(second.Message.ToolCalls[0], "-3C"))
	if _, err := m.Generate(context.Background(), &llm.Request{Messages: third}); err != nil {
		t.Fatal(err)
	}
}

func TestStreamWholeInputInStartBlock(t *testing.T) {
	srv := wiretest.New(t, wiretest.Exchange{Resp: sse(
		[2]string{"message_start", `{"type":"message_start","message":{"id":"m","model":"c","usage":{"input_tokens":1,"output_tokens":1}}}`},
		[2]string{"content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"t1","name":"get_weather","input":{"city":"Lima"}}}`},
		[2]string{"content_block_stop", `{"type":"content_block_stop","index":0}`},
		[2]string{"message_delta", `{"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":5}}`},
		[2]string{"message_stop", `{"type":"message_stop"}`},
	)})
	resp, _, err := collect(newModel(t, srv.URL, nil), hi)
	if err != nil || len(resp.Message.ToolCalls) != 1 || string(resp.Message.ToolCalls[0].Arguments) != `{"city":"Lima"}` {
		t.Errorf("%+v %v", resp, err)
	}
}
