package mcp

import (
	"context"
	"encoding/json"
	"net/http"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/tools"
)

// ServerOptions configures an MCP server of plait tools. The zero value
// works.
type ServerOptions struct {
	// Name and Version identify the server to clients; default "plait"
	// and this package's Version.
	Name, Version string
	// Instructions are sent to clients at initialization.
	Instructions string
}

// NewServer returns an MCP server offering the dispatcher's tools (those
// registered when it is called). Calls go through the dispatcher, so
// validation, guards, approval, timeouts and its middlewares apply; a
// failed call is a tool result with isError set and the explanation as its
// text, which the client's model can act on.
func NewServer(d *tools.Dispatcher, opts *ServerOptions) *sdk.Server {
	var o ServerOptions
	if opts != nil {
		o = *opts
	}
	if o.Name == "" {
		o.Name = "plait"
	}
	if o.Version == "" {
		o.Version = Version
	}
	s := sdk.NewServer(&sdk.Implementation{Name: o.Name, Version: o.Version}, &sdk.ServerOptions{Instructions: o.Instructions})
	for _, spec := range d.Specs() {
		schema := spec.Parameters
		if len(schema) == 0 {
			schema = json.RawMessage(`{"type":"object"}`)
		}
		name := spec.Name
		s.AddTool(&sdk.Tool{Name: name, Description: spec.Description, InputSchema: schema},
			func(ctx context.Context, req *sdk.CallToolRequest) (*sdk.CallToolResult, error) {
				r := d.Call(ctx, llm.ToolCall{Name: name, Arguments: req.Params.Arguments})
				res := &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: r.Content}}}
				if r.Err != nil {
					res.SetError(r.Err)
				}
				return res, nil
			})
	}
	return s
}

// Serve runs an MCP server of the dispatcher's tools on one transport
// until the client disconnects or ctx is done: &mcp.StdioTransport{} for
// a server that a client starts as a subprocess.
func Serve(ctx context.Context, d *tools.Dispatcher, transport sdk.Transport, opts *ServerOptions) error {
	return NewServer(d, opts).Run(ctx, transport)
}

// Handler returns an http.Handler serving the dispatcher's tools over MCP's
// streamable HTTP transport.
func Handler(d *tools.Dispatcher, opts *ServerOptions) http.Handler {
	s := NewServer(d, opts)
	return sdk.NewStreamableHTTPHandler(func(*http.Request) *sdk.Server { return s }, nil)
}
