package main

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzMCPServers parses -mcp flags and an MCP config file: any input gives
// servers or an error, never a panic, and every server has a command or a URL.
func FuzzMCPServers(f *testing.F) {
	f.Add("fs=server --root /tmp", `{"mcpServers":{"a":{"command":"x","args":["-y"]}}}`)
	f.Add("http://localhost:9/mcp", `{"mcpServers":{"w":{"url":"http://h/mcp"}}}`)
	f.Add("=", `{"mcpServers":{"":{"command":""}}}`)
	f.Add("a=b=c d", `{`)
	f.Add("   ", `{"mcpServers":null}`)
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, flagValue, config string) {
		path := filepath.Join(dir, "mcp.json")
		if err := os.WriteFile(path, []byte(config), 0o644); err != nil {
			t.Fatal(err)
		}
		af := agentFlags{mcp: listFlag{flagValue}, mcpConfig: path}
		names, servers, err := af.servers()
		if err != nil {
			return
		}
		for _, n := range names {
			s, ok := servers[n]
			if !ok {
				t.Fatalf("name %q without a server", n)
			}
			if s.Command == "" && s.URL == "" {
				t.Errorf("server %q has neither command nor url: %+v", n, s)
			}
		}
	})
}
