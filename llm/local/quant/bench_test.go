package quant_test

import (
	"fmt"
	"github.com/plait-ai/plait/internal/testenv"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/plait-ai/plait/llm/local/ggml"
	"github.com/plait-ai/plait/llm/local/quant"
)

// Qwen2.5-0.5B's matrix shapes (rows x cols).
var benchShapes = []struct {
	name       string
	rows, cols int
}{
	{"attn_q_896x896", 896, 896},
	{"attn_kv_128x896", 128, 896},
	{"ffn_up_4864x896", 4864, 896},
	{"ffn_down_896x4864", 896, 4864},
	{"output_151936x896", 151936, 896},
}

var (
	benchMu       sync.Mutex
	benchMatrices = map[string]quant.Matrix{}
)

// benchMatrix quantizes random weights once per type and shape. The big
// output matrix is built from a repeated 4096-row tile to keep setup fast.
func benchMatrix(b *testing.B, typ ggml.Type, rows, cols int) quant.Matrix {
	benchMu.Lock()
	defer benchMu.Unlock()
	key := fmt.Sprint(typ, rows, cols)
	if m, ok := benchMatrices[key]; ok {
		return m
	}
	r := rand.New(rand.NewPCG(1, uint64(rows*cols)))
	rb, err := quant.RowBytes(typ, cols)
	if err != nil {
		b.Skip(err)
	}
	tile := min(rows, 4096)
	src := gauss(r, tile*cols, 0.02)
	tb := mustQuantize(b, typ, src)
	data := make([]byte, rows*rb)
	for off := 0; off < len(data); off += len(tb) {
		copy(data[off:], tb)
	}
	m := quant.Matrix{Type: typ, Rows: rows, Cols: cols, Data: data}
	benchMatrices[key] = m
	return m
}

func BenchmarkMatVec(b *testing.B) {
	for _, typ := range []ggml.Type{ggml.Q8_0, ggml.Q2_K, ggml.Q3_K, ggml.Q4_K, ggml.Q6_K, ggml.Q5_0, ggml.Q4_0, ggml.IQ4_NL, ggml.IQ4_XS, ggml.F16} {
		for _, sh := range benchShapes {
			if sh.cols%typ.BlockSize() != 0 {
				continue // the K-quants need rows of whole 256-element blocks
			}
			for _, threads := range []int{1, 2} {
				b.Run(fmt.Sprintf("%v/%s/threads=%d", typ, sh.name, threads), func(b *testing.B) {
					m := benchMatrix(b, typ, sh.rows, sh.cols)
					p := quant.NewPool(threads)
					defer p.Close()
					x := gauss(rand.New(rand.NewPCG(2, 3)), sh.cols, 1)
					y := make([]float32, sh.rows)
					b.SetBytes(int64(len(m.Data)))
					b.ResetTimer()
					c0 := testenv.CPUTime()
					for b.Loop() {
						if err := quant.MatVec(p, m, x, y); err != nil {
							b.Fatal(err)
						}
					}
					sec := b.Elapsed().Seconds() / float64(b.N)
					b.ReportMetric(float64(len(m.Data))/sec/1e9, "GB/s")
					reportCPU(b, c0, float64(len(m.Data))/1e9, "GB/cpu-s")
				})
			}
		}
	}
}

func BenchmarkMatMul(b *testing.B) {
	for _, typ := range []ggml.Type{ggml.Q8_0, ggml.Q2_K, ggml.Q3_K, ggml.Q4_K, ggml.Q6_K, ggml.Q5_0, ggml.IQ4_NL, ggml.IQ4_XS} {
		for _, sh := range benchShapes[:4] {
			if sh.cols%typ.BlockSize() != 0 {
				continue
			}
			for _, batch := range []int{32, 64} {
				for _, threads := range []int{1, 2} {
					b.Run(fmt.Sprintf("%v/%s/batch=%d/threads=%d", typ, sh.name, batch, threads), func(b *testing.B) {
						m := benchMatrix(b, typ, sh.rows, sh.cols)
						p := quant.NewPool(threads)
						defer p.Close()
						x := gauss(rand.New(rand.NewPCG(2, 3)), batch*sh.cols, 1)
						y := make([]float32, batch*sh.rows)
						b.ResetTimer()
						c0 := testenv.CPUTime()
						for b.Loop() {
							if err := quant.MatMul(p, m, x, batch, y); err != nil {
								b.Fatal(err)
							}
						}
						sec := b.Elapsed().Seconds() / float64(b.N)
						b.ReportMetric(2*float64(batch*sh.rows*sh.cols)/sec/1e9, "GFLOP/s")
						reportCPU(b, c0, 2*float64(batch*sh.rows*sh.cols)/1e9, "GFLOP/cpu-s")
					})
				}
			}
		}
	}
}

// reportCPU reports work per CPU-second of the process (all threads,
// spinning included) since c0: on a machine shared with other jobs it is
// steadier than the wall-clock rate. For one thread it is the kernel's own
// speed; for more it understates it by the time workers spend waiting.
func reportCPU(b *testing.B, c0 time.Duration, workPerOp float64, unit string) {
	if c := (testenv.CPUTime() - c0).Seconds(); c > 0 {
		b.ReportMetric(workPerOp*float64(b.N)/c, unit)
	}
}

