//go:build amd64 && !purego

#include "textflag.h"
#include "dot_amd64.h"

// AVX2 kernels for Q2_K and Q3_K weights against Q8_K activations. They
// compute, per block, the integer sums of dotQ2_KGeneric and
// dotQ3_KGeneric; only the float scaling and accumulation (in eight lanes,
// summed at the end) run in a different order.
//
// Each 32-byte register of quants covers two 16-element sub-blocks, one
// per 128-bit lane. The quants are taken unsigned (Q3_K's q+4, in 0..7) so
// that VPMADDUBSW multiplies them by the signed activation bytes (pair
// sums stay within int16); VPMADDWD then weights each lane's pairs with its
// sub-block's 16-bit scale, selected from a broadcast dword of two adjacent
// scales by k23shuf. Q3_K's offset of 4 comes off at the end of a block as
// 4·Σ scale·bsum, from the activation's block sums.

DATA k23shuf<>+0x00(SB)/8, $0x0100010001000100
DATA k23shuf<>+0x08(SB)/8, $0x0100010001000100
DATA k23shuf<>+0x10(SB)/8, $0x0302030203020302
DATA k23shuf<>+0x18(SB)/8, $0x0302030203020302
GLOBL k23shuf<>(SB), RODATA|NOPTR, $32

// K23_QUARTER multiplies the unsigned quants in Y9 by the 32 activation
// bytes at yoff(DI), weights the two lanes with the int16 scales at
// soff(SP) and soff+2(SP), and adds the eight int32 sums to Y4.
#define K23_QUARTER(yoff, soff) \
	VPMADDUBSW yoff(DI), Y9, Y9; \
	VPBROADCASTD soff(SP), Y10; \
	VPSHUFB Y15, Y10, Y10; \
	VPMADDWD Y10, Y9, Y9; \
	VPADDD Y9, Y4, Y4

// Q2K_HALF handles 128 elements: the 32 quant bytes at qoff(SI) hold four
// quarters of 32 elements in their bit pairs 0-1, 2-3, 4-5, 6-7.
#define Q2K_HALF(qoff, yoff, soff) \
	VMOVDQU qoff(SI), Y5; \
	VPAND Y11, Y5, Y9; \
	K23_QUARTER(yoff, soff); \
	VPSRLW $2, Y5, Y9; \
	VPAND Y11, Y9, Y9; \
	K23_QUARTER(yoff+32, soff+4); \
	VPSRLW $4, Y5, Y9; \
	VPAND Y11, Y9, Y9; \
	K23_QUARTER(yoff+64, soff+8); \
	VPSRLW $6, Y5, Y9; \
	VPAND Y11, Y9, Y9; \
	K23_QUARTER(yoff+96, soff+12)

