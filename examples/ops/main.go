// Command ops is an operations assistant that must ask before anything
// destructive: it reads the state of a (simulated) cluster freely, but every
// restart, scale or log purge waits for you to answer y, and guards refuse
// what no chat should do (the database is for admins; at least a week of logs
// stays).
//
//	go run ./examples/ops "The api service looks unhealthy, fix it"
//	go run ./examples/ops -role admin "Restart the database"
//
// Flags: -model SPEC (default $PLAIT_MODEL, else the embedded local model),
// -role oncall|admin, -strategy react|plan.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/plait-ai/plait/agent"
	"github.com/plait-ai/plait/examples/ops/opsagent"
	"github.com/plait-ai/plait/internal/cli"
	"github.com/plait-ai/plait/internal/progress"
	"github.com/plait-ai/plait/llm"
)

func main() {
	ctx, stop := cli.SignalContext()
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, nil)
	stop()
	os.Exit(code)
}

// run runs the command; model, when not nil, replaces the one the flags name.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, model llm.Model) int {
	fs := flag.NewFlagSet("ops", flag.ContinueOnError)
	fs.SetOutput(stderr)
	spec := fs.String("model", "", "model spec (default $PLAIT_MODEL, else the embedded local model)")
	role := fs.String("role", "oncall", "your role: oncall or admin (the guards read it)")
	strategy := fs.String("strategy", "react", "react or plan")
	if err := fs.Parse(args); err != nil {
		return cli.ExitUsage
	}
	request := strings.TrimSpace(strings.Join(fs.Args(), " "))
	if request == "" {
		fmt.Fprintln(stderr, `usage: ops [flags] "request"`)
		return cli.ExitUsage
	}
	strat := agent.ReAct
	if *strategy == "plan" {
		strat = agent.PlanExecute
	}
	p := progress.New(stderr)
	defer p.Close()
	p.Answer = stdout
	if model == nil {
		done := p.Start("opening model")
		m, _, err := cli.OpenModel(ctx, *spec)
		done(err)
		if err != nil {
			if errors.Is(err, cli.ErrNoModel) {
				return cli.ExitUsage
			}
			return cli.ExitFail
		}
		model = m
	}
	cluster := opsagent.DemoCluster()
	asker := cli.NewAsker(stdin, p)
	a, err := opsagent.New(opsagent.Config{Model: model, Cluster: cluster, Approver: asker.ApproveCall, Role: *role, Strategy: strat, NoTrace: true})
	if err != nil {
		fmt.Fprintln(stderr, err)
		return cli.ExitFail
	}
	var runErr error
	for ev, err := range a.Stream(ctx, request) {
		p.Event(ev, err)
		if ev.Type == agent.EventDone {
			runErr = err
			fmt.Fprintln(stdout)
		}
	}
	fmt.Fprintln(stderr, "\ncluster now:")
	for _, s := range cluster.List() {
		fmt.Fprintf(stderr, "  %-7s v%-6s %d/%d healthy, %d MB logs, %d restarts\n", s.Name, s.Version, s.Healthy, s.Replicas, s.LogsMB, s.Restarts)
	}
	if runErr != nil {
		fmt.Fprintf(stderr, "ops: %v\n", runErr)
		return cli.ExitFail
	}
	return 0
}
