package tools_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/tools"
)

type ctxKey struct{}

// waitFor polls cond until it holds, failing the test after a generous
// bound (a hang, not a timing assertion).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for start := time.Now(); !cond(); time.Sleep(time.Millisecond) {
		if time.Since(start) > 10*time.Second {
			t.Fatalf("%s: still not so after 10s", what)
		}
	}
}

// TestCallContext: the context a tool runs under has the call's deadline,
// carries the caller's values, is cancelled when the caller's is (whether
// the tool watches Done or polls Err, on a worker or inline), reports the
// timeout (Err and context.Cause) when it runs out of time, and is
// cancelled once the call is over, like context.WithTimeout's.
func TestCallContext(t *testing.T) {
	for _, inline := range []bool{false, true} {
		var opts []tools.Option
		if inline {
			opts = append(opts, tools.Inline())
		}
		t.Run(fmt.Sprint("inline=", inline), func(t *testing.T) {
			t.Run("deadline and values", func(t *testing.T) {
				var got context.Context
				tool := tools.MustFunc("look", "", func(ctx context.Context, in struct{}) (string, error) {
					got = ctx
					dl, ok := ctx.Deadline()
					if !ok {
						return "", errors.New("no deadline")
					}
					if ctx.Err() != nil {
						return "", ctx.Err()
					}
					return fmt.Sprint(ctx.Value(ctxKey{}), " ", time.Until(dl).Round(time.Minute)), nil
				}, opts...)
				d := tools.NewDispatcher(tools.MustSet(tool))
				ctx := context.WithValue(context.Background(), ctxKey{}, "v")
				if r := d.Call(ctx, llmCall("look", `{}`)); r.Err != nil || r.Content != "v 2m0s" {
					t.Fatalf("got %q, %v; want the caller's value and the default timeout", r.Content, r.Err)
				}
				// Over: cancelled, as with context.WithTimeout's cancel.
				if !errors.Is(got.Err(), context.Canceled) {
					t.Errorf("after the call: Err %v, want Canceled", got.Err())
				}
				select {
				case <-got.Done():
				default:
					t.Error("after the call: Done is not closed")
				}
				// An earlier deadline of the caller's wins.
				pctx, cancel := context.WithTimeout(ctx, time.Minute)
				defer cancel()
				pdl, _ := pctx.Deadline()
				tool2 := tools.MustFunc("dl", "", func(ctx context.Context, in struct{}) (string, error) {
					dl, _ := ctx.Deadline()
					return fmt.Sprint(dl.Equal(pdl)), nil
				}, opts...)
				d2 := tools.NewDispatcher(tools.MustSet(tool2))
				if r := d2.Call(pctx, llmCall("dl", `{}`)); r.Content != "true" {
					t.Errorf("deadline under an earlier parent deadline: %q %v", r.Content, r.Err)
				}
			})

			// Cancelling the caller's context reaches the tool, through Done
			// and through Err.
			for _, mode := range []string{"done", "err", "derived"} {
				t.Run("cancel/"+mode, func(t *testing.T) {
					started := make(chan struct{})
					saw := make(chan error, 1)
					tool := tools.MustFunc("wait", "", func(ctx context.Context, in struct{}) (string, error) {
						close(started)
						switch mode {
						case "done":
							<-ctx.Done()
						case "err":
							for ctx.Err() == nil {
								time.Sleep(100 * time.Microsecond)
							}
						case "derived":
							c, cancel := context.WithCancel(ctx)
							defer cancel()
							<-c.Done()
						}
						saw <- ctx.Err()
						return "", ctx.Err()
					}, opts...)
					d := tools.NewDispatcher(tools.MustSet(tool))
					ctx, cancel := context.WithCancel(context.Background())
					go func() { <-started; cancel() }()
					r := d.Call(ctx, llmCall("wait", `{}`))
					if !errors.Is(r.Err, context.Canceled) || errors.Is(r.Err, tools.ErrTimeout) {
						t.Errorf("result: %v, want Canceled", r.Err)
					}
					if err := <-saw; !errors.Is(err, context.Canceled) {
						t.Errorf("the tool saw %v, want Canceled", err)
					}
				})
			}

			// A tool that honours ctx times out with ErrTimeout; its ctx says
			// DeadlineExceeded, to Err and to context.Cause, even under a
			// cancellable parent.
			t.Run("timeout", func(t *testing.T) {
				kept := make(chan context.Context, 1)
				tool := tools.MustFunc("slow", "", func(ctx context.Context, in struct{}) (string, error) {
					kept <- ctx
					<-ctx.Done()
					return "", ctx.Err()
				}, append(opts, tools.Timeout(5*time.Millisecond))...)
				d := tools.NewDispatcher(tools.MustSet(tool))
				parent, cancel := context.WithCancel(context.Background())
				defer cancel()
				r := d.Call(parent, llmCall("slow", `{}`))
				if !errors.Is(r.Err, tools.ErrTimeout) {
					t.Fatalf("result: %v, want ErrTimeout", r.Err)
				}
				ctx := <-kept
				waitFor(t, "the tool's ctx expired", func() bool { return ctx.Err() != nil })
				if !errors.Is(ctx.Err(), context.DeadlineExceeded) || !errors.Is(context.Cause(ctx), context.DeadlineExceeded) {
					t.Errorf("Err %v, Cause %v; want DeadlineExceeded", ctx.Err(), context.Cause(ctx))
				}
			})
		})
	}
}

// TestStubbornToolReleasedAtCancel: a tool that ignores its ctx holds its
// caller neither past the timeout nor past the cancellation of the
// caller's context, and its ctx is cancelled for when it looks.
func TestStubbornToolReleasedAtCancel(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	kept := make(chan context.Context, 2)
	started := make(chan struct{}, 2)
	stubborn := tools.MustFunc("stubborn", "", func(ctx context.Context, in struct{}) (string, error) {
		kept <- ctx
		started <- struct{}{}
		<-release
		return "late", nil
	}, tools.Timeout(time.Hour))
	d := tools.NewDispatcher(tools.MustSet(stubborn))
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-started; cancel() }()
	r := d.Call(ctx, llmCall("stubborn", `{}`))
	if !errors.Is(r.Err, context.Canceled) || !strings.Contains(r.Content, "stopped") {
		t.Fatalf("result %v %q, want the call stopped by the cancellation", r.Err, r.Content)
	}
	if got := <-kept; !errors.Is(got.Err(), context.Canceled) {
		t.Errorf("the abandoned tool's ctx: %v, want Canceled", got.Err())
	}
	waitFor(t, "the watchdog let go of the call", func() bool { return tools.WatchedCalls() == 0 })
}

// TestWatchdogManyDeadlines: many calls at once with different timeouts,
// some of stubborn tools, some quick: every stubborn call times out, every
// quick call returns its own result, and the watchdog ends with nothing
// left to watch.
func TestWatchdogManyDeadlines(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	var ts []tools.Tool
	for i := range 6 {
		ts = append(ts, tools.MustFunc(fmt.Sprint("stuck", i), "", func(ctx context.Context, in struct{}) (string, error) {
			<-release
			return "late", nil
		}, tools.Timeout(time.Duration(1+3*i)*time.Millisecond)))
	}
	ts = append(ts, tools.MustFunc("echo", "", func(ctx context.Context, in echoIn) (string, error) { return in.Text, nil }))
	ts = append(ts, tools.MustFunc("echoInline", "", func(ctx context.Context, in echoIn) (string, error) { return in.Text, nil },
		tools.Inline(), tools.Timeout(time.Duration(50)*time.Millisecond)))
	d := tools.NewDispatcher(tools.MustSet(ts...), tools.WithConcurrency(64))
	ctx := context.Background()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var calls []llm.ToolCall
			for i := range 12 {
				switch i % 3 {
				case 0:
					calls = append(calls, llmCall(fmt.Sprint("stuck", (g+i)%6), `{}`))
				case 1:
					calls = append(calls, llmCall("echo", fmt.Sprintf(`{"text":"g%d-%d"}`, g, i)))
				default:
					calls = append(calls, llmCall("echoInline", fmt.Sprintf(`{"text":"g%d-%d"}`, g, i)))
				}
			}
			for i, r := range d.Dispatch(ctx, calls...) {
				if i%3 == 0 {
					if !errors.Is(r.Err, tools.ErrTimeout) {
						t.Errorf("%s: %v, want a timeout", calls[i].Name, r.Err)
					}
				} else if want := fmt.Sprintf("g%d-%d", g, i); r.Err != nil || r.Content != want {
					t.Errorf("%s: %q %v, want %q", calls[i].Name, r.Content, r.Err, want)
				}
			}
		}()
	}
	wg.Wait()
	waitFor(t, "the watchdog watches nothing", func() bool { return tools.WatchedCalls() == 0 })
}

