package trace_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	oteltrace "go.opentelemetry.io/otel/trace"

	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/llm/llmtest"
	"github.com/plait-ai/plait/tools"
	"github.com/plait-ai/plait/trace"
)

// simulateRun plays the shape of an agent run: plan, three steps in
// parallel (s1 calls a tool, s2 calls the model then a tool, s3 calls a
// failing tool), a replan and a summary. Steps wait for each other to have
// started, so they overlap in time.
func simulateRun(ctx context.Context, start func(context.Context) (context.Context, trace.Span), m llm.Model, call tools.CallHandler) error {
	ctx, run := start(ctx)
	req := &llm.Request{
		Messages:    []llm.Message{llm.SystemMessage("You plan."), llm.UserMessage("Research RAG.")},
		Temperature: llm.Ptr(0.2), TopP: llm.Ptr(0.9), MaxTokens: 256, Seed: llm.Ptr[int64](7), Stop: []string{"END"},
	}

	pctx, plan := trace.StartPlan(ctx)
	_, err := m.Generate(pctx, req)
	plan.SetAttributes(trace.PlanStepsKey.Int(3))
	plan.End(err)

	var started, done sync.WaitGroup
	started.Add(3)
	steps := []struct{ id, task, tool string }{
		{"s1", "search for RAG papers", "search"},
		{"s2", "summarize the best paper", "fetch"},
		{"s3", "do the impossible", "fail"},
	}
	errs := make([]error, len(steps))
	for i, st := range steps {
		done.Add(1)
		go func() {
			defer done.Done()
			sctx, span := trace.StartStep(ctx, st.id, st.task)
			started.Done()
			started.Wait()
			if st.id == "s2" {
				if _, err := m.Generate(sctx, &llm.Request{Messages: []llm.Message{llm.UserMessage("which paper?")}}); err != nil {
					span.End(err)
					errs[i] = err
					return
				}
			}
			res := call(sctx, llm.ToolCall{ID: "call_" + st.id, Name: st.tool, Arguments: []byte(`{"q":"rag"}`)})
			span.End(res.Err)
			errs[i] = res.Err
		}()
	}
	done.Wait()

	rctx, replan := trace.StartReplan(ctx, "step s3 failed")
	_, err = m.Generate(rctx, req)
	replan.End(err)

	sctx, sum := trace.StartSummarize(ctx)
	_, err = m.Generate(sctx, req)
	sum.End(err)
	run.End(err)
	return errors.Join(errs...)
}

