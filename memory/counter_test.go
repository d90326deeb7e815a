package memory_test

import (
	"encoding/json"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/plait-ai/plait/internal/testenv"
	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/memory"
)

// vocabCases reads a tokenizer test vector pair: the inputs, separated by
// the line __ggml_vocab_test__, and the expected ids, one line per input.
func vocabCases(t *testing.T, name string) (inputs []string, counts []int) {
	t.Helper()
	inp := testenv.Shared(t, "tokenizer", name+".inp")
	out := testenv.Shared(t, "tokenizer", name+".out")
	ib, err := os.ReadFile(inp)
	if err != nil {
		t.Fatal(err)
	}
	ob, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(string(ib), "\n__ggml_vocab_test__\n")
	if parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	lines := strings.Split(strings.TrimSuffix(string(ob), "\n"), "\n")
	if len(lines) != len(parts) {
		t.Fatalf("%s: %d inputs but %d output lines", name, len(parts), len(lines))
	}
	for i, l := range lines {
		counts = append(counts, len(strings.Fields(l)))
		_ = i
	}
	return parts, counts
}

var vocabs = []string{
	"ggml-vocab-gpt-2.gguf",
	"ggml-vocab-llama-spm.gguf",
	"ggml-vocab-deepseek-llm.gguf",
	"ggml-vocab-deepseek-coder.gguf",
}

// The estimator's stated accuracy: on each vocabulary's test vectors
// (English, whitespace runs, digits, code, emoji, Cyrillic, Khmer,
// Vietnamese, Chinese) the aggregate estimate is within ±25% of the true
// count, and within ±20% over all vocabularies together.
func TestEstimatorCalibration(t *testing.T) {
	var est memory.Estimator
	var allTrue, allEst int
	for _, v := range vocabs {
		inputs, counts := vocabCases(t, v)
		sumTrue, sumEst := 0, 0
		for i, in := range inputs {
			sumTrue += counts[i]
			sumEst += est.Count(in)
		}
		allTrue += sumTrue
		allEst += sumEst
		rel := float64(sumEst-sumTrue) / float64(sumTrue)
		t.Logf("%-32s true %5d  estimate %5d  error %+.1f%%", v, sumTrue, sumEst, 100*rel)
		const bound = 0.25
		if math.Abs(rel) > bound {
			t.Errorf("%s: aggregate error %+.1f%% over the ±%.0f%% bound", v, 100*rel, 100*bound)
		}
	}
	rel := float64(allEst-allTrue) / float64(allTrue)
	t.Logf("all: true %d estimate %d error %+.1f%%", allTrue, allEst, 100*rel)
	if math.Abs(rel) > 0.20 {
		t.Errorf("aggregate error %+.1f%% over the ±20%% bound", 100*rel)
	}
}

// A TokenizerCounter must count exactly what the tokenizer returns: a fake
// tokenizer that replays the test vectors stands in for the local runtime's.
type replayTokenizer map[string][]int32

func (r replayTokenizer) Encode(text string, addSpecial, parseSpecial bool) []int32 {
	return r[text]
}

func TestTokenizerCounterExact(t *testing.T) {
	inputs, counts := vocabCases(t, "ggml-vocab-llama-spm.gguf")
	tok := replayTokenizer{}
	for i, in := range inputs {
		tok[in] = make([]int32, counts[i])
	}
	c := memory.TokenizerCounter(tok)
	for i, in := range inputs {
		if got := c.Count(in); got != counts[i] {
			t.Errorf("Count(%q) = %d, want %d", in, got, counts[i])
		}
	}
}

func TestEstimatorCases(t *testing.T) {
	var e memory.Estimator
	tests := []struct {
		name     string
		text     string
		min, max int
	}{
		{"empty", "", 0, 0},
		{"one word", "hello", 1, 1},
		{"sentence", "The quick brown fox jumps over the lazy dog.", 9, 14},
		{"chinese", "我想在苹果公司工作", 7, 12},
		{"japanese", "こんにちは世界", 5, 10},
		{"korean", "안녕하세요", 4, 8},
		{"mixed", "我想在apple工作1314151天", 8, 16},
		{"digits", "1234567890", 3, 10},
		{"code", "func main() { fmt.Println(\"hi\") }", 10, 20},
		{"cyrillic", "нещо на Български", 4, 14},
		{"emoji", "🚀✅", 2, 6},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := e.Count(tc.text)
			if got < tc.min || got > tc.max {
				t.Errorf("Count(%q) = %d, want %d..%d", tc.text, got, tc.min, tc.max)
			}
		})
	}
	// CJK characters count apart from Latin words: the same number of
	// characters costs far more in Chinese than in English.
	if zh, en := e.Count(strings.Repeat("字", 100)), e.Count(strings.Repeat("a", 100)); zh < 3*en {
		t.Errorf("100 Han characters = %d tokens, 100 Latin letters as one word = %d", zh, en)
	}
	// Weights can be overridden.
	if got := (memory.Estimator{CJK: 0.5}).Count(strings.Repeat("字", 100)); got != 50 {
		t.Errorf("CJK 0.5: Count = %d, want 50", got)
	}
}

func TestCountMessage(t *testing.T) {
	words := memory.CounterFunc(func(s string) int { return len(strings.Fields(s)) })
	tests := []struct {
		name string
		m    llm.Message
		want int
	}{
		{"text", llm.UserMessage("a b c"), memory.MessageOverhead + 3},
		{"tool call", llm.Message{Role: llm.RoleAssistant, ToolCalls: []llm.ToolCall{{ID: "c1", Name: "search", Arguments: json.RawMessage(`{"q": "x y"}`)}}},
			memory.MessageOverhead + memory.ToolCallOverhead + 1 + 1 + 3},
		{"tool result", llm.Message{Role: llm.RoleTool, Content: "ok", ToolCallID: "c1", Name: "search"}, memory.MessageOverhead + 3},
		{"reasoning not counted", llm.Message{Role: llm.RoleAssistant, Content: "a", Reasoning: "long long thought"}, memory.MessageOverhead + 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := memory.CountMessage(words, tc.m); got != tc.want {
				t.Errorf("CountMessage = %d, want %d", got, tc.want)
			}
		})
	}
	if got := memory.CountMessages(nil, []llm.Message{llm.UserMessage("hello"), llm.UserMessage("hello")}); got != 2*(memory.MessageOverhead+1) {
		t.Errorf("CountMessages(nil, ...) = %d", got)
	}
}

func FuzzEstimator(f *testing.F) {
	for _, s := range []string{"", "hello world", "我想在apple工作", "🚀\u200d", "\xff\xfe", "  \n\t!!!"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := memory.Estimator{}.Count(s)
		if n < 0 || (s != "" && n == 0) || (s == "" && n != 0) {
			t.Fatalf("Count(%q) = %d", s, n)
		}
		// Never more than a few tokens per byte.
		if n > 3*len(s)+1 {
			t.Fatalf("Count(%q) = %d for %d bytes", s, n, len(s))
		}
	})
}

func BenchmarkEstimator(b *testing.B) {
	text := strings.Repeat("The agent plans, calls tools and reads what they return. 代理会规划并调用工具。 ", 100)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	var e memory.Estimator
	for b.Loop() {
		e.Count(text)
	}
}
