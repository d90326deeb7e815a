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

// Four-activation kernels (MatMul): one weight row against four Q8_K rows
// whose starts are in DI, BX, R12 and R13 (KX4PROLOGUE). Y0-Y3 accumulate
// floats, Y4-Y7 the integer sums of the current super-block; the quants
// are unpacked once for the four rows.

DATA k23w32<>+0x00(SB)/8, $0x0020002000200020
DATA k23w32<>+0x08(SB)/8, $0x0020002000200020
DATA k23w32<>+0x10(SB)/8, $0x0020002000200020
DATA k23w32<>+0x18(SB)/8, $0x0020002000200020
GLOBL k23w32<>(SB), RODATA|NOPTR, $32

#define K23X4ACT(yoff, P, isum) \
	VPMADDUBSW yoff(P), Y9, Y15; \
	VPMADDWD Y10, Y15, Y15; \
	VPADDD Y15, isum, isum

// K23X4QUARTER: the unsigned quants in Y9 against the four rows, weighted
// with the scales at soff(SP) and soff+2(SP).
#define K23X4QUARTER(yoff, soff) \
	VPBROADCASTD soff(SP), Y10; \
	VPSHUFB Y11, Y10, Y10; \
	K23X4ACT(yoff, DI, Y4); \
	K23X4ACT(yoff, BX, Y5); \
	K23X4ACT(yoff, R12, Y6); \
	K23X4ACT(yoff, R13, Y7)

#define Q2KX4HALF(qoff, yoff, soff) \
	VMOVDQU qoff(SI), Y13; \
	VPAND Y8, Y13, Y9; \
	K23X4QUARTER(yoff, soff); \
	VPSRLW $2, Y13, Y9; \
	VPAND Y8, Y9, Y9; \
	K23X4QUARTER(yoff+32, soff+4); \
	VPSRLW $4, Y13, Y9; \
	VPAND Y8, Y9, Y9; \
	K23X4QUARTER(yoff+64, soff+8); \
	VPSRLW $6, Y13, Y9; \
	VPAND Y8, Y9, Y9; \
	K23X4QUARTER(yoff+96, soff+12)

// Q2KX4FINAL adds dy·d·isum - dy·dmin·Σ min·bsum for the row at P.
#define Q2KX4FINAL(P, isum, facc) \
	VCVTDQ2PS isum, isum; \
	VBROADCASTSS (P), Y14; \
	VMULPS 64(SP), Y14, Y13; \
	VFMADD231PS Y13, isum, facc; \
	VMOVDQU 32(SP), Y13; \
	VPMADDWD 260(P), Y13, Y13; \
	VCVTDQ2PS Y13, Y13; \
	VMULPS 96(SP), Y14, Y14; \
	VFNMADD231PS Y14, Y13, facc

#define Q3KX4QUARTER(lsh, hop, hsh, yoff, soff) \
	VPSRLW $lsh, Y13, Y9; \
	VPAND Y8, Y9, Y9; \
	hop $hsh, Y14, Y10; \
	VPAND Y12, Y10, Y10; \
	VPOR Y10, Y9, Y9; \
	K23X4QUARTER(yoff, soff)

// Q3KX4FINAL takes 4·Σ scale·bsum off isum and adds dy·d·isum for the
// row at P.
#define Q3KX4FINAL(P, isum, facc) \
	VMOVDQU 0(SP), Y15; \
	VPMADDWD 260(P), Y15, Y15; \
	VPSLLD $2, Y15, Y15; \
	VPSUBD Y15, isum, isum; \
	VCVTDQ2PS isum, isum; \
	VBROADCASTSS (P), Y15; \
	VMULPS 32(SP), Y15, Y15; \
	VFMADD231PS Y15, isum, facc

// Per-dword shift counts that bring the high-bit pairs of scales j, j+4,
// j+8 and j+12 (bits 0-1, 2-3, 4-5, 6-7 of byte 8+j%4) to the bottom.
DATA k23hsh<>+0x00(SB)/4, $0
DATA k23hsh<>+0x04(SB)/4, $2
DATA k23hsh<>+0x08(SB)/4, $4
DATA k23hsh<>+0x0c(SB)/4, $6
GLOBL k23hsh<>(SB), RODATA|NOPTR, $16

