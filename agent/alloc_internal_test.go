package agent

import (
	"reflect"
	"testing"
	"unsafe"

	"go.opentelemetry.io/otel"
)

// TestRunAllocationSize checks that a run, allocated with its result and
// scratchpad (runAlloc), fills its size class and no more: its room for
// the first plan's summary (run.sum0) takes what the class would leave
// unused, and a field added to the run must take bytes from that room
// rather than move the allocation up a size class.
func TestRunAllocationSize(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("the room is sized for 64-bit platforms")
	}
	// An object of over 512 bytes with pointers carries an 8-byte
	// header in its allocation.
	const header, class = 8, 1536
	size := unsafe.Sizeof(runAlloc{}) + header
	if size > class {
		t.Errorf("a run's allocation takes %d bytes, over the %d of its size class: shrink runSummaryRoom (%d) by %d", size, class, runSummaryRoom, size-class)
	}
	if class-size >= 8 {
		t.Errorf("a run's allocation takes %d bytes, leaving %d of its size class (%d) unused: add them to runSummaryRoom (%d)", size, class-size, class, runSummaryRoom)
	}
}

// TestGlobalTracingOffDefault checks that runs see the global default
// tracer provider, installed before any other, as recording nothing,
// the second time (by the type remembered) as the first (by its name).
func TestGlobalTracingOffDefault(t *testing.T) {
	if reflect.TypeOf(otel.GetTracerProvider()).String() != "*global.tracerProvider" {
		t.Skip("a tracer provider is installed already")
	}
	for i := range 2 {
		if !globalTracingOff() {
			t.Fatalf("call %d: the global default provider is taken as recording", i+1)
		}
	}
}
