// Package crew is the team example: a coordinator agent whose tools are
// other agents. The coordinator plans; the researcher searches the bundled
// knowledge base about language models; the analyst does arithmetic with a
// calculator; the writer turns findings into prose. Independent sub-agents
// run in parallel, each with its own model, tools and limits.
package crew

import (
	"context"
	"errors"
	"fmt"

	"github.com/plait-ai/plait/agent"
	"github.com/plait-ai/plait/examples/researcher/research"
	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/tools"
	"github.com/plait-ai/plait/tools/builtin"
)

// Models are the models of the team. Coordinator is required; a nil
// sub-agent model uses the coordinator's.
type Models struct {
	Coordinator, Researcher, Analyst, Writer llm.Model
}

// Config configures a team.
type Config struct {
	Models Models
	// KB is the researcher's knowledge base; nil loads the bundled notes.
	KB *research.KB
	// SubStrategy is the sub-agents' strategy (default ReAct: they are
	// small, focused tasks).
	SubStrategy *agent.Strategy
	NoTrace     bool
}

// Team is a coordinator with its sub-agents. It is safe for concurrent use.
type Team struct {
	// Coordinator runs a goal, delegating to the others.
	Coordinator *agent.Agent
	Researcher  *agent.Agent
	Analyst     *agent.Agent
	Writer      *agent.Agent
}

// CoordinatorInstructions are the coordinator's instructions.
const CoordinatorInstructions = `You lead a small team. Split the goal into tasks for your team members, who are your tools:
researcher (finds facts in a knowledge base about language models, with sources), analyst (computes numbers),
writer (writes the final text from material you give it). Give each one a complete, self-contained goal:
they do not see the conversation. Run independent tasks in parallel. Answer with the writer's text, citing the steps.`

// New builds the team.
func New(ctx context.Context, cfg Config) (*Team, error) {
	ms := cfg.Models
	if ms.Coordinator == nil {
		return nil, errors.New("crew: Models.Coordinator is nil")
	}
	or := func(m llm.Model) llm.Model {
		if m == nil {
			return ms.Coordinator
		}
		return m
	}
	sub := agent.ReAct
	if cfg.SubStrategy != nil {
		sub = *cfg.SubStrategy
	}
	kb := cfg.KB
	if kb == nil {
		var err error
		if kb, err = research.NewKB(ctx); err != nil {
			return nil, err
		}
	}
	limits := agent.Limits{MaxTurns: 8, MaxSteps: 12}
	r, err := research.New(research.Config{Model: or(ms.Researcher), KB: kb, Strategy: sub, Limits: limits, NoTrace: cfg.NoTrace})
	if err != nil {
		return nil, err
	}
	// research.New names its agent "researcher" with a description; reuse it.
	researcher := r.Agent()
	analyst, err := agent.New(agent.Config{
		Name:         "analyst",
		Description:  "Computes numbers: give it the figures and the calculation wanted; it answers with the result and how it got it.",
		Model:        or(ms.Analyst),
		Instructions: "You are an analyst. Use the calculator for every computation; never do arithmetic in your head. Answer with the result and the formula.",
		ToolList:     []tools.Tool{builtin.Calculator()},
		Strategy:     sub,
		Limits:       limits,
		NoTrace:      cfg.NoTrace,
	})
	if err != nil {
		return nil, fmt.Errorf("crew: analyst: %w", err)
	}
	writer, err := agent.New(agent.Config{
		Name:         "writer",
		Description:  "Writes clear, short prose from the material in its goal: give it the facts, the audience and the length.",
		Model:        or(ms.Writer),
		Instructions: "You are a technical writer. Write only from the material given; keep every citation in square brackets as given.",
		Strategy:     agent.ReAct,
		Limits:       limits,
		NoTrace:      cfg.NoTrace,
	})
	if err != nil {
		return nil, fmt.Errorf("crew: writer: %w", err)
	}
	coord, err := agent.New(agent.Config{
		Name:         "coordinator",
		Model:        ms.Coordinator,
		Instructions: CoordinatorInstructions,
		ToolList:     []tools.Tool{researcher.AsTool(), analyst.AsTool(), writer.AsTool()},
		Strategy:     agent.PlanExecute,
		NoTrace:      cfg.NoTrace,
	})
	if err != nil {
		return nil, fmt.Errorf("crew: coordinator: %w", err)
	}
	return &Team{Coordinator: coord, Researcher: researcher, Analyst: analyst, Writer: writer}, nil
}
