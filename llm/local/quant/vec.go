package quant

import (
	"encoding/binary"
	"time"
)

// DotF32 returns the dot product of a and b over min(len(a), len(b))
// elements (attention scores).
func DotF32(a, b []float32) float32 {
	n := min(len(a), len(b))
	return dotF32(a[:n], b[:n])
}

// Axpy adds alpha*x to y element by element over min(len(x), len(y))
// elements (attention's weighted sum of values).
func Axpy(alpha float32, x, y []float32) {
	n := min(len(x), len(y))
	axpyF32(alpha, x[:n], y[:n])
}

func dotF32Go(a, b []float32) float32 {
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

func axpyF32Go(alpha float32, x, y []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += alpha * v
	}
}

func readSumGo(b []byte) uint64 {
	var s uint64
	for len(b) >= 8 {
		s += binary.LittleEndian.Uint64(b)
		b = b[8:]
	}
	return s
}

// MeasureBandwidth estimates the memory read bandwidth in bytes per second
// reachable with p's threads: it streams a buffer of size bytes (at least
// 64 MiB is sensible, well beyond the caches; smaller values are raised to
// 1 MiB), split over the threads, for about the given duration (at least
// three passes), and reports the best pass. It allocates the buffer for
// the duration of the call.
func MeasureBandwidth(p *Pool, size int, d time.Duration) float64 {
	size = max(size, 1<<20) &^ 4095
	buf := make([]byte, size)
	for i := 0; i < len(buf); i += 4096 {
		buf[i] = byte(i >> 12) // touch every page
	}
	threads := p.Threads()
	part := (size / threads) &^ 255
	sums := make([]uint64, threads*8) // padded per thread
	best := 0.0
	start := time.Now()
	for pass := 0; pass < 3 || time.Since(start) < d; pass++ {
		t0 := time.Now()
		p.Run(func(i, n int) {
			lo := i * part
			hi := lo + part
			if i == n-1 {
				hi = size
			}
			sums[8*i] += readSum(buf[lo:hi])
		})
		if el := time.Since(t0).Seconds(); el > 0 {
			best = max(best, float64(size)/el)
		}
		if pass > 1000 {
			break
		}
	}
	sink = sums[0]
	return best
}

var sink uint64
