package quant

// Block layouts of the non-linear 4-bit types, as in ggml-common.h:
//
//	IQ4_NL: d f16 | qs[16]                                   32 elements
//	IQ4_XS: d f16 | scales_h u16 | scales_l[4] | qs[128]     256 elements
//
// A quant is a 4-bit index into kvaluesIQ4NL; in every 32 elements, the low
// nibbles of 16 bytes hold elements 0..15 and the high nibbles 16..31 (as
// Q4_0). IQ4_NL: x = d*kvalues[q]. IQ4_XS: sub-block ib (32 elements) has a
// 6-bit scale ls stored +32, its low 4 bits nibble ib%2 of scales_l[ib/2],
// its high 2 bits bits 2ib..2ib+1 of scales_h; x = d*(ls-32)*kvalues[q].

// kvaluesIQ4NL are the 16 levels of IQ4_NL and IQ4_XS (kvalues_iq4nl).
var kvaluesIQ4NL = [16]int8{-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113}

func dequantIQ4_NL(src []byte, dst []float32) {
	for i := 0; len(dst) >= qk; i++ {
		b := src[i*18 : i*18+18]
		d := f16(b)
		qs := b[2:18]
		for j := 0; j < 16; j++ {
			dst[j] = d * float32(kvaluesIQ4NL[qs[j]&0xf])
			dst[j+16] = d * float32(kvaluesIQ4NL[qs[j]>>4])
		}
		dst = dst[qk:]
	}
}

// iq4XSScale returns sub-block ib's scale of an IQ4_XS block, less 32.
func iq4XSScale(b []byte, ib int) int32 {
	sh := le16(b[2:])
	ls := int32(b[4+ib/2]>>(4*(ib%2))) & 0xf
	return (ls | int32(sh>>(2*ib)&3)<<4) - 32
}

func dequantIQ4_XS(src []byte, dst []float32) {
	for i := 0; len(dst) >= qkK; i++ {
		b := src[i*136 : i*136+136]
		d := f16(b)
		for ib := 0; ib < 8; ib++ {
			dl := d * float32(iq4XSScale(b, ib))
			qs := b[8+16*ib : 8+16*ib+16]
			y := dst[32*ib : 32*ib+32]
			for j := 0; j < 16; j++ {
				y[j] = dl * float32(kvaluesIQ4NL[qs[j]&0xf])
				y[j+16] = dl * float32(kvaluesIQ4NL[qs[j]>>4])
			}
		}
		dst = dst[qkK:]
	}
}

// iq4Mid2 holds the sums of adjacent levels: twice their midpoints.
var iq4Mid2 = func() (m [15]float32) {
	for j := range m {
		m[j] = float32(int32(kvaluesIQ4NL[j]) + int32(kvaluesIQ4NL[j+1]))
	}
	return m
}()

// bestIndexIQ4 is ggml's best_index_int8 over kvaluesIQ4NL: the index of
// the nearest level, the upper one on a tie (x reaches level i at the
// midpoint of levels i-1 and i, compared exactly as 2x against their
// sum). ggml finds it by a binary search over the midpoints; counting the
// midpoints 2x reaches gives the same index without branches (none for a
// NaN, as there).
func bestIndexIQ4(x float32) uint8 {
	x2 := x + x
	var idx uint8
	for _, m := range iq4Mid2 {
		var c uint8
		if x2 >= m {
			c = 1
		}
		idx += c
	}
	return idx
}

