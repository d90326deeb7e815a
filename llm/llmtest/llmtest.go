// Package llmtest provides a scripted [llm.Model] for tests: it replays
// given responses and streams in order, records the requests it received,
// and fails on demand.
//
//	m := llmtest.New(
//		llmtest.ToolCalls(llmtest.Call("search", `{"q":"rag"}`)),
//		llmtest.Text("RAG retrieves documents, then generates."),
//	)
//	// ... run code that calls m ...
//	reqs := m.Requests() // what the code sent
package llmtest

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"strconv"
	"sync"
	"time"

	"github.com/plait-ai/plait/llm"
)

// Step is one scripted reply. Exactly one of Response, Chunks, Err or Func
// is normally set.
type Step struct {
	// Response is returned by Generate, and streamed as one chunk.
	Response *llm.Response
	// Chunks are streamed one by one; Generate returns them folded.
	Chunks []llm.Chunk
	// Err is returned instead of a reply. With Chunks set, it is yielded
	// after them (a stream that breaks off).
	Err error
	// Func computes the reply from the request.
	Func func(ctx context.Context, req *llm.Request) (*llm.Response, error)
	// Delay makes the reply wait, honouring the context, before answering.
	Delay time.Duration
}

// Model is a scripted llm.Model. It is safe for concurrent use: concurrent
// calls take steps in the order they arrive.
type Model struct {
	mu       sync.Mutex
	steps    []Step
	next     int
	loop     bool
	requests []llm.Request
	record   bool
	info     llm.Info
}

// New returns a model that replies with steps in order and fails once they
// run out.
func New(steps ...Step) *Model {
	return &Model{steps: steps, record: true, info: llm.Info{Provider: "llmtest", Model: "scripted"}}
}

// Loop returns a model that replays steps in a cycle forever, without
// recording requests: for benchmarks.
func Loop(steps ...Step) *Model {
	return &Model{steps: steps, loop: true, info: llm.Info{Provider: "llmtest", Model: "scripted"}}
}

// WithInfo sets the Info the model reports and returns m.
func (m *Model) WithInfo(info llm.Info) *Model { m.info = info; return m }

// Info implements llm.Describer.
func (m *Model) Info() llm.Info { return m.info }

// Append adds steps to the end of the script.
func (m *Model) Append(steps ...Step) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.steps = append(m.steps, steps...)
}

// Requests returns copies of the requests received so far, in order.
func (m *Model) Requests() []llm.Request {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]llm.Request(nil), m.requests...)
}

// Calls returns how many calls the model has answered or refused.
func (m *Model) Calls() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.next
}

// Remaining returns how many scripted steps are left.
func (m *Model) Remaining() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.loop {
		return len(m.steps)
	}
	return len(m.steps) - m.next
}

// ErrScriptExhausted is returned when a call arrives after the last step.
var ErrScriptExhausted = fmt.Errorf("llmtest: script exhausted")

func (m *Model) take(req *llm.Request) (Step, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.record {
		r := *req
		r.Messages = append([]llm.Message(nil), req.Messages...)
		r.Tools = append([]llm.ToolSpec(nil), req.Tools...)
		m.requests = append(m.requests, r)
	}
	n := m.next
	m.next++
	if m.loop && len(m.steps) > 0 {
		return m.steps[n%len(m.steps)], nil
	}
	if n >= len(m.steps) {
		return Step{}, fmt.Errorf("%w: call %d, %d steps scripted", ErrScriptExhausted, n+1, len(m.steps))
	}
	return m.steps[n], nil
}

func wait(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return llm.ContextError("llmtest", ctx.Err())
	}
}

// Generate implements llm.Model.
func (m *Model) Generate(ctx context.Context, req *llm.Request) (*llm.Response, error) {
	s, err := m.take(req)
	if err != nil {
		return nil, err
	}
	if err := wait(ctx, s.Delay); err != nil {
		return nil, err
	}
	switch {
	case s.Func != nil:
		return s.Func(ctx, req)
	case s.Chunks != nil:
		var acc llm.Accumulator
		for _, c := range s.Chunks {
			acc.Add(c)
		}
		resp, err := acc.Response()
		if s.Err != nil {
			return resp, s.Err
		}
		return resp, err
	case s.Err != nil:
		return nil, s.Err
	case s.Response != nil:
		r := *s.Response
		return &r, nil
	}
	return nil, fmt.Errorf("llmtest: empty step %d", m.Calls())
}

// Stream implements llm.Model.
func (m *Model) Stream(ctx context.Context, req *llm.Request) iter.Seq2[llm.Chunk, error] {
	return func(yield func(llm.Chunk, error) bool) {
		s, err := m.take(req)
		if err != nil {
			yield(llm.Chunk{}, err)
			return
		}
		if err := wait(ctx, s.Delay); err != nil {
			yield(llm.Chunk{}, err)
			return
		}
		switch {
		case s.Func != nil:
			resp, err := s.Func(ctx, req)
			if err != nil {
				yield(llm.Chunk{}, err)
				return
			}
			yield(llm.ChunkOf(resp), nil)
		case s.Chunks != nil:
			for _, c := range s.Chunks {
				if err := ctx.Err(); err != nil {
					yield(llm.Chunk{}, llm.ContextError("llmtest", err))
					return
				}
				if !yield(c, nil) {
					return
				}
			}
			if s.Err != nil {
				yield(llm.Chunk{}, s.Err)
			}
		case s.Err != nil:
			yield(llm.Chunk{}, s.Err)
		case s.Response != nil:
			yield(llm.ChunkOf(s.Response), nil)
		default:
			yield(llm.Chunk{}, fmt.Errorf("llmtest: empty step"))
		}
	}
}

// Text is a step that replies with text and finish reason stop.
func Text(text string) Step {
	return Step{Response: &llm.Response{
		Message:      llm.Message{Role: llm.RoleAssistant, Content: text},
		FinishReason: llm.FinishStop,
		Usage:        llm.Usage{InputTokens: 10, OutputTokens: 5},
	}}
}

// ToolCalls is a step that replies with tool calls and finish reason
// tool_calls. Calls without an id get "call_N".
func ToolCalls(calls ...llm.ToolCall) Step {
	cs := make([]llm.ToolCall, len(calls))
	for i, c := range calls {
		if c.ID == "" {
			c.ID = "call_" + strconv.Itoa(i+1)
		}
		cs[i] = c
	}
	return Step{Response: &llm.Response{
		Message:      llm.Message{Role: llm.RoleAssistant, ToolCalls: cs},
		FinishReason: llm.FinishToolCalls,
		Usage:        llm.Usage{InputTokens: 10, OutputTokens: 5},
	}}
}

// Call returns a tool call of name with JSON arguments.
func Call(name, args string) llm.ToolCall {
	return llm.ToolCall{Name: name, Arguments: json.RawMessage(args)}
}

// Fail is a step that returns err.
func Fail(err error) Step { return Step{Err: err} }

// Stream is a step that streams chunks.
func Stream(chunks ...llm.Chunk) Step { return Step{Chunks: chunks} }

// Reply is a step that returns resp.
func Reply(resp *llm.Response) Step { return Step{Response: resp} }

// Func is a step that computes its reply from the request.
func Func(f func(ctx context.Context, req *llm.Request) (*llm.Response, error)) Step {
	return Step{Func: f}
}
