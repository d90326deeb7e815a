package local_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"github.com/plait-ai/plait/internal/testenv"
	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/llm/local"
	"github.com/plait-ai/plait/llm/local/gguf"
)

var quoteSources = []llm.Source{
	{ID: "s1", Text: `{"hits":[{"id":"galyo","snippet":"The Galyo protocol keeps small tokens in fast caches."}]}`},
	{ID: "s2", Text: "Paris is sunny today, and the river is calm; 21 degrees at noon."},
}

// normText collapses white space, as quotations are compared.
func normText(s string) string { return strings.Join(strings.FieldsFunc(s, unicode.IsSpace), " ") }

// quotations returns the closed "…" quotations of a reply.
func quotations(reply string) []string {
	var out []string
	parts := strings.Split(reply, `"`)
	for i := 1; i+1 < len(parts); i += 2 {
		out = append(out, parts[i])
	}
	return out
}

// quoteRuns generates replies from random-weight models at a high
// temperature, so that quotation marks come up, until want quotations are
// closed or n replies are written, and returns the closed quotations and
// how many are not a span of a source.
func quoteRuns(t *testing.T, m *local.Model, sources []llm.Source, want int, n int64) (quotes, false_ int) {
	t.Helper()
	texts := []string{normText("The Galyo protocol keeps small tokens in fast caches."), normText(sources[1].Text), "galyo"}
	for seed := int64(0); seed < n && quotes < want; seed++ {
		req := &llm.Request{
			Messages:    []llm.Message{llm.UserMessage("Quote the sources.")},
			Sources:     sources,
			Temperature: llm.Ptr(1.5), Seed: llm.Ptr(seed), MaxTokens: 80,
		}
		r, err := m.Generate(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range quotations(r.Text()) {
			quotes++
			nq := normText(q)
			ok := nq != ""
			if ok {
				ok = false
				for _, s := range texts {
					ok = ok || strings.Contains(s, nq)
				}
			}
			if !ok {
				false_++
			}
		}
	}
	return quotes, false_
}

func TestVerbatimQuotes(t *testing.T) {
	names := models
	if local.RaceEnabled {
		names = models[:1] // the SIMD and pure-Go paths alike; -race is slow
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			path := testenv.Shared(t, "models", name)
			open := func(q local.QuoteMode) *local.Model {
				m, err := local.Load(context.Background(), path, local.Options{Threads: 2, Quotes: q})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { m.Close() })
				return m
			}
			n := 4 * seeds(12)
			quotes, bad := quoteRuns(t, open(local.QuotesVerbatim), quoteSources, 4, n)
			if bad > 0 {
				t.Errorf("%d of %d quotations are not verbatim", bad, quotes)
			}
			free, freeBad := quoteRuns(t, open(local.QuotesFree), quoteSources, 2, n)
			if free > 0 && freeBad == 0 {
				t.Errorf("without the constraint all %d quotations of a random model were verbatim: the test shows nothing", free)
			}
			if quotes == 0 {
				t.Fatalf("%s wrote no quotation in %d replies: the test shows nothing", name, n)
			}
			t.Logf("%d quotations constrained, %d free of which %d not verbatim", quotes, free, freeBad)
		})
	}
}

// A file asks for verbatim quotes with plait.quotes; Options override it.
func TestQuotesFromFile(t *testing.T) {
	src := testenv.Shared(t, "models", "tiny-llama-spm-f32.gguf")
	write := func(value string) string { return withKVs(t, src, map[string]any{local.KeyQuotes: value}) }
	for _, tc := range []struct {
		name, value string
		mode        local.QuoteMode
		checked     bool
	}{
		{"verbatim", "verbatim", local.QuotesAsFile, true},
		{"sentences", "sentences", local.QuotesAsFile, true},
		{"overridden", "verbatim", local.QuotesFree, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := local.Load(context.Background(), write(tc.value), local.Options{Threads: 2, Quotes: tc.mode})
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			quotes, bad := quoteRuns(t, m, quoteSources, 2, 4*seeds(8))
			if tc.checked && bad > 0 {
				t.Errorf("%d of %d quotations are not verbatim", bad, quotes)
			}
			if !tc.checked && quotes > 0 && bad == 0 {
				t.Errorf("free quotations of a random model were all verbatim (%d)", quotes)
			}
		})
	}
}

// withKVs writes a copy of the GGUF file at src with kvs set in its
// metadata and returns its path.
func withKVs(t *testing.T, src string, kvs map[string]any) string {
	t.Helper()
	f, err := gguf.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var w gguf.Writer
	if err := w.SetKVs(f.KVs()); err != nil {
		t.Fatal(err)
	}
	for k, v := range kvs {
		if err := w.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	for _, ti := range f.Tensors() {
		data, err := f.TensorData(ti.Name)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.AddTensor(ti.Name, ti.Type, ti.Dims, gguf.Bytes(data)); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "m.gguf")
	if err := w.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	return path
}
