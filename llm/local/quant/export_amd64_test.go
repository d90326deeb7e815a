//go:build amd64 && !purego

package quant

// SetVNNI switches between the AVX-512 VNNI and the AVX2 kernels where the
// CPU has both, so tests cover both; it reports whether VNNI is available.
func SetVNNI(on bool) bool {
	setKernels(on && hasVNNI)
	return hasVNNI
}

// SetRowGroups turns the row-group matrix-vector kernels (four and eight
// rows per call) on or off, so benchmarks can compare them with the
// single-row kernels in one process.
func SetRowGroups(on bool) {
	setKernels(hasVNNI)
	if !on {
		clear(simdRowKernels)
		clear(simdRowKernels8)
	}
}
