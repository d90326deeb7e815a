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
