package quant_test

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/plait-ai/plait/llm/local/ggml"
	"github.com/plait-ai/plait/llm/local/quant"
)

var weightTypes = []ggml.Type{
	ggml.F32, ggml.F16, ggml.BF16, ggml.Q8_0, ggml.Q4_0, ggml.Q4_1,
	ggml.Q5_0, ggml.Q5_1, ggml.Q2_K, ggml.Q3_K, ggml.Q4_K, ggml.Q5_K, ggml.Q6_K,
	ggml.IQ4_NL, ggml.IQ4_XS,
}

func gauss(r *rand.Rand, n int, scale float64) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64() * scale)
	}
	return x
}

func mustQuantize(t testing.TB, typ ggml.Type, x []float32) []byte {
	t.Helper()
	n, err := quant.RowBytes(typ, len(x))
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, n)
	if err := quant.Quantize(typ, x, b); err != nil {
		t.Fatal(err)
	}
	return b
}

func mustDequantize(t testing.TB, typ ggml.Type, b []byte, n int) []float32 {
	t.Helper()
	x := make([]float32, n)
	if err := quant.Dequantize(typ, b, x); err != nil {
		t.Fatal(err)
	}
	return x
}

func TestRowBytes(t *testing.T) {
	tests := []struct {
		typ  ggml.Type
		n    int
		want int
	}{
		{ggml.F32, 896, 3584}, {ggml.F16, 896, 1792}, {ggml.BF16, 896, 1792},
		{ggml.Q8_0, 896, 952}, {ggml.Q4_0, 896, 504}, {ggml.Q4_1, 896, 560},
		{ggml.Q5_0, 896, 616}, {ggml.Q5_1, 896, 672}, {ggml.Q8_1, 64, 72},
		{ggml.Q2_K, 4864, 1596}, {ggml.Q3_K, 4864, 2090}, {ggml.IQ4_NL, 896, 504}, {ggml.IQ4_XS, 4864, 2584},
		{ggml.Q4_K, 4864, 2736}, {ggml.Q5_K, 4864, 3344}, {ggml.Q6_K, 4864, 3990},
		{ggml.Q8_K, 512, 584},
	}
	for _, tt := range tests {
		got, err := quant.RowBytes(tt.typ, tt.n)
		if err != nil || got != tt.want {
			t.Errorf("RowBytes(%v, %d) = %d, %v; want %d", tt.typ, tt.n, got, err, tt.want)
		}
	}
	if _, err := quant.RowBytes(ggml.Q4_K, 896); !errors.Is(err, quant.ErrSize) {
		t.Errorf("RowBytes(Q4_K, 896) error = %v, want ErrSize", err)
	}
	if _, err := quant.RowBytes(ggml.Type(1000), 32); !errors.Is(err, quant.ErrUnsupportedType) {
		t.Errorf("RowBytes(type 1000) error = %v, want ErrUnsupportedType", err)
	}
}

func TestFP16(t *testing.T) {
	for h := 0; h < 1<<16; h++ {
		f := quant.FP16ToFP32(uint16(h))
		if f != f {
			continue
		}
		if back := quant.FP32ToFP16(f); back != uint16(h) {
			t.Fatalf("FP16 %#04x -> %v -> %#04x", h, f, back)
		}
	}
	// Rounding: compare with the nearest half computed in float64.
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 100000; i++ {
		f := float32(r.NormFloat64() * math.Pow(2, float64(r.IntN(40)-24)))
		h := quant.FP32ToFP16(f)
		got := float64(quant.FP16ToFP32(h))
		// neighbours of h must not be strictly closer
		for _, nb := range []uint16{h - 1, h + 1} {
			v := float64(quant.FP16ToFP32(nb))
			if v == v && math.Abs(v-float64(f)) < math.Abs(got-float64(f)) && !math.IsInf(got, 0) {
				t.Fatalf("FP32ToFP16(%g) = %g, but %g is closer", f, got, v)
			}
		}
	}
	if quant.FP32ToFP16(70000) != 0x7c00 || quant.FP32ToFP16(-1e-9) != 0x8000 {
		t.Errorf("overflow/underflow not handled")
	}
	if quant.FP32ToBF16(1.00390625) != 0x3f80 || quant.FP32ToBF16(1.01171875) != 0x3f82 {
		t.Errorf("FP32ToBF16 does not round to nearest even: %#x %#x", quant.FP32ToBF16(1.00390625), quant.FP32ToBF16(1.01171875))
	}
}

