package providers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/plait-ai/plait/llm"
	_ "github.com/plait-ai/plait/llm/providers"
)

// fakeDeepSeek answers like api.deepseek.com would: a call of the one tool.
func fakeDeepSeek() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":"chatcmpl-7","model":"deepseek-chat","choices":[{"index":0,
			"message":{"role":"assistant","content":"","tool_calls":[{"id":"call_0","type":"function",
			"function":{"name":"get_weather","arguments":"{\"city\":\"Hangzhou\"}"}}]},
			"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":52,"completion_tokens":18}}`)
	}))
}

// A prompt with one tool, sent to a preset; the reply is typed. Here the
// preset is pointed at a loopback server through its environment
// variables; without them it reaches https://api.deepseek.com.
func Example() {
	srv := fakeDeepSeek()
	defer srv.Close()
	os.Setenv("DEEPSEEK_BASE_URL", srv.URL)
	os.Setenv("DEEPSEEK_API_KEY", "sk-example")
	defer os.Unsetenv("DEEPSEEK_BASE_URL")
	defer os.Unsetenv("DEEPSEEK_API_KEY")

	m, err := llm.Open("deepseek/deepseek-chat")
	if err != nil {
		panic(err)
	}
	resp, err := m.Generate(context.Background(), &llm.Request{
		Messages: []llm.Message{llm.UserMessage("What's the weather in Hangzhou?")},
		Tools: []llm.ToolSpec{{Name: "get_weather", Description: "Current weather in a city.",
			Parameters: json.RawMessage(`{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}`)}},
	})
	if err != nil {
		panic(err)
	}
	call := resp.Message.ToolCalls[0]
	fmt.Println(resp.FinishReason, call.Name, string(call.Arguments), resp.Usage.Total())
	// Output: tool_calls get_weather {"city":"Hangzhou"} 70
}
