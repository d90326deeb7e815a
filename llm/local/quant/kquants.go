package quant

import "math"

// Super-block layouts of the K-quant types (QK_K = 256 elements), as in
// ggml-common.h:
//
//	Q2_K: scales[16] | qs[64] | d f16 | dmin f16
//	      sixteen 16-element sub-blocks, each with a 4-bit scale (low
//	      nibble) and a 4-bit min (high nibble); x = d*sc*q - dmin*m, q in
//	      0..3. Element 128h+32j+l is bits 2j..2j+1 of qs[32h+l].
//	Q3_K: hmask[32] | qs[64] | scales[12] | d f16
//	      sixteen 16-element sub-blocks with 6-bit scales (stored +32);
//	      x = d*(sc-32)*(q-4), q in 0..7: its low two bits as Q2_K's, its
//	      third bit bit (4h+j) of hmask[l] for element 128h+32j+l.
//	Q4_K: d f16 | dmin f16 | scales[12] | qs[128]
//	      eight 32-element sub-blocks, each with a 6-bit scale and a 6-bit
//	      min packed into scales; x = d*sc*q - dmin*m, q in 0..15.
//	Q5_K: d f16 | dmin f16 | scales[12] | qh[32] | qs[128]    q in 0..31
//	Q6_K: ql[128] | qh[64] | scales[16] int8 | d f16
//	      sixteen 16-element sub-blocks; x = d*sc*(q-32), q in 0..63.
//	Q8_K: d f32 | qs[256] int8 | bsums[16] int16 (sums of each 16 qs)

const qkK = 256

const groupMaxEps = 1e-15

// scaleMinK4 unpacks the 6-bit scale and min of sub-block j.
func scaleMinK4(j int, q []byte) (d, m uint8) {
	if j < 4 {
		return q[j] & 63, q[j+4] & 63
	}
	return q[j+4]&0xf | (q[j-4]>>6)<<4, q[j+4]>>4 | (q[j]>>6)<<4
}

func dequantQ4_K(src []byte, dst []float32) {
	for i := 0; len(dst) >= qkK; i++ {
		b := src[i*144 : i*144+144]
		d, mn := f16(b), f16(b[2:])
		sc := b[4:16]
		q := b[16:144]
		y := dst
		for j, is := 0, 0; j < qkK; j += 64 {
			s, m := scaleMinK4(is, sc)
			d1, m1 := d*float32(s), mn*float32(m)
			s, m = scaleMinK4(is+1, sc)
			d2, m2 := d*float32(s), mn*float32(m)
			for l := 0; l < 32; l++ {
				y[l] = d1*float32(q[l]&0xf) - m1
				y[32+l] = d2*float32(q[l]>>4) - m2
			}
			y = y[64:]
			q = q[32:]
			is += 2
		}
		dst = dst[qkK:]
	}
}

func dequantQ5_K(src []byte, dst []float32) {
	for i := 0; len(dst) >= qkK; i++ {
		b := src[i*176 : i*176+176]
		d, mn := f16(b), f16(b[2:])
		sc := b[4:16]
		qh := b[16:48]
		ql := b[48:176]
		y := dst
		var u1, u2 byte = 1, 2
		for j, is := 0, 0; j < qkK; j += 64 {
			s, m := scaleMinK4(is, sc)
			d1, m1 := d*float32(s), mn*float32(m)
			s, m = scaleMinK4(is+1, sc)
			d2, m2 := d*float32(s), mn*float32(m)
			for l := 0; l < 32; l++ {
				h1, h2 := byte(0), byte(0)
				if qh[l]&u1 != 0 {
					h1 = 16
				}
				if qh[l]&u2 != 0 {
					h2 = 16
				}
				y[l] = d1*float32(ql[l]&0xf+h1) - m1
				y[32+l] = d2*float32(ql[l]>>4+h2) - m2
			}
			y = y[64:]
			ql = ql[32:]
			is += 2
			u1 <<= 2
			u2 <<= 2
		}
		dst = dst[qkK:]
	}
}