// func dotQ2_KAVX2(x, y *byte, nb int) float32
TEXT ·dotQ2_KAVX2(SB), NOSPLIT, $32-28
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ nb+16(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	BCAST_BYTE(0x0f0f0f0f, Y8, X8)
	BCAST_BYTE(0x03030303, Y11, X11)
	VMOVDQU k23shuf<>(SB), Y15
	TESTQ CX, CX
	JEQ q2kdone
q2kloop:
	PREFETCHT0 1024(SI)
	PREFETCHT0 1088(SI)
	// scales (low nibbles) as int16 at 0(SP); mins (high nibbles) times
	// the block sums, pairwise, into Y7
	VMOVDQU (SI), X5
	VPAND X8, X5, X6
	VPMOVZXBW X6, Y6
	VMOVDQU Y6, 0(SP)
	VPSRLW $4, X5, X7
	VPAND X8, X7, X7
	VPMOVZXBW X7, Y7
	VPMADDWD 260(DI), Y7, Y7
	VPXOR Y4, Y4, Y4
	Q2K_HALF(16, 4, 0)
	Q2K_HALF(48, 132, 16)
	// dall = dy·d, dmin = dy·dmin
	VMOVSS (DI), X12
	MOVWLZX 80(SI), AX
	VMOVD AX, X2
	VCVTPH2PS X2, X2
	VMULSS X2, X12, X2
	VBROADCASTSS X2, Y2
	MOVWLZX 82(SI), AX
	VMOVD AX, X3
	VCVTPH2PS X3, X3
	VMULSS X3, X12, X3
	VBROADCASTSS X3, Y3
	VCVTDQ2PS Y4, Y4
	VFMADD231PS Y2, Y4, Y0
	VCVTDQ2PS Y7, Y7
	VFMADD231PS Y3, Y7, Y1
	ADDQ $84, SI
	ADDQ $292, DI
	DECQ CX
	JNE q2kloop
q2kdone:
	VSUBPS Y1, Y0, Y0
	HSUM8
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET

// Q3K_QUARTER forms the unsigned quants q+4 of one quarter: the bit pair
// of the quant bytes in Y5 that VPSRLW $lsh leaves lowest, plus 4 where
// the high-bit bytes in Y6, shifted by hop $hsh (bit b to bit 2), have
// bit 2 set. Shifting 16-bit words moves bits across the two bytes, but
// only into bit positions the masks clear.
#define Q3K_QUARTER(lsh, hop, hsh, yoff, soff) \
	VPSRLW $lsh, Y5, Y9; \
	VPAND Y11, Y9, Y9; \
	hop $hsh, Y6, Y10; \
	VPAND Y13, Y10, Y10; \
	VPOR Y10, Y9, Y9; \
	K23_QUARTER(yoff, soff)

// func dotQ3_KAVX2(x, y *byte, nb int) float32
TEXT ·dotQ3_KAVX2(SB), NOSPLIT, $32-28
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ nb+16(FP), CX
	VXORPS Y0, Y0, Y0
	BCAST_BYTE(0x03030303, Y11, X11)
	BCAST_BYTE(0x04040404, Y13, X13)
	MOVL $0x00200020, AX
	VMOVD AX, X14
	VPBROADCASTD X14, Y14 // int16 32s
	VMOVDQU k23shuf<>(SB), Y15
	TESTQ CX, CX
	JEQ q3kdone
q3kloop:
	PREFETCHT0 1024(SI)
	PREFETCHT0 1088(SI)
	// The sixteen 6-bit scales, as dequantize_row_q3_K unpacks them.
	MOVL 96(SI), AX
	MOVL 100(SI), BX
	MOVL 104(SI), DX
	MOVL AX, R8
	ANDL $0x0f0f0f0f, R8
	MOVL DX, R9
	ANDL $0x03030303, R9
	SHLL $4, R9
	ORL R9, R8 // scales 0-3
	MOVL BX, R10
	ANDL $0x0f0f0f0f, R10
	MOVL DX, R9
	SHRL $2, R9
	ANDL $0x03030303, R9
	SHLL $4, R9
	ORL R9, R10 // scales 4-7
	MOVL AX, R11
	SHRL $4, R11
	ANDL $0x0f0f0f0f, R11
	MOVL DX, R9
	SHRL $4, R9
	ANDL $0x03030303, R9
	SHLL $4, R9
	ORL R9, R11 // scales 8-11
	MOVL BX, R12
	SHRL $4, R12
	ANDL $0x0f0f0f0f, R12
	MOVL DX, R9
	SHRL $6, R9
	ANDL $0x03030303, R9
	SHLL $4, R9
	ORL R9, R12 // scales 12-15
	VMOVD R8, X7
	VPINSRD $1, R10, X7, X7
	VPINSRD $2, R11, X7, X7
	VPINSRD $3, R12, X7, X7
	VPMOVZXBW X7, Y7
	VPSUBW Y14, Y7, Y7 // signed scales
	VMOVDQU Y7, 0(SP)
	VPMADDWD 260(DI), Y7, Y7 // Σ scale·bsum, pairwise
	VPXOR Y4, Y4, Y4
	VMOVDQU 0(SI), Y6 // hmask
	VMOVDQU 32(SI), Y5
	Q3K_QUARTER(0, VPSLLW, 2, 4, 0)
	Q3K_QUARTER(2, VPSLLW, 1, 36, 4)
	Q3K_QUARTER(4, VPSRLW, 0, 68, 8)
	Q3K_QUARTER(6, VPSRLW, 1, 100, 12)
	VMOVDQU 64(SI), Y5
	Q3K_QUARTER(0, VPSRLW, 2, 132, 16)
	Q3K_QUARTER(2, VPSRLW, 3, 164, 20)
	Q3K_QUARTER(4, VPSRLW, 4, 196, 24)
	Q3K_QUARTER(6, VPSRLW, 5, 228, 28)
	VPSLLD $2, Y7, Y7
	VPSUBD Y7, Y4, Y4
	// d·dy
	VMOVSS (DI), X12
	MOVWLZX 108(SI), AX
	VMOVD AX, X2
	VCVTPH2PS X2, X2
	VMULSS X12, X2, X2
	VBROADCASTSS X2, Y2
	VCVTDQ2PS Y4, Y4
	VFMADD231PS Y2, Y4, Y0
	ADDQ $110, SI
	ADDQ $292, DI
	DECQ CX
	JNE q3kloop
q3kdone:
	HSUM8
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET
