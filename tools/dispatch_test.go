package tools_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/tools"
)

type echoIn struct {
	Text  string `json:"text" jsonschema:"minLength=1"`
	Times int    `json:"times,omitempty" jsonschema:"minimum=1,maximum=3"`
}

type payIn struct {
	Amount float64 `json:"amount"`
	To     string  `json:"to"`
}

func newDispatcher(t *testing.T, opts ...tools.DispatcherOption) (*tools.Dispatcher, *atomic.Int32) {
	t.Helper()
	var flaky atomic.Int32
	echo := tools.MustFunc("echo", "Repeats text.", func(ctx context.Context, in echoIn) (string, error) {
		return strings.Repeat(in.Text, max(in.Times, 1)), nil
	})
	boom := tools.MustFunc("boom", "Panics.", func(ctx context.Context, in struct{}) (string, error) {
		panic("kaboom")
	})
	slow := tools.MustFunc("slow", "Sleeps.", func(ctx context.Context, in struct{}) (string, error) {
		<-ctx.Done()
		return "", ctx.Err()
	}, tools.Timeout(20*time.Millisecond))
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	stubborn := tools.MustFunc("stubborn", "Ignores its context.", func(ctx context.Context, in struct{}) (string, error) {
		<-release // until the test ends: only abandoning it lets the call return
		return "late", nil
	}, tools.Timeout(20*time.Millisecond))
	fail := tools.MustFunc("fail", "Fails.", func(ctx context.Context, in struct{}) (string, error) {
		return "", errors.New("the disk is full")
	})
	flakyTool := tools.MustFunc("flaky", "Fails twice, then works.", func(ctx context.Context, in struct{}) (string, error) {
		if flaky.Add(1) < 3 {
			return "", tools.Retryable(errors.New("temporarily unavailable"))
		}
		return "ok", nil
	}, tools.Retry(tools.RetryPolicy{Attempts: 3, Backoff: time.Millisecond}))
	big := tools.MustFunc("big", "Returns a lot.", func(ctx context.Context, in struct{}) (string, error) {
		return strings.Repeat("é", 100), nil // 200 bytes
	}, tools.MaxResultBytes(51))
	pay := tools.MustFunc("pay", "Pays.", func(ctx context.Context, in payIn) (map[string]any, error) {
		return map[string]any{"paid": in.Amount, "to": in.To}, nil
	}, tools.Guard(`amount <= 100 || user.role == "admin"`), tools.NeedsApproval())
	raw := tools.MustRaw(llm.ToolSpec{Name: "raw", Parameters: json.RawMessage(`{"type":"object","properties":{"n":{"type":"integer"}},"required":["n"]}`)},
		func(ctx context.Context, args json.RawMessage) (any, error) { return json.RawMessage(args), nil })
	set := tools.MustSet(echo, boom, slow, stubborn, fail, flakyTool, big, pay, raw)
	return tools.NewDispatcher(set, opts...), &flaky
}

