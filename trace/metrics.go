package trace

import (
	"context"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
	semconv "go.opentelemetry.io/otel/semconv/v1.41.0"
)

// instruments are the metric instruments of a Tracer.
type instruments struct {
	tokens     metric.Int64Histogram   // gen_ai.client.token.usage
	duration   metric.Float64Histogram // gen_ai.client.operation.duration
	firstChunk metric.Float64Histogram // gen_ai.client.operation.time_to_first_chunk
	toolTime   metric.Float64Histogram
	toolErrors metric.Int64Counter
	runSteps   metric.Int64Histogram
	runReplans metric.Int64Histogram

	sets *setCache
}

// setKey identifies a metric attribute set: the strings that vary and
// which set it is.
type setKey struct {
	which                 uint8
	provider, model, resp string
	extra                 string
}

// setCache keeps the attribute sets metrics are recorded with, so that a
// call does not build and sort them again. It stops adding entries past a
// bound, for models or tools named without end.
type setCache struct {
	m sync.Map // setKey -> attribute.Set
	n atomic.Int32
}

const setCacheMax = 4096

func (c *setCache) get(k setKey, build func() []attribute.KeyValue) attribute.Set {
	if v, ok := c.m.Load(k); ok {
		return v.(attribute.Set)
	}
	set := attribute.NewSet(build()...)
	if c.n.Load() < setCacheMax {
		if _, loaded := c.m.LoadOrStore(k, set); !loaded {
			c.n.Add(1)
		}
	}
	return set
}

func newInstruments(m metric.Meter) instruments {
	in := instruments{sets: &setCache{}}
	var err error
	nm := noop.Meter{}
	if in.tokens, err = m.Int64Histogram("gen_ai.client.token.usage",
		metric.WithDescription("Number of input and output tokens used."),
		metric.WithUnit("{token}"),
		metric.WithExplicitBucketBoundaries(TokenUsageBuckets...)); err != nil {
		in.tokens, _ = nm.Int64Histogram("")
	}
	if in.duration, err = m.Float64Histogram("gen_ai.client.operation.duration",
		metric.WithDescription("GenAI operation duration."),
		metric.WithUnit("s"),
		metric.WithExplicitBucketBoundaries(DurationBuckets...)); err != nil {
		in.duration, _ = nm.Float64Histogram("")
	}
	if in.firstChunk, err = m.Float64Histogram("gen_ai.client.operation.time_to_first_chunk",
		metric.WithDescription("Time to receive the first chunk in a streaming operation."),
		metric.WithUnit("s"),
		metric.WithExplicitBucketBoundaries(DurationBuckets...)); err != nil {
		in.firstChunk, _ = nm.Float64Histogram("")
	}
	if in.toolTime, err = m.Float64Histogram(MetricToolDuration,
		metric.WithDescription("Duration of tool calls."),
		metric.WithUnit("s"),
		metric.WithExplicitBucketBoundaries(DurationBuckets...)); err != nil {
		in.toolTime, _ = nm.Float64Histogram("")
	}
	if in.toolErrors, err = m.Int64Counter(MetricToolErrors,
		metric.WithDescription("Number of failed tool calls."),
		metric.WithUnit("{error}")); err != nil {
		in.toolErrors, _ = nm.Int64Counter("")
	}
	if in.runSteps, err = m.Int64Histogram(MetricRunSteps,
		metric.WithDescription("Number of plan steps each agent run started."),
		metric.WithUnit("{step}"),
		metric.WithExplicitBucketBoundaries(countBuckets...)); err != nil {
		in.runSteps, _ = nm.Int64Histogram("")
	}
	if in.runReplans, err = m.Int64Histogram(MetricRunReplans,
		metric.WithDescription("Number of replans in each agent run."),
		metric.WithUnit("{replan}"),
		metric.WithExplicitBucketBoundaries(countBuckets...)); err != nil {
		in.runReplans, _ = nm.Int64Histogram("")
	}
	return in
}

// The kinds of cached attribute sets.
const (
	setTool uint8 = iota + 1
	setChat
	setTokens
)

// recordRun records a finished run's step and replan counts.
func (in *instruments) recordRun(ctx context.Context, agent string, steps, replans int64, err error) {
	if !in.runSteps.Enabled(ctx) && !in.runReplans.Enabled(ctx) {
		return
	}
	attrs := []attribute.KeyValue{semconv.GenAIOperationNameInvokeAgent}
	if agent != "" {
		attrs = append(attrs, semconv.GenAIAgentName(agent))
	}
	if err != nil {
		attrs = append(attrs, semconv.ErrorTypeKey.String(ErrorType(err)))
	}
	opt := metric.WithAttributeSet(attribute.NewSet(attrs...))
	in.runSteps.Record(ctx, steps, opt)
	in.runReplans.Record(ctx, replans, opt)
}

// recordTool records one tool call's duration and, if it failed, its error.
func (in *instruments) recordTool(ctx context.Context, tool string, seconds float64, errType string) {
	if !in.toolTime.Enabled(ctx) && !in.toolErrors.Enabled(ctx) {
		return
	}
	set := in.sets.get(setKey{which: setTool, model: tool, extra: errType}, func() []attribute.KeyValue {
		attrs := []attribute.KeyValue{semconv.GenAIOperationNameExecuteTool, semconv.GenAIToolName(tool)}
		if errType != "" {
			attrs = append(attrs, semconv.ErrorTypeKey.String(errType))
		}
		return attrs
	})
	opt := metric.WithAttributeSet(set)
	in.toolTime.Record(ctx, seconds, opt)
	if errType != "" {
		in.toolErrors.Add(ctx, 1, opt)
	}
}
