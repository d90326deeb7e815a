package trace

import (
	"context"
	"fmt"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.41.0"
	oteltrace "go.opentelemetry.io/otel/trace"

	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/tools"
)

// SpecsFunc looks up tool specs by name; a tools.Executor's Specs method
// is one.
type SpecsFunc func(names ...string) []llm.ToolSpec

// Tools returns a tools.CallMiddleware that makes each tool call an
// "execute_tool {tool}" span (gen_ai.tool.name, .call.id, .type and, when
// specs is given, .description; arguments and result only through the
// Redactor) and records the plait.tool.call.duration and
// plait.tool.call.errors metrics. A failed call (Result.Err) marks the span
// failed with its error.type.
//
// Each call is recorded by the Tracer of the run in its context, or the
// default. specs may be nil; pass the tool set's Specs method to record
// descriptions:
//
//	set := tools.MustSet(search, fetch)
//	d := tools.NewDispatcher(set, tools.WithMiddleware(trace.Tools(set.Specs)))
//
// Tool errors name their class for error.type by implementing
// [ErrorTyper]; otherwise their Go type is used (see [ErrorType]).
func Tools(specs SpecsFunc) tools.CallMiddleware {
	return toolMiddleware(nil, specs)
}

// Tools is the package-level [Tools] recorded by t.
func (t *Tracer) Tools(specs SpecsFunc) tools.CallMiddleware {
	return toolMiddleware(t, specs)
}

func toolMiddleware(fixed *Tracer, specs SpecsFunc) tools.CallMiddleware {
	var descs sync.Map // tool name -> description
	describe := func(name string) string {
		if specs == nil {
			return ""
		}
		if d, ok := descs.Load(name); ok {
			return d.(string)
		}
		d := ""
		for _, s := range specs(name) {
			if s.Name == name {
				d = s.Description
			}
		}
		descs.Store(name, d)
		return d
	}
	return func(next tools.CallHandler) tools.CallHandler {
		return func(ctx context.Context, call llm.ToolCall) (res tools.Result) {
			t, r := fixed, runFrom(ctx)
			if t == nil {
				if r != nil {
					t = r.t
				} else {
					t = Default()
				}
			}
			if t.off {
				start := time.Now()
				res = next(ctx, call)
				if t.inst.toolTime.Enabled(ctx) {
					d := res.Duration
					if d <= 0 {
						d = time.Since(start)
					}
					t.inst.recordTool(ctx, call.Name, d.Seconds(), ErrorType(res.Err))
				}
				return res
			}
			name := "execute_tool"
			if call.Name != "" {
				name += " " + call.Name
			}
			attrs := make([]attribute.KeyValue, 0, 6)
			attrs = append(attrs, semconv.GenAIOperationNameExecuteTool, semconv.GenAIToolName(call.Name), semconv.GenAIToolType("function"))
			if call.ID != "" {
				attrs = append(attrs, semconv.GenAIToolCallID(call.ID))
			}
			if r != nil && r.conv != "" {
				attrs = append(attrs, semconv.GenAIConversationID(r.conv))
			}
			ctx, span := t.tracer.Start(ctx, name, oteltrace.WithSpanKind(oteltrace.SpanKindInternal), oteltrace.WithAttributes(attrs...))
			recording := span.IsRecording()
			if recording {
				if d := describe(call.Name); d != "" {
					span.SetAttributes(semconv.GenAIToolDescription(d))
				}
				if t.content != nil {
					if s, ok := t.redact(Content{Kind: ContentToolArguments, Name: call.Name, Text: string(call.Arguments)}); ok {
						span.SetAttributes(semconv.GenAIToolCallArgumentsKey.String(s))
					}
				}
			}
			start := time.Now()
			defer func() {
				if p := recover(); p != nil {
					err := fmt.Errorf("trace: tool %q panicked: %v", call.Name, p)
					t.setError(span, err)
					span.End()
					t.inst.recordTool(ctx, call.Name, time.Since(start).Seconds(), "panic")
					panic(p)
				}
			}()
			res = next(ctx, call)
			d := res.Duration
			if d <= 0 {
				d = time.Since(start)
			}
			errType := ""
			if res.Err != nil {
				errType = ErrorType(res.Err)
			}
			if recording {
				if res.Err != nil {
					t.setError(span, res.Err)
				} else if t.content != nil {
					if s, ok := t.redact(Content{Kind: ContentToolResult, Role: string(llm.RoleTool), Name: call.Name, Text: res.Content}); ok {
						span.SetAttributes(semconv.GenAIToolCallResultKey.String(s))
					}
				}
			}
			span.End()
			t.inst.recordTool(ctx, call.Name, d.Seconds(), errType)
			return res
		}
	}
}