func TestDispatchOutcomes(t *testing.T) {
	approve := func(ctx context.Context, req tools.ApprovalRequest) (tools.Decision, error) {
		var p payIn
		_ = json.Unmarshal(req.Call.Arguments, &p)
		switch {
		case p.To == "mallory":
			return tools.Deny("mallory is not a known payee"), nil
		case p.To == "bob-typo":
			return tools.Edit(json.RawMessage(fmt.Sprintf(`{"amount":%v,"to":"bob"}`, p.Amount)), "fixed the payee"), nil
		case p.To == "edit-bad":
			return tools.Edit(json.RawMessage(`{"amount":"lots"}`), ""), nil
		}
		return tools.Allow(), nil
	}
	admin := tools.WithGuardEnv(context.Background(), map[string]any{"user": map[string]any{"role": "admin"}})
	guest := tools.WithGuardEnv(context.Background(), map[string]any{"user": map[string]any{"role": "guest"}})
	tests := []struct {
		name        string
		ctx         context.Context
		call        llm.ToolCall
		wantErr     error
		wantContent []string
		check       func(t *testing.T, r tools.Result)
	}{
		{name: "ok", call: llmCall("echo", `{"text":"ab","times":2}`), wantContent: []string{"abab"}},
		{name: "empty arguments", call: llm.ToolCall{Name: "boom"}, wantErr: tools.ErrPanic},
		{name: "unknown tool lists tools", call: llmCall("nope", `{}`), wantErr: tools.ErrUnknownTool,
			wantContent: []string{`unknown tool "nope"`, `"echo"`, `"pay"`, `"raw"`}},
		{name: "missing field", call: llmCall("echo", `{}`), wantErr: tools.ErrInvalidArguments,
			wantContent: []string{"/text", "missing required property", "fix the arguments"}},
		{name: "wrong type", call: llmCall("echo", `{"text":5}`), wantErr: tools.ErrInvalidArguments,
			wantContent: []string{"/text", "got number, want string"}},
		{name: "out of range", call: llmCall("echo", `{"text":"a","times":9}`), wantErr: tools.ErrInvalidArguments,
			wantContent: []string{"/times", "maximum"}},
		{name: "unknown key", call: llmCall("echo", `{"text":"a","loud":true}`), wantErr: tools.ErrInvalidArguments,
			wantContent: []string{"/loud", "unknown property"}},
		{name: "not json", call: llmCall("echo", `{"text":`), wantErr: tools.ErrInvalidArguments,
			wantContent: []string{"not valid JSON"}},
		{name: "not an object", call: llmCall("echo", `"hi"`), wantErr: tools.ErrInvalidArguments,
			wantContent: []string{"must be a JSON object"}},
		{name: "panic", call: llmCall("boom", `{}`), wantErr: tools.ErrPanic,
			wantContent: []string{"panic: kaboom", "internal error"},
			check: func(t *testing.T, r tools.Result) {
				var pe *tools.PanicError
				if !errors.As(r.Err, &pe) || !strings.Contains(string(pe.Stack), "dispatch_test.go") {
					t.Errorf("no stack in %#v", r.Err)
				}
				if strings.Contains(r.Content, "goroutine") {
					t.Errorf("stack leaked to the model: %q", r.Content)
				}
			}},
		{name: "timeout", call: llmCall("slow", `{}`), wantErr: tools.ErrTimeout, wantContent: []string{"timed out after 20ms"}},
		{name: "timeout of a tool that ignores ctx", call: llmCall("stubborn", `{}`), wantErr: context.DeadlineExceeded,
			wantContent: []string{"timed out"}},
		{name: "tool error", call: llmCall("fail", `{}`), wantContent: []string{"error: the disk is full"},
			check: func(t *testing.T, r tools.Result) {
				if r.Err == nil || r.Err.Error() != "the disk is full" {
					t.Errorf("err = %v", r.Err)
				}
			}},
		{name: "retried", call: llmCall("flaky", `{}`), wantContent: []string{"ok"},
			check: func(t *testing.T, r tools.Result) {
				if r.Attempts != 3 {
					t.Errorf("attempts = %d, want 3", r.Attempts)
				}
			}},
		{name: "truncated", call: llmCall("big", `{}`), wantContent: []string{"…[truncated 150 bytes]"},
			check: func(t *testing.T, r tools.Result) {
				if !r.Truncated || !strings.HasPrefix(r.Content, strings.Repeat("é", 25)+"…") {
					t.Errorf("content %q", r.Content)
				}
			}},
		{name: "guard allows small amount", ctx: guest, call: llmCall("pay", `{"amount":50,"to":"bob"}`),
			wantContent: []string{`{"paid":50,"to":"bob"}`}},
		{name: "guard denies large amount", ctx: guest, call: llmCall("pay", `{"amount":500,"to":"bob"}`), wantErr: tools.ErrDenied,
			wantContent: []string{"denied by guard", `amount <= 100 || user.role == "admin"`}},
		{name: "guard allows admin", ctx: admin, call: llmCall("pay", `{"amount":500,"to":"bob"}`), wantContent: []string{`"paid":500`}},
		{name: "guard without context fails closed", call: llmCall("pay", `{"amount":500,"to":"bob"}`), wantErr: tools.ErrDenied},
		{name: "model cannot forge the context", ctx: guest, call: llmCall("pay", `{"amount":500,"to":"bob","user":{"role":"admin"}}`), wantErr: tools.ErrInvalidArguments},
		{name: "approval denies", ctx: admin, call: llmCall("pay", `{"amount":5,"to":"mallory"}`), wantErr: tools.ErrDenied,
			wantContent: []string{"denied by approval", "mallory is not a known payee"}},
		{name: "approval edits", ctx: admin, call: llmCall("pay", `{"amount":5,"to":"bob-typo"}`), wantContent: []string{`"to":"bob"`},
			check: func(t *testing.T, r tools.Result) {
				if string(r.Call.Arguments) != `{"amount":5,"to":"bob"}` {
					t.Errorf("result call arguments %s", r.Call.Arguments)
				}
			}},
		{name: "approval edit revalidated", ctx: admin, call: llmCall("pay", `{"amount":5,"to":"edit-bad"}`), wantErr: tools.ErrInvalidArguments,
			wantContent: []string{"edited arguments are invalid"}},
		{name: "long error content capped", call: llmCall("echo", manyKeys(300)), wantErr: tools.ErrInvalidArguments,
			wantContent: []string{"…[truncated "},
			check: func(t *testing.T, r tools.Result) {
				if len(r.Content) > 4200 {
					t.Errorf("content of %d bytes", len(r.Content))
				}
			}},
		{name: "raw tool", call: llmCall("raw", `{"n":3}`), wantContent: []string{`{"n":3}`}},
		{name: "raw tool validated", call: llmCall("raw", `{"n":3.5}`), wantErr: tools.ErrInvalidArguments, wantContent: []string{"/n"}},
	}
	// Every outcome is the same whether the call is dispatched or started
	// (see Start).
	for _, mode := range []string{"Dispatch", "Start"} {
		d, _ := newDispatcher(t, tools.WithApprover(approve))
		call := func(ctx context.Context, c llm.ToolCall) tools.Result {
			if mode == "Dispatch" {
				return d.Dispatch(ctx, c)[0]
			}
			ch := make(chan tools.Result, 1)
			d.Start(ctx, c, func(r tools.Result) { ch <- r })
			return <-ch
		}
		for _, tt := range tests {
			t.Run(mode+"/"+tt.name, func(t *testing.T) {
				testOutcome(t, tt.ctx, tt.call, tt.wantErr, tt.wantContent, tt.check, call)
			})
		}
	}
}

// testOutcome makes call c with call and checks its Result.
func testOutcome(t *testing.T, ctx context.Context, c llm.ToolCall, wantErr error, wantContent []string, check func(*testing.T, tools.Result), call func(context.Context, llm.ToolCall) tools.Result) {
	t.Helper()
	if ctx == nil {
		ctx = context.Background()
	}
	r := call(ctx, c)
	if wantErr != nil && !errors.Is(r.Err, wantErr) {
		t.Errorf("err = %v, want %v", r.Err, wantErr)
	}
	if wantErr == nil && check == nil && r.Err != nil {
		t.Errorf("err = %v", r.Err)
	}
	for _, w := range wantContent {
		if !strings.Contains(r.Content, w) {
			t.Errorf("content %q lacks %q", r.Content, w)
		}
	}
	if r.Err != nil && !strings.HasPrefix(r.Content, "error: ") {
		t.Errorf("failure content %q does not start with error:", r.Content)
	}
	if _, err := uuid.Parse(r.Call.ID); err != nil {
		t.Errorf("call id %q is not a UUID", r.Call.ID)
	}
	if r.Message().ToolCallID != r.Call.ID || r.Message().Role != llm.RoleTool {
		t.Errorf("bad message %+v", r.Message())
	}
	if check != nil {
		check(t, r)
	}
}

