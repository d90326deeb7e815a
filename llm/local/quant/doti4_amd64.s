//go:build amd64 && !purego

#include "textflag.h"
#include "dot_amd64.h"

// AVX2 kernels for IQ4_NL (against Q8_0 activations) and IQ4_XS (against
// Q8_K activations). They compute, per block, the integer sums of
// dotIQ4_NLGeneric and dotIQ4_XSGeneric; only the float scaling and
// accumulation (in eight lanes, summed at the end) run in a different
// order. The 4-bit quants become their signed levels with one VPSHUFB
// lookup in the 16 levels, broadcast to both 128-bit lanes.

// kvalues_iq4nl: -127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38,
// 53, 69, 89, 113.
DATA iq4levels<>+0x00(SB)/8, $0xf6eaddcfbfad9881
DATA iq4levels<>+0x08(SB)/8, $0x7159453526190d01
GLOBL iq4levels<>(SB), RODATA|NOPTR, $16

// IQ4_LEVELS loads the 16 quant bytes at qoff(SI) and leaves their 32
// signed levels in Y2 (low nibbles in the low lane, high nibbles in the
// high lane, as the elements are ordered); Y8 holds 0x0f bytes, Y9 the
// levels.
#define IQ4_LEVELS(qoff) \
	VMOVDQU qoff(SI), X2; \
	VPSRLW $4, X2, X3; \
	VINSERTI128 $1, X3, Y2, Y2; \
	VPAND Y8, Y2, Y2; \
	VPSHUFB Y2, Y9, Y2

#define IQ4_NL_BLOCK(xoff, yoff, doff, acc) \
	F16SCALE_S(xoff, doff); \
	IQ4_LEVELS(xoff+2); \
	SIGNED_DOT(yoff+2, acc)

// func dotIQ4_NLAVX2(x, y *byte, nb int) float32
TEXT ·dotIQ4_NLAVX2(SB), NOSPLIT, $0-28
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ nb+16(FP), CX
	IMUL3Q $34, CX, DX
	ADDQ DI, DX // the float32 activation scales follow the blocks
	VXORPS Y0, Y0, Y0
	VXORPS Y15, Y15, Y15
	VPCMPEQW Y7, Y7, Y7
	VPSRLW $15, Y7, Y7
	BCAST_BYTE(0x0f0f0f0f, Y8, X8)
	VBROADCASTI128 iq4levels<>(SB), Y9
iq4nlloop:
	CMPQ CX, $2
	JLT iq4nltail
	PREFETCHT0 1024(SI) // the weights stream from memory
	IQ4_NL_BLOCK(0, 0, 0, Y0)
	IQ4_NL_BLOCK(18, 34, 4, Y15)
	ADDQ $36, SI
	ADDQ $68, DI
	ADDQ $8, DX
	SUBQ $2, CX
	JMP iq4nlloop
iq4nltail:
	TESTQ CX, CX
	JEQ iq4nldone
	IQ4_NL_BLOCK(0, 0, 0, Y0)
iq4nldone:
	VADDPS Y15, Y0, Y0
	HSUM8
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET

// IQ4_XS_SUB adds sub-block ib's dot times its scale to the int32 lanes
// of Y4: lbyte and lshift locate the scale's low 4 bits in scales_l,
// hshift its high 2 bits in scales_h (R8); qoff and yoff are the quants'
// offsets in the weight and activation blocks.
#define IQ4_XS_SUB(lbyte, lshift, hshift, qoff, yoff) \
	MOVBLZX lbyte(SI), AX; \
	SHRL $lshift, AX; \
	ANDL $15, AX; \
	MOVL R8, BX; \
	SHRL $hshift, BX; \
	ANDL $3, BX; \
	SHLL $4, BX; \
	ORL BX, AX; \
	SUBL $32, AX; \
	VMOVD AX, X10; \
	VPBROADCASTW X10, Y10; \
	IQ4_LEVELS(qoff); \
	VMOVDQU yoff(DI), Y3; \
	VPSIGNB Y2, Y2, Y5; \
	VPSIGNB Y2, Y3, Y6; \
	VPMADDUBSW Y6, Y5, Y6; \
	VPMADDWD Y10, Y6, Y6; \
	VPADDD Y6, Y4, Y4

