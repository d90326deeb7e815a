package llm_test

import (
	"context"
	"errors"
	"iter"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/llm/llmtest"
)

var fast = llm.RetryPolicy{BaseDelay: time.Millisecond, MaxDelay: 4 * time.Millisecond}

func req(text string) *llm.Request {
	return &llm.Request{Messages: []llm.Message{llm.UserMessage(text)}}
}

func TestRetry(t *testing.T) {
	rate := &llm.Error{Kind: llm.KindRateLimit, RetryAfter: 5 * time.Millisecond}
	unavailable := &llm.Error{Kind: llm.KindUnavailable}
	auth := &llm.Error{Kind: llm.KindAuth}
	tests := []struct {
		name      string
		steps     []llmtest.Step
		policy    llm.RetryPolicy
		wantErr   error
		wantCalls int
	}{
		{"succeeds after transient errors", []llmtest.Step{llmtest.Fail(rate), llmtest.Fail(unavailable), llmtest.Text("ok")}, fast, nil, 3},
		{"never retries auth", []llmtest.Step{llmtest.Fail(auth), llmtest.Text("ok")}, fast, llm.ErrAuth, 1},
		{"gives up after max retries", []llmtest.Step{llmtest.Fail(unavailable), llmtest.Fail(unavailable), llmtest.Fail(unavailable)}, llm.RetryPolicy{MaxRetries: 2, BaseDelay: time.Millisecond}, llm.ErrUnavailable, 3},
		{"retry-after beyond the cap is not waited for", []llmtest.Step{llmtest.Fail(&llm.Error{Kind: llm.KindRateLimit, RetryAfter: time.Hour}), llmtest.Text("ok")}, fast, llm.ErrRateLimit, 1},
		{"negative max retries disables", []llmtest.Step{llmtest.Fail(unavailable), llmtest.Text("ok")}, llm.RetryPolicy{MaxRetries: -1}, llm.ErrUnavailable, 1},
	}
	for _, tt := range tests {
		for _, stream := range []bool{false, true} {
			name := tt.name
			if stream {
				name += "/stream"
			}
			t.Run(name, func(t *testing.T) {
				m := llmtest.New(tt.steps...)
				r := llm.Retry(tt.policy)(m)
				var resp *llm.Response
				var err error
				if stream {
					resp, err = llm.Collect(r.Stream(context.Background(), req("hi")))
				} else {
					resp, err = r.Generate(context.Background(), req("hi"))
				}
				if tt.wantErr == nil && (err != nil || resp.Text() != "ok") {
					t.Fatalf("got %v, %v", resp, err)
				}
				if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				if m.Calls() != tt.wantCalls {
					t.Errorf("calls = %d, want %d", m.Calls(), tt.wantCalls)
				}
			})
		}
	}
}

func TestRetryHonoursRetryAfter(t *testing.T) {
	m := llmtest.New(llmtest.Fail(&llm.Error{Kind: llm.KindRateLimit, RetryAfter: 30 * time.Millisecond}), llmtest.Text("ok"))
	var waited time.Duration
	p := fast
	p.OnRetry = func(_ int, _ error, d time.Duration) { waited = d }
	if _, err := llm.Retry(p)(m).Generate(context.Background(), req("x")); err != nil {
		t.Fatal(err)
	}
	if waited < 30*time.Millisecond || waited > 34*time.Millisecond {
		t.Errorf("waited %v, want retry-after 30ms plus at most 10%% jitter", waited)
	}
}

func TestRetryStopsOnCancel(t *testing.T) {
	m := llmtest.New(llmtest.Fail(&llm.Error{Kind: llm.KindUnavailable}), llmtest.Text("ok"))
	ctx, cancel := context.WithCancel(context.Background())
	p := llm.RetryPolicy{BaseDelay: time.Hour, MaxDelay: time.Hour, OnRetry: func(int, error, time.Duration) { cancel() }}
	_, err := llm.Retry(p)(m).Generate(ctx, req("x"))
	if !errors.Is(err, llm.ErrUnavailable) || m.Calls() != 1 {
		t.Fatalf("err = %v, calls = %d", err, m.Calls())
	}
}

func TestRetryDoesNotRepeatAStartedStream(t *testing.T) {
	cut := &llm.Error{Kind: llm.KindUnavailable, Message: "stream cut"}
	m := llmtest.New(llmtest.Step{Chunks: []llm.Chunk{{Text: "partial"}}, Err: cut}, llmtest.Text("again"))
	var texts []string
	var last error
	for c, err := range llm.Retry(fast)(m).Stream(context.Background(), req("x")) {
		if err != nil {
			last = err
			break
		}
		texts = append(texts, c.Text)
	}
	if !errors.Is(last, llm.ErrUnavailable) || len(texts) != 1 || m.Calls() != 1 {
		t.Fatalf("texts=%v err=%v calls=%d", texts, last, m.Calls())
	}
}

// gate is a model that counts calls in flight and blocks until released.
type gate struct {
	inflight, peak atomic.Int32
	release        chan struct{}
}

