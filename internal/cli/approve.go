package cli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/plait-ai/plait/agent"
	"github.com/plait-ai/plait/tools"
)

// Asker asks a person to approve steps, one question at a time, reading
// answers from In and writing questions to Out. It is safe for concurrent
// use: parallel steps wait their turn.
type Asker struct {
	mu  sync.Mutex
	in  *bufio.Reader
	out io.Writer
}

// NewAsker returns an Asker reading answers from in.
func NewAsker(in io.Reader, out io.Writer) *Asker {
	return &Asker{in: bufio.NewReader(in), out: out}
}

// ReadLine reads one line (for prompts outside approvals), without its
// line ending; io.EOF when the input is done.
func (a *Asker) ReadLine() (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.readLine()
}

func (a *Asker) readLine() (string, error) {
	line, err := a.in.ReadString('\n')
	if err != nil && line == "" {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// Approve is an agent.ApprovalFunc: it shows the step and asks "run it?";
// "y" or "yes" allows it, anything else (or the end of the input) denies it.
func (a *Asker) Approve(ctx context.Context, req agent.ApprovalRequest) (agent.Approval, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	fmt.Fprintf(a.out, "\n? step %s wants to run %s %s\n", req.Step, req.Tool, string(req.Args))
	if req.Task != "" {
		fmt.Fprintf(a.out, "  (%s)\n", req.Task)
	}
	fmt.Fprint(a.out, "  allow? [y/N] ")
	type answer struct {
		s   string
		err error
	}
	ch := make(chan answer, 1)
	go func() {
		s, err := a.readLine()
		ch <- answer{s, err}
	}()
	select {
	case <-ctx.Done():
		return agent.Approval{Decision: agent.Deny, Reason: "the run was cancelled"}, ctx.Err()
	case ans := <-ch:
		switch strings.ToLower(strings.TrimSpace(ans.s)) {
		case "y", "yes":
			return agent.Approval{Decision: agent.Allow}, nil
		}
		reason := "the operator said no"
		if ans.err != nil {
			reason = "no operator answered"
		}
		return agent.Approval{Decision: agent.Deny, Reason: reason}, nil
	}
}

// ApproveCall is a tools.Approver: it shows the call and asks "run it?";
// "y" or "yes" allows it, anything else (or the end of the input) denies it.
func (a *Asker) ApproveCall(ctx context.Context, req tools.ApprovalRequest) (tools.Decision, error) {
	ap, err := a.Approve(ctx, agent.ApprovalRequest{Step: req.Call.ID, Tool: req.Call.Name, Args: req.Call.Arguments, Task: req.Spec.Description})
	if err != nil {
		return tools.Deny(ap.Reason), err
	}
	if ap.Decision == agent.Allow {
		return tools.Allow(), nil
	}
	return tools.Deny(ap.Reason), nil
}
