package tools

import (
	"encoding/json"
	"reflect"
	"time"
	"unsafe"
)

// FastAccepts reports whether the fast path alone accepts args for the
// named tool of s.
func FastAccepts(s *Set, name string, args json.RawMessage) bool {
	e := s.lookup(name)
	return e != nil && e.val.fast != nil && e.val.fast.validateFast(args) == fastOK
}

// ReferenceValidate validates args with the reference validator only.
func ReferenceValidate(s *Set, name string, args json.RawMessage) error {
	v := *s.lookup(name).val
	v.fast = nil
	return v.validate(name, args)
}

// FlatDecode decodes data into *p with the fast decoder of T alone; ok is
// false when T has none or it gave up.
func FlatDecode[T any](data []byte, p *T) (ok bool) {
	d := newFlatDecoder(reflect.TypeFor[T]())
	return d != nil && d.decode(data, unsafe.Pointer(p))
}

// HasFlatDecoder reports whether T gets a fast decoder.
func HasFlatDecoder[T any]() bool { return newFlatDecoder(reflect.TypeFor[T]()) != nil }

// WatchedCalls is the number of attempts the deadline watchdog watches.
func WatchedCalls() int {
	watch.mu.Lock()
	defer watch.mu.Unlock()
	return len(watch.heap)
}

// SetWorkerIdle sets the reaper's period until the returned func restores
// it (from the reaper's next run).
func SetWorkerIdle(d time.Duration) (restore func()) { return toolWorkers.SetIdle(d) }

// LiveWorkers is the number of worker goroutines.
func LiveWorkers() int { return toolWorkers.Live() }

// FlatEncode encodes v with the fast encoder of T alone; ok is false when
// T has none or it gave up.
func FlatEncode[T any](v T) (string, bool) {
	enc := flatOutputEncoder[T]()
	if enc == nil {
		return "", false
	}
	return enc(v)
}