func TestParallelPlanTree(t *testing.T) {
	rec := newRecorder(t)
	m := trace.Model(llmtest.New(
		llmtest.Text("plan"), llmtest.Text("paper"), llmtest.Text("replan"), llmtest.Text("answer"),
	).WithInfo(llm.Info{Provider: "openai", Model: "gpt-4o-mini"}))
	call := trace.Tools(specs)(fakeTools)
	start := func(ctx context.Context) (context.Context, trace.Span) {
		return rec.tracer.StartAgent(ctx, trace.AgentInfo{Name: "researcher", ID: "agent-1", ConversationID: "conv-9"})
	}
	if err := simulateRun(context.Background(), start, m, call); err == nil {
		t.Fatal("the failing step's error was lost")
	}
	spans := rec.spans()

	wantTree := []string{
		"- > invoke_agent researcher",
		"invoke_agent researcher > plan",
		"invoke_agent researcher > replan",
		"invoke_agent researcher > step s1",
		"invoke_agent researcher > step s2",
		"invoke_agent researcher > step s3",
		"invoke_agent researcher > summarize",
		"plan > chat gpt-4o-mini",
		"replan > chat gpt-4o-mini",
		"step s1 > execute_tool search",
		"step s2 > chat gpt-4o-mini",
		"step s2 > execute_tool fetch",
		"step s3 > execute_tool fail",
		"summarize > chat gpt-4o-mini",
	}
	if got := tree(spans); !slices.Equal(got, wantTree) {
		t.Fatalf("span tree:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantTree, "\n"))
	}
	// One trace.
	for _, s := range spans {
		if s.SpanContext.TraceID() != spans[0].SpanContext.TraceID() {
			t.Fatalf("%s is in another trace", s.Name)
		}
	}
	// The steps overlap in time.
	s1, s2, s3 := one(t, spans, "step s1"), one(t, spans, "step s2"), one(t, spans, "step s3")
	for _, p := range [][2]string{{"s1", "s2"}, {"s1", "s3"}, {"s2", "s3"}} {
		a, b := map[string]time.Time{"s1": s1.StartTime, "s2": s2.StartTime, "s3": s3.StartTime}, map[string]time.Time{"s1": s1.EndTime, "s2": s2.EndTime, "s3": s3.EndTime}
		if !a[p[0]].Before(b[p[1]]) || !a[p[1]].Before(b[p[0]]) {
			t.Errorf("steps %s and %s did not overlap", p[0], p[1])
		}
	}

	agent := one(t, spans, "invoke_agent researcher")
	if agent.SpanKind != oteltrace.SpanKindInternal {
		t.Errorf("agent kind = %v", agent.SpanKind)
	}
	wantAttrs(t, agent, map[string]any{
		"gen_ai.operation.name":      "invoke_agent",
		"gen_ai.agent.name":          "researcher",
		"gen_ai.agent.id":            "agent-1",
		"gen_ai.conversation.id":     "conv-9",
		"plait.run.steps":            3,
		"plait.run.replans":          1,
		"gen_ai.usage.input_tokens":  40, // four calls of llmtest.Text: 10 in, 5 out
		"gen_ai.usage.output_tokens": 20,
	})
	if agent.Status.Code == codes.Error {
		t.Errorf("agent status = %v; the run itself succeeded", agent.Status)
	}

	chat := one(t, byName(spans, "plan"), "plan") // the plan span
	wantAttrs(t, chat, map[string]any{"plait.operation": "plan", "plait.plan.steps": 3})
	planChat := childOf(t, spans, chat, "chat gpt-4o-mini")
	if planChat.SpanKind != oteltrace.SpanKindClient {
		t.Errorf("remote chat kind = %v, want client", planChat.SpanKind)
	}
	wantAttrs(t, planChat, map[string]any{
		"gen_ai.operation.name":          "chat",
		"gen_ai.provider.name":           "openai",
		"gen_ai.request.model":           "gpt-4o-mini",
		"gen_ai.request.temperature":     0.2,
		"gen_ai.request.top_p":           0.9,
		"gen_ai.request.max_tokens":      256,
		"gen_ai.request.seed":            7,
		"gen_ai.request.stop_sequences":  []string{"END"},
		"gen_ai.response.finish_reasons": []string{"stop"},
		"gen_ai.usage.input_tokens":      10,
		"gen_ai.usage.output_tokens":     5,
		"gen_ai.conversation.id":         "conv-9",
	})
	// No content without opting in.
	for _, s := range spans {
		noAttrs(t, s, "gen_ai.input.messages", "gen_ai.output.messages", "gen_ai.system_instructions",
			"gen_ai.tool.call.arguments", "gen_ai.tool.call.result", "plait.step.task")
	}

	search := one(t, spans, "execute_tool search")
	wantAttrs(t, search, map[string]any{
		"gen_ai.operation.name":   "execute_tool",
		"gen_ai.tool.name":        "search",
		"gen_ai.tool.call.id":     "call_s1",
		"gen_ai.tool.type":        "function",
		"gen_ai.tool.description": "Search the web.",
	})
	if search.Status.Code == codes.Error {
		t.Errorf("search failed: %v", search.Status)
	}
	fail := one(t, spans, "execute_tool fail")
	if fail.Status.Code != codes.Error || fail.Status.Description != "the tool broke" {
		t.Errorf("failed tool status = %+v", fail.Status)
	}
	wantAttrs(t, fail, map[string]any{"error.type": "tool_failed"})
	if s3.Status.Code != codes.Error {
		t.Errorf("step s3 status = %+v, want error", s3.Status)
	}
	wantAttrs(t, s3, map[string]any{"plait.step.id": "s3", "plait.operation": "step", "error.type": "tool_failed"})
	wantAttrs(t, one(t, spans, "replan"), map[string]any{"plait.replan.reason": "step s3 failed"})
}

func childOf(t *testing.T, spans tracetestSpans, parent tracetestSpan, name string) tracetestSpan {
	t.Helper()
	for _, s := range spans {
		if s.Name == name && s.Parent.SpanID() == parent.SpanContext.SpanID() {
			return s
		}
	}
	t.Fatalf("no %q under %q", name, parent.Name)
	return tracetestSpan{}
}

func TestLocalModelIsInternal(t *testing.T) {
	rec := newRecorder(t)
	m := rec.tracer.Model(llmtest.New(llmtest.Text("hi")).WithInfo(llm.Info{Provider: "local", Model: "qwen3-0.6b", Local: true}))
	if _, err := m.Generate(context.Background(), &llm.Request{Messages: []llm.Message{llm.UserMessage("hi")}}); err != nil {
		t.Fatal(err)
	}
	s := one(t, rec.spans(), "chat qwen3-0.6b")
	if s.SpanKind != oteltrace.SpanKindInternal {
		t.Errorf("kind = %v, want internal", s.SpanKind)
	}
	wantAttrs(t, s, map[string]any{"gen_ai.provider.name": "local"})
	if got := llm.InfoOf(m); got.Model != "qwen3-0.6b" || !got.Local {
		t.Errorf("Info not passed through: %+v", got)
	}
}

func TestModelErrors(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		wantType string
	}{
		{"rate limit", &llm.Error{Kind: llm.KindRateLimit, Provider: "openai", StatusCode: 429, Message: "slow down"}, "rate_limit"},
		{"wrapped auth", fmt.Errorf("calling: %w", &llm.Error{Kind: llm.KindAuth}), "auth"},
		{"deadline", context.DeadlineExceeded, "timeout"},
		{"typed", toolError{"quota", errors.New("out of quota")}, "quota"},
		{"plain", errors.New("boom"), "_OTHER"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder(t)
			m := rec.tracer.Model(llmtest.New(llmtest.Fail(tt.err)).WithInfo(llm.Info{Provider: "openai", Model: "gpt-4o"}))
			_, err := m.Generate(context.Background(), &llm.Request{})
			if !errors.Is(err, tt.err) && err != tt.err {
				t.Fatalf("error changed: %v", err)
			}
			s := one(t, rec.spans(), "chat gpt-4o")
			if s.Status.Code != codes.Error || s.Status.Description != tt.err.Error() {
				t.Errorf("status = %+v", s.Status)
			}
			wantAttrs(t, s, map[string]any{"error.type": tt.wantType})
			dur := rec.metrics(t)["gen_ai.client.operation.duration"]
			if !hasAttr(dur, "error.type", tt.wantType) {
				t.Errorf("duration metric lacks error.type=%s", tt.wantType)
			}
		})
	}
}

