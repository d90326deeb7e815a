package memory

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Terms splits text into the terms [Recall] indexes: lowercase words of
// letters and digits for alphabetic scripts (English plurals folded to
// their singular: "notes" and "note" match), and overlapping character
// bigrams for runs of Chinese, Japanese and Korean characters, which are
// written without spaces ("北京大学" gives 北京, 京大, 大学); a lone CJK
// character is a term of its own.
func Terms(text string) []string {
	var out []string
	var word strings.Builder
	var cjk []rune
	apos := false // the word follows an apostrophe
	flushWord := func() {
		if word.Len() > 0 {
			if w := word.String(); !apos || w != "s" {
				out = append(out, stem(w))
			}
			word.Reset()
		}
		apos = false
	}
	flushCJK := func() {
		switch len(cjk) {
		case 0:
		case 1:
			out = append(out, string(cjk))
		default:
			for i := 0; i+1 < len(cjk); i++ {
				out = append(out, string(cjk[i:i+2]))
			}
		}
		cjk = cjk[:0]
	}
	for _, r := range text {
		switch {
		case isCJK(r) && (unicode.IsLetter(r) || unicode.Is(unicode.Han, r)):
			flushWord()
			cjk = append(cjk, r)
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.M, r):
			flushCJK()
			word.WriteRune(unicode.ToLower(r))
		case r == '\'' || r == '’':
			// "agent's" -> "agent": drop the possessive.
			flushCJK()
			flushWord()
			apos = true
		default:
			flushCJK()
			flushWord()
		}
	}
	flushCJK()
	flushWord()
	return out
}

// stem folds simple English plurals: "notes" -> "note", "queries" ->
// "query", "boxes" -> "box"; other words are kept as they are.
func stem(w string) string {
	n := len(w)
	if n < 4 || w[n-1] != 's' || !isASCII(w) {
		return w
	}
	switch {
	case strings.HasSuffix(w, "ss"), strings.HasSuffix(w, "us"), strings.HasSuffix(w, "is"):
		return w
	case strings.HasSuffix(w, "ies") && n > 4:
		return w[:n-3] + "y"
	case strings.HasSuffix(w, "xes"), strings.HasSuffix(w, "ches"), strings.HasSuffix(w, "shes"), strings.HasSuffix(w, "sses"):
		return w[:n-2]
	}
	return w[:n-1]
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// BM25 parameters.
const (
	bm25K1 = 1.2
	bm25B  = 0.75
)

type bm25Doc struct {
	note Note
	tf   map[string]int
	len  int
}

// bm25Index is an inverted index of notes scored by Okapi BM25.
type bm25Index struct {
	docs   []bm25Doc
	df     map[string]int
	totLen int
}

func newIndex(notes []Note) *bm25Index {
	ix := &bm25Index{df: make(map[string]int)}
	for _, n := range notes {
		ix.add(n)
	}
	return ix
}

func noteTerms(n Note) []string {
	// The title and tags count twice: they say what the note is about.
	head := n.Title + " " + strings.Join(n.Tags, " ")
	t := Terms(head)
	t = append(t, t...)
	return append(t, Terms(n.Text)...)
}

func (ix *bm25Index) add(n Note) {
	terms := noteTerms(n)
	tf := make(map[string]int, len(terms))
	for _, t := range terms {
		tf[t]++
	}
	for t := range tf {
		ix.df[t]++
	}
	ix.docs = append(ix.docs, bm25Doc{note: n, tf: tf, len: len(terms)})
	ix.totLen += len(terms)
}

func (ix *bm25Index) search(query string, k int) []Hit {
	if len(ix.docs) == 0 {
		return nil
	}
	q := Terms(query)
	slices.Sort(q)
	q = slices.Compact(q)
	N := float64(len(ix.docs))
	avg := float64(ix.totLen) / N
	var hits []Hit
	for i := range ix.docs {
		d := &ix.docs[i]
		score := 0.0
		for _, t := range q {
			f := d.tf[t]
			if f == 0 {
				continue
			}
			df := float64(ix.df[t])
			idf := math.Log(1 + (N-df+0.5)/(df+0.5))
			tf := float64(f)
			score += idf * tf * (bm25K1 + 1) / (tf + bm25K1*(1-bm25B+bm25B*float64(d.len)/avg))
		}
		if score > 0 {
			hits = append(hits, Hit{Note: d.note, Score: score})
		}
	}
	slices.SortStableFunc(hits, func(a, b Hit) int {
		switch {
		case a.Score > b.Score:
			return -1
		case a.Score < b.Score:
			return 1
		}
		return b.Note.Time.Compare(a.Note.Time) // newer first on ties
	})
	if k > 0 && len(hits) > k {
		hits = hits[:k]
	}
	return hits
}

// Hit is a note found by [Recall.Search], with its BM25 score.
type Hit struct {
	Note  Note    `json:"note"`
	Score float64 `json:"score"`
}

// Recall is long-term memory: notes and documents an agent saves and finds
// again by BM25 ranking, in English, Chinese and other languages (see
// [Terms]). Notes live in a [NoteStore]; the search index is built in
// memory from them and rebuilt when the store's notes change, whichever
// process changed them. [RememberTool] and [RecallTool] offer it to
// agents. A Recall is safe for concurrent use.
type Recall struct {
	store NoteStore
	scope string

	mu  sync.Mutex
	ver int64
	ix  *bm25Index
}

// NewRecall returns the long-term memory of one scope (a user, a tenant,
// a project; "" is a scope too) kept in store.
func NewRecall(store NoteStore, scope string) *Recall {
	return &Recall{store: store, scope: scope}
}

// Remember saves a note in the Recall's scope and returns it as stored.
func (r *Recall) Remember(ctx context.Context, n Note) (Note, error) {
	if strings.TrimSpace(n.Text) == "" && strings.TrimSpace(n.Title) == "" {
		return Note{}, fmt.Errorf("memory: remember: the note is empty; give it a text")
	}
	n.Scope = r.scope
	saved, err := r.store.SaveNote(ctx, n)
	if err != nil {
		return Note{}, fmt.Errorf("memory: remember: %w", err)
	}
	return saved, nil
}

// Forget deletes a note; ErrNotFound when there is none.
func (r *Recall) Forget(ctx context.Context, id uuid.UUID) error {
	if err := r.store.DeleteNote(ctx, id); err != nil {
		return fmt.Errorf("memory: forget: %w", err)
	}
	return nil
}

// Search returns the k notes of the scope that best match query (k <= 0:
// all that match), best first. Notes that share no term with the query are
// not returned.
func (r *Recall) Search(ctx context.Context, query string, k int) ([]Hit, error) {
	ix, err := r.index(ctx)
	if err != nil {
		return nil, fmt.Errorf("memory: recall: %w", err)
	}
	return ix.search(query, k), nil
}

func (r *Recall) index(ctx context.Context) (*bm25Index, error) {
	ver, err := r.store.NotesVersion(ctx, r.scope)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	if r.ix != nil && r.ver == ver {
		ix := r.ix
		r.mu.Unlock()
		return ix, nil
	}
	r.mu.Unlock()
	notes, err := r.store.Notes(ctx, r.scope)
	if err != nil {
		return nil, err
	}
	ix := newIndex(notes)
	r.mu.Lock()
	r.ix, r.ver = ix, ver
	r.mu.Unlock()
	return ix, nil
}