func dequantQ6_K(src []byte, dst []float32) {
	for i := 0; len(dst) >= qkK; i++ {
		b := src[i*210 : i*210+210]
		ql := b[0:128]
		qh := b[128:192]
		sc := b[192:208]
		d := f16(b[208:])
		y := dst
		for n := 0; n < qkK; n += 128 {
			for l := 0; l < 32; l++ {
				is := l / 16
				q1 := int32(ql[l]&0xf|(qh[l]>>0&3)<<4) - 32
				q2 := int32(ql[l+32]&0xf|(qh[l]>>2&3)<<4) - 32
				q3 := int32(ql[l]>>4|(qh[l]>>4&3)<<4) - 32
				q4 := int32(ql[l+32]>>4|(qh[l]>>6&3)<<4) - 32
				y[l] = d * float32(int8(sc[is])) * float32(q1)
				y[l+32] = d * float32(int8(sc[is+2])) * float32(q2)
				y[l+64] = d * float32(int8(sc[is+4])) * float32(q3)
				y[l+96] = d * float32(int8(sc[is+6])) * float32(q4)
			}
			y = y[128:]
			ql = ql[64:]
			qh = qh[32:]
			sc = sc[8:]
		}
		dst = dst[qkK:]
	}
}

func dequantQ8_K(src []byte, dst []float32) {
	for i := 0; len(dst) >= qkK; i++ {
		b := src[i*292 : i*292+292]
		d := math.Float32frombits(le32(b))
		for j := 0; j < qkK; j++ {
			dst[j] = d * float32(int8(b[4+j]))
		}
		dst = dst[qkK:]
	}
}

// makeQKX2Quants is ggml's make_qkx2_quants: it fits x ≈ scale*L - min with
// L in 0..nmax under weights, searching nstep+1 candidate scales.
func makeQKX2Quants(nmax int32, x, weights []float32, L, Laux []uint8, rmin, rdelta float32, nstep int, useMAD bool) (scale, theMin float32) {
	n := len(x)
	mn, mx := x[0], x[0]
	sumW := weights[0]
	sumX := sumW * x[0]
	for i := 1; i < n; i++ {
		if x[i] < mn {
			mn = x[i]
		}
		if x[i] > mx {
			mx = x[i]
		}
		w := weights[i]
		sumW += w
		sumX += float32(w * x[i])
	}
	if mn > 0 {
		mn = 0
	}
	if mx == mn {
		for i := range L[:n] {
			L[i] = 0
		}
		return 0, -mn
	}
	iscale := float32(nmax) / (mx - mn)
	scale = 1 / iscale
	var bestError float32
	for i := 0; i < n; i++ {
		l := nearestInt(float32(iscale * (x[i] - mn)))
		L[i] = uint8(max(0, min(nmax, l)))
		diff := float32(scale*float32(L[i])) + mn - x[i]
		if useMAD {
			diff = abs32(diff)
		} else {
			diff = float32(diff * diff)
		}
		bestError += float32(weights[i] * diff)
	}
	if nstep < 1 {
		return scale, -mn
	}
	for is := 0; is <= nstep; is++ {
		iscale = (rmin + float32(rdelta*float32(is)) + float32(nmax)) / (mx - mn)
		var sumL, sumL2, sumXL float32
		for i := 0; i < n; i++ {
			l := nearestInt(float32(iscale * (x[i] - mn)))
			l = max(0, min(nmax, l))
			Laux[i] = uint8(l)
			w := weights[i]
			fl := float32(l)
			sumL += float32(w * fl)
			sumL2 += float32(float32(w*fl) * fl)
			sumXL += float32(float32(w*fl) * x[i])
		}
		D := float32(sumW*sumL2) - float32(sumL*sumL)
		if D > 0 {
			thisScale := (float32(sumW*sumXL) - float32(sumX*sumL)) / D
			thisMin := (float32(sumL2*sumX) - float32(sumL*sumXL)) / D
			if thisMin > 0 {
				thisMin = 0
				thisScale = sumXL / sumL2
			}
			var curError float32
			for i := 0; i < n; i++ {
				diff := float32(thisScale*float32(Laux[i])) + thisMin - x[i]
				if useMAD {
					diff = abs32(diff)
				} else {
					diff = float32(diff * diff)
				}
				curError += float32(weights[i] * diff)
			}
			if curError < bestError {
				copy(L[:n], Laux[:n])
				bestError = curError
				scale = thisScale
				mn = thisMin
			}
		}
	}
	return scale, -mn
}

