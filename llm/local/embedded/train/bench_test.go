package train_test

import (
	"testing"

	"github.com/plait-ai/plait/llm/local/embedded/train"
)

// BenchmarkStep measures training throughput (tokens per second, all
// positions) of one optimizer step on random progressions, for the micro
// and small presets with a 2048-token vocabulary.
func BenchmarkStep(b *testing.B) {
	for _, name := range []string{"micro", "small"} {
		b.Run(name, func(b *testing.B) {
			c := train.Presets[name]
			c.Vocab = 2048
			c.Steps = 1 << 30
			seqLen := min(c.MaxSeq, 256)
			ds, err := train.NewDataset(progressions(512, c.Vocab, seqLen, 1), c.BatchTokens, 1)
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
