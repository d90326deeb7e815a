package train_test

import (
	"testing"

	"github.com/plait-ai/plait/llm/local/embedded/train"
)

// BenchmarkStep measures training throughput (tokens per second, all
// positions) of one optimizer step on random progressions: the micro and
// small presets with a 2048-token vocabulary and a loss on every position,
// and the base preset with a 4096-token vocabulary on 512-token sequences
// with a loss on one position in ten (as in chat traces, where only the
// replies are trained on).
func BenchmarkStep(b *testing.B) {
	for _, bc := range []struct {
		name, preset string
		vocab, seq   int
		lossEvery    int
	}{
		{"micro", "micro", 2048, 256, 1},
		{"small", "small", 2048, 256, 1},
		{"base-sparse", "base", 4096, 512, 10},
	} {
		b.Run(bc.name, func(b *testing.B) {
			c := train.Presets[bc.preset]
			c.Vocab = bc.vocab
			c.Steps = 1 << 30
			seqLen := min(c.MaxSeq, bc.seq)
			seqs := progressions(512, c.Vocab, seqLen, 1)
			for _, s := range seqs {
				for j := range s.Targets {
					if j%bc.lossEvery != 0 {
						s.Targets[j] = -1
					}
				}
			}
			ds, err := train.NewDataset(seqs, c.BatchTokens, 1)
			if err != nil {
				b.Fatal(err)
			}
			tr, err := train.New(c, ds)
			if err != nil {
				b.Fatal(err)
			}
			tokens := 0
			b.ResetTimer()
			for b.Loop() {
				st, err := tr.Step()
				if err != nil {
					b.Fatal(err)
				}
				tokens += st.Tokens
			}
			b.ReportMetric(float64(tokens)/b.Elapsed().Seconds(), "tokens/s")
		})
	}
}
