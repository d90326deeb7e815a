package quant

import (
	"errors"
	"fmt"
	"math"
	"unsafe"

	"github.com/plait-ai/plait/llm/local/ggml"
)

// ErrUnsupportedType is returned (wrapped) for a tensor type this package
// has no kernels for. Test with errors.Is.
var ErrUnsupportedType = errors.New("quant: unsupported tensor type")

// ErrSize is returned (wrapped) when a length is not a whole number of
// blocks or a destination is too small. Test with errors.Is.
var ErrSize = errors.New("quant: size mismatch")

// Supported reports whether Dequantize, Quantize and the matrix kernels
// handle t as a weight type.
func Supported(t ggml.Type) bool {
	switch t {
	case ggml.F32, ggml.F16, ggml.BF16, ggml.Q4_0, ggml.Q4_1, ggml.Q5_0, ggml.Q5_1,
		ggml.Q8_0, ggml.Q2_K, ggml.Q3_K, ggml.Q4_K, ggml.Q5_K, ggml.Q6_K, ggml.IQ4_NL,
		ggml.IQ4_XS:
		return true
	}
	return false
}

// RowBytes returns the bytes n elements of t take, with ErrSize when n is
// not a whole number of blocks and ErrUnsupportedType for an unknown type.
func RowBytes(t ggml.Type, n int) (int, error) {
	if !t.Known() {
		return 0, fmt.Errorf("%w: %v", ErrUnsupportedType, t)
	}
	bs := t.BlockSize()
	if n < 0 || n%bs != 0 {
		return 0, fmt.Errorf("%w: %d elements of %v is not a whole number of %d-element blocks", ErrSize, n, t, bs)
	}
	return n / bs * t.TypeSize(), nil
}

// Dequantize decodes len(dst) elements of type t from src into dst. dst may
// span one row or many; len(dst) must be a multiple of t's block size and
// src must hold at least the bytes those elements take (extra bytes are
// ignored). Arbitrary bytes never make it panic; they may decode to NaN or
// infinities. Q8_0, Q8_1 and Q8_K (the activation formats) decode too.
func Dequantize(t ggml.Type, src []byte, dst []float32) error {
	need, err := RowBytes(t, len(dst))
	if err != nil {
		return err
	}
	if len(src) < need {
		return fmt.Errorf("%w: %d elements of %v need %d bytes, have %d", ErrSize, len(dst), t, need, len(src))
	}
	switch t {
	case ggml.F32:
		for i := range dst {
			dst[i] = math.Float32frombits(le32(src[4*i:]))
		}
	case ggml.F16:
		for i := range dst {
			dst[i] = FP16ToFP32(le16(src[2*i:]))
		}
	case ggml.BF16:
		for i := range dst {
			dst[i] = BF16ToFP32(le16(src[2*i:]))
		}
	case ggml.Q4_0:
		dequantQ4_0(src, dst)
	case ggml.Q4_1:
		dequantQ4_1(src, dst)
	case ggml.Q5_0:
		dequantQ5_0(src, dst)
	case ggml.Q5_1:
		dequantQ5_1(src, dst)
	case ggml.Q8_0:
		dequantQ8_0(src, dst)
	case ggml.Q8_1:
		dequantQ8_1(src, dst)
	case ggml.Q2_K:
		dequantQ2_K(src, dst)
	case ggml.Q3_K:
		dequantQ3_K(src, dst)
	case ggml.Q4_K:
		dequantQ4_K(src, dst)
	case ggml.Q5_K:
		dequantQ5_K(src, dst)
	case ggml.Q6_K:
		dequantQ6_K(src, dst)
	case ggml.IQ4_NL:
		dequantIQ4_NL(src, dst)
	case ggml.IQ4_XS:
		dequantIQ4_XS(src, dst)
	case ggml.Q8_K:
		dequantQ8_K(src, dst)
	default:
		return fmt.Errorf("%w: cannot dequantize %v", ErrUnsupportedType, t)
	}
	return nil
}

