package quant

import (
	"math"
)

// Block layouts of the 32-element types, as in ggml-common.h:
//
//	Q4_0: d f16 | qs[16]            low nibbles hold elements 0..15, high 16..31; x = (q-8)*d
//	Q4_1: d f16 | m f16 | qs[16]    x = q*d + m
//	Q5_0: d f16 | qh[4] | qs[16]    bit j of qh is the 5th bit of element j; x = (q-16)*d
//	Q5_1: d f16 | m f16 | qh[4] | qs[16]
//	Q8_0: d f16 | qs[32] int8       x = q*d
//	Q8_1: d f16 | s f16 | qs[32]    s = d * sum(qs)

const qk = 32

func dequantQ4_0(src []byte, dst []float32) {
	for i := 0; len(dst) >= qk; i++ {
		b := src[i*18 : i*18+18]
		d := f16(b)
		qs := b[2:18]
		for j := 0; j < 16; j++ {
			dst[j] = float32(int32(qs[j]&0xf)-8) * d
			dst[j+16] = float32(int32(qs[j]>>4)-8) * d
		}
		dst = dst[qk:]
	}
}

func dequantQ4_1(src []byte, dst []float32) {
	for i := 0; len(dst) >= qk; i++ {
		b := src[i*20 : i*20+20]
		d, m := f16(b), f16(b[2:])
		qs := b[4:20]
		for j := 0; j < 16; j++ {
			dst[j] = float32(qs[j]&0xf)*d + m
			dst[j+16] = float32(qs[j]>>4)*d + m
		}
		dst = dst[qk:]
	}
}

func dequantQ5_0(src []byte, dst []float32) {
	for i := 0; len(dst) >= qk; i++ {
		b := src[i*22 : i*22+22]
		d := f16(b)
		qh := le32(b[2:])
		qs := b[6:22]
		for j := 0; j < 16; j++ {
			h0 := byte(qh>>j<<4) & 0x10
			h1 := byte(qh>>(j+12)) & 0x10
			dst[j] = float32(int32(qs[j]&0xf|h0)-16) * d
			dst[j+16] = float32(int32(qs[j]>>4|h1)-16) * d
		}
		dst = dst[qk:]
	}
}

func dequantQ5_1(src []byte, dst []float32) {
	for i := 0; len(dst) >= qk; i++ {
		b := src[i*24 : i*24+24]
		d, m := f16(b), f16(b[2:])
		qh := le32(b[4:])
		qs := b[8:24]
		for j := 0; j < 16; j++ {
			h0 := byte(qh>>j<<4) & 0x10
			h1 := byte(qh>>(j+12)) & 0x10
			dst[j] = float32(qs[j]&0xf|h0)*d + m
			dst[j+16] = float32(qs[j]>>4|h1)*d + m
		}
		dst = dst[qk:]
	}
}

func dequantQ8_0(src []byte, dst []float32) {
	for i := 0; len(dst) >= qk; i++ {
		b := src[i*34 : i*34+34]
		d := f16(b)
		for j := 0; j < qk; j++ {
			dst[j] = float32(int8(b[2+j])) * d
		}
		dst = dst[qk:]
	}
}

func dequantQ8_1(src []byte, dst []float32) {
	for i := 0; len(dst) >= qk; i++ {
		b := src[i*36 : i*36+36]
		d := f16(b)
		for j := 0; j < qk; j++ {
			dst[j] = float32(int8(b[4+j])) * d
		}
		dst = dst[qk:]
	}
}

// amaxSigned returns the element of largest magnitude (the first one on ties)
// and its magnitude, as the ggml reference quantizers find it.
func amaxSigned(x []float32) (amax, max float32) {
	for _, v := range x {
		if a := abs32(v); amax < a {
			amax, max = a, v
		}
	}
	return
}

func abs32(v float32) float32 { return math.Float32frombits(math.Float32bits(v) &^ (1 << 31)) }

func minMax(x []float32) (min, max float32) {
	min, max = math.MaxFloat32, -math.MaxFloat32
	for _, v := range x {
		if v < min {
			min = v
		}
		if v > max {
			max = v
		}
	}
	return
}

// truncU8 converts like C's (int8_t)/(uint8_t) cast of an in-range float,
// truncating toward zero; out-of-range values (only from NaN or infinite
// input) are clamped rather than left to the platform.
func truncI(v float32, lo, hi int32) int32 {
	if !(v > float32(lo)) { // also NaN
		return lo
	}
	if v >= float32(hi) {
		return hi
	}
	return int32(v)
}

