// Command service is a Go HTTP service that embeds an agent: a shop's
// support assistant with one conversation per user, kept in SQLite.
//
//	go run ./examples/service -addr 127.0.0.1:8080 -db support.db
//	curl -s localhost:8080/chat -d '{"user":"alice","message":"Where is my order A1001?"}'
//	curl -s localhost:8080/chat -d '{"user":"alice","message":"And when will it arrive?"}'
//	curl -s 'localhost:8080/history?user=alice'
//
// The model: -model SPEC, else $PLAIT_MODEL, else the embedded local model.
// SIGINT or SIGTERM shuts the server down after the requests in flight.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/plait-ai/plait/examples/service/support"
	"github.com/plait-ai/plait/internal/cli"
	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/memory/sqlite"
)

func main() {
	ctx, stop := cli.SignalContext()
	code := run(ctx, os.Args[1:], os.Stderr, nil)
	stop()
	os.Exit(code)
}

// run runs the service until ctx ends; model, when not nil, replaces the one
// the flags name.
func run(ctx context.Context, args []string, stderr io.Writer, model llm.Model) int {
	fs := flag.NewFlagSet("service", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	db := fs.String("db", "support.db", "SQLite file for the conversations")
	spec := fs.String("model", "", "model spec (default $PLAIT_MODEL, else the embedded local model)")
	if err := fs.Parse(args); err != nil {
		return cli.ExitUsage
	}
	if model == nil {
		m, _, err := cli.OpenModel(ctx, *spec)
		if err != nil {
			fmt.Fprintf(stderr, "service: %v\n", err)
			if errors.Is(err, cli.ErrNoModel) {
				return cli.ExitUsage
			}
			return cli.ExitFail
		}
		model = m
	}
	store, err := sqlite.Open(ctx, *db, nil)
	if err != nil {
		fmt.Fprintf(stderr, "service: %v\n", err)
		return cli.ExitFail
	}
	defer store.Close()
	svc, err := support.New(support.Config{Model: model, Store: store, NoTrace: true})
	if err != nil {
		fmt.Fprintf(stderr, "service: %v\n", err)
		return cli.ExitFail
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(stderr, "service: %v\n", err)
		return cli.ExitFail
	}
	fmt.Fprintf(stderr, "service: listening on http://%s (conversations in %s)\n", ln.Addr(), *db)
	hs := &http.Server{Handler: svc.Handler(), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		fmt.Fprintf(stderr, "service: %v\n", err)
		return cli.ExitFail
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		fmt.Fprintf(stderr, "service: shutdown: %v\n", err)
		return cli.ExitFail
	}
	fmt.Fprintln(stderr, "service: stopped")
	return 0
}
