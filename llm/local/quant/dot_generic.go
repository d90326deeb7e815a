package quant

import (
	"math"

	"github.com/plait-ai/plait/llm/local/ggml"
)

// kernel computes the dot product of a weight row w with an activation a
// (in the weight type's VecDotType format), both holding n elements.
type kernel func(w, a []byte, n int) float32

// quantQ8_0Go quantizes an activation as llama.cpp does at run time on
// x86 (quantize_row_q8_0): d = amax/127 and q = x*(127/amax) rounded to
// nearest even. It differs from the reference quantizer (x/d rounded half
// away from zero) only in rare ties; the AVX2 version gives identical bytes.
func quantQ8_0Go(x []float32, dst []byte) {
	for i := 0; len(x) >= qk; i++ {
		b := dst[i*34 : i*34+34]
		var amax float32
		for _, v := range x[:qk] {
			amax = max(amax, abs32(v))
		}
		put16(b, FP32ToFP16(amax/127))
		var id float32
		if amax != 0 {
			id = 127 / amax
		}
		for j, v := range x[:qk] {
			b[2+j] = byte(int8(nearestInt(float32(v * id))))
		}
		x = x[qk:]
	}
}

// quantQ8_1Go is quantQ8_0Go plus the block sums d*sum(q), as llama.cpp's
// x86 quantize_row_q8_1.
func quantQ8_1Go(x []float32, dst []byte) {
	for i := 0; len(x) >= qk; i++ {
		b := dst[i*36 : i*36+36]
		var amax float32
		for _, v := range x[:qk] {
			amax = max(amax, abs32(v))
		}
		d := amax / 127
		put16(b, FP32ToFP16(d))
		var id float32
		if amax != 0 {
			id = 127 / amax
		}
		var sum int32
		for j, v := range x[:qk] {
			q := nearestInt(float32(v * id))
			b[4+j] = byte(int8(q))
			sum += q
		}
		put16(b[2:], FP32ToFP16(d*float32(sum)))
		x = x[qk:]
	}
}

// The generic kernels below define the results: integer sums per block,
// scaled in float32 and accumulated block by block. The SIMD kernels
// compute the same integer sums and differ only in the order of the float
// accumulation.

func dotQ8_0Generic(w, a []byte, n int) float32 {
	var sum float32
	for i := 0; i < n/qk; i++ {
		x := w[i*34 : i*34+34]
		y := a[i*34 : i*34+34]
		var s int32
		for j := 0; j < qk; j++ {
			s += int32(int8(x[2+j])) * int32(int8(y[2+j]))
		}
		sum += float32(s) * float32(f16(x)*f16(y))
	}
	return sum
}

func dotQ4_0Generic(w, a []byte, n int) float32 {
	var sum float32
	for i := 0; i < n/qk; i++ {
		x := w[i*18 : i*18+18]
		y := a[i*34 : i*34+34]
		var s int32
		for j := 0; j < 16; j++ {
			s += (int32(x[2+j]&0xf) - 8) * int32(int8(y[2+j]))
			s += (int32(x[2+j]>>4) - 8) * int32(int8(y[18+j]))
		}
		sum += float32(s) * float32(f16(x)*f16(y))
	}
	return sum
}

func dotQ5_0Generic(w, a []byte, n int) float32 {
	var sum float32
	for i := 0; i < n/qk; i++ {
		x := w[i*22 : i*22+22]
		y := a[i*34 : i*34+34]
		qh := le32(x[2:])
		var s int32
		for j := 0; j < 16; j++ {
			h0 := int32(qh>>j<<4) & 0x10
			h1 := int32(qh>>(j+12)) & 0x10
			s += (int32(x[6+j]&0xf) | h0 - 16) * int32(int8(y[2+j]))
			s += (int32(x[6+j]>>4) | h1 - 16) * int32(int8(y[18+j]))
		}
		sum += float32(s) * float32(f16(x)*f16(y))
	}
	return sum
}

