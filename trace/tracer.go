package trace

import (
	"context"
	"reflect"
	"sync/atomic"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.41.0"
	oteltrace "go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/plait-ai/plait/llm"
)

// Tracer records plait's spans and metrics through OpenTelemetry
// providers. It is safe for concurrent use.
//
// Most programs never make one: [Setup] installs one as the default, and
// the package-level functions ([StartAgent], [Model], [Tools], ...) use
// the Tracer of the run in their context, or the default. Make one with
// [New] to record into providers of your own (tests, a service with
// several pipelines).
type Tracer struct {
	tracer  oteltrace.Tracer
	off     bool // the no-op tracer provider: skip span work entirely
	content Redactor
	secrets *secrets
	inst    instruments
}

// Option configures a [Tracer].
type Option func(*options)

type options struct {
	tp      oteltrace.TracerProvider
	mp      metric.MeterProvider
	content Redactor
	secrets []string
}

// WithTracerProvider records spans through tp instead of the global
// provider.
func WithTracerProvider(tp oteltrace.TracerProvider) Option {
	return func(o *options) { o.tp = tp }
}

// WithMeterProvider records metrics through mp instead of the global
// provider.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return func(o *options) { o.mp = mp }
}

// WithContent opts in to recording message and argument content, through
// r. Without it no content is recorded.
func WithContent(r Redactor) Option {
	return func(o *options) { o.content = r }
}

// WithSecrets names values that must never be recorded (API keys given in
// code rather than in the environment). Keys and tokens in environment
// variables whose names contain KEY, TOKEN, SECRET, PASSWORD, CREDENTIAL or
// AUTH, and OTLP header values, are scrubbed without being named.
func WithSecrets(values ...string) Option {
	return func(o *options) { o.secrets = append(o.secrets, values...) }
}

// New returns a Tracer. Without options it records through the global
// OpenTelemetry providers (no-ops until something installs real ones) and
// records no content.
func New(opts ...Option) *Tracer {
	var o options
	for _, f := range opts {
		f(&o)
	}
	if o.tp == nil {
		o.tp = otel.GetTracerProvider()
	}
	if o.mp == nil {
		o.mp = otel.GetMeterProvider()
	}
	_, off := o.tp.(tracenoop.TracerProvider)
	return &Tracer{
		off:     off,
		tracer:  o.tp.Tracer(ScopeName, oteltrace.WithSchemaURL(SchemaURL)),
		content: o.content,
		secrets: newSecrets(o.secrets),
		inst:    newInstruments(o.mp.Meter(ScopeName, metric.WithSchemaURL(SchemaURL))),
	}
}

var (
	// installed is the Tracer [Setup] installed, if any.
	installed atomic.Pointer[Tracer]
	// fromGlobal is the Tracer made on the global providers, with the
	// providers it was made on.
	fromGlobal atomic.Pointer[globalTracer]
)

type globalTracer struct {
	t  *Tracer
	tp oteltrace.TracerProvider
	mp metric.MeterProvider
}

// Default returns the Tracer the package-level functions use outside a
// run: the one [Setup] installed, else one on the global providers as
// they are now (a program that installs other global providers later gets
// a Tracer on those).
func Default() *Tracer {
	if t := installed.Load(); t != nil {
		return t
	}
	tp, mp := otel.GetTracerProvider(), otel.GetMeterProvider()
	if g := fromGlobal.Load(); g != nil && same(g.tp, tp) && same(g.mp, mp) {
		return g.t
	}
	t := New(WithTracerProvider(tp), WithMeterProvider(mp))
	fromGlobal.Store(&globalTracer{t: t, tp: tp, mp: mp})
	return t
}

// same reports whether a and b are the same provider; providers of types
// that cannot be compared are never the same.
func same(a, b any) bool {
	ta := reflect.TypeOf(a)
	return ta == reflect.TypeOf(b) && ta != nil && ta.Comparable() && a == b
}

// setDefault installs t as the default (nil: follow the global providers
// again) and returns the one installed before, nil if none was.
func setDefault(t *Tracer) *Tracer { return installed.Swap(t) }

// run is the state of one agent run, kept in its context.
type run struct {
	t      *Tracer
	parent *run
	name   string
	conv   string

	steps, replans                      atomic.Int64
	input, output, reasoning, cacheRead atomic.Int64
	chats                               atomic.Int64
}

type runKey struct{}

func runFrom(ctx context.Context) *run {
	r, _ := ctx.Value(runKey{}).(*run)
	return r
}

// tracerFor returns the Tracer of ctx's run, or the default.
func tracerFor(ctx context.Context) (*Tracer, *run) {
	if r := runFrom(ctx); r != nil {
		return r.t, r
	}
	return Default(), nil
}