// func dotIQ4_XSAVX2(x, y *byte, nb int) float32
TEXT ·dotIQ4_XSAVX2(SB), NOSPLIT, $0-28
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ nb+16(FP), CX
	VXORPS Y0, Y0, Y0
	BCAST_BYTE(0x0f0f0f0f, Y8, X8)
	VBROADCASTI128 iq4levels<>(SB), Y9
	TESTQ CX, CX
	JEQ iq4xsdone
iq4xsloop:
	PREFETCHT0 1024(SI)
	PREFETCHT0 1088(SI)
	MOVWLZX 2(SI), R8
	VPXOR Y4, Y4, Y4
	IQ4_XS_SUB(4, 0, 0, 8, 4)
	IQ4_XS_SUB(4, 4, 2, 24, 36)
	IQ4_XS_SUB(5, 0, 4, 40, 68)
	IQ4_XS_SUB(5, 4, 6, 56, 100)
	IQ4_XS_SUB(6, 0, 8, 72, 132)
	IQ4_XS_SUB(6, 4, 10, 88, 164)
	IQ4_XS_SUB(7, 0, 12, 104, 196)
	IQ4_XS_SUB(7, 4, 14, 120, 228)
	// d·dy
	VMOVSS (DI), X12
	MOVWLZX 0(SI), AX
	VMOVD AX, X2
	VCVTPH2PS X2, X2
	VMULSS X12, X2, X2
	VBROADCASTSS X2, Y2
	VCVTDQ2PS Y4, Y4
	VFMADD231PS Y2, Y4, Y0
	ADDQ $136, SI
	ADDQ $292, DI
	DECQ CX
	JNE iq4xsloop
iq4xsdone:
	HSUM8
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET

// Four-activation kernels for MatMul: one weight row against four
// activation rows ystride bytes apart; the weight block is decoded once
// and used four times from registers. IQ4_XS's gives the single-row
// kernel's results bit for bit; IQ4_NL's, like Q4_0's, accumulates its
// blocks in one register where the single-row kernel alternates two.

// func dotIQ4_NLx4AVX2(x, y *byte, ystride int, d *byte, nb int, out *[4]float32)
TEXT ·dotIQ4_NLx4AVX2(SB), NOSPLIT, $0-48
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ ystride+16(FP), R11
	MOVQ d+24(FP), DX
	MOVQ nb+32(FP), CX
	MOVQ out+40(FP), R8
	X4PROLOGUE
	BCAST_BYTE(0x0f0f0f0f, Y14, X14)
	VBROADCASTI128 iq4levels<>(SB), Y15
	TESTQ CX, CX
	JEQ iq4nlx4done
iq4nlx4loop:
	WSCALE
	VMOVDQU 2(SI), X2
	VPSRLW $4, X2, X3
	VINSERTI128 $1, X3, Y2, Y2
	VPAND Y14, Y2, Y2
	VPSHUFB Y2, Y15, Y2
	X4BODY
	ADDQ $18, SI
	ADDQ $34, DI
	ADDQ $4, DX
	DECQ CX
	JNE iq4nlx4loop
iq4nlx4done:
	X4EPILOGUE
	RET

// IQ4XSX4_TOKEN adds the dot of the weight levels (|w| in Y11, w in Y12)
// with the 32 activation bytes at yoff(ptr), weighted by the sub-block
// scale in Y10, to the int32 lanes of acc.
#define IQ4XSX4_TOKEN(ptr, yoff, acc) \
	VMOVDQU yoff(ptr), Y13; \
	VPSIGNB Y12, Y13, Y13; \
	VPMADDUBSW Y13, Y11, Y13; \
	VPMADDWD Y10, Y13, Y13; \
	VPADDD Y13, acc, acc