func dotQ4_1Generic(w, a []byte, n int) float32 {
	var sum float32
	for i := 0; i < n/qk; i++ {
		x := w[i*20 : i*20+20]
		y := a[i*36 : i*36+36]
		var s int32
		for j := 0; j < 16; j++ {
			s += int32(x[4+j]&0xf) * int32(int8(y[4+j]))
			s += int32(x[4+j]>>4) * int32(int8(y[20+j]))
		}
		sum += float32(s)*float32(f16(x)*f16(y)) + float32(f16(x[2:])*f16(y[2:]))
	}
	return sum
}

func dotQ5_1Generic(w, a []byte, n int) float32 {
	var sum float32
	for i := 0; i < n/qk; i++ {
		x := w[i*24 : i*24+24]
		y := a[i*36 : i*36+36]
		qh := le32(x[4:])
		var s int32
		for j := 0; j < 16; j++ {
			h0 := int32(qh>>j<<4) & 0x10
			h1 := int32(qh>>(j+12)) & 0x10
			s += (int32(x[8+j]&0xf) | h0) * int32(int8(y[4+j]))
			s += (int32(x[8+j]>>4) | h1) * int32(int8(y[20+j]))
		}
		sum += float32(s)*float32(f16(x)*f16(y)) + float32(f16(x[2:])*f16(y[2:]))
	}
	return sum
}

// q8KBlock splits a Q8_K block into its scale, quants and block sums.
func q8KScale(y []byte) float32 { return math.Float32frombits(le32(y)) }

// kScales unpacks the eight 6-bit scales and mins of a Q4_K/Q5_K block.
func kScales(sc []byte) (s, m [8]int32) {
	for j := 0; j < 8; j++ {
		a, b := scaleMinK4(j, sc)
		s[j], m[j] = int32(a), int32(b)
	}
	return
}

func bsumPair(y []byte, j int) int32 {
	return int32(int16(le16(y[260+4*j:]))) + int32(int16(le16(y[262+4*j:])))
}

func dotQ4_KGeneric(w, a []byte, n int) float32 {
	var sum float32
	for i := 0; i < n/qkK; i++ {
		x := w[i*144 : i*144+144]
		y := a[i*292 : i*292+292]
		s, m := kScales(x[4:16])
		q := x[16:144]
		qy := y[4:260]
		var sumi, summ int32
		for j := 0; j < 4; j++ {
			var s0, s1 int32
			for l := 0; l < 32; l++ {
				s0 += int32(q[32*j+l]&0xf) * int32(int8(qy[64*j+l]))
				s1 += int32(q[32*j+l]>>4) * int32(int8(qy[64*j+32+l]))
			}
			sumi += s[2*j]*s0 + s[2*j+1]*s1
		}
		for j := 0; j < 8; j++ {
			summ += m[j] * bsumPair(y, j)
		}
		dy := q8KScale(y)
		sum += float32(dy*f16(x))*float32(sumi) - float32(dy*f16(x[2:]))*float32(summ)
	}
	return sum
}

func dotQ5_KGeneric(w, a []byte, n int) float32 {
	var sum float32
	for i := 0; i < n/qkK; i++ {
		x := w[i*176 : i*176+176]
		y := a[i*292 : i*292+292]
		s, m := kScales(x[4:16])
		qh := x[16:48]
		q := x[48:176]
		qy := y[4:260]
		var sumi, summ int32
		for j := 0; j < 4; j++ {
			var s0, s1 int32
			for l := 0; l < 32; l++ {
				h0 := int32(qh[l]>>(2*j)&1) << 4
				h1 := int32(qh[l]>>(2*j+1)&1) << 4
				s0 += (int32(q[32*j+l]&0xf) | h0) * int32(int8(qy[64*j+l]))
				s1 += (int32(q[32*j+l]>>4) | h1) * int32(int8(qy[64*j+32+l]))
			}
			sumi += s[2*j]*s0 + s[2*j+1]*s1
		}
		for j := 0; j < 8; j++ {
			summ += m[j] * bsumPair(y, j)
		}
		dy := q8KScale(y)
		sum += float32(dy*f16(x))*float32(sumi) - float32(dy*f16(x[2:]))*float32(summ)
	}
	return sum
}

