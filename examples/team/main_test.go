package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/plait-ai/plait/examples/team/crew"
	"github.com/plait-ai/plait/llm/llmtest"
)

func TestCommand(t *testing.T) {
	plan := `{"thought":"ask the writer","steps":[{"id":"s1","task":"write","tool":"writer","args":{"goal":"Say hi."}}]}`
	coord := llmtest.New(llmtest.Text(plan), llmtest.Text("Hi [s1]."))
	writer := llmtest.New(llmtest.Text("Hi."))
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"greet"}, &out, &errb, &crew.Models{Coordinator: coord, Writer: writer})
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, errb.String())
	}
	if strings.TrimSpace(out.String()) != "Hi [s1]." || !strings.Contains(errb.String(), "[writer]") {
		t.Errorf("stdout %q stderr:\n%s", out.String(), errb.String())
	}
	if code := run(context.Background(), nil, &out, &errb, nil); code != 2 {
		t.Errorf("no goal: exit %d", code)
	}
}
