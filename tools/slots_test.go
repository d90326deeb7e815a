package tools

import (
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestSlotsBound: however many calls take slots at once, some giving up
// while they wait, no more than size hold one at a time, every call that
// does not give up gets one, and once they are all done no slot is held
// and none is left in transit (a later call could take it while every
// slot is held).
func TestSlotsBound(t *testing.T) {
	for _, size := range []int{1, 2, 5} {
		s := newSlots(size)
		var holding, most atomic.Int64
		var wg sync.WaitGroup
		var got, gaveUp atomic.Int64
		const calls = 400
		for i := range calls {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx := context.Background()
				if i%3 == 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, time.Duration(rand.N(50))*time.Microsecond)
					defer cancel()
				}
				if _, err := s.acquire(ctx); err != nil {
					gaveUp.Add(1)
					return
				}
				got.Add(1)
				h := holding.Add(1)
				for {
					m := most.Load()
					if h <= m || most.CompareAndSwap(m, h) {
						break
					}
				}
				if rand.N(4) == 0 {
					time.Sleep(time.Duration(rand.N(20)) * time.Microsecond)
				}
				holding.Add(-1)
				s.release()
			}()
		}
		wg.Wait()
		if m := most.Load(); m > int64(size) {
			t.Errorf("size %d: %d calls held a slot at once", size, m)
		}
		if got.Load()+gaveUp.Load() != calls || gaveUp.Load() > calls/3+1 {
			t.Errorf("size %d: %d got a slot, %d gave up, of %d", size, got.Load(), gaveUp.Load(), calls)
		}
		if n, w := s.n.Load(), len(s.wake); n != 0 || w != 0 {
			t.Errorf("size %d: after the calls %d slots held or awaited, %d in transit", size, n, w)
		}
		// All slots are free again: size calls take one at once.
		for range size {
			if waited, err := s.acquire(context.Background()); waited || err != nil {
				t.Fatalf("size %d: a free slot: waited %v, %v", size, waited, err)
			}
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if waited, err := s.acquire(ctx); !waited || err == nil {
			t.Errorf("size %d: every slot held, ctx done: waited %v, %v", size, waited, err)
		}
		for range size {
			s.release()
		}
	}
}

// TestSlotsWaiterGivesUpAsSlotIsHandedOn: a waiter that gives up just as
// a slot is handed to it leaves nothing behind: the slot is free again
// for exactly one call, and the bound still holds.
func TestSlotsWaiterGivesUpAsSlotIsHandedOn(t *testing.T) {
	for range 200 {
		s := newSlots(1)
		if _, err := s.acquire(context.Background()); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		res := make(chan error, 1)
		go func() {
			_, err := s.acquire(ctx)
			res <- err
		}()
		for s.n.Load() != 2 {
			time.Sleep(time.Microsecond)
		}
		go cancel()
		s.release()
		if err := <-res; err == nil {
			s.release() // it got the slot before it saw ctx done
		}
		if n, w := s.n.Load(), len(s.wake); n != 0 || w != 0 {
			t.Fatalf("%d slots held or awaited, %d in transit", n, w)
		}
		if waited, err := s.acquire(context.Background()); waited || err != nil {
			t.Fatalf("the free slot: waited %v, %v", waited, err)
		}
		ctx2, cancel2 := context.WithTimeout(context.Background(), time.Millisecond)
		if _, err := s.acquire(ctx2); err == nil {
			t.Fatal("a second call took the one slot")
		}
		cancel2()
		cancel()
	}
}