// TestPanicOnWorkerAndInline: a panic is recovered on either path, and the
// next call of the same dispatcher runs normally.
func TestPanicOnWorkerAndInline(t *testing.T) {
	for _, opts := range [][]tools.Option{nil, {tools.Inline()}} {
		boom := tools.MustFunc("boom", "", func(ctx context.Context, in echoIn) (string, error) {
			if in.Text == "boom" {
				panic("kaboom")
			}
			return in.Text, nil
		}, opts...)
		d := tools.NewDispatcher(tools.MustSet(boom))
		for range 3 {
			if r := d.Call(context.Background(), llmCall("boom", `{"text":"boom"}`)); !errors.Is(r.Err, tools.ErrPanic) {
				t.Errorf("panic: %v", r.Err)
			}
			if r := d.Call(context.Background(), llmCall("boom", `{"text":"ok"}`)); r.Err != nil || r.Content != "ok" {
				t.Errorf("after a panic: %q %v", r.Content, r.Err)
			}
		}
	}
}

// TestIdleWorkersExit: the workers a burst of calls started exit once the
// calls stop, and new calls after that still run.
func TestIdleWorkersExit(t *testing.T) {
	defer tools.SetWorkerIdle(2 * time.Millisecond)()
	gate := make(chan struct{})
	var started sync.WaitGroup
	wait := tools.MustFunc("wait", "", func(ctx context.Context, in struct{}) (string, error) {
		started.Done()
		<-gate
		return "ok", nil
	})
	d := tools.NewDispatcher(tools.MustSet(wait), tools.WithConcurrency(16))
	calls := make([]llm.ToolCall, 16)
	for i := range calls {
		calls[i] = llmCall("wait", `{}`)
	}
	started.Add(len(calls))
	go func() { started.Wait(); close(gate) }()
	for _, r := range d.Dispatch(context.Background(), calls...) {
		if r.Content != "ok" {
			t.Fatalf("%q %v", r.Content, r.Err)
		}
	}
	waitFor(t, "every idle worker exited", func() bool { return tools.LiveWorkers() == 0 })
	started.Add(1)
	if r := d.Call(context.Background(), llmCall("wait", `{}`)); r.Content != "ok" {
		t.Fatalf("after the workers exited: %q %v", r.Content, r.Err)
	}
}

// TestInlineTimeoutWhateverTheToolLooksAt: an inline tool's deadline holds
// however the tool looks at its ctx (Done, Err, first once the deadline
// passed, not at all): a tool that fails past its deadline timed out, one
// that succeeds late succeeds, and the watchdog is left watching nothing.
func TestInlineTimeoutWhateverTheToolLooksAt(t *testing.T) {
	const timeout = 5 * time.Millisecond
	for _, c := range []struct {
		mode    string
		timeout bool // the call ends with ErrTimeout
	}{
		{"done", true},
		{"err", true},
		{"done-late", true},
		{"err-late", true},
		{"ignore-fail", true},
		{"ignore-succeed", false},
		{"quick-done", false},
	} {
		t.Run(c.mode, func(t *testing.T) {
			kept := make(chan context.Context, 1)
			tool := tools.MustFunc("t", "", func(ctx context.Context, in struct{}) (string, error) {
				kept <- ctx
				switch c.mode {
				case "done":
					<-ctx.Done()
					return "", ctx.Err()
				case "err":
					for ctx.Err() == nil {
						time.Sleep(100 * time.Microsecond)
					}
					return "", ctx.Err()
				case "done-late":
					time.Sleep(3 * timeout)
					select {
					case <-ctx.Done():
						return "", ctx.Err()
					case <-time.After(time.Minute):
						return "", errors.New("Done is not closed past the deadline")
					}
				case "err-late":
					time.Sleep(3 * timeout)
					waitFor(t, "Err past the deadline", func() bool { return ctx.Err() != nil })
					return "", ctx.Err()
				case "ignore-fail":
					// Long enough past the deadline for any timer's
					// latency.
					time.Sleep(20 * timeout)
					return "", errors.New("failed")
				case "ignore-succeed":
					time.Sleep(3 * timeout)
					return "late", nil
				default: // quick-done
					select {
					case <-ctx.Done():
						return "", errors.New("done at once")
					default:
						return "quick", nil
					}
				}
			}, tools.Inline(), tools.Timeout(timeout))
			d := tools.NewDispatcher(tools.MustSet(tool))
			r := d.Call(context.Background(), llmCall("t", `{}`))
			if got := errors.Is(r.Err, tools.ErrTimeout); got != c.timeout {
				t.Errorf("result %q %v; want a timeout: %v", r.Content, r.Err, c.timeout)
			}
			ctx := <-kept
			if ctx.Err() == nil {
				t.Error("the tool's ctx is not cancelled after the call")
			}
			waitFor(t, "the watchdog watches nothing", func() bool { return tools.WatchedCalls() == 0 })
		})
	}
}

