//go:build amd64 && !purego

#include "textflag.h"

// AVX2/FMA/F16C kernels. Each integer kernel computes, per block, the same
// integer sums as the Go kernels in dot_generic.go; the float scaling and
// accumulation run in eight lanes and are summed at the end.
//
// Signed×signed byte products use the VPSIGNB trick: |x| (unsigned) times
// y·sign(x) (signed) through VPMADDUBSW. The activation side never holds
// -128 (the quantizers clamp to ±127), so neither the sign flip nor the
// pairwise int16 sums overflow.

DATA q5shuf<>+0x00(SB)/8, $0x0000000000000000
DATA q5shuf<>+0x08(SB)/8, $0x0101010101010101
DATA q5shuf<>+0x10(SB)/8, $0x0202020202020202
DATA q5shuf<>+0x18(SB)/8, $0x0303030303030303
GLOBL q5shuf<>(SB), RODATA|NOPTR, $32

// Selects int16 0 of a dword pair into the low lane and int16 1 into the
// high lane (after VPBROADCASTD of two adjacent int16 scales).
DATA q6shuf<>+0x00(SB)/8, $0x0100010001000100
DATA q6shuf<>+0x08(SB)/8, $0x0100010001000100
DATA q6shuf<>+0x10(SB)/8, $0x0302030203020302
DATA q6shuf<>+0x18(SB)/8, $0x0302030203020302
GLOBL q6shuf<>(SB), RODATA|NOPTR, $32

#define BCAST_BYTE(val, reg, xreg) \
	MOVL $val, AX; \
	VMOVD AX, xreg; \
	VPBROADCASTD xreg, reg

// HSUM8 sums the eight float lanes of Y0 into X0.
#define HSUM8 \
	VEXTRACTF128 $1, Y0, X1; \
	VADDPS X1, X0, X0; \
	VHADDPS X0, X0, X0; \
	VHADDPS X0, X0, X0

// F16SCALE loads the f16 at xoff(SI) and the f16 at yoff(DI), multiplies
// them and broadcasts the product into Y1.
#define F16SCALE(xoff, yoff) \
	MOVWLZX xoff(SI), AX; \
	MOVWLZX yoff(DI), BX; \
	VMOVD AX, X1; \
	VMOVD BX, X2; \
	VCVTPH2PS X1, X1; \
	VCVTPH2PS X2, X2; \
	VMULSS X2, X1, X1; \
	VBROADCASTSS X1, Y1

// SIGNED_DOT: Y2 signed weight bytes, yoff(DI) signed activation bytes;
// converts the eight int32 sums of four products to float, scales them by
// Y1 and adds them to acc.
#define SIGNED_DOT(yoff, acc) \
	VMOVDQU yoff(DI), Y3; \
	VPSIGNB Y2, Y2, Y4; \
	VPSIGNB Y2, Y3, Y5; \
	VPMADDUBSW Y5, Y4, Y6; \
	VPMADDWD Y7, Y6, Y6; \
	VCVTDQ2PS Y6, Y6; \
	VFMADD231PS Y1, Y6, acc

#define Q8_0_BLOCK(xoff, yoff, acc) \
	F16SCALE(xoff, yoff); \
	VMOVDQU (xoff+2)(SI), Y2; \
	SIGNED_DOT(yoff+2, acc)

#define Q4_0_BLOCK(xoff, yoff, acc) \
	F16SCALE(xoff, yoff); \
	VMOVDQU (xoff+2)(SI), X2; \
	VPSRLW $4, X2, X3; \
	VINSERTI128 $1, X3, Y2, Y2; \
	VPAND Y8, Y2, Y2; \
	VPSUBB Y9, Y2, Y2; \
	SIGNED_DOT(yoff+2, acc)

#define Q5_0_BLOCK(xoff, yoff, acc) \
	F16SCALE(xoff, yoff); \
	MOVL (xoff+2)(SI), AX; \
	VMOVD AX, X10; \
	VPBROADCASTD X10, Y10; \
	VPSHUFB Y11, Y10, Y10; \
	VPOR Y12, Y10, Y10; \
	VPCMPEQB Y13, Y10, Y10; \
	VPANDN Y14, Y10, Y10; \
	VMOVDQU (xoff+6)(SI), X2; \
	VPSRLW $4, X2, X3; \
	VINSERTI128 $1, X3, Y2, Y2; \
	VPAND Y8, Y2, Y2; \
	VPOR Y10, Y2, Y2; \
	SIGNED_DOT(yoff+2, acc)

