package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/plait-ai/plait/llm/llmtest"
)

func TestCommandAsksOnTheTerminal(t *testing.T) {
	m := llmtest.New(
		llmtest.ToolCalls(llmtest.Call("service_status", `{"name":"api"}`)),
		llmtest.ToolCalls(llmtest.Call("restart_service", `{"name":"api"}`)),
		llmtest.Text("Restarted api; all 3 replicas are healthy."),
	)
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"api is unhealthy, fix it"}, strings.NewReader("yes\n"), &out, &errb, m)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, errb.String())
	}
	if !strings.Contains(errb.String(), "wants to run restart_service") || !strings.Contains(errb.String(), "allow? [y/N]") {
		t.Errorf("no approval question:\n%s", errb.String())
	}
	if !strings.Contains(errb.String(), "api     v1.8.2  3/3 healthy") || !strings.Contains(errb.String(), "1 restarts") {
		t.Errorf("cluster after the run:\n%s", errb.String())
	}
	if !strings.Contains(out.String(), "Restarted api") {
		t.Errorf("stdout = %q", out.String())
	}
}
