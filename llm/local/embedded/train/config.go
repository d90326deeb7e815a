package train

import (
	"errors"
	"fmt"
)

// Config is a llama-architecture model and its training settings.
type Config struct {
	// Model shape.
	Vocab   int     // tokens in the vocabulary (the embedding's rows)
	Dim     int     // embedding width
	Layers  int     // transformer blocks
	Heads   int     // attention heads
	KVHeads int     // key/value heads (GQA); 0 means Heads
	FFN     int     // SwiGLU hidden width
	MaxSeq  int     // the longest sequence trained on (and the exported context)
	Base    float64 // RoPE base; 0 means 10000
	Eps     float32 // RMSNorm epsilon; 0 means 1e-5

	// Optimization.
	Steps       int     // optimizer steps in the whole run
	BatchTokens int     // tokens per step (whole sequences are packed up to it)
	LR          float64 // peak learning rate
	MinLR       float64 // the cosine schedule's floor
	Warmup      int     // linear warm-up steps
	WeightDecay float64 // AdamW decoupled weight decay on matrices
	Beta1       float64 // 0 means 0.9
	Beta2       float64 // 0 means 0.95
	Clip        float64 // global gradient-norm clip; 0 means 1
	Seed        uint64  // initialization and data order
	Threads     int     // 0 means GOMAXPROCS
}

// ErrConfig is wrapped by the errors of an invalid Config.
var ErrConfig = errors.New("train: invalid config")

func (c *Config) defaults() {
	if c.KVHeads == 0 {
		c.KVHeads = c.Heads
	}
	if c.Base == 0 {
		c.Base = 10000
	}
	if c.Eps == 0 {
		c.Eps = 1e-5
	}
	if c.Beta1 == 0 {
		c.Beta1 = 0.9
	}
	if c.Beta2 == 0 {
		c.Beta2 = 0.95
	}
	if c.Clip == 0 {
		c.Clip = 1
	}
}

// Validate checks the shape; it fills in the defaults first.
func (c *Config) Validate() error {
	c.defaults()
	switch {
	case c.Vocab <= 0 || c.Dim <= 0 || c.Layers <= 0 || c.Heads <= 0 || c.FFN <= 0 || c.MaxSeq <= 1:
		return fmt.Errorf("%w: vocab, dim, layers, heads, ffn and max_seq must be positive", ErrConfig)
	case c.Dim%c.Heads != 0 || (c.Dim/c.Heads)%2 != 0:
		return fmt.Errorf("%w: dim %d must split into %d heads of even size", ErrConfig, c.Dim, c.Heads)
	case c.Heads%c.KVHeads != 0:
		return fmt.Errorf("%w: %d heads are not a multiple of %d KV heads", ErrConfig, c.Heads, c.KVHeads)
	case c.Steps <= 0 || c.BatchTokens <= 0 || c.LR <= 0:
		return fmt.Errorf("%w: steps, batch_tokens and lr must be positive", ErrConfig)
	}
	return nil
}

// HeadDim is the width of one head.
func (c *Config) HeadDim() int { return c.Dim / c.Heads }

// Presets are the documented configurations, by name; Vocab is set from
// the tokenizer when training.
//
//   - micro: 2 layers of width 32, for tests and CI (seconds).
//   - tiny: 2 layers of width 64 (about 0.2M parameters with a
//     2048-token vocabulary): what two loaded CPU cores train in an hour.
//   - small: 4 layers of width 128 (about 1.3M parameters with a
//     2048-token vocabulary), sized for two CPU cores in under two hours.
var Presets = map[string]Config{
	"micro": {Dim: 32, Layers: 2, Heads: 4, KVHeads: 2, FFN: 64, MaxSeq: 64, Steps: 300, BatchTokens: 512, LR: 3e-3, MinLR: 3e-4, Warmup: 20, WeightDecay: 0.01},
	"tiny":  {Dim: 64, Layers: 2, Heads: 4, KVHeads: 2, FFN: 192, MaxSeq: 768, Steps: 600, BatchTokens: 4096, LR: 3e-3, MinLR: 3e-4, Warmup: 30, WeightDecay: 0.05},
	"base":  {Dim: 96, Layers: 3, Heads: 4, KVHeads: 2, FFN: 256, MaxSeq: 1280, Steps: 1400, BatchTokens: 4096, LR: 2e-3, MinLR: 2e-4, Warmup: 60, WeightDecay: 0.05},
	"small": {Dim: 128, Layers: 4, Heads: 4, KVHeads: 2, FFN: 352, MaxSeq: 1280, Steps: 3000, BatchTokens: 4096, LR: 2e-3, MinLR: 2e-4, Warmup: 100, WeightDecay: 0.05},
}