// addUsage adds a model call's usage to the run and its parents.
func (r *run) addUsage(u llm.Usage) {
	for ; r != nil; r = r.parent {
		r.chats.Add(1)
		r.input.Add(int64(u.InputTokens))
		r.output.Add(int64(u.OutputTokens))
		r.reasoning.Add(int64(u.ReasoningTokens))
		r.cacheRead.Add(int64(u.CachedInputTokens))
	}
}

// Span is a span started by one of the Start functions. End it exactly
// once, with the error the operation ended with:
//
//	ctx, span := trace.StartStep(ctx, step.ID, step.Task)
//	out, err := runStep(ctx, step)
//	span.End(err)
//
// The zero Span is valid and does nothing. A Span is a small value; copies
// refer to the same span. Its methods are safe for concurrent use.
type Span struct {
	s   oteltrace.Span
	t   *Tracer
	run *run // set on invoke_agent spans
}

// End ends the span. A non-nil err marks it failed: status Error with the
// error's message (scrubbed of secrets) and error.type (see [ErrorType]).
// On an invoke_agent span it also records the run's totals: steps,
// replans and token usage, as attributes and metrics.
func (s Span) End(err error) {
	if s.run != nil {
		s.t.endRun(s, err)
	}
	if s.s == nil {
		return
	}
	if err != nil {
		s.t.setError(s.s, err)
	}
	s.s.End()
}

// End ends s with err; it is s.End(err).
func End(s Span, err error) { s.End(err) }

// SetAttributes adds attributes to the span ([PlanStepsKey],
// [StepToolKey], gen_ai.request.model, ...).
func (s Span) SetAttributes(kv ...attribute.KeyValue) {
	if s.s != nil {
		s.s.SetAttributes(kv...)
	}
}

// Recording reports whether the span records anything; callers can skip
// computing attributes when it does not.
func (s Span) Recording() bool { return s.s != nil && s.s.IsRecording() }

// Active reports whether anything is recorded under the span: the span
// itself, or metrics (which may be on while spans are off, as with
// OTEL_TRACES_EXPORTER=none). Code that skips instrumenting a run when
// nothing would be recorded should test Active on the invoke_agent span,
// not Recording, so that per-run and token metrics are kept.
func (s Span) Active() bool {
	if s.Recording() {
		return true
	}
	if s.t == nil {
		return false
	}
	ctx := context.Background()
	in := &s.t.inst
	return in.duration.Enabled(ctx) || in.tokens.Enabled(ctx) || in.toolTime.Enabled(ctx) || in.runSteps.Enabled(ctx)
}

// OTel returns the OpenTelemetry span, for events and links; nil for the
// zero Span.
func (s Span) OTel() oteltrace.Span { return s.s }

func (t *Tracer) setError(s oteltrace.Span, err error) {
	if !s.IsRecording() {
		return
	}
	s.SetAttributes(semconv.ErrorTypeKey.String(ErrorType(err)))
	s.SetStatus(codes.Error, t.secrets.scrub(err.Error()))
}

// AgentInfo describes the agent a run belongs to.
type AgentInfo struct {
	// Name is the agent's name (gen_ai.agent.name); the span is named
	// "invoke_agent {Name}".
	Name string
	// ID identifies the agent (gen_ai.agent.id).
	ID string
	// Description describes the agent (gen_ai.agent.description).
	Description string
	// Version is the agent's version (gen_ai.agent.version).
	Version string
	// ConversationID identifies the conversation the run continues
	// (gen_ai.conversation.id); model and tool calls in the run carry it
	// too.
	ConversationID string
	// Model is the model the agent runs on (gen_ai.request.model), if one.
	Model string
	// Provider is that model's provider (gen_ai.provider.name), if known.
	Provider string
}

// StartAgent starts the invoke_agent span of one run of an agent and
// returns a context that carries it and the run's state: the plan, step,
// replan, summarize, chat and execute_tool spans started under it are its
// children and are counted in its totals. A run started inside another
// run's context is a sub-agent: a child span whose token usage also adds
// to the parent's.
func StartAgent(ctx context.Context, a AgentInfo) (context.Context, Span) {
	t, _ := tracerFor(ctx)
	return t.StartAgent(ctx, a)
}

