package main

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
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
)

// startServe runs "plait serve args..." until the test ends and returns its
// base URL.
func startServe(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var errb syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- dispatch(ctx, append([]string{"serve", "-addr", "127.0.0.1:0"}, args...), env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: &errb})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("serve did not stop")
		}
	})
	re := regexp.MustCompile(`on (http://[0-9.:]+)`)
	for range 500 {
		if m := re.FindStringSubmatch(errb.String()); m != nil {
			return m[1]
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("server did not start:\n%s", errb.String())
	return ""
}

func userTexts(req llm.Request) string {
	var b strings.Builder
	for _, m := range req.Messages {
		b.WriteString(string(m.Role) + ": " + m.Content + "\n")
	}
	return b.String()
}

// TestServeWithOpenAIGo talks to an agent served by plait serve with the
// official OpenAI Go client: a streamed reply after a tool step, with the
// chat's earlier turns as the agent's history.
func TestServeWithOpenAIGo(t *testing.T) {
	m := llmtest.New(
		llmtest.ToolCalls(llmtest.Call("calculator", `{"expression":"19*23"}`)),
		llmtest.Stream(llm.Chunk{Text: "19 × 23 "}, llm.Chunk{Text: "= 437.", FinishReason: llm.FinishStop}),
	)
	useModel(t, m)
	base := startServe(t, "-strategy", "react", "-name", "helper")
	c := openai.NewClient(option.WithBaseURL(base+"/v1"), option.WithAPIKey("unused"), option.WithMaxRetries(0))
	stream := c.Chat.Completions.NewStreaming(context.Background(), openai.ChatCompletionNewParams{
		Model: "helper",
		Messages: []openai.ChatCompletionMessageParamUnion{
			openai.UserMessage("I will ask you some arithmetic."),
			openai.AssistantMessage("Go ahead."),
			openai.UserMessage("What is 19 times 23?"),
		},
	})
	var acc openai.ChatCompletionAccumulator
	for stream.Next() {
		acc.AddChunk(stream.Current())
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if got := acc.Choices[0].Message.Content; got != "19 × 23 = 437." {
		t.Errorf("streamed content = %q", got)
	}
	first := userTexts(m.Requests()[0])
	if !strings.Contains(first, "I will ask you some arithmetic.") || !strings.Contains(first, "assistant: Go ahead.") {
		t.Errorf("the agent's first call lacks the history:\n%s", first)
	}
	second := m.Requests()[1].Messages
	if last := second[len(second)-1]; last.Role != llm.RoleTool || last.Content == "" || !strings.Contains(last.Content, "437") {
		t.Errorf("the calculator's result did not reach the model: %+v", last)
	}
	models, err := c.Models.List(context.Background())
	if err != nil || len(models.Data) == 0 || models.Data[0].ID != "helper" {
		t.Errorf("models: %+v %v", models, err)
	}
}

// TestServeWithOllamaClient uses the client of github.com/ollama/ollama/api,
// as Page Assist and other Ollama front ends do, against a plain model.
func TestServeWithOllamaClient(t *testing.T) {
	m := llmtest.New(llmtest.Stream(llm.Chunk{Text: "Hel"}, llm.Chunk{Text: "lo!", FinishReason: llm.FinishStop}), llmtest.Text("Fine."))
	useModel(t, m)
	base := startServe(t, "-plain", "-name", "plain")
	u, _ := url.Parse(base)
	c := ollama.NewClient(u, http.DefaultClient)
	ctx := context.Background()
	if v, err := c.Version(ctx); err != nil || v == "" {
		t.Fatalf("version %q %v", v, err)
	}
	tags, err := c.List(ctx)
	if err != nil || len(tags.Models) != 1 || !strings.HasPrefix(tags.Models[0].Name, "plain") {
		t.Fatalf("tags %+v %v", tags, err)
	}
	var text strings.Builder
	err = c.Chat(ctx, &ollama.ChatRequest{Model: "plain", Messages: []ollama.Message{{Role: "user", Content: "Hi"}}}, func(r ollama.ChatResponse) error {
		text.WriteString(r.Message.Content)
		return nil
	})
	if err != nil || text.String() != "Hello!" {
		t.Errorf("chat: %q %v", text.String(), err)
	}
	var gen strings.Builder
	no := false
	err = c.Generate(ctx, &ollama.GenerateRequest{Model: "plain", Prompt: "How are you?", Stream: &no}, func(r ollama.GenerateResponse) error {
		gen.WriteString(r.Response)
		return nil
	})
	if err != nil || gen.String() != "Fine." {
		t.Errorf("generate: %q %v", gen.String(), err)
	}
}

// TestServeWithLangchaingo uses langchaingo's OpenAI and Ollama clients
// against an agent served by plait serve (plan-and-execute this time).
func TestServeWithLangchaingo(t *testing.T) {
	plan := `{"thought":"compute","steps":[{"id":"s1","task":"multiply","tool":"calculator","args":{"expression":"6*7"}}]}`
	m := llmtest.New(
		llmtest.Text(plan), llmtest.Text("It is 42 [s1]."),
		llmtest.Text(plan), llmtest.Text("Still 42 [s1]."),
	)
	useModel(t, m)
	base := startServe(t, "-name", "agent", "-progress=false")
	ctx := context.Background()
	msgs := []llms.MessageContent{llms.TextParts(llms.ChatMessageTypeHuman, "What is 6 times 7?")}

	oa, err := lcopenai.New(lcopenai.WithBaseURL(base+"/v1"), lcopenai.WithToken("unused"), lcopenai.WithModel("agent"))
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	r, err := oa.GenerateContent(ctx, msgs, llms.WithStreamingFunc(func(_ context.Context, b []byte) error {
		sb.Write(b)
		return nil
	}))
	if err != nil || sb.String() != "It is 42 [s1]." || r.Choices[0].Content != "It is 42 [s1]." {
		t.Errorf("openai: streamed %q, %+v %v", sb.String(), r, err)
	}

	ol, err := lcollama.New(lcollama.WithServerURL(base), lcollama.WithModel("agent"))
	if err != nil {
		t.Fatal(err)
	}
	r, err = ol.GenerateContent(ctx, msgs)
	if err != nil || r.Choices[0].Content != "Still 42 [s1]." {
		t.Errorf("ollama: %+v %v", r, err)
	}
}
