package trace

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.41.0"
	oteltrace "go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/plait-ai/plait/llm"
)

// Model wraps m so that each Generate and Stream call is a "chat {model}"
// span (kind CLIENT for a remote API, INTERNAL for a model whose
// [llm.Info] says Local) with the GenAI request, response and usage
// attributes, and records gen_ai.client.operation.duration,
// gen_ai.client.token.usage and, for streams,
// gen_ai.client.operation.time_to_first_chunk.
//
// Without options each call is recorded by the Tracer of the run in its
// context, or the default; with options, by New(opts...). The wrapper
// passes [llm.Info] through and is safe for concurrent use if m is.
//
// Without options, a model Model already wrapped without options is
// returned as it is, so that each call is traced once.
func Model(m llm.Model, opts ...Option) llm.Model {
	if tm, ok := m.(*tracedModel); ok && tm.fixed == nil && len(opts) == 0 {
		return m
	}
	var t *Tracer
	if len(opts) > 0 {
		t = New(opts...)
	}
	return &tracedModel{inner: m, fixed: t, info: llm.InfoOf(m)}
}

// Middleware returns [Model] as an [llm.Middleware], for [llm.Chain].
// Put it outermost to trace each call once, or inside a retry middleware
// to trace each attempt.
func Middleware(opts ...Option) llm.Middleware {
	var t *Tracer
	if len(opts) > 0 {
		t = New(opts...)
	}
	return func(m llm.Model) llm.Model { return &tracedModel{inner: m, fixed: t, info: llm.InfoOf(m)} }
}

// Model is the package-level [Model] recorded by t.
func (t *Tracer) Model(m llm.Model) llm.Model {
	return &tracedModel{inner: m, fixed: t, info: llm.InfoOf(m)}
}

type tracedModel struct {
	inner llm.Model
	fixed *Tracer
	info  llm.Info
}

// Info implements llm.Describer.
func (m *tracedModel) Info() llm.Info { return m.info }

// Unwrap returns the wrapped model.
func (m *tracedModel) Unwrap() llm.Model { return m.inner }

func (m *tracedModel) tracer(ctx context.Context) (*Tracer, *run) {
	r := runFrom(ctx)
	if m.fixed != nil {
		return m.fixed, r
	}
	if r != nil {
		return r.t, r
	}
	return Default(), nil
}

// chatCall is one model call in progress.
type chatCall struct {
	t        *Tracer
	run      *run
	span     oteltrace.Span
	start    time.Time
	provider string
	model    string
}

var emptyRequest llm.Request

func (m *tracedModel) start(ctx context.Context, req *llm.Request, stream bool) (context.Context, *chatCall) {
	if req == nil {
		req = &emptyRequest
	}
	t, r := m.tracer(ctx)
	c := &chatCall{t: t, run: r, provider: m.info.Provider, model: req.Model}
	if c.model == "" {
		c.model = m.info.Model
	}
	if c.provider == "" {
		c.provider = "unknown"
	}
	if t.off {
		c.span = tracenoop.Span{}
		c.start = time.Now()
		return ctx, c
	}
	name := "chat"
	if c.model != "" {
		name += " " + c.model
	}
	kind := oteltrace.SpanKindClient
	if m.info.Local {
		kind = oteltrace.SpanKindInternal
	}
	attrs := make([]attribute.KeyValue, 0, 12)
	attrs = append(attrs, semconv.GenAIOperationNameChat, semconv.GenAIProviderNameKey.String(c.provider))
	if c.model != "" {
		attrs = append(attrs, semconv.GenAIRequestModel(c.model))
	}
	if req.Temperature != nil {
		attrs = append(attrs, semconv.GenAIRequestTemperature(*req.Temperature))
	}
	if req.TopP != nil {
		attrs = append(attrs, semconv.GenAIRequestTopP(*req.TopP))
	}
	if req.MaxTokens > 0 {
		attrs = append(attrs, semconv.GenAIRequestMaxTokens(req.MaxTokens))
	}
	if req.Seed != nil {
		attrs = append(attrs, semconv.GenAIRequestSeed(int(*req.Seed)))
	}
	if len(req.Stop) > 0 {
		attrs = append(attrs, semconv.GenAIRequestStopSequences(req.Stop...))
	}
	if stream {
		attrs = append(attrs, semconv.GenAIRequestStream(true))
	}
	if req.ResponseSchema != nil {
		attrs = append(attrs, semconv.GenAIOutputTypeJSON)
	}
	if r != nil && r.conv != "" {
		attrs = append(attrs, semconv.GenAIConversationID(r.conv))
	}
	ctx, c.span = t.tracer.Start(ctx, name, oteltrace.WithSpanKind(kind), oteltrace.WithAttributes(attrs...))
	if t.content != nil && c.span.IsRecording() {
		system, input := t.inputContent(req.Messages)
		if system != "" {
			c.span.SetAttributes(semconv.GenAISystemInstructionsKey.String(system))
		}
		if input != "" {
			c.span.SetAttributes(semconv.GenAIInputMessagesKey.String(input))
		}
	}
	c.start = time.Now()
	return ctx, c
}

