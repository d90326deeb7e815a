package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strings"

	"github.com/plait-ai/plait/agent"
	"github.com/plait-ai/plait/internal/cli"
	"github.com/plait-ai/plait/internal/progress"
	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/tools"
	"github.com/plait-ai/plait/tools/builtin"
	"github.com/plait-ai/plait/tools/mcp"
	"github.com/plait-ai/plait/trace"
)

// openModel opens a model spec; tests replace it.
var openModel = cli.OpenModel

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ", ") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// agentFlags are the flags of the commands that build an agent.
type agentFlags struct {
	model, strategy, dir, web, mcpConfig, instructions string
	mcp                                                listFlag
	trace, noSchema, approve                           bool
}

func (f *agentFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.model, "model", "", "model spec: a preset (deepseek/deepseek-chat), local/path.gguf, ollama/NAME (default $PLAIT_MODEL, else the embedded local model)")
	fs.StringVar(&f.strategy, "strategy", "plan", "plan (plan, then run steps in parallel) or react")
	fs.StringVar(&f.dir, "dir", "", "give the agent read-only access to the files under this folder (read_file, list_dir)")
	fs.StringVar(&f.web, "web", "", "comma-separated hosts the http_get tool may fetch from")
	fs.Var(&f.mcp, "mcp", `an MCP server to take tools from: "[name=]command args" over stdio, or an http(s) URL (repeatable)`)
	fs.StringVar(&f.mcpConfig, "mcp-config", "", `a JSON file of MCP servers: {"mcpServers": {"name": {"command": "...", "args": [...], "env": {...}}, "web": {"url": "..."}}}`)
	fs.StringVar(&f.instructions, "instructions", "You are a capable assistant. Use the tools when they help, and say what you did.", "the agent's system instructions")
	fs.BoolVar(&f.trace, "trace", false, "print each run's timeline of spans")
	fs.BoolVar(&f.noSchema, "no-schema", false, "do not send the plan's JSON schema to the model")
	fs.BoolVar(&f.approve, "approve", false, "ask before every tool call of an MCP server")
}

func (f *agentFlags) parseStrategy() (agent.Strategy, error) {
	switch f.strategy {
	case "plan", "plan-execute":
		return agent.PlanExecute, nil
	case "react":
		return agent.ReAct, nil
	}
	return 0, fmt.Errorf("-strategy %q: want plan or react", f.strategy)
}

// mcpServer is one entry of an MCP config file.
type mcpServer struct {
	Command string            `json:"command"`
	Args    []string          `json:"args"`
	Env     map[string]string `json:"env"`
	URL     string            `json:"url"`
}

// servers returns the MCP servers of the flags and the config file, by
// name, in a stable order.
func (f *agentFlags) servers() ([]string, map[string]mcpServer, error) {
	all := map[string]mcpServer{}
	var names []string
	if f.mcpConfig != "" {
		b, err := os.ReadFile(f.mcpConfig)
		if err != nil {
			return nil, nil, fmt.Errorf("read -mcp-config: %w", err)
		}
		var cfg struct {
			MCPServers map[string]mcpServer `json:"mcpServers"`
		}
		if err := json.Unmarshal(b, &cfg); err != nil {
			return nil, nil, fmt.Errorf("-mcp-config %s: %w (want {\"mcpServers\": {\"name\": {\"command\": ...}}})", f.mcpConfig, err)
		}
		for n, s := range cfg.MCPServers {
			if s.Command == "" && s.URL == "" {
				return nil, nil, fmt.Errorf("-mcp-config: server %q has neither a command nor a url", n)
			}
			all[n] = s
			names = append(names, n)
		}
		sort.Strings(names)
	}
	for i, spec := range f.mcp {
		name := ""
		if k, v, ok := strings.Cut(spec, "="); ok && !strings.ContainsAny(k, " /\\:") {
			name, spec = k, v
		}
		var s mcpServer
		if strings.HasPrefix(spec, "http://") || strings.HasPrefix(spec, "https://") {
			s.URL = spec
		} else {
			fields := strings.Fields(spec)
			if len(fields) == 0 {
				return nil, nil, errors.New("-mcp: empty command")
			}
			s.Command, s.Args = fields[0], fields[1:]
		}
		if name == "" && len(f.mcp) > 1 {
			name = fmt.Sprintf("mcp%d", i+1)
		}
		if _, dup := all[name]; dup {
			return nil, nil, fmt.Errorf("-mcp: two servers named %q", name)
		}
		all[name] = s
		names = append(names, name)
	}
	return names, all, nil
}