// BenchmarkMatMulVNNI compares the AVX-512 VNNI and AVX2 batched kernels.
func BenchmarkMatMulVNNI(b *testing.B) {
	if !quant.SetVNNI(true) {
		b.Skip("no AVX-512 VNNI")
	}
	defer quant.SetVNNI(true)
	for _, vnni := range []bool{true, false} {
		b.Run(fmt.Sprintf("vnni=%v", vnni), func(b *testing.B) {
			quant.SetVNNI(vnni)
			const rows, cols, batch = 896, 896, 64
			m := benchMatrix(b, ggml.Q8_0, rows, cols)
			x := gauss(rand.New(rand.NewPCG(2, 3)), batch*cols, 1)
			y := make([]float32, batch*rows)
			c0 := testenv.CPUTime()
			for b.Loop() {
				quant.MatMul(nil, m, x, batch, y)
			}
			sec := b.Elapsed().Seconds() / float64(b.N)
			b.ReportMetric(2*float64(batch*rows*cols)/sec/1e9, "GFLOP/s")
			reportCPU(b, c0, 2*float64(batch*rows*cols)/1e9, "GFLOP/cpu-s")
		})
	}
}

func BenchmarkDot(b *testing.B) {
	for _, typ := range weightTypes {
		for _, simd := range []bool{false, true} {
			b.Run(fmt.Sprintf("%v/simd=%v", typ, simd), func(b *testing.B) {
				defer quant.SetSIMD(quant.SetSIMD(simd))
				r := rand.New(rand.NewPCG(4, 5))
				n := 4096
				w := mustQuantize(b, typ, gauss(r, n, 0.02))
				a, _ := quant.QuantizeActivation(typ, gauss(r, n, 1), nil)
				b.SetBytes(int64(len(w)))
				for b.Loop() {
					quant.Dot(typ, w, a, n)
				}
			})
		}
	}
}

func BenchmarkQuantizeActivation(b *testing.B) {
	for _, typ := range []ggml.Type{ggml.Q8_0, ggml.Q4_K} {
		b.Run(typ.String(), func(b *testing.B) {
			x := gauss(rand.New(rand.NewPCG(6, 7)), 4864, 1)
			buf := make([]byte, 8192)
			for b.Loop() {
				quant.QuantizeActivation(typ, x, buf)
			}
		})
	}
}

// BenchmarkPoolDispatch measures the cost of one parallel job with an
// empty body: the synchronization overhead every MatVec pays.
func BenchmarkPoolDispatch(b *testing.B) {
	for _, threads := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("threads=%d", threads), func(b *testing.B) {
			p := quant.NewPool(threads)
			defer p.Close()
			for b.Loop() {
				p.Run(func(part, parts int) {})
			}
		})
	}
}

func BenchmarkBandwidth(b *testing.B) {
	for _, threads := range []int{1, 2} {
		b.Run(fmt.Sprintf("threads=%d", threads), func(b *testing.B) {
			p := quant.NewPool(threads)
			defer p.Close()
			var bw float64
			for b.Loop() {
				bw = quant.MeasureBandwidth(p, 256<<20, 200*time.Millisecond)
			}
			b.ReportMetric(bw/1e9, "GB/s")
		})
	}
}

func BenchmarkDotF32(b *testing.B) {
	r := rand.New(rand.NewPCG(8, 9))
	x, y := gauss(r, 64, 1), gauss(r, 64, 1)
	for b.Loop() {
		quant.DotF32(x, y)
	}
}

// seededMatVec returns a random matrix of typ (seed 7, 8) and a
// Gaussian activation quantized for it (seed 2, 3): the operands of the
// kernel benchmarks, the same in every run.
func seededMatVec(b *testing.B, typ ggml.Type, rows, cols int) (quant.Matrix, *quant.Activation) {
	m := randomMatrix(rand.New(rand.NewPCG(7, 8)), typ, rows, cols)
	a := new(quant.Activation)
	must(b, a.Set(typ, gauss(rand.New(rand.NewPCG(2, 3)), cols, 1)))
	return m, a
}

