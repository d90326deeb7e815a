// Package mcp connects plait tools with the Model Context Protocol, through
// github.com/modelcontextprotocol/go-sdk.
//
// Import the tools of an MCP server, a subprocess speaking over stdio or an
// endpoint speaking streamable HTTP, as plait tools:
//
//	c, err := mcp.ConnectCommand(ctx, exec.Command("my-mcp-server"), &mcp.ClientOptions{Prefix: "fs_"})
//	if err != nil { ... }
//	defer c.Close()
//	ts, err := c.Tools(ctx)
//	if err != nil { ... }
//	err = set.Add(ts...)
//
// Serve a plait tool set to MCP clients, over stdio or streamable HTTP:
//
//	d := tools.NewDispatcher(set)
//	err := mcp.Serve(ctx, d, &sdkmcp.StdioTransport{}, nil)
//	http.Handle("/mcp", mcp.Handler(d, nil))
//
// A Client and the servers made here are safe for concurrent use.
package mcp