// iq4Fit is the sub-block fit of ggml's quantize_row_iq4_nl_impl without
// importance weights (weights x²): the levels for the scale -max/127 (or
// max/127 when ntry > 0), the least-squares scale for them, and with
// ntry > 0 the 2*ntry+1 trial scales around it. It returns the scale and
// leaves the first fit's levels in L.
func iq4Fit(xb []float32, L []uint8, ntry int) float32 {
	var weight [32]float32
	for j, v := range xb {
		weight[j] = float32(v * v)
	}
	amax, mx := amaxSigned(xb)
	if amax < groupMaxEps {
		clear(L[:len(xb)])
		return 0
	}
	v0 := float32(kvaluesIQ4NL[0])
	d := mx / v0
	if ntry > 0 {
		d = -mx / v0
	}
	id := 1 / d
	var sumqx, sumq2 float32
	for j, v := range xb {
		l := bestIndexIQ4(float32(id * v))
		L[j] = l
		q := float32(kvaluesIQ4NL[l])
		w := weight[j]
		sumqx += float32(float32(w*q) * v)
		sumq2 += float32(float32(w*q) * q)
	}
	d = 0
	if sumq2 > 0 {
		d = sumqx / sumq2
	}
	best := float32(d * sumqx)
	for itry := -ntry; itry <= ntry; itry++ {
		id = float32(int32(itry)+int32(kvaluesIQ4NL[0])) / mx
		sumqx, sumq2 = 0, 0
		for j, v := range xb {
			q := float32(kvaluesIQ4NL[bestIndexIQ4(float32(id*v))])
			w := weight[j]
			sumqx += float32(float32(w*q) * v)
			sumq2 += float32(float32(w*q) * q)
		}
		if sumq2 > 0 && float32(sumqx*sumqx) > float32(best*sumq2) {
			d = sumqx / sumq2
			best = float32(d * sumqx)
		}
	}
	return d
}

// packIQ4 stores 32-element groups of levels as nibbles: low nibbles the
// first 16, high nibbles the next 16.
func packIQ4(q4 []byte, L []uint8) {
	for i := 0; i < len(L)/32; i++ {
		for j := 0; j < 16; j++ {
			q4[16*i+j] = L[32*i+j] | L[32*i+16+j]<<4
		}
	}
}

// quantIQ4_NL is quantize_row_iq4_nl_ref: per 32-element block the levels
// for the scale -max/127 and their least-squares scale (ntry = -1: no
// trial scales and no re-quantization).
func quantIQ4_NL(x []float32, dst []byte) {
	var L [qk]uint8
	for i := 0; len(x) >= qk; i++ {
		b := dst[i*18 : i*18+18]
		d := iq4Fit(x[:qk], L[:], -1)
		put16(b, FP32ToFP16(d))
		packIQ4(b[2:18], L[:])
		x = x[qk:]
	}
}

// quantIQ4_XS is quantize_row_iq4_xs_ref: per 32-element sub-block the
// fit with 15 trial scales (ntry 7), the super-block scale -max/32 of the
// sub-block scale largest in magnitude, 6-bit signed sub-block scales, and
// the re-quantization of every sub-block against its rounded scale.
func quantIQ4_XS(x []float32, dst []byte) {
	var L [qkK]uint8
	var scales [8]float32
	for i := 0; len(x) >= qkK; i++ {
		b := dst[i*136 : i*136+136]
		var maxScale, amaxScale float32
		for ib := 0; ib < 8; ib++ {
			scales[ib] = iq4Fit(x[32*ib:32*ib+32], L[32*ib:32*ib+32], 7)
			if a := abs32(scales[ib]); a > amaxScale {
				amaxScale, maxScale = a, scales[ib]
			}
		}
		d := -maxScale / 32
		put16(b, FP32ToFP16(d))
		var id float32
		if d != 0 {
			id = 1 / d
		}
		var sh uint16
		sl := b[4:8]
		for ib := 0; ib < 8; ib++ {
			l := nearestInt(float32(id * scales[ib]))
			l = max(-32, min(31, l))
			dl := float32(d * float32(l))
			var idl float32
			if dl != 0 {
				idl = 1 / dl
			}
			for j := 32 * ib; j < 32*ib+32; j++ {
				L[j] = bestIndexIQ4(float32(idl * x[j]))
			}
			l += 32
			if ib%2 == 0 {
				sl[ib/2] = byte(l & 0xf)
			} else {
				sl[ib/2] |= byte(l&0xf) << 4
			}
			sh |= uint16(l>>4) << (2 * ib)
		}
		put16(b[2:], sh)
		packIQ4(b[8:136], L[:])
		x = x[qkK:]
	}
}
