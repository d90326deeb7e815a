//go:build amd64 && !purego

package quant

// SetVNNI switches between the AVX-512 VNNI and the AVX2 kernels where the
// CPU has both, so tests cover both; it reports whether VNNI is available.
func SetVNNI(on bool) bool {
	setKernels(on && hasVNNI)
	return hasVNNI
}
