#include "textflag.h"

// func dotF16AVX2(a, b *uint16, n int) float32
// n is a multiple of 8.
TEXT ·dotF16AVX2(SB), NOSPLIT, $0-28
	MOVQ a+0(FP), SI
	MOVQ b+8(FP), DI
	MOVQ n+16(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
loop16:
	CMPQ CX, $16
	JL   tail8
	VCVTPH2PS (SI), Y2
	VCVTPH2PS (DI), Y3
	VFMADD231PS Y2, Y3, Y0
	VCVTPH2PS 16(SI), Y4
	VCVTPH2PS 16(DI), Y5
	VFMADD231PS Y4, Y5, Y1
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $16, CX
	JMP  loop16
tail8:
	CMPQ CX, $8
	JL   reduce
	VCVTPH2PS (SI), Y2
	VCVTPH2PS (DI), Y3
	VFMADD231PS Y2, Y3, Y0
reduce:
	VADDPS       Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0
	VHADDPS      X0, X0, X0
	VHADDPS      X0, X0, X0
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET

// func madF16AVX2(y, x *uint16, v float32, n int)
// y = f16(f32(y) + f32(x)*v), fused; n is a multiple of 8.
TEXT ·madF16AVX2(SB), NOSPLIT, $0-32
	MOVQ         y+0(FP), DI
	MOVQ         x+8(FP), SI
	VBROADCASTSS v+16(FP), Y7
	MOVQ         n+24(FP), CX
madloop:
	CMPQ CX, $8
	JL   maddone
	VCVTPH2PS (DI), Y0
	VCVTPH2PS (SI), Y1
	VFMADD231PS Y7, Y1, Y0
	VCVTPS2PH $0, Y0, (DI)
	ADDQ $16, DI
	ADDQ $16, SI
	SUBQ $8, CX
	JMP  madloop
maddone:
	VZEROUPPER
	RET

// func scaleF16AVX2(y *uint16, v float32, n int)
TEXT ·scaleF16AVX2(SB), NOSPLIT, $0-24
	MOVQ         y+0(FP), DI
	VBROADCASTSS v+8(FP), Y7
	MOVQ         n+16(FP), CX
scaleloop:
	CMPQ CX, $8
	JL   scaledone
	VCVTPH2PS (DI), Y0
	VMULPS    Y7, Y0, Y0
	VCVTPS2PH $0, Y0, (DI)
	ADDQ $16, DI
	SUBQ $8, CX
	JMP  scaleloop
scaledone:
	VZEROUPPER
	RET

// func toF16AVX2(dst *uint16, src *float32, n int)
TEXT ·toF16AVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
cvtloop:
	CMPQ CX, $8
	JL   cvtdone
	VMOVUPS   (SI), Y0
	VCVTPS2PH $0, Y0, (DI)
	ADDQ $16, DI
	ADDQ $32, SI
	SUBQ $8, CX
	JMP  cvtloop
cvtdone:
	VZEROUPPER
	RET

// Constants of expf (see transformer.go), as float32 bits.
DATA siluc<>+0x00(SB)/4, $0x3fb8aa3b // log2(e)
DATA siluc<>+0x04(SB)/4, $0x4b400000 // 1.5·2^23
DATA siluc<>+0x08(SB)/4, $0x3f317200 // ln2 high
DATA siluc<>+0x0c(SB)/4, $0x35bfbe8e // ln2 low
DATA siluc<>+0x10(SB)/4, $0xc2ae0000 // -87
DATA siluc<>+0x14(SB)/4, $0x42b00000 // 88
DATA siluc<>+0x18(SB)/4, $0x3f800000 // 1
DATA siluc<>+0x1c(SB)/4, $0x3f000000 // 1/2
DATA siluc<>+0x20(SB)/4, $0x3e2aaaab // 1/6
DATA siluc<>+0x24(SB)/4, $0x3d2aaaab // 1/24
DATA siluc<>+0x28(SB)/4, $0x3c088889 // 1/120
DATA siluc<>+0x2c(SB)/4, $0x3ab60b61 // 1/720
DATA siluc<>+0x30(SB)/4, $0x39500d01 // 1/5040
DATA siluc<>+0x34(SB)/4, $0x80000000 // sign bit
GLOBL siluc<>(SB), RODATA|NOPTR, $56

// func siluMulAVX2(x, u *float32, n int)
// x[i] = x[i] / (1 + e^-x[i]) * u[i] for n (a multiple of 8) elements,
// with expf's range reduction and polynomial in eight lanes.
TEXT ·siluMulAVX2(SB), NOSPLIT, $0-24
	MOVQ x+0(FP), SI
	MOVQ u+8(FP), DI
	MOVQ n+16(FP), CX
	VBROADCASTSS siluc<>+0x00(SB), Y8
	VBROADCASTSS siluc<>+0x04(SB), Y9
	VBROADCASTSS siluc<>+0x08(SB), Y10
	VBROADCASTSS siluc<>+0x0c(SB), Y11
	VBROADCASTSS siluc<>+0x10(SB), Y12
	VBROADCASTSS siluc<>+0x14(SB), Y13
	VBROADCASTSS siluc<>+0x18(SB), Y14
	VBROADCASTSS siluc<>+0x34(SB), Y15
silu8:
	TESTQ CX, CX
	JEQ silud
	VMOVUPS (SI), Y0
	VXORPS Y15, Y0, Y1   // -x
	VMAXPS Y12, Y1, Y1
	VMINPS Y13, Y1, Y1
	VMULPS Y8, Y1, Y2
	VADDPS Y9, Y2, Y2
	VSUBPS Y9, Y2, Y2    // n = round(-x·log2e)
	VMULPS Y10, Y2, Y3
	VSUBPS Y3, Y1, Y1
	VMULPS Y11, Y2, Y3
	VSUBPS Y3, Y1, Y1    // r
	VBROADCASTSS siluc<>+0x30(SB), Y4
	VBROADCASTSS siluc<>+0x2c(SB), Y5
	VMULPS Y1, Y4, Y4
	VADDPS Y5, Y4, Y4
	VBROADCASTSS siluc<>+0x28(SB), Y5
	VMULPS Y1, Y4, Y4
	VADDPS Y5, Y4, Y4
	VBROADCASTSS siluc<>+0x24(SB), Y5
	VMULPS Y1, Y4, Y4
	VADDPS Y5, Y4, Y4
	VBROADCASTSS siluc<>+0x20(SB), Y5
	VMULPS Y1, Y4, Y4
	VADDPS Y5, Y4, Y4
	VBROADCASTSS siluc<>+0x1c(SB), Y5
	VMULPS Y1, Y4, Y4
	VADDPS Y5, Y4, Y4
	VMULPS Y1, Y4, Y4
	VADDPS Y14, Y4, Y4
	VMULPS Y1, Y4, Y4
	VADDPS Y14, Y4, Y4   // p = e^r
	VCVTPS2DQ Y2, Y3
	VPSLLD $23, Y3, Y3
	VPADDD Y14, Y3, Y3   // 2^n: n+127 in the exponent (1.0 has 127 there)
	VMULPS Y3, Y4, Y4    // e^-x
	VADDPS Y14, Y4, Y4
	VDIVPS Y4, Y0, Y0
	VMULPS (DI), Y0, Y0
	VMOVUPS Y0, (SI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP silu8
silud:
	VZEROUPPER
	RET

// Attention for one query head in three passes over a block of cached
// positions (see attendF16): the scores, the softmax factors in eight
// lanes, and the F16 accumulation of the values with the accumulator held
// in registers. Each step is the same arithmetic as the per-position loop
// over dotF16AVX2, expf, scaleF16AVX2 and madF16AVX2.

// func scoresF16AVX2(q *float32, k *uint16, stride, n, hd int, scale float32, out *float32)
// out[p] = dot(q, key p)·scale for n keys stride bytes apart, with
// dotF16AVX2's order of sums (q holds the float32 values of its F16
// rounding); hd is a multiple of 8.
TEXT ·scoresF16AVX2(SB), NOSPLIT, $0-56
	MOVQ q+0(FP), BX
	MOVQ k+8(FP), SI
	MOVQ stride+16(FP), R8
	MOVQ n+24(FP), CX
	MOVQ hd+32(FP), DX
	VMOVSS scale+40(FP), X14
	MOVQ out+48(FP), DI
scpos:
	TESTQ CX, CX
	JEQ scdone
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	XORQ R10, R10
	MOVQ DX, R11
scdot16:
	CMPQ R11, $16
	JL scdot8
	VCVTPH2PS (SI)(R10*2), Y2
	VMOVUPS (BX)(R10*4), Y3
	VFMADD231PS Y2, Y3, Y0
	VCVTPH2PS 16(SI)(R10*2), Y2
	VMOVUPS 32(BX)(R10*4), Y3
	VFMADD231PS Y2, Y3, Y1
	ADDQ $16, R10
	SUBQ $16, R11
	JMP scdot16
scdot8:
	CMPQ R11, $8
	JL screduce
	VCVTPH2PS (SI)(R10*2), Y2
	VMOVUPS (BX)(R10*4), Y3
	VFMADD231PS Y2, Y3, Y0
screduce:
	VADDPS Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VHADDPS X0, X0, X0
	VHADDPS X0, X0, X0
	VMULSS X14, X0, X0
	VMOVSS X0, (DI)
	ADDQ $4, DI
	ADDQ R8, SI
	DECQ CX
	JMP scpos
scdone:
	VZEROUPPER
	RET

// func expfAVX2(x *float32, n int)
// x[i] = expf(x[i]) for n (a multiple of 8) values, with expf's
// operations in eight lanes; NaN propagates as in expf.
TEXT ·expfAVX2(SB), NOSPLIT, $0-16
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	VBROADCASTSS siluc<>+0x00(SB), Y8
	VBROADCASTSS siluc<>+0x04(SB), Y9
	VBROADCASTSS siluc<>+0x08(SB), Y10
	VBROADCASTSS siluc<>+0x0c(SB), Y11
	VBROADCASTSS siluc<>+0x10(SB), Y12
	VBROADCASTSS siluc<>+0x14(SB), Y13
	VBROADCASTSS siluc<>+0x18(SB), Y14
exloop:
	TESTQ CX, CX
	JEQ exdone
	VMOVUPS (SI), Y1
	VMAXPS Y1, Y12, Y1 // x is the operand returned when NaN
	VMINPS Y1, Y13, Y1
	VMULPS Y8, Y1, Y2
	VADDPS Y9, Y2, Y2
	VSUBPS Y9, Y2, Y2 // n
	VMULPS Y10, Y2, Y3
	VSUBPS Y3, Y1, Y1
	VMULPS Y11, Y2, Y3
	VSUBPS Y3, Y1, Y1 // r
	VBROADCASTSS siluc<>+0x30(SB), Y4
	VMULPS Y1, Y4, Y4
	VBROADCASTSS siluc<>+0x2c(SB), Y5
	VADDPS Y5, Y4, Y4
	VMULPS Y1, Y4, Y4
	VBROADCASTSS siluc<>+0x28(SB), Y5
	VADDPS Y5, Y4, Y4
	VMULPS Y1, Y4, Y4
	VBROADCASTSS siluc<>+0x24(SB), Y5
	VADDPS Y5, Y4, Y4
	VMULPS Y1, Y4, Y4
	VBROADCASTSS siluc<>+0x20(SB), Y5
	VADDPS Y5, Y4, Y4
	VMULPS Y1, Y4, Y4
	VBROADCASTSS siluc<>+0x1c(SB), Y5
	VADDPS Y5, Y4, Y4
	VMULPS Y1, Y4, Y4
	VADDPS Y14, Y4, Y4
	VMULPS Y1, Y4, Y4
	VADDPS Y14, Y4, Y4 // p = e^r
	VCVTPS2DQ Y2, Y3
	VPSLLD $23, Y3, Y3
	VPADDD Y14, Y3, Y3
	VMULPS Y3, Y4, Y4
	VMOVUPS Y4, (SI)
	ADDQ $32, SI
	SUBQ $8, CX
	JMP exloop
exdone:
	VZEROUPPER
	RET

// ACCROUND rounds the eight float32 lanes of acc to F16 and back.
#define ACCROUND(acc, x) \
	VCVTPS2PH $0, acc, x; \
	VCVTPH2PS x, acc

#define ACCMAD(off, acc, x) \
	VCVTPH2PS off(SI), Y5; \
	VFMADD231PS Y6, Y5, acc; \
	ACCROUND(acc, x)

#define ACCSCALE(acc, x) \
	VMULPS Y7, acc, acc; \
	ACCROUND(acc, x)

// func accumF16AVX2(acc, v *uint16, stride, n int, ms, vs *float32)
// For 32 elements of acc (F16) and n values stride bytes apart: per
// position p, acc = f16(acc·ms[p]) unless ms[p] is 1, then
// acc = f16(acc + v_p·vs[p]) fused, as scaleF16AVX2 and madF16AVX2 do,
// with acc in four registers throughout.
TEXT ·accumF16AVX2(SB), NOSPLIT, $0-48
	MOVQ acc+0(FP), DI
	MOVQ v+8(FP), SI
	MOVQ stride+16(FP), R8
	MOVQ n+24(FP), CX
	MOVQ ms+32(FP), BX
	MOVQ vs+40(FP), DX
	VCVTPH2PS 0(DI), Y0
	VCVTPH2PS 16(DI), Y1
	VCVTPH2PS 32(DI), Y2
	VCVTPH2PS 48(DI), Y3
acpos:
	TESTQ CX, CX
	JEQ acdone
	MOVL (BX), AX
	CMPL AX, $0x3f800000
	JEQ acmad
	VBROADCASTSS (BX), Y7
	ACCSCALE(Y0, X8)
	ACCSCALE(Y1, X9)
	ACCSCALE(Y2, X10)
	ACCSCALE(Y3, X11)
acmad:
	VBROADCASTSS (DX), Y6
	ACCMAD(0, Y0, X8)
	ACCMAD(16, Y1, X9)
	ACCMAD(32, Y2, X10)
	ACCMAD(48, Y3, X11)
	ADDQ $4, BX
	ADDQ $4, DX
	ADDQ R8, SI
	DECQ CX
	JMP acpos
acdone:
	VCVTPS2PH $0, Y0, 0(DI)
	VCVTPS2PH $0, Y1, 16(DI)
	VCVTPS2PH $0, Y2, 32(DI)
	VCVTPS2PH $0, Y3, 48(DI)
	VZEROUPPER
	RET

// func accum64F16AVX2(acc, v *uint16, stride, n int, ms, vs *float32)
// accumF16AVX2 for 64 elements: eight independent accumulator chains.
TEXT ·accum64F16AVX2(SB), NOSPLIT, $0-48
	MOVQ acc+0(FP), DI
	MOVQ v+8(FP), SI
	MOVQ stride+16(FP), R8
	MOVQ n+24(FP), CX
	MOVQ ms+32(FP), BX
	MOVQ vs+40(FP), DX
	VCVTPH2PS 0(DI), Y0
	VCVTPH2PS 16(DI), Y1
	VCVTPH2PS 32(DI), Y2
	VCVTPH2PS 48(DI), Y3
	VCVTPH2PS 64(DI), Y12
	VCVTPH2PS 80(DI), Y13
	VCVTPH2PS 96(DI), Y14
	VCVTPH2PS 112(DI), Y15
ac64pos:
	TESTQ CX, CX
	JEQ ac64done
	MOVL (BX), AX
	CMPL AX, $0x3f800000
	JEQ ac64mad
	VBROADCASTSS (BX), Y7
	ACCSCALE(Y0, X8)
	ACCSCALE(Y1, X9)
	ACCSCALE(Y2, X10)
	ACCSCALE(Y3, X11)
	ACCSCALE(Y12, X8)
	ACCSCALE(Y13, X9)
	ACCSCALE(Y14, X10)
	ACCSCALE(Y15, X11)
ac64mad:
	VBROADCASTSS (DX), Y6
	ACCMAD(0, Y0, X8)
	ACCMAD(16, Y1, X9)
	ACCMAD(32, Y2, X10)
	ACCMAD(48, Y3, X11)
	ACCMAD(64, Y12, X8)
	ACCMAD(80, Y13, X9)
	ACCMAD(96, Y14, X10)
	ACCMAD(112, Y15, X11)
	ADDQ $4, BX
	ADDQ $4, DX
	ADDQ R8, SI
	DECQ CX
	JMP ac64pos
ac64done:
	VCVTPS2PH $0, Y0, 0(DI)
	VCVTPS2PH $0, Y1, 16(DI)
	VCVTPS2PH $0, Y2, 32(DI)
	VCVTPS2PH $0, Y3, 48(DI)
	VCVTPS2PH $0, Y12, 64(DI)
	VCVTPS2PH $0, Y13, 80(DI)
	VCVTPS2PH $0, Y14, 96(DI)
	VCVTPS2PH $0, Y15, 112(DI)
	VZEROUPPER
	RET
