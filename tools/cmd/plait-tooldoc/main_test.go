package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	dir := t.TempDir()
	src := "package p\n\n// In is documented.\ntype In struct {\n\t// X is documented.\n\tX int `json:\"x\"`\n}\n"
	if err := os.WriteFile(filepath.Join(dir, "p.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run(dir, "docs_gen.go", "example.com/p"); err != nil {
		t.Fatal(err)
	}
	out, err := os.ReadFile(filepath.Join(dir, "docs_gen.go"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), `"example.com/p.In.X":`) {
		t.Errorf("output:\n%s", out)
	}
	// A second run ignores its own output.
	if err := run(dir, "docs_gen.go", "example.com/p"); err != nil {
		t.Fatal(err)
	}
	if err := run(t.TempDir(), "x.go", "example.com/q"); err == nil {
		t.Error("no error for a directory without Go files")
	}
}
