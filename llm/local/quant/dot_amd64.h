// Macros for dot_amd64.s.

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

// F16SCALE_S multiplies the f16 weight scale at xoff(SI) by the float32
// activation scale at doff(DX) and broadcasts the product into Y1.
#define F16SCALE_S(xoff, doff) \
	MOVWLZX xoff(SI), AX; \
	VMOVD AX, X1; \
	VCVTPH2PS X1, X1; \
	VMULSS doff(DX), X1, X1; \
	VBROADCASTSS X1, Y1

#define Q8_0_BLOCK(xoff, yoff, doff, acc) \
	F16SCALE_S(xoff, doff); \
	VMOVDQU (xoff+2)(SI), Y2; \
	SIGNED_DOT(yoff+2, acc)

#define Q4_0_BLOCK(xoff, yoff, doff, acc) \
	F16SCALE_S(xoff, doff); \
	VMOVDQU (xoff+2)(SI), X2; \
	VPSRLW $4, X2, X3; \
	VINSERTI128 $1, X3, Y2, Y2; \
	VPAND Y8, Y2, Y2; \
	VPSUBB Y9, Y2, Y2; \
	SIGNED_DOT(yoff+2, acc)

#define Q5_0_BLOCK(xoff, yoff, doff, acc) \
	F16SCALE_S(xoff, doff); \
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

// VNNI: VPDPBUSD replaces VPMADDUBSW+VPMADDWD (and cannot saturate).
#define X4ACTV(yaddr, daddr, acc) \
	VMOVDQU yaddr, Y3; \
	VPSIGNB Y2, Y3, Y5; \
	VPXOR Y6, Y6, Y6; \
	VPDPBUSD Y5, Y4, Y6; \
	VCVTDQ2PS Y6, Y6; \
	VBROADCASTSS daddr, Y3; \
	VMULPS Y1, Y3, Y3; \
	VFMADD231PS Y3, Y6, acc

#define X4BODYV \
	VPSIGNB Y2, Y2, Y4; \
	X4ACTV(2(DI), (DX), Y8); \
	X4ACTV(2(DI)(R11*1), (DX)(R13*1), Y9); \
	X4ACTV(2(DI)(R11*2), (DX)(R13*2), Y10); \
	X4ACTV(2(DI)(R12*1), (DX)(R9*1), Y11)

#define X4PROLOGUE \
	LEAQ (R11)(R11*2), R12; \
	MOVQ R11, R13; \
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

#define KX4PROLOGUE \
	LEAQ (DI)(AX*1), BX; \
	LEAQ (DI)(AX*2), R12; \
	LEAQ (BX)(AX*2), R13; \
	VXORPS Y0, Y0, Y0; \
	VXORPS Y1, Y1, Y1; \
	VXORPS Y2, Y2, Y2; \
	VXORPS Y3, Y3, Y3

#define KX4STORE \
	VEXTRACTF128 $1, Y0, X12; \
	VADDPS X12, X0, X0; \
	VHADDPS X0, X0, X0; \
	VHADDPS X0, X0, X0; \
	VMOVSS X0, 0(R8); \
	VEXTRACTF128 $1, Y1, X12; \
	VADDPS X12, X1, X1; \
	VHADDPS X1, X1, X1; \
	VHADDPS X1, X1, X1; \
	VMOVSS X1, 4(R8); \
	VEXTRACTF128 $1, Y2, X12; \
	VADDPS X12, X2, X2; \
	VHADDPS X2, X2, X2; \
	VHADDPS X2, X2, X2; \
	VMOVSS X2, 8(R8); \
	VEXTRACTF128 $1, Y3, X12; \
	VADDPS X12, X3, X3; \
	VHADDPS X3, X3, X3; \
	VHADDPS X3, X3, X3; \
	VMOVSS X3, 12(R8); \
	VZEROUPPER

#define Q4KX4ACT(yoff, P, isum) \
	VPMADDUBSW yoff(P), Y9, Y13; \
	VPMADDUBSW (yoff+32)(P), Y10, Y14; \
	VPMADDWD Y11, Y13, Y13; \
	VPMADDWD Y12, Y14, Y14; \
	VPADDD Y13, isum, isum; \
	VPADDD Y14, isum, isum

#define Q4KX4PAIR(qoff, yoff, soff) \
	VMOVDQU qoff(SI), Y9; \
	VPSRLW $4, Y9, Y10; \
	VPAND Y8, Y9, Y9; \
	VPAND Y8, Y10, Y10; \
	VPBROADCASTW soff(SP), Y11; \
	VPBROADCASTW (soff+2)(SP), Y12; \
	Q4KX4ACT(yoff, DI, Y4); \
	Q4KX4ACT(yoff, BX, Y5); \
	Q4KX4ACT(yoff, R12, Y6); \
	Q4KX4ACT(yoff, R13, Y7)

