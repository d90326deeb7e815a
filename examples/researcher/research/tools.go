package research

import (
	"context"
	"errors"
	"strings"
	"sync"

	"github.com/plait-ai/plait/tools"
)

// SearchInput is the input of search_kb.
type SearchInput struct {
	Query string `json:"query" jsonschema:"description=Keywords to look for (English or Chinese)."`
	Limit int    `json:"limit,omitempty" jsonschema:"description=How many documents to return (1 to 10; default 5).,minimum=0,maximum=10"`
}

// SearchOutput is the output of search_kb.
type SearchOutput struct {
	Hits []SearchHit `json:"hits"`
}

// ReadInput is the input of read_doc.
type ReadInput struct {
	ID string `json:"id" jsonschema:"description=The document's id as search_kb returned it."`
}

// NoteInput is the input of take_note.
type NoteInput struct {
	Text    string   `json:"text" jsonschema:"description=The fact or finding to remember for the report."`
	Sources []string `json:"sources,omitempty" jsonschema:"description=Ids of the documents the note comes from."`
}

// NoteOutput is the output of take_note.
type NoteOutput struct {
	Saved int `json:"saved"`
}

// Note is a note taken during a run.
type Note struct {
	Text    string   `json:"text"`
	Sources []string `json:"sources,omitempty"`
}

// notebook collects one run's notes; a run's context carries it.
type notebook struct {
	mu    sync.Mutex
	notes []Note
}

type notebookKey struct{}

func withNotebook(ctx context.Context, nb *notebook) context.Context {
	return context.WithValue(ctx, notebookKey{}, nb)
}

func (nb *notebook) all() []Note {
	nb.mu.Lock()
	defer nb.mu.Unlock()
	return append([]Note(nil), nb.notes...)
}

// Tools returns the knowledge-base tools: search_kb, read_doc and take_note.
// take_note keeps notes in the run's notebook when the run was started by a
// Researcher, and only acknowledges them otherwise.
func (kb *KB) Tools() ([]tools.Tool, error) {
	search, err := tools.Func("search_kb",
		"Search the knowledge base of notes about large language models (English and Chinese) by keywords; returns document ids, titles and snippets, best first.",
		func(ctx context.Context, in SearchInput) (SearchOutput, error) {
			k := in.Limit
			if k <= 0 || k > 10 {
				k = 5
			}
			hits, err := kb.Search(ctx, in.Query, k)
			if err != nil {
				return SearchOutput{}, err
			}
			return SearchOutput{Hits: hits}, nil
		}, tools.Inline(), tools.Idempotent())
	if err != nil {
		return nil, err
	}
	read, err := tools.Func("read_doc",
		"Read a whole document of the knowledge base by its id.",
		func(ctx context.Context, in ReadInput) (Doc, error) {
			return kb.Get(in.ID)
		}, tools.Inline(), tools.Idempotent())
	if err != nil {
		return nil, err
	}
	note, err := tools.Func("take_note",
		"Write down a finding for the final report, with the ids of the documents it comes from.",
		func(ctx context.Context, in NoteInput) (NoteOutput, error) {
			text := strings.TrimSpace(in.Text)
			if text == "" {
				return NoteOutput{}, errors.New("the note is empty; pass the finding as text")
			}
			nb, _ := ctx.Value(notebookKey{}).(*notebook)
			if nb == nil {
				return NoteOutput{Saved: 1}, nil
			}
			nb.mu.Lock()
			defer nb.mu.Unlock()
			nb.notes = append(nb.notes, Note{Text: text, Sources: in.Sources})
			return NoteOutput{Saved: len(nb.notes)}, nil
		}, tools.Inline())
	if err != nil {
		return nil, err
	}
	return []tools.Tool{search, read, note}, nil
}