func TestTypedErrors(t *testing.T) {
	d, _ := newDispatcher(t)
	rs := d.Dispatch(context.Background(), llmCall("echo", `{"text":""}`), llmCall("boom", `{}`), llmCall("pay", `{"amount":1,"to":"x"}`), llmCall("slow", `{}`))
	var ve *tools.ValidationError
	if !errors.As(rs[0].Err, &ve) || ve.Tool != "echo" || len(ve.Problems) != 1 || ve.Problems[0].Pointer != "/text" {
		t.Errorf("validation error %#v", rs[0].Err)
	}
	var pe *tools.PanicError
	if !errors.As(rs[1].Err, &pe) || pe.Value != "kaboom" {
		t.Errorf("panic error %#v", rs[1].Err)
	}
	var de *tools.DeniedError
	if !errors.As(rs[2].Err, &de) || de.By != "approval" {
		t.Errorf("no approver: %#v", rs[2].Err)
	}
	var te *tools.TimeoutError
	if !errors.As(rs[3].Err, &te) || te.Timeout != 20*time.Millisecond {
		t.Errorf("timeout error %#v", rs[3].Err)
	}
	more := d.Dispatch(context.Background(), llmCall("nope", `{}`), llmCall("fail", `{}`), llmCall("echo", `{"text":"ok"}`))
	got := []string{}
	for _, r := range append(rs, more...) {
		got = append(got, tools.ErrorType(r.Err))
	}
	if want := "invalid_arguments panic denied timeout unknown_tool tool_error "; strings.Join(got, " ") != want {
		t.Errorf("error types %q, want %q", strings.Join(got, " "), want)
	}
}

func TestDispatchParallelOrderAndBound(t *testing.T) {
	var running, peak atomic.Int32
	gate := make(chan struct{})
	work := tools.MustFunc("work", "Works.", func(ctx context.Context, in struct {
		N int `json:"n"`
	}) (int, error) {
		n := running.Add(1)
		defer running.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		<-gate
		return in.N * 10, nil
	})
	d := tools.NewDispatcher(tools.MustSet(work), tools.WithConcurrency(3))
	calls := make([]llm.ToolCall, 10)
	for i := range calls {
		calls[i] = llmCall("work", fmt.Sprintf(`{"n":%d}`, i))
	}
	calls[4].ID = "given-id"
	done := make(chan []tools.Result)
	go func() { done <- d.Dispatch(context.Background(), calls...) }()
	for running.Load() < 3 {
		time.Sleep(time.Millisecond)
	}
	close(gate)
	rs := <-done
	if p := peak.Load(); p != 3 {
		t.Errorf("peak concurrency %d, want 3", p)
	}
	ids := map[string]bool{}
	for i, r := range rs {
		if r.Err != nil || r.Content != fmt.Sprint(i*10) {
			t.Errorf("result %d: %q %v", i, r.Content, r.Err)
		}
		if ids[r.Call.ID] {
			t.Errorf("duplicate id %s", r.Call.ID)
		}
		ids[r.Call.ID] = true
	}
	if rs[4].Call.ID != "given-id" {
		t.Errorf("given id replaced: %s", rs[4].Call.ID)
	}
}

func TestDispatchCancelled(t *testing.T) {
	d, _ := newDispatcher(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rs := d.Dispatch(ctx, llmCall("echo", `{"text":"a"}`), llmCall("echo", `{"text":"b"}`))
	for _, r := range rs {
		if !errors.Is(r.Err, context.Canceled) || !strings.Contains(r.Content, "not run") {
			t.Errorf("%q %v", r.Content, r.Err)
		}
	}
}

func TestApprovalBlocksUntilAnswerOrCancel(t *testing.T) {
	asked := make(chan tools.ApprovalRequest, 1)
	answer := make(chan tools.Decision)
	approver := func(ctx context.Context, req tools.ApprovalRequest) (tools.Decision, error) {
		asked <- req
		select {
		case d := <-answer:
			return d, nil
		case <-ctx.Done():
			return tools.Decision{}, ctx.Err()
		}
	}
	d, _ := newDispatcher(t, tools.WithApprover(approver))
	ctx := tools.WithGuardEnv(context.Background(), map[string]any{"user": map[string]any{"role": "admin"}})
	done := make(chan tools.Result)
	go func() { done <- d.Call(ctx, llmCall("pay", `{"amount":1,"to":"bob"}`)) }()
	req := <-asked
	if req.Spec.Name != "pay" || string(req.Call.Arguments) != `{"amount":1,"to":"bob"}` {
		t.Errorf("request %+v", req)
	}
	answer <- tools.Allow()
	if r := <-done; r.Err != nil {
		t.Fatalf("allowed call failed: %v", r.Err)
	}

	cctx, cancel := context.WithCancel(ctx)
	go func() { done <- d.Call(cctx, llmCall("pay", `{"amount":1,"to":"bob"}`)) }()
	<-asked
	cancel()
	r := <-done
	if !errors.Is(r.Err, tools.ErrDenied) || !errors.Is(r.Err, context.Canceled) {
		t.Errorf("cancelled approval: %v", r.Err)
	}
}

func TestMiddleware(t *testing.T) {
	var mu sync.Mutex
	var log []string
	mw := func(tag string) tools.CallMiddleware {
		return func(next tools.CallHandler) tools.CallHandler {
			return func(ctx context.Context, call llm.ToolCall) tools.Result {
				if call.ID == "" {
					t.Error("middleware saw a call without id")
				}
				if spec, ok := tools.SpecFrom(ctx); ok != (call.Name == "echo") || ok && spec.Description != "Repeats text." {
					t.Errorf("SpecFrom(%s) = %+v, %v", call.Name, spec, ok)
				}
				mu.Lock()
				log = append(log, tag+">"+call.Name)
				mu.Unlock()
				r := next(ctx, call)
				mu.Lock()
				log = append(log, tag+"<"+r.Content)
				mu.Unlock()
				return r
			}
		}
	}
	d, _ := newDispatcher(t, tools.WithMiddleware(mw("a"), mw("b")))
	d.Dispatch(context.Background(), llmCall("echo", `{"text":"x"}`))
	d.Dispatch(context.Background(), llmCall("nope", `{}`))
	want := "a>echo b>echo b<x a<x a>nope b>nope"
	if got := strings.Join(log, " "); !strings.HasPrefix(got, want) {
		t.Errorf("log %q, want prefix %q", got, want)
	}
	// A panicking middleware does not crash the run.
	bad := tools.NewDispatcher(d.Tools(), tools.WithMiddleware(func(next tools.CallHandler) tools.CallHandler {
		return func(ctx context.Context, call llm.ToolCall) tools.Result { panic("middleware bug") }
	}))
	if r := bad.Call(context.Background(), llmCall("echo", `{"text":"x"}`)); !errors.Is(r.Err, tools.ErrPanic) {
		t.Errorf("err %v", r.Err)
	} else if r.Call.Name != "echo" || r.Call.ID == "" || string(r.Call.Arguments) != `{"text":"x"}` ||
		!strings.HasPrefix(r.Content, "error: ") || !strings.Contains(r.Content, "middleware bug") || r.Duration < 0 {
		t.Errorf("the Result of a panicking middleware: %+v", r)
	}
}

func TestSelect(t *testing.T) {
	d, _ := newDispatcher(t)
	sub, err := d.Select("echo", "raw")
	if err != nil {
		t.Fatal(err)
	}
	if specs := sub.Specs(); len(specs) != 2 || specs[0].Name != "echo" || specs[1].Name != "raw" {
		t.Errorf("specs %+v", specs)
	}
	r := sub.Call(context.Background(), llmCall("boom", `{}`))
	if !errors.Is(r.Err, tools.ErrUnknownTool) || strings.Contains(r.Content, "boom") && !strings.Contains(r.Content, `"echo", "raw"`) {
		t.Errorf("%q %v", r.Content, r.Err)
	}
	if _, err := d.Select("echo", "missing"); !errors.Is(err, tools.ErrUnknownTool) {
		t.Errorf("select unknown: %v", err)
	}
	if specs := d.Specs("raw", "echo", "missing"); len(specs) != 2 || specs[0].Name != "raw" {
		t.Errorf("specs %+v", specs)
	}
	if err := d.Validate("echo", json.RawMessage(`{"text":1}`)); !errors.Is(err, tools.ErrInvalidArguments) || !strings.Contains(err.Error(), "/text") {
		t.Errorf("validate: %v", err)
	}
	var zero tools.Dispatcher
	if r := zero.Call(context.Background(), llmCall("x", `{}`)); !errors.Is(r.Err, tools.ErrUnknownTool) || !strings.Contains(r.Content, "no tools") {
		t.Errorf("zero dispatcher: %q", r.Content)
	}
}

func TestRegistrationErrors(t *testing.T) {
	ok := func(ctx context.Context, in struct{}) (string, error) { return "", nil }
	if _, err := tools.Func("bad name!", "", ok); err == nil {
		t.Error("bad name accepted")
	}
	if _, err := tools.Func("g", "", ok, tools.Guard("amount <=")); err == nil || !strings.Contains(err.Error(), "does not compile") {
		t.Errorf("bad guard: %v", err)
	}
	if _, err := tools.Func("s", "", func(ctx context.Context, in string) (string, error) { return in, nil }); err == nil {
		t.Error("non-struct input accepted")
	}
	if _, err := tools.Raw(llm.ToolSpec{Name: "r", Parameters: json.RawMessage(`{"type":"object","properties":{"a":{"type":"wat"}}}`)}, nil); err == nil {
		t.Error("nil handler accepted")
	}
	h := func(ctx context.Context, a json.RawMessage) (any, error) { return nil, nil }
	if _, err := tools.Raw(llm.ToolSpec{Name: "r", Parameters: json.RawMessage(`{"type":"object","properties":{"a":{"type":"wat"}}}`)}, h); err == nil {
		t.Error("bad schema accepted")
	}
	if _, err := tools.Raw(llm.ToolSpec{Name: "r", Parameters: json.RawMessage(`{"type":"string"}`)}, h); err == nil {
		t.Error("non-object schema accepted")
	}
	a := tools.MustFunc("a", "", ok)
	if _, err := tools.NewSet(a, a); err == nil {
		t.Error("duplicate accepted")
	}
	s := tools.MustSet(a)
	if err := s.Add(tools.MustFunc("a", "", ok)); err == nil {
		t.Error("re-registration accepted")
	}
	s.Remove("a")
	if s.Len() != 0 {
		t.Error("remove")
	}
}

func TestWithOptions(t *testing.T) {
	var calls atomic.Int32
	raw := tools.MustRaw(llm.ToolSpec{Name: "r"}, func(ctx context.Context, a json.RawMessage) (any, error) {
		calls.Add(1)
		return "ran", nil
	})
	guarded, err := tools.With(raw, tools.Guard("tool == 'r' && args.ok == true"))
	if err != nil {
		t.Fatal(err)
	}
	d := tools.NewDispatcher(tools.MustSet(guarded))
	if r := d.Call(context.Background(), llmCall("r", `{"ok":false}`)); !errors.Is(r.Err, tools.ErrDenied) {
		t.Errorf("%v", r.Err)
	}
	if r := d.Call(context.Background(), llmCall("r", `{"ok":true}`)); r.Content != "ran" {
		t.Errorf("%q %v", r.Content, r.Err)
	}
	if calls.Load() != 1 {
		t.Errorf("calls %d", calls.Load())
	}
	// An open schema lets the model send any key, but context values win.
	admin, err := tools.With(tools.MustRaw(llm.ToolSpec{Name: "admin"}, func(ctx context.Context, a json.RawMessage) (any, error) {
		return "ran", nil
	}), tools.Guard(`user.role == "admin"`))
	if err != nil {
		t.Fatal(err)
	}
	d = tools.NewDispatcher(tools.MustSet(admin))
	guest := tools.WithGuardEnv(context.Background(), map[string]any{"user": map[string]any{"role": "guest"}})
	if r := d.Call(guest, llmCall("admin", `{"user":{"role":"admin"}}`)); !errors.Is(r.Err, tools.ErrDenied) {
		t.Errorf("forged context allowed: %q", r.Content)
	}
}

func TestMoreOptions(t *testing.T) {
	// Inline: the timeout reaches the tool through ctx.
	inline := tools.MustFunc("inline", "", func(ctx context.Context, in struct{}) (string, error) {
		<-ctx.Done()
		return "", ctx.Err()
	}, tools.Inline(), tools.Timeout(10*time.Millisecond))
	// A retry waiting in its backoff gives up when ctx is done.
	var attempts atomic.Int32
	retry := tools.MustFunc("retry", "", func(ctx context.Context, in struct{}) (string, error) {
		attempts.Add(1)
		return "", tools.Retryable(errors.New("busy"))
	}, tools.Retry(tools.RetryPolicy{Attempts: 5, Backoff: time.Hour}))
	boom := tools.MustFunc("boom", "", func(ctx context.Context, in struct{}) (string, error) { panic("logged") })
	plain := tools.MustFunc("plain", "", func(ctx context.Context, in struct{}) (string, error) { return "ran", nil })

	var logged strings.Builder
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return logged.Write(p)
	}), nil))
	var asked atomic.Int32
	d := tools.NewDispatcher(tools.MustSet(inline, retry, boom, plain), tools.WithLogger(logger), tools.WithApproveAll(),
		tools.WithApprover(func(ctx context.Context, req tools.ApprovalRequest) (tools.Decision, error) {
			asked.Add(1)
			return tools.Allow(), nil
		}))

	if r := d.Call(context.Background(), llmCall("inline", `{}`)); !errors.Is(r.Err, tools.ErrTimeout) {
		t.Errorf("inline: %v", r.Err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	r := d.Call(ctx, llmCall("retry", `{}`))
	if !errors.Is(r.Err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second || attempts.Load() != 1 {
		t.Errorf("retry: %v after %v, %d attempts", r.Err, time.Since(start), attempts.Load())
	}
	d.Call(context.Background(), llmCall("boom", `{}`))
	if r := d.Call(context.Background(), llmCall("plain", `{}`)); r.Content != "ran" {
		t.Errorf("plain: %q", r.Content)
	}
	if asked.Load() != 4 {
		t.Errorf("approver asked %d times, want 4", asked.Load())
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(logged.String(), "tool call failed") || !strings.Contains(logged.String(), "stack=") || !strings.Contains(logged.String(), "logged") {
		t.Errorf("log: %s", logged.String())
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// TestNestedDispatchDoesNotDeadlock: a tool that dispatches calls through
// the same dispatcher (an agent used as a tool) runs them under its own
// slot, so a full bound cannot deadlock.
func TestNestedDispatchDoesNotDeadlock(t *testing.T) {
	set := &tools.Set{}
	d := tools.NewDispatcher(set, tools.WithConcurrency(2))
	leaf := tools.MustFunc("leaf", "", func(ctx context.Context, in struct{}) (string, error) { return "leaf", nil })
	outer := tools.MustFunc("outer", "", func(ctx context.Context, in struct{}) (string, error) {
		rs := d.Dispatch(ctx, llmCall("leaf", `{}`), llmCall("leaf", `{}`), llmCall("leaf", `{}`))
		parts := []string{}
		for _, r := range rs {
			parts = append(parts, r.Content)
		}
		return strings.Join(parts, "+"), nil
	})
	if err := set.Add(leaf, outer); err != nil {
		t.Fatal(err)
	}
	calls := []llm.ToolCall{llmCall("outer", `{}`), llmCall("outer", `{}`), llmCall("outer", `{}`), llmCall("outer", `{}`)}
	for _, r := range d.Dispatch(context.Background(), calls...) {
		if r.Content != "leaf+leaf+leaf" {
			t.Errorf("%q %v", r.Content, r.Err)
		}
	}
}

// manyKeys returns arguments with n unknown keys.
func manyKeys(n int) string {
	var b strings.Builder
	b.WriteString(`{"text":"a"`)
	for i := range n {
		fmt.Fprintf(&b, `,"unknown_key_number_%d":1`, i)
	}
	b.WriteString("}")
	return b.String()
}

// TestAbandonedCallsDoNotDisturbOthers: calls run on pooled workers; a
// call abandoned at its timeout (its tool ignores ctx) finishes later on
// its worker while other calls run, and no outcome reaches the wrong call.
func TestAbandonedCallsDoNotDisturbOthers(t *testing.T) {
	release := make(chan struct{})
	stuck := tools.MustFunc("stuck", "Ignores its context.", func(ctx context.Context, in struct{}) (string, error) {
		<-release
		return "late", nil
	}, tools.Timeout(5*time.Millisecond))
	echo := tools.MustFunc("echo", "Repeats text.", func(ctx context.Context, in echoIn) (string, error) {
		return in.Text, nil
	})
	d := tools.NewDispatcher(tools.MustSet(stuck, echo))
	ctx := context.Background()
	for range 4 {
		if r := d.Call(ctx, llmCall("stuck", `{}`)); !errors.Is(r.Err, tools.ErrTimeout) {
			t.Fatalf("stuck call: err %v, want a timeout", r.Err)
		}
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 50 {
				if i == 0 && j == 10 {
					close(release) // the stuck workers finish now
				}
				want := fmt.Sprintf("t%d-%d", i, j)
				r := d.Call(ctx, llmCall("echo", `{"text":"`+want+`"}`))
				if r.Err != nil || r.Content != want {
					t.Errorf("echo %s: content %q, err %v", want, r.Content, r.Err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// TestDispatchValidated: DispatchValidated skips only the schema check;
// guards, unknown tools and middlewares still apply, and Dispatch still
// validates.
func TestDispatchValidated(t *testing.T) {
	var got atomic.Value
	pay := tools.MustRaw(llm.ToolSpec{Name: "pay", Description: "Pays.", Parameters: json.RawMessage(
		`{"type":"object","properties":{"amount":{"type":"number","maximum":1000}},"required":["amount"],"additionalProperties":false}`)},
		func(ctx context.Context, args json.RawMessage) (any, error) {
			got.Store(string(args))
			return "paid", nil
		}, tools.Guard("amount <= 100"))
	var seen atomic.Int32
	mw := func(next tools.CallHandler) tools.CallHandler {
		return func(ctx context.Context, c llm.ToolCall) tools.Result { seen.Add(1); return next(ctx, c) }
	}
	withMW := tools.NewDispatcher(tools.MustSet(pay), tools.WithMiddleware(mw))
	plain := tools.NewDispatcher(tools.MustSet(pay))
	var ve tools.Executor = withMW
	if _, ok := ve.(tools.ValidatedExecutor); !ok {
		t.Fatal("*Dispatcher does not implement ValidatedExecutor")
	}
	ctx := context.Background()
	for _, d := range []*tools.Dispatcher{withMW, plain} {
		v := tools.ValidatedExecutor(d)
		// Each case runs through DispatchValidated (or Dispatch) and through
		// CallValidated (or Call): one call, the same outcome.
		for _, one := range []bool{false, true} {
			for _, tc := range []struct {
				name, tool, args string
				validated        bool
				wantErr          error
				wantRun          bool
			}{
				{"valid", "pay", `{"amount":5}`, true, nil, true},
				{"guard still applies", "pay", `{"amount":500}`, true, tools.ErrDenied, false},
				{"unknown tool still reported", "nope", `{}`, true, tools.ErrUnknownTool, false},
				{"schema not checked again", "pay", `{"amount":5,"extra":1}`, true, nil, true},
				{"Dispatch still validates", "pay", `{"amount":5,"extra":1}`, false, tools.ErrInvalidArguments, false},
			} {
				t.Run(fmt.Sprintf("%s/call=%v/middleware=%v", tc.name, one, d == withMW), func(t *testing.T) {
					got.Store("")
					call := llmCall(tc.tool, tc.args)
					var r tools.Result
					switch {
					case one && tc.validated:
						r = d.CallValidated(ctx, call)
					case one:
						r = d.Call(ctx, call)
					case tc.validated:
						r = v.DispatchValidated(ctx, call)[0]
					default:
						r = d.Dispatch(ctx, call)[0]
					}
					if tc.wantErr == nil && r.Err != nil || tc.wantErr != nil && !errors.Is(r.Err, tc.wantErr) {
						t.Fatalf("err %v, want %v", r.Err, tc.wantErr)
					}
					if ran := got.Load().(string) == tc.args; ran != tc.wantRun {
						t.Fatalf("tool ran: %v, want %v", ran, tc.wantRun)
					}
					if _, err := uuid.Parse(r.Call.ID); err != nil {
						t.Fatalf("call id %q is not a UUID", r.Call.ID)
					}
				})
			}
		}
	}
	if n := seen.Load(); n != 10 {
		t.Fatalf("middleware saw %d calls, want 10", n)
	}
}

// TestSetChangesDuringCalls: tools added and removed while calls run
// (lookups take no lock): a call finds a tool that stays registered, and
// one that is removed is found or reported unknown, never anything else.
func TestSetChangesDuringCalls(t *testing.T) {
	ok := func(ctx context.Context, in struct{}) (string, error) { return "ok", nil }
	s := tools.MustSet(tools.MustFunc("stay", "", ok))
	d := tools.NewDispatcher(s)
	var wg, changer sync.WaitGroup
	stop := make(chan struct{})
	changer.Add(1)
	go func() {
		defer changer.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			name := fmt.Sprintf("t%d", i%4)
			if err := s.Add(tools.MustFunc(name, "", ok)); err != nil {
				t.Errorf("add %s: %v", name, err)
				return
			}
			s.Remove(name)
		}
	}()
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 300 {
				if r := d.Call(context.Background(), llmCall("stay", `{}`)); r.Err != nil || r.Content != `"ok"` && r.Content != "ok" {
					t.Errorf("stay: %q %v", r.Content, r.Err)
					return
				}
				name := fmt.Sprintf("t%d", (g+i)%4)
				if r := d.Call(context.Background(), llmCall(name, `{}`)); r.Err != nil && !errors.Is(r.Err, tools.ErrUnknownTool) {
					t.Errorf("%s: %q %v", name, r.Content, r.Err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	changer.Wait()
	if names := s.Names(); len(names) != 1 || names[0] != "stay" {
		t.Errorf("names %v", names)
	}
}

// TestRunsInline: a call runs on the caller's goroutine when its tool is
// marked Inline or has no timeout (its own or the dispatcher's), and
// RunsInline says so, as where the call really runs shows.
func TestRunsInline(t *testing.T) {
	type in struct{}
	var ran atomic.Value // the goroutine the tool ran on
	probe := func(opts ...tools.Option) tools.Tool {
		return tools.MustFunc("p", "Probe.", func(ctx context.Context, _ in) (string, error) {
			ran.Store(goroutineID())
			return "ok", nil
		}, opts...)
	}
	tests := []struct {
		name   string
		tool   tools.Tool
		dopts  []tools.DispatcherOption
		inline bool
	}{
		{"default timeout", probe(), nil, false},
		{"inline", probe(tools.Inline()), nil, true},
		{"own timeout", probe(tools.Timeout(time.Second)), nil, false},
		{"dispatcher without timeout", probe(), []tools.DispatcherOption{tools.WithTimeout(-1)}, true},
		{"own timeout over the dispatcher's none", probe(tools.Timeout(time.Second)), []tools.DispatcherOption{tools.WithTimeout(-1)}, false},
		{"inline with a timeout", probe(tools.Inline(), tools.Timeout(time.Second)), nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := tools.NewDispatcher(tools.MustSet(tt.tool), tt.dopts...)
			if got := d.RunsInline("p"); got != tt.inline {
				t.Errorf("RunsInline = %v, want %v", got, tt.inline)
			}
			if d.RunsInline("missing") {
				t.Error("RunsInline of a missing tool = true")
			}
			res := d.Call(context.Background(), llm.ToolCall{Name: "p", Arguments: json.RawMessage(`{}`)})
			if res.Err != nil {
				t.Fatalf("call: %v", res.Err)
			}
			if here := ran.Load() == goroutineID(); here != tt.inline {
				t.Errorf("the call ran on the caller's goroutine: %v; RunsInline says %v", here, tt.inline)
			}
		})
	}
}

// goroutineID returns the current goroutine's id, from its stack header.
func goroutineID() string {
	b := make([]byte, 64)
	b = b[:runtime.Stack(b, false)]
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return ""
	}
	return f[1]
}

// TestQuick: a tool whose calls run on the caller's goroutine becomes
// quick after a few calls in a row that each took microseconds, stops
// being quick at a slow call, and becomes quick again; a tool whose calls
// go to a worker becomes quick after more calls, and then runs on the
// caller's goroutine; an Isolated tool never is, nor is one whose calls
// look at ctx.Done (which a tool asks for to wait on it). Dispatch makes
// several calls of quick tools on the caller's goroutine, in order.
func TestQuick(t *testing.T) {
	type in struct {
		N int `json:"n"`
	}
	var slow, record atomic.Bool
	var mu sync.Mutex
	var ran []string // goroutine and argument of each call
	probe := func(name string, opts ...tools.Option) tools.Tool {
		return tools.MustFunc(name, "Probe.", func(ctx context.Context, a in) (int, error) {
			if slow.Load() {
				time.Sleep(5 * time.Millisecond)
			}
			if record.Load() { // goroutineID takes tens of µs
				mu.Lock()
				ran = append(ran, goroutineID()+"/"+strconv.Itoa(a.N))
				mu.Unlock()
			}
			return a.N, nil
		}, opts...)
	}
	waiter := tools.MustFunc("waiter", "Probe.", func(ctx context.Context, a in) (int, error) {
		select { // a wait that is over at once
		case <-ctx.Done():
			return 0, ctx.Err()
		default:
			return a.N, nil
		}
	})
	d := tools.NewDispatcher(tools.MustSet(probe("fast", tools.Inline()), probe("guarded"), probe("isolated", tools.Isolated()), waiter))
	ctx := context.Background()
	call := func(name string, n int) llm.ToolCall {
		return llm.ToolCall{Name: name, Arguments: json.RawMessage(`{"n":` + strconv.Itoa(n) + `}`)}
	}
	if d.Quick("fast") || d.Quick("missing") {
		t.Fatal("quick before any call")
	}
	// A call can take longer than 10 µs now and then (a preemption, a
	// collection; often, on a machine loaded with other work): calls are
	// made until the tool is quick, a thousand of them at least and, when
	// patient (for a tool expected to become quick), for up to ten seconds.
	calls := 0 // made by the latest becomesQuick
	becomesQuick := func(name string, patient bool) bool {
		deadline := time.Now().Add(10 * time.Second)
		for calls = 0; calls < 1000 || patient && time.Now().Before(deadline); calls++ {
			if d.Quick(name) {
				return true
			}
			if res := d.Call(ctx, call(name, 0)); res.Err != nil {
				t.Fatal(res.Err)
			}
		}
		return d.Quick(name)
	}
	if !becomesQuick("fast", true) {
		t.Fatal("an inline tool that returns at once is not quick after ten seconds of calls")
	}
	if calls < 4 {
		t.Errorf("an inline tool was quick after %d calls, want 4 at least", calls)
	}
	if !becomesQuick("guarded", true) {
		t.Fatal("a tool whose calls go to a worker is not quick after ten seconds of calls")
	}
	if calls < 32 {
		t.Errorf("a tool whose calls go to a worker was quick after %d calls, want 32 at least", calls)
	}
	if becomesQuick("isolated", false) {
		t.Error("an Isolated tool is quick")
	}
	if becomesQuick("waiter", false) {
		t.Error("a tool whose calls look at ctx.Done is quick")
	}
	slow.Store(true)
	if res := d.Call(ctx, call("fast", 0)); res.Err != nil {
		t.Fatal(res.Err)
	}
	if d.Quick("fast") {
		t.Error("quick after a slow call")
	}
	slow.Store(false)
	if !becomesQuick("fast", true) {
		t.Fatal("not quick again after quick calls")
	}

	// Several calls of the quick tool: made here, in order.
	record.Store(true)
	res := d.Dispatch(ctx, call("fast", 1), call("fast", 2), call("fast", 3))
	for i, r := range res {
		if r.Err != nil || r.Output != i+1 {
			t.Fatalf("result %d: %v %v", i, r.Output, r.Err)
		}
	}
	here := goroutineID()
	if want := []string{here + "/1", here + "/2", here + "/3"}; !slices.Equal(ran, want) {
		t.Errorf("quick calls ran %v, want %v (the caller's goroutine, in order)", ran, want)
	}
	// A quick tool whose calls went to a worker: here too.
	mu.Lock()
	ran = nil
	mu.Unlock()
	d.Dispatch(ctx, call("guarded", 1), call("guarded", 2))
	if want := []string{here + "/1", here + "/2"}; !slices.Equal(ran, want) {
		t.Errorf("quick calls of a tool with a timeout ran %v, want %v (the caller's goroutine, in order)", ran, want)
	}
	// A call of a quick tool beside a call of one that is not: side by
	// side, as always, away from the caller; and every call of an
	// Isolated tool away from it.
	mu.Lock()
	ran = nil
	mu.Unlock()
	d.Dispatch(ctx, call("fast", 1), call("isolated", 2))
	d.Call(ctx, call("isolated", 3))
	if len(ran) != 3 {
		t.Fatalf("calls ran %v, want 3 of them", ran)
	}
	for _, r := range ran {
		if strings.HasPrefix(r, here+"/") {
			t.Errorf("with a tool that is not quick, a call ran on the caller's goroutine: %v", ran)
		}
	}
}

// TestQuickToolOverrun: a tool with a timeout whose calls proved quick
// runs them on the caller's goroutine, where a call that then blocks past
// the timeout without looking at ctx holds the caller until it returns,
// and fails with a timeout whether the tool failed or not; the tool is
// not quick after it, and its next such call is abandoned at the timeout,
// as an Isolated tool's call is even while the tool is quick.
func TestQuickToolOverrun(t *testing.T) {
	type in struct{}
	for _, tc := range []struct {
		name           string
		isolated, fail bool
	}{
		{"late success", false, false},
		{"late failure", false, true},
		{"isolated", true, false},
	} {
		isolated := tc.isolated
		t.Run(tc.name, func(t *testing.T) {
			var block atomic.Bool
			release := make(chan struct{})
			defer close(release)
			opts := []tools.Option{tools.Timeout(20 * time.Millisecond)}
			if isolated {
				opts = append(opts, tools.Isolated())
			}
			tool := tools.MustFunc("cache", "A lookup.", func(ctx context.Context, _ in) (string, error) {
				if block.Load() {
					select { // ignores ctx
					case <-release:
					case <-time.After(200 * time.Millisecond):
					}
					if tc.fail {
						return "", errors.New("backend unreachable")
					}
					return "late", nil
				}
				return "hit", nil
			}, opts...)
			d := tools.NewDispatcher(tools.MustSet(tool))
			ctx := context.Background()
			call := llm.ToolCall{Name: "cache", Arguments: json.RawMessage(`{}`)}
			// Calls until the tool is quick (for up to ten seconds: a
			// loaded machine slows calls), or two hundred of an Isolated
			// tool, which never is.
			for i, deadline := 0, time.Now().Add(10*time.Second); isolated && i < 200 || !isolated && !d.Quick("cache") && time.Now().Before(deadline); i++ {
				if res := d.Call(ctx, call); res.Err != nil {
					t.Fatal(res.Err)
				}
			}
			if d.Quick("cache") != !isolated {
				t.Fatalf("Quick = %v after the calls, want %v", d.Quick("cache"), !isolated)
			}
			block.Store(true)
			start := time.Now()
			res := d.Call(ctx, call)
			took := time.Since(start)
			if !errors.Is(res.Err, tools.ErrTimeout) {
				t.Fatalf("a call past the timeout: %v, want a timeout", res.Err)
			}
			if isolated {
				if took >= 150*time.Millisecond {
					t.Errorf("an Isolated tool's call held the caller %v, past its 20ms timeout", took)
				}
				return
			}
			if took < 150*time.Millisecond {
				t.Errorf("a quick call returned after %v, before its tool did", took)
			}
			if d.Quick("cache") {
				t.Error("quick after a call past its timeout")
			}
			start = time.Now()
			res = d.Call(ctx, call)
			if took := time.Since(start); !errors.Is(res.Err, tools.ErrTimeout) || took >= 150*time.Millisecond {
				t.Errorf("the next call: %v after %v, want a timeout at 20ms", res.Err, took)
			}
		})
	}
}