func (g *gate) Generate(ctx context.Context, r *llm.Request) (*llm.Response, error) {
	n := g.inflight.Add(1)
	defer g.inflight.Add(-1)
	for {
		p := g.peak.Load()
		if n <= p || g.peak.CompareAndSwap(p, n) {
			break
		}
	}
	select {
	case <-g.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return &llm.Response{Message: llm.AssistantMessage("ok")}, nil
}

func (g *gate) Stream(ctx context.Context, r *llm.Request) iter.Seq2[llm.Chunk, error] {
	return llm.StreamOf(g.Generate(ctx, r))
}

func TestLimitConcurrency(t *testing.T) {
	g := &gate{release: make(chan struct{})}
	m := llm.Limit(llm.Limits{MaxConcurrent: 2})(g)
	var wg sync.WaitGroup
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := m.Generate(context.Background(), req("x")); err != nil {
				t.Error(err)
			}
		}()
	}
	// Wait until two calls are in flight, then let all through one by one.
	for g.inflight.Load() < 2 {
		time.Sleep(time.Millisecond)
	}
	for range 6 {
		g.release <- struct{}{}
	}
	wg.Wait()
	if p := g.peak.Load(); p != 2 {
		t.Errorf("peak concurrency = %d, want 2", p)
	}
}

func TestLimitWaitHonoursContext(t *testing.T) {
	g := &gate{release: make(chan struct{})}
	m := llm.Limit(llm.Limits{MaxConcurrent: 1})(g)
	go m.Generate(context.Background(), req("holds the slot"))
	for g.inflight.Load() < 1 {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := m.Generate(ctx, req("waits")); !errors.Is(err, llm.ErrTimeout) {
		t.Errorf("err = %v, want timeout", err)
	}
	close(g.release)
}

func TestLimitRate(t *testing.T) {
	m := llm.Limit(llm.Limits{RequestsPerSecond: 1000, Burst: 1})(llmtest.Loop(llmtest.Text("ok")))
	for range 5 {
		if _, err := m.Generate(context.Background(), req("x")); err != nil {
			t.Fatal(err)
		}
	}
}

func TestCache(t *testing.T) {
	m := llmtest.New(llmtest.Text("first"), llmtest.Text("second"), llmtest.Text("third"))
	store := llm.NewMemoryCache(8)
	c := llm.Chain(m, llm.Cache(store))
	ctx := context.Background()
	a, _ := c.Generate(ctx, req("q1"))
	b, _ := c.Generate(ctx, req("q1"))
	if a.Text() != "first" || b.Text() != "first" || m.Calls() != 1 {
		t.Fatalf("same request: %q %q calls=%d", a.Text(), b.Text(), m.Calls())
	}
	s, err := llm.Collect(c.Stream(ctx, req("q1")))
	if err != nil || s.Text() != "first" || m.Calls() != 1 {
		t.Fatalf("stream from cache: %v %v", s, err)
	}
	d, _ := c.Generate(ctx, &llm.Request{Messages: []llm.Message{llm.UserMessage("q1")}, Temperature: llm.Ptr(0.0)})
	if d.Text() != "second" {
		t.Errorf("a different request must miss: %q", d.Text())
	}
	s2, _ := llm.Collect(c.Stream(ctx, req("q2")))
	s3, _ := c.Generate(ctx, req("q2"))
	if s2.Text() != "third" || s3.Text() != "third" || store.Len() != 3 {
		t.Errorf("stream result must be cached: %q %q len=%d", s2.Text(), s3.Text(), store.Len())
	}
}

func TestCacheDoesNotStoreErrorsAndEvicts(t *testing.T) {
	m := llmtest.New(llmtest.Fail(&llm.Error{Kind: llm.KindUnavailable}), llmtest.Text("ok"))
	c := llm.Cache(llm.NewMemoryCache(1))(m)
	if _, err := c.Generate(context.Background(), req("x")); err == nil {
		t.Fatal("want error")
	}
	if r, err := c.Generate(context.Background(), req("x")); err != nil || r.Text() != "ok" {
		t.Fatalf("%v %v", r, err)
	}
	s := llm.NewMemoryCache(2)
	for _, k := range []string{"a", "b", "c"} {
		s.Put(k, &llm.Response{})
	}
	if _, ok := s.Get("a"); ok || s.Len() != 2 {
		t.Errorf("LRU eviction failed: len=%d", s.Len())
	}
}

func TestChainOrderAndInfo(t *testing.T) {
	var order []string
	tag := func(name string) llm.Middleware {
		return func(next llm.Model) llm.Model {
			return funcModel{next: next, before: func() { order = append(order, name) }}
		}
	}
	base := llmtest.New(llmtest.Text("ok")).WithInfo(llm.Info{Provider: "p", Model: "m"})
	m := llm.Chain(base, tag("outer"), tag("inner"), llm.Retry(fast))
	if _, err := m.Generate(context.Background(), req("x")); err != nil {
		t.Fatal(err)
	}
	if len(order) != 2 || order[0] != "outer" || order[1] != "inner" {
		t.Errorf("order = %v", order)
	}
	if info := llm.InfoOf(llm.Retry(fast)(base)); info.Provider != "p" || info.Model != "m" {
		t.Errorf("middleware must pass Info through: %+v", info)
	}
}

type funcModel struct {
	next   llm.Model
	before func()
}

func (f funcModel) Generate(ctx context.Context, r *llm.Request) (*llm.Response, error) {
	f.before()
	return f.next.Generate(ctx, r)
}
func (f funcModel) Stream(ctx context.Context, r *llm.Request) iter.Seq2[llm.Chunk, error] {
	f.before()
	return f.next.Stream(ctx, r)
}