func dotQ6_KGeneric(w, a []byte, n int) float32 {
	var sum float32
	for i := 0; i < n/qkK; i++ {
		x := w[i*210 : i*210+210]
		y := a[i*292 : i*292+292]
		ql := x[0:128]
		qh := x[128:192]
		sc := x[192:208]
		qy := y[4:260]
		var sumi int32
		for h := 0; h < 2; h++ { // two halves of 128 elements
			var sub [8]int32 // sums of each 16-element group, in element order
			for l := 0; l < 32; l++ {
				hb := qh[32*h+l]
				q1 := int32(ql[64*h+l]&0xf|(hb>>0&3)<<4) - 32
				q2 := int32(ql[64*h+l+32]&0xf|(hb>>2&3)<<4) - 32
				q3 := int32(ql[64*h+l]>>4|(hb>>4&3)<<4) - 32
				q4 := int32(ql[64*h+l+32]>>4|(hb>>6&3)<<4) - 32
				g := l / 16
				base := 128 * h
				sub[g] += q1 * int32(int8(qy[base+l]))
				sub[2+g] += q2 * int32(int8(qy[base+32+l]))
				sub[4+g] += q3 * int32(int8(qy[base+64+l]))
				sub[6+g] += q4 * int32(int8(qy[base+96+l]))
			}
			for g := 0; g < 8; g++ {
				sumi += int32(int8(sc[8*h+g])) * sub[g]
			}
		}
		sum += float32(q8KScale(y)*f16(x[208:])) * float32(sumi)
	}
	return sum
}

func dotQ2_KGeneric(w, a []byte, n int) float32 {
	var sum float32
	for i := 0; i < n/qkK; i++ {
		x := w[i*84 : i*84+84]
		y := a[i*292 : i*292+292]
		sc := x[0:16]
		q := x[16:80]
		qy := y[4:260]
		// The mins times the block sums of the activation.
		var summs int32
		for j := 0; j < 16; j++ {
			summs += int32(int16(le16(y[260+2*j:]))) * int32(sc[j]>>4)
		}
		var isum int32
		for h := 0; h < 2; h++ {
			for j := 0; j < 4; j++ {
				shift := 2 * j
				for k := 0; k < 2; k++ { // two 16-element sub-blocks
					qq := q[32*h+16*k : 32*h+16*k+16]
					yy := qy[128*h+32*j+16*k : 128*h+32*j+16*k+16]
					var s int32
					for l := 0; l < 16; l++ {
						s += int32(int8(yy[l])) * int32(qq[l]>>shift&3)
					}
					isum += int32(sc[8*h+2*j+k]&0xf) * s
				}
			}
		}
		dy := q8KScale(y)
		sum += float32(float32(dy*f16(x[80:]))*float32(isum)) - float32(float32(dy*f16(x[82:]))*float32(summs))
	}
	return sum
}

func dotQ3_KGeneric(w, a []byte, n int) float32 {
	var sum float32
	for i := 0; i < n/qkK; i++ {
		x := w[i*110 : i*110+110]
		y := a[i*292 : i*292+292]
		hm := x[0:32]
		q := x[32:96]
		sc := x[96:108]
		qy := y[4:260]
		var sumi int32
		for h := 0; h < 2; h++ {
			for j := 0; j < 4; j++ {
				shift := 2 * j
				hb := 4*h + j
				for k := 0; k < 2; k++ {
					qq := q[32*h+16*k : 32*h+16*k+16]
					hh := hm[16*k : 16*k+16]
					yy := qy[128*h+32*j+16*k : 128*h+32*j+16*k+16]
					var s int32
					for l := range 16 {
						// q-4, or q where the high bit is set (branch-free:
						// the bits are random)
						v := int32(qq[l]>>shift&3) - 4 + int32(hh[l]>>hb&1)<<2
						s += v * int32(int8(yy[l]))
					}
					sumi += q3KScale(sc, 8*h+2*j+k) * s
				}
			}
		}
		sum += float32(f16(x[108:])*q8KScale(y)) * float32(sumi)
	}
	return sum
}

