package memory_test

import (
	"context"
	"errors"
	"testing"

	"github.com/plait-ai/plait/memory"
	"github.com/plait-ai/plait/memory/memorytest"
)

func TestMemStore(t *testing.T) {
	memorytest.TestStore(t, func(t *testing.T) memory.Store {
		s := memory.NewMemStore()
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestMemNoteStore(t *testing.T) {
	memorytest.TestNoteStore(t, func(t *testing.T) memory.NoteStore { return memory.NewMemStore() })
}

func TestMemStoreClosed(t *testing.T) {
	s := memory.NewMemStore()
	s.Close()
	if _, err := s.Append(context.Background(), memory.NewID(), memorytest.Text("m", 1)...); !errors.Is(err, memory.ErrUnavailable) {
		t.Errorf("Append on a closed store: err = %v, want ErrUnavailable", err)
	}
}

func BenchmarkMemStoreAppend(b *testing.B) { memorytest.BenchAppend(b, memory.NewMemStore()) }

func BenchmarkMemStoreLoad1000(b *testing.B) { memorytest.BenchLoad(b, memory.NewMemStore()) }
