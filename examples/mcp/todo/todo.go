// Package todo is the MCP example's server side: a to-do list offered as
// tools (add_todo, list_todos, complete_todo) to any MCP client, over stdio.
// Serve runs it; the server folder has it as a program of its own, and the
// example's agent starts it as a subprocess.
package todo

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"

	sdkmcp "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/plait-ai/plait/tools"
	"github.com/plait-ai/plait/tools/mcp"
)

// Item is one to-do.
type Item struct {
	ID    int    `json:"id"`
	Title string `json:"title"`
	Due   string `json:"due,omitempty"`
	Done  bool   `json:"done"`
}

// List is a to-do list. It is safe for concurrent use.
type List struct {
	mu    sync.Mutex
	items []Item
}

// AddInput is the input of add_todo.
type AddInput struct {
	Title string `json:"title" jsonschema:"description=What to do."`
	Due   string `json:"due,omitempty" jsonschema:"description=When it is due, as the user said it (optional)."`
}

// ListInput is the input of list_todos.
type ListInput struct {
	IncludeDone bool `json:"include_done,omitempty" jsonschema:"description=Also list the items already done."`
}

// ListOutput is the output of list_todos.
type ListOutput struct {
	Items []Item `json:"items"`
}

// CompleteInput is the input of complete_todo.
type CompleteInput struct {
	ID int `json:"id" jsonschema:"description=The item's id, from list_todos."`
}

// Tools returns the list's tools.
func (l *List) Tools() ([]tools.Tool, error) {
	add, err := tools.Func("add_todo", "Add an item to the to-do list; returns it with its id.",
		func(ctx context.Context, in AddInput) (Item, error) {
			title := strings.TrimSpace(in.Title)
			if title == "" {
				return Item{}, fmt.Errorf("the title is empty")
			}
			l.mu.Lock()
			defer l.mu.Unlock()
			it := Item{ID: len(l.items) + 1, Title: title, Due: in.Due}
			l.items = append(l.items, it)
			return it, nil
		})
	if err != nil {
		return nil, err
	}
	list, err := tools.Func("list_todos", "List the to-do items, open ones only unless include_done is set.",
		func(ctx context.Context, in ListInput) (ListOutput, error) {
			l.mu.Lock()
			defer l.mu.Unlock()
			out := ListOutput{Items: []Item{}}
			for _, it := range l.items {
				if !it.Done || in.IncludeDone {
					out.Items = append(out.Items, it)
				}
			}
			return out, nil
		})
	if err != nil {
		return nil, err
	}
	complete, err := tools.Func("complete_todo", "Mark an item as done.",
		func(ctx context.Context, in CompleteInput) (Item, error) {
			l.mu.Lock()
			defer l.mu.Unlock()
			if in.ID < 1 || in.ID > len(l.items) {
				return Item{}, fmt.Errorf("no item %d; list_todos shows the ids", in.ID)
			}
			l.items[in.ID-1].Done = true
			return l.items[in.ID-1], nil
		})
	if err != nil {
		return nil, err
	}
	return []tools.Tool{add, list, complete}, nil
}

// Serve serves a new, empty list over MCP on in and out (a subprocess's
// stdin and stdout) until the client disconnects or ctx ends.
func Serve(ctx context.Context, in io.ReadCloser, out io.WriteCloser) error {
	var l List
	ts, err := l.Tools()
	if err != nil {
		return err
	}
	set, err := tools.NewSet(ts...)
	if err != nil {
		return err
	}
	return mcp.Serve(ctx, tools.NewDispatcher(set), &sdkmcp.IOTransport{Reader: in, Writer: out}, nil)
}