// makeQXQuants is ggml's make_qx_quants with rmse_type 1 and no importance
// weights (the weights are x²): a symmetric fit x ≈ scale*(L-nmax), searching
// 19 candidate scales. L receives values in 0..2*nmax-1.
func makeQXQuants(nmax int32, x []float32, L []int8) float32 {
	n := len(x)
	amax, mx := amaxSigned(x)
	if amax < groupMaxEps {
		for i := range L[:n] {
			L[i] = 0
		}
		return 0
	}
	iscale := -float32(nmax) / mx
	var sumLX, sumL2 float32
	for i := 0; i < n; i++ {
		l := nearestInt(float32(iscale * x[i]))
		l = max(-nmax, min(nmax-1, l))
		L[i] = int8(l + nmax)
		w := float32(x[i] * x[i])
		fl := float32(l)
		sumLX += float32(float32(w*x[i]) * fl)
		sumL2 += float32(float32(w*fl) * fl)
	}
	var scale float32
	if sumL2 != 0 {
		scale = sumLX / sumL2
	}
	best := float32(scale * sumLX)
	for is := -9; is <= 9; is++ {
		if is == 0 {
			continue
		}
		iscale = -(float32(nmax) + float32(0.1*float32(is))) / mx
		sumLX, sumL2 = 0, 0
		for i := 0; i < n; i++ {
			l := nearestInt(float32(iscale * x[i]))
			l = max(-nmax, min(nmax-1, l))
			w := float32(x[i] * x[i])
			fl := float32(l)
			sumLX += float32(float32(w*x[i]) * fl)
			sumL2 += float32(float32(w*fl) * fl)
		}
		if sumL2 > 0 && float32(sumLX*sumLX) > float32(best*sumL2) {
			for i := 0; i < n; i++ {
				l := nearestInt(float32(iscale * x[i]))
				L[i] = int8(nmax + max(-nmax, min(nmax-1, l)))
			}
			scale = sumLX / sumL2
			best = float32(scale * sumLX)
		}
	}
	return scale
}

// quantKScaleMin is the shared body of quantize_row_q4_K_ref and
// quantize_row_q5_K_ref: sub-block fits, 6-bit packing of scales and mins,
// then the final re-quantization against the rounded scales. It returns the
// 256 levels in L.
func quantKScaleMin(x []float32, b []byte, nmax int32, rmin, rdelta float32, nstep int, L *[qkK]uint8) {
	var Laux [32]uint8
	var weights [32]float32
	var mins, scales [8]float32
	var maxScale, maxMin float32
	for j := 0; j < 8; j++ {
		xs := x[32*j : 32*j+32]
		var sumX2 float32
		for _, v := range xs {
			sumX2 += float32(v * v)
		}
		avX := float32(math.Sqrt(float64(sumX2 / 32)))
		for l, v := range xs {
			weights[l] = avX + abs32(v)
		}
		scales[j], mins[j] = makeQKX2Quants(nmax, xs, weights[:], L[32*j:32*j+32], Laux[:], rmin, rdelta, nstep, false)
		maxScale = max(maxScale, scales[j])
		maxMin = max(maxMin, mins[j])
	}
	var invScale, invMin float32
	if maxScale > 0 {
		invScale = 63 / maxScale
	}
	if maxMin > 0 {
		invMin = 63 / maxMin
	}
	sc := b[4:16]
	clear(sc)
	for j := 0; j < 8; j++ {
		ls := min(63, uint8(nearestInt(float32(invScale*scales[j]))))
		lm := min(63, uint8(nearestInt(float32(invMin*mins[j]))))
		if j < 4 {
			sc[j] = ls
			sc[j+4] = lm
		} else {
			sc[j+4] = ls&0xf | (lm&0xf)<<4
			sc[j-4] |= (ls >> 4) << 6
			sc[j] |= (lm >> 4) << 6
		}
	}
	put16(b, FP32ToFP16(maxScale/63))
	put16(b[2:], FP32ToFP16(maxMin/63))
	dd, dmin := f16(b), f16(b[2:])
	for j := 0; j < 8; j++ {
		s, m := scaleMinK4(j, sc)
		d := dd * float32(s)
		if d == 0 {
			continue
		}
		dm := dmin * float32(m)
		for ii := 0; ii < 32; ii++ {
			l := nearestInt((x[32*j+ii] + dm) / d)
			L[32*j+ii] = uint8(max(0, min(nmax, l)))
		}
	}
}

