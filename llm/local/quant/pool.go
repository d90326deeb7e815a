package quant

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Pool is a persistent set of worker goroutines that run the parts of one
// parallel job at a time. The goroutines stay parked between jobs, so a
// dispatch costs a channel send per worker rather than goroutine creation.
//
// A nil *Pool is valid and runs everything on the calling goroutine. A Pool
// is safe for concurrent use: jobs submitted while another runs (including
// from inside a job) run on the submitting goroutine instead of waiting,
// so they never deadlock. Call Close to stop the workers.
type Pool struct {
	n      int
	work   []chan job
	mu     sync.Mutex
	closed atomic.Bool
}

type job struct {
	fn    func(part, parts int)
	part  int
	parts int
	done  *sync.WaitGroup
}

// NewPool starts a pool of n threads in all: the caller's goroutine plus
// n-1 workers. n <= 0 means runtime.GOMAXPROCS(0).
func NewPool(n int) *Pool {
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	p := &Pool{n: n, work: make([]chan job, n-1)}
	for i := range p.work {
		ch := make(chan job, 1)
		p.work[i] = ch
		go func() {
			for j := range ch {
				j.fn(j.part, j.parts)
				j.done.Done()
			}
		}()
	}
	return p
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
	if p == nil || p.closed.Swap(true) {
		return
	}
	p.mu.Lock()
	for _, ch := range p.work {
		close(ch)
	}
	p.mu.Unlock()
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
	var wg sync.WaitGroup
	wg.Add(len(p.work))
	for i, ch := range p.work {
		ch <- job{fn: fn, part: i + 1, parts: p.n, done: &wg}
	}
	fn(0, p.n)
	wg.Wait()
}

// For runs body over [0, n) in chunks of chunk items, handing chunks out
// dynamically to the pool's threads (so a thread slowed by other load takes
// fewer). body receives half-open ranges [lo, hi).
func (p *Pool) For(n, chunk int, body func(lo, hi int)) {
	if n <= 0 {
		return
	}
	if chunk < 1 {
		chunk = 1
	}
	if p.Threads() == 1 || n <= chunk {
		body(0, n)
		return
	}
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