// d*dy*isum - dmin*dy*Σ min·bsum into facc, for the activation at P.
#define Q4KX4FINAL(P, isum, facc) \
	VBROADCASTSS (P), Y13; \
	VMULPS 32(SP), Y13, Y14; \
	VCVTDQ2PS isum, isum; \
	VFMADD231PS Y14, isum, facc; \
	VMULPS 64(SP), Y13, Y13; \
	VMOVDQU 260(P), Y15; \
	VEXTRACTI128 $1, Y15, X14; \
	VPHADDW X14, X15, X15; \
	VPMADDWD 16(SP), X15, X15; \
	VCVTDQ2PS X15, X15; \
	VFNMADD231PS Y13, Y15, facc

#define Q6KX4ACT(yoff, P, isum) \
	VPMADDUBSW yoff(P), Y9, Y15; \
	VPMADDWD Y10, Y15, Y15; \
	VPADDD Y15, isum, isum

#define Q6KX4QUARTER(yoff, soff) \
	VPBROADCASTD soff(SP), Y10; \
	VPSHUFB q6shuf<>(SB), Y10, Y10; \
	Q6KX4ACT(yoff, DI, Y4); \
	Q6KX4ACT(yoff, BX, Y5); \
	Q6KX4ACT(yoff, R12, Y6); \
	Q6KX4ACT(yoff, R13, Y7)

#define Q6KX4HALF(qloff, qhoff, yoff, soff) \
	VMOVDQU qloff(SI), Y11; \
	VMOVDQU (qloff+32)(SI), Y12; \
	VMOVDQU qhoff(SI), Y13; \
	VPAND Y8, Y11, Y9; \
	VPAND k6c03<>(SB), Y13, Y14; \
	VPSLLW $4, Y14, Y14; \
	VPOR Y14, Y9, Y9; \
	Q6KX4QUARTER(yoff, soff); \
	VPAND Y8, Y12, Y9; \
	VPAND k6c0c<>(SB), Y13, Y14; \
	VPSLLW $2, Y14, Y14; \
	VPOR Y14, Y9, Y9; \
	Q6KX4QUARTER(yoff+32, soff+4); \
	VPSRLW $4, Y11, Y9; \
	VPAND Y8, Y9, Y9; \
	VPAND k6c30<>(SB), Y13, Y14; \
	VPOR Y14, Y9, Y9; \
	Q6KX4QUARTER(yoff+64, soff+8); \
	VPSRLW $4, Y12, Y9; \
	VPAND Y8, Y9, Y9; \
	VPAND k6cc0<>(SB), Y13, Y14; \
	VPSRLW $2, Y14, Y14; \
	VPOR Y14, Y9, Y9; \
	Q6KX4QUARTER(yoff+96, soff+12)

#define Q6KX4FINAL(P, isum, facc) \
	VMOVDQU 0(SP), Y14; \
	VPMADDWD 260(P), Y14, Y14; \
	VPSLLD $5, Y14, Y14; \
	VPSUBD Y14, isum, isum; \
	VCVTDQ2PS isum, isum; \
	VBROADCASTSS (P), Y14; \
	VMULPS 32(SP), Y14, Y14; \
	VFMADD231PS Y14, isum, facc

// MS_TERM: macc += f16(xoff+2(SI)) * f16(yoff+2(DI)), the min times the
// activation block sum of Q4_1/Q5_1 with Q8_1.
#define MS_TERM(xoff, yoff, macc) \
	MOVWLZX (xoff+2)(SI), AX; \
	MOVWLZX (yoff+2)(DI), BX; \
	VMOVD AX, X2; \
	VMOVD BX, X3; \
	VCVTPH2PS X2, X2; \
	VCVTPH2PS X3, X3; \
	VFMADD231SS X3, X2, macc

// UNSIGNED_DOT: Y2 unsigned weight bytes times the activation at yoff(DI).
#define UNSIGNED_DOT(yoff, acc) \
	VPMADDUBSW yoff(DI), Y2, Y6; \
	VPMADDWD Y7, Y6, Y6; \
	VCVTDQ2PS Y6, Y6; \
	VFMADD231PS Y1, Y6, acc

#define Q4_1_BLOCK(xoff, yoff, acc, macc) \
	F16SCALE(xoff, yoff); \
	MS_TERM(xoff, yoff, macc); \
	VMOVDQU (xoff+4)(SI), X2; \
	VPSRLW $4, X2, X3; \
	VINSERTI128 $1, X3, Y2, Y2; \
	VPAND Y8, Y2, Y2; \
	UNSIGNED_DOT(yoff+4, acc)

