package llm

import (
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"iter"
	"math/rand/v2"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Middleware wraps a Model with behaviour of its own, as http.Handler
// middleware does.
type Middleware func(Model) Model

// Chain wraps m in mws; the first middleware is the outermost.
//
//	m = llm.Chain(m, llm.Retry(llm.RetryPolicy{}), llm.Limit(llm.Limits{MaxConcurrent: 4}))
func Chain(m Model, mws ...Middleware) Model {
	for i := len(mws) - 1; i >= 0; i-- {
		m = mws[i](m)
	}
	return m
}

// wrapped is a Model built from two functions around an inner model. It
// passes Info through so traces still see the backend.
type wrapped struct {
	inner    Model
	generate func(context.Context, *Request) (*Response, error)
	stream   func(context.Context, *Request) iter.Seq2[Chunk, error]
}

func (w *wrapped) Generate(ctx context.Context, r *Request) (*Response, error) {
	return w.generate(ctx, r)
}
func (w *wrapped) Stream(ctx context.Context, r *Request) iter.Seq2[Chunk, error] {
	return w.stream(ctx, r)
}
func (w *wrapped) Info() Info { return InfoOf(w.inner) }

// Unwrap returns the model the middleware wraps.
func (w *wrapped) Unwrap() Model { return w.inner }

// RetryPolicy configures [Retry]. The zero value retries up to 3 more times,
// starting at 500ms and doubling up to 30s, with full jitter, and waits at
// most 60s for a server's retry-after.
type RetryPolicy struct {
	// MaxRetries is the number of retries after the first attempt; 0 means
	// 3, a negative value none.
	MaxRetries int
	// BaseDelay is the first backoff; 0 means 500ms.
	BaseDelay time.Duration
	// MaxDelay caps a backoff; 0 means 30s.
	MaxDelay time.Duration
	// MaxRetryAfter caps how long a server's retry-after is honoured; a
	// longer wait returns the error instead. 0 means 60s.
	MaxRetryAfter time.Duration
	// ShouldRetry decides which errors to retry; nil means [Retryable].
	ShouldRetry func(error) bool
	// OnRetry, if set, is called before each wait.
	OnRetry func(attempt int, err error, wait time.Duration)
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxRetries == 0 {
		p.MaxRetries = 3
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = 500 * time.Millisecond
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = 30 * time.Second
	}
	if p.MaxRetryAfter <= 0 {
		p.MaxRetryAfter = 60 * time.Second
	}
	if p.ShouldRetry == nil {
		p.ShouldRetry = Retryable
	}
	return p
}

// delay returns the wait before retry number attempt (1-based), or false
// when the error should not be retried.
func (p RetryPolicy) delay(attempt int, err error) (time.Duration, bool) {
	if attempt > p.MaxRetries || !p.ShouldRetry(err) {
		return 0, false
	}
	if ra, ok := RetryAfter(err); ok {
		if ra > p.MaxRetryAfter {
			return 0, false
		}
		// Honour the server's wait, with a little jitter so that many
		// clients told the same thing do not return in lockstep.
		return ra + time.Duration(rand.Int64N(int64(ra/10)+1)), true
	}
	backoff := p.BaseDelay << (attempt - 1)
	if backoff > p.MaxDelay || backoff <= 0 {
		backoff = p.MaxDelay
	}
	// Full jitter: uniform in [backoff/2, backoff].
	return backoff/2 + time.Duration(rand.Int64N(int64(backoff/2)+1)), true
}

// Retry returns middleware that retries failed calls with exponential
// backoff and jitter. It honours a server's retry-after, and never retries
// errors that cannot succeed (authentication, invalid request, context
// length) or a cancelled context. A stream is retried only when it fails
// before yielding anything; once chunks have reached the caller, the error
// is passed on.
func Retry(policy RetryPolicy) Middleware {
	p := policy.withDefaults()
	return func(m Model) Model {
		w := &wrapped{inner: m}
		w.generate = func(ctx context.Context, r *Request) (*Response, error) {
			for attempt := 1; ; attempt++ {
				resp, err := m.Generate(ctx, r)
				if err == nil {
					return resp, nil
				}
				wait, ok := p.delay(attempt, err)
				if !ok || ctx.Err() != nil {
					return resp, err
				}
				if p.OnRetry != nil {
					p.OnRetry(attempt, err, wait)
				}
				if !sleep(ctx, wait) {
					return nil, err
				}
			}
		}
		w.stream = func(ctx context.Context, r *Request) iter.Seq2[Chunk, error] {
			return func(yield func(Chunk, error) bool) {
				for attempt := 1; ; attempt++ {
					started := false
					var failed error
					for c, err := range m.Stream(ctx, r) {
						if err != nil {
							failed = err
							break
						}
						started = true
						if !yield(c, nil) {
							return
						}
					}
					if failed == nil {
						return
					}
					wait, ok := p.delay(attempt, failed)
					if started || !ok || ctx.Err() != nil {
						yield(Chunk{}, failed)
						return
					}
					if p.OnRetry != nil {
						p.OnRetry(attempt, failed, wait)
					}
					if !sleep(ctx, wait) {
						yield(Chunk{}, failed)
						return
					}
				}
			}
		}
		return w
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// Limits configures [Limit]. Zero fields impose no limit.
type Limits struct {
	// MaxConcurrent bounds the calls in flight at once.
	MaxConcurrent int
	// RequestsPerSecond bounds the rate at which calls start.
	RequestsPerSecond float64
	// Burst is the number of calls that may start at once under the rate
	// limit; 0 means 1.
	Burst int
}

// Limit returns middleware that bounds concurrency and request rate. A call
// waits for its turn until ctx ends; a stream holds its slot until the
// caller stops iterating.
func Limit(l Limits) Middleware {
	var sem chan struct{}
	if l.MaxConcurrent > 0 {
		sem = make(chan struct{}, l.MaxConcurrent)
	}
	var lim *rate.Limiter
	if l.RequestsPerSecond > 0 {
		burst := l.Burst
		if burst <= 0 {
			burst = 1
		}
		lim = rate.NewLimiter(rate.Limit(l.RequestsPerSecond), burst)
	}
	acquire := func(ctx context.Context) (func(), error) {
		if sem != nil {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return nil, ContextError("", ctx.Err())
			}
		}
		release := func() {
			if sem != nil {
				<-sem
			}
		}
		if lim != nil {
			if err := lim.Wait(ctx); err != nil {
				release()
				if ctx.Err() != nil {
					return nil, ContextError("", ctx.Err())
				}
				return nil, err
			}
		}
		return release, nil
	}
	return func(m Model) Model {
		w := &wrapped{inner: m}
		w.generate = func(ctx context.Context, r *Request) (*Response, error) {
			release, err := acquire(ctx)
			if err != nil {
				return nil, err
			}
			defer release()
			return m.Generate(ctx, r)
		}
		w.stream = func(ctx context.Context, r *Request) iter.Seq2[Chunk, error] {
			return func(yield func(Chunk, error) bool) {
				release, err := acquire(ctx)
				if err != nil {
					yield(Chunk{}, err)
					return
				}
				defer release()
				for c, err := range m.Stream(ctx, r) {
					if !yield(c, err) || err != nil {
						return
					}
				}
			}
		}
		return w
	}
}

// CacheStore keeps cached responses. Implementations must be safe for
// concurrent use.
type CacheStore interface {
	Get(key string) (*Response, bool)
	Put(key string, resp *Response)
}

// Cache returns middleware that answers a request seen before from store
// instead of calling the model. The key is a hash of the whole request and
// the model's Info. Only successful replies are stored. A cached reply to a
// stream is replayed as one chunk. Caching suits deterministic requests
// (temperature 0, a seed); it is off unless this middleware is used.
func Cache(store CacheStore) Middleware {
	return func(m Model) Model {
		info := InfoOf(m)
		w := &wrapped{inner: m}
		w.generate = func(ctx context.Context, r *Request) (*Response, error) {
			key, err := CacheKey(info, r)
			if err != nil {
				return m.Generate(ctx, r)
			}
			if resp, ok := store.Get(key); ok {
				return cloneResponse(resp), nil
			}
			resp, err := m.Generate(ctx, r)
			if err == nil && resp != nil {
				store.Put(key, cloneResponse(resp))
			}
			return resp, err
		}
		w.stream = func(ctx context.Context, r *Request) iter.Seq2[Chunk, error] {
			return func(yield func(Chunk, error) bool) {
				key, kerr := CacheKey(info, r)
				if kerr == nil {
					if resp, ok := store.Get(key); ok {
						yield(ChunkOf(resp), nil)
						return
					}
				}
				var acc Accumulator
				for c, err := range m.Stream(ctx, r) {
					if err != nil {
						yield(c, err)
						return
					}
					acc.Add(c)
					if !yield(c, nil) {
						return
					}
				}
				if resp, err := acc.Response(); err == nil && kerr == nil {
					store.Put(key, resp)
				}
			}
		}
		return w
	}
}

// CacheKey returns the cache key of a request to a model: a SHA-256 over
// the model's Info and the request's JSON encoding.
func CacheKey(info Info, r *Request) (string, error) {
	h := sha256.New()
	enc := json.NewEncoder(h)
	if err := enc.Encode(info); err != nil {
		return "", err
	}
	if err := enc.Encode(r); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func cloneResponse(r *Response) *Response {
	c := *r
	if r.Message.ToolCalls != nil {
		c.Message.ToolCalls = append([]ToolCall(nil), r.Message.ToolCalls...)
	}
	return &c
}

// MemoryCache is an in-memory [CacheStore] that keeps the most recently
// used entries. Create one with [NewMemoryCache]. It is safe for concurrent
// use.
type MemoryCache struct {
	mu    sync.Mutex
	max   int
	ll    *list.List
	items map[string]*list.Element
}

type cacheEntry struct {
	key  string
	resp *Response
}

// NewMemoryCache returns a cache that holds at most max entries (1024 when
// max <= 0).
func NewMemoryCache(max int) *MemoryCache {
	if max <= 0 {
		max = 1024
	}
	return &MemoryCache{max: max, ll: list.New(), items: make(map[string]*list.Element)}
}

// Get implements CacheStore.
func (c *MemoryCache) Get(key string) (*Response, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[key]; ok {
		c.ll.MoveToFront(e)
		return e.Value.(*cacheEntry).resp, true
	}
	return nil, false
}

// Put implements CacheStore.
func (c *MemoryCache) Put(key string, resp *Response) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[key]; ok {
		e.Value.(*cacheEntry).resp = resp
		c.ll.MoveToFront(e)
		return
	}
	c.items[key] = c.ll.PushFront(&cacheEntry{key, resp})
	for c.ll.Len() > c.max {
		last := c.ll.Back()
		c.ll.Remove(last)
		delete(c.items, last.Value.(*cacheEntry).key)
	}
}

// Len returns the number of entries.
func (c *MemoryCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ll.Len()
}
