#include "textflag.h"

// func gemm4x16(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int)
// C[4×16] += A[4×k]·B[k×16]; leading dimensions in elements.
TEXT ·gemm4x16(SB), NOSPLIT, $0-56
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), R8
	MOVQ b+24(FP), DI
	MOVQ ldb+32(FP), DX
	MOVQ c+40(FP), R10
	MOVQ ldc+48(FP), R11
	SHLQ $2, R8
	SHLQ $2, DX
	SHLQ $2, R11
	LEAQ (R8)(R8*2), R9
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	TESTQ CX, CX
	JZ    store16

loop16:
	VMOVUPS      (DI), Y12
	VMOVUPS      32(DI), Y13
	VBROADCASTSS (SI), Y14
	VFMADD231PS  Y12, Y14, Y0
	VFMADD231PS  Y13, Y14, Y1
	VBROADCASTSS (SI)(R8*1), Y15
	VFMADD231PS  Y12, Y15, Y2
	VFMADD231PS  Y13, Y15, Y3
	VBROADCASTSS (SI)(R8*2), Y14
	VFMADD231PS  Y12, Y14, Y4
	VFMADD231PS  Y13, Y14, Y5
	VBROADCASTSS (SI)(R9*1), Y15
	VFMADD231PS  Y12, Y15, Y6
	VFMADD231PS  Y13, Y15, Y7
	ADDQ         $4, SI
	ADDQ         DX, DI
	DECQ         CX
	JNZ          loop16

store16:
	VADDPS  (R10), Y0, Y0
	VADDPS  32(R10), Y1, Y1
	VMOVUPS Y0, (R10)
	VMOVUPS Y1, 32(R10)
	ADDQ    R11, R10
	VADDPS  (R10), Y2, Y2
	VADDPS  32(R10), Y3, Y3
	VMOVUPS Y2, (R10)
	VMOVUPS Y3, 32(R10)
	ADDQ    R11, R10
	VADDPS  (R10), Y4, Y4
	VADDPS  32(R10), Y5, Y5
	VMOVUPS Y4, (R10)
	VMOVUPS Y5, 32(R10)
	ADDQ    R11, R10
	VADDPS  (R10), Y6, Y6
	VADDPS  32(R10), Y7, Y7
	VMOVUPS Y6, (R10)
	VMOVUPS Y7, 32(R10)
	VZEROUPPER
	RET

// func gemm4x8(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int)
// C[4×8] += A[4×k]·B[k×8].
TEXT ·gemm4x8(SB), NOSPLIT, $0-56
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), R8
	MOVQ b+24(FP), DI
	MOVQ ldb+32(FP), DX
	MOVQ c+40(FP), R10
	MOVQ ldc+48(FP), R11
	SHLQ $2, R8
	SHLQ $2, DX
	SHLQ $2, R11
	LEAQ (R8)(R8*2), R9
	VXORPS Y0, Y0, Y0
	VXORPS Y2, Y2, Y2
	VXORPS Y4, Y4, Y4
	VXORPS Y6, Y6, Y6
	TESTQ CX, CX
	JZ    store8

loop8:
	VMOVUPS      (DI), Y12
	VBROADCASTSS (SI), Y14
	VFMADD231PS  Y12, Y14, Y0
	VBROADCASTSS (SI)(R8*1), Y15
	VFMADD231PS  Y12, Y15, Y2
	VBROADCASTSS (SI)(R8*2), Y14
	VFMADD231PS  Y12, Y14, Y4
	VBROADCASTSS (SI)(R9*1), Y15
	VFMADD231PS  Y12, Y15, Y6
	ADDQ         $4, SI
	ADDQ         DX, DI
	DECQ         CX
	JNZ          loop8

store8:
	VADDPS  (R10), Y0, Y0
	VMOVUPS Y0, (R10)
	ADDQ    R11, R10
	VADDPS  (R10), Y2, Y2
	VMOVUPS Y2, (R10)
	ADDQ    R11, R10
	VADDPS  (R10), Y4, Y4
	VMOVUPS Y4, (R10)
	ADDQ    R11, R10
	VADDPS  (R10), Y6, Y6
	VMOVUPS Y6, (R10)
	VZEROUPPER
	RET

