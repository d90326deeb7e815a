//go:build amd64 && !purego

#include "textflag.h"
#include "dot_amd64.h"

// Four-row AVX-512 VNNI kernel for Q4_K against one Q8_K activation
// (decode). It runs the single-row VNNI kernel's arithmetic (dotQ4_KVNNI)
// for four rows at a time, with what that kernel does once per
// super-block and row done once per super-block for the four rows (the
// activation's quants, scale and block-sum pairs) or two rows at a time
// (the 6-bit scales and mins, one row per 128-bit lane). The
// weight scales come from f16Table (R13), the exact float32 value of
// every F16, as in the other row-group kernels. Every int32 lane and
// every float operation of each row is the single-row kernel's, so the
// results are bit-identical to it.
//
// (A four-row Q6_K kernel built the same way measured no faster than a
// single-row one: Q6_K's per-row work is almost all in the quants, which
// rows cannot share. Q6_K instead decodes two quarters per instruction in
// 512-bit registers, below.)

// Shift counts for the third scale dword of each row (one row per
// 128-bit lane): as it is (scales 4-7) and shifted right by 4 (mins 4-7).
DATA kr4shift<>+0x00(SB)/4, $0
DATA kr4shift<>+0x04(SB)/4, $4
DATA kr4shift<>+0x08(SB)/4, $0
DATA kr4shift<>+0x0c(SB)/4, $0
DATA kr4shift<>+0x10(SB)/4, $0
DATA kr4shift<>+0x14(SB)/4, $4
DATA kr4shift<>+0x18(SB)/4, $0
DATA kr4shift<>+0x1c(SB)/4, $0
GLOBL kr4shift<>(SB), RODATA|NOPTR, $32

// VPSHUFB controls on the unpacked bytes of a row (scales 0-7 in bytes
// 0-7, mins 0-7 in bytes 8-15 of each lane): scales 0-3 (kr4sclo) and
// 4-7 (kr4schi) as dwords holding the scale in both words, for VPDPWSSD's
// dword broadcast; the mins as words (kr4mins).
DATA kr4sclo<>+0x00(SB)/8, $0x8001800180008000
DATA kr4sclo<>+0x08(SB)/8, $0x8003800380028002
DATA kr4sclo<>+0x10(SB)/8, $0x8001800180008000
DATA kr4sclo<>+0x18(SB)/8, $0x8003800380028002
GLOBL kr4sclo<>(SB), RODATA|NOPTR, $32
DATA kr4schi<>+0x00(SB)/8, $0x8005800580048004
DATA kr4schi<>+0x08(SB)/8, $0x8007800780068006
DATA kr4schi<>+0x10(SB)/8, $0x8005800580048004
DATA kr4schi<>+0x18(SB)/8, $0x8007800780068006
GLOBL kr4schi<>(SB), RODATA|NOPTR, $32
DATA kr4mins<>+0x00(SB)/8, $0x800b800a80098008
DATA kr4mins<>+0x08(SB)/8, $0x800f800e800d800c
DATA kr4mins<>+0x10(SB)/8, $0x800b800a80098008
DATA kr4mins<>+0x18(SB)/8, $0x800f800e800d800c
GLOBL kr4mins<>(SB), RODATA|NOPTR, $32
DATA kr4m3f<>+0x00(SB)/4, $0x3f3f3f3f
GLOBL kr4m3f<>(SB), RODATA|NOPTR, $4
DATA kr4m30<>+0x00(SB)/4, $0x30303030
GLOBL kr4m30<>(SB), RODATA|NOPTR, $4

