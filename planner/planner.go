package planner

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unsafe"

	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/tools"
)

// Config configures a [Planner]. Only Model is required. New copies it.
type Config struct {
	// Model writes the plans.
	Model llm.Model
	// Tools are the tools plans may call; nil plans reasoning steps only.
	Tools tools.Executor
	// Instructions are the agent's own instructions, put before the
	// planning instructions.
	Instructions string
	// MaxRepairs is how many times an invalid plan goes back to the model
	// with its problems: 0 means 2, a negative number means none.
	MaxRepairs int
	// NoSchema stops the planner sending the plan's JSON schema
	// (SchemaFor of the tools' specs) as the request's response schema. Without it, a request the backend
	// rejects as invalid is sent again once without the schema. The reply
	// is parsed leniently either way.
	NoSchema bool
	// Temperature and MaxTokens set the planning requests' sampling; nil
	// and 0 leave the backend's defaults.
	Temperature *float64
	MaxTokens   int
}

// Planner turns goals into validated, compiled plans. It is safe for
// concurrent use.
type Planner struct {
	cfg    Config
	specs  []llm.ToolSpec
	specOf map[string]*llm.ToolSpec
	system string
	schema *llm.JSONSchema // for replans
	first  *llm.JSONSchema // for first plans: numbered steps
}

// New returns a planner for cfg.
func New(cfg Config) (*Planner, error) {
	if cfg.Model == nil {
		return nil, errors.New("planner: no model; set Config.Model")
	}
	if cfg.MaxRepairs == 0 {
		cfg.MaxRepairs = 2
	}
	p := &Planner{cfg: cfg}
	if cfg.Tools != nil {
		p.specs = cfg.Tools.Specs()
	}
	p.specOf = indexSpecs(p.specs)
	p.system = SystemPrompt(cfg.Instructions, p.specs)
	if !cfg.NoSchema {
		p.schema = &llm.JSONSchema{Name: "plan", Schema: SchemaFor(p.specs)}
		p.first = &llm.JSONSchema{Name: "plan", Schema: SchemaForNumbered(p.specs)}
	}
	return p, nil
}

// Specs returns the specs of the tools plans may call.
func (p *Planner) Specs() []llm.ToolSpec { return p.specs }

