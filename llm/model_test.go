package llm_test

import (
	"encoding/json"
	"errors"
	"iter"
	"strings"
	"testing"

	"github.com/plait-ai/plait/llm"
)

func seqOf(chunks []llm.Chunk, tail error) iter.Seq2[llm.Chunk, error] {
	return func(yield func(llm.Chunk, error) bool) {
		for _, c := range chunks {
			if !yield(c, nil) {
				return
			}
		}
		if tail != nil {
			yield(llm.Chunk{}, tail)
		}
	}
}

func TestCollectAssemblesParallelToolCalls(t *testing.T) {
	chunks := []llm.Chunk{
		{ID: "resp-1", Model: "m", Reasoning: "let me "},
		{Reasoning: "think"},
		{ToolCalls: []llm.ToolCallDelta{{Index: 1, ID: "b", Name: "time"}}},
		{ToolCalls: []llm.ToolCallDelta{{Index: 0, ID: "a", Name: "search", Arguments: `{"q":`}}},
		{ToolCalls: []llm.ToolCallDelta{{Index: 1, Arguments: `{"tz":"UTC"}`}, {Index: 0, Arguments: `"rag"}`}}},
		{Text: "ok"},
		{FinishReason: llm.FinishToolCalls, Usage: &llm.Usage{InputTokens: 7, OutputTokens: 3}},
	}
	resp, err := llm.Collect(seqOf(chunks, nil))
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Message.Reasoning; got != "let me think" {
		t.Errorf("reasoning = %q", got)
	}
	if resp.Text() != "ok" || resp.ID != "resp-1" || resp.Model != "m" || resp.FinishReason != llm.FinishToolCalls {
		t.Errorf("response = %+v", resp)
	}
	if resp.Usage.Total() != 10 {
		t.Errorf("usage = %+v", resp.Usage)
	}
	want := []llm.ToolCall{
		{ID: "a", Name: "search", Arguments: json.RawMessage(`{"q":"rag"}`)},
		{ID: "b", Name: "time", Arguments: json.RawMessage(`{"tz":"UTC"}`)},
	}
	if len(resp.Message.ToolCalls) != len(want) {
		t.Fatalf("tool calls = %+v", resp.Message.ToolCalls)
	}
	for i, w := range want {
		g := resp.Message.ToolCalls[i]
		if g.ID != w.ID || g.Name != w.Name || string(g.Arguments) != string(w.Arguments) {
			t.Errorf("call %d = %+v, want %+v", i, g, w)
		}
	}
}

func TestCollectErrors(t *testing.T) {
	cut := errors.New("connection reset")
	resp, err := llm.Collect(seqOf([]llm.Chunk{{Text: "par"}}, cut))
	if !errors.Is(err, cut) || resp == nil || resp.Text() != "par" {
		t.Fatalf("cut stream: resp=%+v err=%v", resp, err)
	}

	resp, err = llm.Collect(seqOf([]llm.Chunk{
		{ToolCalls: []llm.ToolCallDelta{{Index: 0, ID: "x", Name: "f", Arguments: `{"a":`}}},
	}, nil))
	if !errors.Is(err, llm.ErrInvalidResponse) {
		t.Fatalf("bad arguments: err = %v", err)
	}
	if len(resp.Message.ToolCalls) != 1 || !json.Valid(resp.Message.ToolCalls[0].Arguments) {
		t.Fatalf("bad arguments must still be valid JSON (a string): %+v", resp.Message.ToolCalls)
	}

	resp, err = llm.Collect(seqOf([]llm.Chunk{{ToolCalls: []llm.ToolCallDelta{{Index: 0, Name: "f"}}}}, nil))
	if err != nil || string(resp.Message.ToolCalls[0].Arguments) != "{}" {
		t.Fatalf("empty arguments: %v %+v", err, resp)
	}
}

func TestStreamOfRoundTrip(t *testing.T) {
	in := &llm.Response{
		Message: llm.Message{Role: llm.RoleAssistant, Content: "hi", Reasoning: "r",
			ToolCalls: []llm.ToolCall{{ID: "1", Name: "f", Arguments: json.RawMessage(`{"x":1}`)}}},
		Usage: llm.Usage{InputTokens: 1, OutputTokens: 2}, FinishReason: llm.FinishStop, ID: "id", Model: "m",
	}
	out, err := llm.Collect(llm.StreamOf(in, nil))
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(in)
	b, _ := json.Marshal(out)
	if string(a) != string(b) {
		t.Errorf("round trip:\n got %s\nwant %s", b, a)
	}
	boom := errors.New("boom")
	if _, err := llm.Collect(llm.StreamOf(nil, boom)); !errors.Is(err, boom) {
		t.Errorf("err = %v", err)
	}
}

func TestSplitThink(t *testing.T) {
	tests := []struct{ in, reasoning, rest string }{
		{"plain answer", "", "plain answer"},
		{"<think>step 1</think>\n\nanswer", "step 1", "answer"},
		{"\n <think>\nabc\n</think>x", "abc", "x"},
		{"<think>unterminated", "unterminated", ""},
		{"text <think>late</think>", "", "text <think>late</think>"},
		{"", "", ""},
	}
	for _, tt := range tests {
		r, rest := llm.SplitThink(tt.in)
		if r != tt.reasoning || rest != tt.rest {
			t.Errorf("SplitThink(%q) = %q, %q; want %q, %q", tt.in, r, rest, tt.reasoning, tt.rest)
		}
	}
}

// splitStream feeds parts through a ThinkSplitter and returns the joined
// reasoning and text.
func splitStream(parts []string) (string, string) {
	var s llm.ThinkSplitter
	var rb, tb strings.Builder
	for _, p := range parts {
		r, x := s.Split(p)
		rb.WriteString(r)
		tb.WriteString(x)
	}
	r, x := s.Flush()
	rb.WriteString(r)
	tb.WriteString(x)
	return rb.String(), tb.String()
}

func TestThinkSplitterMatchesSplitThink(t *testing.T) {
	inputs := []string{
		"<think>I should search.</think>\n\nThe answer is 4.",
		"no reasoning here",
		"  <thi",
		"<think>never closed",
		"<think></think>x",
		"<thinking>not a tag</thinking>",
		"<think>a</thi</think>b",
	}
	for _, in := range inputs {
		wantR, wantT := llm.SplitThink(in)
		for size := 1; size <= len(in)+1; size++ {
			var parts []string
			for i := 0; i < len(in); i += size {
				parts = append(parts, in[i:min(i+size, len(in))])
			}
			r, x := splitStream(parts)
			if strings.TrimSpace(r) != wantR || x != wantT {
				t.Errorf("chunks of %d of %q: got %q, %q; want %q, %q", size, in, r, x, wantR, wantT)
			}
		}
	}
}

func FuzzThinkSplitter(f *testing.F) {
	f.Add("<think>a</think>b", 3)
	f.Add("hello", 1)
	f.Add(" <think>x", 2)
	f.Fuzz(func(t *testing.T, in string, size int) {
		if size <= 0 || size > 64 {
			size = 1
		}
		var parts []string
		for i := 0; i < len(in); i += size {
			parts = append(parts, in[i:min(i+size, len(in))])
		}
		r, x := splitStream(parts)
		wantR, wantT := llm.SplitThink(in)
		if strings.TrimSpace(r) != wantR || x != wantT {
			t.Errorf("%q in chunks of %d: got %q, %q; want %q, %q", in, size, r, x, wantR, wantT)
		}
	})
}