// IQ4XSX4_SUB is IQ4_XS_SUB for the four activations at DI, BX, R12 and
// R13 (scales_h in R9).
#define IQ4XSX4_SUB(lbyte, lshift, hshift, qoff, yoff) \
	MOVBLZX lbyte(SI), AX; \
	SHRL $lshift, AX; \
	ANDL $15, AX; \
	MOVL R9, DX; \
	SHRL $hshift, DX; \
	ANDL $3, DX; \
	SHLL $4, DX; \
	ORL DX, AX; \
	SUBL $32, AX; \
	VMOVD AX, X10; \
	VPBROADCASTW X10, Y10; \
	VMOVDQU qoff(SI), X12; \
	VPSRLW $4, X12, X14; \
	VINSERTI128 $1, X14, Y12, Y12; \
	VPAND Y8, Y12, Y12; \
	VPSHUFB Y12, Y9, Y12; \
	VPSIGNB Y12, Y12, Y11; \
	IQ4XSX4_TOKEN(DI, yoff, Y4); \
	IQ4XSX4_TOKEN(BX, yoff, Y5); \
	IQ4XSX4_TOKEN(R12, yoff, Y6); \
	IQ4XSX4_TOKEN(R13, yoff, Y7)

// IQ4XSX4_FINAL scales the int32 lanes iacc by d (X15) times the
// activation scale at (ptr) and adds them to facc.
#define IQ4XSX4_FINAL(ptr, iacc, facc) \
	VMOVSS (ptr), X13; \
	VMULSS X13, X15, X13; \
	VBROADCASTSS X13, Y13; \
	VCVTDQ2PS iacc, iacc; \
	VFMADD231PS Y13, iacc, facc

// func dotIQ4_XSx4AVX2(x, y *byte, ystride int, nb int, out *[4]float32)
TEXT ·dotIQ4_XSx4AVX2(SB), NOSPLIT, $0-40
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ ystride+16(FP), AX
	MOVQ nb+24(FP), CX
	KX4PROLOGUE
	BCAST_BYTE(0x0f0f0f0f, Y8, X8)
	VBROADCASTI128 iq4levels<>(SB), Y9
	TESTQ CX, CX
	JEQ iq4xsx4done
iq4xsx4loop:
	MOVWLZX 2(SI), R9
	VPXOR Y4, Y4, Y4
	VPXOR Y5, Y5, Y5
	VPXOR Y6, Y6, Y6
	VPXOR Y7, Y7, Y7
	IQ4XSX4_SUB(4, 0, 0, 8, 4)
	IQ4XSX4_SUB(4, 4, 2, 24, 36)
	IQ4XSX4_SUB(5, 0, 4, 40, 68)
	IQ4XSX4_SUB(5, 4, 6, 56, 100)
	IQ4XSX4_SUB(6, 0, 8, 72, 132)
	IQ4XSX4_SUB(6, 4, 10, 88, 164)
	IQ4XSX4_SUB(7, 0, 12, 104, 196)
	IQ4XSX4_SUB(7, 4, 14, 120, 228)
	MOVWLZX 0(SI), AX
	VMOVD AX, X15
	VCVTPH2PS X15, X15
	IQ4XSX4_FINAL(DI, Y4, Y0)
	IQ4XSX4_FINAL(BX, Y5, Y1)
	IQ4XSX4_FINAL(R12, Y6, Y2)
	IQ4XSX4_FINAL(R13, Y7, Y3)
	ADDQ $136, SI
	ADDQ $292, DI
	ADDQ $292, BX
	ADDQ $292, R12
	ADDQ $292, R13
	DECQ CX
	JNE iq4xsx4loop
iq4xsx4done:
	MOVQ out+32(FP), R8
	KX4STORE
	RET
