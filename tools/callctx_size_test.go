package tools

import (
	"testing"
	"unsafe"
)

// TestCallCtxSize keeps a call's context in the 96-byte size class: every
// attempt of every call allocates one.
func TestCallCtxSize(t *testing.T) {
	if s := unsafe.Sizeof(callCtx{}); s > 96 {
		t.Errorf("callCtx is %d bytes, over the 96-byte size class", s)
	}
}