func quantQ4_K(x []float32, dst []byte) {
	var L [qkK]uint8
	for i := 0; len(x) >= qkK; i++ {
		b := dst[i*144 : i*144+144]
		quantKScaleMin(x[:qkK], b, 15, -1, 0.1, 20, &L)
		q := b[16:144]
		for j := 0; j < qkK; j += 64 {
			for l := 0; l < 32; l++ {
				q[l] = L[j+l] | L[j+l+32]<<4
			}
			q = q[32:]
		}
		x = x[qkK:]
	}
}

func quantQ5_K(x []float32, dst []byte) {
	var L [qkK]uint8
	for i := 0; len(x) >= qkK; i++ {
		b := dst[i*176 : i*176+176]
		quantKScaleMin(x[:qkK], b, 31, -0.5, 0.1, 15, &L)
		qh := b[16:48]
		ql := b[48:176]
		clear(qh)
		var m1, m2 byte = 1, 2
		for n := 0; n < qkK; n += 64 {
			for j := 0; j < 32; j++ {
				l1 := L[n+j]
				if l1 > 15 {
					l1 -= 16
					qh[j] |= m1
				}
				l2 := L[n+j+32]
				if l2 > 15 {
					l2 -= 16
					qh[j] |= m2
				}
				ql[j] = l1 | l2<<4
			}
			m1 <<= 2
			m2 <<= 2
			ql = ql[32:]
		}
		x = x[qkK:]
	}
}

func quantQ6_K(x []float32, dst []byte) {
	var L [qkK]int8
	var scales [16]float32
	for i := 0; len(x) >= qkK; i++ {
		b := dst[i*210 : i*210+210]
		var maxScale, maxAbsScale float32
		for ib := 0; ib < 16; ib++ {
			s := makeQXQuants(32, x[16*ib:16*ib+16], L[16*ib:16*ib+16])
			scales[ib] = s
			if a := abs32(s); a > maxAbsScale {
				maxAbsScale, maxScale = a, s
			}
		}
		if maxAbsScale < groupMaxEps {
			clear(b)
			x = x[qkK:]
			continue
		}
		iscale := -128 / maxScale
		put16(b[208:], FP32ToFP16(1/iscale))
		sc := b[192:208]
		for ib := 0; ib < 16; ib++ {
			sc[ib] = byte(int8(min(127, nearestInt(float32(iscale*scales[ib])))))
		}
		dd := f16(b[208:])
		for j := 0; j < 16; j++ {
			d := dd * float32(int8(sc[j]))
			if d == 0 {
				continue
			}
			for ii := 0; ii < 16; ii++ {
				l := nearestInt(x[16*j+ii] / d)
				L[16*j+ii] = int8(max(-32, min(31, l)) + 32)
			}
		}
		ql := b[0:128]
		qh := b[128:192]
		for j := 0; j < qkK; j += 128 {
			for l := 0; l < 32; l++ {
				q1 := byte(L[j+l]) & 0xf
				q2 := byte(L[j+l+32]) & 0xf
				q3 := byte(L[j+l+64]) & 0xf
				q4 := byte(L[j+l+96]) & 0xf
				ql[l] = q1 | q3<<4
				ql[l+32] = q2 | q4<<4
				qh[l] = byte(L[j+l])>>4 | (byte(L[j+l+32])>>4)<<2 | (byte(L[j+l+64])>>4)<<4 | (byte(L[j+l+96])>>4)<<6
			}
			ql = ql[64:]
			qh = qh[32:]
		}
		x = x[qkK:]
	}
}

