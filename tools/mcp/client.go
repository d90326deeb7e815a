package mcp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os/exec"
	"strings"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/tools"
)

// Version is the version this package reports to MCP peers.
const Version = "0.1.0"

// ClientOptions configures a connection to an MCP server. The zero value
// works.
type ClientOptions struct {
	// Prefix is put before the name of every imported tool ("github_"), to
	// keep the tools of several servers apart.
	Prefix string
	// ToolOptions are given to every imported tool (timeouts, guards,
	// approval); see tools.Option.
	ToolOptions []tools.Option
	// Name is the client name sent to the server; default "plait".
	Name string
	// HTTPClient is used by ConnectHTTP; default http.DefaultClient.
	HTTPClient *http.Client
}

// Client is a connection to an MCP server whose tools are used as plait
// tools. It is safe for concurrent use.
type Client struct {
	session *sdk.ClientSession
	opts    ClientOptions
}

// Connect connects to an MCP server over any transport of the SDK.
func Connect(ctx context.Context, transport sdk.Transport, opts *ClientOptions) (*Client, error) {
	var o ClientOptions
	if opts != nil {
		o = *opts
	}
	if o.Name == "" {
		o.Name = "plait"
	}
	c := sdk.NewClient(&sdk.Implementation{Name: o.Name, Version: Version}, nil)
	s, err := c.Connect(ctx, transport, nil)
	if err != nil {
		return nil, fmt.Errorf("mcp: connect to the server: %w", err)
	}
	return &Client{session: s, opts: o}, nil
}

// ConnectCommand starts cmd and speaks MCP with it over its stdin and
// stdout. Close ends the process.
func ConnectCommand(ctx context.Context, cmd *exec.Cmd, opts *ClientOptions) (*Client, error) {
	return Connect(ctx, &sdk.CommandTransport{Command: cmd}, opts)
}

// ConnectHTTP connects to an MCP server's streamable HTTP endpoint.
func ConnectHTTP(ctx context.Context, endpoint string, opts *ClientOptions) (*Client, error) {
	t := &sdk.StreamableClientTransport{Endpoint: endpoint, DisableStandaloneSSE: true}
	if opts != nil && opts.HTTPClient != nil {
		t.HTTPClient = opts.HTTPClient
	}
	return Connect(ctx, t, opts)
}

// Session returns the SDK session, for what this package does not cover
// (resources, prompts).
func (c *Client) Session() *sdk.ClientSession { return c.session }

// Close ends the connection (and a command's process).
func (c *Client) Close() error { return c.session.Close() }

// Tools lists the server's tools, every page of them, as plait tools.
// A tool's name gets the Prefix and has characters a model API would
// refuse replaced by '_'; the server is called by its own name. Arguments
// are validated against the server's input schema before they are sent.
// A tool whose annotations say it is read-only or idempotent is marked
// idempotent (see tools.Idempotent).
func (c *Client) Tools(ctx context.Context) ([]tools.Tool, error) {
	var out []tools.Tool
	for t, err := range c.session.Tools(ctx, nil) {
		if err != nil {
			return nil, fmt.Errorf("mcp: list the server's tools: %w", err)
		}
		tool, err := c.importTool(t)
		if err != nil {
			return nil, err
		}
		out = append(out, tool)
	}
	return out, nil
}

func (c *Client) importTool(t *sdk.Tool) (tools.Tool, error) {
	schema, err := json.Marshal(t.InputSchema)
	if err != nil {
		return nil, fmt.Errorf("mcp: the input schema of tool %q: %w", t.Name, err)
	}
	if string(schema) == "null" {
		schema = nil
	}
	desc := t.Description
	if desc == "" && t.Title != "" {
		desc = t.Title
	}
	spec := llm.ToolSpec{Name: ToolName(c.opts.Prefix + t.Name), Description: desc, Parameters: schema}
	opts := append([]tools.Option(nil), c.opts.ToolOptions...)
	if a := t.Annotations; a != nil && (a.IdempotentHint || a.ReadOnlyHint) {
		opts = append([]tools.Option{tools.Idempotent()}, opts...)
	}
	name := t.Name
	tool, err := tools.Raw(spec, func(ctx context.Context, args json.RawMessage) (any, error) {
		res, err := c.session.CallTool(ctx, &sdk.CallToolParams{Name: name, Arguments: args})
		if err != nil {
			return nil, fmt.Errorf("the MCP server failed to run %s: %w", name, err)
		}
		text := resultText(res)
		if res.IsError {
			if text == "" {
				text = "the tool failed"
			}
			return nil, errors.New(text)
		}
		if text == "" && res.StructuredContent != nil {
			return res.StructuredContent, nil
		}
		return text, nil
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("mcp: import tool %q: %w", t.Name, err)
	}
	return tool, nil
}

// resultText joins a result's content for the model: text as it is, other
// content described.
func resultText(res *sdk.CallToolResult) string {
	var parts []string
	for _, c := range res.Content {
		switch x := c.(type) {
		case *sdk.TextContent:
			parts = append(parts, x.Text)
		case *sdk.ImageContent:
			parts = append(parts, fmt.Sprintf("[image %s, %d bytes]", x.MIMEType, len(x.Data)))
		case *sdk.AudioContent:
			parts = append(parts, fmt.Sprintf("[audio %s, %d bytes]", x.MIMEType, len(x.Data)))
		case *sdk.ResourceLink:
			parts = append(parts, fmt.Sprintf("[resource %s]", x.URI))
		case *sdk.EmbeddedResource:
			if x.Resource != nil && x.Resource.Text != "" {
				parts = append(parts, x.Resource.Text)
			} else if x.Resource != nil {
				parts = append(parts, fmt.Sprintf("[resource %s]", x.Resource.URI))
			}
		default:
			if b, err := json.Marshal(c); err == nil {
				parts = append(parts, string(b))
			}
		}
	}
	return strings.Join(parts, "\n")
}

// ToolName makes an MCP tool name acceptable as a plait (and model API)
// tool name: characters other than letters, digits, '_', '-' and '.' become
// '_', and the name is cut to 64 bytes.
func ToolName(name string) string {
	b := []byte(name)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			b[i] = '_'
		}
	}
	if len(b) > 64 {
		b = b[:64]
	}
	if len(b) == 0 {
		return "_"
	}
	return string(b)
}
