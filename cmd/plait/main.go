// Command plait runs agents from the command line and serves them to chat
// clients.
//
//	plait run "goal"        run an agent on a goal with the built-in tools
//	                        (and the tools of MCP servers named with -mcp)
//	plait chat              an interactive conversation, with history
//	plait models            the local GGUF models found, and the remote presets
//	plait serve             an OpenAI- and Ollama-compatible API over an agent
//	                        (or a plain model with -plain)
//
// The model comes from -model, else $PLAIT_MODEL, else the embedded local
// model. Run "plait COMMAND -h" for a command's flags.
package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/plait-ai/plait/internal/cli"
)

const usage = `usage: plait COMMAND [flags] [args]

Commands:
  run "goal"   run an agent on a goal, with built-in tools and MCP servers' tools
  chat         talk with an agent; the conversation's history is kept
  models       list local GGUF models (size, architecture, quantization) and remote presets
  serve        serve an agent (or a model) over OpenAI- and Ollama-compatible APIs

The model: -model SPEC, else $PLAIT_MODEL, else the embedded local model.
Run "plait COMMAND -h" for the flags of a command.
`

// env is what a command reads and writes; tests replace it.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

func main() {
	ctx, stop := cli.SignalContext()
	code := dispatch(ctx, os.Args[1:], env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr})
	stop()
	os.Exit(code)
}

func dispatch(ctx context.Context, args []string, e env) int {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, usage)
		return cli.ExitUsage
	}
	switch args[0] {
	case "run":
		return runCmd(ctx, args[1:], e)
	case "chat":
		return chatCmd(ctx, args[1:], e)
	case "models":
		return modelsCmd(ctx, args[1:], e)
	case "serve":
		return serveCmd(ctx, args[1:], e)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(e.stdout, usage)
		return 0
	}
	fmt.Fprintf(e.stderr, "plait: unknown command %q\n\n%s", args[0], usage)
	return cli.ExitUsage
}
