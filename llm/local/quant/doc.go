// Package quant holds the numeric kernels of plait's local runtime: the
// GGML block formats (F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K,
// Q3_K, Q4_K, Q5_K, Q6_K, IQ4_NL, IQ4_XS, and Q8_0/Q8_1/Q8_K as activation
// formats: the weight types of llama.cpp's Q2_K, Q3_K_S/M/L, Q4_K_S/M,
// Q5_K_S/M, Q6_K, IQ4_NL, IQ4_XS, Q8_0 and legacy files), bit-exact with
// ggml's layouts; reference quantizers equivalent to ggml's
// quantize_row_*_ref; dot products of quantized weight rows with quantized
// activations as llama.cpp pairs them; and the matrix layer the forward
// pass calls.
//
// # Using it
//
// A weight tensor is a Matrix over its (memory-mapped) bytes; rows are
// Cols elements, a whole number of the type's blocks:
//
//	m := quant.Matrix{Type: ggml.Q8_0, Rows: 4864, Cols: 896, Data: b}
//	pool := quant.NewPool(0) // GOMAXPROCS threads, reused for every call
//	defer pool.Close()
//	err := quant.MatVec(pool, m, x, y)            // decode: y = m·x
//	err = quant.MatMul(pool, m, xs, batch, ys)    // prompt: batch rows at once
//	err = quant.RowDequantize(embd, tokenID, row) // embedding lookup
//
// MatVec quantizes x once into the weight type's activation format
// (VecDotType: Q8_0, Q8_1 or Q8_K, as llama.cpp pairs them) and computes
// integer dot products against the weight blocks, splitting rows over the
// pool. F16 and BF16 weights take float activations rounded to their own
// precision, as llama.cpp converts activations to those weights' type
// (SameActivation says which weight types share an activation); F32
// weights take them as they are. Where several matrices read the same
// input, quantize it once into
// an Activation and call MatVecQ for each, or MatVecMany for all of them
// in one parallel job:
//
//	var a quant.Activation
//	a.Set(wq.Type, x)
//	quant.MatVecMany(pool, []quant.Matrix{wq, wk, wv}, &a, [][]float32{q, k, v})
//
// For one token, Q8_0, Q4_0 and Q5_0 rows go eight (or four) at a time
// through AVX-512 VNNI kernels that load each activation block once for
// all of them (Q5_0's in 512-bit registers, two rows per register);
// results are bit-identical to the single-row kernels. Q4_K rows go four
// at a time through a VNNI kernel that also unpacks two rows' 6-bit scales
// per instruction; Q6_K rows go one at a time through a VNNI kernel in
// 512-bit registers that decodes two 32-quant quarters per instruction.
// Both give the AVX2 kernels' results bit for bit with fewer
// instructions.
//
// MatMul quantizes each activation row once. With AVX-512 VNNI, Q8_0,
// Q4_0 and Q5_0 products run through a register-blocked GEMM kernel, 8
// weight rows × 16 tokens per call; otherwise (and for the tokens and
// rows left over) each weight row runs against several activation rows at
// a time while its block is in registers: eight with VNNI (activations
// offset by 128 so VPDPBUSD takes them unsigned), four with AVX2 for those
// and the K-quants; other types take one row at a time.
//
// Q2_K and Q3_K (the 2- and 3-bit K-quants) have AVX2 kernels for one row
// (MatVec, MatVecQ, MatVecMany) and for one row against four tokens
// (MatMul, MatMulMany). They use Q8_K activations like the other K-quants,
// so one quantized input serves a Q3_K_M file's mix of Q3_K, Q4_K, Q5_K
// and Q6_K matrices.
// MatMulMany does the same for several matrices that read one batch,
// quantizing and packing it once.
//
// IQ4_NL (32-element blocks whose 4-bit quants index 16 non-linear levels)
// takes Q8_0 activations, like Q4_0: llama-quantize writes it in Q2_K and
// Q3_K files for the matrices whose rows are not a whole number of
// 256-element super-blocks (every matrix of a model of width 896, say).
// IQ4_XS (the same levels in 256-element super-blocks with 6-bit
// sub-block scales, a common imatrix quantization) takes Q8_K activations,
// so one quantized input serves it beside the K-quant matrices of its
// files. Both have AVX2 kernels, which look the levels up with VPSHUFB as
// llama.cpp does: for one row (MatVec, MatVecQ, MatVecMany) and for one
// row against four tokens (MatMul, MatMulMany).
//
// Pool.For gives each thread a contiguous share of the rows, streamed in
// order in chunks of about 16 KiB, and a thread that runs out takes chunks
// from the back of the others' shares.
//
// Quantize and Dequantize convert whole rows (or many rows) between float32
// and any supported type; Quantize gives the bytes of ggml's reference
// quantizers (what llama-quantize writes without an importance matrix), so
// the GGUF writer and the tests use it to make models.
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
//
// # Benchmarks
//
//	go test -run XXX -bench . ./llm/local/quant/
//
// MatVec and MatMul for Qwen2.5-0.5B's shapes report GB/s of weights
// streamed and GFLOP/s, and also work per CPU-second (steadier on a shared
// machine). DecodeSim and PromptSim run every matrix product of one token
// (or a 64-token prompt) of a model with those shapes, in Q8_0 and in
// llama-quantize's Q4_K_M mix, and report tokens per second and, for
// decode, the fraction of the measured memory bandwidth reached.
package quant
