package gemini_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/llm/gemini"
	"github.com/plait-ai/plait/llm/internal/wiretest"
)

func newModel(t *testing.T, base string, mod func(*gemini.Config)) *gemini.Model {
	t.Helper()
	cfg := gemini.Config{BaseURL: base, APIKey: "AIza-test", Model: "models/gemini-test"}
	if mod != nil {
		mod(&cfg)
	}
	m, err := gemini.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

var weather = llm.ToolSpec{Name: "get_weather", Description: "Weather in a city.", Parameters: json.RawMessage(`{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"city":{"type":"string"}},"required":["city"],"additionalProperties":false}`)}
var hi = &llm.Request{Messages: []llm.Message{llm.UserMessage("hi")}}

func TestGenerateFunctionCalls(t *testing.T) {
	srv := wiretest.New(t, wiretest.Exchange{
		Path:     "/v1beta/models/gemini-test:generateContent",
		Header:   map[string]string{"x-goog-api-key": "AIza-test"},
		NoHeader: []string{"Authorization"},
		Body: `{
			"contents": [
				{"role": "user", "parts": [{"text": "Weather in Paris and Rome?"}]},
				{"role": "model", "parts": [
					{"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}},
					{"functionCall": {"name": "get_weather", "args": {"city": "Rome"}}}]},
				{"role": "user", "parts": [
					{"functionResponse": {"name": "get_weather", "response": {"temp_c": 18}}},
					{"functionResponse": {"name": "get_weather", "response": {"result": "24C"}}},
					{"text": "And Oslo?"}]}
			],
			"systemInstruction": {"parts": [{"text": "Be brief."}]},
			"tools": [{"functionDeclarations": [
				{"name": "get_weather", "description": "Weather in a city.", "parameters": {"type": "OBJECT", "properties": {"city": {"type": "STRING"}}, "required": ["city"]}},
				{"name": "now"}]}],
			"toolConfig": {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["get_weather"]}},
			"generationConfig": {"temperature": 0.3, "topP": 0.7, "maxOutputTokens": 500, "stopSequences": ["STOP!"], "seed": 9,
				"thinkingConfig": {"includeThoughts": true, "thinkingBudget": 1024}}
		}`,
		Resp: `{"candidates":[{"content":{"role":"model","parts":[
				{"text":"Oslo is next.","thought":true},
				{"text":"Checking Oslo."},
				{"functionCall":{"name":"get_weather","args":{"city":"Oslo"}},"thoughtSignature":"c2lnMQ=="},
				{"functionCall":{"id":"fc_2","name":"get_weather","args":{"city":"Bergen"}}}]},
			"finishReason":"STOP","index":0}],
			"usageMetadata":{"promptTokenCount":80,"candidatesTokenCount":20,"totalTokenCount":130,"thoughtsTokenCount":30,"cachedContentTokenCount":64},
			"modelVersion":"gemini-test-001","responseId":"resp-1"}`,
	}, wiretest.Exchange{
		Body: `{"contents":[{"role":"user","parts":[{"text":"hi"}]},
			{"role":"model","parts":[{"text":"Checking Oslo."},{"functionCall":{"name":"get_weather","args":{"city":"Oslo"}},"thoughtSignature":"c2lnMQ=="}]},
			{"role":"user","parts":[{"functionResponse":{"name":"get_weather","response":{"result":-3}}}]}],
			"generationConfig":{"thinkingConfig":{"includeThoughts":true,"thinkingBudget":1024}}}`,
		Resp: `{"candidates":[{"content":{"role":"model","parts":[{"text":"Cold."}]},"finishReason":"STOP"}]}`,
	})
	req := &llm.Request{
		Messages: []llm.Message{
			llm.SystemMessage("Be brief."),
			llm.UserMessage("Weather in Paris and Rome?"),
			{Role: llm.RoleAssistant, ToolCalls: []llm.ToolCall{
				{ID: "1", Name: "get_weather", Arguments: json.RawMessage(`{"city":"Paris"}`)},
				{ID: "2", Name: "get_weather", Arguments: json.RawMessage(`{"city":"Rome"}`)}}},
			{Role: llm.RoleTool, ToolCallID: "1", Content: `{"temp_c": 18}`},
			{Role: llm.RoleTool, ToolCallID: "2", Name: "get_weather", Content: "24C"},
			llm.UserMessage("And Oslo?"),
		},
		Tools:       []llm.ToolSpec{weather, {Name: "now", Parameters: json.RawMessage(`{"type":"object","properties":{}}`)}},
		ToolChoice:  llm.ToolChoiceFor("get_weather"),
		Temperature: llm.Ptr(0.3), TopP: llm.Ptr(0.7), MaxTokens: 500, Stop: []string{"STOP!"}, Seed: llm.Ptr[int64](9),
	}
	m := newModel(t, srv.URL+"/v1beta", func(c *gemini.Config) { c.IncludeThoughts = true; c.ThinkingBudget = llm.Ptr(1024) })
	resp, err := m.Generate(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	calls := resp.Message.ToolCalls
	if len(calls) != 2 {
		t.Fatalf("calls %+v", calls)
	}
	if _, err := uuid.Parse(calls[0].ID); err != nil || calls[1].ID != "fc_2" {
		t.Errorf("ids %q %q", calls[0].ID, calls[1].ID)
	}
	want := &llm.Response{
		Message: llm.Message{Role: llm.RoleAssistant, Content: "Checking Oslo.", Reasoning: "Oslo is next.", ToolCalls: []llm.ToolCall{
			{ID: calls[0].ID, Name: "get_weather", Arguments: json.RawMessage(`{"city":"Oslo"}`)},
			{ID: "fc_2", Name: "get_weather", Arguments: json.RawMessage(`{"city":"Bergen"}`)}}},
		Usage:        llm.Usage{InputTokens: 80, OutputTokens: 50, ReasoningTokens: 30, CachedInputTokens: 64},
		FinishReason: llm.FinishToolCalls, ID: "resp-1", Model: "gemini-test-001",
	}
	if !reflect.DeepEqual(resp, want) {
		t.Errorf("got  %+v\nwant %+v", resp, want)
	}

	// The thought signature goes back with its call, in the next request.
	follow := &llm.Request{Messages: []llm.Message{
		llm.UserMessage("hi"),
		{Role: llm.RoleAssistant, Content: "Checking Oslo.", ToolCalls: []llm.ToolCall{calls[0]}},
		llm.ToolResultMessage(calls[0], "-3"),
	}}
	if _, err := m.Generate(context.Background(), follow); err != nil {
		t.Fatal(err)
	}
}

func TestToolConfigAndSchema(t *testing.T) {
	for _, tc := range []struct {
		name string
		req  llm.Request
		body string
	}{
		{"auto", llm.Request{Tools: []llm.ToolSpec{{Name: "now"}}}, `"tools":[{"functionDeclarations":[{"name":"now"}]}]`},
		{"none", llm.Request{Tools: []llm.ToolSpec{{Name: "now"}}, ToolChoice: llm.ToolChoice{Mode: llm.ToolChoiceNone}}, `"tools":[{"functionDeclarations":[{"name":"now"}]}],"toolConfig":{"functionCallingConfig":{"mode":"NONE"}}`},
		{"required", llm.Request{Tools: []llm.ToolSpec{{Name: "now"}}, ToolChoice: llm.ToolChoice{Mode: llm.ToolChoiceRequired}}, `"tools":[{"functionDeclarations":[{"name":"now"}]}],"toolConfig":{"functionCallingConfig":{"mode":"ANY"}}`},
		{"schema", llm.Request{ResponseSchema: &llm.JSONSchema{Schema: json.RawMessage(`{"type":"object","properties":{"n":{"type":"integer"}},"required":["n"],"additionalProperties":false}`)}},
			`"generationConfig":{"responseMimeType":"application/json","responseSchema":{"type":"OBJECT","properties":{"n":{"type":"INTEGER"}},"required":["n"]}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := wiretest.New(t, wiretest.Exchange{
				Path: "/models/gemini-test:generateContent",
				Body: `{"contents":[{"role":"user","parts":[{"text":"hi"}]}],` + tc.body + `}`,
				Resp: `{"candidates":[{"content":{"role":"model","parts":[{"text":"{\"n\":1}"}]},"finishReason":"STOP"}]}`,
			})
			req := tc.req
			req.Messages = hi.Messages
			if _, err := newModel(t, srv.URL, nil).Generate(context.Background(), &req); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestConvertSchema(t *testing.T) {
	in := `{
		"$schema": "https://json-schema.org/draft/2020-12/schema",
		"$defs": {"Unit": {"type": "string", "enum": ["c", "f"], "description": "Unit."}},
		"type": "object",
		"additionalProperties": false,
		"properties": {
			"city": {"type": "string", "minLength": 1, "format": "hostname"},
			"when": {"type": ["string", "null"], "format": "date-time"},
			"unit": {"$ref": "#/$defs/Unit"},
			"days": {"type": "array", "items": {"type": "integer", "format": "int64", "exclusiveMinimum": 0}, "maxItems": 7},
			"mode": {"const": "fast"},
			"either": {"oneOf": [{"type": "string"}, {"type": "number"}]},
			"maybe": {"anyOf": [{"type": "boolean"}, {"type": "null"}]},
			"levels": {"enum": [1, 2]}
		},
		"required": ["city", "ghost"]
	}`
	want := `{
		"type": "OBJECT",
		"properties": {
			"city": {"type": "STRING", "minLength": 1},
			"when": {"type": "STRING", "nullable": true, "format": "date-time"},
			"unit": {"type": "STRING", "enum": ["c", "f"], "description": "Unit."},
			"days": {"type": "ARRAY", "items": {"type": "INTEGER", "format": "int64"}, "maxItems": 7},
			"mode": {"type": "STRING", "enum": ["fast"]},
			"either": {"anyOf": [{"type": "STRING"}, {"type": "NUMBER"}]},
			"maybe": {"type": "BOOLEAN", "nullable": true},
			"levels": {}
		},
		"required": ["city"]
	}`
	if d := wiretest.JSONEqual([]byte(want), gemini.ConvertSchema(json.RawMessage(in))); d != "" {
		t.Error(d)
	}
	// A recursive schema terminates.
	rec := `{"$defs":{"N":{"type":"object","properties":{"next":{"$ref":"#/$defs/N"}}}},"$ref":"#/$defs/N"}`
	if out := gemini.ConvertSchema(json.RawMessage(rec)); !json.Valid(out) {
		t.Errorf("recursive: %s", out)
	}
	if out := gemini.ConvertSchema(json.RawMessage(`not json`)); string(out) != "not json" {
		t.Errorf("bad schema changed: %s", out)
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

func TestStreamSSE(t *testing.T) {
	srv := wiretest.New(t, wiretest.Exchange{
		Path:   "/models/gemini-test:streamGenerateContent?alt=sse",
		Header: map[string]string{"x-goog-api-key": "AIza-test", "Accept": "text/event-stream"},
		Body:   `{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}`,
		Resp: "data: " + `{"candidates":[{"content":{"role":"model","parts":[{"text":"Thinking about it","thought":true}]},"index":0}],"usageMetadata":{"promptTokenCount":7,"thoughtsTokenCount":3},"modelVersion":"gemini-test-001","responseId":"r-9"}` + "\r\n\r\n" +
			"data: " + `{"candidates":[{"content":{"role":"model","parts":[{"text":"Two "}]},"index":0}],"modelVersion":"gemini-test-001","responseId":"r-9"}` + "\r\n\r\n" +
			"data: " + `{"candidates":[{"content":{"role":"model","parts":[{"text":"calls."},{"functionCall":{"name":"get_weather","args":{"city":"Paris"}}},{"functionCall":{"name":"get_weather","args":{"city":"Rome"}}}]},"index":0}]}` + "\r\n\r\n" +
			"data: " + `{"candidates":[{"content":{"role":"model","parts":[{"text":""}]},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":7,"candidatesTokenCount":12,"thoughtsTokenCount":3,"totalTokenCount":22},"modelVersion":"gemini-test-001","responseId":"r-9"}` + "\r\n\r\n",
	})
	resp, chunks, err := collect(newModel(t, srv.URL, nil), hi)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Message.Content != "Two calls." || resp.Message.Reasoning != "Thinking about it" || resp.FinishReason != llm.FinishToolCalls || resp.ID != "r-9" || resp.Model != "gemini-test-001" {
		t.Errorf("resp %+v", resp)
	}
	if resp.Usage != (llm.Usage{InputTokens: 7, OutputTokens: 15, ReasoningTokens: 3}) {
		t.Errorf("usage %+v", resp.Usage)
	}
	calls := resp.Message.ToolCalls
	if len(calls) != 2 || string(calls[0].Arguments) != `{"city":"Paris"}` || string(calls[1].Arguments) != `{"city":"Rome"}` || calls[0].ID == calls[1].ID {
		t.Errorf("calls %s", calls)
	}
	if len(chunks) != 4 {
		t.Errorf("%d chunks", len(chunks))
	}
}

func TestErrors(t *testing.T) {
	gerr := func(code int, status, msg string) string {
		return `{"error":{"code":` + itoa(code) + `,"message":"` + msg + `","status":"` + status + `"}}`
	}
	chunk := `{"candidates":[{"content":{"role":"model","parts":[{"text":"a"}]},"index":0}]}`
	for _, tc := range []struct {
		name   string
		ex     wiretest.Exchange
		stream bool
		is     error
		status int
		code   string
		retry  time.Duration
	}{
		{name: "400 key", ex: wiretest.Exchange{Status: 400, Resp: gerr(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.")}, is: llm.ErrAuth, status: 400, code: "INVALID_ARGUMENT"},
		{name: "400 schema", ex: wiretest.Exchange{Status: 400, Resp: gerr(400, "INVALID_ARGUMENT", "Invalid JSON payload received.")}, is: llm.ErrInvalidRequest, status: 400, code: "INVALID_ARGUMENT"},
		{name: "403", ex: wiretest.Exchange{Status: 403, Resp: gerr(403, "PERMISSION_DENIED", "denied")}, is: llm.ErrAuth, status: 403, code: "PERMISSION_DENIED"},
		{name: "429 RetryInfo", ex: wiretest.Exchange{Status: 429, Resp: `{"error":{"code":429,"message":"You exceeded your current quota","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.QuotaFailure"},{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"37s"}]}}`}, is: llm.ErrRateLimit, status: 429, code: "RESOURCE_EXHAUSTED", retry: 37 * time.Second},
		{name: "429 header wins", ex: wiretest.Exchange{Status: 429, RespHeader: map[string]string{"Retry-After": "2"}, Resp: gerr(429, "RESOURCE_EXHAUSTED", "slow")}, is: llm.ErrRateLimit, status: 429, code: "RESOURCE_EXHAUSTED", retry: 2 * time.Second},
		{name: "503", ex: wiretest.Exchange{Status: 503, Resp: gerr(503, "UNAVAILABLE", "The model is overloaded.")}, is: llm.ErrUnavailable, status: 503, code: "UNAVAILABLE"},
		{name: "500 array body", ex: wiretest.Exchange{Status: 500, Resp: `[` + gerr(500, "INTERNAL", "boom") + `]`}, is: llm.ErrUnavailable, status: 500, code: "INTERNAL"},
		{name: "not JSON", ex: wiretest.Exchange{Resp: `<!DOCTYPE html>`}, is: llm.ErrInvalidResponse},
		{name: "no finish", ex: wiretest.Exchange{Resp: chunk}, is: llm.ErrInvalidResponse},
		{name: "args not JSON object", ex: wiretest.Exchange{Resp: `{"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","args":"{x"}}]},"finishReason":"STOP"}]}`}, is: llm.ErrInvalidResponse},
		{name: "stream cut off", stream: true, ex: wiretest.Exchange{Resp: wiretest.SSE(chunk, chunk)}, is: llm.ErrInvalidResponse},
		{name: "stream bad event", stream: true, ex: wiretest.Exchange{Resp: wiretest.SSE(chunk, `{"candidates":[`)}, is: llm.ErrInvalidResponse},
		{name: "stream error event", stream: true, ex: wiretest.Exchange{Resp: wiretest.SSE(chunk, gerr(503, "UNAVAILABLE", "overloaded"))}, is: llm.ErrUnavailable, code: "UNAVAILABLE"},
		{name: "stream 429", stream: true, ex: wiretest.Exchange{Status: 429, Resp: `{"error":{"code":429,"status":"RESOURCE_EXHAUSTED","message":"q","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"1.5s"}]}}`}, is: llm.ErrRateLimit, status: 429, code: "RESOURCE_EXHAUSTED", retry: 1500 * time.Millisecond},
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
			if e.StatusCode != tc.status || e.Code != tc.code || e.RetryAfter != tc.retry || e.Provider != "gemini" {
				t.Errorf("error %+v", e)
			}
		})
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestFinishReasons(t *testing.T) {
	for reason, want := range map[string]llm.FinishReason{
		"MAX_TOKENS": llm.FinishLength, "SAFETY": llm.FinishContentFilter, "RECITATION": llm.FinishContentFilter,
		"MALFORMED_FUNCTION_CALL": "MALFORMED_FUNCTION_CALL", "SOMETHING_NEW": "SOMETHING_NEW",
	} {
		srv := wiretest.New(t, wiretest.Exchange{Resp: `{"candidates":[{"content":{"parts":[{"text":"x"}]},"finishReason":"` + reason + `"}]}`})
		resp, err := newModel(t, srv.URL, nil).Generate(context.Background(), hi)
		if err != nil || resp.FinishReason != want {
			t.Errorf("%s: %+v %v", reason, resp, err)
		}
	}
	srv := wiretest.New(t, wiretest.Exchange{Resp: `{"promptFeedback":{"blockReason":"SAFETY"},"usageMetadata":{"promptTokenCount":4}}`})
	resp, err := newModel(t, srv.URL, nil).Generate(context.Background(), hi)
	if err != nil || resp.FinishReason != llm.FinishContentFilter || resp.Usage.InputTokens != 4 {
		t.Errorf("blocked prompt: %+v %v", resp, err)
	}
}

func TestStreamCancel(t *testing.T) {
	gone := make(chan struct{})
	srv := wiretest.New(t, wiretest.Exchange{Handler: func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(wiretest.SSE(`{"candidates":[{"content":{"parts":[{"text":"first"}]}}]}`)))
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

func FuzzStream(f *testing.F) {
	f.Add([]byte(wiretest.SSE(`{"candidates":[{"content":{"parts":[{"text":"a","thought":true},{"functionCall":{"name":"f","args":null}}]},"finishReason":"STOP"}],"usageMetadata":{}}`)))
	f.Add([]byte(wiretest.SSE(`{"error":{"code":1}}`)))
	f.Fuzz(func(t *testing.T, body []byte) {
		m := newModel(t, "http://fuzz.invalid", func(c *gemini.Config) { c.HTTPClient = &http.Client{Transport: wiretest.Body(body)} })
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

func FuzzConvertSchema(f *testing.F) {
	f.Add([]byte(`{"type":["string","null"],"anyOf":[{"$ref":"#/$defs/x"}],"$defs":{"x":{"$ref":"#/$defs/x"}}}`))
	f.Add([]byte(`{"properties":{"a":{"items":[1,2]}},"required":[1]}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		out := gemini.ConvertSchema(in)
		if json.Valid(in) && !json.Valid(out) {
			t.Fatalf("invalid output %s", out)
		}
	})
}

func TestRequestModelOverride(t *testing.T) {
	srv := wiretest.New(t, wiretest.Exchange{Path: "/models/gemini-other:generateContent", Resp: `{"candidates":[{"content":{"parts":[{"text":"x"}]},"finishReason":"STOP"}]}`})
	if _, err := newModel(t, srv.URL, nil).Generate(context.Background(), &llm.Request{Model: "models/gemini-other", Messages: hi.Messages}); err != nil {
		t.Fatal(err)
	}
}

func TestConcurrentSignatures(t *testing.T) {
	var steps []wiretest.Exchange
	for range 16 {
		steps = append(steps, wiretest.Exchange{Resp: `{"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","args":{}},"thoughtSignature":"s"}]},"finishReason":"STOP"}]}`})
	}
	srv := wiretest.New(t, steps...)
	m := newModel(t, srv.URL, nil)
	errs := make(chan error, 16)
	for range 16 {
		go func() {
			_, err := m.Generate(context.Background(), hi)
			errs <- err
		}()
	}
	for range 16 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