// SystemPrompt returns the chain-of-thought planning prompt for the given
// instructions and tools.
func SystemPrompt(instructions string, specs []llm.ToolSpec) string {
	var b strings.Builder
	if instructions != "" {
		b.WriteString(strings.TrimSpace(instructions))
		b.WriteString("\n\n")
	}
	b.WriteString(`You plan how to reach a goal with tools. First think step by step: what does the goal need, which tools provide it, what does memory already hold, which steps depend on which, which can run at the same time. Then write the plan.

Reply with one JSON object and nothing else:
{"thought": "your reasoning", "steps": [{"id": "s1", "task": "what the step does", "tool": "tool name, or empty for a reasoning step", "args": {...}, "deps": ["ids of earlier steps it needs"], "when": "optional condition"}]}

Rules:
- Ids are short unique names: s1, s2, ...
- args must match the tool's argument schema.
- A step may use the outputs of earlier steps only. Write "${s1}" for a whole output, or an expression such as "${s1.hits[0].url}" (field names as in the tool's JSON output) to take part of one; inside a longer string the value is interpolated. "${goal}" is the goal's text, as it was given.
- Steps that do not depend on each other run in parallel: prefer independent steps.
- "when" is an optional condition over earlier outputs, such as "len(s1.hits) > 0"; the step is skipped when it is false.
- A step without a tool is a reasoning step: the model works out its task from the outputs of its deps.
- Do not add a step that writes the final answer: you will write it from the outputs once the steps have run.
`)
	b.WriteString("\nTools:\n")
	if len(specs) == 0 {
		b.WriteString("(none: plan reasoning steps only)\n")
	}
	for _, s := range specs {
		b.WriteString("- ")
		b.WriteString(s.Name)
		if s.Description != "" {
			b.WriteString(": ")
			b.WriteString(strings.TrimSpace(s.Description))
		}
		b.WriteString("\n  args schema: ")
		if len(s.Parameters) > 0 {
			b.Write(s.Parameters)
		} else {
			b.WriteString(`{"type":"object"}`)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// Request is what a plan is made for; a plain value the planner only
// reads.
type Request struct {
	// Goal is what the plan must reach.
	Goal string
	// History is the conversation before the goal, oldest first.
	History []llm.Message
	// Memory is what memory holds that bears on the goal: notes, and on a
	// replan the steps done so far with their outputs.
	Memory string
	// Replan, when set, says why the previous plan is being replaced (the
	// failures, or what the results lacked).
	Replan string
	// Previous is the plan being replaced.
	Previous *Plan
	// Done are the steps completed so far, by id; the new plan may
	// reference them, and repeating one unchanged reuses its output.
	Done map[string]Done
}

// Outcome is the result of planning: the program, and what it cost. It
// belongs to the caller.
type Outcome struct {
	// Program is the valid, compiled plan; nil when planning failed.
	Program *Program
	// Usage sums the tokens of every model call, repairs included.
	Usage llm.Usage
	// Calls is the number of model calls made.
	Calls int
	// Rejected are the errors of the replies that were not valid plans,
	// in order.
	Rejected []error
	// Reasoning is the reasoning text of the accepted reply, from models
	// that return it apart from the content.
	Reasoning string
}

// Plan asks the model for a plan for req, validates and compiles it, and
// sends an invalid plan back with its problems up to MaxRepairs times. The
// outcome is returned also with an error, for its usage. An error wraps
// the last [*ParseError] or [*ValidationError] when no valid plan came.
func (p *Planner) Plan(ctx context.Context, req Request) (*Outcome, error) {
	// Without history, the outcome, the first request and its two
	// messages are one allocation (480 bytes, a size class); repairs
	// append to a copy.
	var first *struct {
		out  Outcome
		req  llm.Request
		msgs [2]llm.Message
	}
	var out *Outcome
	var msgs []llm.Message
	if len(req.History) == 0 {
		first = &struct {
			out  Outcome
			req  llm.Request
			msgs [2]llm.Message
		}{}
		out = &first.out
		first.msgs[0] = llm.Message{Role: llm.RoleSystem, Content: p.system}
		first.msgs[1] = llm.Message{Role: llm.RoleUser, Content: userPrompt(req)}
		msgs = first.msgs[:]
	} else {
		out = &Outcome{}
		msgs = make([]llm.Message, 0, 2+len(req.History))
		msgs = append(msgs, llm.Message{Role: llm.RoleSystem, Content: p.system})
		msgs = append(msgs, req.History...)
		msgs = append(msgs, llm.Message{Role: llm.RoleUser, Content: userPrompt(req)})
	}
	opts := Options{Specs: p.specs, Done: req.Done}
	schema := p.schema
	if len(req.Done) == 0 && req.Previous == nil && req.Replan == "" {
		schema = p.first
	}
	for attempt := 0; ; attempt++ {
		var r *llm.Request
		if attempt == 0 && first != nil {
			r = &first.req
		} else {
			r = new(llm.Request)
		}
		*r = llm.Request{
			Messages:       msgs,
			ResponseSchema: schema,
			Temperature:    p.cfg.Temperature,
			MaxTokens:      p.cfg.MaxTokens,
		}
		resp, err := p.cfg.Model.Generate(ctx, r)
		out.Calls++
		if resp != nil {
			out.Usage = out.Usage.Add(resp.Usage)
		}
		if err != nil && schema != nil && errors.Is(err, llm.ErrInvalidRequest) {
			// A backend that rejects response schemas: ask again
			// without one and read the plan leniently.
			schema = nil
			resp, err = p.cfg.Model.Generate(ctx, &llm.Request{Messages: msgs, Temperature: p.cfg.Temperature, MaxTokens: p.cfg.MaxTokens})
			out.Calls++
			if resp != nil {
				out.Usage = out.Usage.Add(resp.Usage)
			}
		}
		if err != nil {
			return out, fmt.Errorf("planner: the model failed: %w", err)
		}
		text := resp.Message.Content
		texts := argTexts{compiles: true}
		plan, err := parse(text, p.specs, &texts)
		if err == nil {
			var prog *Program
			prog, err = compile(plan, p.cfg.Tools, opts, p.specOf, &texts)
			if err == nil {
				out.Program = prog
				out.Reasoning = resp.Message.Reasoning
				return out, nil
			}
		}
		out.Rejected = append(out.Rejected, err)
		if attempt >= p.cfg.MaxRepairs {
			return out, fmt.Errorf("planner: no valid plan after %d attempt(s): %w", attempt+1, err)
		}
		msgs = append(msgs,
			llm.Message{Role: llm.RoleAssistant, Content: text},
			llm.Message{Role: llm.RoleUser, Content: repairPrompt(err)})
	}
}

func userPrompt(req Request) string {
	const (
		goal       = "Goal: "
		memory     = "\nMemory:\n"
		replan     = "\nThe previous plan must be replaced: "
		replanRule = "\nPlan only what is still needed. Completed steps keep their ids and outputs: reference them as ${id}, and do not run them again.\n"
		thought    = "The previous plan's thought was: "
	)
	// The prompt is sized exactly.
	m := strings.TrimSpace(req.Memory)
	thoughtText := ""
	if req.Replan != "" && req.Previous != nil {
		thoughtText = req.Previous.Thought
	}
	n := len(goal) + len(req.Goal) + 1
	if m != "" {
		n += len(memory) + len(m) + 1
	}
	if req.Replan != "" {
		n += len(replan) + len(req.Replan) + len(replanRule)
		if thoughtText != "" {
			n += len(thought) + len(thoughtText) + 1
		}
	}
	b := make([]byte, 0, n)
	b = append(b, goal...)
	b = append(b, req.Goal...)
	b = append(b, '\n')
	if m != "" {
		b = append(b, memory...)
		b = append(b, m...)
		b = append(b, '\n')
	}
	if req.Replan != "" {
		b = append(b, replan...)
		b = append(b, req.Replan...)
		b = append(b, replanRule...)
		if thoughtText != "" {
			b = append(b, thought...)
			b = append(b, thoughtText...)
			b = append(b, '\n')
		}
	}
	// b is never written again: the prompt is its bytes, as a
	// strings.Builder's string is.
	return unsafe.String(unsafe.SliceData(b), len(b))
}

func repairPrompt(err error) string {
	var b strings.Builder
	b.WriteString("That plan cannot be used:\n")
	var ve *ValidationError
	if errors.As(err, &ve) {
		for _, pr := range ve.Problems {
			b.WriteString("- ")
			b.WriteString(pr.String())
			b.WriteByte('\n')
		}
	} else {
		b.WriteString("- ")
		b.WriteString(err.Error())
		b.WriteByte('\n')
	}
	b.WriteString("Reply with the whole corrected plan as one JSON object with \"thought\" and \"steps\".")
	return b.String()
}