// Q4KR4SCALES unpacks the scales and mins of rows ra and rb (addresses of
// their super-block) as KSCALES_VEC does, row ra in the low lane and rb in
// the high: the scales go to so(SP) (scales 0-3 of ra, then of rb) and
// so+32(SP) (scales 4-7), and the min term, Σ min·(block-sum pair) (Y30)
// times dmin·dy (Y31 holds dy), is added to macc (ra's four lanes low, rb's
// high). Needs Y8 = 0x0f in every byte and K1 = 0xf0 (the high lane).
#define Q4KR4SCALES(ra, rb, so, macc) \
	VMOVDQU 4+ra, X0; \
	VINSERTI128 $1, 4+rb, Y0, Y0; \
	VPANDD.BCST kr4m3f<>(SB), Y0, Y1; \
	VPSRLD $2, Y0, Y2; \
	VPANDD.BCST kr4m30<>(SB), Y2, Y2; \
	VPSHUFD $0xaa, Y0, Y3; \
	VPSRLVD kr4shift<>(SB), Y3, Y3; \
	VPTERNLOGD $0xd8, Y8, Y3, Y2; \
	VPUNPCKLDQ Y2, Y1, Y1; \
	VPSHUFB kr4sclo<>(SB), Y1, Y2; \
	VPSHUFB kr4schi<>(SB), Y1, Y3; \
	VMOVDQU Y2, so(SP); \
	VMOVDQU Y3, so+32(SP); \
	VPSHUFB kr4mins<>(SB), Y1, Y1; \
	VPMADDWD Y30, Y1, Y1; \
	VCVTDQ2PS Y1, Y1; \
	MOVWLZX 2+ra, AX; \
	MOVWLZX 2+rb, BX; \
	VBROADCASTSS (R13)(AX*4), Y2; \
	VBROADCASTSS (R13)(BX*4), K1, Y2; \
	VMULPS Y31, Y2, Y2; \
	VFMADD231PS Y2, Y1, macc

// Q4KR4PAIR adds the two sub-blocks in the 32 quant bytes at qo+r, with
// the activation in ylo and yhi, into acc, the scales broadcast from
// sa(SP) and sb(SP).
#define Q4KR4PAIR(qo, ylo, yhi, r, sa, sb, acc) \
	VMOVDQU qo+r, Y4; \
	VPSRLW $4, Y4, Y5; \
	VPAND Y8, Y4, Y4; \
	VPAND Y8, Y5, Y5; \
	VPMADDUBSW ylo, Y4, Y4; \
	VPMADDUBSW yhi, Y5, Y5; \
	VPDPWSSD.BCST sa(SP), Y4, acc; \
	VPDPWSSD.BCST sb(SP), Y5, acc

// Q4KR4J adds sub-blocks 2j and 2j+1 of the four rows (quants at qo,
// activation in ylo and yhi, scales of row A at so(SP)) into their int32
// accumulators (Y20-Y23), the four rows in turn so that each
// accumulator's chain of VPDPWSSDs has three rows' work between its
// links. (Integer sums: any order gives the single-row kernel's lanes.)
#define Q4KR4J(qo, ylo, yhi, so) \
	Q4KR4PAIR(qo, ylo, yhi, 0(SI), so, so+4, Y20); \
	Q4KR4PAIR(qo, ylo, yhi, 0(SI)(R8*1), so+16, so+20, Y21); \
	Q4KR4PAIR(qo, ylo, yhi, 0(SI)(R8*2), so+64, so+68, Y22); \
	Q4KR4PAIR(qo, ylo, yhi, 0(SI)(R9*1), so+80, so+84, Y23)

// Q4KR4FIN adds d·dy times row r's int32 lanes into facc.
#define Q4KR4FIN(r, acc, facc) \
	VCVTDQ2PS acc, acc; \
	MOVWLZX r, AX; \
	VMULPS.BCST (R13)(AX*4), Y31, Y4; \
	VFMADD231PS Y4, acc, facc

// KR4SUM writes facc minus the min lanes in X0 (upper lanes zero), summed
// as HSUM8 sums, to off(R10).
#define KR4SUM(facc, off) \
	VSUBPS Y0, facc, Y0; \
	VEXTRACTF128 $1, Y0, X1; \
	VADDPS X1, X0, X0; \
	VHADDPS X0, X0, X0; \
	VHADDPS X0, X0, X0; \
	VMOVSS X0, off(R10)