// built is what buildAgent made; close releases MCP connections and files.
type built struct {
	cfg     agent.Config
	model   llm.Model
	spec    string
	closers []io.Closer
	trace   func(context.Context) error
}

func (b *built) close(ctx context.Context) {
	for i := len(b.closers) - 1; i >= 0; i-- {
		b.closers[i].Close()
	}
	if b.trace != nil {
		b.trace(ctx)
	}
}

// buildAgent opens the model, connects the MCP servers, and returns an
// agent config with the tools.
func (f *agentFlags) build(ctx context.Context, p *progress.Printer, asker *cli.Asker, stderr io.Writer) (*built, error) {
	strat, err := f.parseStrategy()
	if err != nil {
		return nil, err
	}
	b := &built{}
	ok := false
	defer func() {
		if !ok {
			b.close(context.WithoutCancel(ctx))
		}
	}()
	if f.trace {
		shutdown, err := trace.Setup(ctx, trace.Config{ServiceName: "plait", Timeline: p})
		if err != nil {
			return nil, fmt.Errorf("trace: %w", err)
		}
		b.trace = shutdown
	}
	ts := []tools.Tool{builtin.Calculator(), builtin.Now(nil)}
	if f.dir != "" {
		fsys, err := builtin.OpenFS(f.dir)
		if err != nil {
			return nil, fmt.Errorf("-dir: %w", err)
		}
		b.closers = append(b.closers, fsys)
		ts = append(ts, fsys.ReadFile(), fsys.ListDir())
	}
	if hosts := splitList(f.web); len(hosts) > 0 {
		web, err := builtin.HTTPGet(builtin.HTTPConfig{AllowedHosts: hosts})
		if err != nil {
			return nil, fmt.Errorf("-web: %w", err)
		}
		ts = append(ts, web)
	}
	names, servers, err := f.servers()
	if err != nil {
		return nil, err
	}
	var mcpTools []string
	for _, name := range names {
		s := servers[name]
		opts := &mcp.ClientOptions{}
		if name != "" {
			opts.Prefix = name + "_"
		}
		done := p.Start("connecting to MCP server " + orDefault(name, s.Command+s.URL))
		var c *mcp.Client
		if s.URL != "" {
			c, err = mcp.ConnectHTTP(ctx, s.URL, opts)
		} else {
			cmd := exec.CommandContext(ctx, s.Command, s.Args...)
			cmd.Stderr = p // the server's log lines, between the progress lines
			if len(s.Env) > 0 {
				cmd.Env = os.Environ()
				for k, v := range s.Env {
					cmd.Env = append(cmd.Env, k+"="+v)
				}
			}
			c, err = mcp.ConnectCommand(ctx, cmd, opts)
		}
		if err == nil {
			b.closers = append(b.closers, c)
			var more []tools.Tool
			more, err = c.Tools(ctx)
			for _, t := range more {
				mcpTools = append(mcpTools, t.Spec().Name)
			}
			ts = append(ts, more...)
		}
		done(err)
		if err != nil {
			return nil, fmt.Errorf("MCP server %s: %w", orDefault(name, s.Command+s.URL), err)
		}
	}
	spec, _ := cli.Spec(f.model)
	done := p.Start("opening model " + spec)
	m, spec, err := openModel(ctx, f.model)
	done(err)
	if err != nil {
		return nil, err
	}
	b.model, b.spec = m, spec
	b.cfg = agent.Config{
		Name:         "plait",
		Model:        m,
		Instructions: f.instructions,
		ToolList:     ts,
		Strategy:     strat,
		NoSchema:     f.noSchema,
		NoTrace:      !f.trace,
	}
	if f.approve && len(mcpTools) > 0 && asker != nil {
		b.cfg.Approve = func(ctx context.Context, req agent.ApprovalRequest) (agent.Approval, error) {
			for _, n := range mcpTools {
				if n == req.Tool {
					return asker.Approve(ctx, req)
				}
			}
			return agent.Approval{Decision: agent.Allow}, nil
		}
	}
	ok = true
	return b, nil
}

func splitList(s string) []string {
	var out []string
	for v := range strings.SplitSeq(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// exitFor maps a build error to an exit code, printing it.
func exitFor(err error, stderr io.Writer) int {
	fmt.Fprintf(stderr, "plait: %v\n", err)
	if errors.Is(err, cli.ErrNoModel) {
		return cli.ExitUsage
	}
	return cli.ExitFail
}
