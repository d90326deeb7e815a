package local

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
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

// requantCase is one model TestRequantizedReferenceModels makes: the
// shared Q4_K_M model's layer weights requantized to typ, and with all
// set its token embeddings and output matrix too; and how close its
// log-probabilities must be to the reference's (the largest difference
// and the 95th percentile).
type requantCase struct {
	typ      ggml.Type
	all      bool
	max, p95 float64
}

// Tolerances. Where any weights are quantized, activations are quantized
// to 8 bits before their products, so a last-bit difference (from the
// order of float sums) can move a log-probability by a few hundredths (see
// TestReferenceModels). A model all in F16 or BF16 quantizes no
// activation: it matches about as the F32 model does once activations are
// rounded to the weights' precision, as the reference engine rounds them.
var requantCases = []requantCase{
	{typ: ggml.F16, max: 0.25, p95: 0.1},
	{typ: ggml.BF16, max: 0.25, p95: 0.1},
	{typ: ggml.F16, all: true, max: 0.01, p95: 0.005},
	{typ: ggml.BF16, all: true, max: 0.06, p95: 0.025},
	{typ: ggml.Q8_0, max: 0.25, p95: 0.1},
	{typ: ggml.Q4_0, max: 0.25, p95: 0.1},
	{typ: ggml.Q4_1, max: 0.25, p95: 0.1},
	{typ: ggml.Q5_0, max: 0.25, p95: 0.1},
	{typ: ggml.Q5_1, max: 0.25, p95: 0.1},
	{typ: ggml.Q4_K, max: 0.25, p95: 0.1},
	{typ: ggml.Q5_K, max: 0.25, p95: 0.1},
	{typ: ggml.Q6_K, max: 0.25, p95: 0.1},
	{typ: ggml.Q2_K, max: 0.25, p95: 0.1},
	{typ: ggml.Q3_K, max: 0.25, p95: 0.1},
	{typ: ggml.IQ4_NL, max: 0.25, p95: 0.1},
	{typ: ggml.IQ4_XS, max: 0.25, p95: 0.1},
}

// requantize writes to path the model in f with the weights of its layers
// (blk.*, two-dimensional), and with all its token embeddings and output
// matrix too, dequantized and quantized to t; everything else (metadata,
// norms) as it is. The bytes it writes depend on nothing but f, t and all.
func requantize(f *gguf.File, t ggml.Type, all bool, path string) error {
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
		layer := strings.HasPrefix(ti.Name, "blk.")
		whole := all && (ti.Name == "token_embd.weight" || ti.Name == "output.weight")
		if len(ti.Dims) != 2 || !layer && !whole {
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
// (and for two models all its weights) are requantized to each type here,
// and the model's log-probabilities
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
	for _, rc := range requantCases {
		wt := rc.typ
		name := "tiny-llama-spm-" + strings.ToLower(wt.String())
		if rc.all {
			name += "-all"
		}
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if *writeRequant != "" {
				dir = *writeRequant
			}
			path := filepath.Join(dir, name+".gguf")
			if err := requantize(src, wt, rc.all, path); err != nil {
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
			// The greedy token is checked where the top two are more
			// than 0.25 apart.
			diffs := compareWithReference(t, tr, 0, want.expected, len(want.Cases), rc.max, 0.25)
			checkDiffs(t, name, diffs, len(want.Cases), rc.p95)
		})
	}
}