// func dotQ4_KR4VNNI(x *byte, xstride int, y *byte, nb int, out *[4]float32)
TEXT ·dotQ4_KR4VNNI(SB), NOSPLIT, $128-40
	MOVQ x+0(FP), SI
	MOVQ xstride+8(FP), R8
	MOVQ y+16(FP), DI
	MOVQ nb+24(FP), CX
	MOVQ out+32(FP), R10
	LEAQ (R8)(R8*2), R9
	MOVQ ·f16Table(SB), R13
	BCAST_BYTE(0x0f0f0f0f, Y8, X8)
	VPXORD Y16, Y16, Y16
	VPXORD Y17, Y17, Y17
	VPXORD Y18, Y18, Y18
	VPXORD Y19, Y19, Y19
	VPXORD Y28, Y28, Y28
	VPXORD Y29, Y29, Y29
	MOVL $0xf0, AX
	KMOVW AX, K1
	TESTQ CX, CX
	JEQ q4kr4done
q4kr4loop:
	// The next four rows stream in while these are summed: two of the
	// 2.25 cache lines a super-block takes (the adjacent-line prefetcher
	// brings most of the rest; a third line measured no faster from
	// memory and slower from cache).
	LEAQ (SI)(R8*4), R11
	PREFETCHT0 (R11)
	PREFETCHT0 64(R11)
	PREFETCHT0 (R11)(R8*1)
	PREFETCHT0 64(R11)(R8*1)
	PREFETCHT0 (R11)(R8*2)
	PREFETCHT0 64(R11)(R8*2)
	PREFETCHT0 (R11)(R9*1)
	PREFETCHT0 64(R11)(R9*1)
	VBROADCASTSS (DI), Y31
	VMOVDQU 260(DI), Y0
	VPHADDW Y0, Y0, Y0
	VPERMQ $0x88, Y0, Y30
	VMOVDQU 4(DI), Y6
	VMOVDQU 36(DI), Y7
	VMOVDQU 68(DI), Y9
	VMOVDQU 100(DI), Y10
	VMOVDQU 132(DI), Y11
	VMOVDQU 164(DI), Y12
	VMOVDQU 196(DI), Y13
	VMOVDQU 228(DI), Y14
	// Rows C and D's scales are unpacked while rows A and B start on
	// their first sub-blocks.
	Q4KR4SCALES(0(SI), 0(SI)(R8*1), 0, Y28)
	VPXORD Y20, Y20, Y20
	VPXORD Y21, Y21, Y21
	VPXORD Y22, Y22, Y22
	VPXORD Y23, Y23, Y23
	Q4KR4PAIR(16, Y6, Y7, 0(SI), 0, 4, Y20)
	Q4KR4PAIR(16, Y6, Y7, 0(SI)(R8*1), 16, 20, Y21)
	Q4KR4SCALES(0(SI)(R8*2), 0(SI)(R9*1), 64, Y29)
	Q4KR4PAIR(16, Y6, Y7, 0(SI)(R8*2), 64, 68, Y22)
	Q4KR4PAIR(16, Y6, Y7, 0(SI)(R9*1), 80, 84, Y23)
	Q4KR4J(48, Y9, Y10, 8)
	Q4KR4J(80, Y11, Y12, 32)
	Q4KR4J(112, Y13, Y14, 40)
	Q4KR4FIN(0(SI), Y20, Y16)
	Q4KR4FIN(0(SI)(R8*1), Y21, Y17)
	Q4KR4FIN(0(SI)(R8*2), Y22, Y18)
	Q4KR4FIN(0(SI)(R9*1), Y23, Y19)
	ADDQ $144, SI
	ADDQ $292, DI
	DECQ CX
	JNE q4kr4loop