// quantQ8_K is quantize_row_q8_K_ref.
func quantQ8_K(x []float32, dst []byte) {
	for i := 0; len(x) >= qkK; i++ {
		b := dst[i*292 : i*292+292]
		amax, mx := amaxSigned(x[:qkK])
		if amax == 0 {
			clear(b)
			x = x[qkK:]
			continue
		}
		iscale := -127 / mx
		qs := b[4:260]
		for j := 0; j < qkK; j++ {
			v := nearestInt(float32(iscale * x[j]))
			qs[j] = byte(int8(max(-128, min(127, v))))
		}
		for j := 0; j < 16; j++ {
			var sum int32
			for _, q := range qs[16*j : 16*j+16] {
				sum += int32(int8(q))
			}
			put16(b[260+2*j:], uint16(int16(sum)))
		}
		put32(b, math.Float32bits(1/iscale))
		x = x[qkK:]
	}
}

// quantQ8_KGo is the run-time activation quantizer for the K-quants: the
// reference quantize_row_q8_K except that on a tie between a positive and a
// negative extreme the positive one sets the sign (the reference takes the
// first), which the AVX2 version does too. The results are numerically
// the same either way: only the signs of d and the quants flip.
func quantQ8_KGo(x []float32, dst []byte) {
	for i := 0; len(x) >= qkK; i++ {
		b := dst[i*292 : i*292+292]
		mx, mn := x[0], x[0]
		for _, v := range x[1:qkK] {
			mx = max(mx, v)
			mn = min(mn, v)
		}
		m, amax := mx, mx
		if !(mx >= -mn) {
			m, amax = mn, -mn
		}
		if amax == 0 {
			clear(b)
			x = x[qkK:]
			continue
		}
		iscale := -127 / m
		qs := b[4:260]
		for j := 0; j < qkK; j++ {
			v := nearestInt(float32(iscale * x[j]))
			qs[j] = byte(int8(max(-128, min(127, v))))
		}
		for j := 0; j < 16; j++ {
			var sum int32
			for _, q := range qs[16*j : 16*j+16] {
				sum += int32(int8(q))
			}
			put16(b[260+2*j:], uint16(int16(sum)))
		}
		put32(b, math.Float32bits(1/iscale))
		x = x[qkK:]
	}
}

func dequantQ2_K(src []byte, dst []float32) {
	for i := 0; len(dst) >= qkK; i++ {
		b := src[i*84 : i*84+84]
		sc := b[0:16]
		q := b[16:80]
		d, mn := f16(b[80:]), f16(b[82:])
		y := dst
		for h := 0; h < 2; h++ {
			for j := 0; j < 4; j++ {
				shift := 2 * j
				for k := 0; k < 2; k++ { // two 16-element sub-blocks
					s := sc[8*h+2*j+k]
					dl, ml := d*float32(s&0xf), mn*float32(s>>4)
					qq := q[32*h+16*k : 32*h+16*k+16]
					for l := 0; l < 16; l++ {
						y[l] = float32(dl*float32(qq[l]>>shift&3)) - ml
					}
					y = y[16:]
				}
			}
		}
		dst = dst[qkK:]
	}
}

// q3KScale returns the 6-bit scale of sub-block j of a Q3_K block, less
// its offset of 32: the low four bits are a nibble of scales[j%8], the high
// two bits 2*(j/4)..2*(j/4)+1 of scales[8+j%4].
func q3KScale(sc []byte, j int) int32 {
	var lo byte
	if j < 8 {
		lo = sc[j] & 0xf
	} else {
		lo = sc[j-8] >> 4
	}
	hi := sc[8+j%4] >> (2 * (j / 4)) & 3
	return int32(lo|hi<<4) - 32
}

