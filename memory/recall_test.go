package memory_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/plait-ai/plait/memory"
	"github.com/plait-ai/plait/tools"
)

func TestTerms(t *testing.T) {
	tests := []struct {
		text string
		want []string
	}{
		{"Hello, World!", []string{"hello", "world"}},
		{"notes queries boxes class", []string{"note", "query", "box", "class"}},
		{"the agent's plan", []string{"the", "agent", "plan"}},
		{"北京大学", []string{"北京", "京大", "大学"}},
		{"我", []string{"我"}},
		{"用PostgreSQL备份", []string{"用", "postgresql", "备份"}},
		{"数据库，备份。", []string{"数据", "据库", "备份"}},
		{"Café 42", []string{"café", "42"}},
		{"", nil},
	}
	for _, tc := range tests {
		if got := memory.Terms(tc.text); !slices.Equal(got, tc.want) {
			t.Errorf("Terms(%q) = %q, want %q", tc.text, got, tc.want)
		}
	}
}

func FuzzTerms(f *testing.F) {
	for _, s := range []string{"hello world", "北京大学", "a's", "\xff", "ＡＢＣ１２３", "ies"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, term := range memory.Terms(s) {
			if term == "" || strings.ContainsAny(term, " \t\n") {
				t.Fatalf("Terms(%q) gave term %q", s, term)
			}
		}
	})
}

func TestRecallRanking(t *testing.T) {
	ctx := context.Background()
	r := memory.NewRecall(memory.NewMemStore(), "")
	for _, text := range []string{
		"Cats sleep most of the day.",
		"The cat and the dog are friends. The cat is older.",
		"Dogs need a walk every day.",
	} {
		if _, err := r.Remember(ctx, memory.Note{Text: text}); err != nil {
			t.Fatal(err)
		}
	}
	hits, err := r.Search(ctx, "cat", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != 2 || !strings.Contains(hits[0].Note.Text, "friends") || hits[0].Score <= hits[1].Score {
		t.Errorf("Search(cat) = %+v", hits)
	}
	if hits, _ := r.Search(ctx, "elephant", 0); len(hits) != 0 {
		t.Errorf("unrelated query found %d notes", len(hits))
	}
	if _, err := r.Remember(ctx, memory.Note{Text: "  "}); err == nil {
		t.Error("an empty note was saved")
	}
}

func TestRememberAndRecallTools(t *testing.T) {
	ctx := context.Background()
	r := memory.NewRecall(memory.NewMemStore(), "user-1")
	var remember, recall tools.Tool = memory.RememberTool(r), memory.RecallTool(r)
	for _, tool := range []tools.Tool{remember, recall} {
		spec := tool.Spec()
		var schema map[string]any
		if err := json.Unmarshal(spec.Parameters, &schema); err != nil || schema["type"] != "object" || spec.Description == "" {
			t.Errorf("%s: bad spec: %v", spec.Name, err)
		}
	}
	if remember.Spec().Name != "remember" || recall.Spec().Name != "recall" {
		t.Error("tool names")
	}
	out, err := remember.Call(ctx, json.RawMessage(`{"text":"会议改到周五下午三点","tags":["会议"]}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(out)
	if !strings.Contains(string(b), `"saved":true`) {
		t.Errorf("remember returned %s", b)
	}
	if _, err := remember.Call(ctx, json.RawMessage(`{"text":"The release is on June 3rd.","title":"release date"}`)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args, want string
	}{
		{`{"query":"会议时间"}`, "周五"},
		{`{"query":"when is the release","limit":1}`, "June"},
	}
	for _, tc := range tests {
		out, err := recall.Call(ctx, json.RawMessage(tc.args))
		if err != nil {
			t.Fatalf("recall %s: %v", tc.args, err)
		}
		b, _ := json.Marshal(out)
		var res memory.RecallResult
		if err := json.Unmarshal(b, &res); err != nil || len(res.Notes) == 0 || !strings.Contains(res.Notes[0].Text, tc.want) {
			t.Errorf("recall %s = %s", tc.args, b)
		}
	}
	for _, bad := range []string{`{}`, `{"query":""}`, `{"query":"x","limit":0}`, `{"query":"x","limit":99}`, `{"query":"x","extra":1}`, `[1]`, `not json`} {
		if _, err := recall.Call(ctx, json.RawMessage(bad)); err == nil {
			t.Errorf("recall accepted %s", bad)
		}
	}
	for _, bad := range []string{`{}`, `{"text":"  "}`, `{"text":5}`} {
		if _, err := remember.Call(ctx, json.RawMessage(bad)); err == nil {
			t.Errorf("remember accepted %s", bad)
		}
	}
}

func FuzzRecallToolArgs(f *testing.F) {
	for _, s := range []string{`{"query":"x"}`, `{"query":"北京","limit":3}`, `{}`, `null`, `{"limit":-1}`, `"str"`} {
		f.Add(s)
	}
	r := memory.NewRecall(memory.NewMemStore(), "")
	r.Remember(context.Background(), memory.Note{Text: "北京 weather note"})
	tool := memory.RecallTool(r)
	f.Fuzz(func(t *testing.T, args string) {
		out, err := tool.Call(context.Background(), json.RawMessage(args))
		if err == nil && out == nil {
			t.Fatal("nil output without error")
		}
	})
}

func TestRecallConcurrent(t *testing.T) {
	ctx := context.Background()
	r := memory.NewRecall(memory.NewMemStore(), "")
	done := make(chan error, 8)
	for g := range 4 {
		go func() {
			for i := range 20 {
				if _, err := r.Remember(ctx, memory.Note{Text: fmt.Sprintf("note %d of writer %d about kubernetes", i, g)}); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
		go func() {
			for range 20 {
				if _, err := r.Search(ctx, "kubernetes writer", 3); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if hits, _ := r.Search(ctx, "kubernetes", 0); len(hits) != 80 {
		t.Errorf("found %d notes, want 80", len(hits))
	}
}