// randomBlocks returns n elements' worth of random bytes of type t whose
// scale fields hold finite, moderate values, so decoded values compare.
func randomBlocks(r *rand.Rand, t ggml.Type, n int) []byte {
	size, _ := quant.RowBytes(t, n)
	b := make([]byte, size)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	f16 := func(off int) {
		h := quant.FP32ToFP16(float32(r.NormFloat64() * 0.01))
		b[off], b[off+1] = byte(h), byte(h>>8)
	}
	ts := t.TypeSize()
	for blk := 0; blk < size/ts; blk++ {
		o := blk * ts
		switch t {
		case ggml.F32:
			v := math.Float32bits(float32(r.NormFloat64()))
			b[o], b[o+1], b[o+2], b[o+3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
		case ggml.F16, ggml.Q4_0, ggml.Q5_0, ggml.Q8_0, ggml.IQ4_NL, ggml.IQ4_XS:
			f16(o)
		case ggml.BF16:
			b[o+1] = b[o+1]&0x80 | 0x3c | b[o+1]&1
		case ggml.Q4_1, ggml.Q5_1, ggml.Q4_K, ggml.Q5_K, ggml.Q8_1:
			f16(o)
			f16(o + 2)
		case ggml.Q6_K:
			f16(o + 208)
		case ggml.Q2_K:
			f16(o + 80)
			f16(o + 82)
		case ggml.Q3_K:
			f16(o + 108)
		case ggml.Q8_K:
			v := math.Float32bits(float32(r.Float64() * 0.01))
			b[o], b[o+1], b[o+2], b[o+3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
		}
	}
	return b
}

func TestDequantizeMatchesSpec(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	types := append(append([]ggml.Type{}, weightTypes...), ggml.Q8_K)
	for _, typ := range types {
		t.Run(typ.String(), func(t *testing.T) {
			n := 4 * 256
			src := randomBlocks(r, typ, n)
			got := mustDequantize(t, typ, src, n)
			want := specDequantize(typ, src, n)
			for i := range got {
				if !close32(got[i], want[i], 1e-6) {
					t.Fatalf("element %d: Dequantize = %g, spec = %g", i, got[i], want[i])
				}
			}
		})
	}
}

func close32(a, b float32, rel float64) bool {
	if a == b || (a != a && b != b) {
		return true
	}
	d := math.Abs(float64(a) - float64(b))
	return d <= rel*math.Max(math.Abs(float64(a)), math.Abs(float64(b)))+1e-30
}

func relRMSE(a, b []float32) float64 {
	var num, den float64
	for i := range a {
		d := float64(a[i]) - float64(b[i])
		num += d * d
		den += float64(b[i]) * float64(b[i])
	}
	return math.Sqrt(num / den)
}

// Relative RMS error bounds of a quantize/dequantize round trip of Gaussian
// data, a little above what ggml's reference quantizers reach.
var roundTripBound = map[ggml.Type]float64{
	ggml.F32: 0, ggml.F16: 0.0005, ggml.BF16: 0.004, ggml.Q8_0: 0.006,
	ggml.Q4_0: 0.095, ggml.Q4_1: 0.087, ggml.Q5_0: 0.047, ggml.Q5_1: 0.042,
	ggml.Q2_K: 0.31, ggml.Q3_K: 0.16, ggml.IQ4_NL: 0.085, ggml.IQ4_XS: 0.085,
	ggml.Q4_K: 0.078, ggml.Q5_K: 0.04, ggml.Q6_K: 0.02, ggml.Q8_K: 0.009,
}

func TestRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for typ, bound := range roundTripBound {
		t.Run(typ.String(), func(t *testing.T) {
			x := gauss(r, 64*256, 0.02)
			y := mustDequantize(t, typ, mustQuantize(t, typ, x), len(x))
			e := relRMSE(y, x)
			t.Logf("%v relative RMSE %.5f", typ, e)
			if e > bound {
				t.Errorf("%v round trip relative RMSE %.5f > %.5f", typ, e, bound)
			}
		})
	}
}

func TestQuantizeSpecialValues(t *testing.T) {
	cases := map[string]func(i int) float32{
		"zeros":    func(int) float32 { return 0 },
		"constant": func(int) float32 { return 0.75 },
		"negative": func(int) float32 { return -3 },
		"large":    func(i int) float32 { return float32(i%7-3) * 1000 },
		"tiny":     func(i int) float32 { return float32(i%5-2) * 1e-4 },
		"spike": func(i int) float32 {
			if i%256 == 3 {
				return 60000
			}
			return 0.001
		},
	}
	for name, f := range cases {
		x := make([]float32, 512)
		var amax float64
		for i := range x {
			x[i] = f(i)
			amax = math.Max(amax, math.Abs(float64(x[i])))
		}
		for typ := range roundTripBound {
			y := mustDequantize(t, typ, mustQuantize(t, typ, x), len(x))
			for i := range y {
				if math.IsNaN(float64(y[i])) || math.IsInf(float64(y[i]), 0) {
					t.Fatalf("%s/%v: element %d decodes to %g", name, typ, i, y[i])
				}
				if name == "zeros" && y[i] != 0 {
					t.Fatalf("%s/%v: element %d = %g, want 0", name, typ, i, y[i])
				}
				// Every element within about a quantization step of the block range.
				if d := math.Abs(float64(y[i] - x[i])); d > 0.6*amax+1e-9 {
					t.Fatalf("%s/%v: element %d = %g, want about %g", name, typ, i, y[i], x[i])
				}
			}
		}
	}
}

func TestErrors(t *testing.T) {
	if err := quant.Dequantize(ggml.Q4_0, make([]byte, 17), make([]float32, 32)); !errors.Is(err, quant.ErrSize) {
		t.Errorf("short src: %v", err)
	}
	if err := quant.Dequantize(ggml.Q4_0, make([]byte, 18), make([]float32, 31)); !errors.Is(err, quant.ErrSize) {
		t.Errorf("partial block: %v", err)
	}
	if err := quant.Quantize(ggml.IQ2_XS, make([]float32, 256), make([]byte, 1000)); !errors.Is(err, quant.ErrUnsupportedType) {
		t.Errorf("IQ2_XS: %v", err)
	}
	if err := quant.Quantize(ggml.Q6_K, make([]float32, 256), make([]byte, 209)); !errors.Is(err, quant.ErrSize) {
		t.Errorf("short dst: %v", err)
	}
	m := quant.Matrix{Type: ggml.Q8_0, Rows: 2, Cols: 32, Data: make([]byte, 67)}
	if err := quant.MatVec(nil, m, make([]float32, 32), make([]float32, 2)); !errors.Is(err, quant.ErrSize) {
		t.Errorf("short matrix: %v", err)
	}
	m.Data = make([]byte, 68)
	if err := quant.MatVec(nil, m, make([]float32, 31), make([]float32, 2)); !errors.Is(err, quant.ErrSize) {
		t.Errorf("short x: %v", err)
	}
	if err := quant.RowDequantize(m, 2, make([]float32, 32)); !errors.Is(err, quant.ErrSize) {
		t.Errorf("row out of range: %v", err)
	}
}

func FuzzDequantize(f *testing.F) {
	types := append(append([]ggml.Type{}, weightTypes...), ggml.Q8_K, ggml.Q8_1, ggml.IQ2_XXS, ggml.Type(99))
	seed := func(t ggml.Type, data []byte) { f.Add(uint8(slices.Index(types, t)), data) }
	seed(ggml.F32, []byte{1, 2, 3, 4})
	seed(ggml.Q8_0, make([]byte, 18))
	seed(ggml.Q4_K, make([]byte, 144))
	seed(ggml.Q6_K, []byte{0xff, 0x7f, 0xff, 0xff})
	seed(ggml.Q2_K, bytes.Repeat([]byte{0xff, 0x7b}, 42))
	seed(ggml.Q3_K, bytes.Repeat([]byte{0x7c, 0xff}, 55))
	seed(ggml.IQ4_NL, bytes.Repeat([]byte{0xff, 0x7b, 0x0f, 0xf0, 0x87, 0x78}, 3))
	seed(ggml.IQ4_XS, bytes.Repeat([]byte{0x00, 0x7c, 0xff, 0xff, 0x1f, 0xf0, 0x88, 0x77}, 17))
	seed(ggml.IQ2_XXS, make([]byte, 66))
	f.Fuzz(func(t *testing.T, ti uint8, data []byte) {
		typ := types[int(ti)%len(types)]
		for _, n := range []int{0, 32, 256, 512, len(data)} {
			dst := make([]float32, n)
			_ = quant.Dequantize(typ, data, dst)
		}
		if quant.Supported(typ) && typ.BlockSize() > 0 {
			n := len(data) / typ.TypeSize() * typ.BlockSize()
			m := quant.Matrix{Type: typ, Rows: 1, Cols: n, Data: data}
			y := make([]float32, 1)
			if n > 0 && quant.MatVec(nil, m, make([]float32, n), y) != nil {
				t.Errorf("MatVec over %d bytes of %v failed", len(data), typ)
			}
		}
	})
}

func TestMatrixUnknownType(t *testing.T) {
	m := quant.Matrix{Type: ggml.Type(77), Rows: 1, Cols: 32, Data: make([]byte, 64)}
	if m.RowBytes() != 0 {
		t.Errorf("RowBytes of an unknown type = %d", m.RowBytes())
	}
	if err := quant.MatVec(nil, m, make([]float32, 32), make([]float32, 1)); !errors.Is(err, quant.ErrUnsupportedType) {
		t.Errorf("MatVec with an unknown type: %v", err)
	}
	if err := quant.MatMul(nil, m, make([]float32, 32), 1, make([]float32, 1)); !errors.Is(err, quant.ErrUnsupportedType) {
		t.Errorf("MatMul with an unknown type: %v", err)
	}
}