func quantQ4_0(x []float32, dst []byte) {
	for i := 0; len(x) >= qk; i++ {
		b := dst[i*18 : i*18+18]
		_, max := amaxSigned(x[:qk])
		d := max / -8
		var id float32
		if d != 0 {
			id = 1 / d
		}
		put16(b, FP32ToFP16(d))
		for j := 0; j < 16; j++ {
			x0 := float32(x[j] * id)
			x1 := float32(x[16+j] * id)
			xi0 := min(15, truncI(x0+8.5, -128, 127))
			xi1 := min(15, truncI(x1+8.5, -128, 127))
			b[2+j] = byte(xi0) | byte(xi1)<<4
		}
		x = x[qk:]
	}
}

func quantQ4_1(x []float32, dst []byte) {
	for i := 0; len(x) >= qk; i++ {
		b := dst[i*20 : i*20+20]
		mn, mx := minMax(x[:qk])
		d := (mx - mn) / 15
		var id float32
		if d != 0 {
			id = 1 / d
		}
		put16(b, FP32ToFP16(d))
		put16(b[2:], FP32ToFP16(mn))
		for j := 0; j < 16; j++ {
			x0 := float32((x[j] - mn) * id)
			x1 := float32((x[16+j] - mn) * id)
			xi0 := min(15, truncI(x0+0.5, -128, 127))
			xi1 := min(15, truncI(x1+0.5, -128, 127))
			b[4+j] = byte(xi0) | byte(xi1)<<4
		}
		x = x[qk:]
	}
}

func quantQ5_0(x []float32, dst []byte) {
	for i := 0; len(x) >= qk; i++ {
		b := dst[i*22 : i*22+22]
		_, max := amaxSigned(x[:qk])
		d := max / -16
		var id float32
		if d != 0 {
			id = 1 / d
		}
		put16(b, FP32ToFP16(d))
		var qh uint32
		for j := 0; j < 16; j++ {
			x0 := float32(x[j] * id)
			x1 := float32(x[16+j] * id)
			xi0 := uint32(min(31, truncI(x0+16.5, -128, 127)))
			xi1 := uint32(min(31, truncI(x1+16.5, -128, 127)))
			b[6+j] = byte(xi0&0xf) | byte(xi1&0xf)<<4
			qh |= (xi0 & 0x10 >> 4) << j
			qh |= (xi1 & 0x10 >> 4) << (j + 16)
		}
		put32(b[2:], qh)
		x = x[qk:]
	}
}

func quantQ5_1(x []float32, dst []byte) {
	for i := 0; len(x) >= qk; i++ {
		b := dst[i*24 : i*24+24]
		mn, mx := minMax(x[:qk])
		d := (mx - mn) / 31
		var id float32
		if d != 0 {
			id = 1 / d
		}
		put16(b, FP32ToFP16(d))
		put16(b[2:], FP32ToFP16(mn))
		var qh uint32
		for j := 0; j < 16; j++ {
			x0 := float32((x[j] - mn) * id)
			x1 := float32((x[16+j] - mn) * id)
			xi0 := uint32(truncI(x0+0.5, 0, 255))
			xi1 := uint32(truncI(x1+0.5, 0, 255))
			b[8+j] = byte(xi0&0xf) | byte(xi1&0xf)<<4
			qh |= (xi0 & 0x10 >> 4) << j
			qh |= (xi1 & 0x10 >> 4) << (j + 16)
		}
		put32(b[4:], qh)
		x = x[qk:]
	}
}

// roundf rounds half away from zero, as C's roundf.
func roundf(v float32) float32 { return float32(math.Round(float64(v))) }

func quantQ8_0Ref(x []float32, dst []byte) {
	for i := 0; len(x) >= qk; i++ {
		b := dst[i*34 : i*34+34]
		var amax float32
		for _, v := range x[:qk] {
			amax = max(amax, abs32(v))
		}
		d := amax / 127
		var id float32
		if d != 0 {
			id = 1 / d
		}
		put16(b, FP32ToFP16(d))
		for j := 0; j < qk; j++ {
			b[2+j] = byte(int8(truncI(roundf(float32(x[j]*id)), -128, 127)))
		}
		x = x[qk:]
	}
}

func quantQ8_1Ref(x []float32, dst []byte) {
	for i := 0; len(x) >= qk; i++ {
		b := dst[i*36 : i*36+36]
		var amax float32
		for _, v := range x[:qk] {
			amax = max(amax, abs32(v))
		}
		d := amax / 127
		var id float32
		if d != 0 {
			id = 1 / d
		}
		put16(b, FP32ToFP16(d))
		var sum int32
		for j := 0; j < qk; j++ {
			q := truncI(roundf(float32(x[j]*id)), -128, 127)
			b[4+j] = byte(int8(q))
			sum += q
		}
		put16(b[2:], FP32ToFP16(float32(sum)*d))
		x = x[qk:]
	}
}
