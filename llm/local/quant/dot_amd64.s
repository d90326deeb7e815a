//go:build amd64 && !purego

#include "textflag.h"
#include "dot_amd64.h"

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

// Shift counts that leave the low 128 bits of a broadcast 16-byte block
// as they are and shift the high 128 bits right by 4: low nibbles below,
// high nibbles above (after masking with 0x0f), in one VPSRLVQ.
DATA nibshift<>+0x00(SB)/8, $0
DATA nibshift<>+0x08(SB)/8, $0
DATA nibshift<>+0x10(SB)/8, $4
DATA nibshift<>+0x18(SB)/8, $4
GLOBL nibshift<>(SB), RODATA|NOPTR, $32

// The 32-element kernels run two blocks per iteration into two
// accumulators (Y0, Y15) to hide the FMA latency.

// func dotQ8_0AVX2(x, y *byte, nb int) float32
TEXT ·dotQ8_0AVX2(SB), NOSPLIT, $0-28
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ nb+16(FP), CX
	IMUL3Q $34, CX, DX
	ADDQ DI, DX // the float32 activation scales follow the blocks
	VXORPS Y0, Y0, Y0
	VXORPS Y15, Y15, Y15
	VPCMPEQW Y7, Y7, Y7
	VPSRLW $15, Y7, Y7
q80loop:
	CMPQ CX, $2
	JLT q80tail
	PREFETCHT0 1024(SI) // the weights stream from memory
	Q8_0_BLOCK(0, 0, 0, Y0)
	Q8_0_BLOCK(34, 34, 4, Y15)
	ADDQ $68, SI
	ADDQ $68, DI
	ADDQ $8, DX
	SUBQ $2, CX
	JMP q80loop
q80tail:
	TESTQ CX, CX
	JEQ q80done
	Q8_0_BLOCK(0, 0, 0, Y0)
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
	IMUL3Q $34, CX, DX
	ADDQ DI, DX // the float32 activation scales follow the blocks
	VXORPS Y0, Y0, Y0
	VXORPS Y15, Y15, Y15
	VPCMPEQW Y7, Y7, Y7
	VPSRLW $15, Y7, Y7
	BCAST_BYTE(0x0f0f0f0f, Y8, X8)
	BCAST_BYTE(0x08080808, Y9, X9)
q40loop:
	CMPQ CX, $2
	JLT q40tail
	PREFETCHT0 1024(SI) // the weights stream from memory
	Q4_0_BLOCK(0, 0, 0, Y0)
	Q4_0_BLOCK(18, 34, 4, Y15)
	ADDQ $36, SI
	ADDQ $68, DI
	ADDQ $8, DX
	SUBQ $2, CX
	JMP q40loop
q40tail:
	TESTQ CX, CX
	JEQ q40done
	Q4_0_BLOCK(0, 0, 0, Y0)
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
	IMUL3Q $34, CX, DX
	ADDQ DI, DX // the float32 activation scales follow the blocks
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
	PREFETCHT0 1024(SI) // the weights stream from memory
	Q5_0_BLOCK(0, 0, 0, Y0)
	Q5_0_BLOCK(22, 34, 4, Y15)
	ADDQ $44, SI
	ADDQ $68, DI
	ADDQ $8, DX
	SUBQ $2, CX
	JMP q50loop
q50tail:
	TESTQ CX, CX
	JEQ q50done
	Q5_0_BLOCK(0, 0, 0, Y0)
q50done:
	VADDPS Y15, Y0, Y0
	HSUM8
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET

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
	PREFETCHT0 1024(SI)
	PREFETCHT0 1088(SI)
	PREFETCHT0 1152(SI)
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
	PREFETCHT0 1024(SI)
	PREFETCHT0 1088(SI)
	PREFETCHT0 1152(SI)
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
	PREFETCHT0 1024(SI)
	PREFETCHT0 1088(SI)
	PREFETCHT0 1152(SI)
	PREFETCHT0 1216(SI)
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

// func dotF32AVX2(x, y *byte, n int) float32
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

// func dotF16AVX2(x, y *byte, n int) float32
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

// func dotBF16AVX2(x, y *byte, n int) float32
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

// func dotQ8_0x4AVX2(x, y *byte, ystride int, d *byte, nb int, out *[4]float32)
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

// func dotQ4_0x4AVX2(x, y *byte, ystride int, d *byte, nb int, out *[4]float32)
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

// func dotQ5_0x4AVX2(x, y *byte, ystride int, d *byte, nb int, out *[4]float32)
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

// func dotQ8_0x4VNNI(x, y *byte, ystride int, d *byte, nb int, out *[4]float32)
TEXT ·dotQ8_0x4VNNI(SB), NOSPLIT, $0-48
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ ystride+16(FP), R11
	MOVQ d+24(FP), DX
	MOVQ nb+32(FP), CX
	MOVQ out+40(FP), R8
	X4PROLOGUE
	TESTQ CX, CX
	JEQ q80x4vdone
q80x4vloop:
	WSCALE
	VMOVDQU 2(SI), Y2
	X4BODYV
	ADDQ $34, SI
	ADDQ $34, DI
	ADDQ $4, DX
	DECQ CX
	JNE q80x4vloop
q80x4vdone:
	X4EPILOGUE
	RET

// func dotQ4_0x4VNNI(x, y *byte, ystride int, d *byte, nb int, out *[4]float32)
TEXT ·dotQ4_0x4VNNI(SB), NOSPLIT, $0-48
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
	JEQ q40x4vdone
q40x4vloop:
	WSCALE
	VMOVDQU 2(SI), X2
	VPSRLW $4, X2, X3
	VINSERTI128 $1, X3, Y2, Y2
	VPAND Y14, Y2, Y2
	VPSUBB Y15, Y2, Y2
	X4BODYV
	ADDQ $18, SI
	ADDQ $34, DI
	ADDQ $4, DX
	DECQ CX
	JNE q40x4vloop
q40x4vdone:
	X4EPILOGUE
	RET

// func dotQ5_0x4VNNI(x, y *byte, ystride int, d *byte, nb int, out *[4]float32)
TEXT ·dotQ5_0x4VNNI(SB), NOSPLIT, $0-48
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
	JEQ q50x4vdone
q50x4vloop:
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
	X4BODYV
	ADDQ $22, SI
	ADDQ $34, DI
	ADDQ $4, DX
	DECQ CX
	JNE q50x4vloop
q50x4vdone:
	X4EPILOGUE
	RET

// K-quant four-activation kernels: one weight row against four Q8_K rows
// whose starts are in DI, BX, R12 and R13. Y0-Y3 accumulate floats,
// Y4-Y7 the integer sums of the current super-block.

// func dotQ4_Kx4AVX2(x, y *byte, ystride int, nb int, out *[4]float32)
TEXT ·dotQ4_Kx4AVX2(SB), NOSPLIT, $96-40
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ ystride+16(FP), AX
	MOVQ nb+24(FP), CX
	KX4PROLOGUE
	BCAST_BYTE(0x0f0f0f0f, Y8, X8)
	TESTQ CX, CX
	JEQ q4kx4done
q4kx4loop:
	KSCALES
	VMOVQ R8, X13
	VPMOVZXBW X13, X13
	VMOVDQU X13, 0(SP)
	VMOVQ R9, X13
	VPMOVZXBW X13, X13
	VMOVDQU X13, 16(SP)
	MOVWLZX (SI), AX
	VMOVD AX, X13
	VCVTPH2PS X13, X13
	VBROADCASTSS X13, Y13
	VMOVUPS Y13, 32(SP)
	MOVWLZX 2(SI), AX
	VMOVD AX, X13
	VCVTPH2PS X13, X13
	VBROADCASTSS X13, Y13
	VMOVUPS Y13, 64(SP)
	VPXOR Y4, Y4, Y4
	VPXOR Y5, Y5, Y5
	VPXOR Y6, Y6, Y6
	VPXOR Y7, Y7, Y7
	Q4KX4PAIR(16, 4, 0)
	Q4KX4PAIR(48, 68, 4)
	Q4KX4PAIR(80, 132, 8)
	Q4KX4PAIR(112, 196, 12)
	Q4KX4FINAL(DI, Y4, Y0)
	Q4KX4FINAL(BX, Y5, Y1)
	Q4KX4FINAL(R12, Y6, Y2)
	Q4KX4FINAL(R13, Y7, Y3)
	ADDQ $144, SI
	ADDQ $292, DI
	ADDQ $292, BX
	ADDQ $292, R12
	ADDQ $292, R13
	DECQ CX
	JNE q4kx4loop
q4kx4done:
	MOVQ out+32(FP), R8
	KX4STORE
	RET