// StartAgent is the package-level [StartAgent] on t: spans of the run
// (and the model and tool calls in its context) are recorded through t.
func (t *Tracer) StartAgent(ctx context.Context, a AgentInfo) (context.Context, Span) {
	if t.off {
		r := &run{t: t, parent: runFrom(ctx), name: a.Name, conv: a.ConversationID}
		return context.WithValue(ctx, runKey{}, r), Span{t: t, run: r}
	}
	name := "invoke_agent"
	if a.Name != "" {
		name += " " + a.Name
	}
	attrs := make([]attribute.KeyValue, 0, 8)
	attrs = append(attrs, semconv.GenAIOperationNameInvokeAgent)
	if a.Provider != "" {
		attrs = append(attrs, semconv.GenAIProviderNameKey.String(a.Provider))
	}
	if a.Name != "" {
		attrs = append(attrs, semconv.GenAIAgentName(a.Name))
	}
	if a.ID != "" {
		attrs = append(attrs, semconv.GenAIAgentID(a.ID))
	}
	if a.Description != "" {
		attrs = append(attrs, semconv.GenAIAgentDescription(a.Description))
	}
	if a.Version != "" {
		attrs = append(attrs, semconv.GenAIAgentVersion(a.Version))
	}
	if a.ConversationID != "" {
		attrs = append(attrs, semconv.GenAIConversationID(a.ConversationID))
	}
	if a.Model != "" {
		attrs = append(attrs, semconv.GenAIRequestModel(a.Model))
	}
	ctx, s := t.tracer.Start(ctx, name, oteltrace.WithSpanKind(oteltrace.SpanKindInternal), oteltrace.WithAttributes(attrs...))
	r := &run{t: t, parent: runFrom(ctx), name: a.Name, conv: a.ConversationID}
	return context.WithValue(ctx, runKey{}, r), Span{s: s, t: t, run: r}
}

func (t *Tracer) endRun(s Span, err error) {
	r := s.run
	steps, replans := r.steps.Load(), r.replans.Load()
	if s.s != nil && s.s.IsRecording() {
		attrs := []attribute.KeyValue{RunStepsKey.Int64(steps), RunReplansKey.Int64(replans)}
		if r.chats.Load() > 0 {
			attrs = append(attrs,
				semconv.GenAIUsageInputTokens(int(r.input.Load())),
				semconv.GenAIUsageOutputTokens(int(r.output.Load())))
			if n := r.reasoning.Load(); n > 0 {
				attrs = append(attrs, semconv.GenAIUsageReasoningOutputTokens(int(n)))
			}
			if n := r.cacheRead.Load(); n > 0 {
				attrs = append(attrs, semconv.GenAIUsageCacheReadInputTokens(int(n)))
			}
		}
		s.s.SetAttributes(attrs...)
	}
	t.inst.recordRun(context.Background(), r.name, steps, replans, err)
}

// startOp starts one of plait's own spans under ctx.
func startOp(ctx context.Context, name, op string, attrs ...attribute.KeyValue) (context.Context, Span) {
	t, _ := tracerFor(ctx)
	if t.off {
		return ctx, Span{}
	}
	kv := make([]attribute.KeyValue, 0, len(attrs)+1)
	kv = append(kv, OperationKey.String(op))
	kv = append(kv, attrs...)
	ctx, s := t.tracer.Start(ctx, name, oteltrace.WithSpanKind(oteltrace.SpanKindInternal), oteltrace.WithAttributes(kv...))
	return ctx, Span{s: s, t: t}
}

// StartPlan starts the span of planning: the model calls that produce a
// plan are its children. Set [PlanStepsKey] on it once the plan is known.
func StartPlan(ctx context.Context) (context.Context, Span) {
	return startOp(ctx, OpPlan, OpPlan)
}

// StartStep starts the span of one plan step, named "step {id}", and
// counts the step in its run. Steps that run in parallel each start their
// span from the context they were given (the plan's or the run's), so they
// are siblings; the model and tool calls made with the returned context
// are the step's children. task is content: it is recorded only through
// the Redactor.
func StartStep(ctx context.Context, stepID, task string) (context.Context, Span) {
	t, r := tracerFor(ctx)
	if r != nil {
		r.steps.Add(1)
	}
	if t.off {
		return ctx, Span{}
	}
	name := OpStep
	if stepID != "" {
		name += " " + stepID
	}
	ctx, s := t.tracer.Start(ctx, name, oteltrace.WithSpanKind(oteltrace.SpanKindInternal),
		oteltrace.WithAttributes(OperationKey.String(OpStep), StepIDKey.String(stepID)))
	if task != "" && t.content != nil && s.IsRecording() {
		if v, ok := t.redact(Content{Kind: ContentTask, Text: task}); ok {
			s.SetAttributes(StepTaskKey.String(v))
		}
	}
	return ctx, Span{s: s, t: t}
}

// StartReplan starts the span of replanning and counts the replan in its
// run. reason says why (a failed step, a condition); it is scrubbed of
// known secrets.
func StartReplan(ctx context.Context, reason string) (context.Context, Span) {
	t, r := tracerFor(ctx)
	if r != nil {
		r.replans.Add(1)
	}
	if t.off {
		return ctx, Span{}
	}
	var attrs []attribute.KeyValue
	if reason != "" {
		attrs = append(attrs, ReplanReasonKey.String(t.secrets.scrub(reason)))
	}
	return startOp(ctx, OpReplan, OpReplan, attrs...)
}

// StartSummarize starts the span of summarization: writing the final
// answer or compressing memory.
func StartSummarize(ctx context.Context) (context.Context, Span) {
	return startOp(ctx, OpSummarize, OpSummarize)
}
