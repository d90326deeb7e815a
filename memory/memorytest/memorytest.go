// Package memorytest checks that a [memory.Store] or [memory.NoteStore]
// keeps its contract: order, idempotent appends, atomic batches, typed
// errors, summaries, pins, listing, deletion and concurrent appends. Every
// store in plait runs these tests; a store written elsewhere can run them
// too:
//
//	func TestStore(t *testing.T) {
//		memorytest.TestStore(t, func(t *testing.T) memory.Store { return open(t) })
//	}
package memorytest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/memory"
)

// TestStore runs the store contract tests on stores made by open, one per
// subtest; open registers the store's cleanup with t.
func TestStore(t *testing.T, open func(t *testing.T) memory.Store) {
	tests := []struct {
		name string
		run  func(t *testing.T, s memory.Store)
	}{
		{"AppendLoad", testAppendLoad},
		{"Fidelity", testFidelity},
		{"LoadAfter", testLoadAfter},
		{"Idempotent", testIdempotent},
		{"Conflict", testConflict},
		{"NotFound", testNotFound},
		{"Summary", testSummary},
		{"Pinned", testPinned},
		{"ListDelete", testListDelete},
		{"ConcurrentAppends", testConcurrent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(t, open(t))
		})
	}
}

// Text returns user messages "prefix0", "prefix1", ... as records.
func Text(prefix string, n int) []memory.Record {
	out := make([]memory.Record, n)
	for i := range out {
		out[i] = memory.Record{Message: llm.UserMessage(prefix + strconv.Itoa(i))}
	}
	return out
}

// CheckOrder fails t unless recs have Seq 1..len(recs) in order and
// distinct ids.
func CheckOrder(t testing.TB, recs []memory.Record) {
	t.Helper()
	seen := make(map[uuid.UUID]bool, len(recs))
	for i, r := range recs {
		if r.Seq != int64(i+1) {
			t.Fatalf("record %d has Seq %d, want %d (gap or duplicate)", i, r.Seq, i+1)
		}
		if seen[r.ID] {
			t.Fatalf("record %d: id %s stored twice", i, r.ID)
		}
		seen[r.ID] = true
	}
}

func mustAppend(t *testing.T, s memory.Store, conv uuid.UUID, recs ...memory.Record) []memory.Record {
	t.Helper()
	out, err := s.Append(context.Background(), conv, recs...)
	if err != nil {
		t.Fatalf("Append: %v", err)
	}
	return out
}

func mustLoad(t *testing.T, s memory.Store, conv uuid.UUID) *memory.Transcript {
	t.Helper()
	tr, err := s.Load(context.Background(), conv, 0)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return tr
}

func testAppendLoad(t *testing.T, s memory.Store) {
	conv := memory.NewID()
	got := mustAppend(t, s, conv, Text("a", 3)...)
	if len(got) != 3 {
		t.Fatalf("Append returned %d records, want 3", len(got))
	}
	for i, r := range got {
		if r.ID == uuid.Nil || r.Seq != int64(i+1) || r.Time.IsZero() {
			t.Errorf("appended record %d = id %s seq %d time %v; want an id, seq %d and a time", i, r.ID, r.Seq, r.Time, i+1)
		}
	}
	mustAppend(t, s, conv, Text("b", 2)...)
	tr := mustLoad(t, s, conv)
	if tr.ID != conv {
		t.Errorf("transcript id %s, want %s", tr.ID, conv)
	}
	CheckOrder(t, tr.Messages)
	want := []string{"a0", "a1", "a2", "b0", "b1"}
	if len(tr.Messages) != len(want) {
		t.Fatalf("loaded %d messages, want %d", len(tr.Messages), len(want))
	}
	for i, w := range want {
		if tr.Messages[i].Message.Content != w {
			t.Errorf("message %d = %q, want %q", i, tr.Messages[i].Message.Content, w)
		}
	}
	if tr.Messages[0].ID != got[0].ID {
		t.Errorf("loaded id %s, appended id %s", tr.Messages[0].ID, got[0].ID)
	}
}

