package local

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/plait-ai/plait/internal/testenv"
	"github.com/plait-ai/plait/llm/local/ggml"
	"github.com/plait-ai/plait/llm/local/gguf"
	"github.com/plait-ai/plait/llm/local/quant"
)

// writeRequant, when set, writes the requantized models of
// TestRequantizedReferenceModels into that folder, for an independent
// engine to compute their expected outputs (testdata/requant/README.md).
var writeRequant = flag.String("write-requant", "", "write the requantized test models into this folder")

// requantTypes are the weight types TestRequantizedReferenceModels
// requantizes the shared Q4_K_M model's layer weights to.
var requantTypes = []ggml.Type{ggml.F16, ggml.BF16, ggml.Q8_0, ggml.Q4_0, ggml.Q4_1, ggml.Q5_0, ggml.Q5_1, ggml.Q4_K, ggml.Q5_K, ggml.Q6_K}

// requantize writes to path the model in f with the weights of its layers
// (blk.*, two-dimensional) dequantized and quantized to t, everything else
// (metadata, norms, the token embeddings and the output matrix) as it is.
// The bytes it writes depend on nothing but f and t.
func requantize(f *gguf.File, t ggml.Type, path string) error {
	var w gguf.Writer
	for _, kv := range f.KVs() {
		if kv.Key == "general.file_type" {
			continue // the mix it names is not the file's any more
		}
		w.Set(kv.Key, kv.Value)
	}
	for _, ti := range f.Tensors() {
		data, err := f.TensorData(ti.Name)
		if err != nil {
			return err
		}
		if !strings.HasPrefix(ti.Name, "blk.") || len(ti.Dims) != 2 {
			w.AddTensor(ti.Name, ti.Type, ti.Dims, gguf.Bytes(data))
			continue
		}
		x := make([]float32, ti.Elements())
		if err := quant.Dequantize(ti.Type, data, x); err != nil {
			return fmt.Errorf("%s: %w", ti.Name, err)
		}
		n, err := quant.RowBytes(t, len(x))
		if err != nil {
			return fmt.Errorf("%s: %w", ti.Name, err)
		}
		q := make([]byte, n)
		if err := quant.Quantize(t, x, q); err != nil {
			return fmt.Errorf("%s: %w", ti.Name, err)
		}
		w.AddTensor(ti.Name, t, ti.Dims, gguf.Bytes(q))
	}
	return w.WriteFile(path)
}

// requantExpected is an independent engine's outputs for one requantized
// model (see expected), with the SHA-256 of the file it ran.
type requantExpected struct {
	SHA256 string `json:"sha256"`
	expected
}

// TestRequantizedReferenceModels holds every weight type the runtime
// reads to an independent engine: the shared Q4_K_M model's layer weights
// are requantized to each type here, and the model's log-probabilities
// compared with what llama.cpp computed for the very same file (its
// SHA-256 is checked first), at every step of greedy decoding with teacher
// forcing, as TestReferenceModels does.
func TestRequantizedReferenceModels(t *testing.T) {
	if raceEnabled {
		t.Skip("quantizing and running ten models takes minutes under the race detector; the suite runs this package without it too")
	}
	base := testenv.Shared(t, "models", "tiny-llama-spm-q4_k_m.gguf")
	src, err := gguf.Open(base)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	for _, wt := range requantTypes {
		name := "tiny-llama-spm-" + strings.ToLower(wt.String())
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if *writeRequant != "" {
				dir = *writeRequant
			}
			path := filepath.Join(dir, name+".gguf")
			if err := requantize(src, wt, path); err != nil {
				t.Fatal(err)
			}
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(raw)
			if *writeRequant != "" {
				t.Logf("wrote %s (sha256 %s)", path, hex.EncodeToString(sum[:]))
				return
			}
			exp, err := os.ReadFile(filepath.Join("testdata", "requant", name+".expected.json"))
			if err != nil {
				t.Fatal(err)
			}
			var want requantExpected
			if err := json.Unmarshal(exp, &want); err != nil {
				t.Fatal(err)
			}
			if got := hex.EncodeToString(sum[:]); got != want.SHA256 {
				t.Fatalf("the requantized model's SHA-256 is %s, the reference ran %s: quantizing to %v no longer gives the same bytes", got, want.SHA256, wt)
			}
			f, err := gguf.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			pool := quant.NewPool(2)
			defer pool.Close()
			tr, err := newTransformer(f, pool)
			if err != nil {
				t.Fatal(err)
			}
			// Tolerances as for the shared quantized models (see
			// TestReferenceModels): activations are quantized to 8 bits
			// before each product, so a last-bit difference can move a
			// log-probability by a few hundredths.
			const maxDiff, p95Max, margin = 0.25, 0.1, 0.25
			var diffs []float64
			for ci, c := range want.Cases {
				st := tr.NewState(0)
				logits, err := st.Forward(context.Background(), c.PromptTokens, false)
				if err != nil {
					t.Fatal(err)
				}
				for si, step := range c.Steps {
					lp := logSoftmax(logits)
					for _, e := range step.Top {
						d := math.Abs(lp[e.ID] - e.Logprob)
						diffs = append(diffs, d)
						if d > maxDiff {
							t.Errorf("case %d step %d: token %d logprob %.5f, want %.5f", ci, si, e.ID, lp[e.ID], e.Logprob)
						}
					}
					if top := step.Top; len(top) > 1 && top[0].Logprob-top[1].Logprob > margin {
						if g := argmax64(lp); g != top[0].ID {
							t.Errorf("case %d step %d: greedy %d, want %d", ci, si, g, top[0].ID)
						}
					}
					if si == len(c.Steps)-1 {
						break
					}
					if logits, err = st.Forward(context.Background(), []int32{c.Greedy[si]}, false); err != nil {
						t.Fatal(err)
					}
				}
			}
			if len(diffs) == 0 {
				t.Fatal("the reference has no steps")
			}
			slices.Sort(diffs)
			p50, p95, worst := diffs[len(diffs)/2], diffs[len(diffs)*95/100], diffs[len(diffs)-1]
			t.Logf("%s: %d log-probabilities over %d cases: median difference %.2g, 95th percentile %.2g, largest %.2g", name, len(diffs), len(want.Cases), p50, p95, worst)
			if p95 > p95Max {
				t.Errorf("95th percentile of differences %.3g exceeds %.3g", p95, p95Max)
			}
		})
	}
}