#define Q5_1_BLOCK(xoff, yoff, acc, macc) \
	F16SCALE(xoff, yoff); \
	MS_TERM(xoff, yoff, macc); \
	MOVL (xoff+4)(SI), AX; \
	VMOVD AX, X10; \
	VPBROADCASTD X10, Y10; \
	VPSHUFB Y11, Y10, Y10; \
	VPOR Y12, Y10, Y10; \
	VPCMPEQB Y13, Y10, Y10; \
	VPAND Y9, Y10, Y10; \
	VMOVDQU (xoff+8)(SI), X2; \
	VPSRLW $4, X2, X3; \
	VINSERTI128 $1, X3, Y2, Y2; \
	VPAND Y8, Y2, Y2; \
	VPOR Y10, Y2, Y2; \
	UNSIGNED_DOT(yoff+4, acc)

// Q5KX4PAIR is Q4KX4PAIR with the fifth bits of sub-blocks 2j (bit sh of
// each qh byte) and 2j+1 (bit sh+1), qh at 16(SI).
#define Q5KX4PAIR(qoff, yoff, soff, sh) \
	VMOVDQU qoff(SI), Y9; \
	VPSRLW $4, Y9, Y10; \
	VPAND Y8, Y9, Y9; \
	VPAND Y8, Y10, Y10; \
	VMOVDQU 16(SI), Y13; \
	VPSRLW $sh, Y13, Y13; \
	VPAND k5c01<>(SB), Y13, Y14; \
	VPSLLW $4, Y14, Y14; \
	VPOR Y14, Y9, Y9; \
	VPSRLW $1, Y13, Y13; \
	VPAND k5c01<>(SB), Y13, Y13; \
	VPSLLW $4, Y13, Y13; \
	VPOR Y13, Y10, Y10; \
	VPBROADCASTW soff(SP), Y11; \
	VPBROADCASTW (soff+2)(SP), Y12; \
	Q4KX4ACT(yoff, DI, Y4); \
	Q4KX4ACT(yoff, BX, Y5); \
	Q4KX4ACT(yoff, R12, Y6); \
	Q4KX4ACT(yoff, R13, Y7)

// Eight-activation VNNI kernel with offset activations: the activation
// quants are stored as a+128 (unsigned), so VPDPBUSD takes them with the
// signed weights directly, starting from -128·Σw (Y4), which leaves Σ a·w.
#define X8ACTU(yaddr, daddr, acc) \
	VMOVDQU yaddr, Y3; \
	VMOVDQA Y4, Y6; \
	VPDPBUSD Y2, Y3, Y6; \
	VCVTDQ2PS Y6, Y6; \
	VBROADCASTSS daddr, Y7; \
	VMULPS Y1, Y7, Y7; \
	VFMADD231PS Y7, Y6, acc

#define X8BODYU \
	VPXOR Y4, Y4, Y4; \
	VPDPBUSD Y2, Y0, Y4; \
	VPXOR Y5, Y5, Y5; \
	VPSUBD Y4, Y5, Y4; \
	X8ACTU(2(DI), (DX), Y8); \
	X8ACTU(2(DI)(R11*1), (DX)(R11*1), Y9); \
	X8ACTU(2(DI)(R11*2), (DX)(R11*2), Y10); \
	X8ACTU(2(DI)(R12*1), (DX)(R12*1), Y11); \
	X8ACTU(2(R10), (BX), Y12); \
	X8ACTU(2(R10)(R11*1), (BX)(R11*1), Y13); \
	X8ACTU(2(R10)(R11*2), (BX)(R11*2), Y14); \
	X8ACTU(2(R10)(R12*1), (BX)(R12*1), Y15)

#define HSUMTO3(acc, xacc, off) \
	VEXTRACTF128 $1, acc, X3; \
	VADDPS X3, xacc, xacc; \
	VHADDPS xacc, xacc, xacc; \
	VHADDPS xacc, xacc, xacc; \
	VMOVSS xacc, off(R8)

// SIGNED_DOT_V is SIGNED_DOT with VNNI: VPDPBUSD does the byte products
// and their sums in one instruction.
#define SIGNED_DOT_V(yoff, acc) \
	VMOVDQU yoff(DI), Y3; \
	VPSIGNB Y2, Y2, Y4; \
	VPSIGNB Y2, Y3, Y5; \
	VPXOR Y6, Y6, Y6; \
	VPDPBUSD Y5, Y4, Y6; \
	VCVTDQ2PS Y6, Y6; \
	VFMADD231PS Y1, Y6, acc


#define Q8_0_BLOCKV(xoff, yoff, doff, acc) \
	F16SCALE_S(xoff, doff); \
	VMOVDQU (xoff+2)(SI), Y2; \
	SIGNED_DOT_V(yoff+2, acc)