// func gemm4x16T(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int)
// C[4×16] += Aᵀ·B[k×16] where A is k×4 (element (p,i) at a[p*lda+i]).
TEXT ·gemm4x16T(SB), NOSPLIT, $0-56
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), R8
	MOVQ b+24(FP), DI
	MOVQ ldb+32(FP), DX
	MOVQ c+40(FP), R10
	MOVQ ldc+48(FP), R11
	SHLQ $2, R8
	SHLQ $2, DX
	SHLQ $2, R11
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	TESTQ CX, CX
	JZ    store16t

loop16t:
	VMOVUPS      (DI), Y12
	VMOVUPS      32(DI), Y13
	VBROADCASTSS (SI), Y14
	VFMADD231PS  Y12, Y14, Y0
	VFMADD231PS  Y13, Y14, Y1
	VBROADCASTSS 4(SI), Y15
	VFMADD231PS  Y12, Y15, Y2
	VFMADD231PS  Y13, Y15, Y3
	VBROADCASTSS 8(SI), Y14
	VFMADD231PS  Y12, Y14, Y4
	VFMADD231PS  Y13, Y14, Y5
	VBROADCASTSS 12(SI), Y15
	VFMADD231PS  Y12, Y15, Y6
	VFMADD231PS  Y13, Y15, Y7
	ADDQ         R8, SI
	ADDQ         DX, DI
	DECQ         CX
	JNZ          loop16t

store16t:
	VADDPS  (R10), Y0, Y0
	VADDPS  32(R10), Y1, Y1
	VMOVUPS Y0, (R10)
	VMOVUPS Y1, 32(R10)
	ADDQ    R11, R10
	VADDPS  (R10), Y2, Y2
	VADDPS  32(R10), Y3, Y3
	VMOVUPS Y2, (R10)
	VMOVUPS Y3, 32(R10)
	ADDQ    R11, R10
	VADDPS  (R10), Y4, Y4
	VADDPS  32(R10), Y5, Y5
	VMOVUPS Y4, (R10)
	VMOVUPS Y5, 32(R10)
	ADDQ    R11, R10
	VADDPS  (R10), Y6, Y6
	VADDPS  32(R10), Y7, Y7
	VMOVUPS Y6, (R10)
	VMOVUPS Y7, 32(R10)
	VZEROUPPER
	RET

// func gemm4x8T(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int)
// C[4×8] += Aᵀ·B[k×8] where A is k×4.
TEXT ·gemm4x8T(SB), NOSPLIT, $0-56
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), R8
	MOVQ b+24(FP), DI
	MOVQ ldb+32(FP), DX
	MOVQ c+40(FP), R10
	MOVQ ldc+48(FP), R11
	SHLQ $2, R8
	SHLQ $2, DX
	SHLQ $2, R11
	VXORPS Y0, Y0, Y0
	VXORPS Y2, Y2, Y2
	VXORPS Y4, Y4, Y4
	VXORPS Y6, Y6, Y6
	TESTQ CX, CX
	JZ    store8t

loop8t:
	VMOVUPS      (DI), Y12
	VBROADCASTSS (SI), Y14
	VFMADD231PS  Y12, Y14, Y0
	VBROADCASTSS 4(SI), Y15
	VFMADD231PS  Y12, Y15, Y2
	VBROADCASTSS 8(SI), Y14
	VFMADD231PS  Y12, Y14, Y4
	VBROADCASTSS 12(SI), Y15
	VFMADD231PS  Y12, Y15, Y6
	ADDQ         R8, SI
	ADDQ         DX, DI
	DECQ         CX
	JNZ          loop8t

store8t:
	VADDPS  (R10), Y0, Y0
	VMOVUPS Y0, (R10)
	ADDQ    R11, R10
	VADDPS  (R10), Y2, Y2
	VMOVUPS Y2, (R10)
	ADDQ    R11, R10
	VADDPS  (R10), Y4, Y4
	VMOVUPS Y4, (R10)
	ADDQ    R11, R10
	VADDPS  (R10), Y6, Y6
	VMOVUPS Y6, (R10)
	VZEROUPPER
	RET

