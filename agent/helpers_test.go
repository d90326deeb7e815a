package agent_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/plait-ai/plait/agent"
	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/llm/llmtest"
	"github.com/plait-ai/plait/tools"
)

// gauge counts calls in flight and the most seen at once.
type gauge struct {
	cur, max, total atomic.Int32
}

func (g *gauge) enter() int32 {
	g.total.Add(1)
	n := g.cur.Add(1)
	for {
		m := g.max.Load()
		if n <= m || g.max.CompareAndSwap(m, n) {
			return n
		}
	}
}

func (g *gauge) leave() { g.cur.Add(-1) }

// barrier releases its waiters once n have arrived (or ctx ends, or a
// generous safety timeout passes, so that a serial executor makes the test
// fail rather than hang).
type barrier struct {
	n       int32
	arrived atomic.Int32
	once    sync.Once
	ch      chan struct{}
}

func newBarrier(n int) *barrier { return &barrier{n: int32(n), ch: make(chan struct{})} }

func (b *barrier) wait(ctx context.Context) {
	if b == nil {
		return
	}
	if b.arrived.Add(1) >= b.n {
		b.once.Do(func() { close(b.ch) })
	}
	select {
	case <-b.ch:
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
	}
}

type searchIn struct {
	Query string `json:"query" jsonschema:"description=What to search for."`
	Limit int    `json:"limit,omitempty"`
}

type hit struct {
	URL   string  `json:"url"`
	Title string  `json:"title"`
	Score float64 `json:"score"`
}

type searchOut struct {
	Hits []hit `json:"hits"`
}

type fetchIn struct {
	URL string `json:"url"`
}

// kit is a set of test tools with counters.
type kit struct {
	g        gauge
	bar      *barrier
	mu       sync.Mutex
	calls    []string       // "tool:arg" in call order
	failOn   map[string]int // query -> failures left
	block    chan struct{}  // when set, fetch blocks until closed or ctx ends
	started  chan string    // when set, receives each call as it starts
	doneOnce sync.Once
	sawDone  chan struct{} // closed when a blocked call sees its ctx end
}

// waitDone reports whether a blocked call saw its context end (the
// dispatcher may return before the tool's goroutine notices).
func (k *kit) waitDone() bool {
	select {
	case <-k.sawDone:
		return true
	case <-time.After(5 * time.Second):
		return false
	}
}

func (k *kit) record(s string) {
	k.mu.Lock()
	k.calls = append(k.calls, s)
	k.mu.Unlock()
	if k.started != nil {
		k.started <- s
	}
}

func (k *kit) count(s string) int {
	k.mu.Lock()
	defer k.mu.Unlock()
	n := 0
	for _, c := range k.calls {
		if c == s {
			n++
		}
	}
	return n
}

func (k *kit) tools(t testing.TB) []tools.Tool {
	search := tools.MustFunc("search", "Search the web.", func(ctx context.Context, in searchIn) (searchOut, error) {
		k.g.enter()
		defer k.g.leave()
		k.record("search:" + in.Query)
		k.bar.wait(ctx)
		k.mu.Lock()
		left := k.failOn[in.Query]
		if left > 0 {
			k.failOn[in.Query] = left - 1
		}
		k.mu.Unlock()
		if left > 0 {
			return searchOut{}, fmt.Errorf("search backend unavailable for %q", in.Query)
		}
		return searchOut{Hits: []hit{
			{URL: "https://example.com/" + strings.ReplaceAll(in.Query, " ", "-"), Title: "About " + in.Query, Score: 0.9},
			{URL: "https://example.org/" + strings.ReplaceAll(in.Query, " ", "-"), Title: "More on " + in.Query, Score: 0.4},
		}}, nil
	})
	fetch := tools.MustFunc("fetch", "Fetch a page.", func(ctx context.Context, in fetchIn) (string, error) {
		k.g.enter()
		defer k.g.leave()
		k.record("fetch:" + in.URL)
		if k.block != nil {
			select {
			case <-k.block:
			case <-ctx.Done():
				k.doneOnce.Do(func() { close(k.sawDone) })
				return "", ctx.Err()
			}
		}
		return "page " + in.URL + " says hello", nil
	})
	return []tools.Tool{search, fetch}
}

func newKit() *kit { return &kit{failOn: map[string]int{}, sawDone: make(chan struct{})} }

func mustAgent(t testing.TB, cfg agent.Config) *agent.Agent {
	t.Helper()
	a, err := agent.New(cfg)
	if err != nil {
		t.Fatalf("agent.New: %v", err)
	}
	return a
}

// lastUser returns the text of the last user message of req.
func lastUser(req llm.Request) string {
	for i := len(req.Messages) - 1; i >= 0; i-- {
		if req.Messages[i].Role == llm.RoleUser {
			return req.Messages[i].Content
		}
	}
	return ""
}

// routed is a model for concurrent runs: planning requests (those with a
// response schema) get plan, the others answer.
func routed(plan, answer string) *llmtest.Model {
	return llmtest.Loop(llmtest.Func(func(ctx context.Context, req *llm.Request) (*llm.Response, error) {
		text := answer
		if req.ResponseSchema != nil {
			text = plan
		}
		return &llm.Response{Message: llm.AssistantMessage(text), Usage: llm.Usage{InputTokens: 7, OutputTokens: 3}, FinishReason: llm.FinishStop}, nil
	}))
}

func isBudget(err error, budget string) bool {
	var be *agent.BudgetError
	return errors.As(err, &be) && be.Budget == budget && errors.Is(err, agent.ErrBudget)
}