DATA k6c03<>+0x00(SB)/8, $0x0303030303030303
DATA k6c03<>+0x08(SB)/8, $0x0303030303030303
DATA k6c03<>+0x10(SB)/8, $0x0303030303030303
DATA k6c03<>+0x18(SB)/8, $0x0303030303030303
GLOBL k6c03<>(SB), RODATA|NOPTR, $32
DATA k6c0c<>+0x00(SB)/8, $0x0c0c0c0c0c0c0c0c
DATA k6c0c<>+0x08(SB)/8, $0x0c0c0c0c0c0c0c0c
DATA k6c0c<>+0x10(SB)/8, $0x0c0c0c0c0c0c0c0c
DATA k6c0c<>+0x18(SB)/8, $0x0c0c0c0c0c0c0c0c
GLOBL k6c0c<>(SB), RODATA|NOPTR, $32
DATA k6c30<>+0x00(SB)/8, $0x3030303030303030
DATA k6c30<>+0x08(SB)/8, $0x3030303030303030
DATA k6c30<>+0x10(SB)/8, $0x3030303030303030
DATA k6c30<>+0x18(SB)/8, $0x3030303030303030
GLOBL k6c30<>(SB), RODATA|NOPTR, $32
DATA k6cc0<>+0x00(SB)/8, $0xc0c0c0c0c0c0c0c0
DATA k6cc0<>+0x08(SB)/8, $0xc0c0c0c0c0c0c0c0
DATA k6cc0<>+0x10(SB)/8, $0xc0c0c0c0c0c0c0c0
DATA k6cc0<>+0x18(SB)/8, $0xc0c0c0c0c0c0c0c0
GLOBL k6cc0<>(SB), RODATA|NOPTR, $32

// func dotQ6_Kx4AVX2(x, y *byte, ystride int, nb int, out *[4]float32)
TEXT ·dotQ6_Kx4AVX2(SB), NOSPLIT, $64-40
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ ystride+16(FP), AX
	MOVQ nb+24(FP), CX
	KX4PROLOGUE
	BCAST_BYTE(0x0f0f0f0f, Y8, X8)
	TESTQ CX, CX
	JEQ q6kx4done
q6kx4loop:
	VPMOVSXBW 192(SI), Y14
	VMOVDQU Y14, 0(SP)
	MOVWLZX 208(SI), AX
	VMOVD AX, X14
	VCVTPH2PS X14, X14
	VBROADCASTSS X14, Y14
	VMOVUPS Y14, 32(SP)
	VPXOR Y4, Y4, Y4
	VPXOR Y5, Y5, Y5
	VPXOR Y6, Y6, Y6
	VPXOR Y7, Y7, Y7
	Q6KX4HALF(0, 128, 4, 0)
	Q6KX4HALF(64, 160, 132, 16)
	Q6KX4FINAL(DI, Y4, Y0)
	Q6KX4FINAL(BX, Y5, Y1)
	Q6KX4FINAL(R12, Y6, Y2)
	Q6KX4FINAL(R13, Y7, Y3)
	ADDQ $210, SI
	ADDQ $292, DI
	ADDQ $292, BX
	ADDQ $292, R12
	ADDQ $292, R13
	DECQ CX
	JNE q6kx4loop
q6kx4done:
	MOVQ out+32(FP), R8
	KX4STORE
	RET

