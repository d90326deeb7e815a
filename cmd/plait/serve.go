package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/plait-ai/plait/internal/agentmodel"
	"github.com/plait-ai/plait/internal/cli"
	"github.com/plait-ai/plait/internal/progress"
	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/llm/serve"
)

func serveCmd(ctx context.Context, args []string, e env) int {
	fs := flag.NewFlagSet("plait serve", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	var af agentFlags
	af.register(fs)
	addr := fs.String("addr", "127.0.0.1:11435", "address to listen on (Ollama's own is :11434)")
	name := fs.String("name", "plait-agent", "the model name clients see")
	plain := fs.Bool("plain", false, "serve the model itself, without the agent and its tools")
	apiKey := fs.String("api-key", "", "require this key as 'Authorization: Bearer KEY' (default $PLAIT_API_KEY)")
	maxConc := fs.Int("max-concurrent", 0, "generations at once; more get 429 (default 16)")
	maxBody := fs.Int64("max-body", 0, "largest request body in bytes (default 8 MiB)")
	origins := fs.String("origins", "", "comma-separated browser origins allowed to call (\"*\" for any), for extensions such as Page Assist")
	progressOn := fs.Bool("progress", true, "stream the agent's plan and steps as reasoning text")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "usage: plait serve [flags]\n\nServes OpenAI-compatible /v1/chat/completions and /v1/models, and Ollama-compatible /api/chat, /api/generate, /api/tags, /api/version.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return cli.ExitUsage
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return cli.ExitUsage
	}
	if _, err := af.parseStrategy(); err != nil {
		fmt.Fprintf(e.stderr, "plait serve: %v\n", err)
		return cli.ExitUsage
	}
	key := *apiKey
	if key == "" {
		key = llm.Getenv("PLAIT_API_KEY")
	}
	p := progress.New(e.stderr)
	defer p.Close()
	// Approvals cannot be asked of a terminal while serving.
	af.approve = false
	b, err := af.build(ctx, p, nil, e.stderr)
	if err != nil {
		return exitFor(err, e.stderr)
	}
	defer b.close(context.WithoutCancel(ctx))

	var m llm.Model = b.model
	if !*plain {
		am, err := agentmodel.New(b.cfg, agentmodel.Options{Name: *name, Progress: *progressOn})
		if err != nil {
			return exitFor(err, e.stderr)
		}
		m = am
	}
	srv := &serve.Server{
		Models:        map[string]llm.Model{*name: m},
		Default:       m,
		APIKey:        key,
		MaxConcurrent: *maxConc,
		MaxBodyBytes:  *maxBody,
		AllowOrigins:  splitList(*origins),
		Logger:        slog.New(slog.NewTextHandler(e.stderr, nil)),
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(e.stderr, "plait serve: %v\n", err)
		return cli.ExitFail
	}
	what := "agent over " + b.spec
	if *plain {
		what = "model " + b.spec
	}
	fmt.Fprintf(e.stderr, "plait serve: %s as %q on http://%s (OpenAI: /v1, Ollama: /api)\n", what, *name, ln.Addr())
	if err := serveUntilDone(ctx, ln, srv.Handler(), e.stderr); err != nil {
		fmt.Fprintf(e.stderr, "plait serve: %v\n", err)
		return cli.ExitFail
	}
	return 0
}

// serveUntilDone serves h on ln until ctx ends, then shuts down gracefully:
// it stops accepting, lets requests in flight finish for up to 30 seconds,
// then closes what is left.
func serveUntilDone(ctx context.Context, ln net.Listener, h http.Handler, logw io.Writer) error {
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	fmt.Fprintln(logw, "plait serve: shutting down; waiting for requests in flight")
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	err := hs.Shutdown(sctx)
	if errors.Is(err, context.DeadlineExceeded) {
		hs.Close()
	}
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		return serr
	}
	return err
}