q4kr4done:
	VMOVAPS X28, X0
	KR4SUM(Y16, 0)
	VEXTRACTF32X4 $1, Y28, X0
	KR4SUM(Y17, 4)
	VMOVAPS X29, X0
	KR4SUM(Y18, 8)
	VEXTRACTF32X4 $1, Y29, X0
	KR4SUM(Y19, 12)
	VPXORD Y16, Y16, Y16
	VPXORD Y17, Y17, Y17
	VPXORD Y18, Y18, Y18
	VPXORD Y19, Y19, Y19
	VPXORD Y20, Y20, Y20
	VPXORD Y21, Y21, Y21
	VPXORD Y22, Y22, Y22
	VPXORD Y23, Y23, Y23
	VPXORD Y28, Y28, Y28
	VPXORD Y29, Y29, Y29
	VPXORD Y30, Y30, Y30
	VPXORD Y31, Y31, Y31
	VZEROUPPER
	RET


// Single-row Q6_K kernel in 512-bit registers: a half super-block's 64
// ql bytes fill one ZMM, and its 32 qh bytes are broadcast to both halves
// and masked with 0x33 (low half: quarters 0 and 2) and 0xcc (high half:
// quarters 1 and 3), so one variable shift and one VPTERNLOGD decode two
// quarters at once: [quarter 0 | quarter 1] and [quarter 2 | quarter 3],
// each against 64 contiguous activation bytes. Each 128-bit lane then
// holds one 16-quant group, and one VPSHUFB spreads four groups' scales
// over the four lanes. The lanes of groups of the same parity (the low
// and the high half of the AVX2 kernel's eight int32 lanes, dotQ6_KAVX2)
// are added at the end of the super-block, which gives that kernel's
// int32 lanes (it subtracts the offset's share, 32·Σ scale·block-sum, in
// the same lanes); the float operations are its own, so the result is
// bit-identical to it. The scale d comes from f16Table (R13).
DATA kzq6mask<>+0x00(SB)/8, $0x3333333333333333
DATA kzq6mask<>+0x08(SB)/8, $0x3333333333333333
DATA kzq6mask<>+0x10(SB)/8, $0x3333333333333333
DATA kzq6mask<>+0x18(SB)/8, $0x3333333333333333
DATA kzq6mask<>+0x20(SB)/8, $0xcccccccccccccccc
DATA kzq6mask<>+0x28(SB)/8, $0xcccccccccccccccc
DATA kzq6mask<>+0x30(SB)/8, $0xcccccccccccccccc
DATA kzq6mask<>+0x38(SB)/8, $0xcccccccccccccccc
GLOBL kzq6mask<>(SB), RODATA|NOPTR, $64
DATA kzq6shl<>+0x00(SB)/8, $4
DATA kzq6shl<>+0x08(SB)/8, $4
DATA kzq6shl<>+0x10(SB)/8, $4
DATA kzq6shl<>+0x18(SB)/8, $4
DATA kzq6shl<>+0x20(SB)/8, $2
DATA kzq6shl<>+0x28(SB)/8, $2
DATA kzq6shl<>+0x30(SB)/8, $2
DATA kzq6shl<>+0x38(SB)/8, $2
GLOBL kzq6shl<>(SB), RODATA|NOPTR, $64
DATA kzq6shr<>+0x00(SB)/8, $0
DATA kzq6shr<>+0x08(SB)/8, $0
DATA kzq6shr<>+0x10(SB)/8, $0
DATA kzq6shr<>+0x18(SB)/8, $0
DATA kzq6shr<>+0x20(SB)/8, $2
DATA kzq6shr<>+0x28(SB)/8, $2
DATA kzq6shr<>+0x30(SB)/8, $2
DATA kzq6shr<>+0x38(SB)/8, $2
GLOBL kzq6shr<>(SB), RODATA|NOPTR, $64
// Word l of the four scale words in every qword, spread over lane l.
DATA kzq6sc<>+0x00(SB)/8, $0x0100010001000100
DATA kzq6sc<>+0x08(SB)/8, $0x0100010001000100
DATA kzq6sc<>+0x10(SB)/8, $0x0302030203020302
DATA kzq6sc<>+0x18(SB)/8, $0x0302030203020302
DATA kzq6sc<>+0x20(SB)/8, $0x0504050405040504
DATA kzq6sc<>+0x28(SB)/8, $0x0504050405040504
DATA kzq6sc<>+0x30(SB)/8, $0x0706070607060706
DATA kzq6sc<>+0x38(SB)/8, $0x0706070607060706
GLOBL kzq6sc<>(SB), RODATA|NOPTR, $64