func testFidelity(t *testing.T, s memory.Store) {
	conv := memory.NewID()
	call := llm.ToolCall{ID: "call_1", Name: "search", Arguments: json.RawMessage(`{"q":"北京 weather","n":3}`)}
	msgs := []llm.Message{
		llm.SystemMessage("be brief"),
		llm.UserMessage("天气怎么样？ 🌦"),
		{Role: llm.RoleAssistant, Reasoning: "need to search", ToolCalls: []llm.ToolCall{call}},
		llm.ToolResultMessage(call, `{"temp":21}`),
		llm.AssistantMessage("21°C\nsunny"),
	}
	ts := time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC)
	recs := make([]memory.Record, len(msgs))
	for i, m := range msgs {
		recs[i] = memory.Record{Message: m, Pinned: i == 1, Time: ts}
	}
	mustAppend(t, s, conv, recs...)
	tr := mustLoad(t, s, conv)
	if len(tr.Messages) != len(msgs) {
		t.Fatalf("loaded %d messages, want %d", len(tr.Messages), len(msgs))
	}
	for i, m := range msgs {
		got := tr.Messages[i]
		gj, _ := json.Marshal(got.Message)
		wj, _ := json.Marshal(m)
		if string(gj) != string(wj) {
			t.Errorf("message %d = %s, want %s", i, gj, wj)
		}
		if got.Pinned != (i == 1) {
			t.Errorf("message %d pinned = %v", i, got.Pinned)
		}
		if !got.Time.Equal(ts.Truncate(time.Microsecond)) && !got.Time.Equal(ts) {
			t.Errorf("message %d time = %v, want %v", i, got.Time, ts)
		}
	}
}

func testLoadAfter(t *testing.T, s memory.Store) {
	conv := memory.NewID()
	mustAppend(t, s, conv, Text("m", 10)...)
	for _, after := range []int64{0, 3, 9, 10, 20} {
		tr, err := s.Load(context.Background(), conv, after)
		if err != nil {
			t.Fatalf("Load(after %d): %v", after, err)
		}
		want := 10 - after
		if want < 0 {
			want = 0
		}
		if int64(len(tr.Messages)) != want {
			t.Errorf("Load(after %d) returned %d messages, want %d", after, len(tr.Messages), want)
		}
		if len(tr.Messages) > 0 && tr.Messages[0].Seq != after+1 {
			t.Errorf("Load(after %d) starts at seq %d", after, tr.Messages[0].Seq)
		}
	}
}

func testIdempotent(t *testing.T, s memory.Store) {
	conv := memory.NewID()
	first := mustAppend(t, s, conv, Text("x", 3)...)
	// A retry of the same batch writes nothing and returns the stored records.
	again := mustAppend(t, s, conv, first...)
	for i := range first {
		if again[i].ID != first[i].ID || again[i].Seq != first[i].Seq {
			t.Errorf("re-append %d = (%s, %d), want (%s, %d)", i, again[i].ID, again[i].Seq, first[i].ID, first[i].Seq)
		}
	}
	// A batch mixing stored and new records writes only the new ones.
	newRec := memory.Record{ID: memory.NewID(), Message: llm.UserMessage("new")}
	mixed := mustAppend(t, s, conv, first[1], newRec, newRec)
	if mixed[0].Seq != 2 || mixed[1].Seq != 4 || mixed[2].Seq != 4 {
		t.Errorf("mixed batch seqs = %d %d %d, want 2 4 4", mixed[0].Seq, mixed[1].Seq, mixed[2].Seq)
	}
	tr := mustLoad(t, s, conv)
	CheckOrder(t, tr.Messages)
	if len(tr.Messages) != 4 {
		t.Fatalf("after retries %d messages stored, want 4", len(tr.Messages))
	}
}

func testConflict(t *testing.T, s memory.Store) {
	a, b := memory.NewID(), memory.NewID()
	recs := mustAppend(t, s, a, Text("a", 1)...)
	batch := append(Text("b", 2), recs[0])
	_, err := s.Append(context.Background(), b, batch...)
	if !errors.Is(err, memory.ErrConflict) {
		t.Fatalf("Append of another conversation's id: err = %v, want ErrConflict", err)
	}
	// The batch is all or nothing.
	if tr, err := s.Load(context.Background(), b, 0); err == nil && len(tr.Messages) > 0 {
		t.Errorf("a refused batch wrote %d messages", len(tr.Messages))
	}
}