// Constants of expf, one float32 (or int32) each.
DATA expConsts<>+0(SB)/4, $0x42b00000  // 88
DATA expConsts<>+4(SB)/4, $0xc2ae0000  // -87
DATA expConsts<>+8(SB)/4, $0x3fb8aa3b  // log2(e)
DATA expConsts<>+12(SB)/4, $0x3f000000 // 0.5
DATA expConsts<>+16(SB)/4, $0x3f318000 // C1
DATA expConsts<>+20(SB)/4, $0xb95e8083 // C2
DATA expConsts<>+24(SB)/4, $0x39506967 // p0
DATA expConsts<>+28(SB)/4, $0x3ab743ce // p1
DATA expConsts<>+32(SB)/4, $0x3c088908 // p2
DATA expConsts<>+36(SB)/4, $0x3d2aa9c1 // p3
DATA expConsts<>+40(SB)/4, $0x3e2aaaaa // p4
DATA expConsts<>+44(SB)/4, $0x3f000000 // p5
DATA expConsts<>+48(SB)/4, $0x3f800000 // 1
DATA expConsts<>+52(SB)/4, $127
GLOBL expConsts<>(SB), RODATA|NOPTR, $56

// func expAffine8(s *float32, n int, a, shift float32) int
// Sets s[i] = expf(s[i]*a - shift) eight at a time for n (a multiple of
// 8) elements, stopping before the first group with an argument outside
// [-87, 88] or NaN; returns how many it set. Same operations, in the same
// order and without fusing, as the Go expf.
TEXT ·expAffine8(SB), NOSPLIT, $0-32
	MOVQ         s+0(FP), SI
	MOVQ         n+8(FP), CX
	VBROADCASTSS a+16(FP), Y6
	VBROADCASTSS shift+20(FP), Y7
	VBROADCASTSS expConsts<>+0(SB), Y15
	VBROADCASTSS expConsts<>+4(SB), Y14
	VBROADCASTSS expConsts<>+8(SB), Y13
	VBROADCASTSS expConsts<>+12(SB), Y12
	VBROADCASTSS expConsts<>+16(SB), Y11
	VBROADCASTSS expConsts<>+20(SB), Y10
	VBROADCASTSS expConsts<>+48(SB), Y9
	VBROADCASTSS expConsts<>+52(SB), Y8
	XORQ         BX, BX
	TESTQ        CX, CX
	JZ           expdone

exploop:
	VMOVUPS      (SI), Y0
	VMULPS       Y6, Y0, Y0
	VSUBPS       Y7, Y0, Y0
	VCMPPS       $2, Y15, Y0, Y1    // x <= 88
	VCMPPS       $0x1d, Y14, Y0, Y2 // x >= -87
	VANDPS       Y1, Y2, Y1
	VMOVMSKPS    Y1, AX
	CMPL         AX, $0xff
	JNE          expdone
	VMULPS       Y13, Y0, Y1
	VADDPS       Y12, Y1, Y1
	VROUNDPS     $1, Y1, Y1         // z = floor(x·log2e + 0.5)
	VMULPS       Y11, Y1, Y2
	VSUBPS       Y2, Y0, Y0
	VMULPS       Y10, Y1, Y2
	VSUBPS       Y2, Y0, Y0         // r
	VBROADCASTSS expConsts<>+24(SB), Y3
	VMULPS       Y0, Y3, Y3
	VBROADCASTSS expConsts<>+28(SB), Y4
	VADDPS       Y4, Y3, Y3
	VMULPS       Y0, Y3, Y3
	VBROADCASTSS expConsts<>+32(SB), Y4
	VADDPS       Y4, Y3, Y3
	VMULPS       Y0, Y3, Y3
	VBROADCASTSS expConsts<>+36(SB), Y4
	VADDPS       Y4, Y3, Y3
	VMULPS       Y0, Y3, Y3
	VBROADCASTSS expConsts<>+40(SB), Y4
	VADDPS       Y4, Y3, Y3
	VMULPS       Y0, Y3, Y3
	VBROADCASTSS expConsts<>+44(SB), Y4
	VADDPS       Y4, Y3, Y3
	VMULPS       Y0, Y0, Y4         // r·r
	VMULPS       Y4, Y3, Y3
	VADDPS       Y0, Y3, Y3
	VADDPS       Y9, Y3, Y3
	VCVTTPS2DQ   Y1, Y1
	VPADDD       Y8, Y1, Y1
	VPSLLD       $23, Y1, Y1
	VMULPS       Y1, Y3, Y3
	VMOVUPS      Y3, (SI)
	ADDQ         $32, SI
	ADDQ         $8, BX
	SUBQ         $8, CX
	JNZ          exploop

expdone:
	MOVQ BX, ret+24(FP)
	VZEROUPPER
	RET
