//go:build !amd64 || purego

package quant

func dotF32(a, b []float32) float32         { return dotF32Go(a, b) }
func axpyF32(alpha float32, x, y []float32) { axpyF32Go(alpha, x, y) }
func readSum(b []byte) uint64               { return readSumGo(b) }

func quantQ8_0(x []float32, dst []byte) { quantQ8_0Go(x, dst) }

func quantQ8_KAct(x []float32, dst []byte) { quantQ8_KGo(x, dst) }
