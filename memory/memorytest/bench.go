package memorytest

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/memory"
)

// Conversation1000 appends a conversation of 1,000 messages of about 60
// tokens each to s and returns its id.
func Conversation1000(b *testing.B, s memory.Store) uuid.UUID {
	b.Helper()
	conv := memory.NewID()
	recs := make([]memory.Record, 1000)
	for i := range recs {
		recs[i] = memory.Record{Message: llm.UserMessage(fmt.Sprintf("message %d: %s", i, strings.Repeat("some words of text ", 10)))}
	}
	if _, err := s.Append(context.Background(), conv, recs...); err != nil {
		b.Fatal(err)
	}
	return conv
}

// BenchAppend measures appending one message to a 1,000-message
// conversation, and reports ms/append.
func BenchAppend(b *testing.B, s memory.Store) {
	conv := Conversation1000(b, s)
	msg := llm.UserMessage(strings.Repeat("some words of text ", 10))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Append(context.Background(), conv, memory.Record{Message: msg}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ms/append")
}

// BenchLoad measures loading a whole 1,000-message conversation, and
// reports ms/load.
func BenchLoad(b *testing.B, s memory.Store) {
	conv := Conversation1000(b, s)
	b.ReportAllocs()
	for b.Loop() {
		tr, err := s.Load(context.Background(), conv, 0)
		if err != nil || len(tr.Messages) != 1000 {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ms/load")
}
