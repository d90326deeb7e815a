package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/tools"
)

// AsTool returns the agent as a tool another agent can call: it takes a
// goal and returns the answer. The tool's name and description are the
// agent's Name and Description.
func (a *Agent) AsTool() tools.Tool { return agentTool{a} }

type agentTool struct{ a *Agent }

var agentToolSchema = json.RawMessage(`{"type":"object","properties":{"goal":{"type":"string","description":"The goal for the agent to reach, with everything it needs to know."}},"required":["goal"]}`)

func (t agentTool) Spec() llm.ToolSpec {
	desc := t.a.cfg.Description
	if desc == "" {
		desc = "An agent that reaches a goal with its own tools and returns its answer."
	}
	return llm.ToolSpec{Name: t.a.cfg.Name, Description: desc, Parameters: agentToolSchema}
}

func (t agentTool) Call(ctx context.Context, args json.RawMessage) (any, error) {
	var in struct {
		Goal string `json:"goal"`
	}
	if err := json.Unmarshal(args, &in); err != nil {
		return nil, fmt.Errorf("agent %s: the arguments must be {\"goal\": \"...\"}: %w", t.a.cfg.Name, err)
	}
	if strings.TrimSpace(in.Goal) == "" {
		return nil, errors.New("agent " + t.a.cfg.Name + ": the goal is empty")
	}
	res, err := t.a.Run(ctx, in.Goal)
	if err != nil {
		return nil, err
	}
	return res.Answer, nil
}
