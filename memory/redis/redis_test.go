package redis_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	goredis "github.com/redis/go-redis/v9"

	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/memory"
	"github.com/plait-ai/plait/memory/memorytest"
	"github.com/plait-ai/plait/memory/redis"
)

func TestMain(m *testing.M) {
	if os.Getenv("PLAIT_MEMORY_CHILD") == "writer" {
		os.Exit(childWriter())
	}
	os.Exit(m.Run())
}

// server is a redis-server the tests start on a free loopback port.
type server struct {
	t    testing.TB
	dir  string
	port string
	cmd  *exec.Cmd
}

// startRedis starts a private redis-server. Without the binary the test is
// skipped, except under CI (CI set), where it fails: .ci/run installs it.
func startRedis(t testing.TB) *server {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("redis-server is not installed; .ci/run installs Debian's redis-server package")
		}
		t.Skip("redis-server is not installed (apt-get install redis-server)")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	s := &server{t: t, dir: t.TempDir(), port: port}
	s.start()
	t.Cleanup(s.stop)
	return s
}

func (s *server) addr() string { return "127.0.0.1:" + s.port }

func (s *server) start() {
	s.t.Helper()
	s.cmd = exec.Command("redis-server", "--port", s.port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", s.dir)
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", s.addr(), 100*time.Millisecond)
		if err == nil {
			c.Close()
			rdb := goredis.NewClient(&goredis.Options{Addr: s.addr()})
			err = rdb.Ping(context.Background()).Err()
			rdb.Close()
			if err == nil {
				return
			}
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("redis-server did not start on %s: %v", s.addr(), err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *server) stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Kill()
		s.cmd.Wait()
		s.cmd = nil
	}
}

func openStore(t testing.TB, srv *server, prefix string) *redis.Store {
	t.Helper()
	// Few dial retries so that a server that went away is reported fast.
	rdb := goredis.NewClient(&goredis.Options{Addr: srv.addr(), MaxRetries: 1, DialTimeout: time.Second, DialerRetries: 1, DialerRetryTimeout: 10 * time.Millisecond})
	s := redis.New(rdb, &redis.Options{Prefix: prefix, CloseClient: true})
	t.Cleanup(func() { s.Close() })
	return s
}

func TestStoreContract(t *testing.T) {
	srv := startRedis(t)
	n := 0
	memorytest.TestStore(t, func(t *testing.T) memory.Store {
		n++
		return openStore(t, srv, fmt.Sprintf("test%d", n))
	})
}

func TestNoteStoreContract(t *testing.T) {
	srv := startRedis(t)
	n := 0
	memorytest.TestNoteStore(t, func(t *testing.T) memory.NoteStore {
		n++
		return openStore(t, srv, fmt.Sprintf("notes%d", n))
	})
}

func TestOpenURL(t *testing.T) {
	srv := startRedis(t)
	s, err := redis.Open(context.Background(), "redis://"+srv.addr()+"/1")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Append(context.Background(), memory.NewID(), memorytest.Text("m", 1)...); err != nil {
		t.Fatal(err)
	}
	if _, err := redis.Open(context.Background(), "redis://127.0.0.1:1/0"); !errors.Is(err, memory.ErrUnavailable) {
		t.Errorf("Open of a closed port: err = %v, want ErrUnavailable", err)
	}
}

func TestServerGoesAwayAndComesBack(t *testing.T) {
	srv := startRedis(t)
	s := openStore(t, srv, "away")
	ctx := context.Background()
	conv := memory.NewID()
	if _, err := s.Append(ctx, conv, memorytest.Text("before", 3)...); err != nil {
		t.Fatal(err)
	}
	srv.stop()
	for _, op := range []struct {
		name string
		run  func() error
	}{
		{"Append", func() error { _, err := s.Append(ctx, conv, memorytest.Text("lost", 1)...); return err }},
		{"Load", func() error { _, err := s.Load(ctx, conv, 0); return err }},
		{"List", func() error { _, err := s.List(ctx, 0); return err }},
		{"ReplaceSummary", func() error { return s.ReplaceSummary(ctx, conv, memory.Summary{Text: "s", Through: 1}) }},
		{"Notes", func() error { _, err := s.Notes(ctx, ""); return err }},
	} {
		err := op.run()
		if !errors.Is(err, memory.ErrUnavailable) {
			t.Errorf("%s while the server is down: err = %v, want ErrUnavailable", op.name, err)
		}
	}
	// A History sees the same typed error, without panicking.
	h := memory.NewHistory(s, conv, memory.HistoryOptions{})
	if _, err := h.Window(ctx, 100); !errors.Is(err, memory.ErrUnavailable) {
		t.Errorf("Window while down: err = %v", err)
	}
	srv.start() // an empty server on the same port (no persistence)
	rec := memory.Record{ID: memory.NewID(), Message: llm.UserMessage("after")}
	var err error
	for range 50 { // the client reconnects by itself
		if _, err = s.Append(ctx, conv, rec); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("Append after the server came back: %v", err)
	}
	tr, err := s.Load(ctx, conv, 0)
	if err != nil || len(tr.Messages) != 1 || tr.Messages[0].ID != rec.ID {
		t.Errorf("Load after the server came back: %v", err)
	}
}

func childWriter() int {
	ctx := context.Background()
	rdb := goredis.NewClient(&goredis.Options{Addr: os.Getenv("PLAIT_REDIS")})
	s := redis.New(rdb, &redis.Options{Prefix: "kill", CloseClient: true})
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
		if i%7 == 0 {
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

func child(t *testing.T, env ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), append([]string{"PLAIT_MEMORY_CHILD=writer"}, env...)...)
	cmd.Stderr = os.Stderr
	return cmd
}

func TestKilledWritersAndConcurrentProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	srv := startRedis(t)
	conv := memory.NewID()
	acked := map[string]int{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	// Two processes at once, each killed mid-way, and one that finishes.
	for p, after := range []int{60, 113, 0} {
		name := fmt.Sprintf("p%d", p)
		n := "0"
		if after == 0 {
			n = "150"
		}
		cmd := child(t, "PLAIT_REDIS="+srv.addr(), "PLAIT_CONV="+conv.String(), "PLAIT_WRITER="+name, "PLAIT_N="+n)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sc := bufio.NewScanner(stdout)
			count := 0
			for sc.Scan() {
				count++
				if count == after {
					cmd.Process.Signal(syscall.SIGKILL)
				}
			}
			cmd.Wait()
			mu.Lock()
			acked[name] = count
			mu.Unlock()
		}()
	}
	wg.Wait()
	s := openStore(t, srv, "kill")
	tr, err := s.Load(context.Background(), conv, 0)
	if err != nil {
		t.Fatal(err)
	}
	memorytest.CheckOrder(t, tr.Messages)
	memorytest.CheckWriters(t, tr.Messages)
	stored := map[string]int{}
	for _, r := range tr.Messages {
		stored[strings.SplitN(r.Message.Content, "-", 2)[0]]++
	}
	for name, n := range acked {
		if stored[name] < n || stored[name] > n+1 {
			t.Errorf("writer %s: %d appends acknowledged, %d stored", name, n, stored[name])
		}
	}
	if stored["p2"] != 150 {
		t.Errorf("the writer that finished stored %d of 150", stored["p2"])
	}
}

// BenchmarkAppend appends one message to a 1,000-message conversation.
func BenchmarkAppend(b *testing.B) { memorytest.BenchAppend(b, openStore(b, startRedis(b), "bench")) }

// BenchmarkLoad1000 loads a 1,000-message conversation.
func BenchmarkLoad1000(b *testing.B) { memorytest.BenchLoad(b, openStore(b, startRedis(b), "bench")) }
