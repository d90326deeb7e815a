// Package eval measures how well a model plans and answers on synthetic
// traces (package gen), usually the held-out split: the share of plans
// that parse and validate, tool selection, argument exact match, and
// answers that contain the expected fact. It runs without and with
// constrained decoding (the plan's JSON schema as the response schema).
package eval

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/llm/local/embedded/gen"
	"github.com/plait-ai/plait/planner"
	"github.com/plait-ai/plait/tools"
)

// Metrics are counts over the examples evaluated.
type Metrics struct {
	Examples    int
	Parsed      int // the reply parses as a plan
	Valid       int // and validates against the tools
	ToolsRight  int // the plan calls the expected tools, in order
	ArgsExact   int // and every argument equals the expected one
	AnswerFacts int // the answer contains the expected fact
	TooLong     int // prompts (plan or answer) longer than the model's context
}

// Add adds o's counts to m.
func (m *Metrics) Add(o Metrics) {
	m.Examples += o.Examples
	m.Parsed += o.Parsed
	m.Valid += o.Valid
	m.ToolsRight += o.ToolsRight
	m.ArgsExact += o.ArgsExact
	m.AnswerFacts += o.AnswerFacts
	m.TooLong += o.TooLong
}

// Rate returns n as a share of the examples.
func (m Metrics) Rate(n int) float64 {
	if m.Examples == 0 {
		return 0
	}
	return float64(n) / float64(m.Examples)
}

// String formats the metrics as percentages.
func (m Metrics) String() string {
	s := fmt.Sprintf("n=%d parsed %.0f%% valid %.0f%% tools %.0f%% args %.0f%% answer-fact %.0f%%",
		m.Examples, 100*m.Rate(m.Parsed), 100*m.Rate(m.Valid), 100*m.Rate(m.ToolsRight), 100*m.Rate(m.ArgsExact), 100*m.Rate(m.AnswerFacts))
	if m.TooLong > 0 {
		s += fmt.Sprintf(" (%d prompts too long)", m.TooLong)
	}
	return s
}

// Options configure [Run].
type Options struct {
	// Constrained sends the plan's JSON schema for the example's tools
	// (planner.SchemaForNumbered, what a planner sends for a first plan) as
	// the response schema, and the steps' outputs as the answer's sources
	// (llm.Request.Sources, what an agent's join sends).
	Constrained bool
	// PlanTokens and AnswerTokens bound the replies; 0 means 400 and 160.
	PlanTokens, AnswerTokens int
	// Progress, when set, is called after each example.
	Progress func(i int, m Metrics)
}

// Run evaluates m on exs with greedy decoding.
func Run(ctx context.Context, m llm.Model, exs []gen.Example, opts Options) (Metrics, error) {
	pt, at := opts.PlanTokens, opts.AnswerTokens
	if pt == 0 {
		pt = 400
	}
	if at == 0 {
		at = 160
	}
	zero := 0.0
	var res Metrics
	for i := range exs {
		e := &exs[i]
		res.Examples++
		msgs := e.PlanMessages()
		req := &llm.Request{Messages: msgs[:2], Temperature: &zero, MaxTokens: pt}
		if opts.Constrained {
			req.ResponseSchema = &llm.JSONSchema{Name: "plan", Schema: planner.SchemaForNumbered(e.Tools)}
		}
		// A prompt longer than the model's context scores as a failure,
		// as it would fail an agent.
		resp, err := m.Generate(ctx, req)
		switch {
		case errors.Is(err, llm.ErrContextLength):
			res.TooLong++
		case err != nil:
			return res, fmt.Errorf("eval: example %d: plan: %w", i, err)
		default:
			scorePlan(&res, e, resp.Message.Content)
		}
		amsgs := e.AnswerMessages()
		areq := &llm.Request{Messages: amsgs[:2], Temperature: &zero, MaxTokens: at}
		if opts.Constrained {
			// As an agent's join sends them: the steps' outputs.
			for _, o := range e.Observations {
				areq.Sources = append(areq.Sources, llm.Source{ID: o.Step, Text: o.Content})
			}
		}
		resp, err = m.Generate(ctx, areq)
		switch {
		case errors.Is(err, llm.ErrContextLength):
			res.TooLong++
		case err != nil:
			return res, fmt.Errorf("eval: example %d: answer: %w", i, err)
		case strings.Contains(resp.Message.Content, e.Fact):
			res.AnswerFacts++
		}
		if opts.Progress != nil {
			opts.Progress(i, res)
		}
	}
	return res, nil
}

// ScorePlan scores one plan reply against e's expected plan and adds it to
// m (for tests and other drivers).
func ScorePlan(m *Metrics, e *gen.Example, reply string) {
	m.Examples++
	scorePlan(m, e, reply)
}

func scorePlan(m *Metrics, e *gen.Example, reply string) {
	p, err := planner.Parse(reply, e.Tools)
	if err != nil {
		return
	}
	m.Parsed++
	exec, err := executor(e.Tools)
	if err != nil {
		return
	}
	if _, err := planner.Compile(p, exec, planner.Options{}); err != nil {
		return
	}
	m.Valid++
	if len(p.Steps) != len(e.Plan.Steps) {
		return
	}
	for i, s := range p.Steps {
		if s.Tool != e.Plan.Steps[i].Tool {
			return
		}
	}
	m.ToolsRight++
	for i, s := range p.Steps {
		if !sameJSON(s.Args, e.Plan.Steps[i].Args) {
			return
		}
	}
	m.ArgsExact++
}

func sameJSON(a, b json.RawMessage) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return bytes.Equal(a, b)
	}
	ja, _ := json.Marshal(x)
	jb, _ := json.Marshal(y)
	return bytes.Equal(ja, jb)
}

// executor returns an executor over specs whose tools validate arguments
// against their schemas (and are never run).
func executor(specs []llm.ToolSpec) (tools.Executor, error) {
	var ts []tools.Tool
	for _, s := range specs {
		rt, err := tools.Raw(s, func(context.Context, json.RawMessage) (any, error) { return nil, nil })
		if err != nil {
			return nil, err
		}
		ts = append(ts, rt)
	}
	set, err := tools.NewSet(ts...)
	if err != nil {
		return nil, err
	}
	return tools.NewDispatcher(set), nil
}
