package trace

import (
	"context"
	"errors"
	"reflect"

	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.41.0"

	"github.com/plait-ai/plait/llm"
)

// SchemaURL is the OpenTelemetry schema the spans and metrics follow:
// semantic conventions v1.41.0, the newest release whose Go package carries
// the gen_ai attributes.
const SchemaURL = semconv.SchemaURL

// ScopeName is the instrumentation scope of every span and metric this
// package records.
const ScopeName = "github.com/plait-ai/plait/trace"

// Attribute keys plait records beyond the GenAI semantic conventions. The
// gen_ai.* and error.type keys come from go.opentelemetry.io/otel/semconv.
const (
	// OperationKey names a plait operation that has no GenAI operation
	// name: "plan", "step", "replan", "summarize".
	OperationKey = attribute.Key("plait.operation")
	// StepIDKey is the plan step's id ("s1").
	StepIDKey = attribute.Key("plait.step.id")
	// StepTaskKey is the step's task text. It is content: recorded only
	// through the Redactor.
	StepTaskKey = attribute.Key("plait.step.task")
	// StepToolKey is the tool a step calls, when the planner knows it.
	StepToolKey = attribute.Key("plait.step.tool")
	// PlanStepsKey is the number of steps in a plan.
	PlanStepsKey = attribute.Key("plait.plan.steps")
	// PlanAttemptKey counts plan attempts within a run, from 1.
	PlanAttemptKey = attribute.Key("plait.plan.attempt")
	// ReplanReasonKey says why the planner replanned.
	ReplanReasonKey = attribute.Key("plait.replan.reason")
	// RunStepsKey is the number of steps a run started (on invoke_agent).
	RunStepsKey = attribute.Key("plait.run.steps")
	// RunReplansKey is the number of replans in a run (on invoke_agent).
	RunReplansKey = attribute.Key("plait.run.replans")
	// StreamStoppedKey is true on a chat span whose stream the caller
	// stopped reading before it ended.
	StreamStoppedKey = attribute.Key("plait.stream.stopped")
)

// The names of plait's own operations, the values of [OperationKey] and
// the names of their spans.
const (
	OpPlan      = "plan"
	OpStep      = "step"
	OpReplan    = "replan"
	OpSummarize = "summarize"
)

// The names of the metrics plait records besides the GenAI ones
// (gen_ai.client.token.usage, gen_ai.client.operation.duration and
// gen_ai.client.operation.time_to_first_chunk).
const (
	// MetricToolDuration is a histogram of tool call durations, in seconds,
	// by gen_ai.tool.name and error.type.
	MetricToolDuration = "plait.tool.call.duration"
	// MetricToolErrors counts failed tool calls by gen_ai.tool.name and
	// error.type.
	MetricToolErrors = "plait.tool.call.errors"
	// MetricRunSteps is a histogram of the steps each run started, by
	// gen_ai.agent.name.
	MetricRunSteps = "plait.agent.run.steps"
	// MetricRunReplans is a histogram of the replans in each run, by
	// gen_ai.agent.name.
	MetricRunReplans = "plait.agent.run.replans"
)

// Bucket boundaries the GenAI semantic conventions advise for their
// histograms.
var (
	// TokenUsageBuckets are the advised boundaries of
	// gen_ai.client.token.usage.
	TokenUsageBuckets = []float64{1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864}
	// DurationBuckets are the advised boundaries, in seconds, of
	// gen_ai.client.operation.duration; plait uses them for tool calls too.
	DurationBuckets = []float64{0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92}
	// countBuckets are for steps and replans per run.
	countBuckets = []float64{0, 1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 25, 32, 50, 64, 100}
)

// ErrorTyper is implemented by errors that name their own class for the
// error.type attribute. plait's packages implement it on their typed errors.
type ErrorTyper interface {
	ErrorType() string
}

// ErrorType returns the error.type value for err: the kind of an
// [*llm.Error] ("rate_limit", "timeout"), the name an [ErrorTyper] in the
// chain gives, "timeout" or "canceled" for context errors, else the Go type
// of the first error in the chain that is not a plain wrapper
// ("*net.OpError"), and "_OTHER" when only errors.New and fmt.Errorf values
// remain. It returns "" for nil.
func ErrorType(err error) string {
	if err == nil {
		return ""
	}
	var le *llm.Error
	if errors.As(err, &le) {
		return le.Kind.String()
	}
	var et ErrorTyper
	if errors.As(err, &et) {
		if s := et.ErrorType(); s != "" {
			return s
		}
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	for e := err; e != nil; {
		t := reflect.TypeOf(e).String()
		switch t {
		case "*fmt.wrapError", "*fmt.wrapErrors", "*errors.joinError", "*errors.errorString":
		default:
			return t
		}
		switch u := e.(type) {
		case interface{ Unwrap() error }:
			e = u.Unwrap()
		case interface{ Unwrap() []error }:
			if errs := u.Unwrap(); len(errs) > 0 {
				e = errs[0]
			} else {
				e = nil
			}
		default:
			e = nil
		}
	}
	return semconv.ErrorTypeOther.Value.AsString()
}