// The 32-element kernels run two blocks per iteration into two
// accumulators (Y0, Y15) to hide the FMA latency.

// func dotQ8_0AVX2(x, y *byte, nb int) float32
TEXT ·dotQ8_0AVX2(SB), NOSPLIT, $0-28
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ nb+16(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y15, Y15, Y15
	VPCMPEQW Y7, Y7, Y7
	VPSRLW $15, Y7, Y7
q80loop:
	CMPQ CX, $2
	JLT q80tail
	Q8_0_BLOCK(0, 0, Y0)
	Q8_0_BLOCK(34, 34, Y15)
	ADDQ $68, SI
	ADDQ $68, DI
	SUBQ $2, CX
	JMP q80loop
q80tail:
	TESTQ CX, CX
	JEQ q80done
	Q8_0_BLOCK(0, 0, Y0)
q80done:
	VADDPS Y15, Y0, Y0
	HSUM8
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET

// func dotQ4_0AVX2(x, y *byte, nb int) float32
TEXT ·dotQ4_0AVX2(SB), NOSPLIT, $0-28
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ nb+16(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y15, Y15, Y15
	VPCMPEQW Y7, Y7, Y7
	VPSRLW $15, Y7, Y7
	BCAST_BYTE(0x0f0f0f0f, Y8, X8)
	BCAST_BYTE(0x08080808, Y9, X9)
q40loop:
	CMPQ CX, $2
	JLT q40tail
	Q4_0_BLOCK(0, 0, Y0)
	Q4_0_BLOCK(18, 34, Y15)
	ADDQ $36, SI
	ADDQ $68, DI
	SUBQ $2, CX
	JMP q40loop
q40tail:
	TESTQ CX, CX
	JEQ q40done
	Q4_0_BLOCK(0, 0, Y0)
q40done:
	VADDPS Y15, Y0, Y0
	HSUM8
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET

// func dotQ5_0AVX2(x, y *byte, nb int) float32
TEXT ·dotQ5_0AVX2(SB), NOSPLIT, $0-28
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ nb+16(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y15, Y15, Y15
	VPCMPEQW Y7, Y7, Y7
	VPSRLW $15, Y7, Y7
	BCAST_BYTE(0x0f0f0f0f, Y8, X8)
	BCAST_BYTE(0xf0f0f0f0, Y14, X14)
	VMOVDQU q5shuf<>(SB), Y11
	MOVQ $0x7fbfdfeff7fbfdfe, AX
	VMOVQ AX, X12
	VPBROADCASTQ X12, Y12
	VPCMPEQB Y13, Y13, Y13
q50loop:
	CMPQ CX, $2
	JLT q50tail
	Q5_0_BLOCK(0, 0, Y0)
	Q5_0_BLOCK(22, 34, Y15)
	ADDQ $44, SI
	ADDQ $68, DI
	SUBQ $2, CX
	JMP q50loop
q50tail:
	TESTQ CX, CX
	JEQ q50done
	Q5_0_BLOCK(0, 0, Y0)
q50done:
	VADDPS Y15, Y0, Y0
	HSUM8
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET

// KSCALES unpacks the 6-bit scales and mins of a Q4_K/Q5_K block at SI
// (scales at 4(SI)): R8 = eight scale bytes, R9 = eight min bytes.
#define KSCALES \
	MOVL 4(SI), R8; \
	MOVL 8(SI), R9; \
	MOVL 12(SI), R10; \
	MOVL R10, R11; \
	SHRL $4, R11; \
	ANDL $0x0f0f0f0f, R11; \
	MOVL R9, AX; \
	SHRL $6, AX; \
	ANDL $0x03030303, AX; \
	SHLL $4, AX; \
	ORL AX, R11; \
	ANDL $0x3f3f3f3f, R9; \
	ANDL $0x0f0f0f0f, R10; \
	MOVL R8, AX; \
	SHRL $6, AX; \
	ANDL $0x03030303, AX; \
	SHLL $4, AX; \
	ORL AX, R10; \
	ANDL $0x3f3f3f3f, R8; \
	SHLQ $32, R10; \
	ORQ R10, R8; \
	SHLQ $32, R11; \
	ORQ R11, R9

// KMINS: X1 += dmin(X3) * Σ min_j * (bsum_2j + bsum_2j+1), four lanes.
#define KMINS \
	VMOVQ R9, X6; \
	VPMOVZXBW X6, X6; \
	VMOVDQU 260(DI), Y9; \
	VEXTRACTI128 $1, Y9, X10; \
	VPHADDW X10, X9, X9; \
	VPMADDWD X9, X6, X6; \
	VCVTDQ2PS X6, X6; \
	VFMADD231PS X3, X6, X1

// KSCALE_SETUP: Y2 = d broadcast, X3 = dmin broadcast (both times y.d).
#define KSCALE_SETUP \
	VBROADCASTSS (DI), Y9; \
	MOVWLZX (SI), AX; \
	VMOVD AX, X2; \
	VCVTPH2PS X2, X2; \
	MOVWLZX 2(SI), AX; \
	VMOVD AX, X3; \
	VCVTPH2PS X3, X3; \
	VBROADCASTSS X2, Y2; \
	VBROADCASTSS X3, X3; \
	VMULPS Y9, Y2, Y2; \
	VMULPS X9, X3, X3

// Q4K_PAIR adds the two sub-blocks held in the 32 bytes at qoff(SI) into Y4.
#define Q4K_PAIR(qoff, yoff, soff) \
	VMOVDQU qoff(SI), Y5; \
	VPSRLW $4, Y5, Y6; \
	VPAND Y8, Y5, Y5; \
	VPAND Y8, Y6, Y6; \
	VPMADDUBSW yoff(DI), Y5, Y5; \
	VPMADDUBSW (yoff+32)(DI), Y6, Y6; \
	VPBROADCASTW soff(SP), Y9; \
	VPBROADCASTW (soff+2)(SP), Y10; \
	VPMADDWD Y9, Y5, Y5; \
	VPMADDWD Y10, Y6, Y6; \
	VPADDD Y5, Y4, Y4; \
	VPADDD Y6, Y4, Y4

// func dotQ4_KAVX2(x, y *byte, nb int) float32
TEXT ·dotQ4_KAVX2(SB), NOSPLIT, $16-28
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ nb+16(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS X1, X1, X1
	BCAST_BYTE(0x0f0f0f0f, Y8, X8)
	TESTQ CX, CX
	JEQ q4kdone
q4kloop:
	KSCALE_SETUP
	KSCALES
	VMOVQ R8, X5
	VPMOVZXBW X5, X5
	VMOVDQU X5, 0(SP)
	KMINS
	VPXOR Y4, Y4, Y4
	Q4K_PAIR(16, 4, 0)
	Q4K_PAIR(48, 68, 4)
	Q4K_PAIR(80, 132, 8)
	Q4K_PAIR(112, 196, 12)
	VCVTDQ2PS Y4, Y4
	VFMADD231PS Y2, Y4, Y0
	ADDQ $144, SI
	ADDQ $292, DI
	DECQ CX
	JNE q4kloop
q4kdone:
	VSUBPS Y1, Y0, Y0 // X1 holds the min terms, upper lanes zero
	HSUM8
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET

// Q5K_PAIR is Q4K_PAIR with the fifth bits taken from Y12 (qh), which it
// shifts right by two.
#define Q5K_PAIR(qoff, yoff, soff) \
	VMOVDQU qoff(SI), Y5; \
	VPSRLW $4, Y5, Y6; \
	VPAND Y8, Y5, Y5; \
	VPAND Y8, Y6, Y6; \
	VPAND Y11, Y12, Y9; \
	VPSLLW $4, Y9, Y9; \
	VPOR Y9, Y5, Y5; \
	VPSRLW $1, Y12, Y12; \
	VPAND Y11, Y12, Y9; \
	VPSLLW $4, Y9, Y9; \
	VPOR Y9, Y6, Y6; \
	VPSRLW $1, Y12, Y12; \
	VPMADDUBSW yoff(DI), Y5, Y5; \
	VPMADDUBSW (yoff+32)(DI), Y6, Y6; \
	VPBROADCASTW soff(SP), Y9; \
	VPBROADCASTW (soff+2)(SP), Y10; \
	VPMADDWD Y9, Y5, Y5; \
	VPMADDWD Y10, Y6, Y6; \
	VPADDD Y5, Y4, Y4; \
	VPADDD Y6, Y4, Y4

// func dotQ5_KAVX2(x, y *byte, nb int) float32
TEXT ·dotQ5_KAVX2(SB), NOSPLIT, $16-28
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ nb+16(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS X1, X1, X1
	BCAST_BYTE(0x0f0f0f0f, Y8, X8)
	BCAST_BYTE(0x01010101, Y11, X11)
	TESTQ CX, CX
	JEQ q5kdone
q5kloop:
	KSCALE_SETUP
	KSCALES
	VMOVQ R8, X5
	VPMOVZXBW X5, X5
	VMOVDQU X5, 0(SP)
	KMINS
	VMOVDQU 16(SI), Y12
	VPXOR Y4, Y4, Y4
	Q5K_PAIR(48, 4, 0)
	Q5K_PAIR(80, 68, 4)
	Q5K_PAIR(112, 132, 8)
	Q5K_PAIR(144, 196, 12)
	VCVTDQ2PS Y4, Y4
	VFMADD231PS Y2, Y4, Y0
	ADDQ $176, SI
	ADDQ $292, DI
	DECQ CX
	JNE q5kloop
q5kdone:
	VSUBPS Y1, Y0, Y0
	HSUM8
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET

// Q6K_QUARTER: Y9 holds 32 six-bit quants (0..63) of groups g, g+1;
// multiply with the activation at yoff(DI), scale by sc[g] (low lane) and
// sc[g+1] (high lane) from soff(SP), add into Y4.
#define Q6K_QUARTER(yoff, soff) \
	VPMADDUBSW yoff(DI), Y9, Y9; \
	VPBROADCASTD soff(SP), Y10; \
	VPSHUFB Y15, Y10, Y10; \
	VPMADDWD Y10, Y9, Y9; \
	VPADDD Y9, Y4, Y4

#define Q6K_HALF(qloff, qhoff, yoff, soff) \
	VMOVDQU qloff(SI), Y5; \
	VMOVDQU (qloff+32)(SI), Y6; \
	VMOVDQU qhoff(SI), Y7; \
	VPAND Y8, Y5, Y9; \
	VPAND Y11, Y7, Y10; \
	VPSLLW $4, Y10, Y10; \
	VPOR Y10, Y9, Y9; \
	Q6K_QUARTER(yoff, soff); \
	VPAND Y8, Y6, Y9; \
	VPAND Y12, Y7, Y10; \
	VPSLLW $2, Y10, Y10; \
	VPOR Y10, Y9, Y9; \
	Q6K_QUARTER(yoff+32, soff+4); \
	VPSRLW $4, Y5, Y9; \
	VPAND Y8, Y9, Y9; \
	VPAND Y13, Y7, Y10; \
	VPOR Y10, Y9, Y9; \
	Q6K_QUARTER(yoff+64, soff+8); \
	VPSRLW $4, Y6, Y9; \
	VPAND Y8, Y9, Y9; \
	VPAND Y14, Y7, Y10; \
	VPSRLW $2, Y10, Y10; \
	VPOR Y10, Y9, Y9; \
	Q6K_QUARTER(yoff+96, soff+12)

// func dotQ6_KAVX2(x, y *byte, nb int) float32
TEXT ·dotQ6_KAVX2(SB), NOSPLIT, $32-28
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ nb+16(FP), CX
	VXORPS Y0, Y0, Y0
	BCAST_BYTE(0x0f0f0f0f, Y8, X8)
	BCAST_BYTE(0x03030303, Y11, X11)
	BCAST_BYTE(0x0c0c0c0c, Y12, X12)
	BCAST_BYTE(0x30303030, Y13, X13)
	BCAST_BYTE(0xc0c0c0c0, Y14, X14)
	VMOVDQU q6shuf<>(SB), Y15
	TESTQ CX, CX
	JEQ q6kdone
q6kloop:
	VMOVSS (DI), X1
	MOVWLZX 208(SI), AX
	VMOVD AX, X2
	VCVTPH2PS X2, X2
	VMULSS X1, X2, X2
	VBROADCASTSS X2, Y2
	VPMOVSXBW 192(SI), Y3
	VMOVDQU Y3, 0(SP)
	VPXOR Y4, Y4, Y4
	Q6K_HALF(0, 128, 4, 0)
	Q6K_HALF(64, 160, 132, 16)
	// subtract 32 * Σ sc_g * bsum_g (the quants were taken unsigned, q+32)
	VPMADDWD 260(DI), Y3, Y5
	VPSLLD $5, Y5, Y5
	VPSUBD Y5, Y4, Y4
	VCVTDQ2PS Y4, Y4
	VFMADD231PS Y2, Y4, Y0
	ADDQ $210, SI
	ADDQ $292, DI
	DECQ CX
	JNE q6kloop
q6kdone:
	HSUM8
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET

// func dotF32AVX2(x, y *float32, n int) float32
TEXT ·dotF32AVX2(SB), NOSPLIT, $0-28
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ n+16(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
f32loop32:
	CMPQ CX, $32
	JLT f32loop8
	VMOVUPS (SI), Y4
	VMOVUPS 32(SI), Y5
	VMOVUPS 64(SI), Y6
	VMOVUPS 96(SI), Y7
	VFMADD231PS (DI), Y4, Y0
	VFMADD231PS 32(DI), Y5, Y1
	VFMADD231PS 64(DI), Y6, Y2
	VFMADD231PS 96(DI), Y7, Y3
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $32, CX
	JMP f32loop32
f32loop8:
	CMPQ CX, $8
	JLT f32tail
	VMOVUPS (SI), Y4
	VFMADD231PS (DI), Y4, Y0
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP f32loop8
f32tail:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y0, Y0
	HSUM8
f32scalar:
	TESTQ CX, CX
	JEQ f32done
	VMOVSS (SI), X4
	VFMADD231SS (DI), X4, X0
	ADDQ $4, SI
	ADDQ $4, DI
	DECQ CX
	JMP f32scalar
f32done:
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET

// func dotF16AVX2(x *byte, y *float32, n int) float32
TEXT ·dotF16AVX2(SB), NOSPLIT, $0-28
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ n+16(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
f16loop16:
	CMPQ CX, $16
	JLT f16loop8
	VCVTPH2PS (SI), Y4
	VCVTPH2PS 16(SI), Y5
	VFMADD231PS (DI), Y4, Y0
	VFMADD231PS 32(DI), Y5, Y1
	ADDQ $32, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JMP f16loop16
f16loop8:
	CMPQ CX, $8
	JLT f16tail
	VCVTPH2PS (SI), Y4
	VFMADD231PS (DI), Y4, Y0
	ADDQ $16, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP f16loop8
f16tail:
	VADDPS Y1, Y0, Y0
	HSUM8
f16scalar:
	TESTQ CX, CX
	JEQ f16done
	MOVWLZX (SI), AX
	VMOVD AX, X4
	VCVTPH2PS X4, X4
	VFMADD231SS (DI), X4, X0
	ADDQ $2, SI
	ADDQ $4, DI
	DECQ CX
	JMP f16scalar
f16done:
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET

// func dotBF16AVX2(x *byte, y *float32, n int) float32
TEXT ·dotBF16AVX2(SB), NOSPLIT, $0-28
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ n+16(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
bf16loop16:
	CMPQ CX, $16
	JLT bf16loop8
	VPMOVZXWD (SI), Y4
	VPMOVZXWD 16(SI), Y5
	VPSLLD $16, Y4, Y4
	VPSLLD $16, Y5, Y5
	VFMADD231PS (DI), Y4, Y0
	VFMADD231PS 32(DI), Y5, Y1
	ADDQ $32, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JMP bf16loop16
bf16loop8:
	CMPQ CX, $8
	JLT bf16tail
	VPMOVZXWD (SI), Y4
	VPSLLD $16, Y4, Y4
	VFMADD231PS (DI), Y4, Y0
	ADDQ $16, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP bf16loop8
bf16tail:
	VADDPS Y1, Y0, Y0
	HSUM8
bf16scalar:
	TESTQ CX, CX
	JEQ bf16done
	MOVWLZX (SI), AX
	SHLL $16, AX
	VMOVD AX, X4
	VFMADD231SS (DI), X4, X0
	ADDQ $2, SI
	ADDQ $4, DI
	DECQ CX
	JMP bf16scalar
bf16done:
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET

// func axpyF32AVX2(alpha float32, x, y *float32, n int)
TEXT ·axpyF32AVX2(SB), NOSPLIT, $0-32
	VBROADCASTSS alpha+0(FP), Y0
	MOVQ x+8(FP), SI
	MOVQ y+16(FP), DI
	MOVQ n+24(FP), CX
axpyloop32:
	CMPQ CX, $32
	JLT axpyloop8
	VMOVUPS (DI), Y4
	VMOVUPS 32(DI), Y5
	VMOVUPS 64(DI), Y6
	VMOVUPS 96(DI), Y7
	VFMADD231PS (SI), Y0, Y4
	VFMADD231PS 32(SI), Y0, Y5
	VFMADD231PS 64(SI), Y0, Y6
	VFMADD231PS 96(SI), Y0, Y7
	VMOVUPS Y4, (DI)
	VMOVUPS Y5, 32(DI)
	VMOVUPS Y6, 64(DI)
	VMOVUPS Y7, 96(DI)
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $32, CX
	JMP axpyloop32
axpyloop8:
	CMPQ CX, $8
	JLT axpyscalar
	VMOVUPS (DI), Y4
	VFMADD231PS (SI), Y0, Y4
	VMOVUPS Y4, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP axpyloop8
axpyscalar:
	TESTQ CX, CX
	JEQ axpydone
	VMOVSS (DI), X4
	VFMADD231SS (SI), X0, X4
	VMOVSS X4, (DI)
	ADDQ $4, SI
	ADDQ $4, DI
	DECQ CX
	JMP axpyscalar
axpydone:
	VZEROUPPER
	RET

// func readSumAVX2(p *byte, n int) uint64
// Streams n bytes (a multiple of 256) and returns a checksum, for
// bandwidth measurement.
TEXT ·readSumAVX2(SB), NOSPLIT, $0-24
	MOVQ p+0(FP), SI
	MOVQ n+8(FP), CX
	SHRQ $8, CX
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	VPXOR Y2, Y2, Y2
	VPXOR Y3, Y3, Y3
	TESTQ CX, CX
	JEQ rsdone
rsloop:
	VPADDQ (SI), Y0, Y0
	VPADDQ 32(SI), Y1, Y1
	VPADDQ 64(SI), Y2, Y2
	VPADDQ 96(SI), Y3, Y3
	VPADDQ 128(SI), Y0, Y0
	VPADDQ 160(SI), Y1, Y1
	VPADDQ 192(SI), Y2, Y2
	VPADDQ 224(SI), Y3, Y3
	ADDQ $256, SI
	DECQ CX
	JNE rsloop
rsdone:
	VPADDQ Y1, Y0, Y0
	VPADDQ Y3, Y2, Y2
	VPADDQ Y2, Y0, Y0
	VEXTRACTI128 $1, Y0, X1
	VPADDQ X1, X0, X0
	VPSHUFD $0x4e, X0, X1
	VPADDQ X1, X0, X0
	VMOVQ X0, AX
	VZEROUPPER
	MOVQ AX, ret+16(FP)
	RET

DATA q8perm<>+0x00(SB)/4, $0
DATA q8perm<>+0x04(SB)/4, $4
DATA q8perm<>+0x08(SB)/4, $1
DATA q8perm<>+0x0c(SB)/4, $5
DATA q8perm<>+0x10(SB)/4, $2
DATA q8perm<>+0x14(SB)/4, $6
DATA q8perm<>+0x18(SB)/4, $3
DATA q8perm<>+0x1c(SB)/4, $7
GLOBL q8perm<>(SB), RODATA|NOPTR, $32

// func quantQ8_0AVX2(x *float32, y *byte, nb int)
// Activation quantization as llama.cpp's AVX2 quantize_row_q8_0:
// d = amax/127, q = round-to-even(x * 127/amax).
TEXT ·quantQ8_0AVX2(SB), NOSPLIT, $0-24
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ nb+16(FP), CX
	MOVL $0x7fffffff, AX
	VMOVD AX, X7
	VPBROADCASTD X7, Y7
	MOVL $0x42fe0000, AX // 127.0
	VMOVD AX, X8
	VMOVDQU q8perm<>(SB), Y9
	TESTQ CX, CX
	JEQ qq8done
qq8loop:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS 64(SI), Y2
	VMOVUPS 96(SI), Y3
	VANDPS Y7, Y0, Y4
	VANDPS Y7, Y1, Y5
	VMAXPS Y5, Y4, Y4
	VANDPS Y7, Y2, Y5
	VMAXPS Y5, Y4, Y4
	VANDPS Y7, Y3, Y5
	VMAXPS Y5, Y4, Y4
	VEXTRACTF128 $1, Y4, X5
	VMAXPS X5, X4, X4
	VMOVHLPS X4, X4, X5
	VMAXPS X5, X4, X4
	VMOVSHDUP X4, X5
	VMAXSS X5, X4, X4
	VDIVSS X8, X4, X5
	VCVTPS2PH $0, X5, X5
	VMOVD X5, AX
	MOVW AX, (DI)
	VXORPS X6, X6, X6
	VUCOMISS X6, X4
	JEQ qq8scale
	VDIVSS X4, X8, X6
qq8scale:
	VBROADCASTSS X6, Y6
	VMULPS Y6, Y0, Y0
	VMULPS Y6, Y1, Y1
	VMULPS Y6, Y2, Y2
	VMULPS Y6, Y3, Y3
	VROUNDPS $0, Y0, Y0
	VROUNDPS $0, Y1, Y1
	VROUNDPS $0, Y2, Y2
	VROUNDPS $0, Y3, Y3
	VCVTPS2DQ Y0, Y0
	VCVTPS2DQ Y1, Y1
	VCVTPS2DQ Y2, Y2
	VCVTPS2DQ Y3, Y3
	VPACKSSDW Y1, Y0, Y0
	VPACKSSDW Y3, Y2, Y2
	VPACKSSWB Y2, Y0, Y0
	VPERMD Y0, Y9, Y0
	VMOVDQU Y0, 2(DI)
	ADDQ $128, SI
	ADDQ $34, DI
	DECQ CX
	JNE qq8loop
qq8done:
	VZEROUPPER
	RET

// Four-activation kernels for MatMul: one weight row against four
// activation rows (ystride bytes apart, Q8_0), whose block scales come as
// float32 from d (nb floats per row). The weight block is decoded once and
// used four times from registers.

#define X4ACT(yaddr, daddr, acc) \
	VMOVDQU yaddr, Y3; \
	VPSIGNB Y2, Y3, Y5; \
	VPMADDUBSW Y5, Y4, Y6; \
	VPMADDWD Y7, Y6, Y6; \
	VCVTDQ2PS Y6, Y6; \
	VBROADCASTSS daddr, Y3; \
	VMULPS Y1, Y3, Y3; \
	VFMADD231PS Y3, Y6, acc

#define X4BODY \
	VPSIGNB Y2, Y2, Y4; \
	X4ACT(2(DI), (DX), Y8); \
	X4ACT(2(DI)(R11*1), (DX)(R13*1), Y9); \
	X4ACT(2(DI)(R11*2), (DX)(R13*2), Y10); \
	X4ACT(2(DI)(R12*1), (DX)(R9*1), Y11)

#define X4PROLOGUE \
	LEAQ (R11)(R11*2), R12; \
	MOVQ CX, R13; \
	SHLQ $2, R13; \
	LEAQ (R13)(R13*2), R9; \
	VXORPS Y8, Y8, Y8; \
	VXORPS Y9, Y9, Y9; \
	VXORPS Y10, Y10, Y10; \
	VXORPS Y11, Y11, Y11; \
	VPCMPEQW Y7, Y7, Y7; \
	VPSRLW $15, Y7, Y7

#define HSUMTO(acc, xacc, off) \
	VEXTRACTF128 $1, acc, X12; \
	VADDPS X12, xacc, xacc; \
	VHADDPS xacc, xacc, xacc; \
	VHADDPS xacc, xacc, xacc; \
	VMOVSS xacc, off(R8)

#define X4EPILOGUE \
	HSUMTO(Y8, X8, 0); \
	HSUMTO(Y9, X9, 4); \
	HSUMTO(Y10, X10, 8); \
	HSUMTO(Y11, X11, 12); \
	VZEROUPPER

#define WSCALE \
	MOVWLZX (SI), AX; \
	VMOVD AX, X1; \
	VCVTPH2PS X1, X1; \
	VBROADCASTSS X1, Y1

// func dotQ8_0x4AVX2(x, y *byte, ystride int, d *float32, nb int, out *[4]float32)
TEXT ·dotQ8_0x4AVX2(SB), NOSPLIT, $0-48
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ ystride+16(FP), R11
	MOVQ d+24(FP), DX
	MOVQ nb+32(FP), CX
	MOVQ out+40(FP), R8
	X4PROLOGUE
	TESTQ CX, CX
	JEQ q80x4done
q80x4loop:
	WSCALE
	VMOVDQU 2(SI), Y2
	X4BODY
	ADDQ $34, SI
	ADDQ $34, DI
	ADDQ $4, DX
	DECQ CX
	JNE q80x4loop
q80x4done:
	X4EPILOGUE
	RET

// func dotQ4_0x4AVX2(x, y *byte, ystride int, d *float32, nb int, out *[4]float32)
TEXT ·dotQ4_0x4AVX2(SB), NOSPLIT, $0-48
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ ystride+16(FP), R11
	MOVQ d+24(FP), DX
	MOVQ nb+32(FP), CX
	MOVQ out+40(FP), R8
	X4PROLOGUE
	BCAST_BYTE(0x0f0f0f0f, Y14, X14)
	BCAST_BYTE(0x08080808, Y15, X15)
	TESTQ CX, CX
	JEQ q40x4done
q40x4loop:
	WSCALE
	VMOVDQU 2(SI), X2
	VPSRLW $4, X2, X3
	VINSERTI128 $1, X3, Y2, Y2
	VPAND Y14, Y2, Y2
	VPSUBB Y15, Y2, Y2
	X4BODY
	ADDQ $18, SI
	ADDQ $34, DI
	ADDQ $4, DX
	DECQ CX
	JNE q40x4loop
q40x4done:
	X4EPILOGUE
	RET

// func dotQ5_0x4AVX2(x, y *byte, ystride int, d *float32, nb int, out *[4]float32)
TEXT ·dotQ5_0x4AVX2(SB), NOSPLIT, $0-48
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ ystride+16(FP), R11
	MOVQ d+24(FP), DX
	MOVQ nb+32(FP), CX
	MOVQ out+40(FP), R8
	X4PROLOGUE
	BCAST_BYTE(0x0f0f0f0f, Y14, X14)
	VMOVDQU q5shuf<>(SB), Y13
	MOVQ $0x7fbfdfeff7fbfdfe, AX
	VMOVQ AX, X12
	VPBROADCASTQ X12, Y12
	TESTQ CX, CX
	JEQ q50x4done
q50x4loop:
	WSCALE
	MOVL 2(SI), AX
	VMOVD AX, X15
	VPBROADCASTD X15, Y15
	VPSHUFB Y13, Y15, Y15
	VPOR Y12, Y15, Y15
	VPCMPEQB Y6, Y6, Y6
	VPCMPEQB Y6, Y15, Y15
	VPSLLW $4, Y14, Y6 // 0xf0 bytes
	VPANDN Y6, Y15, Y15
	VMOVDQU 6(SI), X2
	VPSRLW $4, X2, X3
	VINSERTI128 $1, X3, Y2, Y2
	VPAND Y14, Y2, Y2
	VPOR Y15, Y2, Y2
	X4BODY
	ADDQ $22, SI
	ADDQ $34, DI
	ADDQ $4, DX
	DECQ CX
	JNE q50x4loop
q50x4done:
	X4EPILOGUE
	RET
