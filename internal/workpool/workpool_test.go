package workpool_test

import (
	"sync"
	"testing"
	"time"

	"github.com/plait-ai/plait/internal/workpool"
)

type task struct {
	start, release chan struct{}
	done           *sync.WaitGroup
}

func (t task) RunTask() {
	t.start <- struct{}{}
	<-t.release
	t.done.Done()
}

// TestPool checks that tasks never queue behind busy workers and that the
// reaper retires every worker once the pool has been idle.
func TestPool(t *testing.T) {
	p := workpool.New(time.Hour)
	const n = 8
	start, release := make(chan struct{}), make(chan struct{})
	var done sync.WaitGroup
	done.Add(n)
	for range n {
		p.Go(task{start, release, &done})
	}
	for range n {
		<-start // every task runs while the others block: no queueing
	}
	if got := p.Live(); got != n {
		t.Fatalf("%d workers for %d blocked tasks", got, n)
	}
	close(release)
	done.Wait()
	// A task handed over after the others finished runs too.
	done.Add(1)
	start2 := make(chan struct{}, 1)
	p.Go(task{start2, release, &done})
	done.Wait()
	restore := p.SetIdle(5 * time.Millisecond)
	defer restore()
	deadline := time.Now().Add(10 * time.Second)
	for p.Live() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d workers left after the pool was idle", p.Live())
		}
		time.Sleep(5 * time.Millisecond)
	}
}
