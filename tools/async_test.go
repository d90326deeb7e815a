package tools_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/tools"
)

// startWait starts call on d and returns its Result and how many times
// done was called by the time the Result arrived.
func startWait(d *tools.Dispatcher, ctx context.Context, call llm.ToolCall, validated bool) (tools.Result, *atomic.Int32) {
	var n atomic.Int32
	ch := make(chan tools.Result, 2)
	done := func(r tools.Result) { n.Add(1); ch <- r }
	if validated {
		d.StartValidated(ctx, call, done)
	} else {
		d.Start(ctx, call, done)
	}
	return <-ch, &n
}

// stubbornTool returns a tool that ignores its context and returns only
// once release is closed, then closes returned. started, when not nil,
// gets a value when it starts.
func stubbornTool(timeout time.Duration, started chan<- struct{}, release <-chan struct{}, returned chan<- struct{}) tools.Tool {
	return tools.MustFunc("stubborn", "Ignores its context.", func(ctx context.Context, in struct{}) (string, error) {
		if started != nil {
			started <- struct{}{}
		}
		<-release
		close(returned)
		return "late", nil
	}, tools.Timeout(timeout))
}

// TestStartTimeoutFreesCallerAndSlot: a started call whose tool ignores
// its context gets its timeout at the timeout, and frees its concurrency
// slot then, as Dispatch does; when the tool returns later, done is not
// called again.
func TestStartTimeoutFreesCallerAndSlot(t *testing.T) {
	release, returned := make(chan struct{}), make(chan struct{})
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()
	echo := tools.MustFunc("echo", "Repeats text.", func(ctx context.Context, in echoIn) (string, error) { return in.Text, nil })
	d := tools.NewDispatcher(tools.MustSet(stubbornTool(20*time.Millisecond, nil, release, returned), echo), tools.WithConcurrency(1))
	ctx := context.Background()
	r, n := startWait(d, ctx, llmCall("stubborn", `{}`), false)
	if !errors.Is(r.Err, tools.ErrTimeout) || !strings.Contains(r.Content, "timed out after 20ms") || r.Attempts != 1 || r.Call.Name != "stubborn" {
		t.Fatalf("result %+v, want a timeout", r)
	}
	// The only slot is free while the stubborn tool still runs.
	if r2, _ := startWait(d, ctx, llmCall("echo", `{"text":"next"}`), false); r2.Err != nil || r2.Content != "next" {
		t.Fatalf("next call: %q %v", r2.Content, r2.Err)
	}
	close(release)
	<-returned
	// The worker finishes the abandoned call and delivers nothing.
	for range 20 {
		time.Sleep(time.Millisecond)
		if n.Load() != 1 {
			t.Fatalf("done called %d times", n.Load())
		}
	}
}

