package memory_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/llm/llmtest"
	"github.com/plait-ai/plait/memory"
)

// conversation returns n turns: user questions, assistant tool calls with
// one to three results, and assistant answers, of random lengths.
func conversation(seed uint64, n int) []llm.Message {
	r := rand.New(rand.NewPCG(seed, 1))
	words := func(k int) string { return strings.TrimSpace(strings.Repeat("lorem ", 1+r.IntN(k))) }
	var out []llm.Message
	for i := 0; len(out) < n; i++ {
		out = append(out, llm.UserMessage(fmt.Sprintf("Q%d %s", i, words(30))))
		if r.IntN(2) == 0 {
			var calls []llm.ToolCall
			for j := range 1 + r.IntN(3) {
				calls = append(calls, llm.ToolCall{ID: fmt.Sprintf("c%d_%d", i, j), Name: "search", Arguments: []byte(`{"q":"x"}`)})
			}
			out = append(out, llm.Message{Role: llm.RoleAssistant, ToolCalls: calls})
			for _, c := range calls {
				out = append(out, llm.ToolResultMessage(c, words(60)))
			}
		}
		out = append(out, llm.AssistantMessage(fmt.Sprintf("A%d %s", i, words(40))))
	}
	return out
}

func newHistory(t testing.TB, opts memory.HistoryOptions, msgs ...llm.Message) *memory.History {
	t.Helper()
	h := memory.NewHistory(memory.NewMemStore(), memory.NewID(), opts)
	if len(msgs) > 0 {
		if _, err := h.Append(context.Background(), msgs...); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

// checkWindow verifies a window's invariants: within budget, system prompt
// first, tool calls together with all their results, and the recent
// messages a contiguous run up to the newest.
func checkWindow(t *testing.T, w *memory.Window, budget int, system string, all []llm.Message) {
	t.Helper()
	if got := memory.CountMessages(nil, w.Messages); got != w.Tokens {
		t.Errorf("Tokens = %d, messages count %d", w.Tokens, got)
	}
	if budget > 0 && w.Tokens > budget {
		t.Errorf("window of %d tokens over the budget of %d", w.Tokens, budget)
	}
	if system != "" && (len(w.Messages) == 0 || !strings.HasPrefix(w.Messages[0].Content, system)) {
		t.Errorf("system prompt not first")
	}
	calls := map[string]bool{}
	results := map[string]bool{}
	for _, m := range w.Messages {
		for _, c := range m.ToolCalls {
			calls[c.ID] = true
		}
		if m.Role == llm.RoleTool {
			results[m.ToolCallID] = true
		}
	}
	for id := range calls {
		if !results[id] {
			t.Errorf("tool call %s kept without its result", id)
		}
	}
	for id := range results {
		if !calls[id] {
			t.Errorf("tool result %s kept without its call", id)
		}
	}
	// The kept records are the newest ones, without gaps.
	if n := len(w.Kept); n > 0 {
		if w.Kept[n-1].Seq != int64(len(all)) {
			t.Errorf("newest kept message is %d of %d", w.Kept[n-1].Seq, len(all))
		}
		for i := 1; i < n; i++ {
			if w.Kept[i].Seq != w.Kept[i-1].Seq+1 && !w.Kept[i-1].Pinned {
				t.Errorf("gap in the window between %d and %d", w.Kept[i-1].Seq, w.Kept[i].Seq)
			}
		}
	}
	if len(w.Kept)+w.Dropped+w.Summarized != len(all) {
		t.Errorf("kept %d + dropped %d + summarized %d != %d messages", len(w.Kept), w.Dropped, w.Summarized, len(all))
	}
}

func TestWindowBudgets(t *testing.T) {
	ctx := context.Background()
	const system = "You are a careful assistant."
	for seed := range uint64(5) {
		msgs := conversation(seed, 60)
		h := newHistory(t, memory.HistoryOptions{System: system, Overflow: memory.OverflowTruncate}, msgs...)
		full, err := h.Window(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		if full.Dropped != 0 || len(full.Kept) != len(msgs) {
			t.Fatalf("unbounded window dropped %d", full.Dropped)
		}
		for budget := 60; budget < full.Tokens+50; budget += 37 {
			t.Run(fmt.Sprintf("seed%d/budget%d", seed, budget), func(t *testing.T) {
				w, err := h.Window(ctx, budget)
				if err != nil {
					t.Fatalf("Window(%d): %v", budget, err)
				}
				checkWindow(t, w, budget, system, msgs)
				if budget >= full.Tokens && w.Dropped != 0 {
					t.Errorf("budget %d >= %d tokens, but %d dropped", budget, full.Tokens, w.Dropped)
				}
			})
		}
	}
}

func TestWindowToolGroupStaysTogether(t *testing.T) {
	ctx := context.Background()
	call1 := llm.ToolCall{ID: "a", Name: "search", Arguments: []byte(`{}`)}
	call2 := llm.ToolCall{ID: "b", Name: "fetch", Arguments: []byte(`{}`)}
	msgs := []llm.Message{
		llm.UserMessage("old question " + strings.Repeat("x ", 50)),
		{Role: llm.RoleAssistant, ToolCalls: []llm.ToolCall{call1, call2}},
		llm.ToolResultMessage(call1, strings.Repeat("result ", 40)),
		llm.ToolResultMessage(call2, strings.Repeat("page ", 40)),
		llm.AssistantMessage("answer"),
	}
	h := newHistory(t, memory.HistoryOptions{}, msgs...)
	last := memory.CountMessage(nil, msgs[4])
	group := memory.CountMessages(nil, msgs[1:4])
	// A budget that would fit the answer and one tool result, but not the
	// whole group: the group goes as a whole.
	w, err := h.Window(ctx, last+group-5)
	if err != nil {
		t.Fatal(err)
	}
	if len(w.Messages) != 1 || w.Messages[0].Content != "answer" || w.Dropped != 4 {
		t.Errorf("window = %d messages, dropped %d; want the answer alone", len(w.Messages), w.Dropped)
	}
	w, err = h.Window(ctx, last+group)
	if err != nil {
		t.Fatal(err)
	}
	if len(w.Messages) != 4 || w.Messages[0].Role != llm.RoleAssistant {
		t.Errorf("window = %d messages; want the group of 3 and the answer", len(w.Messages))
	}
}

func TestWindowPinned(t *testing.T) {
	ctx := context.Background()
	msgs := conversation(7, 40)
	h := newHistory(t, memory.HistoryOptions{System: "sys"})
	recs, err := h.Append(ctx, msgs...)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Pin(ctx, recs[0].ID, true); err != nil {
		t.Fatal(err)
	}
	w, err := h.Window(ctx, 200)
	if err != nil {
		t.Fatal(err)
	}
	checkWindow(t, w, 200, "sys", msgs)
	if w.Kept[0].ID != recs[0].ID || w.Messages[1].Content != msgs[0].Content {
		t.Errorf("pinned first message not kept: %q", w.Messages[1].Content)
	}
	if w.Dropped == 0 {
		t.Error("nothing dropped; the test needs a tighter budget")
	}
	// Pinned messages that cannot fit: a typed error.
	big := strings.Repeat("important ", 300)
	rs, err := h.Append(ctx, llm.UserMessage(big))
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Pin(ctx, rs[0].ID, true); err != nil {
		t.Fatal(err)
	}
	_, err = h.Window(ctx, 200)
	var be *memory.BudgetError
	if !errors.As(err, &be) || !errors.Is(err, memory.ErrTooLarge) || be.Budget != 200 || be.Need <= 200 {
		t.Errorf("Window with oversized pins: err = %v, want a BudgetError", err)
	}
}

func TestTooLargeMessage(t *testing.T) {
	ctx := context.Background()
	huge := llm.UserMessage(strings.Repeat("data ", 2000))
	t.Run("append refuses", func(t *testing.T) {
		h := newHistory(t, memory.HistoryOptions{System: "sys", Budget: 500})
		_, err := h.Append(ctx, llm.UserMessage("hi"), huge)
		var be *memory.BudgetError
		if !errors.As(err, &be) || be.Need < 2000 {
			t.Fatalf("Append of a huge message: err = %v, want a BudgetError", err)
		}
		if msgs, _ := h.Messages(ctx); len(msgs) != 0 {
			t.Errorf("%d messages stored after a refused append", len(msgs))
		}
	})
	t.Run("window refuses", func(t *testing.T) {
		h := newHistory(t, memory.HistoryOptions{}, llm.UserMessage("hi"), huge)
		if _, err := h.Window(ctx, 500); !errors.Is(err, memory.ErrTooLarge) {
			t.Fatalf("Window: err = %v, want ErrTooLarge", err)
		}
	})
	t.Run("truncate", func(t *testing.T) {
		h := newHistory(t, memory.HistoryOptions{System: "sys", Budget: 500, Overflow: memory.OverflowTruncate}, llm.UserMessage("hi"), huge)
		w, err := h.Window(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		if !w.Truncated || w.Tokens > 500 || !strings.HasSuffix(w.Messages[len(w.Messages)-1].Content, "…[cut]") {
			t.Errorf("truncated window: %d tokens, truncated %v", w.Tokens, w.Truncated)
		}
		// The stored message is whole.
		msgs, _ := h.Messages(ctx)
		if msgs[1].Content != huge.Content {
			t.Error("truncation changed the stored message")
		}
	})
}

func TestUnknownConversationIsEmpty(t *testing.T) {
	h := newHistory(t, memory.HistoryOptions{System: "sys"})
	w, err := h.Window(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(w.Messages) != 1 || w.Messages[0].Role != llm.RoleSystem {
		t.Errorf("window of a new conversation = %+v", w.Messages)
	}
	if _, err := h.Store().Load(context.Background(), h.ID(), 0); !errors.Is(err, memory.ErrNotFound) {
		t.Errorf("store Load of an unknown conversation: err = %v, want ErrNotFound", err)
	}
}

func TestSummarization(t *testing.T) {
	ctx := context.Background()
	var prompts []string
	model := llmtest.New(
		llmtest.Func(func(ctx context.Context, req *llm.Request) (*llm.Response, error) {
			prompts = append(prompts, req.Messages[len(req.Messages)-1].Content)
			return &llm.Response{Message: llm.AssistantMessage("SUMMARY ONE: the user asked Q0..")}, nil
		}),
		llmtest.Func(func(ctx context.Context, req *llm.Request) (*llm.Response, error) {
			prompts = append(prompts, req.Messages[len(req.Messages)-1].Content)
			return &llm.Response{Message: llm.AssistantMessage("SUMMARY TWO")}, nil
		}),
	)
	opts := memory.HistoryOptions{System: "sys", Budget: 2000, Summarizer: model, SummarizeAt: 600, KeepRecent: 300}
	store := memory.NewMemStore()
	h := memory.NewHistory(store, memory.NewID(), opts)
	msgs := conversation(3, 30)
	if memory.CountMessages(nil, msgs) < 700 {
		t.Fatal("conversation too short for the threshold")
	}
	if _, err := h.Append(ctx, msgs...); err != nil {
		t.Fatal(err)
	}
	w, err := h.Window(ctx, 0)
	if err != nil || w.SummaryErr != nil {
		t.Fatalf("Window: %v, %v", err, w.SummaryErr)
	}
	if model.Calls() != 1 {
		t.Fatalf("summarizer called %d times, want 1", model.Calls())
	}
	if !strings.Contains(w.Messages[0].Content, "sys") || !strings.Contains(w.Messages[0].Content, "SUMMARY ONE") {
		t.Errorf("system message = %q, want the prompt and the summary", w.Messages[0].Content)
	}
	if w.Summarized == 0 || !strings.Contains(prompts[0], "Q0 ") {
		t.Errorf("summarized %d messages; prompt %q", w.Summarized, prompts[0])
	}
	checkWindow(t, w, 2000, "sys", msgs)
	// The summary is stored, and covers messages that no longer appear.
	tr, _ := store.Load(ctx, h.ID(), 0)
	if tr.Summary.Text != "SUMMARY ONE: the user asked Q0.." || tr.Summary.Through != int64(w.Summarized) {
		t.Errorf("stored summary %+v, window summarized %d", tr.Summary, w.Summarized)
	}
	recent := 0
	for _, r := range w.Kept {
		recent += memory.CountMessage(nil, r.Message)
	}
	if recent > opts.KeepRecent+300 {
		t.Errorf("%d tokens of recent turns kept, KeepRecent %d", recent, opts.KeepRecent)
	}
	// Below the threshold again: no new summary.
	if _, err := h.Window(ctx, 0); err != nil || model.Calls() != 1 {
		t.Errorf("second window: %v, %d summarizer calls", err, model.Calls())
	}
	// More turns pass the threshold: the running summary is updated from
	// the previous one.
	if _, err := h.Append(ctx, conversation(4, 25)...); err != nil {
		t.Fatal(err)
	}
	w, err = h.Window(ctx, 0)
	if err != nil || w.SummaryErr != nil {
		t.Fatalf("Window: %v, %v", err, w.SummaryErr)
	}
	if model.Calls() != 2 || !strings.Contains(prompts[1], "SUMMARY ONE") || !strings.Contains(w.Messages[0].Content, "SUMMARY TWO") {
		t.Errorf("second summary: calls %d, prompt %q", model.Calls(), prompts[1])
	}
}

func TestSummarizationKeepsPinnedAndSurvivesFailure(t *testing.T) {
	ctx := context.Background()
	model := llmtest.New(llmtest.Fail(&llm.Error{Kind: llm.KindUnavailable}), llmtest.Text("S"))
	h := newHistory(t, memory.HistoryOptions{Summarizer: model, SummarizeAt: 300, KeepRecent: 100})
	recs, err := h.Append(ctx, conversation(5, 30)...)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Pin(ctx, recs[0].ID, true); err != nil {
		t.Fatal(err)
	}
	w, err := h.Window(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if w.SummaryErr == nil || !errors.Is(w.SummaryErr, llm.ErrUnavailable) {
		t.Errorf("SummaryErr = %v, want the model's error", w.SummaryErr)
	}
	if len(w.Kept) != len(recs) {
		t.Errorf("failed summary dropped messages: %d of %d", len(w.Kept), len(recs))
	}
	changed, err := h.Summarize(ctx)
	if err != nil || !changed {
		t.Fatalf("Summarize: %v, %v", changed, err)
	}
	w, err = h.Window(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if w.Kept[0].ID != recs[0].ID {
		t.Error("the pinned message was summarized away")
	}
}

func BenchmarkWindow100kTokens(b *testing.B) {
	ctx := context.Background()
	var msgs []llm.Message
	for seed := uint64(0); memory.CountMessages(nil, msgs) < 100_000; seed++ {
		msgs = append(msgs, conversation(seed, 50)...)
	}
	h := newHistory(b, memory.HistoryOptions{System: "sys"}, msgs...)
	tr, err := h.Transcript(ctx)
	if err != nil {
		b.Fatal(err)
	}
	total := memory.CountMessages(nil, msgs)
	b.Run("BuildWindow", func(b *testing.B) {
		// Counting every message afresh each time.
		b.ReportAllocs()
		for b.Loop() {
			if _, err := memory.BuildWindow(tr, memory.WindowOptions{Budget: 8000, System: "sys"}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(total), "history-tokens")
		b.ReportMetric(float64(len(msgs)), "messages")
	})
	b.Run("History.Window", func(b *testing.B) {
		// Load from the in-memory store and window, token counts cached.
		b.ReportAllocs()
		for b.Loop() {
			if _, err := h.Window(ctx, 8000); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func TestSummaryInputIsCapped(t *testing.T) {
	ctx := context.Background()
	var sizes []int
	model := llmtest.Loop(llmtest.Func(func(ctx context.Context, req *llm.Request) (*llm.Response, error) {
		sizes = append(sizes, memory.CountMessages(nil, req.Messages))
		return &llm.Response{Message: llm.AssistantMessage("S")}, nil
	}))
	h := newHistory(t, memory.HistoryOptions{Summarizer: model, SummarizeAt: 400, KeepRecent: 200, SummaryInput: 500}, conversation(9, 120)...)
	for range 3 {
		if _, err := h.Window(ctx, 0); err != nil {
			t.Fatal(err)
		}
	}
	if len(sizes) != 3 {
		t.Fatalf("%d summarizer calls, want one per window while over the threshold", len(sizes))
	}
	for _, n := range sizes {
		// The cap, the instructions, and at most one turn over it.
		if n > 500+400 {
			t.Errorf("summarizer prompt of %d tokens, cap 500", n)
		}
	}
	tr, _ := h.Transcript(ctx)
	if tr.Summary.Through == 0 || tr.Summary.Through >= int64(len(tr.Messages)) {
		t.Errorf("summary through %d of %d", tr.Summary.Through, len(tr.Messages))
	}
}