func dequantQ3_K(src []byte, dst []float32) {
	for i := 0; len(dst) >= qkK; i++ {
		b := src[i*110 : i*110+110]
		hm := b[0:32]
		q := b[32:96]
		sc := b[96:108]
		d := f16(b[108:])
		y := dst
		for h := 0; h < 2; h++ {
			for j := 0; j < 4; j++ {
				shift := 2 * j
				hb := 4*h + j
				for k := 0; k < 2; k++ {
					dl := d * float32(q3KScale(sc, 8*h+2*j+k))
					qq := q[32*h+16*k : 32*h+16*k+16]
					hh := hm[16*k : 16*k+16]
					for l := range 16 {
						v := int32(qq[l]>>shift&3) - 4 + int32(hh[l]>>hb&1)<<2
						y[l] = dl * float32(v)
					}
					y = y[16:]
				}
			}
		}
		dst = dst[qkK:]
	}
}

// packQ2 stores 256 two-bit levels as Q2_K and Q3_K do: element
// 128h+32j+l in bits 2j..2j+1 of q[32h+l].
func packQ2(q []byte, L *[qkK]uint8) {
	for h := 0; h < 2; h++ {
		for l := 0; l < 32; l++ {
			e := 128*h + l
			q[32*h+l] = L[e] | L[e+32]<<2 | L[e+64]<<4 | L[e+96]<<6
		}
	}
}

// quantQ2_K is quantize_row_q2_K_ref: a min-and-scale fit of every
// 16-element sub-block (make_qkx2_quants on |x| weights, by mean absolute
// error), 4-bit scales and mins relative to the largest, then the
// re-quantization against the rounded scales.
func quantQ2_K(x []float32, dst []byte) {
	var L [qkK]uint8
	var Laux [16]uint8
	var weights [16]float32
	var mins, scales [16]float32
	const q4scale = 15
	for i := 0; len(x) >= qkK; i++ {
		b := dst[i*84 : i*84+84]
		sc := b[0:16]
		var maxScale, maxMin float32
		for j := 0; j < 16; j++ {
			xs := x[16*j : 16*j+16]
			for l, v := range xs {
				weights[l] = abs32(v)
			}
			scales[j], mins[j] = makeQKX2Quants(3, xs, weights[:], L[16*j:16*j+16], Laux[:], -0.5, 0.1, 15, true)
			if scales[j] > maxScale {
				maxScale = scales[j]
			}
			if mins[j] > maxMin {
				maxMin = mins[j]
			}
		}
		if maxScale > 0 {
			iscale := q4scale / maxScale
			for j := 0; j < 16; j++ {
				sc[j] = byte(nearestInt(float32(iscale * scales[j])))
			}
			put16(b[80:], FP32ToFP16(maxScale/q4scale))
		} else {
			clear(sc)
			put16(b[80:], FP32ToFP16(0))
		}
		if maxMin > 0 {
			iscale := q4scale / maxMin
			for j := 0; j < 16; j++ {
				sc[j] |= byte(nearestInt(float32(iscale*mins[j])) << 4)
			}
			put16(b[82:], FP32ToFP16(maxMin/q4scale))
		} else {
			put16(b[82:], FP32ToFP16(0))
		}
		dd, dmin := f16(b[80:]), f16(b[82:])
		for j := 0; j < 16; j++ {
			d := dd * float32(sc[j]&0xf)
			if d == 0 {
				continue
			}
			dm := dmin * float32(sc[j]>>4)
			for ii := 0; ii < 16; ii++ {
				l := nearestInt((x[16*j+ii] + dm) / d)
				L[16*j+ii] = uint8(max(0, min(3, l)))
			}
		}
		packQ2(b[16:80], &L)
		x = x[qkK:]
	}
}

