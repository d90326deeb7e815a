package opsagent_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/plait-ai/plait/agent"
	"github.com/plait-ai/plait/examples/ops/opsagent"
	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/llm/llmtest"
	"github.com/plait-ai/plait/tools"
)

// lastToolResult returns the content of the tool messages of the request
// after the tool call.
func toolResults(req llm.Request) string {
	var b strings.Builder
	for _, m := range req.Messages {
		if m.Role == llm.RoleTool {
			b.WriteString(m.Content + "\n")
		}
	}
	return b.String()
}

func TestChangesNeedApprovalAndGuardsHold(t *testing.T) {
	tests := []struct {
		name      string
		role      string
		call      llm.ToolCall
		answer    bool // what the operator answers
		wantAsked bool
		wantSeen  string // in the tool result the model sees
		check     func(c *opsagent.Cluster) bool
	}{
		{"read needs no approval", "oncall", llmtest.Call("service_status", `{"name":"api"}`), false, false, `"healthy":1`,
			func(c *opsagent.Cluster) bool { s, _ := c.Get("api"); return s.Restarts == 0 }},
		{"restart approved", "oncall", llmtest.Call("restart_service", `{"name":"api"}`), true, true, `"restarts":1`,
			func(c *opsagent.Cluster) bool { s, _ := c.Get("api"); return s.Restarts == 1 && s.Healthy == 3 }},
		{"restart denied", "oncall", llmtest.Call("restart_service", `{"name":"api"}`), false, true, "denied",
			func(c *opsagent.Cluster) bool { s, _ := c.Get("api"); return s.Restarts == 0 }},
		{"database is for admins", "oncall", llmtest.Call("restart_service", `{"name":"db"}`), true, false, "denied",
			func(c *opsagent.Cluster) bool { s, _ := c.Get("db"); return s.Restarts == 0 }},
		{"admin may restart the database", "admin", llmtest.Call("restart_service", `{"name":"db"}`), true, true, `"restarts":1`,
			func(c *opsagent.Cluster) bool { s, _ := c.Get("db"); return s.Restarts == 1 }},
		{"no scaling to zero", "admin", llmtest.Call("scale_service", `{"name":"web","replicas":0}`), true, false, "denied",
			func(c *opsagent.Cluster) bool { s, _ := c.Get("web"); return s.Replicas == 2 }},
		{"a week of logs stays", "oncall", llmtest.Call("purge_logs", `{"name":"worker","older_than_days":1}`), true, false, "denied",
			func(c *opsagent.Cluster) bool { s, _ := c.Get("worker"); return s.LogsMB == 2300 }},
		{"purge old logs approved", "oncall", llmtest.Call("purge_logs", `{"name":"worker","older_than_days":7}`), true, true, `"logs_mb":1150`,
			func(c *opsagent.Cluster) bool { s, _ := c.Get("worker"); return s.LogsMB == 1150 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cluster := opsagent.DemoCluster()
			var asked atomic.Int32
			approver := func(ctx context.Context, req tools.ApprovalRequest) (tools.Decision, error) {
				asked.Add(1)
				if tt.answer {
					return tools.Allow(), nil
				}
				return tools.Deny("the operator said no"), nil
			}
			m := llmtest.New(llmtest.ToolCalls(tt.call), llmtest.Text("Done."))
			a, err := opsagent.New(opsagent.Config{Model: m, Cluster: cluster, Approver: approver, Role: tt.role, Strategy: agent.ReAct, NoTrace: true})
			if err != nil {
				t.Fatal(err)
			}
			res, err := a.Run(context.Background(), "do it")
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if got := asked.Load() > 0; got != tt.wantAsked {
				t.Errorf("operator asked = %v, want %v", got, tt.wantAsked)
			}
			if seen := toolResults(m.Requests()[1]); !strings.Contains(seen, tt.wantSeen) {
				t.Errorf("the model saw %q, want %q", seen, tt.wantSeen)
			}
			if !tt.check(cluster) {
				t.Errorf("cluster state wrong: %+v", cluster.List())
			}
			if tt.wantSeen == "denied" {
				if s := res.Steps[0]; s.Status != agent.StepDenied || !errors.Is(s.Err, tools.ErrDenied) {
					t.Errorf("step = %+v, want denied", s)
				}
			}
		})
	}
}

func TestNoApproverDeniesChanges(t *testing.T) {
	cluster := opsagent.DemoCluster()
	m := llmtest.New(llmtest.ToolCalls(llmtest.Call("restart_service", `{"name":"api"}`)), llmtest.Text("Could not."))
	a, err := opsagent.New(opsagent.Config{Model: m, Cluster: cluster, Strategy: agent.ReAct, NoTrace: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Run(context.Background(), "restart api"); err != nil {
		t.Fatal(err)
	}
	if s, _ := cluster.Get("api"); s.Restarts != 0 {
		t.Error("a change ran without an approver")
	}
}
