package openai_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/plait-ai/plait/llm/internal/wiretest"
	"github.com/plait-ai/plait/llm/openai"
)

// BenchmarkStreamDecode measures the client's cost per streamed chunk: SSE
// framing, JSON decoding and chunk assembly for a 500-delta reply, with no
// network (the body comes from an in-memory transport).
func BenchmarkStreamDecode(b *testing.B) {
	const n = 500
	events := make([]string, 0, n+2)
	for range n {
		events = append(events, `{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-test","choices":[{"index":0,"delta":{"content":" token"},"finish_reason":null}],"usage":null}`)
	}
	events = append(events, `{"id":"chatcmpl-1","choices":[],"usage":{"prompt_tokens":10,"completion_tokens":500}}`, `[DONE]`)
	body := []byte(wiretest.SSE(events...))
	m, err := openai.New(openai.Config{BaseURL: "http://bench.invalid", Model: "gpt-test", HTTPClient: &http.Client{Transport: wiretest.Body(body)}})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		var sb strings.Builder
		for c, err := range m.Stream(context.Background(), hi) {
			if err != nil {
				b.Fatal(err)
			}
			sb.WriteString(c.Text)
		}
		if sb.Len() != n*len(" token") {
			b.Fatalf("text of %d bytes", sb.Len())
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/chunk")
}
