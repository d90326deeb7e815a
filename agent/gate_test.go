package agent

import (
	"sync"
	"testing"
)

// TestResultGate: waitAll returns only once every step handed away has
// counted its result, even with a wake-up token left over from earlier
// (a put from a run that used the gate before), and every result then
// comes out of ch.
func TestResultGate(t *testing.T) {
	for _, stale := range []bool{false, true} {
		for round := 0; round < 200; round++ {
			const n = 8
			g := newResultGate(n)
			if stale {
				g.all <- struct{}{}
			}
			for range n {
				g.add()
			}
			var wg sync.WaitGroup
			for k := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					g.put(&stepResult{i: k})
				}()
			}
			g.waitAll()
			if left := g.left.Load(); left != 0 {
				t.Fatalf("stale=%v: waitAll returned with %d results not counted", stale, left)
			}
			seen := make(map[int]bool)
			for range n {
				seen[(<-g.ch).i] = true
			}
			if len(seen) != n {
				t.Fatalf("stale=%v: %d distinct results, want %d", stale, len(seen), n)
			}
			wg.Wait()
		}
	}
}
