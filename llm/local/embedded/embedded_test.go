package embedded_test

import (
	"bytes"
	"errors"
	"os"
	"testing"

	"github.com/plait-ai/plait/llm/local/embedded"
)

func TestRegisterAndPath(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	if _, _, ok := embedded.Default(); ok {
		t.Fatal("a model is registered before any Register")
	}
	if _, err := embedded.Path(); !errors.Is(err, embedded.ErrNoModel) {
		t.Fatalf("got %v", err)
	}
	data := []byte("GGUF fake model bytes")
	embedded.Register("demo", data)
	defer embedded.Register("", nil)
	name, got, ok := embedded.Default()
	if !ok || name != "demo" || !bytes.Equal(got, data) {
		t.Fatalf("Default: %q %q %v", name, got, ok)
	}
	p, err := embedded.Path()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil || !bytes.Equal(b, data) {
		t.Fatalf("file holds %q (%v)", b, err)
	}
	if p2, _ := embedded.Path(); p2 != p {
		t.Fatalf("second Path %q differs from %q", p2, p)
	}
}