func TestStream(t *testing.T) {
	chunks := []llm.Chunk{
		{Text: "Hel", ID: "resp-1", Model: "gpt-4o-2024"},
		{Text: "lo"},
		{FinishReason: llm.FinishStop, Usage: &llm.Usage{InputTokens: 12, OutputTokens: 2, ReasoningTokens: 1, CachedInputTokens: 4}},
	}
	t.Run("whole", func(t *testing.T) {
		rec := newRecorder(t)
		m := rec.tracer.Model(llmtest.New(llmtest.Stream(chunks...)).WithInfo(llm.Info{Provider: "openai", Model: "gpt-4o"}))
		seq := m.Stream(context.Background(), &llm.Request{})
		if n := len(rec.spans()); n != 0 {
			t.Fatalf("%d spans before iterating", n)
		}
		var text string
		for c, err := range seq {
			if err != nil {
				t.Fatal(err)
			}
			text += c.Text
			if len(rec.spans()) != 0 {
				t.Fatal("span ended before the stream did")
			}
		}
		if text != "Hello" {
			t.Fatalf("text %q", text)
		}
		s := one(t, rec.spans(), "chat gpt-4o")
		wantAttrs(t, s, map[string]any{
			"gen_ai.request.stream":                true,
			"gen_ai.response.id":                   "resp-1",
			"gen_ai.response.model":                "gpt-4o-2024",
			"gen_ai.response.finish_reasons":       []string{"stop"},
			"gen_ai.usage.input_tokens":            12,
			"gen_ai.usage.output_tokens":           2,
			"gen_ai.usage.reasoning.output_tokens": 1,
			"gen_ai.usage.cache_read.input_tokens": 4,
		})
		if v, ok := attr(s, "gen_ai.response.time_to_first_chunk"); !ok || v.AsFloat64() <= 0 {
			t.Errorf("time to first chunk = %v, %v", v.Emit(), ok)
		}
		noAttrs(t, s, "plait.stream.stopped")
		if _, ok := rec.metrics(t)["gen_ai.client.operation.time_to_first_chunk"]; !ok {
			t.Error("no time_to_first_chunk metric")
		}
	})
	t.Run("stopped early", func(t *testing.T) {
		rec := newRecorder(t)
		m := rec.tracer.Model(llmtest.New(llmtest.Stream(chunks...)))
		for range m.Stream(context.Background(), &llm.Request{}) {
			break
		}
		s := one(t, rec.spans(), "chat scripted")
		wantAttrs(t, s, map[string]any{"plait.stream.stopped": true})
		if s.Status.Code == codes.Error {
			t.Errorf("a stream the caller stopped is not an error: %+v", s.Status)
		}
	})
	t.Run("broken off", func(t *testing.T) {
		rec := newRecorder(t)
		cut := &llm.Error{Kind: llm.KindInvalidResponse, Message: "stream cut off"}
		m := rec.tracer.Model(llmtest.New(llmtest.Step{Chunks: chunks[:2], Err: cut}))
		_, err := llm.Collect(m.Stream(context.Background(), &llm.Request{}))
		if !errors.Is(err, llm.ErrInvalidResponse) {
			t.Fatalf("err = %v", err)
		}
		s := one(t, rec.spans(), "chat scripted")
		if s.Status.Code != codes.Error {
			t.Errorf("status = %+v", s.Status)
		}
		wantAttrs(t, s, map[string]any{"error.type": "invalid_response", "gen_ai.response.id": "resp-1"})
	})
	t.Run("usage then error", func(t *testing.T) {
		rec := newRecorder(t)
		m := rec.tracer.Model(llmtest.New(llmtest.Step{Chunks: chunks, Err: &llm.Error{Kind: llm.KindUnavailable}}).
			WithInfo(llm.Info{Provider: "openai", Model: "gpt-4o"}))
		if _, err := llm.Collect(m.Stream(context.Background(), &llm.Request{})); err == nil {
			t.Fatal("want the error")
		}
		ms := rec.metrics(t)
		for _, p := range points(ms["gen_ai.client.token.usage"]) {
			for _, k := range []string{"gen_ai.token.type", "gen_ai.request.model", "gen_ai.response.model", "gen_ai.provider.name", "gen_ai.operation.name"} {
				if _, ok := p.attrs.Value(attribute.Key(k)); !ok {
					t.Errorf("token usage point %v lacks %s", p.attrs.ToSlice(), k)
				}
			}
			if _, ok := p.attrs.Value("error.type"); ok {
				t.Errorf("token usage point carries error.type: %v", p.attrs.ToSlice())
			}
		}
		if !hasAttr(ms["gen_ai.client.operation.duration"], "error.type", "unavailable") {
			t.Error("duration lacks error.type")
		}
		if len(points(ms["gen_ai.client.token.usage"])) != 2 {
			t.Errorf("token usage points: %d, want input and output", len(points(ms["gen_ai.client.token.usage"])))
		}
	})
	t.Run("nested under step", func(t *testing.T) {
		rec := newRecorder(t)
		m := trace.Model(llmtest.New(llmtest.Stream(chunks...)))
		ctx, run := rec.tracer.StartAgent(context.Background(), trace.AgentInfo{Name: "a"})
		sctx, step := trace.StartStep(ctx, "s1", "")
		if _, err := llm.Collect(m.Stream(sctx, &llm.Request{})); err != nil {
			t.Fatal(err)
		}
		step.End(nil)
		run.End(nil)
		if got := tree(rec.spans()); !slices.Equal(got, []string{"- > invoke_agent a", "invoke_agent a > step s1", "step s1 > chat scripted"}) {
			t.Errorf("tree = %v", got)
		}
		wantAttrs(t, one(t, rec.spans(), "invoke_agent a"), map[string]any{
			"gen_ai.usage.input_tokens": 12, "gen_ai.usage.reasoning.output_tokens": 1,
		})
	})
}

