package cli_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/plait-ai/plait/agent"
	"github.com/plait-ai/plait/internal/cli"
	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/tools"
)

func TestSpec(t *testing.T) {
	t.Setenv(cli.EnvModel, "")
	if s, def := cli.Spec(""); s != cli.DefaultModel || !def {
		t.Errorf("Spec(\"\") = %q %v", s, def)
	}
	t.Setenv(cli.EnvModel, "deepseek/deepseek-chat")
	if s, def := cli.Spec(""); s != "deepseek/deepseek-chat" || def {
		t.Errorf("from env: %q %v", s, def)
	}
	if s, def := cli.Spec("openai/gpt-4o"); s != "openai/gpt-4o" || def {
		t.Errorf("from flag: %q %v", s, def)
	}
}

func TestOpenModelErrors(t *testing.T) {
	t.Setenv(cli.EnvModel, "")
	t.Setenv("DEEPSEEK_API_KEY", "")
	if _, _, err := cli.OpenModel(context.Background(), "deepseek/deepseek-chat"); err == nil || errors.Is(err, cli.ErrNoModel) || !errors.Is(err, llm.ErrAuth) {
		t.Errorf("a named model without its key: %v; want an auth error, not ErrNoModel", err)
	}
	if _, _, err := cli.OpenModel(context.Background(), ""); err != nil && (!errors.Is(err, cli.ErrNoModel) || !strings.Contains(err.Error(), "PLAIT_MODEL=")) {
		t.Errorf("the default model: %v; want ErrNoModel with help", err)
	}
}

func TestAsker(t *testing.T) {
	tests := []struct {
		in   string
		want agent.Decision
	}{{"y\n", agent.Allow}, {"YES\n", agent.Allow}, {"n\n", agent.Deny}, {"\n", agent.Deny}, {"", agent.Deny}}
	for _, tt := range tests {
		var out bytes.Buffer
		a := cli.NewAsker(strings.NewReader(tt.in), &out)
		ap, err := a.Approve(context.Background(), agent.ApprovalRequest{Step: "s1", Tool: "rm", Args: []byte(`{"path":"/"}`)})
		if err != nil || ap.Decision != tt.want {
			t.Errorf("%q: %+v %v", tt.in, ap, err)
		}
		if !strings.Contains(out.String(), `wants to run rm {"path":"/"}`) {
			t.Errorf("question = %q", out.String())
		}
	}
	a := cli.NewAsker(strings.NewReader("y\nnext line\n"), &bytes.Buffer{})
	d, err := a.ApproveCall(context.Background(), tools.ApprovalRequest{Call: llm.ToolCall{ID: "c", Name: "restart"}})
	if err != nil || d.Verdict != tools.VerdictAllow {
		t.Errorf("ApproveCall = %+v %v", d, err)
	}
	if line, err := a.ReadLine(); line != "next line" || err != nil {
		t.Errorf("ReadLine = %q %v", line, err)
	}
}