#define Q4_0_BLOCKV(xoff, yoff, doff, acc) \
	F16SCALE_S(xoff, doff); \
	VMOVDQU (xoff+2)(SI), X2; \
	VPSRLW $4, X2, X3; \
	VINSERTI128 $1, X3, Y2, Y2; \
	VPAND Y8, Y2, Y2; \
	VPSUBB Y9, Y2, Y2; \
	SIGNED_DOT_V(yoff+2, acc)


// With AVX-512BW the fifth bits go straight into a mask register: add 16
// where the bit is set, subtract 16 everywhere.
#define Q5_0_BLOCKV(xoff, yoff, doff, acc) \
	F16SCALE_S(xoff, doff); \
	KMOVD (xoff+2)(SI), K1; \
	VMOVDQU (xoff+6)(SI), X2; \
	VPSRLW $4, X2, X3; \
	VINSERTI128 $1, X3, Y2, Y2; \
	VPAND Y8, Y2, Y2; \
	VPADDB Y9, Y2, K1, Y2; \
	VPSUBB Y9, Y2, Y2; \
	SIGNED_DOT_V(yoff+2, acc)

// KSCALE_SETUP_V is KSCALE_SETUP with the two F16 scales converted
// together: Y2 = d·dy broadcast, X3 = dmin·dy broadcast (the same
// products, so the same values).
#define KSCALE_SETUP_V \
	VBROADCASTSS (DI), X9; \
	VMOVD (SI), X2; \
	VCVTPH2PS X2, X2; \
	VMULPS X9, X2, X2; \
	VMOVSHDUP X2, X3; \
	VBROADCASTSS X2, Y2; \
	VBROADCASTSS X3, X3

// KSCALES_V stores the eight sub-block scales of R8 at 0(SP) as dwords
// holding the scale in both words, so that one VPBROADCASTD (a plain
// load) gives the scale in every word.
#define KSCALES_V \
	VMOVQ R8, X5; \
	VPMOVZXBW X5, X5; \
	VPUNPCKLWD X5, X5, X6; \
	VPUNPCKHWD X5, X5, X7; \
	VMOVDQU X6, 0(SP); \
	VMOVDQU X7, 16(SP)

// Q4K_PAIRV is Q4K_PAIR with VNNI: VPDPWSSD multiplies the int16 pair
// sums by the scale and adds them to Y4 in one instruction, giving the
// same int32 lanes as VPMADDWD and VPADDD.
// It accumulates into acc0 and acc1 (the caller rotates four
// accumulators and adds them up: integer sums, so the lanes are the same),
// which keeps VPDPWSSD's latency off the critical path.
#define Q4K_PAIRV(qoff, yoff, soff, acc0, acc1) \
	VMOVDQU qoff(SI), Y5; \
	VPSRLW $4, Y5, Y6; \
	VPAND Y8, Y5, Y5; \
	VPAND Y8, Y6, Y6; \
	VPMADDUBSW yoff(DI), Y5, Y5; \
	VPMADDUBSW (yoff+32)(DI), Y6, Y6; \
	VPBROADCASTD soff(SP), Y9; \
	VPBROADCASTD (soff+4)(SP), Y10; \
	VPDPWSSD Y9, Y5, acc0; \
	VPDPWSSD Y10, Y6, acc1

// KSCALES_VEC unpacks the 6-bit scales and mins of a Q4_K/Q5_K block at SI
// with vector operations (the 32-bit steps of KSCALES on all four dwords
// at once: the high bits of scales and mins 4-7 as (q >> 2) & 0x30, merged
// with the low ones in one VPTERNLOGD) and stores the scales at 0(SP) as
// KSCALES_V does, each as a dword holding it in both words (VPSHUFB with
// k4sclo and k4schi); it leaves the eight mins as words in X6 (k4mins).
// Needs X8 = 0x0f, X14 = 0x3f and X15 = 0x30 in every byte.
#define KSCALES_VEC \
	VMOVDQU 4(SI), X5; \
	VPAND X14, X5, X6; \
	VPSRLD $2, X5, X7; \
	VPAND X15, X7, X7; \
	VPSHUFD $0xaa, X5, X9; \
	VPSRLVD k4shift<>(SB), X9, X9; \
	VPTERNLOGD $0xd8, X8, X9, X7; \
	VPUNPCKLDQ X7, X6, X6; \
	VPSHUFB k4sclo<>(SB), X6, X7; \
	VPSHUFB k4schi<>(SB), X6, X5; \
	VMOVDQU X7, 0(SP); \
	VMOVDQU X5, 16(SP); \
	VPSHUFB k4mins<>(SB), X6, X6

// KMINS_V is KMINS with the mins already in X6 (KSCALES_VEC).
#define KMINS_V \
	VMOVDQU 260(DI), Y9; \
	VEXTRACTI128 $1, Y9, X10; \
	VPHADDW X10, X9, X9; \
	VPMADDWD X9, X6, X6; \
	VCVTDQ2PS X6, X6; \
	VFMADD231PS X3, X6, X1