// makeQ3Quants is ggml's make_q3_quants with do_rmse: a symmetric fit
// x ≈ scale*(L-nmax) weighted by x², refined by up to five passes that move
// single levels while the weighted fit improves. L receives values in
// 0..2*nmax-1.
func makeQ3Quants(nmax int32, x []float32, L []int8) float32 {
	n := len(x)
	amax, mx := amaxSigned(x)
	if amax < groupMaxEps {
		for i := range L[:n] {
			L[i] = 0
		}
		return 0
	}
	iscale := -float32(nmax) / mx
	var sumLX, sumL2 float32
	for i := 0; i < n; i++ {
		l := nearestInt(float32(iscale * x[i]))
		l = max(-nmax, min(nmax-1, l))
		L[i] = int8(l)
		w := float32(x[i] * x[i])
		fl := float32(l)
		sumLX += float32(float32(w*x[i]) * fl)
		sumL2 += float32(float32(w*fl) * fl)
	}
	for itry := 0; itry < 5; itry++ {
		changed := 0
		for i := 0; i < n; i++ {
			w := float32(x[i] * x[i])
			fl := float32(L[i])
			slx := sumLX - float32(float32(w*x[i])*fl)
			if slx > 0 {
				sl2 := sumL2 - float32(float32(w*fl)*fl)
				nl := nearestInt(float32(x[i]*sl2) / slx)
				nl = max(-nmax, min(nmax-1, nl))
				if nl != int32(L[i]) {
					fn := float32(nl)
					slx += float32(float32(w*x[i]) * fn)
					sl2 += float32(float32(w*fn) * fn)
					if sl2 > 0 && float32(float32(slx*slx)*sumL2) > float32(float32(sumLX*sumLX)*sl2) {
						L[i] = int8(nl)
						sumLX, sumL2 = slx, sl2
						changed++
					}
				}
			}
		}
		if changed == 0 {
			break
		}
	}
	for i := range L[:n] {
		L[i] += int8(nmax)
	}
	if sumL2 > 0 {
		return sumLX / sumL2
	}
	return 0
}

// quantQ3_K is quantize_row_q3_K_ref: a symmetric fit of every 16-element
// sub-block (make_q3_quants), 6-bit signed scales relative to the largest
// in magnitude, then the re-quantization against the rounded scales.
func quantQ3_K(x []float32, dst []byte) {
	var L [qkK]int8
	var scales [16]float32
	for i := 0; len(x) >= qkK; i++ {
		b := dst[i*110 : i*110+110]
		hm := b[0:32]
		sc := b[96:108]
		var maxScale, amax float32
		for j := 0; j < 16; j++ {
			scales[j] = makeQ3Quants(4, x[16*j:16*j+16], L[16*j:16*j+16])
			if s := abs32(scales[j]); s > amax {
				amax, maxScale = s, scales[j]
			}
		}
		clear(sc)
		if maxScale != 0 {
			iscale := -32 / maxScale
			for j := 0; j < 16; j++ {
				l := int32(int8(nearestInt(float32(iscale * scales[j]))))
				l = max(-32, min(31, l)) + 32
				if j < 8 {
					sc[j] = byte(l & 0xf)
				} else {
					sc[j-8] |= byte(l&0xf) << 4
				}
				sc[j%4+8] |= byte(l>>4) << (2 * (j / 4))
			}
			put16(b[108:], FP32ToFP16(1/iscale))
		} else {
			put16(b[108:], FP32ToFP16(0))
		}
		dd := f16(b[108:])
		for j := 0; j < 16; j++ {
			d := dd * float32(q3KScale(sc, j))
			if d == 0 {
				continue
			}
			for ii := 0; ii < 16; ii++ {
				l := nearestInt(x[16*j+ii] / d)
				L[16*j+ii] = int8(max(-4, min(3, l)) + 4)
			}
		}
		clear(hm)
		var L2 [qkK]uint8
		for j := 0; j < qkK; j++ {
			l := uint8(L[j])
			if l > 3 {
				hm[j%32] |= 1 << (j / 32)
				l -= 4
			}
			L2[j] = l
		}
		packQ2(b[32:96], &L2)
		x = x[qkK:]
	}
}