// TestStartCancelled: cancelling the context of a started call whose tool
// ignores it delivers the cancellation at once.
func TestStartCancelled(t *testing.T) {
	started, release, returned := make(chan struct{}, 1), make(chan struct{}), make(chan struct{})
	defer close(release)
	d := tools.NewDispatcher(tools.MustSet(stubbornTool(time.Minute, started, release, returned)))
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan tools.Result, 1)
	d.Start(ctx, llmCall("stubborn", `{}`), func(r tools.Result) { ch <- r })
	<-started
	cancel()
	select {
	case r := <-ch:
		if !errors.Is(r.Err, context.Canceled) || !strings.Contains(r.Content, "stopped") {
			t.Errorf("result %q %v, want a cancellation", r.Content, r.Err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the cancellation did not reach the caller")
	}
	// Cancelled before it starts: not run.
	r, _ := startWait(d, ctx, llmCall("stubborn", `{}`), true)
	if !errors.Is(r.Err, context.Canceled) || !strings.Contains(r.Content, "not run") {
		t.Errorf("result %q %v, want not run", r.Content, r.Err)
	}
}

// TestStartValidatedAndMiddlewares: StartValidated skips only the schema
// check, and middlewares see every started call as under Dispatch.
func TestStartValidatedAndMiddlewares(t *testing.T) {
	var got atomic.Value
	pay := tools.MustRaw(llm.ToolSpec{Name: "pay", Parameters: json.RawMessage(
		`{"type":"object","properties":{"amount":{"type":"number"},"to":{"type":"string"}},"required":["amount","to"]}`)},
		func(ctx context.Context, args json.RawMessage) (any, error) {
			got.Store(string(args))
			return "paid", nil
		}, tools.Guard("amount <= 100"))
	var mu sync.Mutex
	var log []string
	mw := func(next tools.CallHandler) tools.CallHandler {
		return func(ctx context.Context, c llm.ToolCall) tools.Result {
			r := next(ctx, c)
			mu.Lock()
			log = append(log, c.Name+":"+r.Content)
			mu.Unlock()
			return r
		}
	}
	for _, withMW := range []bool{false, true} {
		log = nil
		var opts []tools.DispatcherOption
		if withMW {
			opts = append(opts, tools.WithMiddleware(mw))
		}
		d := tools.NewDispatcher(tools.MustSet(pay), opts...)
		ctx := context.Background()
		if r, _ := startWait(d, ctx, llmCall("pay", `{"amount":5}`), false); !errors.Is(r.Err, tools.ErrInvalidArguments) {
			t.Errorf("Start of invalid arguments: %v", r.Err)
		}
		// The caller vouches for the arguments: the tool gets them.
		if r, _ := startWait(d, ctx, llmCall("pay", `{"amount":5}`), true); r.Err != nil || got.Load() != `{"amount":5}` {
			t.Errorf("StartValidated: %v, tool got %v", r.Err, got.Load())
		}
		if r, _ := startWait(d, ctx, llmCall("pay", `{"amount":500,"to":"bob"}`), true); !errors.Is(r.Err, tools.ErrDenied) {
			t.Errorf("guard under StartValidated: %v", r.Err)
		}
		mu.Lock()
		want := 0
		if withMW {
			want = 3
		}
		if len(log) != want || withMW && (!strings.Contains(log[0], "invalid arguments") || log[1] != "pay:paid" || !strings.Contains(log[2], "denied by guard")) {
			t.Errorf("middleware log %q (middleware %v)", log, withMW)
		}
		mu.Unlock()
	}
}

// TestStartManyDeliverOnce: calls that end right at their timeout, or as
// their context is cancelled, get exactly one Result each, their own,
// whoever wins the race (calls are reused once delivered).
func TestStartManyDeliverOnce(t *testing.T) {
	racy := tools.MustFunc("racy", "Sleeps about as long as its timeout, ignoring its context.", func(ctx context.Context, in struct{}) (string, error) {
		time.Sleep(time.Millisecond)
		return "ok", nil
	}, tools.Timeout(time.Millisecond))
	d := tools.NewDispatcher(tools.MustSet(racy), tools.WithConcurrency(64))
	const n = 200
	counts := make([]atomic.Int32, n)
	var wg sync.WaitGroup
	wg.Add(n)
	for i := range n {
		// A third of the calls are cancelled about when they end too.
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		if i%3 == 0 {
			time.AfterFunc(time.Millisecond, cancel)
		}
		id := fmt.Sprint("call-", i)
		d.Start(ctx, llm.ToolCall{ID: id, Name: "racy", Arguments: json.RawMessage(`{}`)}, func(r tools.Result) {
			if r.Err != nil && !errors.Is(r.Err, tools.ErrTimeout) && !errors.Is(r.Err, context.Canceled) {
				t.Errorf("call %d: %v", i, r.Err)
			}
			if r.Call.ID != id {
				t.Errorf("call %d got the result of %s", i, r.Call.ID)
			}
			if counts[i].Add(1) == 1 {
				wg.Done()
			}
		})
	}
	wg.Wait()
	time.Sleep(20 * time.Millisecond) // the losers of the races have finished
	for i := range counts {
		if c := counts[i].Load(); c != 1 {
			t.Errorf("call %d: done called %d times", i, c)
		}
	}
}