// KZQ6HALF adds half a super-block (ql at qlo(SI), qh at qho(SI), the
// activation at yo(DI), scale words at so(SP)) into Z20 (quarters 0|1)
// and Z21 (quarters 2|3) with op (VPMADDWD for the first half, which sets
// Z21; VPDPWSSD for the second, which adds).
#define KZQ6HALF(qlo, qho, yo, so, op) \
	VMOVDQU64 qlo(SI), Z5; \
	VBROADCASTI64X4 qho(SI), Z7; \
	VPANDD Z11, Z7, Z7; \
	VPSLLVQ Z12, Z7, Z9; \
	VPTERNLOGD $0xd8, Z8, Z5, Z9; \
	VPSRLW $4, Z5, Z10; \
	VPSRLVQ Z13, Z7, Z6; \
	VPTERNLOGD $0xd8, Z8, Z10, Z6; \
	VPMADDUBSW yo(DI), Z9, Z9; \
	VPBROADCASTQ so(SP), Z14; \
	VPSHUFB Z15, Z14, Z14; \
	VPDPWSSD Z14, Z9, Z20; \
	VPMADDUBSW (yo+64)(DI), Z6, Z6; \
	VPBROADCASTQ (so+8)(SP), Z14; \
	VPSHUFB Z15, Z14, Z14; \
	op Z14, Z6, Z21

// func dotQ6_KZVNNI(x, y *byte, nb int) float32
TEXT ·dotQ6_KZVNNI(SB), NOSPLIT, $32-28
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ nb+16(FP), CX
	MOVQ ·f16Table(SB), R13
	VXORPS Y0, Y0, Y0
	MOVL $0x0f0f0f0f, AX
	VPBROADCASTD AX, Z8
	MOVL $0xffe0ffe0, AX
	VPBROADCASTD AX, Y4
	VMOVDQU64 kzq6mask<>(SB), Z11
	VMOVDQU64 kzq6shl<>(SB), Z12
	VMOVDQU64 kzq6shr<>(SB), Z13
	VMOVDQU64 kzq6sc<>(SB), Z15
	TESTQ CX, CX
	JEQ q6kzdone
q6kzloop:
	PREFETCHT0 1024(SI)
	PREFETCHT0 1088(SI)
	PREFETCHT0 1152(SI)
	PREFETCHT0 1216(SI)
	VBROADCASTSS (DI), Y1
	MOVWLZX 208(SI), AX
	VMULPS.BCST (R13)(AX*4), Y1, Y2
	VPMOVSXBW 192(SI), Y3
	VMOVDQU Y3, 0(SP)
	// The sums start from -32·Σ scale·block-sum in the low eight lanes
	// (the quants are taken unsigned, q+32; the scales times -32, Y4,
	// fit in int16), zero in the high eight (a 256-bit write clears
	// them).
	VPMULLW Y4, Y3, Y3
	VPMADDWD 260(DI), Y3, Y20
	KZQ6HALF(0, 128, 4, 0, VPMADDWD)
	KZQ6HALF(64, 160, 132, 16, VPDPWSSD)
	VPADDD Z21, Z20, Z20
	VEXTRACTI64X4 $1, Z20, Y5
	VPADDD Y5, Y20, Y5
	VCVTDQ2PS Y5, Y5
	VFMADD231PS Y2, Y5, Y0
	ADDQ $210, SI
	ADDQ $292, DI
	DECQ CX
	JNE q6kzloop
q6kzdone:
	HSUM8
	VPXORD Z20, Z20, Z20
	VPXORD Z21, Z21, Z21
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET
