package quant_test

import (
	"encoding/binary"
	"math"

	"github.com/plait-ai/plait/llm/local/ggml"
	"github.com/plait-ai/plait/llm/local/quant"
)

// This file decodes every format element by element, straight from the
// block layouts in ggml-common.h, without sharing code with the package:
// the tests compare the package's Dequantize against it.

func h2f(b []byte) float32 {
	h := binary.LittleEndian.Uint16(b)
	sign := 1.0
	if h&0x8000 != 0 {
		sign = -1
	}
	e := int(h>>10) & 31
	m := float64(h & 0x3ff)
	switch e {
	case 0:
		return float32(sign * m * math.Pow(2, -24))
	case 31:
		if m == 0 {
			return float32(sign * math.Inf(1))
		}
		return float32(math.NaN())
	}
	return float32(sign * (1 + m/1024) * math.Pow(2, float64(e-15)))
}

// specElem returns element j (0 <= j < block size) of one block of type t.
func specElem(t ggml.Type, blk []byte, j int) float32 {
	switch t {
	case ggml.F32:
		return math.Float32frombits(binary.LittleEndian.Uint32(blk))
	case ggml.F16:
		return h2f(blk)
	case ggml.BF16:
		return math.Float32frombits(uint32(binary.LittleEndian.Uint16(blk)) << 16)
	case ggml.Q4_0: // d, qs[16]: element j<16 low nibble of qs[j], else high nibble of qs[j-16]
		return float32(nib(blk[2:], j)-8) * h2f(blk)
	case ggml.Q4_1:
		return float32(nib(blk[4:], j))*h2f(blk) + h2f(blk[2:])
	case ggml.Q5_0: // d, qh (bit j = fifth bit of element j), qs
		hb := int(binary.LittleEndian.Uint32(blk[2:])>>uint(j)) & 1
		return float32(nib(blk[6:], j)+16*hb-16) * h2f(blk)
	case ggml.Q5_1:
		hb := int(binary.LittleEndian.Uint32(blk[4:])>>uint(j)) & 1
		return float32(nib(blk[8:], j)+16*hb)*h2f(blk) + h2f(blk[2:])
	case ggml.Q8_0:
		return float32(int8(blk[2+j])) * h2f(blk)
	case ggml.IQ4_NL:
		// d, qs[16]: the nibble (placed as in Q4_0) indexes the 16
		// non-linear levels.
		return float32(iq4Levels[nib(blk[2:], j)]) * h2f(blk)
	case ggml.IQ4_XS:
		// d, scales_h u16, scales_l[4], qs[128]. Sub-block s = j/32 has a
		// 6-bit scale stored +32: low 4 bits nibble s%2 of scales_l[s/2],
		// high 2 bits bits 2s..2s+1 of scales_h; its quants are placed as
		// IQ4_NL's in qs[16s:16s+16].
		s := j / 32
		ls := int(blk[4+s/2]>>uint(4*(s%2))) & 15
		ls |= int(binary.LittleEndian.Uint16(blk[2:])>>uint(2*s)) & 3 << 4
		return h2f(blk) * float32(ls-32) * float32(iq4Levels[nib(blk[8+16*s:], j%32)])
	case ggml.Q2_K:
		// scales[16], qs[64], d, dmin. Sub-block s = j/16 has a 4-bit scale
		// (low nibble of scales[s]) and a 4-bit min (high nibble). In each
		// 128-element half h, quarter g (32 elements, index l) is bits
		// 2g..2g+1 of qs[32h + l].
		s := blk[j/16]
		h, k := j/128, j%128
		g, l := k/32, k%32
		q := int(blk[16+32*h+l]>>uint(2*g)) & 3
		return h2f(blk[80:])*float32(s&15)*float32(q) - h2f(blk[82:])*float32(s>>4)
	case ggml.Q3_K:
		// hmask[32], qs[64], scales[12], d. The low two bits of a quant are
		// placed as in Q2_K; its third bit is bit 4h+g of hmask[l]; the
		// quant is those three bits less 4. Sub-block s = j/16 has a 6-bit
		// scale stored +32: low 4 bits the low (s < 8) or high (s >= 8)
		// nibble of scales[s%8], high 2 bits bits 2(s/4)..2(s/4)+1 of
		// scales[8 + s%4].
		h, k := j/128, j%128
		g, l := k/32, k%32
		lo := int(blk[32+32*h+l]>>uint(2*g)) & 3
		hb := int(blk[l]>>uint(4*h+g)) & 1
		q := lo + 4*hb - 4
		sub := j / 16
		sc := blk[96:108]
		s6 := int(sc[sub%8] & 15)
		if sub >= 8 {
			s6 = int(sc[sub%8] >> 4)
		}
		s6 |= int(sc[8+sub%4]>>uint(2*(sub/4))) & 3 << 4
		return h2f(blk[108:]) * float32(s6-32) * float32(q)
	case ggml.Q4_K, ggml.Q5_K:
		// d, dmin, scales[12], [qh[32]], qs[128]. Sub-block s = j/32 has a
		// 6-bit scale and min: for s < 4 the low 6 bits of scales[s] and
		// scales[s+4]; for s >= 4 the nibbles of scales[s+4] (low: scale,
		// high: min) topped by the 2 high bits of scales[s-4] (scale) and
		// scales[s] (min). Elements 64c..64c+31 are the low nibbles of
		// qs[32c..32c+31], the next 32 the high nibbles.
		s := j / 32
		sc := blk[4:16]
		var scale, mn int
		if s < 4 {
			scale, mn = int(sc[s]&63), int(sc[s+4]&63)
		} else {
			scale = int(sc[s+4]&15) | int(sc[s-4]>>6)<<4
			mn = int(sc[s+4]>>4) | int(sc[s]>>6)<<4
		}
		qs := blk[16:]
		var hb int
		if t == ggml.Q5_K {
			// qh[l] bit s is the fifth bit of element l of sub-block s
			hb = int(blk[16+j%32]>>uint(s)) & 1
			qs = blk[48:]
		}
		c, l := j/64, j%32
		q := int(qs[32*c+l] & 15)
		if s%2 == 1 {
			q = int(qs[32*c+l] >> 4)
		}
		q += 16 * hb
		d := h2f(blk) * float32(scale)
		m := h2f(blk[2:]) * float32(mn)
		return d*float32(q) - m
	case ggml.Q6_K:
		// ql[128], qh[64], scales[16] (int8, one per 16 elements), d.
		// In each 128-element half h, quarter g (32 elements, index l):
		// low 4 bits from ql[64h + 32*(g%2) + l], nibble g/2; high 2 bits
		// from qh[32h + l] bits 2g..2g+1.
		h, k := j/128, j%128
		g, l := k/32, k%32
		lo := blk[64*h+32*(g%2)+l]
		if g >= 2 {
			lo >>= 4
		}
		hi := blk[128+32*h+l] >> uint(2*g) & 3
		q := int(lo&15) | int(hi)<<4
		sc := int8(blk[192+j/16])
		return h2f(blk[208:]) * float32(sc) * float32(q-32)
	case ggml.Q8_K:
		return math.Float32frombits(binary.LittleEndian.Uint32(blk)) * float32(int8(blk[4+j]))
	}
	panic("no spec for " + t.String())
}

// iq4Levels are kvalues_iq4nl from ggml-common.h.
var iq4Levels = [16]int{-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113}

func nib(qs []byte, j int) int {
	if j < 16 {
		return int(qs[j] & 15)
	}
	return int(qs[j-16] >> 4)
}

func specDequantize(t ggml.Type, src []byte, n int) []float32 {
	out := make([]float32, n)
	bs, ts := t.BlockSize(), t.TypeSize()
	for i := 0; i < n; i++ {
		b := i / bs
		out[i] = specElem(t, src[b*ts:(b+1)*ts], i%bs)
	}
	return out
}

var _ = quant.Dequantize