func testNotFound(t *testing.T, s memory.Store) {
	ctx := context.Background()
	unknown := memory.NewID()
	if _, err := s.Load(ctx, unknown, 0); !errors.Is(err, memory.ErrNotFound) {
		t.Errorf("Load unknown: err = %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx, unknown); !errors.Is(err, memory.ErrNotFound) {
		t.Errorf("Delete unknown: err = %v, want ErrNotFound", err)
	}
	if err := s.ReplaceSummary(ctx, unknown, memory.Summary{Text: "x", Through: 1}); !errors.Is(err, memory.ErrNotFound) {
		t.Errorf("ReplaceSummary unknown: err = %v, want ErrNotFound", err)
	}
	if err := s.SetPinned(ctx, unknown, memory.NewID(), true); !errors.Is(err, memory.ErrNotFound) {
		t.Errorf("SetPinned unknown conversation: err = %v, want ErrNotFound", err)
	}
	conv := memory.NewID()
	mustAppend(t, s, conv, Text("m", 1)...)
	if err := s.SetPinned(ctx, conv, memory.NewID(), true); !errors.Is(err, memory.ErrNotFound) {
		t.Errorf("SetPinned unknown message: err = %v, want ErrNotFound", err)
	}
}

func testSummary(t *testing.T, s memory.Store) {
	ctx := context.Background()
	conv := memory.NewID()
	mustAppend(t, s, conv, Text("m", 6)...)
	if tr := mustLoad(t, s, conv); tr.Summary.Through != 0 || tr.Summary.Text != "" {
		t.Errorf("new conversation has summary %+v", tr.Summary)
	}
	if err := s.ReplaceSummary(ctx, conv, memory.Summary{Text: "first four", Through: 4}); err != nil {
		t.Fatalf("ReplaceSummary: %v", err)
	}
	tr := mustLoad(t, s, conv)
	if tr.Summary.Text != "first four" || tr.Summary.Through != 4 || tr.Summary.Time.IsZero() {
		t.Errorf("summary = %+v", tr.Summary)
	}
	if len(tr.Messages) != 6 {
		t.Errorf("summary removed messages: %d left", len(tr.Messages))
	}
	if err := s.ReplaceSummary(ctx, conv, memory.Summary{Text: "older", Through: 2}); !errors.Is(err, memory.ErrStaleSummary) {
		t.Errorf("stale ReplaceSummary: err = %v, want ErrStaleSummary", err)
	}
	if err := s.ReplaceSummary(ctx, conv, memory.Summary{Text: "first five", Through: 5}); err != nil {
		t.Fatalf("ReplaceSummary: %v", err)
	}
	if tr := mustLoad(t, s, conv); tr.Summary.Text != "first five" {
		t.Errorf("summary = %+v, want first five", tr.Summary)
	}
}

func testPinned(t *testing.T, s memory.Store) {
	ctx := context.Background()
	conv := memory.NewID()
	recs := mustAppend(t, s, conv, Text("m", 3)...)
	if err := s.SetPinned(ctx, conv, recs[1].ID, true); err != nil {
		t.Fatalf("SetPinned: %v", err)
	}
	tr := mustLoad(t, s, conv)
	for i, r := range tr.Messages {
		if r.Pinned != (i == 1) {
			t.Errorf("message %d pinned = %v", i, r.Pinned)
		}
	}
	if err := s.SetPinned(ctx, conv, recs[1].ID, false); err != nil {
		t.Fatalf("SetPinned false: %v", err)
	}
	if tr := mustLoad(t, s, conv); tr.Messages[1].Pinned {
		t.Error("message still pinned after unpinning")
	}
}

func testListDelete(t *testing.T, s memory.Store) {
	ctx := context.Background()
	a, b, c := memory.NewID(), memory.NewID(), memory.NewID()
	mustAppend(t, s, a, Text("a", 1)...)
	time.Sleep(2 * time.Millisecond)
	mustAppend(t, s, b, Text("b", 2)...)
	time.Sleep(2 * time.Millisecond)
	mustAppend(t, s, c, Text("c", 3)...)
	time.Sleep(2 * time.Millisecond)
	mustAppend(t, s, a, Text("a", 1)...) // a is now the most recent
	list, err := s.List(ctx, 0)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	pos := map[uuid.UUID]int{}
	for i, cv := range list {
		pos[cv.ID] = i + 1
		if cv.Created.IsZero() || cv.Updated.Before(cv.Created) {
			t.Errorf("conversation %s: created %v updated %v", cv.ID, cv.Created, cv.Updated)
		}
		want := map[uuid.UUID]int64{a: 2, b: 2, c: 3}[cv.ID]
		if want != 0 && cv.Messages != want {
			t.Errorf("conversation %s has %d messages, want %d", cv.ID, cv.Messages, want)
		}
	}
	if pos[a] == 0 || pos[b] == 0 || pos[c] == 0 {
		t.Fatalf("List misses conversations: %v", list)
	}
	if !(pos[a] < pos[c] && pos[c] < pos[b]) {
		t.Errorf("List order: a at %d, c at %d, b at %d; want most recently updated first", pos[a], pos[c], pos[b])
	}
	if lim, err := s.List(ctx, 1); err != nil || len(lim) != 1 {
		t.Errorf("List(1) = %d conversations, %v", len(lim), err)
	}
	if err := s.Delete(ctx, b); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := s.Load(ctx, b, 0); !errors.Is(err, memory.ErrNotFound) {
		t.Errorf("Load after Delete: err = %v, want ErrNotFound", err)
	}
	list, _ = s.List(ctx, 0)
	for _, cv := range list {
		if cv.ID == b {
			t.Error("deleted conversation still listed")
		}
	}
	// A deleted conversation's message ids may be used again.
	mustAppend(t, s, b, Text("b", 1)...)
}

func testConcurrent(t *testing.T, s memory.Store) {
	conv := memory.NewID()
	const writers, each = 6, 20
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				r := memory.Record{ID: memory.NewID(), Message: llm.UserMessage(fmt.Sprintf("w%d-%d", w, i))}
				if _, err := s.Append(context.Background(), conv, r); err != nil {
					errs <- err
					return
				}
				// A retry (as after a lost reply) must not write twice.
				if i%5 == 0 {
					if _, err := s.Append(context.Background(), conv, r); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent Append: %v", err)
	}
	tr := mustLoad(t, s, conv)
	if len(tr.Messages) != writers*each {
		t.Fatalf("%d messages stored, want %d", len(tr.Messages), writers*each)
	}
	CheckOrder(t, tr.Messages)
	CheckWriters(t, tr.Messages)
}

// CheckWriters fails t unless the messages "w<writer>-<i>" of each writer
// appear in order i = 0, 1, 2, ... with none missing or repeated.
func CheckWriters(t testing.TB, recs []memory.Record) {
	t.Helper()
	next := map[string]int{}
	for _, r := range recs {
		var w string
		var i int
		c := r.Message.Content
		k := 0
		for k < len(c) && c[k] != '-' {
			k++
		}
		if k == len(c) {
			continue
		}
		w = c[:k]
		i, err := strconv.Atoi(c[k+1:])
		if err != nil {
			continue
		}
		if i != next[w] {
			t.Fatalf("writer %s: message %d where %d was expected", w, i, next[w])
		}
		next[w]++
	}
}

// TestNoteStore runs the note store contract tests, and searches through a
// [memory.Recall] over the store.
func TestNoteStore(t *testing.T, open func(t *testing.T) memory.NoteStore) {
	t.Run("SaveListDelete", func(t *testing.T) {
		s := open(t)
		ctx := context.Background()
		v0, err := s.NotesVersion(ctx, "u1")
		if err != nil {
			t.Fatalf("NotesVersion: %v", err)
		}
		n1, err := s.SaveNote(ctx, memory.Note{Scope: "u1", Title: "t1", Text: "first", Tags: []string{"a", "b"}})
		if err != nil {
			t.Fatalf("SaveNote: %v", err)
		}
		if n1.ID == uuid.Nil || n1.Time.IsZero() {
			t.Errorf("saved note has id %s time %v", n1.ID, n1.Time)
		}
		time.Sleep(2 * time.Millisecond)
		if _, err := s.SaveNote(ctx, memory.Note{Scope: "u1", Text: "second"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SaveNote(ctx, memory.Note{Scope: "u2", Text: "other scope"}); err != nil {
			t.Fatal(err)
		}
		v1, _ := s.NotesVersion(ctx, "u1")
		if v1 == v0 {
			t.Error("NotesVersion did not change after SaveNote")
		}
		notes, err := s.Notes(ctx, "u1")
		if err != nil {
			t.Fatal(err)
		}
		if len(notes) != 2 || notes[0].Text != "first" || notes[1].Text != "second" {
			t.Fatalf("Notes(u1) = %+v", notes)
		}
		if notes[0].Title != "t1" || len(notes[0].Tags) != 2 || notes[0].Tags[1] != "b" {
			t.Errorf("note fields lost: %+v", notes[0])
		}
		// Saving an existing id replaces the note.
		n1.Text = "first, edited"
		if _, err := s.SaveNote(ctx, n1); err != nil {
			t.Fatal(err)
		}
		notes, _ = s.Notes(ctx, "u1")
		if len(notes) != 2 || notes[0].Text != "first, edited" {
			t.Errorf("after replace: %+v", notes)
		}
		if err := s.DeleteNote(ctx, n1.ID); err != nil {
			t.Fatalf("DeleteNote: %v", err)
		}
		v2, _ := s.NotesVersion(ctx, "u1")
		if v2 == v1 {
			t.Error("NotesVersion did not change after DeleteNote")
		}
		if err := s.DeleteNote(ctx, n1.ID); !errors.Is(err, memory.ErrNotFound) {
			t.Errorf("DeleteNote twice: err = %v, want ErrNotFound", err)
		}
		notes, _ = s.Notes(ctx, "u1")
		if len(notes) != 1 {
			t.Errorf("after delete %d notes", len(notes))
		}
	})
	t.Run("Recall", func(t *testing.T) {
		s := open(t)
		ctx := context.Background()
		r := memory.NewRecall(s, "team")
		docs := []memory.Note{
			{Title: "Deploy", Text: "The service deploys to Kubernetes every Tuesday after the tests pass."},
			{Title: "Preferences", Text: "Alice prefers answers in French and short summaries."},
			{Text: "我们的数据库使用PostgreSQL，备份每天凌晨三点运行。"},
			{Text: "北京大学的图书馆周末开放到晚上十点。"},
		}
		for _, d := range docs {
			if _, err := r.Remember(ctx, d); err != nil {
				t.Fatalf("Remember: %v", err)
			}
		}
		tests := []struct{ query, want string }{
			{"when do we deploy to kubernetes", "Kubernetes"},
			{"Alice's preferences", "Alice"},
			{"数据库备份", "PostgreSQL"},
			{"图书馆开放时间", "图书馆"},
			{"postgresql", "PostgreSQL"},
		}
		for _, tc := range tests {
			hits, err := r.Search(ctx, tc.query, 2)
			if err != nil {
				t.Fatalf("Search(%q): %v", tc.query, err)
			}
			if len(hits) == 0 || !contains(hits[0].Note.Text, tc.want) {
				t.Errorf("Search(%q) best hit = %+v, want the note with %q", tc.query, hits, tc.want)
			}
		}
		// A second Recall on the same store sees notes saved through the first.
		other := memory.NewRecall(s, "team")
		if hits, _ := other.Search(ctx, "kubernetes", 1); len(hits) != 1 {
			t.Errorf("second Recall found %d notes", len(hits))
		}
		if _, err := r.Remember(ctx, memory.Note{Text: "Kubernetes upgrade planned for May."}); err != nil {
			t.Fatal(err)
		}
		if hits, _ := other.Search(ctx, "kubernetes", 0); len(hits) != 2 {
			t.Errorf("after a new note the second Recall finds %d notes, want 2", len(hits))
		}
		if hits, _ := memory.NewRecall(s, "elsewhere").Search(ctx, "kubernetes", 0); len(hits) != 0 {
			t.Errorf("another scope sees %d notes", len(hits))
		}
	})
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
