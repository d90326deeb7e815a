// Command server is a small MCP server of a to-do list (add_todo,
// list_todos, complete_todo) over stdio, for any MCP client:
//
//	go run ./examples/mcp                     # the example's agent starts it itself
//	plait run -mcp "todo=go run ./examples/mcp/server" "Add 'buy milk' to my list"
package main

import (
	"fmt"
	"os"

	"github.com/plait-ai/plait/examples/mcp/todo"
	"github.com/plait-ai/plait/internal/cli"
)

func main() {
	ctx, stop := cli.SignalContext()
	defer stop()
	if err := todo.Serve(ctx, os.Stdin, os.Stdout); err != nil && ctx.Err() == nil {
		fmt.Fprintln(os.Stderr, "todo server:", err)
		os.Exit(1)
	}
}
