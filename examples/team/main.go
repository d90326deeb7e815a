// Command team runs a coordinator agent whose tools are three sub-agents: a
// researcher (the bundled knowledge base about language models), an analyst
// (a calculator) and a writer.
//
//	go run ./examples/team "Compare BERT-base and GPT-3 in parameters: how many times larger is GPT-3?"
//
// Flags: -model SPEC for every agent (default $PLAIT_MODEL, else the embedded
// local model); -worker-model SPEC for the sub-agents only (a cheaper model).
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
	"github.com/plait-ai/plait/examples/team/crew"
	"github.com/plait-ai/plait/internal/cli"
	"github.com/plait-ai/plait/internal/progress"
)

func main() {
	ctx, stop := cli.SignalContext()
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, nil)
	stop()
	os.Exit(code)
}

// run runs the command; models, when not nil, replace those the flags name.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, models *crew.Models) int {
	fs := flag.NewFlagSet("team", flag.ContinueOnError)
	fs.SetOutput(stderr)
	spec := fs.String("model", "", "model spec for the coordinator (and the others unless -worker-model)")
	worker := fs.String("worker-model", "", "model spec for the sub-agents")
	if err := fs.Parse(args); err != nil {
		return cli.ExitUsage
	}
	goal := strings.TrimSpace(strings.Join(fs.Args(), " "))
	if goal == "" {
		fmt.Fprintln(stderr, `usage: team [flags] "goal"`)
		return cli.ExitUsage
	}
	p := progress.New(stderr)
	defer p.Close()
	p.Answer = stdout
	if models == nil {
		m, _, err := cli.OpenModel(ctx, *spec)
		if err != nil {
			fmt.Fprintf(stderr, "team: %v\n", err)
			if errors.Is(err, cli.ErrNoModel) {
				return cli.ExitUsage
			}
			return cli.ExitFail
		}
		models = &crew.Models{Coordinator: m}
		if *worker != "" {
			w, _, err := cli.OpenModel(ctx, *worker)
			if err != nil {
				fmt.Fprintf(stderr, "team: -worker-model: %v\n", err)
				return cli.ExitFail
			}
			models.Researcher, models.Analyst, models.Writer = w, w, w
		}
	}
	team, err := crew.New(ctx, crew.Config{Models: *models, NoTrace: true})
	if err != nil {
		fmt.Fprintf(stderr, "team: %v\n", err)
		return cli.ExitFail
	}
	var runErr error
	for ev, err := range team.Coordinator.Stream(ctx, goal) {
		p.Event(ev, err)
		if ev.Type == agent.EventDone {
			runErr = err
			fmt.Fprintln(stdout)
		}
	}
	if runErr != nil {
		fmt.Fprintf(stderr, "team: %v\n", runErr)
		return cli.ExitFail
	}
	return 0
}
