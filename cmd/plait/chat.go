package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/google/uuid"

	"github.com/plait-ai/plait/agent"
	"github.com/plait-ai/plait/internal/cli"
	"github.com/plait-ai/plait/internal/progress"
	"github.com/plait-ai/plait/memory"
	"github.com/plait-ai/plait/memory/sqlite"
)

const chatHelp = `Type a message and press Enter. Commands: /new (start a new conversation), /id (show the conversation id), /exit.`

func chatCmd(ctx context.Context, args []string, e env) int {
	fs := flag.NewFlagSet("plait chat", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	var af agentFlags
	af.register(fs)
	// A chat turn is usually short: ReAct answers directly when no tool is
	// needed, where plan-and-execute always plans first.
	af.strategy = "react"
	fs.Lookup("strategy").DefValue = "react"
	db := fs.String("db", "", "keep conversations in this SQLite file (default: in memory, for this session)")
	resume := fs.String("conversation", "", "resume the conversation with this id (with -db)")
	budget := fs.Int("history-tokens", 8000, "tokens of history each turn sees")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "usage: plait chat [flags]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return cli.ExitUsage
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return cli.ExitUsage
	}
	conv := memory.NewID()
	if *resume != "" {
		id, err := uuid.Parse(*resume)
		if err != nil {
			fmt.Fprintf(e.stderr, "plait chat: -conversation: %v\n", err)
			return cli.ExitUsage
		}
		conv = id
	}
	if _, err := af.parseStrategy(); err != nil {
		fmt.Fprintf(e.stderr, "plait chat: %v\n", err)
		return cli.ExitUsage
	}

	p := progress.New(e.stderr)
	defer p.Close()
	p.Answer = e.stdout
	asker := cli.NewAsker(e.stdin, p)
	b, err := af.build(ctx, p, asker, e.stderr)
	if err != nil {
		return exitFor(err, e.stderr)
	}
	defer b.close(context.WithoutCancel(ctx))

	var store memory.Store = memory.NewMemStore()
	if *db != "" {
		st, err := sqlite.Open(ctx, *db, nil)
		if err != nil {
			fmt.Fprintf(e.stderr, "plait chat: %v\n", err)
			return cli.ExitFail
		}
		store = st
	}
	defer store.Close()
	b.cfg.Memory.Store = store
	b.cfg.Memory.History = memory.HistoryOptions{Budget: *budget, Summarizer: b.model, Overflow: memory.OverflowTruncate}
	a, err := agent.New(b.cfg)
	if err != nil {
		return exitFor(err, e.stderr)
	}
	fmt.Fprintf(e.stderr, "plait chat with %s (conversation %s)\n%s\n", b.spec, conv, chatHelp)
	for {
		fmt.Fprint(e.stderr, "> ")
		line, err := asker.ReadLine()
		if errors.Is(err, io.EOF) {
			fmt.Fprintln(e.stderr)
			return 0
		}
		if err != nil {
			fmt.Fprintf(e.stderr, "plait chat: %v\n", err)
			return cli.ExitFail
		}
		line = strings.TrimSpace(line)
		switch line {
		case "":
			continue
		case "/exit", "/quit":
			return 0
		case "/new":
			conv = memory.NewID()
			fmt.Fprintf(e.stderr, "new conversation %s\n", conv)
			continue
		case "/id":
			fmt.Fprintln(e.stderr, conv)
			continue
		case "/help":
			fmt.Fprintln(e.stderr, chatHelp)
			continue
		}
		streamed := false
		for ev, err := range a.Stream(agent.WithConversation(ctx, conv), line) {
			if ev.Type == agent.EventAnswerDelta && ev.Text != "" {
				streamed = true
			}
			if ev.Type == agent.EventDone {
				if !streamed && ev.Result != nil && ev.Result.Answer != "" {
					fmt.Fprint(e.stdout, ev.Result.Answer)
				}
				fmt.Fprintln(e.stdout)
			}
			p.Event(ev, err)
		}
		if ctx.Err() != nil {
			return cli.ExitFail
		}
	}
}