// TestInlineWatchedOnlyWhenAsked: an inline call is watched by the
// deadline watchdog only once its tool asks its ctx for Done or Err; a
// tool that asks only once its deadline has passed finds ctx expired at
// once; a tool that fails past its deadline without ever looking at ctx
// times out, and the ctx it kept reports the deadline.
func TestInlineWatchedOnlyWhenAsked(t *testing.T) {
	const timeout = 2 * time.Millisecond
	for _, c := range []struct {
		mode    string
		watched int // calls the watchdog watches once the tool asked
	}{
		{"ignore", 0},
		{"done", 1},
		{"err", 1},
		{"err-late", 0},
		{"done-late", 0},
		{"fail-late", 0},
	} {
		t.Run(c.mode, func(t *testing.T) {
			kept := make(chan context.Context, 1)
			tool := tools.MustFunc("t", "", func(ctx context.Context, in struct{}) (string, error) {
				kept <- ctx
				if n := tools.WatchedCalls(); n != 0 {
					return "", fmt.Errorf("watched before the tool asked: %d", n)
				}
				switch c.mode {
				case "done":
					select {
					case <-ctx.Done():
						return "", errors.New("done at once")
					default:
					}
				case "err":
					if err := ctx.Err(); err != nil {
						return "", err
					}
				case "err-late":
					time.Sleep(2 * timeout)
					if err := ctx.Err(); !errors.Is(err, context.DeadlineExceeded) {
						return "", fmt.Errorf("Err past the deadline: %v", err)
					}
				case "done-late":
					time.Sleep(2 * timeout)
					select {
					case <-ctx.Done():
					default:
						return "", errors.New("Done not closed past the deadline")
					}
					if err := ctx.Err(); !errors.Is(err, context.DeadlineExceeded) {
						return "", fmt.Errorf("Err past the deadline: %v", err)
					}
				case "fail-late":
					time.Sleep(2 * timeout)
					return "", errors.New("failed")
				}
				if n := tools.WatchedCalls(); n != c.watched {
					return "", fmt.Errorf("watched after the tool asked: %d, want %d", n, c.watched)
				}
				return "ok", nil
			}, tools.Inline(), tools.Timeout(timeout))
			d := tools.NewDispatcher(tools.MustSet(tool))
			r := d.Call(context.Background(), llmCall("t", `{}`))
			ctx := <-kept
			if c.mode == "fail-late" {
				if !errors.Is(r.Err, tools.ErrTimeout) {
					t.Errorf("failed past the deadline: %v, want a timeout", r.Err)
				}
				if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
					t.Errorf("the kept ctx: %v, want DeadlineExceeded", ctx.Err())
				}
			} else if r.Err != nil || r.Content != "ok" {
				t.Errorf("%q %v", r.Content, r.Err)
			}
			if ctx.Err() == nil {
				t.Error("the tool's ctx is not cancelled after the call")
			}
			if n := tools.WatchedCalls(); n != 0 {
				t.Errorf("after the call the watchdog watches %d calls", n)
			}
		})
	}
}

// TestInlineEndRacesAsk: a goroutine the tool started asks its ctx for
// Done or Err just as the call ends, with no lock on the call's end when
// no one has asked yet: whoever wins, the ctx ends cancelled, Done is
// closed, and the watchdog is left watching nothing.
func TestInlineEndRacesAsk(t *testing.T) {
	for _, ask := range []string{"done", "err"} {
		t.Run(ask, func(t *testing.T) {
			var wg sync.WaitGroup
			kept := make(chan context.Context, 1)
			tool := tools.MustFunc("t", "", func(ctx context.Context, in struct{}) (string, error) {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if ask == "done" {
						<-ctx.Done() // closed once the call ends, if not before
					} else {
						for ctx.Err() == nil {
							time.Sleep(time.Microsecond)
						}
					}
				}()
				select {
				case kept <- ctx:
				default:
				}
				return "ok", nil
			}, tools.Inline())
			d := tools.NewDispatcher(tools.MustSet(tool))
			for range 300 {
				if r := d.Call(context.Background(), llmCall("t", `{}`)); r.Err != nil || r.Content != "ok" {
					t.Fatalf("%q %v", r.Content, r.Err)
				}
				ctx := <-kept
				if !errors.Is(ctx.Err(), context.Canceled) {
					t.Fatalf("after the call: Err %v, want Canceled", ctx.Err())
				}
				select {
				case <-ctx.Done():
				default:
					t.Fatal("after the call: Done is not closed")
				}
			}
			wg.Wait()
			waitFor(t, "the watchdog watches nothing", func() bool { return tools.WatchedCalls() == 0 })
		})
	}
}