// end records the call's outcome and ends its span. resp may be partial
// or nil.
func (c *chatCall) end(ctx context.Context, resp *llm.Response, err error, ttfc time.Duration, stopped bool) {
	elapsed := time.Since(c.start)
	respModel := ""
	if resp != nil {
		respModel = resp.Model
		c.run.addUsage(resp.Usage)
	}
	if c.span.IsRecording() {
		attrs := make([]attribute.KeyValue, 0, 10)
		if resp != nil {
			if resp.ID != "" {
				attrs = append(attrs, semconv.GenAIResponseID(resp.ID))
			}
			if resp.Model != "" {
				attrs = append(attrs, semconv.GenAIResponseModel(resp.Model))
			}
			if resp.FinishReason != "" {
				attrs = append(attrs, semconv.GenAIResponseFinishReasons(string(resp.FinishReason)))
			}
			u := resp.Usage
			if u.InputTokens > 0 || u.OutputTokens > 0 {
				attrs = append(attrs, semconv.GenAIUsageInputTokens(u.InputTokens), semconv.GenAIUsageOutputTokens(u.OutputTokens))
			}
			if u.ReasoningTokens > 0 {
				attrs = append(attrs, semconv.GenAIUsageReasoningOutputTokens(u.ReasoningTokens))
			}
			if u.CachedInputTokens > 0 {
				attrs = append(attrs, semconv.GenAIUsageCacheReadInputTokens(u.CachedInputTokens))
			}
			if c.t.content != nil {
				if out := c.t.outputContent(resp); out != "" {
					attrs = append(attrs, semconv.GenAIOutputMessagesKey.String(out))
				}
			}
		}
		if ttfc > 0 {
			attrs = append(attrs, semconv.GenAIResponseTimeToFirstChunk(ttfc.Seconds()))
		}
		if stopped {
			attrs = append(attrs, StreamStoppedKey.Bool(true))
		}
		c.span.SetAttributes(attrs...)
		if err != nil {
			c.t.setError(c.span, err)
		}
	}
	c.span.End()
	c.record(ctx, resp, respModel, err, elapsed, ttfc)
}