// Quantize encodes src as type t into dst with ggml's reference quantizers
// (quantize_row_*_ref: the same bytes llama-quantize writes without an
// importance matrix, with every float operation rounded as ggml's source
// writes it; a build of ggml that fuses multiply-adds picks other levels
// in a few sub-blocks of the types whose scale search is make_qkx2_quants,
// Q2_K, Q4_K and Q5_K, and of IQ4_XS, whose trial scales compare fused
// sums). src may span one row or many; len(src) must be a
// multiple of t's block size and dst must hold the bytes they take.
// Q8_0, Q8_1 and Q8_K are accepted too.
func Quantize(t ggml.Type, src []float32, dst []byte) error {
	need, err := RowBytes(t, len(src))
	if err != nil {
		return err
	}
	if len(dst) < need {
		return fmt.Errorf("%w: %d elements of %v need %d bytes, have %d", ErrSize, len(src), t, need, len(dst))
	}
	switch t {
	case ggml.F32:
		for i, v := range src {
			put32(dst[4*i:], math.Float32bits(v))
		}
	case ggml.F16:
		for i, v := range src {
			put16(dst[2*i:], FP32ToFP16(v))
		}
	case ggml.BF16:
		for i, v := range src {
			put16(dst[2*i:], FP32ToBF16(v))
		}
	case ggml.Q4_0:
		quantQ4_0(src, dst)
	case ggml.Q4_1:
		quantQ4_1(src, dst)
	case ggml.Q5_0:
		quantQ5_0(src, dst)
	case ggml.Q5_1:
		quantQ5_1(src, dst)
	case ggml.Q8_0:
		quantQ8_0Ref(src, dst)
	case ggml.Q8_1:
		quantQ8_1Ref(src, dst)
	case ggml.Q2_K:
		quantQ2_K(src, dst)
	case ggml.Q3_K:
		quantQ3_K(src, dst)
	case ggml.Q4_K:
		quantQ4_K(src, dst)
	case ggml.Q5_K:
		quantQ5_K(src, dst)
	case ggml.Q6_K:
		quantQ6_K(src, dst)
	case ggml.IQ4_NL:
		quantIQ4_NL(src, dst)
	case ggml.IQ4_XS:
		quantIQ4_XS(src, dst)
	case ggml.Q8_K:
		quantQ8_K(src, dst)
	default:
		return fmt.Errorf("%w: cannot quantize to %v", ErrUnsupportedType, t)
	}
	return nil
}

// VecDotType returns the format the activation vector is quantized to for
// dot products with weights of type t, as llama.cpp pairs them: Q8_0 for
// Q4_0, Q5_0, Q8_0 and IQ4_NL; Q8_1 (Q8_0 plus block sums) for Q4_1 and
// Q5_1; Q8_K for the K-quants and IQ4_XS; F32 (no quantization) for F32,
// F16 and BF16. It returns ErrUnsupportedType for other types.
func VecDotType(t ggml.Type) (ggml.Type, error) {
	switch t {
	case ggml.Q4_0, ggml.Q5_0, ggml.Q8_0, ggml.IQ4_NL:
		return ggml.Q8_0, nil
	case ggml.Q4_1, ggml.Q5_1:
		return ggml.Q8_1, nil
	case ggml.Q2_K, ggml.Q3_K, ggml.Q4_K, ggml.Q5_K, ggml.Q6_K, ggml.IQ4_XS:
		return ggml.Q8_K, nil
	case ggml.F32, ggml.F16, ggml.BF16:
		return ggml.F32, nil
	}
	return 0, fmt.Errorf("%w: no dot product for %v", ErrUnsupportedType, t)
}

// QuantizeQ8_0 quantizes the activation vector x (len a multiple of 32) to
// Q8_0 in dst (34 bytes per 32 elements) as llama.cpp does at run time on
// x86 (scale amax/127, rounding to nearest even; SIMD where available).
func QuantizeQ8_0(x []float32, dst []byte) error { return quantizeActChecked(ggml.Q8_0, x, dst) }

// QuantizeQ8_1 quantizes x (len a multiple of 32) to Q8_1 in dst (36 bytes
// per 32 elements): Q8_0 plus d*sum(q) per block, the activation format of
// Q4_1 and Q5_1 weights.
func QuantizeQ8_1(x []float32, dst []byte) error { return quantizeActChecked(ggml.Q8_1, x, dst) }

// QuantizeQ8_K quantizes x (len a multiple of 256) to Q8_K in dst (292
// bytes per 256 elements), the activation format of the K-quants
// (quantize_row_q8_K).
func QuantizeQ8_K(x []float32, dst []byte) error { return quantizeActChecked(ggml.Q8_K, x, dst) }

func quantizeActChecked(at ggml.Type, x []float32, dst []byte) error {
	need, err := RowBytes(at, len(x))
	if err != nil {
		return err
	}
	if len(dst) < need {
		return fmt.Errorf("%w: %d elements of %v need %d bytes, have %d", ErrSize, len(x), at, need, len(dst))
	}
	quantizeAct(at, x, dst[:need])
	return nil
}

