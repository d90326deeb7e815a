package sample_test

import (
	"math"
	"strings"
	"testing"

	"github.com/plait-ai/plait/llm/local/sample"
)

func TestGreedy(t *testing.T) {
	s := sample.New(sample.Params{})
	if got := s.Sample([]float32{0.1, 3, -2, 2.9}); got != 1 {
		t.Errorf("greedy = %d", got)
	}
	inf := float32(math.Inf(-1))
	if got := s.Sample([]float32{inf, inf, 0.5}); got != 2 {
		t.Errorf("masked greedy = %d", got)
	}
}

func TestSeedReproducible(t *testing.T) {
	logits := func() []float32 {
		l := make([]float32, 1000)
		for i := range l {
			l[i] = float32(math.Sin(float64(i)))
		}
		return l
	}
	run := func(seed uint64) []int32 {
		s := sample.New(sample.Params{Temperature: 1, TopP: 0.95, Seed: seed})
		var out []int32
		for range 50 {
			out = append(out, s.Sample(logits()))
		}
		return out
	}
	a, b, c := run(7), run(7), run(8)
	if !equal(a, b) {
		t.Error("same seed gave different tokens")
	}
	if equal(a, c) {
		t.Error("different seeds gave the same 50 tokens")
	}
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

// draw samples n times and returns the set of tokens seen.
func draw(p sample.Params, logits []float32, n int) map[int32]int {
	s := sample.New(p)
	seen := map[int32]int{}
	for range n {
		l := append([]float32(nil), logits...)
		seen[s.Sample(l)]++
	}
	return seen
}

func TestFilters(t *testing.T) {
	// Probabilities at T=1: roughly 0.50, 0.30, 0.12, 0.05, 0.03.
	logits := []float32{
		float32(math.Log(0.50)), float32(math.Log(0.30)), float32(math.Log(0.12)),
		float32(math.Log(0.05)), float32(math.Log(0.03)),
	}
	tests := []struct {
		name string
		p    sample.Params
		want []int32 // the only tokens allowed
	}{
		{"top-k 2", sample.Params{Temperature: 1, TopK: 2}, []int32{0, 1}},
		{"top-p 0.75", sample.Params{Temperature: 1, TopP: 0.75}, []int32{0, 1}},
		{"top-p 0.85", sample.Params{Temperature: 1, TopP: 0.85}, []int32{0, 1, 2}},
		{"min-p 0.2", sample.Params{Temperature: 1, MinP: 0.2}, []int32{0, 1, 2}},
		{"top-k 3 then top-p 0.6", sample.Params{Temperature: 1, TopK: 3, TopP: 0.6}, []int32{0, 1}},
		{"all", sample.Params{Temperature: 1}, []int32{0, 1, 2, 3, 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seen := draw(tt.p, logits, 3000)
			allowed := map[int32]bool{}
			for _, w := range tt.want {
				allowed[w] = true
				if seen[w] == 0 {
					t.Errorf("token %d never drawn: %v", w, seen)
				}
			}
			for tok := range seen {
				if !allowed[tok] {
					t.Errorf("token %d drawn but filtered: %v", tok, seen)
				}
			}
		})
	}
}

func TestTemperatureSharpens(t *testing.T) {
	logits := []float32{1, 0.5, 0}
	cold := draw(sample.Params{Temperature: 0.1}, logits, 2000)
	hot := draw(sample.Params{Temperature: 2}, logits, 2000)
	if cold[0] < 1900 || hot[0] > 1200 {
		t.Errorf("cold %v hot %v", cold, hot)
	}
}

func TestPenalties(t *testing.T) {
	tests := []struct {
		name string
		p    sample.Params
	}{
		{"repeat", sample.Params{RepeatPenalty: 2}},
		{"presence", sample.Params{PresencePenalty: 1}},
		{"frequency", sample.Params{FrequencyPenalty: 0.6}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := sample.New(tt.p)
			s.Accept(0)
			s.Accept(0)
			if got := s.Sample([]float32{1.0, 0.9, 0}); got != 1 {
				t.Errorf("penalised token still chosen: %d", got)
			}
		})
	}
	// Outside the window, no penalty.
	s := sample.New(sample.Params{RepeatPenalty: 2, RepeatLastN: 1})
	s.Accept(0)
	s.Accept(2)
	if got := s.Sample([]float32{1.0, 0.9, 0}); got != 0 {
		t.Errorf("token outside the window penalised: %d", got)
	}
}

func TestStopMatcher(t *testing.T) {
	tests := []struct {
		stops   []string
		deltas  []string
		want    string
		stopped bool
	}{
		{[]string{"<|im_end|>"}, []string{"Hel", "lo<|im", "_end|>junk"}, "Hello", true},
		{[]string{"<|im_end|>"}, []string{"a<", "b"}, "a<b", false},
		{[]string{"STOP", "END"}, []string{"xxEN", "D"}, "xx", true},
		{nil, []string{"a", "b"}, "ab", false},
		{[]string{"\n\n"}, []string{"line\n", "\nnext"}, "line", true},
	}
	for _, tt := range tests {
		m := sample.NewStopMatcher(tt.stops)
		var b strings.Builder
		stopped := false
		for _, d := range tt.deltas {
			e, s := m.Write(d)
			b.WriteString(e)
			if s {
				stopped = true
				break
			}
		}
		b.WriteString(m.Flush())
		if b.String() != tt.want || stopped != tt.stopped {
			t.Errorf("%v %q: got %q %v, want %q %v", tt.stops, tt.deltas, b.String(), stopped, tt.want, tt.stopped)
		}
	}
}

func BenchmarkSample150k(b *testing.B) {
	logits := make([]float32, 151936)
	for i := range logits {
		logits[i] = float32(math.Sin(float64(i)*0.37)) * 8
	}
	work := make([]float32, len(logits))
	for _, p := range []struct {
		name string
		p    sample.Params
	}{
		{"greedy", sample.Params{}},
		{"topk40-topp0.95", sample.Params{Temperature: 0.8, TopK: 40, TopP: 0.95}},
		{"topp0.9", sample.Params{Temperature: 0.8, TopP: 0.9}},
	} {
		b.Run(p.name, func(b *testing.B) {
			s := sample.New(p.p)
			for b.Loop() {
				copy(work, logits)
				s.Sample(work)
			}
		})
	}
}
