package agent_test

import (
	"context"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/plait-ai/plait/agent"
	"github.com/plait-ai/plait/llm/llmtest"
	"github.com/plait-ai/plait/tools"
)

// callers records, for each call of a tool, the functions on its
// goroutine's stack, cheaply enough (program counters, resolved later)
// that the tool stays quick.
type callers struct {
	mu  sync.Mutex
	pcs [][]uintptr
}

func (c *callers) record() {
	pc := make([]uintptr, 64)
	pc = pc[:runtime.Callers(2, pc)]
	c.mu.Lock()
	c.pcs = append(c.pcs, pc)
	c.mu.Unlock()
}

// take returns how many calls were recorded since the last take, and how
// many of them ran on a goroutine with fn on its stack.
func (c *callers) take(fn string) (calls, under int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, pc := range c.pcs {
		frames := runtime.CallersFrames(pc)
		for {
			f, more := frames.Next()
			if strings.HasSuffix(f.Function, "."+fn) {
				under++
				break
			}
			if !more {
				break
			}
		}
	}
	calls = len(c.pcs)
	c.pcs = nil
	return calls, under
}

// TestQuickStepsRunHere: once a tool that runs on the calling goroutine
// (tools.Inline) has proved quick (tools.Dispatcher.Quick), the executor
// runs the plan's ready steps of it one after another on the goroutine
// that runs the plan, the one calling Run, rather than handing them to
// workers to run side by side; a tool whose calls take long is run side by
// side, as always, even when marked Inline.
func TestQuickStepsRunHere(t *testing.T) {
	var c callers
	quick := tools.MustFunc("search", "Search the knowledge base.", func(ctx context.Context, in queryIn) (string, error) {
		c.record()
		return "result for " + in.Query, nil
	}, tools.Inline())
	queries := []string{"rag", "agents", "llm"}
	m := llmtest.Loop(llmtest.Text(planOf(queries...)), llmtest.Text("Done [s1]."))
	a := mustAgent(t, agent.Config{Model: m, ToolList: []tools.Tool{quick}})
	ctx := context.Background()
	// The first run's steps run side by side: the tool is not known to
	// be quick yet. After a few calls it is (a call slowed by a
	// collection or a preemption makes it wait for a few more).
	here := false
	for range 200 {
		res, err := a.Run(ctx, "Search three topics.")
		if err != nil || len(res.Steps) != len(queries) {
			t.Fatalf("run: %v", err)
		}
		if calls, under := c.take("TestQuickStepsRunHere"); calls != len(queries) {
			t.Fatalf("%d calls, want %d", calls, len(queries))
		} else if under == calls {
			here = true
			break
		}
	}
	if !here {
		t.Fatal("in 200 runs, the steps of a quick tool never all ran on the goroutine calling Run")
	}

	// A slow inline tool (a millisecond a call), run after run: its
	// steps meet at a barrier, which they pass only when all three run
	// at once.
	k := newKit()
	search := k.tools(t)[0]
	slow := tools.MustFunc("search", "Search the knowledge base.", func(ctx context.Context, in queryIn) (string, error) {
		time.Sleep(time.Millisecond)
		_, err := search.Call(ctx, []byte(`{"query":"`+in.Query+`"}`))
		return "result for " + in.Query, err
	}, tools.Inline())
	sa := mustAgent(t, agent.Config{Model: llmtest.Loop(llmtest.Text(planOf(queries...)), llmtest.Text("Done [s1].")), ToolList: []tools.Tool{slow}})
	for range 6 {
		k.bar = newBarrier(len(queries))
		k.g.max.Store(0)
		if _, err := sa.Run(ctx, "Search three topics."); err != nil {
			t.Fatal(err)
		}
		if got := k.g.max.Load(); got != int32(len(queries)) {
			t.Fatalf("a slow inline tool's steps ran %d at most at once, want %d", got, len(queries))
		}
	}
}
