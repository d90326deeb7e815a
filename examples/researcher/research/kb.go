package research

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/plait-ai/plait/memory"
)

//go:embed kb/*.md
var bundled embed.FS

// ErrNoDoc is returned by KB.Get for an id the knowledge base does not hold.
var ErrNoDoc = errors.New("research: no such document")

// Doc is one document of the knowledge base.
type Doc struct {
	// ID names the document in tool calls and citations: the file name
	// without its extension ("rag", "rag.zh"), prefixed with "user/" for
	// documents added from a folder.
	ID    string `json:"id"`
	Title string `json:"title"`
	// Source says where it came from: "bundled" or the file's path.
	Source string `json:"source"`
	Text   string `json:"text"`
}

// KB is a knowledge base searched by BM25 (through memory.Recall, which
// handles English words and Chinese character bigrams alike). It is safe
// for concurrent use.
type KB struct {
	recall *memory.Recall

	mu   sync.RWMutex
	docs map[string]Doc
}

// NewKB returns a knowledge base holding the bundled notes.
func NewKB(ctx context.Context) (*KB, error) {
	kb := NewEmptyKB()
	err := fs.WalkDir(bundled, "kb", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := bundled.ReadFile(p)
		if err != nil {
			return err
		}
		id := strings.TrimSuffix(path.Base(p), ".md")
		return kb.Add(ctx, Doc{ID: id, Source: "bundled", Text: string(b)})
	})
	if err != nil {
		return nil, fmt.Errorf("research: load bundled notes: %w", err)
	}
	return kb, nil
}

// NewEmptyKB returns a knowledge base with no documents.
func NewEmptyKB() *KB {
	return &KB{recall: memory.NewRecall(memory.NewMemStore(), "kb"), docs: map[string]Doc{}}
}

// Add indexes d. Its title defaults to its first Markdown heading or line.
func (kb *KB) Add(ctx context.Context, d Doc) error {
	if d.ID == "" {
		return errors.New("research: a document needs an id")
	}
	if d.Title == "" {
		d.Title = titleOf(d.Text, d.ID)
	}
	kb.mu.Lock()
	if _, dup := kb.docs[d.ID]; dup {
		kb.mu.Unlock()
		return fmt.Errorf("research: document %q added twice; rename one of the files", d.ID)
	}
	kb.docs[d.ID] = d
	kb.mu.Unlock()
	_, err := kb.recall.Remember(ctx, memory.Note{Title: d.Title, Text: d.Text, Tags: []string{d.ID}})
	if err != nil {
		return fmt.Errorf("research: index %s: %w", d.ID, err)
	}
	return nil
}

// AddDir adds every Markdown or text file (.md, .markdown, .txt) under dir,
// with ids "user/<path without extension>". Files that are not valid UTF-8
// are skipped.
func (kb *KB) AddDir(ctx context.Context, dir string) (int, error) {
	n := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		switch strings.ToLower(filepath.Ext(p)) {
		case ".md", ".markdown", ".txt":
		default:
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if !utf8.Valid(b) {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		id := "user/" + filepath.ToSlash(strings.TrimSuffix(rel, filepath.Ext(rel)))
		if err := kb.Add(ctx, Doc{ID: id, Source: p, Text: string(b)}); err != nil {
			return err
		}
		n++
		return nil
	})
	if err != nil {
		return n, fmt.Errorf("research: add documents from %s: %w", dir, err)
	}
	return n, nil
}

// Get returns the document with the given id.
func (kb *KB) Get(id string) (Doc, error) {
	kb.mu.RLock()
	defer kb.mu.RUnlock()
	d, ok := kb.docs[strings.TrimSpace(id)]
	if !ok {
		return Doc{}, fmt.Errorf("%w: %q (search_kb gives the ids)", ErrNoDoc, id)
	}
	return d, nil
}

// Len returns the number of documents.
func (kb *KB) Len() int {
	kb.mu.RLock()
	defer kb.mu.RUnlock()
	return len(kb.docs)
}

// IDs returns the document ids, sorted.
func (kb *KB) IDs() []string {
	kb.mu.RLock()
	defer kb.mu.RUnlock()
	ids := make([]string, 0, len(kb.docs))
	for id := range kb.docs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// SearchHit is one document found by Search.
type SearchHit struct {
	ID      string  `json:"id"`
	Title   string  `json:"title"`
	Score   float64 `json:"score"`
	Snippet string  `json:"snippet"`
}

// Search returns up to k documents ranked by BM25 for query, best first.
func (kb *KB) Search(ctx context.Context, query string, k int) ([]SearchHit, error) {
	hits, err := kb.recall.Search(ctx, query, k)
	if err != nil {
		return nil, fmt.Errorf("research: search: %w", err)
	}
	out := make([]SearchHit, 0, len(hits))
	for _, h := range hits {
		if len(h.Note.Tags) == 0 {
			continue
		}
		out = append(out, SearchHit{ID: h.Note.Tags[0], Title: h.Note.Title, Score: h.Score, Snippet: snippet(h.Note.Text, 240)})
	}
	return out, nil
}

func titleOf(text, fallback string) string {
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(line), "#"))
		if line != "" {
			return line
		}
	}
	return fallback
}

// snippet returns the start of text's body (after its heading), at most n
// bytes, cut at a rune boundary.
func snippet(text string, n int) string {
	body := text
	if strings.HasPrefix(strings.TrimSpace(body), "#") {
		if i := strings.Index(body, "\n"); i >= 0 {
			body = body[i+1:]
		}
	}
	body = strings.Join(strings.Fields(body), " ")
	if len(body) <= n {
		return body
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(body[cut]) {
		cut--
	}
	return body[:cut] + "…"
}
