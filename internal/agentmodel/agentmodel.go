// Package agentmodel adapts an agent to the llm.Model interface, so that
// anything that serves or calls a model (package llm/serve, and through it
// Chatbox, AnythingLLM or Page Assist) can use an agent as if it were one.
//
//	m, err := agentmodel.New(agent.Config{Model: base, ToolList: ts}, agentmodel.Options{Name: "plait-agent"})
//	h := (&serve.Server{Default: m}).Handler()
//
// Each request runs the agent on its last user message; the messages before it
// are the run's history (a temporary conversation in an in-memory store,
// deleted when the run ends). The answer streams as text; with
// Options.Progress the plan and each step stream as reasoning text, which chat
// clients show as the model's thinking. The tools a client offers in the
// request are not used: the agent has its own.
package agentmodel

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strings"

	"github.com/plait-ai/plait/agent"
	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/memory"
)

// Options configures the adapter. The zero value works.
type Options struct {
	// Name is the model name reported in Info and to clients; default
	// "plait-agent".
	Name string
	// Progress streams the plan and the steps as reasoning text.
	Progress bool
}

// Model is an agent seen as an llm.Model. It is safe for concurrent use.
type Model struct {
	agent *agent.Agent
	store memory.Store
	opts  Options
}

// New builds the agent of cfg and returns it as a model. The config's
// Memory.Store is replaced by the adapter's own in-memory store, which holds
// each request's history while it runs.
func New(cfg agent.Config, opts Options) (*Model, error) {
	if opts.Name == "" {
		opts.Name = "plait-agent"
	}
	store := memory.NewMemStore()
	cfg.Memory.Store = store
	a, err := agent.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("agentmodel: %w", err)
	}
	return &Model{agent: a, store: store, opts: opts}, nil
}

// Agent returns the adapted agent.
func (m *Model) Agent() *agent.Agent { return m.agent }

// Info implements llm.Describer.
func (m *Model) Info() llm.Info { return llm.Info{Provider: "plait", Model: m.opts.Name} }

// Generate implements llm.Model: it runs the agent and returns its answer.
func (m *Model) Generate(ctx context.Context, req *llm.Request) (*llm.Response, error) {
	return llm.Collect(m.Stream(ctx, req))
}

// Split returns the text of the last user message of msgs, and the messages
// before it that can serve as history: system, user and assistant messages
// with text (tool calls and tool results of the client's own tools are left
// out).
func Split(msgs []llm.Message) (goal string, history []llm.Message) {
	last := -1
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role == llm.RoleUser {
			last = i
			break
		}
	}
	if last < 0 {
		return "", nil
	}
	for _, msg := range msgs[:last] {
		if msg.Content == "" || msg.Role == llm.RoleTool || len(msg.ToolCalls) > 0 {
			continue
		}
		history = append(history, llm.Message{Role: msg.Role, Content: msg.Content})
	}
	return msgs[last].Content, history
}

// Stream implements llm.Model: it runs the agent and streams its answer.
func (m *Model) Stream(ctx context.Context, req *llm.Request) iter.Seq2[llm.Chunk, error] {
	return func(yield func(llm.Chunk, error) bool) {
		goal, history := Split(req.Messages)
		if strings.TrimSpace(goal) == "" {
			yield(llm.Chunk{}, llm.Errorf(llm.KindInvalidRequest, "plait", "the request has no user message for the agent to act on"))
			return
		}
		conv := memory.NewID()
		if len(history) > 0 {
			recs := make([]memory.Record, len(history))
			for i, h := range history {
				recs[i] = memory.Record{Message: h}
			}
			if _, err := m.store.Append(ctx, conv, recs...); err != nil {
				yield(llm.Chunk{}, fmt.Errorf("agentmodel: keep the history: %w", err))
				return
			}
		}
		defer func() {
			if err := m.store.Delete(context.WithoutCancel(ctx), conv); err != nil && !errors.Is(err, memory.ErrNotFound) {
				_ = err // the in-memory store only fails on a missing conversation
			}
		}()
		ctx = agent.WithConversation(ctx, conv)
		streamed := false
		for ev, err := range m.agent.Stream(ctx, goal) {
			var c llm.Chunk
			switch ev.Type {
			case agent.EventAnswerDelta:
				if ev.Text == "" {
					continue
				}
				streamed = true
				c.Text = ev.Text
			case agent.EventDone:
				if err != nil {
					yield(llm.Chunk{}, err)
					return
				}
				if ev.Result != nil {
					if !streamed && ev.Result.Answer != "" {
						if !yield(llm.Chunk{Text: ev.Result.Answer, Model: m.opts.Name}, nil) {
							return
						}
					}
					u := ev.Result.Usage
					c.Usage = &u
				}
				c.FinishReason = llm.FinishStop
			default:
				if err != nil {
					continue // the done event carries the run's error
				}
				if !m.opts.Progress {
					continue
				}
				c.Reasoning = describe(ev)
				if c.Reasoning == "" {
					continue
				}
			}
			c.Model = m.opts.Name
			if !yield(c, nil) {
				return
			}
		}
	}
}

// describe renders a progress event as a line of reasoning text.
func describe(ev agent.Event) string {
	switch ev.Type {
	case agent.EventPlan, agent.EventReplan:
		if ev.Plan == nil {
			return ""
		}
		var b strings.Builder
		if ev.Type == agent.EventReplan {
			fmt.Fprintf(&b, "Replanning: %s\n", ev.Text)
		}
		if ev.Plan.Thought != "" {
			fmt.Fprintf(&b, "%s\n", ev.Plan.Thought)
		}
		for _, s := range ev.Plan.Steps {
			tool := s.Tool
			if tool == "" {
				tool = "think"
			}
			fmt.Fprintf(&b, "- %s [%s] %s\n", s.ID, tool, s.Task)
		}
		return b.String()
	case agent.EventStepStarted:
		if ev.Step != nil {
			return fmt.Sprintf("▶ %s %s %s\n", ev.Step.ID, ev.Step.Tool, ev.Step.Task)
		}
	case agent.EventStepFinished:
		if ev.Step != nil {
			return fmt.Sprintf("%s %s %s\n", ev.Step.ID, ev.Step.Status, ev.Step.Duration.Round(1e6))
		}
	}
	return ""
}
