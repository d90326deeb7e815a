package quant_test

import (
	"testing"

	"github.com/plait-ai/plait/llm/local/ggml"
	"github.com/plait-ai/plait/llm/local/quant"
)

// TestFloatActivationsRounded: F16 and BF16 weights take their activations
// rounded to their own precision, as llama.cpp converts activations to the
// type of such weights, on every path (MatVec, an Activation shared by
// several matrices, MatMul, QuantizeActivation with Dot); F32 weights take
// them as they are. Weights of 1 and activations just above 1 (by less
// than half a unit in the last place of the weights' type) show which.
func TestFloatActivationsRounded(t *testing.T) {
	const rows, cols = 4, 256
	for _, tc := range []struct {
		typ   ggml.Type
		above float32 // 1 + this rounds to 1 in typ's precision, not in F32
		want  float32 // each output
	}{
		{ggml.F32, 1.0 / 4096, cols * (1 + 1.0/4096)},
		{ggml.F16, 1.0 / 4096, cols},
		{ggml.BF16, 1.0 / 512, cols},
	} {
		t.Run(tc.typ.String(), func(t *testing.T) {
			ones := make([]float32, rows*cols)
			for i := range ones {
				ones[i] = 1
			}
			rb, err := quant.RowBytes(tc.typ, rows*cols)
			if err != nil {
				t.Fatal(err)
			}
			data := make([]byte, rb)
			if err := quant.Quantize(tc.typ, ones, data); err != nil {
				t.Fatal(err)
			}
			m := quant.Matrix{Type: tc.typ, Rows: rows, Cols: cols, Data: data}
			x := make([]float32, 2*cols) // two rows, for MatMul
			for i := range x {
				x[i] = 1 + tc.above
			}
			check := func(path string, y []float32) {
				t.Helper()
				for i, v := range y {
					if v != tc.want {
						t.Errorf("%s: output %d = %v, want %v", path, i, v, tc.want)
						return
					}
				}
			}
			for _, simd := range []bool{false, true} {
				prev := quant.SetSIMD(simd)
				y := make([]float32, rows)
				if err := quant.MatVec(nil, m, x[:cols], y); err != nil {
					t.Fatal(err)
				}
				check("MatVec", y)

				var a quant.Activation
				if err := a.Set(tc.typ, x[:cols]); err != nil {
					t.Fatal(err)
				}
				ys := [][]float32{make([]float32, rows), make([]float32, rows)}
				if err := quant.MatVecMany(nil, []quant.Matrix{m, m}, &a, ys); err != nil {
					t.Fatal(err)
				}
				check("MatVecMany", append(ys[0], ys[1]...))

				yb := make([]float32, 2*rows)
				if err := quant.MatMul(nil, m, x, 2, yb); err != nil {
					t.Fatal(err)
				}
				check("MatMul", yb)

				act, err := quant.QuantizeActivation(tc.typ, x[:cols], nil)
				if err != nil {
					t.Fatal(err)
				}
				d, err := quant.Dot(tc.typ, data[:rb/rows], act, cols)
				if err != nil {
					t.Fatal(err)
				}
				check("Dot", []float32{d})
				quant.SetSIMD(prev)
			}
			if x[0] != 1+tc.above {
				t.Errorf("the caller's activations were changed: %v", x[0])
			}
		})
	}
}

// TestSameActivation: which weight types can share one Activation.
func TestSameActivation(t *testing.T) {
	for _, tc := range []struct {
		a, b ggml.Type
		same bool
	}{
		{ggml.F32, ggml.F32, true},
		{ggml.F16, ggml.F16, true},
		{ggml.F16, ggml.F32, false},
		{ggml.BF16, ggml.F16, false},
		{ggml.Q4_0, ggml.Q8_0, true},
		{ggml.Q4_0, ggml.Q4_1, false},
		{ggml.IQ4_NL, ggml.Q8_0, true},
		{ggml.IQ4_NL, ggml.Q4_K, false},
		{ggml.IQ4_XS, ggml.Q4_K, true},
		{ggml.IQ4_XS, ggml.IQ4_NL, false},
		{ggml.Q4_K, ggml.Q6_K, true},
		{ggml.Q4_K, ggml.F32, false},
		{ggml.IQ2_XXS, ggml.IQ2_XXS, false},
	} {
		if got := quant.SameActivation(tc.a, tc.b); got != tc.same {
			t.Errorf("SameActivation(%v, %v) = %v, want %v", tc.a, tc.b, got, tc.same)
		}
	}
	// An Activation set for F32 weights does not serve F16 ones.
	var a quant.Activation
	if err := a.Set(ggml.F32, make([]float32, 32)); err != nil {
		t.Fatal(err)
	}
	if a.Serves(ggml.F16) || !a.Serves(ggml.F32) {
		t.Errorf("an F32 activation serves F16: %v, F32: %v", a.Serves(ggml.F16), a.Serves(ggml.F32))
	}
}
