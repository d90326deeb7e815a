package tokenizer

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/plait-ai/plait/internal/testenv"
	"github.com/plait-ai/plait/llm/local/gguf"
)

// naiveBPE merges the lowest-ranked adjacent pair (leftmost on ties) until
// none is left, re-scanning the word each time: the textbook algorithm,
// O(n²), an oracle for the heap-based bpeWord.
func naiveBPE(t *Tokenizer, ranks map[[2]string]int, word string) []int32 {
	var syms []string
	for i := 0; i < len(word); i++ {
		syms = append(syms, string(byteToRune[word[i]]))
	}
	for {
		best, at := -1, -1
		for i := 0; i+1 < len(syms); i++ {
			if r, ok := ranks[[2]string{syms[i], syms[i+1]}]; ok && (best < 0 || r < best) {
				best, at = r, i
			}
		}
		if at < 0 {
			break
		}
		syms = slices.Replace(syms, at, at+2, syms[at]+syms[at+1])
	}
	var out []int32
	for _, s := range syms {
		if id, ok := t.index[s]; ok {
			out = append(out, id)
		}
	}
	return out
}

// naiveSPM merges the highest-scoring adjacent pair that forms a token
// (leftmost on ties) until none is left.
func naiveSPM(t *Tokenizer, text string) []int32 {
	var syms []string
	for i := 0; i < len(text); {
		n := min(int(utf8Len(text[i])), len(text)-i)
		syms = append(syms, text[i:i+n])
		i += n
	}
	for {
		at := -1
		var best float32
		for i := 0; i+1 < len(syms); i++ {
			if id, ok := t.index[syms[i]+syms[i+1]]; ok && (at < 0 || t.scores[id] > best) {
				best, at = t.scores[id], i
			}
		}
		if at < 0 {
			break
		}
		syms = slices.Replace(syms, at, at+2, syms[at]+syms[at+1])
	}
	var out []int32
	for _, s := range syms {
		if id, ok := t.index[s]; ok {
			out = append(out, id)
			continue
		}
		for i := 0; i < len(s); i++ {
			out = append(out, t.bytePiece[s[i]])
		}
	}
	return out
}

func loadInternal(tb testing.TB, name string) *Tokenizer {
	tb.Helper()
	f, err := gguf.Open(testenv.Shared(tb, "tokenizer", name))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	tok, err := FromGGUF(f)
	if err != nil {
		tb.Fatal(err)
	}
	return tok
}

// TestMergesMatchNaive checks the priority-queue merges against the naive
// algorithms on random words and texts.
func TestMergesMatchNaive(t *testing.T) {
	n := 400
	if testing.Short() {
		n = 100
	}
	r := rand.New(rand.NewPCG(5, 5))
	t.Run("gpt2", func(t *testing.T) {
		tok := loadInternal(t, "ggml-vocab-gpt-2.gguf")
		ranks := map[[2]string]int{}
		f, _ := gguf.Open(testenv.Shared(t, "tokenizer", "ggml-vocab-gpt-2.gguf"))
		merges, _ := f.Strings("tokenizer.ggml.merges")
		for i, m := range merges {
			l, rr, _ := strings.Cut(m, " ")
			if _, dup := ranks[[2]string{l, rr}]; !dup {
				ranks[[2]string{l, rr}] = i
			}
		}
		f.Close()
		s := &session{}
		for range n {
			text := randomText(r, 1+r.IntN(12))
			for _, w := range pieces(text, tok.split.split(text, nil, nil)) {
				got := tok.bpeWord(s, w, nil)
				want := naiveBPE(tok, ranks, w)
				if !slices.Equal(got, want) {
					t.Fatalf("word %q: heap %v, naive %v", w, got, want)
				}
			}
		}
	})
	t.Run("spm", func(t *testing.T) {
		tok := loadInternal(t, "ggml-vocab-llama-spm.gguf")
		s := &session{}
		for range n {
			text := strings.ReplaceAll(" "+randomText(r, 1+r.IntN(20)), " ", "▁")
			got := tok.encodeSPM(s, text, false, nil)
			want := naiveSPM(tok, text)
			if !slices.Equal(got, want) {
				t.Fatalf("text %q: heap %v, naive %v", text, got, want)
			}
		}
	})
}

// TestSPMChunksMatchWhole checks that merging word by word gives what
// merging the whole text gives, invalid UTF-8 included.
func TestSPMChunksMatchWhole(t *testing.T) {
	tok := loadInternal(t, "ggml-vocab-llama-spm.gguf")
	if !tok.spmChunks {
		t.Fatal("llama-spm vocabulary not split word by word")
	}
	parts := []string{"▁", "▁", "▁▁", "a", "the", "中", "\xe2", "\xe2\x96", "\xff", "\xc3", "\xf0\x9f", "é", "\n", "1"}
	r := rand.New(rand.NewPCG(9, 9))
	s := &session{}
	for range 2000 {
		var b strings.Builder
		for range 1 + r.IntN(12) {
			b.WriteString(parts[r.IntN(len(parts))])
		}
		text := b.String()
		got := tok.encodeSPM(s, text, false, nil)
		want := tok.spmRun(&session{}, []byte(text), nil)
		if !slices.Equal(got, want) {
			t.Fatalf("%q: by word %v, whole %v", text, got, want)
		}
	}
	if spmSplittable("a▁b") || !spmSplittable("▁▁ab") || !spmSplittable("ab") || spmSplittable("▁a▁") {
		t.Error("spmSplittable")
	}
}