func dotIQ4_NLGeneric(w, a []byte, n int) float32 {
	var sum float32
	for i := 0; i < n/qk; i++ {
		x := w[i*18 : i*18+18]
		y := a[i*34 : i*34+34]
		var s int32
		for j := 0; j < 16; j++ {
			s += int32(kvaluesIQ4NL[x[2+j]&0xf]) * int32(int8(y[2+j]))
			s += int32(kvaluesIQ4NL[x[2+j]>>4]) * int32(int8(y[18+j]))
		}
		sum += float32(s) * float32(f16(x)*f16(y))
	}
	return sum
}

// dotIQ4_XSGeneric sums each super-block's sub-block dots times their
// 6-bit scales in integers before scaling, as llama.cpp's x86 kernels do
// (its portable C kernel scales every sub-block in float).
func dotIQ4_XSGeneric(w, a []byte, n int) float32 {
	var sum float32
	for i := 0; i < n/qkK; i++ {
		x := w[i*136 : i*136+136]
		y := a[i*292 : i*292+292]
		qy := y[4:260]
		var sumi int32
		for ib := 0; ib < 8; ib++ {
			qs := x[8+16*ib : 8+16*ib+16]
			yy := qy[32*ib : 32*ib+32]
			var s int32
			for j := 0; j < 16; j++ {
				s += int32(kvaluesIQ4NL[qs[j]&0xf]) * int32(int8(yy[j]))
				s += int32(kvaluesIQ4NL[qs[j]>>4]) * int32(int8(yy[16+j]))
			}
			sumi += iq4XSScale(x, ib) * s
		}
		sum += float32(f16(x)*q8KScale(y)) * float32(sumi)
	}
	return sum
}

func dotF32Generic(w, a []byte, n int) float32 {
	var sum float32
	for i := 0; i < n; i++ {
		sum += math.Float32frombits(le32(w[4*i:])) * math.Float32frombits(le32(a[4*i:]))
	}
	return sum
}

func dotF16Generic(w, a []byte, n int) float32 {
	var sum float32
	for i := 0; i < n; i++ {
		sum += FP16ToFP32(le16(w[2*i:])) * math.Float32frombits(le32(a[4*i:]))
	}
	return sum
}

func dotBF16Generic(w, a []byte, n int) float32 {
	var sum float32
	for i := 0; i < n; i++ {
		sum += BF16ToFP32(le16(w[2*i:])) * math.Float32frombits(le32(a[4*i:]))
	}
	return sum
}

var genericKernels = map[ggml.Type]kernel{
	ggml.F32:  dotF32Generic,
	ggml.F16:  dotF16Generic,
	ggml.BF16: dotBF16Generic,
	ggml.Q4_0: dotQ4_0Generic,
	ggml.Q4_1: dotQ4_1Generic,
	ggml.Q5_0: dotQ5_0Generic,
	ggml.Q5_1: dotQ5_1Generic,
	ggml.Q8_0: dotQ8_0Generic,
	ggml.Q2_K: dotQ2_KGeneric,
	ggml.Q3_K: dotQ3_KGeneric,
	ggml.Q4_K: dotQ4_KGeneric,
	ggml.Q5_K: dotQ5_KGeneric,
	ggml.Q6_K: dotQ6_KGeneric,

	ggml.IQ4_NL: dotIQ4_NLGeneric,
	ggml.IQ4_XS: dotIQ4_XSGeneric,
}

// simdKernels holds the assembly kernels this CPU can run (filled in by the
// architecture's init); kernelFor prefers them while SIMD is enabled.
var simdKernels = map[ggml.Type]kernel{}

var useSIMD = true

// SetSIMD enables or disables the assembly kernels and returns the previous
// setting. It exists for tests and benchmarks that compare the SIMD and
// pure-Go paths; it must not be called while kernels run. Building with the
// purego tag removes the assembly kernels altogether.
func SetSIMD(on bool) (prev bool) {
	prev = useSIMD
	useSIMD = on
	return prev
}

// SIMD reports whether assembly kernels are in use for t on this machine.
func SIMD(t ggml.Type) bool {
	_, ok := simdKernels[t]
	return ok && useSIMD
}

func kernelFor(t ggml.Type) kernel {
	if useSIMD {
		if k, ok := simdKernels[t]; ok {
			return k
		}
	}
	return genericKernels[t]
}
