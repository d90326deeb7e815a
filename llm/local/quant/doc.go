// Package quant holds the numeric kernels of plait's local runtime: the
// GGML block formats (F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K,
// Q5_K, Q6_K, and Q8_0/Q8_1/Q8_K as activation formats), bit-exact with
// ggml's layouts; reference quantizers equivalent to ggml's
// quantize_row_*_ref; dot products of quantized weight rows with quantized
// activations as llama.cpp pairs them; and the matrix layer the forward
// pass calls.
//
// # Using it
//
// A weight tensor is a Matrix over its (memory-mapped) bytes:
//
//	m := quant.Matrix{Type: ggml.Q4_K, Rows: 4864, Cols: 896 /* must fit the blocks */, Data: b}
//	pool := quant.NewPool(0) // GOMAXPROCS threads, reused for every call
//	defer pool.Close()
//	err := quant.MatVec(pool, m, x, y)           // decode: y = m·x
//	err = quant.MatMul(pool, m, xs, batch, ys)   // prompt: batch rows at once
//	err = quant.RowDequantize(embd, tokenID, row) // embedding lookup
//
// MatVec quantizes x once (VecDotType: Q8_0, Q8_1 or Q8_K) and computes
// integer dot products against the weight blocks, splitting rows over the
// pool. MatMul does the same for a batch, reusing each weight row for every
// activation row while it is in cache (four at a time in registers where an
// assembly kernel exists).
//
// Quantize and Dequantize convert whole rows (or many rows) between float32
// and any supported type; the GGUF writer and tests use Quantize to make
// models.
//
// # SIMD
//
// On amd64 the hot kernels are hand-written Go assembly (AVX2 and FMA, with
// AVX-512 VNNI where the CPU has it, detected at run time). Every kernel has
// a pure-Go counterpart that computes the same integer sums; float results
// differ only in the order of accumulation. Build with the purego tag to
// leave the assembly out, or call SetSIMD(false) (meant for tests and
// benchmarks) to use the Go kernels at run time.
//
// DotF32 and Axpy are the float32 vector kernels attention uses.
// MeasureBandwidth estimates the machine's memory read bandwidth, so
// benchmarks can report the fraction of it decode reaches.
package quant
