package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/plait-ai/plait/agent"
	"github.com/plait-ai/plait/internal/cli"
	"github.com/plait-ai/plait/internal/progress"
)

func runCmd(ctx context.Context, args []string, e env) int {
	fs := flag.NewFlagSet("plait run", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	var af agentFlags
	af.register(fs)
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, `usage: plait run [flags] "goal"`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return cli.ExitUsage
	}
	goal := strings.TrimSpace(strings.Join(fs.Args(), " "))
	if goal == "" {
		fs.Usage()
		return cli.ExitUsage
	}
	if _, err := af.parseStrategy(); err != nil {
		fmt.Fprintf(e.stderr, "plait run: %v\n", err)
		return cli.ExitUsage
	}
	p := progress.New(e.stderr)
	defer p.Close()
	// The answer goes to stdout, progress to stderr: "plait run ... > out.md"
	// keeps just the answer.
	p.Answer = e.stdout
	b, err := af.build(ctx, p, cli.NewAsker(e.stdin, p), e.stderr)
	if err != nil {
		return exitFor(err, e.stderr)
	}
	defer b.close(context.WithoutCancel(ctx))
	a, err := agent.New(b.cfg)
	if err != nil {
		return exitFor(err, e.stderr)
	}
	var runErr error
	streamed := false
	for ev, err := range a.Stream(ctx, goal) {
		if ev.Type == agent.EventAnswerDelta && ev.Text != "" {
			streamed = true
		}
		if ev.Type == agent.EventDone {
			runErr = err
			if !streamed && ev.Result != nil && ev.Result.Answer != "" {
				fmt.Fprint(e.stdout, ev.Result.Answer)
				streamed = true
			}
			if streamed {
				fmt.Fprintln(e.stdout)
			}
		}
		p.Event(ev, err)
	}
	if runErr != nil {
		fmt.Fprintf(e.stderr, "plait run: %v\n", runErr)
		return cli.ExitFail
	}
	return 0
}
