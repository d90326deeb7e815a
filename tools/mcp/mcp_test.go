package mcp_test

import (
	"context"
	"encoding/json"
	"errors"
	"go/build"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/tools"
	"github.com/plait-ai/plait/tools/mcp"
)

func goTool(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	p := filepath.Join(build.Default.GOROOT, "bin", "go")
	if _, err := exec.LookPath(p); err != nil {
		t.Skip("no go command to build the test MCP server")
	}
	return p
}

// buildServer builds testdata/mcpserver, a server written with the SDK
// alone, into a temporary directory.
func buildServer(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "mcpserver")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	cmd := exec.Command(goTool(t), "build", "-o", bin, "./testdata/mcpserver")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func call(d *tools.Dispatcher, name, args string) tools.Result {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return d.Call(ctx, llm.ToolCall{Name: name, Arguments: json.RawMessage(args)})
}

func TestImportFromSubprocess(t *testing.T) {
	bin := buildServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := mcp.ConnectCommand(ctx, exec.Command(bin), &mcp.ClientOptions{Prefix: "srv_"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ts, err := c.Tools(ctx)
	if err != nil {
		t.Fatal(err)
	}
	set, err := tools.NewSet(ts...)
	if err != nil {
		t.Fatal(err)
	}
	names := strings.Join(set.Names(), ",")
	for _, n := range []string{"srv_add", "srv_shout", "srv_fail"} {
		if !strings.Contains(names, n) {
			t.Errorf("tools %s lack %s", names, n)
		}
	}
	add := set.Specs("srv_add")[0]
	if add.Description != "Adds two numbers." || !strings.Contains(string(add.Parameters), `"the first number"`) {
		t.Errorf("spec %+v", add)
	}
	d := tools.NewDispatcher(set)
	tests := []struct {
		name, args string
		want       string
		wantErr    error
	}{
		{"srv_add", `{"a":2,"b":3.5}`, `"sum":5.5`, nil},
		{"srv_shout", `{"text":"hi"}`, "HI", nil},
		{"srv_add", `{"a":"two","b":3}`, "/a", tools.ErrInvalidArguments}, // refused before it is sent
		{"srv_fail", `{}`, "the server says no", nil},
	}
	for _, tt := range tests {
		r := call(d, tt.name, tt.args)
		if !strings.Contains(r.Content, tt.want) {
			t.Errorf("%s(%s) = %q (err %v), want %q", tt.name, tt.args, r.Content, r.Err, tt.want)
		}
		if tt.wantErr != nil && !errors.Is(r.Err, tt.wantErr) {
			t.Errorf("%s(%s): err %v, want %v", tt.name, tt.args, r.Err, tt.wantErr)
		}
		if tt.name == "srv_fail" && r.Err == nil {
			t.Errorf("an error result was not an error")
		}
	}
	// Calls in parallel share the one session.
	calls := make([]llm.ToolCall, 8)
	for i := range calls {
		calls[i] = llm.ToolCall{Name: "srv_shout", Arguments: json.RawMessage(`{"text":"x"}`)}
	}
	for _, r := range d.Dispatch(ctx, calls...) {
		if r.Content != "X" {
			t.Errorf("parallel call: %q %v", r.Content, r.Err)
		}
	}
}

// sdkServer is an MCP server written with the SDK alone.
func sdkServer() *sdk.Server {
	s := sdk.NewServer(&sdk.Implementation{Name: "sdk", Version: "1"}, nil)
	sdk.AddTool(s, &sdk.Tool{Name: "greet", Description: "Greets."},
		func(ctx context.Context, req *sdk.CallToolRequest, in struct {
			Name string `json:"name"`
		}) (*sdk.CallToolResult, any, error) {
			return &sdk.CallToolResult{Content: []sdk.Content{&sdk.TextContent{Text: "hello " + in.Name}}}, nil, nil
		})
	return s
}

func TestImportOverStreamableHTTP(t *testing.T) {
	s := sdkServer()
	srv := httptest.NewServer(sdk.NewStreamableHTTPHandler(func(*http.Request) *sdk.Server { return s }, nil))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := mcp.ConnectHTTP(ctx, srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ts, err := c.Tools(ctx)
	if err != nil {
		t.Fatal(err)
	}
	d := tools.NewDispatcher(tools.MustSet(ts...))
	if r := call(d, "greet", `{"name":"Ada"}`); r.Content != "hello Ada" {
		t.Errorf("%q %v", r.Content, r.Err)
	}
}

type weatherIn struct {
	City string `json:"city" jsonschema:"description=The city."`
	Days int    `json:"days,omitempty" jsonschema:"minimum=1,maximum=7"`
}

func plaitTools(t *testing.T) *tools.Dispatcher {
	t.Helper()
	weather := tools.MustFunc("weather", "Forecasts the weather.", func(ctx context.Context, in weatherIn) (map[string]any, error) {
		return map[string]any{"city": in.City, "days": max(in.Days, 1), "sky": "clear"}, nil
	})
	boom := tools.MustFunc("boom", "Panics.", func(ctx context.Context, in struct{}) (string, error) { panic("oops") })
	return tools.NewDispatcher(tools.MustSet(weather, boom))
}

// checkServedTools drives plait's server with the SDK's own client.
func checkServedTools(t *testing.T, ctx context.Context, transport sdk.Transport) {
	t.Helper()
	client := sdk.NewClient(&sdk.Implementation{Name: "sdk-client", Version: "1"}, nil)
	cs, err := client.Connect(ctx, transport, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	lt, err := cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, tool := range lt.Tools {
		if tool.Name == "weather" {
			found = true
			b, _ := json.Marshal(tool.InputSchema)
			if !strings.Contains(string(b), `"The city."`) || !strings.Contains(string(b), `"maximum":7`) {
				t.Errorf("schema %s", b)
			}
		}
	}
	if !found || len(lt.Tools) != 2 {
		t.Fatalf("tools %+v", lt.Tools)
	}
	res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: "weather", Arguments: map[string]any{"city": "Oslo", "days": 2}})
	if err != nil {
		t.Fatal(err)
	}
	if res.IsError || !strings.Contains(res.Content[0].(*sdk.TextContent).Text, `"sky":"clear"`) {
		t.Errorf("result %+v", res.Content[0])
	}
	res, err = cs.CallTool(ctx, &sdk.CallToolParams{Name: "weather", Arguments: map[string]any{"city": "Oslo", "days": 9}})
	if err != nil {
		t.Fatal(err)
	}
	if text := res.Content[0].(*sdk.TextContent).Text; !res.IsError || !strings.Contains(text, "/days") {
		t.Errorf("invalid call: %v %q", res.IsError, text)
	}
	res, err = cs.CallTool(ctx, &sdk.CallToolParams{Name: "boom", Arguments: map[string]any{}})
	if err != nil {
		t.Fatal(err)
	}
	if text := res.Content[0].(*sdk.TextContent).Text; !res.IsError || !strings.Contains(text, "panic") {
		t.Errorf("panic call: %v %q", res.IsError, text)
	}
}

func TestServeStreamableHTTP(t *testing.T) {
	srv := httptest.NewServer(mcp.Handler(plaitTools(t), nil))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	checkServedTools(t, ctx, &sdk.StreamableClientTransport{Endpoint: srv.URL, DisableStandaloneSSE: true})
}

func TestServeInMemory(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	serverT, clientT := sdk.NewInMemoryTransports()
	done := make(chan error, 1)
	go func() { done <- mcp.Serve(ctx, plaitTools(t), serverT, nil) }()
	checkServedTools(t, ctx, clientT)
	cancel()
	<-done
}

// TestRoundTrip imports plait's served tools with plait's client: the
// schema survives both ways and validation happens on each side.
func TestRoundTrip(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	serverT, clientT := sdk.NewInMemoryTransports()
	go func() { _ = mcp.Serve(ctx, plaitTools(t), serverT, &mcp.ServerOptions{Name: "inner"}) }()
	c, err := mcp.Connect(ctx, clientT, &mcp.ClientOptions{Prefix: "inner."})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ts, err := c.Tools(ctx)
	if err != nil {
		t.Fatal(err)
	}
	d := tools.NewDispatcher(tools.MustSet(ts...))
	if r := call(d, "inner.weather", `{"city":"Rome"}`); r.Err != nil || !strings.Contains(r.Content, `"city":"Rome"`) {
		t.Errorf("%q %v", r.Content, r.Err)
	}
	if r := call(d, "inner.weather", `{"city":"Rome","days":0}`); !errors.Is(r.Err, tools.ErrInvalidArguments) {
		t.Errorf("%q %v", r.Content, r.Err)
	}
}

func TestToolName(t *testing.T) {
	for in, want := range map[string]string{"a b/c": "a_b_c", "ok.name-1": "ok.name-1", "": "_", strings.Repeat("x", 70): strings.Repeat("x", 64)} {
		if got := mcp.ToolName(in); got != want {
			t.Errorf("ToolName(%q) = %q, want %q", in, got, want)
		}
	}
}
