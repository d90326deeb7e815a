// Command mcp runs an agent whose tools come from an MCP server: a to-do
// list server that it starts as a subprocess and talks to over stdio.
//
//	go run ./examples/mcp "Add 'renew passport' due Friday and 'buy milk', then show my list"
//	go run ./examples/mcp -server "npx -y @modelcontextprotocol/server-everything" "..."
//
// By default the program starts itself in server mode (the same code as
// ./examples/mcp/server), so one command runs both sides. -server names
// another MCP server command instead.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"

	"github.com/plait-ai/plait/agent"
	"github.com/plait-ai/plait/examples/mcp/todo"
	"github.com/plait-ai/plait/internal/cli"
	"github.com/plait-ai/plait/internal/progress"
	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/tools/mcp"
)

// serveFlag starts the program as the to-do MCP server.
const serveFlag = "-serve-todo-mcp"

func main() {
	ctx, stop := cli.SignalContext()
	if len(os.Args) == 2 && os.Args[1] == serveFlag {
		err := todo.Serve(ctx, os.Stdin, os.Stdout)
		stop()
		if err != nil && ctx.Err() == nil {
			fmt.Fprintln(os.Stderr, "todo server:", err)
			os.Exit(1)
		}
		return
	}
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, nil)
	stop()
	os.Exit(code)
}

// run runs the agent; model, when not nil, replaces the one the flags name.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, model llm.Model) int {
	fs := flag.NewFlagSet("mcp", flag.ContinueOnError)
	fs.SetOutput(stderr)
	spec := fs.String("model", "", "model spec (default $PLAIT_MODEL, else the embedded local model)")
	server := fs.String("server", "", "the MCP server command to start (default: this program's own to-do server)")
	if err := fs.Parse(args); err != nil {
		return cli.ExitUsage
	}
	goal := strings.TrimSpace(strings.Join(fs.Args(), " "))
	if goal == "" {
		fmt.Fprintln(stderr, `usage: mcp [flags] "goal"`)
		return cli.ExitUsage
	}
	var cmd *exec.Cmd
	if *server != "" {
		f := strings.Fields(*server)
		cmd = exec.CommandContext(ctx, f[0], f[1:]...)
	} else {
		self, err := os.Executable()
		if err != nil {
			fmt.Fprintf(stderr, "mcp: %v\n", err)
			return cli.ExitFail
		}
		cmd = exec.CommandContext(ctx, self, serveFlag)
	}
	p := progress.New(stderr)
	defer p.Close()
	p.Answer = stdout
	cmd.Stderr = p // the server's log lines, between the progress lines

	done := p.Start("starting MCP server " + strings.Join(cmd.Args, " "))
	client, err := mcp.ConnectCommand(ctx, cmd, nil)
	if err != nil {
		done(err)
		return cli.ExitFail
	}
	defer client.Close()
	ts, err := client.Tools(ctx)
	done(err)
	if err != nil {
		return cli.ExitFail
	}
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = t.Spec().Name
	}
	p.Linef("tools from the server: %s", strings.Join(names, ", "))

	if model == nil {
		m, _, err := cli.OpenModel(ctx, *spec)
		if err != nil {
			fmt.Fprintf(stderr, "mcp: %v\n", err)
			if errors.Is(err, cli.ErrNoModel) {
				return cli.ExitUsage
			}
			return cli.ExitFail
		}
		model = m
	}
	a, err := agent.New(agent.Config{
		Name:         "todo-assistant",
		Model:        model,
		Instructions: "You keep the user's to-do list with the tools you have. Do what is asked, then say briefly what the list holds now.",
		ToolList:     ts,
		Strategy:     agent.ReAct,
		NoTrace:      true,
	})
	if err != nil {
		fmt.Fprintf(stderr, "mcp: %v\n", err)
		return cli.ExitFail
	}
	var runErr error
	for ev, err := range a.Stream(ctx, goal) {
		p.Event(ev, err)
		if ev.Type == agent.EventDone {
			runErr = err
			fmt.Fprintln(stdout)
		}
	}
	if runErr != nil {
		fmt.Fprintf(stderr, "mcp: %v\n", runErr)
		return cli.ExitFail
	}
	return 0
}