// func dotQ4_1AVX2(x, y *byte, nb int) float32
TEXT ·dotQ4_1AVX2(SB), NOSPLIT, $0-28
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ nb+16(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y15, Y15, Y15
	VXORPS X4, X4, X4
	VXORPS X5, X5, X5
	VPCMPEQW Y7, Y7, Y7
	VPSRLW $15, Y7, Y7
	BCAST_BYTE(0x0f0f0f0f, Y8, X8)
q41loop:
	CMPQ CX, $2
	JLT q41tail
	Q4_1_BLOCK(0, 0, Y0, X4)
	Q4_1_BLOCK(20, 36, Y15, X5)
	ADDQ $40, SI
	ADDQ $72, DI
	SUBQ $2, CX
	JMP q41loop
q41tail:
	TESTQ CX, CX
	JEQ q41done
	Q4_1_BLOCK(0, 0, Y0, X4)
q41done:
	VADDPS Y15, Y0, Y0
	HSUM8
	VADDSS X4, X0, X0
	VADDSS X5, X0, X0
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET

// func dotQ5_1AVX2(x, y *byte, nb int) float32
TEXT ·dotQ5_1AVX2(SB), NOSPLIT, $0-28
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ nb+16(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y15, Y15, Y15
	VXORPS X4, X4, X4
	VXORPS X5, X5, X5
	VPCMPEQW Y7, Y7, Y7
	VPSRLW $15, Y7, Y7
	BCAST_BYTE(0x0f0f0f0f, Y8, X8)
	BCAST_BYTE(0x10101010, Y9, X9)
	VMOVDQU q5shuf<>(SB), Y11
	MOVQ $0x7fbfdfeff7fbfdfe, AX
	VMOVQ AX, X12
	VPBROADCASTQ X12, Y12
	VPCMPEQB Y13, Y13, Y13
q51loop:
	CMPQ CX, $2
	JLT q51tail
	Q5_1_BLOCK(0, 0, Y0, X4)
	Q5_1_BLOCK(24, 36, Y15, X5)
	ADDQ $48, SI
	ADDQ $72, DI
	SUBQ $2, CX
	JMP q51loop
q51tail:
	TESTQ CX, CX
	JEQ q51done
	Q5_1_BLOCK(0, 0, Y0, X4)
q51done:
	VADDPS Y15, Y0, Y0
	HSUM8
	VADDSS X4, X0, X0
	VADDSS X5, X0, X0
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET

// func quantQ8_KAVX2(x *float32, y *byte, nb int)
// Activation quantization to Q8_K: m = the element of largest magnitude
// (the positive one on a tie), q = round-to-even(x * -127/m), d = 1/(-127/m),
// bsums = sums of each 16 quants.
TEXT ·quantQ8_KAVX2(SB), NOSPLIT, $0-24
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ nb+16(FP), CX
	VMOVDQU q8perm<>(SB), Y9
	MOVL $0xc2fe0000, AX // -127.0
	VMOVD AX, X8
	MOVL $0x3f800000, AX // 1.0
	VMOVD AX, X10
	TESTQ CX, CX
	JEQ qq8kdone
qq8kblock:
	VMOVUPS (SI), Y1
	VMOVAPS Y1, Y2
	MOVQ $32, AX
qq8kmax:
	VMAXPS (SI)(AX*1), Y1, Y1
	VMINPS (SI)(AX*1), Y2, Y2
	ADDQ $32, AX
	CMPQ AX, $1024
	JLT qq8kmax
	VEXTRACTF128 $1, Y1, X3
	VMAXPS X3, X1, X1
	VMOVHLPS X1, X1, X3
	VMAXPS X3, X1, X1
	VMOVSHDUP X1, X3
	VMAXSS X3, X1, X1 // max
	VEXTRACTF128 $1, Y2, X3
	VMINPS X3, X2, X2
	VMOVHLPS X2, X2, X3
	VMINPS X3, X2, X2
	VMOVSHDUP X2, X3
	VMINSS X3, X2, X2 // min
	VXORPS X4, X4, X4
	VSUBSS X2, X4, X5 // -min
	VUCOMISS X5, X1
	JAE qq8kpos
	VMOVAPS X2, X1 // the negative extreme wins
	VMOVAPS X5, X6
	JMP qq8kgot
qq8kpos:
	VMOVAPS X1, X6 // amax
qq8kgot:
	VUCOMISS X4, X6
	JNE qq8knonzero
	// all zero: d = 0, quants and sums 0
	VPXOR Y0, Y0, Y0
	MOVL $0, (DI)
	MOVQ $4, AX
qq8kzero:
	VMOVDQU Y0, (DI)(AX*1)
	ADDQ $32, AX
	CMPQ AX, $260
	JLT qq8kzero
	VMOVDQU Y0, 260(DI)
	JMP qq8knext
qq8knonzero:
	VDIVSS X1, X8, X7 // iscale = -127/m
	VDIVSS X7, X10, X5 // d = 1/iscale
	VMOVSS X5, (DI)
	VBROADCASTSS X7, Y7
	XORQ AX, AX
	XORQ BX, BX
qq8kchunk:
	VMULPS (SI)(AX*4), Y7, Y0
	VMULPS 32(SI)(AX*4), Y7, Y1
	VMULPS 64(SI)(AX*4), Y7, Y2
	VMULPS 96(SI)(AX*4), Y7, Y3
	VROUNDPS $0, Y0, Y0
	VROUNDPS $0, Y1, Y1
	VROUNDPS $0, Y2, Y2
	VROUNDPS $0, Y3, Y3
	VCVTPS2DQ Y0, Y0
	VCVTPS2DQ Y1, Y1
	VCVTPS2DQ Y2, Y2
	VCVTPS2DQ Y3, Y3
	// sums of the two 16-element groups
	VPADDD Y1, Y0, Y4
	VPADDD Y3, Y2, Y5
	VPHADDD Y5, Y4, Y6
	VPHADDD Y6, Y6, Y6
	VEXTRACTI128 $1, Y6, X11
	VPADDD X11, X6, X6
	VPACKSSDW X6, X6, X6
	VMOVD X6, DX
	MOVL DX, 260(DI)(BX*4)
	// quants
	VPACKSSDW Y1, Y0, Y0
	VPACKSSDW Y3, Y2, Y2
	VPACKSSWB Y2, Y0, Y0
	VPERMD Y0, Y9, Y0
	VMOVDQU Y0, 4(DI)(AX*1)
	ADDQ $32, AX
	INCQ BX
	CMPQ AX, $256
	JLT qq8kchunk
qq8knext:
	ADDQ $1024, SI
	ADDQ $292, DI
	DECQ CX
	JNE qq8kblock
qq8kdone:
	VZEROUPPER
	RET

DATA k5c01<>+0x00(SB)/8, $0x0101010101010101
DATA k5c01<>+0x08(SB)/8, $0x0101010101010101
DATA k5c01<>+0x10(SB)/8, $0x0101010101010101
DATA k5c01<>+0x18(SB)/8, $0x0101010101010101
GLOBL k5c01<>(SB), RODATA|NOPTR, $32

// func dotQ5_Kx4AVX2(x, y *byte, ystride int, nb int, out *[4]float32)
TEXT ·dotQ5_Kx4AVX2(SB), NOSPLIT, $96-40
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ ystride+16(FP), AX
	MOVQ nb+24(FP), CX
	KX4PROLOGUE
	BCAST_BYTE(0x0f0f0f0f, Y8, X8)
	TESTQ CX, CX
	JEQ q5kx4done
q5kx4loop:
	KSCALES
	VMOVQ R8, X13
	VPMOVZXBW X13, X13
	VMOVDQU X13, 0(SP)
	VMOVQ R9, X13
	VPMOVZXBW X13, X13
	VMOVDQU X13, 16(SP)
	MOVWLZX (SI), AX
	VMOVD AX, X13
	VCVTPH2PS X13, X13
	VBROADCASTSS X13, Y13
	VMOVUPS Y13, 32(SP)
	MOVWLZX 2(SI), AX
	VMOVD AX, X13
	VCVTPH2PS X13, X13
	VBROADCASTSS X13, Y13
	VMOVUPS Y13, 64(SP)
	VPXOR Y4, Y4, Y4
	VPXOR Y5, Y5, Y5
	VPXOR Y6, Y6, Y6
	VPXOR Y7, Y7, Y7
	Q5KX4PAIR(48, 4, 0, 0)
	Q5KX4PAIR(80, 68, 4, 2)
	Q5KX4PAIR(112, 132, 8, 4)
	Q5KX4PAIR(144, 196, 12, 6)
	Q4KX4FINAL(DI, Y4, Y0)
	Q4KX4FINAL(BX, Y5, Y1)
	Q4KX4FINAL(R12, Y6, Y2)
	Q4KX4FINAL(R13, Y7, Y3)
	ADDQ $176, SI
	ADDQ $292, DI
	ADDQ $292, BX
	ADDQ $292, R12
	ADDQ $292, R13
	DECQ CX
	JNE q5kx4loop
q5kx4done:
	MOVQ out+32(FP), R8
	KX4STORE
	RET

// func dotQ8_0x8VNNIU(x, y *byte, ystride int, d *byte, nb int, out *[8]float32)
// y holds eight activation rows ystride bytes apart with quants offset by
// 128; d the float32 scales of the first row (the others ystride apart).
TEXT ·dotQ8_0x8VNNIU(SB), NOSPLIT, $0-48
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ ystride+16(FP), R11
	MOVQ d+24(FP), DX
	MOVQ nb+32(FP), CX
	MOVQ out+40(FP), R8
	LEAQ (R11)(R11*2), R12
	LEAQ (DI)(R11*4), R10
	LEAQ (DX)(R11*4), BX
	MOVL $0x80808080, AX
	VMOVD AX, X0
	VPBROADCASTD X0, Y0
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	VXORPS Y12, Y12, Y12
	VXORPS Y13, Y13, Y13
	VXORPS Y14, Y14, Y14
	VXORPS Y15, Y15, Y15
	TESTQ CX, CX
	JEQ q80x8done
q80x8loop:
	MOVWLZX (SI), AX
	VMOVD AX, X1
	VCVTPH2PS X1, X1
	VBROADCASTSS X1, Y1
	VMOVDQU 2(SI), Y2
	X8BODYU
	ADDQ $34, SI
	ADDQ $34, DI
	ADDQ $34, R10
	ADDQ $4, DX
	ADDQ $4, BX
	DECQ CX
	JNE q80x8loop
q80x8done:
	HSUMTO3(Y8, X8, 0)
	HSUMTO3(Y9, X9, 4)
	HSUMTO3(Y10, X10, 8)
	HSUMTO3(Y11, X11, 12)
	HSUMTO3(Y12, X12, 16)
	HSUMTO3(Y13, X13, 20)
	HSUMTO3(Y14, X14, 24)
	HSUMTO3(Y15, X15, 28)
	VZEROUPPER
	RET

DATA k0f<>+0x00(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA k0f<>+0x08(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA k0f<>+0x10(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA k0f<>+0x18(SB)/8, $0x0f0f0f0f0f0f0f0f
GLOBL k0f<>(SB), RODATA|NOPTR, $32
DATA kf0<>+0x00(SB)/8, $0xf0f0f0f0f0f0f0f0
DATA kf0<>+0x08(SB)/8, $0xf0f0f0f0f0f0f0f0
DATA kf0<>+0x10(SB)/8, $0xf0f0f0f0f0f0f0f0
DATA kf0<>+0x18(SB)/8, $0xf0f0f0f0f0f0f0f0
GLOBL kf0<>(SB), RODATA|NOPTR, $32
DATA k08<>+0x00(SB)/8, $0x0808080808080808
DATA k08<>+0x08(SB)/8, $0x0808080808080808
DATA k08<>+0x10(SB)/8, $0x0808080808080808
DATA k08<>+0x18(SB)/8, $0x0808080808080808
GLOBL k08<>(SB), RODATA|NOPTR, $32
DATA k5bits<>+0x00(SB)/8, $0x7fbfdfeff7fbfdfe
DATA k5bits<>+0x08(SB)/8, $0x7fbfdfeff7fbfdfe
DATA k5bits<>+0x10(SB)/8, $0x7fbfdfeff7fbfdfe
DATA k5bits<>+0x18(SB)/8, $0x7fbfdfeff7fbfdfe
GLOBL k5bits<>(SB), RODATA|NOPTR, $32

// func dotQ4_0x8VNNIU(x, y *byte, ystride int, d *byte, nb int, out *[8]float32)
// y holds eight activation rows ystride bytes apart with quants offset by
// 128; d the float32 scales of the first row (the others ystride apart).
TEXT ·dotQ4_0x8VNNIU(SB), NOSPLIT, $0-48
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ ystride+16(FP), R11
	MOVQ d+24(FP), DX
	MOVQ nb+32(FP), CX
	MOVQ out+40(FP), R8
	LEAQ (R11)(R11*2), R12
	LEAQ (DI)(R11*4), R10
	LEAQ (DX)(R11*4), BX
	MOVL $0x80808080, AX
	VMOVD AX, X0
	VPBROADCASTD X0, Y0
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	VXORPS Y12, Y12, Y12
	VXORPS Y13, Y13, Y13
	VXORPS Y14, Y14, Y14
	VXORPS Y15, Y15, Y15
	TESTQ CX, CX
	JEQ q40x8done
q40x8loop:
	MOVWLZX (SI), AX
	VMOVD AX, X1
	VCVTPH2PS X1, X1
	VBROADCASTSS X1, Y1
	VMOVDQU 2(SI), X2
	VPSRLW $4, X2, X3
	VINSERTI128 $1, X3, Y2, Y2
	VPAND k0f<>(SB), Y2, Y2
	VPSUBB k08<>(SB), Y2, Y2
	X8BODYU
	ADDQ $18, SI
	ADDQ $34, DI
	ADDQ $34, R10
	ADDQ $4, DX
	ADDQ $4, BX
	DECQ CX
	JNE q40x8loop
q40x8done:
	HSUMTO3(Y8, X8, 0)
	HSUMTO3(Y9, X9, 4)
	HSUMTO3(Y10, X10, 8)
	HSUMTO3(Y11, X11, 12)
	HSUMTO3(Y12, X12, 16)
	HSUMTO3(Y13, X13, 20)
	HSUMTO3(Y14, X14, 24)
	HSUMTO3(Y15, X15, 28)
	VZEROUPPER
	RET

// func dotQ5_0x8VNNIU(x, y *byte, ystride int, d *byte, nb int, out *[8]float32)
// y holds eight activation rows ystride bytes apart with quants offset by
// 128; d the float32 scales of the first row (the others ystride apart).
TEXT ·dotQ5_0x8VNNIU(SB), NOSPLIT, $0-48
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ ystride+16(FP), R11
	MOVQ d+24(FP), DX
	MOVQ nb+32(FP), CX
	MOVQ out+40(FP), R8
	LEAQ (R11)(R11*2), R12
	LEAQ (DI)(R11*4), R10
	LEAQ (DX)(R11*4), BX
	MOVL $0x80808080, AX
	VMOVD AX, X0
	VPBROADCASTD X0, Y0
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	VXORPS Y12, Y12, Y12
	VXORPS Y13, Y13, Y13
	VXORPS Y14, Y14, Y14
	VXORPS Y15, Y15, Y15
	TESTQ CX, CX
	JEQ q50x8done
q50x8loop:
	MOVWLZX (SI), AX
	VMOVD AX, X1
	VCVTPH2PS X1, X1
	VBROADCASTSS X1, Y1
	MOVL 2(SI), AX
	VMOVD AX, X5
	VPBROADCASTD X5, Y5
	VPSHUFB q5shuf<>(SB), Y5, Y5
	VPOR k5bits<>(SB), Y5, Y5
	VPCMPEQB Y6, Y6, Y6
	VPCMPEQB Y6, Y5, Y5
	VPANDN kf0<>(SB), Y5, Y5
	VMOVDQU 6(SI), X2
	VPSRLW $4, X2, X3
	VINSERTI128 $1, X3, Y2, Y2
	VPAND k0f<>(SB), Y2, Y2
	VPOR Y5, Y2, Y2
	X8BODYU
	ADDQ $22, SI
	ADDQ $34, DI
	ADDQ $34, R10
	ADDQ $4, DX
	ADDQ $4, BX
	DECQ CX
	JNE q50x8loop
q50x8done:
	HSUMTO3(Y8, X8, 0)
	HSUMTO3(Y9, X9, 4)
	HSUMTO3(Y10, X10, 8)
	HSUMTO3(Y11, X11, 12)
	HSUMTO3(Y12, X12, 16)
	HSUMTO3(Y13, X13, 20)
	HSUMTO3(Y14, X14, 24)
	HSUMTO3(Y15, X15, 28)
	VZEROUPPER
	RET

// func dotQ8_0VNNI(x, y *byte, nb int) float32
TEXT ·dotQ8_0VNNI(SB), NOSPLIT, $0-28
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ nb+16(FP), CX
	IMUL3Q $34, CX, DX
	ADDQ DI, DX // the float32 activation scales follow the blocks
	VXORPS Y0, Y0, Y0
	VXORPS Y15, Y15, Y15
	VPCMPEQW Y7, Y7, Y7
	VPSRLW $15, Y7, Y7
q80vloop:
	CMPQ CX, $2
	JLT q80vtail
	PREFETCHT0 1024(SI) // the weights stream from memory
	Q8_0_BLOCKV(0, 0, 0, Y0)
	Q8_0_BLOCKV(34, 34, 4, Y15)
	ADDQ $68, SI
	ADDQ $68, DI
	ADDQ $8, DX
	SUBQ $2, CX
	JMP q80vloop
q80vtail:
	TESTQ CX, CX
	JEQ q80vdone
	Q8_0_BLOCKV(0, 0, 0, Y0)
q80vdone:
	VADDPS Y15, Y0, Y0
	HSUM8
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET

// func dotQ4_0VNNI(x, y *byte, nb int) float32
TEXT ·dotQ4_0VNNI(SB), NOSPLIT, $0-28
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
	BCAST_BYTE(0x08080808, Y9, X9)
q40vloop:
	CMPQ CX, $2
	JLT q40vtail
	PREFETCHT0 1024(SI) // the weights stream from memory
	Q4_0_BLOCKV(0, 0, 0, Y0)
	Q4_0_BLOCKV(18, 34, 4, Y15)
	ADDQ $36, SI
	ADDQ $68, DI
	ADDQ $8, DX
	SUBQ $2, CX
	JMP q40vloop
q40vtail:
	TESTQ CX, CX
	JEQ q40vdone
	Q4_0_BLOCKV(0, 0, 0, Y0)
q40vdone:
	VADDPS Y15, Y0, Y0
	HSUM8
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET

// func dotQ5_0VNNI(x, y *byte, nb int) float32
TEXT ·dotQ5_0VNNI(SB), NOSPLIT, $0-28
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
	BCAST_BYTE(0xf0f0f0f0, Y14, X14)
	VMOVDQU q5shuf<>(SB), Y11
	MOVQ $0x7fbfdfeff7fbfdfe, AX
	VMOVQ AX, X12
	VPBROADCASTQ X12, Y12
	VPCMPEQB Y13, Y13, Y13
	BCAST_BYTE(0x10101010, Y9, X9)
q50vloop:
	CMPQ CX, $2
	JLT q50vtail
	PREFETCHT0 1024(SI) // the weights stream from memory
	Q5_0_BLOCKV(0, 0, 0, Y0)
	Q5_0_BLOCKV(22, 34, 4, Y15)
	ADDQ $44, SI
	ADDQ $68, DI
	ADDQ $8, DX
	SUBQ $2, CX
	JMP q50vloop
q50vtail:
	TESTQ CX, CX
	JEQ q50vdone
	Q5_0_BLOCKV(0, 0, 0, Y0)
q50vdone:
	VADDPS Y15, Y0, Y0
	HSUM8
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET

// Four weight rows against one activation (decode): the activation block
// and its scale are loaded once for the four rows, and the call, loop and
// horizontal-sum overhead of a short row is paid once per four rows. Each
// row keeps the single-row kernel's two accumulators (even and odd blocks)
// and its final sum order, so every result is bit-identical to it.
#define R4Q8(saddr, qaddr, acc) \
	MOVWLZX saddr, AX; \
	VBROADCASTSS (R13)(AX*4), Y1; \
	VMULPS Y7, Y1, Y1; \
	VMOVDQU qaddr, Y2; \
	VPSIGNB Y2, Y2, Y4; \
	VPSIGNB Y2, Y3, Y5; \
	VPXOR Y6, Y6, Y6; \
	VPDPBUSD Y5, Y4, Y6; \
	VCVTDQ2PS Y6, Y6; \
	VFMADD231PS Y1, Y6, acc

#define R4Q8BLOCK(xo, yo, do, a0, a1, a2, a3) \
	VMOVDQU (yo+2)(DI), Y3; \
	VBROADCASTSS do(DX), Y7; \
	R4Q8(xo(SI), (xo+2)(SI), a0); \
	R4Q8(xo(SI)(R8*1), (xo+2)(SI)(R8*1), a1); \
	R4Q8(xo(SI)(R8*2), (xo+2)(SI)(R8*2), a2); \
	R4Q8(xo(SI)(R9*1), (xo+2)(SI)(R9*1), a3)

#define R4SUM(even, odd, xe, off) \
	VADDPS odd, even, even; \
	VEXTRACTF128 $1, even, X1; \
	VADDPS X1, xe, xe; \
	VHADDPS xe, xe, xe; \
	VHADDPS xe, xe, xe; \
	VMOVSS xe, off(R10)

// func dotQ8_0R4VNNI(x *byte, xstride int, y, d *byte, nb int, out *[4]float32)
TEXT ·dotQ8_0R4VNNI(SB), NOSPLIT, $0-48
	MOVQ x+0(FP), SI
	MOVQ xstride+8(FP), R8
	MOVQ y+16(FP), DI
	MOVQ d+24(FP), DX
	MOVQ nb+32(FP), CX
	MOVQ out+40(FP), R10
	LEAQ (R8)(R8*2), R9
	MOVQ ·f16Table(SB), R13
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	VXORPS Y12, Y12, Y12
	VXORPS Y13, Y13, Y13
	VXORPS Y14, Y14, Y14
	VXORPS Y15, Y15, Y15
q80r4loop:
	CMPQ CX, $2
	JLT q80r4tail
	// The next four rows stream in while these are summed.
	LEAQ (SI)(R8*4), R11
	PREFETCHT0 (R11)
	PREFETCHT0 (R11)(R8*1)
	PREFETCHT0 (R11)(R8*2)
	PREFETCHT0 (R11)(R9*1)
	R4Q8BLOCK(0, 0, 0, Y8, Y9, Y10, Y11)
	R4Q8BLOCK(34, 34, 4, Y12, Y13, Y14, Y15)
	ADDQ $68, SI
	ADDQ $68, DI
	ADDQ $8, DX
	SUBQ $2, CX
	JMP q80r4loop
q80r4tail:
	TESTQ CX, CX
	JEQ q80r4done
	R4Q8BLOCK(0, 0, 0, Y8, Y9, Y10, Y11)
q80r4done:
	R4SUM(Y8, Y12, X8, 0)
	R4SUM(Y9, Y13, X9, 4)
	R4SUM(Y10, Y14, X10, 8)
	R4SUM(Y11, Y15, X11, 12)
	VZEROUPPER
	RET

// Four-row kernels for Q4_0 and Q5_0, as dotQ8_0R4VNNI; the eight
// accumulators sit in Y16-Y23 (AVX-512VL) to leave room for the nibble
// constants: Y14 holds 0x0f bytes, Y15 the offset (8 for Q4_0, 16 for
// Q5_0).
// The weight quants are decoded unsigned (q = w + offset, the offset in
// Y15), so VPDPBUSD takes them straight against the signed activation;
// the offset's share, offset·(sum of each lane's four activation bytes),
// is computed once per activation block for the four rows (Y13 holds its
// negation and seeds each row's sum). Each lane then holds the same
// integer as the single-row kernels' sign trick gives, so the results are
// bit-identical. The weight scales come from f16Table (R13), the exact
// float32 value of every F16, which spares the shuffle port the broadcast
// and conversion; the nibbles are split from one broadcast load by one
// variable shift (Y11, nibshift) and a mask.
#define R4DOT(saddr, acc) \
	MOVWLZX saddr, AX; \
	VBROADCASTSS (R13)(AX*4), Y1; \
	VMULPS Y7, Y1, Y1; \
	VMOVDQA Y13, Y6; \
	VPDPBUSD Y3, Y2, Y6; \
	VCVTDQ2PS Y6, Y6; \
	VFMADD231PS Y1, Y6, acc

#define R4Q4(base, acc) \
	VBROADCASTI128 2+base, Y2; \
	VPSRLVQ Y11, Y2, Y2; \
	VPAND Y14, Y2, Y2; \
	R4DOT(base, acc)

#define R4Q5(base, acc) \
	KMOVD 2+base, K1; \
	VBROADCASTI128 6+base, Y2; \
	VPSRLVQ Y11, Y2, Y2; \
	VPAND Y14, Y2, Y2; \
	VPADDB Y15, Y2, K1, Y2; \
	R4DOT(base, acc)

#define R4ACT(yo, do) \
	VMOVDQU (yo+2)(DI), Y3; \
	VBROADCASTSS do(DX), Y7; \
	VPXOR Y12, Y12, Y12; \
	VPDPBUSD Y3, Y15, Y12; \
	VPXOR Y13, Y13, Y13; \
	VPSUBD Y12, Y13, Y13

#define R4SUMHI(even, odd, off) \
	VADDPS odd, even, Y0; \
	VEXTRACTF128 $1, Y0, X1; \
	VADDPS X1, X0, X0; \
	VHADDPS X0, X0, X0; \
	VHADDPS X0, X0, X0; \
	VMOVSS X0, off(R10)

#define R4PROLOGUE \
	MOVQ x+0(FP), SI; \
	MOVQ xstride+8(FP), R8; \
	MOVQ y+16(FP), DI; \
	MOVQ d+24(FP), DX; \
	MOVQ nb+32(FP), CX; \
	MOVQ out+40(FP), R10; \
	LEAQ (R8)(R8*2), R9; \
	VPXORD Y16, Y16, Y16; \
	VPXORD Y17, Y17, Y17; \
	VPXORD Y18, Y18, Y18; \
	VPXORD Y19, Y19, Y19; \
	VPXORD Y20, Y20, Y20; \
	VPXORD Y21, Y21, Y21; \
	VPXORD Y22, Y22, Y22; \
	VPXORD Y23, Y23, Y23; \
	MOVQ ·f16Table(SB), R13; \
	VMOVDQU nibshift<>(SB), Y11; \
	BCAST_BYTE(0x0f0f0f0f, Y14, X14)

#define R4PREFETCH \
	LEAQ (SI)(R8*4), R11; \
	PREFETCHT0 (R11); \
	PREFETCHT0 (R11)(R8*1); \
	PREFETCHT0 (R11)(R8*2); \
	PREFETCHT0 (R11)(R9*1)

#define R4EPILOGUE \
	R4SUMHI(Y16, Y20, 0); \
	R4SUMHI(Y17, Y21, 4); \
	R4SUMHI(Y18, Y22, 8); \
	R4SUMHI(Y19, Y23, 12); \
	VPXORD Y16, Y16, Y16; \
	VPXORD Y17, Y17, Y17; \
	VPXORD Y18, Y18, Y18; \
	VPXORD Y19, Y19, Y19; \
	VPXORD Y20, Y20, Y20; \
	VPXORD Y21, Y21, Y21; \
	VPXORD Y22, Y22, Y22; \
	VPXORD Y23, Y23, Y23; \
	VZEROUPPER

#define R4Q4BLOCK(xo, yo, do, a0, a1, a2, a3) \
	R4ACT(yo, do); \
	R4Q4(xo(SI), a0); \
	R4Q4(xo(SI)(R8*1), a1); \
	R4Q4(xo(SI)(R8*2), a2); \
	R4Q4(xo(SI)(R9*1), a3)

#define R4Q5BLOCK(xo, yo, do, a0, a1, a2, a3) \
	R4ACT(yo, do); \
	R4Q5(xo(SI), a0); \
	R4Q5(xo(SI)(R8*1), a1); \
	R4Q5(xo(SI)(R8*2), a2); \
	R4Q5(xo(SI)(R9*1), a3)

// func dotQ4_0R4VNNI(x *byte, xstride int, y, d *byte, nb int, out *[4]float32)
TEXT ·dotQ4_0R4VNNI(SB), NOSPLIT, $0-48
	R4PROLOGUE
	BCAST_BYTE(0x08080808, Y15, X15)
q40r4loop:
	CMPQ CX, $2
	JLT q40r4tail
	R4PREFETCH
	R4Q4BLOCK(0, 0, 0, Y16, Y17, Y18, Y19)
	R4Q4BLOCK(18, 34, 4, Y20, Y21, Y22, Y23)
	ADDQ $36, SI
	ADDQ $68, DI
	ADDQ $8, DX
	SUBQ $2, CX
	JMP q40r4loop
q40r4tail:
	TESTQ CX, CX
	JEQ q40r4done
	R4Q4BLOCK(0, 0, 0, Y16, Y17, Y18, Y19)
q40r4done:
	R4EPILOGUE
	RET

// func dotQ5_0R4VNNI(x *byte, xstride int, y, d *byte, nb int, out *[4]float32)
TEXT ·dotQ5_0R4VNNI(SB), NOSPLIT, $0-48
	R4PROLOGUE
	BCAST_BYTE(0x10101010, Y15, X15)
q50r4loop:
	CMPQ CX, $2
	JLT q50r4tail
	R4PREFETCH
	R4Q5BLOCK(0, 0, 0, Y16, Y17, Y18, Y19)
	R4Q5BLOCK(22, 34, 4, Y20, Y21, Y22, Y23)
	ADDQ $44, SI
	ADDQ $68, DI
	ADDQ $8, DX
	SUBQ $2, CX
	JMP q50r4loop
q50r4tail:
	TESTQ CX, CX
	JEQ q50r4done
	R4Q5BLOCK(0, 0, 0, Y16, Y17, Y18, Y19)
q50r4done:
	R4EPILOGUE
	RET

// Batched products (prompt) as a register-blocked GEMM: eight weight rows
// times sixteen tokens per call. Per block, the eight rows' quants are
// loaded unsigned (Q8_0 offset by 128 with an XOR) and transposed so that
// Y8+g holds bytes 4g..4g+3 of every row, one row per lane; each token's
// four activation bytes of group g are then broadcast from memory into
// VPDPBUSD, so one instruction does four products for each of eight rows
// and the int32 lanes are whole per-row block sums. The activations come
// packed per block (see packTile): 16×32 quants, 16 int32 corrections
// (-offset·Σa, which undoes the weights' offset) and 16 float32 scales.
#define GTRANSPOSE \
	VPUNPCKLDQ Y1, Y0, Y8; \
	VPUNPCKHDQ Y1, Y0, Y9; \
	VPUNPCKLDQ Y3, Y2, Y10; \
	VPUNPCKHDQ Y3, Y2, Y11; \
	VPUNPCKLDQ Y5, Y4, Y12; \
	VPUNPCKHDQ Y5, Y4, Y13; \
	VPUNPCKLDQ Y7, Y6, Y14; \
	VPUNPCKHDQ Y7, Y6, Y15; \
	VPUNPCKLQDQ Y10, Y8, Y0; \
	VPUNPCKHQDQ Y10, Y8, Y1; \
	VPUNPCKLQDQ Y11, Y9, Y2; \
	VPUNPCKHQDQ Y11, Y9, Y3; \
	VPUNPCKLQDQ Y14, Y12, Y4; \
	VPUNPCKHQDQ Y14, Y12, Y5; \
	VPUNPCKLQDQ Y15, Y13, Y6; \
	VPUNPCKHQDQ Y15, Y13, Y7; \
	VPERM2I128 $0x20, Y4, Y0, Y8; \
	VPERM2I128 $0x20, Y5, Y1, Y9; \
	VPERM2I128 $0x20, Y6, Y2, Y10; \
	VPERM2I128 $0x20, Y7, Y3, Y11; \
	VPERM2I128 $0x31, Y4, Y0, Y12; \
	VPERM2I128 $0x31, Y5, Y1, Y13; \
	VPERM2I128 $0x31, Y6, Y2, Y14; \
	VPERM2I128 $0x31, Y7, Y3, Y15

// GSCALES gathers the eight rows' f16 block scales into Y7 as float32.
#define GSCALES \
	MOVWLZX (SI), AX; \
	VMOVD AX, X7; \
	VPINSRW $1, (SI)(R8*1), X7, X7; \
	VPINSRW $2, (SI)(R8*2), X7, X7; \
	VPINSRW $3, (SI)(R9*1), X7, X7; \
	VPINSRW $4, (R13), X7, X7; \
	VPINSRW $5, (R13)(R8*1), X7, X7; \
	VPINSRW $6, (R13)(R8*2), X7, X7; \
	VPINSRW $7, (R13)(R9*1), X7, X7; \
	VCVTPH2PS X7, Y7

// Each token's eight VPDPBUSDs run as two chains of four (acc, acc2),
// joined with one add: the integer sums are the same, and the latency
// chain per token is halved.
#define GTOKEN(t, acc, acc2, facc) \
	VPBROADCASTD (512+4*t)(R10), acc; \
	VPXOR acc2, acc2, acc2; \
	VPDPBUSD.BCST (32*t)(R10), Y8, acc; \
	VPDPBUSD.BCST (32*t+4)(R10), Y9, acc2; \
	VPDPBUSD.BCST (32*t+8)(R10), Y10, acc; \
	VPDPBUSD.BCST (32*t+12)(R10), Y11, acc2; \
	VPDPBUSD.BCST (32*t+16)(R10), Y12, acc; \
	VPDPBUSD.BCST (32*t+20)(R10), Y13, acc2; \
	VPDPBUSD.BCST (32*t+24)(R10), Y14, acc; \
	VPDPBUSD.BCST (32*t+28)(R10), Y15, acc2; \
	VPADDD acc2, acc, acc; \
	VCVTDQ2PS acc, acc; \
	VMULPS.BCST (576+4*t)(R10), Y7, acc2; \
	VFMADD231PS acc2, acc, facc

#define GTOKENS \
	GTOKEN(0, Y0, Y1, Y16); \
	GTOKEN(1, Y2, Y3, Y17); \
	GTOKEN(2, Y4, Y5, Y18); \
	GTOKEN(3, Y0, Y1, Y19); \
	GTOKEN(4, Y2, Y3, Y20); \
	GTOKEN(5, Y4, Y5, Y21); \
	GTOKEN(6, Y0, Y1, Y22); \
	GTOKEN(7, Y2, Y3, Y23); \
	GTOKEN(8, Y4, Y5, Y24); \
	GTOKEN(9, Y0, Y1, Y25); \
	GTOKEN(10, Y2, Y3, Y26); \
	GTOKEN(11, Y4, Y5, Y27); \
	GTOKEN(12, Y0, Y1, Y28); \
	GTOKEN(13, Y2, Y3, Y29); \
	GTOKEN(14, Y4, Y5, Y30); \
	GTOKEN(15, Y0, Y1, Y31)

#define GPROLOGUE \
	LEAQ (R8)(R8*2), R9; \
	LEAQ (SI)(R8*4), R13; \
	VPXORD Y16, Y16, Y16; \
	VPXORD Y17, Y17, Y17; \
	VPXORD Y18, Y18, Y18; \
	VPXORD Y19, Y19, Y19; \
	VPXORD Y20, Y20, Y20; \
	VPXORD Y21, Y21, Y21; \
	VPXORD Y22, Y22, Y22; \
	VPXORD Y23, Y23, Y23; \
	VPXORD Y24, Y24, Y24; \
	VPXORD Y25, Y25, Y25; \
	VPXORD Y26, Y26, Y26; \
	VPXORD Y27, Y27, Y27; \
	VPXORD Y28, Y28, Y28; \
	VPXORD Y29, Y29, Y29; \
	VPXORD Y30, Y30, Y30; \
	VPXORD Y31, Y31, Y31

// GSTORE writes one token's eight row results to (R11), clears its
// accumulator and moves R11 to the next token's outputs (R12 bytes on).
#define GSTORE(facc) \
	VMOVUPS facc, (R11); \
	VPXORD facc, facc, facc; \
	ADDQ R12, R11

#define GEPILOGUE \
	GSTORE(Y16); \
	GSTORE(Y17); \
	GSTORE(Y18); \
	GSTORE(Y19); \
	GSTORE(Y20); \
	GSTORE(Y21); \
	GSTORE(Y22); \
	GSTORE(Y23); \
	GSTORE(Y24); \
	GSTORE(Y25); \
	GSTORE(Y26); \
	GSTORE(Y27); \
	GSTORE(Y28); \
	GSTORE(Y29); \
	GSTORE(Y30); \
	GSTORE(Y31); \
	VZEROUPPER

// func gemmQ8_0VNNI(w *byte, rb int, act *byte, nb int, out *float32, ostride int)
TEXT ·gemmQ8_0VNNI(SB), NOSPLIT, $0-48
	MOVQ w+0(FP), SI
	MOVQ rb+8(FP), R8
	MOVQ act+16(FP), R10
	MOVQ nb+24(FP), CX
	GPROLOGUE
	TESTQ CX, CX
	JEQ gq80done
gq80loop:
	VMOVDQU 2(SI), Y0
	VMOVDQU 2(SI)(R8*1), Y1
	VMOVDQU 2(SI)(R8*2), Y2
	VMOVDQU 2(SI)(R9*1), Y3
	VMOVDQU 2(R13), Y4
	VMOVDQU 2(R13)(R8*1), Y5
	VMOVDQU 2(R13)(R8*2), Y6
	VMOVDQU 2(R13)(R9*1), Y7
	BCAST_BYTE(0x80808080, Y8, X8)
	VPXOR Y8, Y0, Y0
	VPXOR Y8, Y1, Y1
	VPXOR Y8, Y2, Y2
	VPXOR Y8, Y3, Y3
	VPXOR Y8, Y4, Y4
	VPXOR Y8, Y5, Y5
	VPXOR Y8, Y6, Y6
	VPXOR Y8, Y7, Y7
	GTRANSPOSE
	GSCALES
	GTOKENS
	ADDQ $34, SI
	ADDQ $34, R13
	ADDQ $640, R10
	DECQ CX
	JNE gq80loop
gq80done:
	MOVQ out+32(FP), R11
	MOVQ ostride+40(FP), R12
	GEPILOGUE
	RET

// Q4_0 and Q5_0 rows decode to unsigned quants (nibble, plus 16 where the
// fifth bit is set), so they need no offset of their own.
#define GQ4ROW(base, dst, xdst) \
	VBROADCASTI128 2+base, dst; \
	VPSRLVQ nibshift<>(SB), dst, dst; \
	VPAND Y14, dst, dst

#define GQ5ROW(base, dst, xdst) \
	KMOVD 2+base, K1; \
	VBROADCASTI128 6+base, dst; \
	VPSRLVQ nibshift<>(SB), dst, dst; \
	VPAND Y14, dst, dst; \
	VPADDB Y15, dst, K1, dst

// func gemmQ4_0VNNI(w *byte, rb int, act *byte, nb int, out *float32, ostride int)
TEXT ·gemmQ4_0VNNI(SB), NOSPLIT, $0-48
	MOVQ w+0(FP), SI
	MOVQ rb+8(FP), R8
	MOVQ act+16(FP), R10
	MOVQ nb+24(FP), CX
	GPROLOGUE
	TESTQ CX, CX
	JEQ gq40done
gq40loop:
	BCAST_BYTE(0x0f0f0f0f, Y14, X14)
	GQ4ROW(0(SI), Y0, X0)
	GQ4ROW(0(SI)(R8*1), Y1, X1)
	GQ4ROW(0(SI)(R8*2), Y2, X2)
	GQ4ROW(0(SI)(R9*1), Y3, X3)
	GQ4ROW(0(R13), Y4, X4)
	GQ4ROW(0(R13)(R8*1), Y5, X5)
	GQ4ROW(0(R13)(R8*2), Y6, X6)
	GQ4ROW(0(R13)(R9*1), Y7, X7)
	GTRANSPOSE
	GSCALES
	GTOKENS
	ADDQ $18, SI
	ADDQ $18, R13
	ADDQ $640, R10
	DECQ CX
	JNE gq40loop
gq40done:
	MOVQ out+32(FP), R11
	MOVQ ostride+40(FP), R12
	GEPILOGUE
	RET

// func gemmQ5_0VNNI(w *byte, rb int, act *byte, nb int, out *float32, ostride int)
TEXT ·gemmQ5_0VNNI(SB), NOSPLIT, $0-48
	MOVQ w+0(FP), SI
	MOVQ rb+8(FP), R8
	MOVQ act+16(FP), R10
	MOVQ nb+24(FP), CX
	GPROLOGUE
	TESTQ CX, CX
	JEQ gq50done
gq50loop:
	BCAST_BYTE(0x0f0f0f0f, Y14, X14)
	BCAST_BYTE(0x10101010, Y15, X15)
	GQ5ROW(0(SI), Y0, X0)
	GQ5ROW(0(SI)(R8*1), Y1, X1)
	GQ5ROW(0(SI)(R8*2), Y2, X2)
	GQ5ROW(0(SI)(R9*1), Y3, X3)
	GQ5ROW(0(R13), Y4, X4)
	GQ5ROW(0(R13)(R8*1), Y5, X5)
	GQ5ROW(0(R13)(R8*2), Y6, X6)
	GQ5ROW(0(R13)(R9*1), Y7, X7)
	GTRANSPOSE
	GSCALES
	GTOKENS
	ADDQ $22, SI
	ADDQ $22, R13
	ADDQ $640, R10
	DECQ CX
	JNE gq50loop
gq50done:
	MOVQ out+32(FP), R11
	MOVQ ostride+40(FP), R12
	GEPILOGUE
	RET

// Eight-row kernel for Q4_0: the four-row kernel's arithmetic
// for eight rows (R12 points at the fifth), so the activation block's
// load, scale and offset sum are shared by twice as many rows and the
// call and loop overhead is paid once per eight rows. The sixteen
// accumulators (even and odd blocks of each row) fill Y16-Y31; each row's
// result is bit-identical to the single-row kernels'.
#define R8Q4BLOCK(xo, yo, do, a0, a1, a2, a3, a4, a5, a6, a7) \
	R4ACT(yo, do); \
	R4Q4(xo(SI), a0); \
	R4Q4(xo(SI)(R8*1), a1); \
	R4Q4(xo(SI)(R8*2), a2); \
	R4Q4(xo(SI)(R9*1), a3); \
	R4Q4(xo(R12), a4); \
	R4Q4(xo(R12)(R8*1), a5); \
	R4Q4(xo(R12)(R8*2), a6); \
	R4Q4(xo(R12)(R9*1), a7)

#define R8PROLOGUE \
	R4PROLOGUE; \
	LEAQ (SI)(R8*4), R12; \
	VPXORD Y24, Y24, Y24; \
	VPXORD Y25, Y25, Y25; \
	VPXORD Y26, Y26, Y26; \
	VPXORD Y27, Y27, Y27; \
	VPXORD Y28, Y28, Y28; \
	VPXORD Y29, Y29, Y29; \
	VPXORD Y30, Y30, Y30; \
	VPXORD Y31, Y31, Y31

// The next eight rows stream in while these are summed.
#define R8PREFETCH \
	LEAQ (R12)(R8*4), R11; \
	PREFETCHT0 (R11); \
	PREFETCHT0 (R11)(R8*1); \
	PREFETCHT0 (R11)(R8*2); \
	PREFETCHT0 (R11)(R9*1); \
	LEAQ (R11)(R8*4), R11; \
	PREFETCHT0 (R11); \
	PREFETCHT0 (R11)(R8*1); \
	PREFETCHT0 (R11)(R8*2); \
	PREFETCHT0 (R11)(R9*1)

#define R8EPILOGUE \
	R4SUMHI(Y16, Y24, 0); \
	R4SUMHI(Y17, Y25, 4); \
	R4SUMHI(Y18, Y26, 8); \
	R4SUMHI(Y19, Y27, 12); \
	R4SUMHI(Y20, Y28, 16); \
	R4SUMHI(Y21, Y29, 20); \
	R4SUMHI(Y22, Y30, 24); \
	R4SUMHI(Y23, Y31, 28); \
	VPXORD Y16, Y16, Y16; \
	VPXORD Y17, Y17, Y17; \
	VPXORD Y18, Y18, Y18; \
	VPXORD Y19, Y19, Y19; \
	VPXORD Y20, Y20, Y20; \
	VPXORD Y21, Y21, Y21; \
	VPXORD Y22, Y22, Y22; \
	VPXORD Y23, Y23, Y23; \
	VPXORD Y24, Y24, Y24; \
	VPXORD Y25, Y25, Y25; \
	VPXORD Y26, Y26, Y26; \
	VPXORD Y27, Y27, Y27; \
	VPXORD Y28, Y28, Y28; \
	VPXORD Y29, Y29, Y29; \
	VPXORD Y30, Y30, Y30; \
	VPXORD Y31, Y31, Y31; \
	VZEROUPPER

// func dotQ4_0R8VNNI(x *byte, xstride int, y, d *byte, nb int, out *[8]float32)
TEXT ·dotQ4_0R8VNNI(SB), NOSPLIT, $0-48
	R8PROLOGUE
	BCAST_BYTE(0x08080808, Y15, X15)
dotQ4_0R8VNNIloop:
	CMPQ CX, $2
	JLT dotQ4_0R8VNNItail
	R8PREFETCH
	R8Q4BLOCK(0, 0, 0, Y16, Y17, Y18, Y19, Y20, Y21, Y22, Y23)
	R8Q4BLOCK(18, 34, 4, Y24, Y25, Y26, Y27, Y28, Y29, Y30, Y31)
	ADDQ $36, SI
	ADDQ $36, R12
	ADDQ $68, DI
	ADDQ $8, DX
	SUBQ $2, CX
	JMP dotQ4_0R8VNNIloop
dotQ4_0R8VNNItail:
	TESTQ CX, CX
	JEQ dotQ4_0R8VNNIdone
	R8Q4BLOCK(0, 0, 0, Y16, Y17, Y18, Y19, Y20, Y21, Y22, Y23)
dotQ4_0R8VNNIdone:
	R8EPILOGUE
	RET

// Eight-row Q5_0 kernel in 512-bit registers: each ZMM holds two rows'
// block (row A in the low 256 bits, row B in the high), so the decode,
// the product and the float scaling of two rows take one instruction
// each. A row's 32 quants are split as in the four-row kernel (one
// broadcast load per row, a merge-masked one puts row B's 16 bytes in the
// high half, one variable shift and a mask split the nibbles); the two
// rows' fifth bits form one 64-bit mask (qh of A low, of B high) that adds
// 16 in one masked byte add. (Two KMOVD loads and a KUNPCKDQ instead of the
// scalar merge measured 3% slower.) The weight scales come from f16Table,
// row B's by a merge-masked broadcast into the high half. Every lane does
// the arithmetic of the corresponding lane of the single-row kernel, with the
// same even/odd block accumulators and the same final sum order, so each
// row's result is bit-identical to it.
DATA zshift<>+0x00(SB)/8, $0
DATA zshift<>+0x08(SB)/8, $0
DATA zshift<>+0x10(SB)/8, $4
DATA zshift<>+0x18(SB)/8, $4
DATA zshift<>+0x20(SB)/8, $0
DATA zshift<>+0x28(SB)/8, $0
DATA zshift<>+0x30(SB)/8, $4
DATA zshift<>+0x38(SB)/8, $4
GLOBL zshift<>(SB), RODATA|NOPTR, $64

// Z3 = the activation block's quants in both halves, Z7 its scale, Z13
// the offset's share -16·Σa per lane (Z15 holds 16 in every byte).
#define Z5ACT(yo, do) \
	VBROADCASTI64X4 (yo+2)(DI), Z3; \
	VBROADCASTSS do(DX), Z7; \
	VPXORD Z12, Z12, Z12; \
	VPDPBUSD Z3, Z15, Z12; \
	VPXORD Z13, Z13, Z13; \
	VPSUBD Z12, Z13, Z13

// Z5PAIR adds the block of rows a and b (addresses of their block) into
// acc. K4 selects the high 256 bits (dword lanes 8-15).
#define Z5PAIR(a, b, acc) \
	MOVL 2+a, AX; \
	MOVL 2+b, BX; \
	SHLQ $32, BX; \
	ORQ AX, BX; \
	KMOVQ BX, K3; \
	VBROADCASTI32X4 6+a, Z2; \
	VBROADCASTI32X4 6+b, K4, Z2; \
	VPSRLVQ Z11, Z2, Z2; \
	VPANDD Z14, Z2, Z2; \
	VPADDB Z15, Z2, K3, Z2; \
	MOVWLZX a, AX; \
	MOVWLZX b, BX; \
	VBROADCASTSS (R13)(AX*4), Z1; \
	VBROADCASTSS (R13)(BX*4), K4, Z1; \
	VMULPS Z7, Z1, Z1; \
	VMOVDQA32 Z13, Z6; \
	VPDPBUSD Z3, Z2, Z6; \
	VCVTDQ2PS Z6, Z6; \
	VFMADD231PS Z1, Z6, acc

#define Z5BLOCK(xo, yo, do, a0, a1, a2, a3) \
	Z5ACT(yo, do); \
	Z5PAIR(xo(SI), xo(SI)(R8*1), a0); \
	Z5PAIR(xo(SI)(R8*2), xo(SI)(R9*1), a1); \
	Z5PAIR(xo(R12), xo(R12)(R8*1), a2); \
	Z5PAIR(xo(R12)(R8*2), xo(R12)(R9*1), a3)

// ZSUM2 writes the two rows of a pair (even and odd accumulators) to
// off(R10) and off+4(R10), each summed as R4SUMHI sums a row.
#define ZSUM2(even, odd, off) \
	VADDPS odd, even, Z0; \
	VEXTRACTF128 $1, Y0, X1; \
	VADDPS X1, X0, X1; \
	VHADDPS X1, X1, X1; \
	VHADDPS X1, X1, X1; \
	VMOVSS X1, off(R10); \
	VEXTRACTF64X4 $1, Z0, Y0; \
	VEXTRACTF128 $1, Y0, X1; \
	VADDPS X1, X0, X0; \
	VHADDPS X0, X0, X0; \
	VHADDPS X0, X0, X0; \
	VMOVSS X0, (off+4)(R10)

// func dotQ5_0R8VNNI(x *byte, xstride int, y, d *byte, nb int, out *[8]float32)
TEXT ·dotQ5_0R8VNNI(SB), NOSPLIT, $0-48
	MOVQ x+0(FP), SI
	MOVQ xstride+8(FP), R8
	MOVQ y+16(FP), DI
	MOVQ d+24(FP), DX
	MOVQ nb+32(FP), CX
	MOVQ out+40(FP), R10
	LEAQ (R8)(R8*2), R9
	LEAQ (SI)(R8*4), R12
	MOVQ ·f16Table(SB), R13
	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
	VPXORD Z18, Z18, Z18
	VPXORD Z19, Z19, Z19
	VPXORD Z20, Z20, Z20
	VPXORD Z21, Z21, Z21
	VPXORD Z22, Z22, Z22
	VPXORD Z23, Z23, Z23
	VMOVDQU64 zshift<>(SB), Z11
	MOVL $0x0f0f0f0f, AX
	VPBROADCASTD AX, Z14
	MOVL $0x10101010, AX
	VPBROADCASTD AX, Z15
	MOVL $0xff00, AX
	KMOVW AX, K4
q50z8loop:
	CMPQ CX, $2
	JLT q50z8tail
	R8PREFETCH
	Z5BLOCK(0, 0, 0, Z16, Z17, Z18, Z19)
	Z5BLOCK(22, 34, 4, Z20, Z21, Z22, Z23)
	ADDQ $44, SI
	ADDQ $44, R12
	ADDQ $68, DI
	ADDQ $8, DX
	SUBQ $2, CX
	JMP q50z8loop
q50z8tail:
	TESTQ CX, CX
	JEQ q50z8done
	Z5BLOCK(0, 0, 0, Z16, Z17, Z18, Z19)
q50z8done:
	ZSUM2(Z16, Z20, 0)
	ZSUM2(Z17, Z21, 8)
	ZSUM2(Z18, Z22, 16)
	ZSUM2(Z19, Z23, 24)
	// Leave no dirty upper state in Z16-Z31 (VZEROUPPER clears only
	// the upper halves of Y0-Y15).
	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
	VPXORD Z18, Z18, Z18
	VPXORD Z19, Z19, Z19
	VPXORD Z20, Z20, Z20
	VPXORD Z21, Z21, Z21
	VPXORD Z22, Z22, Z22
	VPXORD Z23, Z23, Z23
	VZEROUPPER
	RET

// Eight-row Q8_0 kernel in 512-bit registers, laid out as dotQ5_0R8VNNI:
// each ZMM holds two rows' block (row A low, row B high). VPSIGNB has no
// 512-bit form, so the sign trick is done with a mask: VPABSB gives the
// weights' magnitudes, VPMOVB2M their signs, and a masked blend picks the
// negated activation (Z9, once per block) where the weight is negative.
// The int32 lanes are the single-row kernel's (a quant's magnitude times
// the activation with its sign; a zero weight contributes zero either
// way), and the float scaling, accumulators and final sums are
// dotQ5_0R8VNNI's, so each row is bit-identical to dotQ8_0VNNI.
#define Z8ACT(yo, do) \
	VBROADCASTI64X4 (yo+2)(DI), Z3; \
	VBROADCASTSS do(DX), Z7; \
	VPSUBB Z3, Z10, Z9

#define Z8PAIR(a, b, acc) \
	VMOVDQU 2+a, Y2; \
	VINSERTI64X4 $1, 2+b, Z2, Z2; \
	VPABSB Z2, Z4; \
	VPMOVB2M Z2, K3; \
	VPBLENDMB Z9, Z3, K3, Z5; \
	MOVWLZX a, AX; \
	MOVWLZX b, BX; \
	VBROADCASTSS (R13)(AX*4), Z1; \
	VBROADCASTSS (R13)(BX*4), K4, Z1; \
	VMULPS Z7, Z1, Z1; \
	VPXORD Z6, Z6, Z6; \
	VPDPBUSD Z5, Z4, Z6; \
	VCVTDQ2PS Z6, Z6; \
	VFMADD231PS Z1, Z6, acc

#define Z8BLOCK(xo, yo, do, a0, a1, a2, a3) \
	Z8ACT(yo, do); \
	Z8PAIR(xo(SI), xo(SI)(R8*1), a0); \
	Z8PAIR(xo(SI)(R8*2), xo(SI)(R9*1), a1); \
	Z8PAIR(xo(R12), xo(R12)(R8*1), a2); \
	Z8PAIR(xo(R12)(R8*2), xo(R12)(R9*1), a3)


// func dotQ8_0R8VNNI(x *byte, xstride int, y, d *byte, nb int, out *[8]float32)
TEXT ·dotQ8_0R8VNNI(SB), NOSPLIT, $0-48
	MOVQ x+0(FP), SI
	MOVQ xstride+8(FP), R8
	MOVQ y+16(FP), DI
	MOVQ d+24(FP), DX
	MOVQ nb+32(FP), CX
	MOVQ out+40(FP), R10
	LEAQ (R8)(R8*2), R9
	LEAQ (SI)(R8*4), R12
	MOVQ ·f16Table(SB), R13
	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
	VPXORD Z18, Z18, Z18
	VPXORD Z19, Z19, Z19
	VPXORD Z20, Z20, Z20
	VPXORD Z21, Z21, Z21
	VPXORD Z22, Z22, Z22
	VPXORD Z23, Z23, Z23
	VPXORD Z10, Z10, Z10
	MOVL $0xff00, AX
	KMOVW AX, K4
q80z8loop:
	CMPQ CX, $2
	JLT q80z8tail
	R8PREFETCH
	Z8BLOCK(0, 0, 0, Z16, Z17, Z18, Z19)
	Z8BLOCK(34, 34, 4, Z20, Z21, Z22, Z23)
	ADDQ $68, SI
	ADDQ $68, R12
	ADDQ $68, DI
	ADDQ $8, DX
	SUBQ $2, CX
	JMP q80z8loop
q80z8tail:
	TESTQ CX, CX
	JEQ q80z8done
	Z8BLOCK(0, 0, 0, Z16, Z17, Z18, Z19)
q80z8done:
	ZSUM2(Z16, Z20, 0)
	ZSUM2(Z17, Z21, 8)
	ZSUM2(Z18, Z22, 16)
	ZSUM2(Z19, Z23, 24)
	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
	VPXORD Z18, Z18, Z18
	VPXORD Z19, Z19, Z19
	VPXORD Z20, Z20, Z20
	VPXORD Z21, Z21, Z21
	VPXORD Z22, Z22, Z22
	VPXORD Z23, Z23, Z23
	VZEROUPPER
	RET

// VNNI variant of the single-row Q4_K kernel: VPDPWSSD does the scale
// multiply and the add of each sub-block's int16 pair sums in one
// instruction, the scales are broadcast by plain loads and the two F16
// scales converted together. Every int32 lane and every float operation
// is the AVX2 kernel's, so the results are bit-identical. (Q6_K's VNNI
// kernel, dotQ6_KZVNNI, is in dotk_amd64.s.)

// Shift counts for KSCALES_VEC: the third scale dword as it is, and
// shifted right by 4.
DATA k4shift<>+0x00(SB)/4, $0
DATA k4shift<>+0x04(SB)/4, $4
DATA k4shift<>+0x08(SB)/4, $0
DATA k4shift<>+0x0c(SB)/4, $0
GLOBL k4shift<>(SB), RODATA|NOPTR, $16

// VPSHUFB controls for KSCALES_VEC on the unpacked bytes (scales 0-7 in
// bytes 0-7, mins 0-7 in bytes 8-15): scales 0-3 and 4-7 as dwords holding
// the scale in both words, and the mins as words.
DATA k4sclo<>+0x00(SB)/8, $0x8001800180008000
DATA k4sclo<>+0x08(SB)/8, $0x8003800380028002
GLOBL k4sclo<>(SB), RODATA|NOPTR, $16
DATA k4schi<>+0x00(SB)/8, $0x8005800580048004
DATA k4schi<>+0x08(SB)/8, $0x8007800780068006
GLOBL k4schi<>(SB), RODATA|NOPTR, $16
DATA k4mins<>+0x00(SB)/8, $0x800b800a80098008
DATA k4mins<>+0x08(SB)/8, $0x800f800e800d800c
GLOBL k4mins<>(SB), RODATA|NOPTR, $16

// func dotQ4_KVNNI(x, y *byte, nb int) float32
TEXT ·dotQ4_KVNNI(SB), NOSPLIT, $32-28
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ nb+16(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS X1, X1, X1
	BCAST_BYTE(0x0f0f0f0f, Y8, X8)
	BCAST_BYTE(0x3f3f3f3f, Y14, X14)
	BCAST_BYTE(0x30303030, Y15, X15)
	TESTQ CX, CX
	JEQ q4kvdone
q4kvloop:
	PREFETCHT0 1024(SI)
	PREFETCHT0 1088(SI)
	PREFETCHT0 1152(SI)
	KSCALE_SETUP_V
	KSCALES_VEC
	KMINS_V
	VPXOR Y4, Y4, Y4
	VPXOR Y11, Y11, Y11
	VPXOR Y12, Y12, Y12
	VPXOR Y13, Y13, Y13
	Q4K_PAIRV(16, 4, 0, Y4, Y11)
	Q4K_PAIRV(48, 68, 8, Y12, Y13)
	Q4K_PAIRV(80, 132, 16, Y4, Y11)
	Q4K_PAIRV(112, 196, 24, Y12, Y13)
	VPADDD Y11, Y4, Y4
	VPADDD Y13, Y12, Y12
	VPADDD Y12, Y4, Y4
	VCVTDQ2PS Y4, Y4
	VFMADD231PS Y2, Y4, Y0
	ADDQ $144, SI
	ADDQ $292, DI
	DECQ CX
	JNE q4kvloop
q4kvdone:
	VSUBPS Y1, Y0, Y0 // X1 holds the min terms, upper lanes zero
	HSUM8
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET

