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
