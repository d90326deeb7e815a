package tokenizer

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// alphabet mixes the characters the patterns treat differently.
var alphabet = []string{
	" ", " ", " ", "  ", "\t", "\n", "\r", "\r\n", "\v", "\u00a0", "\u3000", "\u2028", "\u0085",
	"a", "b", "Z", "s", "t", "re", "ve", "ll", "d", "m", "S", "T", "RE", "lL",
	"'", "'", "'", "0", "1", "9", "٣", "½", "Ⅻ", "µ", "Ω", "K", "ǅ", "ʔ", "Ａ", "ｚ", "𐐀", "가", "ࠀ", "一", "龥", "‘", "‟",
	"é", "中", "文", "Д", "ж", "ا", "\u0301", "\u200d", "🦙", "😁",
	".", ",", "!", "?", "-", "=", "(", ")", "$", "+", "<", ">", "^", "~", "|", "`", "_", "/", "\\",
	"！", "。", "、", "…", "\x00", "\x7f", "\ufffd",
}

func randomText(r *rand.Rand, n int) string {
	var b strings.Builder
	for range n {
		b.WriteString(alphabet[r.IntN(len(alphabet))])
	}
	return b.String()
}

// TestScannersMatchRegexp2 checks every hand-written scanner against the
// regexp2 implementation of its pattern on random text.
func TestScannersMatchRegexp2(t *testing.T) {
	for _, fam := range []string{"gpt2", "llama3", "qwen2", "smollm", "deepseek-llm", "deepseek-coder"} {
		t.Run(fam, func(t *testing.T) {
			pats := preFamilies[fam].patterns
			fast, err := buildSplitter(pats, false)
			if err != nil {
				t.Fatal(err)
			}
			for i, st := range fast {
				if _, ok := st.(regexStage); ok {
					t.Fatalf("%s: stage %d has no hand-written scanner", fam, i)
				}
			}
			slow, err := buildSplitter(pats, true)
			if err != nil {
				t.Fatal(err)
			}
			r := rand.New(rand.NewPCG(1, uint64(len(fam))))
			n := 800
			if testing.Short() {
				n = 200
			}
			for i := range n {
				text := randomText(r, 1+i%40)
				a := fast.split(text, nil, nil)
				b := slow.split(text, nil, nil)
				if !equalInts(a, b) {
					t.Fatalf("split(%q):\nscanner %q\nregexp2 %q", text, pieces(text, a), pieces(text, b))
				}
			}
		})
	}
}

func equalInts(a, b []int) bool {
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

func pieces(text string, ends []int) []string {
	var out []string
	start := 0
	for _, e := range ends {
		out = append(out, text[start:e])
		start = e
	}
	return out
}

// TestRegexChains checks that every known pre-tokenizer compiles and
// splits text into pieces that cover it.
func TestRegexChains(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	for name, fam := range preFamilies {
		sp, err := buildSplitter(fam.patterns, false)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for range 50 {
			text := randomText(r, 30)
			ends := sp.split(text, nil, nil)
			if strings.Join(pieces(text, ends), "") != text || (len(ends) > 0 && ends[len(ends)-1] != len(text)) {
				t.Fatalf("%s: pieces of %q do not cover it: %q", name, text, pieces(text, ends))
			}
			for i := 1; i < len(ends); i++ {
				if ends[i] <= ends[i-1] {
					t.Fatalf("%s: empty piece in %q", name, pieces(text, ends))
				}
			}
		}
	}
	for alias, fam := range preAliases {
		if _, ok := preFamilies[fam]; !ok {
			t.Errorf("alias %q names unknown family %q", alias, fam)
		}
	}
}

// BenchmarkSplit compares the hand-written scanners with regexp2 on the
// same patterns.
func BenchmarkSplit(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 3))
	var sb strings.Builder
	for sb.Len() < 64<<10 {
		sb.WriteString("The quick brown fox jumps over the lazy dog. It's 12345 o'clock; we're done.\n")
		sb.WriteString("func main() {\n\tfmt.Println(\"hello, 世界\")\n}\n    indented   text  \n")
		sb.WriteString(randomText(r, 20))
	}
	text := sb.String()
	for _, fam := range []string{"gpt2", "llama3", "qwen2", "deepseek-llm", "deepseek-coder"} {
		for _, regexOnly := range []bool{false, true} {
			name := fam + "/scanner"
			if regexOnly {
				name = fam + "/regexp2"
			}
			b.Run(name, func(b *testing.B) {
				sp, err := buildSplitter(preFamilies[fam].patterns, regexOnly)
				if err != nil {
					b.Fatal(err)
				}
				var buf, tmp []int
				b.SetBytes(int64(len(text)))
				for b.Loop() {
					buf = sp.split(text, buf, tmp)
				}
				b.ReportMetric(float64(len(buf))*float64(b.N)/b.Elapsed().Seconds(), "words/s")
			})
		}
	}
}

// FuzzSplit checks every hand-written scanner against regexp2 on arbitrary
// valid UTF-8 (the BPE path replaces invalid bytes before splitting).
func FuzzSplit(f *testing.F) {
	for _, s := range []string{"Hello, y'all! How're you 😁 ?我想在apple工作1314151天～", "  \n\n \t x", "3.14 ½ Ⅻ", "'S'RE'll"} {
		f.Add(s)
	}
	type pair struct{ fast, slow splitter }
	var pairs []pair
	for _, fam := range []string{"gpt2", "llama3", "qwen2", "smollm", "deepseek-llm", "deepseek-coder"} {
		fast, err1 := buildSplitter(preFamilies[fam].patterns, false)
		slow, err2 := buildSplitter(preFamilies[fam].patterns, true)
		if err1 != nil || err2 != nil {
			f.Fatal(err1, err2)
		}
		pairs = append(pairs, pair{fast, slow})
	}
	f.Fuzz(func(t *testing.T, text string) {
		text = sanitize(text)
		for i, p := range pairs {
			a := p.fast.split(text, nil, nil)
			b := p.slow.split(text, nil, nil)
			if !equalInts(a, b) {
				t.Fatalf("family %d: split(%q):\nscanner %q\nregexp2 %q", i, text, pieces(text, a), pieces(text, b))
			}
		}
	})
}