// BenchmarkMatVecCached measures the matrix-vector kernels alone: 64 rows
// of ffn_down's width (4864), small enough to stay in L2, on one thread,
// with the activation quantized once. It reports CPU nanoseconds per row
// (steadier than wall-clock on a shared machine) and per KiB of weights,
// with the AVX-512 VNNI kernels and with the AVX2 ones.
func BenchmarkMatVecCached(b *testing.B) {
	const rows, cols = 64, 4864
	for _, typ := range []ggml.Type{ggml.Q8_0, ggml.Q5_0, ggml.Q2_K, ggml.Q3_K, ggml.Q4_K, ggml.Q6_K, ggml.IQ4_NL, ggml.IQ4_XS} {
		for _, vnni := range []bool{true, false} {
			b.Run(fmt.Sprintf("%v/vnni=%v", typ, vnni), func(b *testing.B) {
				if !quant.SetVNNI(vnni) && vnni {
					b.Skip("no AVX-512 VNNI")
				}
				defer quant.SetVNNI(true)
				m, a := seededMatVec(b, typ, rows, cols)
				y := make([]float32, rows)
				c0 := testenv.CPUTime()
				for b.Loop() {
					must(b, quant.MatVecQ(nil, m, a, y))
				}
				if c := (testenv.CPUTime() - c0).Seconds(); c > 0 {
					per := c * 1e9 / float64(b.N)
					b.ReportMetric(per/rows, "cpu-ns/row")
					b.ReportMetric(per/(float64(len(m.Data))/1024), "cpu-ns/KiB")
				}
			})
		}
	}
}

// BenchmarkRowGroups compares the row-group matrix-vector kernels with
// the single-row kernels on the matrix of BenchmarkMatVecCached, in one
// process: each iteration times a slice of products with each in turn,
// and the fastest slice of each is reported (CPU nanoseconds per row),
// which cancels most of the drift of a shared machine.
func BenchmarkRowGroups(b *testing.B) {
	const rows, cols, reps = 64, 4864, 40
	for _, typ := range []ggml.Type{ggml.Q8_0, ggml.Q5_0, ggml.Q4_K, ggml.Q6_K} {
		b.Run(typ.String(), func(b *testing.B) {
			defer quant.SetRowGroups(true)
			m, a := seededMatVec(b, typ, rows, cols)
			y := make([]float32, rows)
			best := [2]time.Duration{1 << 62, 1 << 62}
			for b.Loop() {
				for i, on := range []bool{true, false} {
					quant.SetRowGroups(on)
					c0 := testenv.CPUTime()
					for range reps {
						must(b, quant.MatVecQ(nil, m, a, y))
					}
					best[i] = min(best[i], testenv.CPUTime()-c0)
				}
			}
			per := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / reps / rows }
			b.ReportMetric(per(best[0]), "groups-ns/row")
			b.ReportMetric(per(best[1]), "single-ns/row")
			b.ReportMetric(per(best[1])/per(best[0]), "speedup")
		})
	}
}

// BenchmarkMatVecStreamed runs memory-bound matrix-vector products (about
// 100 MB per matrix, far beyond the caches, as in decode) of each weight
// type in one process, taking turns, and reports the weight bandwidth each
// reaches (median of the turns) and its share of Q8_0's: the types whose
// kernels need more work per byte fall behind the memory system there.
//
//	go test -run XXX -bench BenchmarkMatVecStreamed -benchtime 20x ./llm/local/quant/
func BenchmarkMatVecStreamed(b *testing.B) {
	if testing.Short() {
		b.Skip("allocates about 0.5 GB")
	}
	const rows, cols = 110592, 896 // Qwen2.5-0.5B's hidden size
	types := []ggml.Type{ggml.Q8_0, ggml.Q5_0, ggml.Q4_0, ggml.Q4_K, ggml.Q6_K}
	var ms []quant.Matrix
	var as []*quant.Activation
	for _, typ := range types {
		c := cols
		if typ.BlockSize() == 256 {
			c = 1024 // K-quants need whole 256-blocks
		}
		m, a := seededMatVec(b, typ, rows, c)
		ms, as = append(ms, m), append(as, a)
	}
	y := make([]float32, rows)
	for _, threads := range []int{1, 2} {
		b.Run(fmt.Sprintf("threads=%d", threads), func(b *testing.B) {
			p := quant.NewPool(threads)
			defer p.Close()
			gbs := make([][]float64, len(ms))
			for b.Loop() {
				for i, m := range ms {
					t0 := time.Now()
					must(b, quant.MatVecQ(p, m, as[i], y))
					gbs[i] = append(gbs[i], float64(len(m.Data))/time.Since(t0).Seconds()/1e9)
				}
			}
			med := make([]float64, len(ms))
			for i := range ms {
				slices.Sort(gbs[i])
				med[i] = gbs[i][len(gbs[i])/2]
				b.ReportMetric(med[i], types[i].String()+"-GB/s")
			}
			for i := 1; i < len(ms); i++ {
				b.ReportMetric(med[i]/med[0], types[i].String()+"/Q8_0")
			}
		})
	}
}

// BenchmarkQuantize measures the reference quantizers (what tests use to
// build models) on 64 rows of 4864 values.
func BenchmarkQuantize(b *testing.B) {
	for _, typ := range []ggml.Type{ggml.Q4_0, ggml.Q3_K, ggml.Q4_K, ggml.IQ4_NL, ggml.IQ4_XS} {
		b.Run(typ.String(), func(b *testing.B) {
			x := gauss(rand.New(rand.NewPCG(8, 9)), 64*4864, 1)
			n, _ := quant.RowBytes(typ, len(x))
			dst := make([]byte, n)
			b.SetBytes(int64(4 * len(x)))
			for b.Loop() {
				must(b, quant.Quantize(typ, x, dst))
			}
		})
	}
}