DATA k23nib<>+0x00(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA k23nib<>+0x08(SB)/8, $0x0f0f0f0f0f0f0f0f
GLOBL k23nib<>(SB), RODATA|NOPTR, $16

// Q3K_SCALES unpacks a Q3_K block's sixteen 6-bit scales, less 32, into
// the int16 lanes of dst (as dequantize_row_q3_K's aux words): low four
// bits from the nibbles of scales[0..7] (low nibbles first), high two bits
// from scales[8..11]. It loads bytes 94-109 of the block (the scales are
// bytes 96-107, d 108-109) so as not to read past it, uses t1 and t2, and
// m03 holds 0x03 bytes.
#define Q3K_SCALES(dst, xdst, t1, t2, m03) \
	VMOVDQU 94(SI), xdst; \
	VPSRLDQ $2, xdst, xdst; \
	VPAND k23nib<>(SB), xdst, t1; \
	VPSRLW $4, xdst, t2; \
	VPAND k23nib<>(SB), t2, t2; \
	VPUNPCKLQDQ t2, t1, t1; \
	VPSHUFD $0xaa, xdst, t2; \
	VPSRLVD k23hsh<>(SB), t2, t2; \
	VPAND m03, t2, t2; \
	VPSLLW $4, t2, t2; \
	VPOR t2, t1, xdst; \
	VPMOVZXBW xdst, dst; \
	VPSUBW k23w32<>(SB), dst, dst

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

// func dotQ3_KAVX2(x, y *byte, nb int) float32
TEXT ·dotQ3_KAVX2(SB), NOSPLIT, $32-28
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ nb+16(FP), CX
	VXORPS Y0, Y0, Y0
	BCAST_BYTE(0x03030303, Y11, X11)
	BCAST_BYTE(0x04040404, Y13, X13)
	VMOVDQU k23shuf<>(SB), Y15
	TESTQ CX, CX
	JEQ q3kdone
q3kloop:
	PREFETCHT0 1024(SI)
	PREFETCHT0 1088(SI)
	Q3K_SCALES(Y7, X7, X1, X3, X11)
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

// func dotQ2_Kx4AVX2(x, y *byte, ystride int, nb int, out *[4]float32)
TEXT ·dotQ2_Kx4AVX2(SB), NOSPLIT, $128-40
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ ystride+16(FP), AX
	MOVQ nb+24(FP), CX
	KX4PROLOGUE
	BCAST_BYTE(0x03030303, Y8, X8)
	BCAST_BYTE(0x0f0f0f0f, Y12, X12)
	VMOVDQU k23shuf<>(SB), Y11
	TESTQ CX, CX
	JEQ q2kx4done
q2kx4loop:
	VMOVDQU (SI), X9
	VPAND X12, X9, X13
	VPMOVZXBW X13, Y13
	VMOVDQU Y13, 0(SP) // scales
	VPSRLW $4, X9, X13
	VPAND X12, X13, X13
	VPMOVZXBW X13, Y13
	VMOVDQU Y13, 32(SP) // mins
	MOVWLZX 80(SI), AX
	VMOVD AX, X13
	VCVTPH2PS X13, X13
	VBROADCASTSS X13, Y13
	VMOVUPS Y13, 64(SP) // d
	MOVWLZX 82(SI), AX
	VMOVD AX, X13
	VCVTPH2PS X13, X13
	VBROADCASTSS X13, Y13
	VMOVUPS Y13, 96(SP) // dmin
	VPXOR Y4, Y4, Y4
	VPXOR Y5, Y5, Y5
	VPXOR Y6, Y6, Y6
	VPXOR Y7, Y7, Y7
	Q2KX4HALF(16, 4, 0)
	Q2KX4HALF(48, 132, 16)
	Q2KX4FINAL(DI, Y4, Y0)
	Q2KX4FINAL(BX, Y5, Y1)
	Q2KX4FINAL(R12, Y6, Y2)
	Q2KX4FINAL(R13, Y7, Y3)
	ADDQ $84, SI
	ADDQ $292, DI
	ADDQ $292, BX
	ADDQ $292, R12
	ADDQ $292, R13
	DECQ CX
	JNE q2kx4loop
q2kx4done:
	MOVQ out+32(FP), R8
	KX4STORE
	RET

// func dotQ3_Kx4AVX2(x, y *byte, ystride int, nb int, out *[4]float32)
TEXT ·dotQ3_Kx4AVX2(SB), NOSPLIT, $64-40
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ ystride+16(FP), AX
	MOVQ nb+24(FP), CX
	KX4PROLOGUE
	BCAST_BYTE(0x03030303, Y8, X8)
	BCAST_BYTE(0x04040404, Y12, X12)
	VMOVDQU k23shuf<>(SB), Y11
	TESTQ CX, CX
	JEQ q3kx4done
q3kx4loop:
	Q3K_SCALES(Y9, X9, X10, X15, X8)
	VMOVDQU Y9, 0(SP)
	MOVWLZX 108(SI), AX
	VMOVD AX, X9
	VCVTPH2PS X9, X9
	VBROADCASTSS X9, Y9
	VMOVUPS Y9, 32(SP) // d
	VPXOR Y4, Y4, Y4
	VPXOR Y5, Y5, Y5
	VPXOR Y6, Y6, Y6
	VPXOR Y7, Y7, Y7
	VMOVDQU 0(SI), Y14 // hmask
	VMOVDQU 32(SI), Y13
	Q3KX4QUARTER(0, VPSLLW, 2, 4, 0)
	Q3KX4QUARTER(2, VPSLLW, 1, 36, 4)
	Q3KX4QUARTER(4, VPSRLW, 0, 68, 8)
	Q3KX4QUARTER(6, VPSRLW, 1, 100, 12)
	VMOVDQU 64(SI), Y13
	Q3KX4QUARTER(0, VPSRLW, 2, 132, 16)
	Q3KX4QUARTER(2, VPSRLW, 3, 164, 20)
	Q3KX4QUARTER(4, VPSRLW, 4, 196, 24)
	Q3KX4QUARTER(6, VPSRLW, 5, 228, 28)
	Q3KX4FINAL(DI, Y4, Y0)
	Q3KX4FINAL(BX, Y5, Y1)
	Q3KX4FINAL(R12, Y6, Y2)
	Q3KX4FINAL(R13, Y7, Y3)
	ADDQ $110, SI
	ADDQ $292, DI
	ADDQ $292, BX
	ADDQ $292, R12
	ADDQ $292, R13
	DECQ CX
	JNE q3kx4loop
q3kx4done:
	MOVQ out+32(FP), R8
	KX4STORE
	RET
