package tokenizer_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/plait-ai/plait/internal/testenv"
	"github.com/plait-ai/plait/llm/local/gguf"
	"github.com/plait-ai/plait/llm/local/tokenizer"
)

var vocabNames = []string{"llama-spm", "gpt-2", "deepseek-llm", "deepseek-coder"}

var (
	cacheMu sync.Mutex
	cache   = map[string]*tokenizer.Tokenizer{}
)

// load returns the tokenizer of a shared test-data GGUF file.
func load(tb testing.TB, elem ...string) *tokenizer.Tokenizer {
	tb.Helper()
	p := testenv.Shared(tb, elem...)
	cacheMu.Lock()
	defer cacheMu.Unlock()
	if t, ok := cache[p]; ok {
		return t
	}
	f, err := gguf.Open(p)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	t, err := tokenizer.FromGGUF(f)
	if err != nil {
		tb.Fatal(err)
	}
	cache[p] = t
	return t
}

type vector struct {
	text string
	ids  []int32
}

func vectors(tb testing.TB, name string) []vector {
	tb.Helper()
	base := testenv.Shared(tb, "tokenizer", "ggml-vocab-"+name+".gguf")
	inp, err := os.ReadFile(base + ".inp")
	if err != nil {
		tb.Fatal(err)
	}
	out, err := os.ReadFile(base + ".out")
	if err != nil {
		tb.Fatal(err)
	}
	texts := strings.Split(string(inp), "\n__ggml_vocab_test__\n")
	if texts[len(texts)-1] == "" {
		texts = texts[:len(texts)-1]
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != len(texts) {
		tb.Fatalf("%s: %d inputs, %d outputs", name, len(texts), len(lines))
	}
	var vs []vector
	for i, text := range texts {
		var ids []int32
		for _, f := range strings.Fields(lines[i]) {
			n, err := strconv.Atoi(f)
			if err != nil {
				tb.Fatal(err)
			}
			ids = append(ids, int32(n))
		}
		vs = append(vs, vector{text, ids})
	}
	return vs
}

func equal(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestVectors reproduces llama.cpp's test-tokenizer-0 vectors exactly.
func TestVectors(t *testing.T) {
	for _, name := range vocabNames {
		t.Run(name, func(t *testing.T) {
			tok := load(t, "tokenizer", "ggml-vocab-"+name+".gguf")
			vs := vectors(t, name)
			fails := 0
			for _, v := range vs {
				got := tok.Encode(v.text, false, false)
				if !equal(got, v.ids) {
					fails++
					t.Errorf("Encode(%q)\n got %v\nwant %v", v.text, got, v.ids)
				}
			}
			t.Logf("%d/%d vectors match", len(vs)-fails, len(vs))
		})
	}
}

// TestRoundTrip decodes the vectors' ids back to their texts.
func TestRoundTrip(t *testing.T) {
	for _, name := range vocabNames {
		t.Run(name, func(t *testing.T) {
			tok := load(t, "tokenizer", "ggml-vocab-"+name+".gguf")
			for _, v := range vectors(t, name) {
				if got := tok.Decode(v.ids); got != v.text {
					t.Errorf("Decode(%v) = %q, want %q", v.ids, got, v.text)
				}
				with := tok.Encode(v.text, true, false)
				if got := tok.Decode(with); got != v.text {
					t.Errorf("Decode(Encode(%q, addSpecial)) = %q", v.text, got)
				}
				// Streaming gives the same bytes.
				d := tok.NewDecoder()
				var sb strings.Builder
				for _, id := range v.ids {
					sb.WriteString(d.Next(id))
				}
				sb.WriteString(d.Flush())
				want := v.text
				if tok.Model() == "llama" && len(v.ids) > 0 {
					want = string(tok.TokenBytes(v.ids[0])[:1]) + want
				}
				if sb.String() != want {
					t.Errorf("streamed %q, want %q", sb.String(), want)
				}
			}
		})
	}
}

// TestSpecial checks BOS/EOS, special-token parsing and the EOG set.
func TestSpecial(t *testing.T) {
	spm := load(t, "tokenizer", "ggml-vocab-llama-spm.gguf")
	if !spm.AddBOS() || spm.AddEOS() || spm.BOS() != 1 || spm.EOS() != 2 || spm.UNK() != 0 {
		t.Errorf("spm specials: addBOS %v addEOS %v bos %d eos %d unk %d", spm.AddBOS(), spm.AddEOS(), spm.BOS(), spm.EOS(), spm.UNK())
	}
	ids := spm.Encode("Hello", true, false)
	if ids[0] != 1 {
		t.Errorf("Encode with addSpecial = %v, want BOS first", ids)
	}
	if got := spm.Encode("</s>", false, true); !equal(got, []int32{2}) {
		t.Errorf("parseSpecial </s> = %v, want [2]", got)
	}
	if got := spm.Encode("</s>", false, false); len(got) < 2 {
		t.Errorf("unparsed </s> = %v, want text tokens", got)
	}
	if !spm.IsEOG(2) || spm.IsEOG(1) || !spm.IsControl(1) || spm.IsControl(100) {
		t.Error("spm EOG/control")
	}
	if got := spm.Decode([]int32{1, 15043, 2}); got != "Hello" {
		t.Errorf("Decode(BOS Hello EOS) = %q", got)
	}
	if got := spm.Detokenize([]int32{1, 15043, 2}, true); got != "<s>Hello</s>" {
		t.Errorf("Detokenize special = %q", got)
	}

	g := load(t, "tokenizer", "ggml-vocab-gpt-2.gguf")
	if g.AddBOS() || !g.IsEOG(50256) {
		t.Errorf("gpt-2: addBOS %v eog %v", g.AddBOS(), g.EOG())
	}
	text := "a<|endoftext|>b"
	if got := g.Encode(text, false, true); !equal(got, []int32{64, 50256, 65}) {
		t.Errorf("gpt-2 parseSpecial = %v", got)
	}
	if got := g.Decode(g.Encode(text, false, false)); got != text {
		t.Errorf("gpt-2 unparsed round trip = %q", got)
	}
	if b := g.TokenBytes(50256); b != nil {
		t.Errorf("TokenBytes(control) = %q", b)
	}
	if got := string(g.TokenBytes(220)); got != " " {
		t.Errorf("TokenBytes(220) = %q", got)
	}

	dc := load(t, "tokenizer", "ggml-vocab-deepseek-coder.gguf")
	// user-defined tokens are matched even without parseSpecial
	id, ok := dc.ID("<|EOT|>")
	if !ok {
		t.Fatal("no <|EOT|>")
	}
	if got := dc.Encode("x<|EOT|>", false, false); got[len(got)-1] != id {
		t.Errorf("user-defined token not matched: %v", got)
	}
	if !dc.IsEOG(dc.EOS()) {
		t.Error("deepseek-coder: EOS not EOG")
	}
	if eos, _ := dc.ID("<｜end▁of▁sentence｜>"); !dc.IsEOG(eos) {
		t.Error("<｜end▁of▁sentence｜> not EOG")
	}
}

// TestModelPrompts checks the prompt tokens of the tiny reference models.
func TestModelPrompts(t *testing.T) {
	dir := testenv.Shared(t, "models")
	files, _ := filepath.Glob(filepath.Join(dir, "*.expected.json"))
	if len(files) == 0 {
		t.Skip("no expected.json files")
	}
	for _, ej := range files {
		name := strings.TrimSuffix(filepath.Base(ej), ".expected.json")
		t.Run(name, func(t *testing.T) {
			tok := load(t, "models", name+".gguf")
			cases := readCases(t, ej)
			if len(cases) == 0 {
				t.Skip("no cases with prompt text")
			}
			for _, c := range cases {
				got := tok.Encode(c.Prompt, true, false)
				if !equal(got, c.PromptTokens) {
					t.Errorf("Encode(%q) = %v, want %v", c.Prompt, got, c.PromptTokens)
				}
				all := append(append([]int32(nil), c.PromptTokens...), c.Greedy...)
				_ = tok.Decode(all)
			}
			t.Logf("%d prompts", len(cases))
		})
	}
}

// TestConcurrent encodes from many goroutines (run with -race).
func TestConcurrent(t *testing.T) {
	tok := load(t, "tokenizer", "ggml-vocab-gpt-2.gguf")
	vs := vectors(t, "gpt-2")
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				v := vs[(g+i)%len(vs)]
				if got := tok.Encode(v.text, false, false); !equal(got, v.ids) {
					t.Errorf("concurrent Encode(%q) = %v", v.text, got)
					return
				}
			}
		}()
	}
	wg.Wait()
}
