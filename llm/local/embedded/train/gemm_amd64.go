package train

import "golang.org/x/sys/cpu"

// useAsm selects the AVX2/FMA micro-kernels; tests turn it off to check
// the pure-Go path.
var useAsm = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// gemm4x16 adds A[4×k]·B[k×16] to C[4×16]; the leading dimensions are in
// elements.
//
//go:noescape
func gemm4x16(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int)

// gemm4x8 adds A[4×k]·B[k×8] to C[4×8].
//
//go:noescape
func gemm4x8(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int)

// gemm4x16T adds Aᵀ·B[k×16] to C[4×16], where A is k×4 with leading
// dimension lda.
//
//go:noescape
func gemm4x16T(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int)

// gemm4x8T adds Aᵀ·B[k×8] to C[4×8], where A is k×4.
//
//go:noescape
func gemm4x8T(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int)

// expAffine8 sets s[i] = expf(s[i]*a - shift) for the first groups of
// eight of n (a multiple of 8) elements whose arguments are within
// [-87, 88]; it returns how many it set.
//
//go:noescape
func expAffine8(s *float32, n int, a, shift float32) int

// useAVX512 selects the 8-row AVX-512 micro-kernels (which use 256-bit
// EVEX forms too, hence VL).
var useAVX512 = useAsm && cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL

// gemm8x32 adds A[8×k]·B[k×32] to C[8×32] with AVX-512.
//
//go:noescape
func gemm8x32(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int)

// gemm8x32T adds Aᵀ·B[k×32] to C[8×32], where A is k×8.
//
//go:noescape
func gemm8x32T(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int)

// maxF32x16 is the largest of n floats, n a positive multiple of 16.
//
//go:noescape
func maxF32x16(s *float32, n int) float32

// sumF32x16 is the sum of n floats, n a multiple of 16.
//
//go:noescape
func sumF32x16(s *float32, n int) float32

// scaleF32x16 multiplies n floats by a, n a multiple of 16.
//
//go:noescape
func scaleF32x16(s *float32, n int, a float32)

// gemm8x24 adds A[8×k]·B[k×24] to C[8×24] with AVX-512.
//
//go:noescape
func gemm8x24(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int)

// gemm8x24T adds Aᵀ·B[k×24] to C[8×24], where A is k×8.
//
//go:noescape
func gemm8x24T(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int)

// gemm8x16 adds A[8×k]·B[k×16] to C[8×16] with AVX-512.
//
//go:noescape
func gemm8x16(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int)

// gemm8x16T adds Aᵀ·B[k×16] to C[8×16], where A is k×8.
//
//go:noescape
func gemm8x16T(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int)

// softmaxGrad8 sets d[j] = p[j]·(d[j] - c)·scale for n elements, n a
// multiple of 8.
//
//go:noescape
func softmaxGrad8(d, p *float32, n int, c, scale float32)

// expAffine16 is expAffine8 with AVX-512, for n a multiple of 16.
//
//go:noescape
func expAffine16(s *float32, n int, a, shift float32) int