func TestContentOptIn(t *testing.T) {
	redact := func(c trace.Content) (string, bool) {
		if c.Kind == trace.ContentToolResult {
			return "", false
		}
		return strings.ReplaceAll(c.Text, "Alice", "[name]"), true
	}
	rec := newRecorder(t, trace.WithContent(redact))
	m := trace.Model(llmtest.New(
		llmtest.ToolCalls(llmtest.Call("search", `{"q":"Alice's papers"}`)),
	).WithInfo(llm.Info{Provider: "openai", Model: "gpt-4o"}))
	ctx, run := rec.tracer.StartAgent(context.Background(), trace.AgentInfo{Name: "a"})
	sctx, step := trace.StartStep(ctx, "s1", "find Alice's papers")
	_, err := m.Generate(sctx, &llm.Request{Messages: []llm.Message{
		llm.SystemMessage("Be brief."),
		llm.UserMessage("What did Alice write?"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	res := trace.Tools(nil)(fakeTools)(sctx, llm.ToolCall{ID: "c1", Name: "search", Arguments: []byte(`{"q":"Alice"}`)})
	step.End(res.Err)
	run.End(nil)
	spans := rec.spans()

	chat := one(t, spans, "chat gpt-4o")
	sys, _ := attr(chat, "gen_ai.system_instructions")
	in, _ := attr(chat, "gen_ai.input.messages")
	out, _ := attr(chat, "gen_ai.output.messages")
	mustJSON(t, sys.AsString())
	mustJSON(t, in.AsString())
	mustJSON(t, out.AsString())
	if want := `[{"type":"text","content":"Be brief."}]`; sys.AsString() != want {
		t.Errorf("system instructions = %s, want %s", sys.AsString(), want)
	}
	if want := `[{"role":"user","parts":[{"type":"text","content":"What did [name] write?"}]}]`; in.AsString() != want {
		t.Errorf("input = %s, want %s", in.AsString(), want)
	}
	if want := `[{"role":"assistant","parts":[{"type":"tool_call","id":"call_1","name":"search","arguments":{"q":"[name]'s papers"}}],"finish_reason":"tool_calls"}]`; out.AsString() != want {
		t.Errorf("output = %s, want %s", out.AsString(), want)
	}
	tool := one(t, spans, "execute_tool search")
	wantAttrs(t, tool, map[string]any{"gen_ai.tool.call.arguments": `{"q":"[name]"}`})
	noAttrs(t, tool, "gen_ai.tool.call.result")
	wantAttrs(t, one(t, spans, "step s1"), map[string]any{"plait.step.task": "find [name]'s papers"})
	if strings.Contains(allStrings(spans), "Alice") {
		t.Error("the redactor was bypassed")
	}
}

func TestSecretsNeverRecorded(t *testing.T) {
	const envKey = "sk-env-0123456789abcdef"
	const codeKey = "sk-code-fedcba9876543210"
	t.Setenv("PLAIT_TEST_PROVIDER_API_KEY", envKey)
	rec := newRecorder(t, trace.WithContent(trace.RecordAll), trace.WithSecrets(codeKey))

	// A backend configured with both keys whose error echoes the request
	// headers, as some proxies do, and a user who pastes a key.
	cfg := llm.Config{APIKey: codeKey, Headers: map[string]string{"X-Api-Key": envKey}}
	backend := llmtest.New(
		llmtest.Fail(&llm.Error{Kind: llm.KindAuth, Provider: "openai", StatusCode: 401,
			Message: "bad request headers: Authorization: Bearer " + cfg.APIKey + ", X-Api-Key: " + cfg.Headers["X-Api-Key"]}),
		llmtest.Text("your key is "+envKey),
	)
	m := trace.Model(backend)
	ctx, run := rec.tracer.StartAgent(context.Background(), trace.AgentInfo{Name: "a"})
	_, err := m.Generate(ctx, &llm.Request{Messages: []llm.Message{llm.UserMessage("my key is " + codeKey)}})
	if err == nil {
		t.Fatal("want the scripted error")
	}
	if _, err := m.Generate(ctx, &llm.Request{Messages: []llm.Message{llm.UserMessage("again")}}); err != nil {
		t.Fatal(err)
	}
	trace.Tools(nil)(func(ctx context.Context, call llm.ToolCall) tools.Result {
		return tools.Result{Call: call, Err: errors.New("401 with key " + codeKey), Content: "failed"}
	})(ctx, llm.ToolCall{Name: "fetch", Arguments: []byte(`{"token":"` + envKey + `"}`)})
	_, rs := trace.StartReplan(ctx, "auth failed for "+envKey)
	rs.End(nil)
	run.End(err)

	all := allStrings(rec.spans())
	for _, k := range []string{envKey, codeKey} {
		if strings.Contains(all, k) {
			t.Errorf("key %s appears in the spans:\n%s", k, all)
		}
	}
	if !strings.Contains(all, "[REDACTED]") {
		t.Error("nothing was redacted; the test did not exercise the scrubber")
	}
}

func TestErrorType(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{nil, ""},
		{&llm.Error{Kind: llm.KindUnavailable}, "unavailable"},
		{fmt.Errorf("a: %w", fmt.Errorf("b: %w", &llm.Error{Kind: llm.KindContextLength})), "context_length"},
		{context.Canceled, "canceled"},
		{fmt.Errorf("x: %w", context.DeadlineExceeded), "timeout"},
		{toolError{"denied", nil}, "denied"},
		{errors.New("plain"), "_OTHER"},
		{fmt.Errorf("wrapped: %w", customErr{}), "trace_test.customErr"},
		{errors.Join(errors.New("a"), customErr{}), "_OTHER"},
	}
	for _, tt := range tests {
		if got := trace.ErrorType(tt.err); got != tt.want {
			t.Errorf("ErrorType(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

type customErr struct{}

func (customErr) Error() string { return "custom" }

func TestZeroSpanAndNoRun(t *testing.T) {
	var s trace.Span
	s.End(errors.New("x")) // must not panic
	s.SetAttributes(trace.StepIDKey.String("x"))
	trace.End(s, nil)
	if s.Recording() || s.OTel() != nil {
		t.Error("zero span records")
	}
	// Outside a run, helpers use the default Tracer.
	ctx, step := trace.StartStep(context.Background(), "s1", "task")
	_, r := trace.StartReplan(ctx, "why")
	r.End(nil)
	step.End(nil)
}
