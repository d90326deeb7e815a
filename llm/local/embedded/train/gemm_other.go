//go:build !amd64

package train

// useAsm is false: there are no assembly micro-kernels off amd64.
var useAsm = false

func gemm4x16(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int) {
	panic("train: no gemm4x16 kernel on this architecture")
}

func gemm4x8(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int) {
	panic("train: no gemm4x8 kernel on this architecture")
}

func gemm4x16T(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int) {
	panic("train: no gemm4x16T kernel on this architecture")
}

func gemm4x8T(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int) {
	panic("train: no gemm4x8T kernel on this architecture")
}

func expAffine8(s *float32, n int, a, shift float32) int { return 0 }

var useAVX512 = false

func gemm8x32(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int) {
	panic("train: no gemm8x32 kernel on this architecture")
}

func gemm8x32T(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int) {
	panic("train: no gemm8x32T kernel on this architecture")
}

func maxF32x16(s *float32, n int) float32 { panic("train: no maxF32x16 kernel on this architecture") }

func sumF32x16(s *float32, n int) float32 { panic("train: no sumF32x16 kernel on this architecture") }

func scaleF32x16(s *float32, n int, a float32) {
	panic("train: no scaleF32x16 kernel on this architecture")
}

func gemm8x24(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int) {
	panic("train: no gemm8x24 kernel on this architecture")
}

func gemm8x24T(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int) {
	panic("train: no gemm8x24T kernel on this architecture")
}

func gemm8x16(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int) {
	panic("train: no gemm8x16 kernel on this architecture")
}

func gemm8x16T(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int) {
	panic("train: no gemm8x16T kernel on this architecture")
}

func softmaxGrad8(d, p *float32, n int, c, scale float32) {
	panic("train: no softmaxGrad8 kernel on this architecture")
}

func expAffine16(s *float32, n int, a, shift float32) int { return 0 }