// QuantizeActivation quantizes x into the activation format for weights of
// type wt (see VecDotType), reusing buf when it is large enough, and
// returns the encoded bytes: the format's ggml layout, followed for Q8_0 by
// the block scales as float32, which the SIMD kernels read instead of
// converting them for every row. For F32 weights it returns x's bytes; for
// F16 and BF16 weights, x rounded to that precision (see SameActivation),
// as float32 in buf.
func QuantizeActivation(wt ggml.Type, x []float32, buf []byte) ([]byte, error) {
	at, err := VecDotType(wt)
	if err != nil {
		return nil, err
	}
	if at == ggml.F32 {
		rt := actRound(wt)
		if rt == ggml.F32 {
			return f32Bytes(x), nil
		}
		if cap(buf) < 4*len(x) {
			buf = make([]byte, 4*len(x))
		}
		buf = buf[:4*len(x)]
		roundAct(rt, x, bytesF32(buf))
		return buf, nil
	}
	need, err := actSize(at, len(x))
	if err != nil {
		return nil, err
	}
	if cap(buf) < need {
		buf = make([]byte, need)
	}
	buf = buf[:need]
	quantizeActExt(at, x, buf)
	return buf, nil
}

// SameActivation reports whether weights of types a and b take the same
// activation: the same format (VecDotType) and, for float weights, the same
// rounding. F16 and BF16 weights take float32 activations rounded to their
// own precision, as llama.cpp converts activations to the type of F16 and
// BF16 weights before its dot products; F32 weights take them as they are.
func SameActivation(a, b ggml.Type) bool {
	at, err := VecDotType(a)
	if err != nil {
		return false
	}
	bt, err := VecDotType(b)
	return err == nil && at == bt && actRound(a) == actRound(b)
}

// actRound returns the precision float activations for weights of type wt
// are rounded to: wt itself for F16 and BF16, F32 (no rounding) otherwise.
func actRound(wt ggml.Type) ggml.Type {
	if wt == ggml.F16 || wt == ggml.BF16 {
		return wt
	}
	return ggml.F32
}

// roundAct writes x rounded to precision rt (F16 or BF16) into dst, as
// float32.
func roundAct(rt ggml.Type, x, dst []float32) {
	dst = dst[:len(x)]
	switch rt {
	case ggml.F16:
		for i, v := range x {
			dst[i] = FP16ToFP32(FP32ToFP16(v))
		}
	case ggml.BF16:
		for i, v := range x {
			dst[i] = BF16ToFP32(FP32ToBF16(v))
		}
	default:
		copy(dst, x)
	}
}

// actSize is the size of an internal activation buffer: the format's ggml
// bytes plus, for Q8_0, one float32 scale per block.
func actSize(at ggml.Type, n int) (int, error) {
	b, err := RowBytes(at, n)
	if at == ggml.Q8_0 {
		b += 4 * (n / qk)
	}
	return b, err
}

func quantizeActExt(at ggml.Type, x []float32, buf []byte) {
	quantizeAct(at, x, buf)
	if at == ggml.Q8_0 {
		fillScales(buf, len(x)/qk)
	}
}

// fillScales writes the float32 scales of nb Q8_0 blocks after them.
func fillScales(buf []byte, nb int) {
	tail := buf[34*nb : 38*nb]
	for i := 0; i < nb; i++ {
		put32(tail[4*i:], math.Float32bits(f16(buf[34*i:])))
	}
}

func quantizeAct(at ggml.Type, x []float32, buf []byte) {
	switch at {
	case ggml.Q8_0:
		quantQ8_0(x, buf)
	case ggml.Q8_1:
		quantQ8_1Go(x, buf)
	case ggml.Q8_K:
		quantQ8_KAct(x, buf)
	}
}

// Dot returns the dot product of one weight row w of type t holding n
// elements with an activation a of n elements in the format VecDotType(t)
// gives: as QuantizeActivation returns it, or in plain ggml layout.
func Dot(t ggml.Type, w, a []byte, n int) (float32, error) {
	wb, err := RowBytes(t, n)
	if err != nil {
		return 0, err
	}
	at, err := VecDotType(t)
	if err != nil {
		return 0, err
	}
	ab, err := RowBytes(at, n)
	if err != nil {
		return 0, err
	}
	if len(w) < wb || len(a) < ab {
		return 0, fmt.Errorf("%w: %d elements of %v need %d weight and %d activation bytes, have %d and %d", ErrSize, n, t, wb, ab, len(w), len(a))
	}
	if ext, _ := actSize(at, n); len(a) < ext {
		a = append(append(make([]byte, 0, ext), a[:ab]...), make([]byte, ext-ab)...)
		fillScales(a, n/qk)
	}
	return kernelFor(t)(w, a, n), nil
}

func f32Bytes(x []float32) []byte {
	if len(x) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&x[0])), 4*len(x))
}

func bytesF32(b []byte) []float32 {
	if len(b) < 4 {
		return nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(&b[0])), len(b)/4)
}
