package quant

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// spinWait is how long idle workers (and a caller waiting for them) poll
// before parking. Decode runs a job every few tens of microseconds; waking
// a parked goroutine costs several, so short gaps are bridged by spinning.
const spinWait = 50 * time.Microsecond

// Pool is a persistent set of worker goroutines that run the parts of one
// parallel job at a time. Between jobs the workers poll their channel
// briefly before blocking on it, so a dispatch costs a channel send per
// worker and, during decode, no goroutine wake-up.
//
// A nil *Pool is valid and runs everything on the calling goroutine. A Pool
// is safe for concurrent use: a job submitted while another runs (including
// from inside a job) runs on the submitting goroutine instead of waiting,
// so it never deadlocks. Call Close to stop the workers.
type Pool struct {
	n       int
	work    []chan job
	mu      sync.Mutex // held while a job runs
	closed  atomic.Bool
	pending atomic.Int32  // workers still running the current job
	done    chan struct{} // the last worker of a job sends one token
}

type job struct {
	fn          func(part, parts int)
	part, parts int
}

// NewPool starts a pool of n threads in all: the caller's goroutine plus
// n-1 workers. n <= 0 means runtime.GOMAXPROCS(0).
func NewPool(n int) *Pool {
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	p := &Pool{n: n, work: make([]chan job, n-1), done: make(chan struct{}, 1)}
	for i := range p.work {
		ch := make(chan job, 1)
		p.work[i] = ch
		go p.worker(ch)
	}
	return p
}

func (p *Pool) worker(ch chan job) {
	for {
		j, ok := receive(ch)
		if !ok {
			return
		}
		j.fn(j.part, j.parts)
		if p.pending.Add(-1) == 0 {
			p.done <- struct{}{}
		}
	}
}

// receive polls ch for spinWait, then blocks on it.
func receive(ch chan job) (job, bool) {
	deadline := time.Now().Add(spinWait)
	for i := 0; ; i++ {
		select {
		case j, ok := <-ch:
			return j, ok
		default:
		}
		if i&63 == 63 {
			if time.Now().After(deadline) {
				j, ok := <-ch
				return j, ok
			}
			runtime.Gosched() // let other goroutines on this P run
		}
	}
}

// Threads returns the number of threads jobs are split over (1 for nil).
func (p *Pool) Threads() int {
	if p == nil {
		return 1
	}
	return p.n
}

// Close stops the workers. Jobs run after Close run on the caller's
// goroutine. Close is idempotent.
func (p *Pool) Close() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed.Swap(true) {
		return
	}
	for _, ch := range p.work {
		close(ch)
	}
}

// Run calls fn(part, parts) for part = 0..parts-1 with parts equal to
// Threads(), in parallel, and returns when all have returned. Part 0 runs
// on the caller's goroutine.
func (p *Pool) Run(fn func(part, parts int)) {
	if p == nil || p.n == 1 || p.closed.Load() || !p.mu.TryLock() {
		n := p.Threads()
		for i := 0; i < n; i++ {
			fn(i, n)
		}
		return
	}
	defer p.mu.Unlock()
	if p.closed.Load() {
		for i := 0; i < p.n; i++ {
			fn(i, p.n)
		}
		return
	}
	p.pending.Store(int32(len(p.work)))
	for i, ch := range p.work {
		ch <- job{fn: fn, part: i + 1, parts: p.n}
	}
	fn(0, p.n)
	// Poll for the workers to finish, then take the one token the last of
	// them sends (by then it is usually already there).
	deadline := time.Now().Add(spinWait)
	for i := 0; p.pending.Load() != 0; i++ {
		if i&63 == 63 {
			if time.Now().After(deadline) {
				break
			}
			runtime.Gosched()
		}
	}
	<-p.done
}

// For runs body over [0, n) in chunks of chunk items (body receives
// half-open ranges [lo, hi)). Each thread owns a contiguous share of the
// range and works through it from the front, chunk by chunk, so that it
// streams its part of a weight matrix in order (what the hardware
// prefetchers and the kernels' own prefetch of the next rows expect);
// a thread that runs out takes chunks from the back of the others'
// shares, so a thread slowed by other load does less. Chunk boundaries
// stay at multiples of chunk.
func (p *Pool) For(n, chunk int, body func(lo, hi int)) {
	if n <= 0 {
		return
	}
	if chunk < 1 {
		chunk = 1
	}
	threads := p.Threads()
	if threads == 1 || n <= chunk {
		body(0, n)
		return
	}
	if n >= 1<<31 {
		p.forShared(n, chunk, body)
		return
	}
	shares := make([]share, threads)
	chunks := (n + chunk - 1) / chunk
	for i := range shares {
		lo := min(n, chunks*i/threads*chunk)
		hi := min(n, chunks*(i+1)/threads*chunk)
		shares[i].v.Store(packRange(lo, hi))
	}
	p.Run(func(part, parts int) {
		own := &shares[part]
		for {
			v := own.v.Load()
			lo, hi := unpackRange(v)
			if lo >= hi {
				break
			}
			next := min(lo+chunk, hi)
			if own.v.CompareAndSwap(v, packRange(next, hi)) {
				body(lo, next)
			}
		}
		for k := 1; k < parts; k++ {
			victim := &shares[(part+k)%parts]
			for {
				v := victim.v.Load()
				lo, hi := unpackRange(v)
				if lo >= hi {
					break
				}
				from := max(lo, (hi-1)/chunk*chunk)
				if victim.v.CompareAndSwap(v, packRange(lo, from)) {
					body(from, hi)
				}
			}
		}
	})
}

// share is one thread's remaining range of a For, packed as lo | hi<<32,
// on its own cache line.
type share struct {
	v atomic.Uint64
	_ [56]byte
}

func packRange(lo, hi int) uint64 { return uint64(lo) | uint64(hi)<<32 }

func unpackRange(v uint64) (lo, hi int) { return int(uint32(v)), int(v >> 32) }

// forShared is For over one shared counter, for ranges too long to pack.
func (p *Pool) forShared(n, chunk int, body func(lo, hi int)) {
	var next atomic.Int64
	p.Run(func(part, parts int) {
		for {
			hi := int(next.Add(int64(chunk)))
			lo := hi - chunk
			if lo >= n {
				return
			}
			body(lo, min(hi, n))
		}
	})
}
