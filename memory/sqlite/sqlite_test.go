package sqlite_test

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/llm/llmtest"
	"github.com/plait-ai/plait/memory"
	"github.com/plait-ai/plait/memory/memorytest"
	"github.com/plait-ai/plait/memory/sqlite"
)

// The test binary doubles as the child process of the multi-process
// tests: with PLAIT_MEMORY_CHILD set it plays that role and exits.
func TestMain(m *testing.M) {
	switch os.Getenv("PLAIT_MEMORY_CHILD") {
	case "":
		os.Exit(m.Run())
	case "writer":
		os.Exit(childWriter())
	case "agent":
		os.Exit(childAgent())
	default:
		fmt.Fprintln(os.Stderr, "unknown child role")
		os.Exit(2)
	}
}

func open(t testing.TB, path string, opts *sqlite.Options) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), path, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestStoreContract(t *testing.T) {
	memorytest.TestStore(t, func(t *testing.T) memory.Store {
		return open(t, filepath.Join(t.TempDir(), "m.db"), nil)
	})
}

func TestNoteStoreContract(t *testing.T) {
	memorytest.TestNoteStore(t, func(t *testing.T) memory.NoteStore {
		return open(t, filepath.Join(t.TempDir(), "m.db"), nil)
	})
}

func TestReopenKeepsEverything(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "m.db")
	s, err := sqlite.Open(ctx, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	conv := memory.NewID()
	recs, err := s.Append(ctx, conv, memorytest.Text("m", 5)...)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.ReplaceSummary(ctx, conv, memory.Summary{Text: "sum", Through: 2}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPinned(ctx, conv, recs[3].ID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SaveNote(ctx, memory.Note{Text: "note"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Load(ctx, conv, 0); !errors.Is(err, memory.ErrUnavailable) {
		t.Errorf("Load after Close: err = %v, want ErrUnavailable", err)
	}
	s2 := open(t, path, nil)
	tr, err := s2.Load(ctx, conv, 0)
	if err != nil {
		t.Fatal(err)
	}
	memorytest.CheckOrder(t, tr.Messages)
	if len(tr.Messages) != 5 || tr.Summary.Text != "sum" || !tr.Messages[3].Pinned {
		t.Errorf("after reopening: %d messages, summary %+v, pinned %v", len(tr.Messages), tr.Summary, tr.Messages[3].Pinned)
	}
	if notes, _ := s2.Notes(ctx, ""); len(notes) != 1 {
		t.Errorf("after reopening: %d notes", len(notes))
	}
}

func TestMigrationFromVersion1(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "m.db")
	s := open(t, path, nil)
	conv := memory.NewID()
	if _, err := s.Append(ctx, conv, memorytest.Text("m", 3)...); err != nil {
		t.Fatal(err)
	}
	s.Close()
	// Make the file look like one written by schema version 1 (no notes).
	raw := rawDB(t, path)
	for _, q := range []string{`DROP TABLE notes`, `DROP TABLE notes_version`, `UPDATE schema_version SET version = 1`} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	raw.Close()
	s2 := open(t, path, nil)
	if _, err := s2.SaveNote(ctx, memory.Note{Text: "after migration"}); err != nil {
		t.Fatalf("SaveNote after migration: %v", err)
	}
	if tr, err := s2.Load(ctx, conv, 0); err != nil || len(tr.Messages) != 3 {
		t.Errorf("messages after migration: %v", err)
	}
	raw = rawDB(t, path)
	defer raw.Close()
	var v int
	if err := raw.QueryRow(`SELECT version FROM schema_version`).Scan(&v); err != nil || v != sqlite.SchemaVersion {
		t.Errorf("schema version %d (%v), want %d", v, err, sqlite.SchemaVersion)
	}
}

func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func TestNewerSchemaRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.db")
	open(t, path, nil).Close()
	raw := rawDB(t, path)
	if _, err := raw.Exec(`UPDATE schema_version SET version = 99`); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	_, err := sqlite.Open(context.Background(), path, nil)
	if !errors.Is(err, memory.ErrCorrupt) || !strings.Contains(err.Error(), "newer") {
		t.Errorf("Open of a newer schema: err = %v", err)
	}
}

func TestCorruptFile(t *testing.T) {
	tests := []struct {
		name    string
		content []byte
	}{
		{"text", []byte(strings.Repeat("this is not a database\n", 200))},
		{"bad header", append([]byte("SQLite format 3\x00"), make([]byte, 4080)...)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "m.db")
			if err := os.WriteFile(path, tc.content, 0o600); err != nil {
				t.Fatal(err)
			}
			s, err := sqlite.Open(context.Background(), path, nil)
			if err == nil {
				s.Close()
				t.Fatal("Open of a corrupt file succeeded")
			}
			if !errors.Is(err, memory.ErrCorrupt) || !strings.Contains(err.Error(), path) {
				t.Errorf("Open: err = %v, want ErrCorrupt naming the file", err)
			}
		})
	}
	t.Run("missing directory", func(t *testing.T) {
		_, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "missing", "dir", "m.db"), nil)
		if !errors.Is(err, memory.ErrUnavailable) {
			t.Fatalf("Open in a missing directory: err = %v, want ErrUnavailable", err)
		}
	})
	t.Run("damaged pages", func(t *testing.T) {
		ctx := context.Background()
		path := filepath.Join(t.TempDir(), "m.db")
		s, err := sqlite.Open(ctx, path, nil)
		if err != nil {
			t.Fatal(err)
		}
		conv := memory.NewID()
		if _, err := s.Append(ctx, conv, memorytest.Text(strings.Repeat("long message ", 50), 200)...); err != nil {
			t.Fatal(err)
		}
		s.Close()
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) < 16384 {
			t.Fatalf("file of %d bytes is too small to damage", len(b))
		}
		// Overwrite everything after the first page with garbage.
		for i := 4096; i < len(b); i++ {
			b[i] = byte(i*7 + 3)
		}
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		s, err = sqlite.Open(ctx, path, nil)
		if err == nil {
			defer s.Close()
			_, err = s.Load(ctx, conv, 0)
		}
		if !errors.Is(err, memory.ErrCorrupt) {
			t.Errorf("damaged file: err = %v, want ErrCorrupt from Open or Load", err)
		}
	})
}

func TestLockedFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "m.db")
	s := open(t, path, &sqlite.Options{BusyTimeout: 200 * time.Millisecond})
	conv := memory.NewID()
	if _, err := s.Append(ctx, conv, memorytest.Text("m", 1)...); err != nil {
		t.Fatal(err)
	}
	// Another writer holds the write lock.
	raw := rawDB(t, path)
	defer raw.Close()
	c, err := raw.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ExecContext(ctx, "BEGIN EXCLUSIVE"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = s.Append(ctx, conv, memorytest.Text("locked", 1)...)
	waited := time.Since(start)
	if !errors.Is(err, memory.ErrBusy) {
		t.Errorf("Append on a locked file: err = %v, want ErrBusy", err)
	}
	if waited < 150*time.Millisecond {
		t.Errorf("gave up after %v, before the busy timeout", waited)
	}
	// Readers are not blocked (WAL).
	if tr, err := s.Load(ctx, conv, 0); err != nil || len(tr.Messages) != 1 {
		t.Errorf("Load while locked: %v", err)
	}
	c.ExecContext(ctx, "ROLLBACK")
	c.Close()
	if _, err := s.Append(ctx, conv, memorytest.Text("after", 1)...); err != nil {
		t.Errorf("Append after the lock is released: %v", err)
	}
	tr, _ := s.Load(ctx, conv, 0)
	memorytest.CheckOrder(t, tr.Messages)
	if len(tr.Messages) != 2 {
		t.Errorf("%d messages, want 2 (the refused append must not be written)", len(tr.Messages))
	}
}

func TestCancelledAppendWritesNothing(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "m.db"), nil)
	conv := memory.NewID()
	if _, err := s.Append(context.Background(), conv, memorytest.Text("m", 1)...); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Append(ctx, conv, memorytest.Text("x", 3)...); err == nil {
		t.Error("Append with a cancelled context succeeded")
	}
	tr, _ := s.Load(context.Background(), conv, 0)
	if len(tr.Messages) != 1 {
		t.Errorf("%d messages after a cancelled append", len(tr.Messages))
	}
}

// childWriter appends "<name>-<i>" messages to a conversation and prints
// "ok <i>" after each append returns, until it has written N (0: forever).
func childWriter() int {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, os.Getenv("PLAIT_DB"), nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer s.Close()
	conv := uuid.MustParse(os.Getenv("PLAIT_CONV"))
	name := os.Getenv("PLAIT_WRITER")
	n, _ := strconv.Atoi(os.Getenv("PLAIT_N"))
	out := bufio.NewWriter(os.Stdout)
	for i := 0; n == 0 || i < n; i++ {
		r := memory.Record{ID: memory.NewID(), Message: llm.UserMessage(fmt.Sprintf("%s-%d", name, i))}
		if _, err := s.Append(ctx, conv, r); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if i%7 == 0 { // a retry, as after a lost reply
			if _, err := s.Append(ctx, conv, r); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
		}
		fmt.Fprintf(out, "ok %d\n", i)
		out.Flush()
	}
	return 0
}

func child(t *testing.T, role string, env ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), append([]string{"PLAIT_MEMORY_CHILD=" + role}, env...)...)
	cmd.Stderr = os.Stderr
	return cmd
}

func TestKilledWriterLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	path := filepath.Join(t.TempDir(), "m.db")
	conv := memory.NewID()
	acked := map[string]int{}
	for round, after := range []int{40, 97, 151} {
		name := fmt.Sprintf("k%d", round)
		cmd := child(t, "writer", "PLAIT_DB="+path, "PLAIT_CONV="+conv.String(), "PLAIT_WRITER="+name, "PLAIT_N=0")
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			acked[name]++
			if acked[name] == after {
				// Kill it in the middle of whatever it is doing.
				cmd.Process.Signal(syscall.SIGKILL)
				break
			}
		}
		for sc.Scan() {
			acked[name]++ // lines already written before the kill
		}
		cmd.Wait()
	}
	s := open(t, path, nil)
	tr, err := s.Load(context.Background(), conv, 0)
	if err != nil {
		t.Fatal(err)
	}
	memorytest.CheckOrder(t, tr.Messages)   // gap-free, no duplicates
	memorytest.CheckWriters(t, tr.Messages) // each writer's messages a prefix, in order
	stored := map[string]int{}
	for _, r := range tr.Messages {
		stored[strings.SplitN(r.Message.Content, "-", 2)[0]]++
	}
	for name, n := range acked {
		// Every acknowledged append is there; at most one more (written,
		// killed before its acknowledgement).
		if stored[name] < n || stored[name] > n+1 {
			t.Errorf("writer %s: %d appends acknowledged, %d stored", name, n, stored[name])
		}
	}
	t.Logf("%d messages from %d killed writers, acknowledged %v", len(tr.Messages), len(acked), acked)
}

func TestConcurrentProcessesAndGoroutines(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	path := filepath.Join(t.TempDir(), "m.db")
	s := open(t, path, nil)
	conv := memory.NewID()
	const perProc, perG, goroutines = 120, 40, 3
	var cmds []*exec.Cmd
	for p := range 2 {
		cmd := child(t, "writer", "PLAIT_DB="+path, "PLAIT_CONV="+conv.String(), fmt.Sprintf("PLAIT_WRITER=p%d", p), fmt.Sprintf("PLAIT_N=%d", perProc))
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
	}
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perG {
				if _, err := s.Append(context.Background(), conv, memory.Record{Message: llm.UserMessage(fmt.Sprintf("g%d-%d", g, i))}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("writer process: %v", err)
		}
	}
	tr, err := s.Load(context.Background(), conv, 0)
	if err != nil {
		t.Fatal(err)
	}
	if want := 2*perProc + goroutines*perG; len(tr.Messages) != want {
		t.Fatalf("%d messages, want %d", len(tr.Messages), want)
	}
	memorytest.CheckOrder(t, tr.Messages)
	memorytest.CheckWriters(t, tr.Messages)
}

// childAgent is one run of an agent: it loads the window of the
// conversation, asks the (scripted) model, and appends the run's messages.
// Run 2 checks that the model sees what run 1 said.
func childAgent() int {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, os.Getenv("PLAIT_DB"), nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer s.Close()
	h := memory.NewHistory(s, uuid.MustParse(os.Getenv("PLAIT_CONV")), memory.HistoryOptions{System: "You are helpful.", Budget: 4000})
	question := os.Getenv("PLAIT_QUESTION")
	model := llmtest.New(llmtest.Func(func(ctx context.Context, req *llm.Request) (*llm.Response, error) {
		var seen []string
		for _, m := range req.Messages {
			seen = append(seen, string(m.Role)+": "+m.Content)
		}
		all := strings.Join(seen, "\n")
		answer := "Nice to meet you, Ada."
		if strings.Contains(question, "my name") {
			if !strings.Contains(all, "I am Ada") {
				return nil, fmt.Errorf("the model does not see the first run:\n%s", all)
			}
			answer = "Your name is Ada."
		}
		return &llm.Response{Message: llm.AssistantMessage(answer)}, nil
	}))
	w, err := h.Window(ctx, 0)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	user := llm.UserMessage(question)
	resp, err := model.Generate(ctx, &llm.Request{Messages: append(w.Messages, user)})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if _, err := h.Append(ctx, user, resp.Message); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println(resp.Text())
	return 0
}

func TestAgentContinuesAcrossProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	path := filepath.Join(t.TempDir(), "agent.db")
	conv := memory.NewID()
	for _, q := range []string{"Hello, I am Ada.", "What is my name?"} {
		cmd := child(t, "agent", "PLAIT_DB="+path, "PLAIT_CONV="+conv.String(), "PLAIT_QUESTION="+q)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("run %q: %v", q, err)
		}
		t.Logf("%s -> %s", q, strings.TrimSpace(string(out)))
	}
	s := open(t, path, nil)
	h := memory.NewHistory(s, conv, memory.HistoryOptions{})
	msgs, err := h.Messages(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Hello, I am Ada.", "Nice to meet you, Ada.", "What is my name?", "Your name is Ada."}
	if len(msgs) != len(want) {
		t.Fatalf("%d messages stored, want %d", len(msgs), len(want))
	}
	for i, w := range want {
		if msgs[i].Content != w {
			t.Errorf("message %d = %q, want %q", i, msgs[i].Content, w)
		}
	}
}

// BenchmarkAppend appends one message to a 1,000-message conversation.
func BenchmarkAppend(b *testing.B) {
	memorytest.BenchAppend(b, open(b, filepath.Join(b.TempDir(), "bench.db"), nil))
}

// BenchmarkLoad1000 loads a 1,000-message conversation.
func BenchmarkLoad1000(b *testing.B) {
	memorytest.BenchLoad(b, open(b, filepath.Join(b.TempDir(), "bench.db"), nil))
}