func (c *chatCall) record(ctx context.Context, resp *llm.Response, respModel string, err error, elapsed, ttfc time.Duration) {
	in := &c.t.inst
	if !in.duration.Enabled(ctx) && !in.tokens.Enabled(ctx) {
		return
	}
	errType := ""
	if err != nil {
		errType = ErrorType(err)
	}
	// Each set is built from a slice of its own: attribute.NewSet sorts its
	// argument in place.
	build := func(extra attribute.KeyValue) func() []attribute.KeyValue {
		return func() []attribute.KeyValue {
			kv := make([]attribute.KeyValue, 0, 5)
			kv = append(kv, semconv.GenAIOperationNameChat, semconv.GenAIProviderNameKey.String(c.provider))
			if c.model != "" {
				kv = append(kv, semconv.GenAIRequestModel(c.model))
			}
			if respModel != "" {
				kv = append(kv, semconv.GenAIResponseModel(respModel))
			}
			if extra.Valid() {
				kv = append(kv, extra)
			}
			return kv
		}
	}
	key := setKey{which: setChat, provider: c.provider, model: c.model, resp: respModel, extra: errType}
	var errAttr attribute.KeyValue
	if errType != "" {
		errAttr = semconv.ErrorTypeKey.String(errType)
	}
	timing := metric.WithAttributeSet(in.sets.get(key, build(errAttr)))
	in.duration.Record(ctx, elapsed.Seconds(), timing)
	if ttfc > 0 {
		in.firstChunk.Record(ctx, ttfc.Seconds(), timing)
	}
	if resp != nil && (resp.Usage.InputTokens > 0 || resp.Usage.OutputTokens > 0) {
		key.which, key.extra = setTokens, "input"
		in.tokens.Record(ctx, int64(resp.Usage.InputTokens), metric.WithAttributeSet(in.sets.get(key, build(semconv.GenAITokenTypeInput))))
		key.extra = "output"
		in.tokens.Record(ctx, int64(resp.Usage.OutputTokens), metric.WithAttributeSet(in.sets.get(key, build(semconv.GenAITokenTypeOutput))))
	}
}

// Generate implements llm.Model.
func (m *tracedModel) Generate(ctx context.Context, req *llm.Request) (resp *llm.Response, err error) {
	ctx, c := m.start(ctx, req, false)
	defer func() {
		if p := recover(); p != nil {
			c.end(ctx, nil, fmt.Errorf("trace: model panicked: %v", p), 0, false)
			panic(p)
		}
	}()
	resp, err = m.inner.Generate(ctx, req)
	c.end(ctx, resp, err, 0, false)
	return resp, err
}

// Stream implements llm.Model. The span starts when iteration starts and
// ends when it ends: after the last chunk, after an error, or when the
// caller stops early (marked with plait.stream.stopped).
func (m *tracedModel) Stream(ctx context.Context, req *llm.Request) iter.Seq2[llm.Chunk, error] {
	return func(yield func(llm.Chunk, error) bool) {
		ctx, c := m.start(ctx, req, true)
		var (
			acc     llm.Accumulator
			resp    llm.Response
			got     bool
			ttfc    time.Duration
			err     error
			stopped bool
			done    bool
		)
		keepText := c.t.content != nil && c.span.IsRecording()
		defer func() {
			if done {
				return
			}
			p := recover()
			if p == nil { // runtime.Goexit in the consumer
				c.end(ctx, nil, errStreamAbandoned, ttfc, false)
				return
			}
			c.end(ctx, nil, fmt.Errorf("trace: stream panicked: %v", p), ttfc, false)
			panic(p)
		}()
		for ch, e := range m.inner.Stream(ctx, req) {
			if e != nil {
				err = e
			} else {
				if ttfc == 0 {
					ttfc = max(time.Since(c.start), time.Nanosecond)
				}
				got = true
				if keepText {
					acc.Add(ch)
				} else {
					foldChunk(&resp, ch)
				}
			}
			if !yield(ch, e) {
				stopped = e == nil
				break
			}
			if e != nil {
				break
			}
		}
		done = true
		var out *llm.Response
		if got {
			if keepText {
				out, _ = acc.Response()
			} else {
				out = &resp
			}
		}
		c.end(ctx, out, err, ttfc, stopped)
	}
}

var errStreamAbandoned = errors.New("trace: stream iteration was abandoned")

// foldChunk keeps what the span needs of a chunk, without the text.
func foldChunk(r *llm.Response, c llm.Chunk) {
	if c.Usage != nil {
		r.Usage = *c.Usage
	}
	if c.FinishReason != "" {
		r.FinishReason = c.FinishReason
	}
	if c.ID != "" {
		r.ID = c.ID
	}
	if c.Model != "" {
		r.Model = c.Model
	}
}
