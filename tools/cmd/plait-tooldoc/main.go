// Command plait-tooldoc writes the Go doc comments of a package's types and
// fields into a Go file that registers them with tools.RegisterDocs, so the
// JSON schemas that package tools reflects for tool inputs carry the
// comments in a compiled binary, where the source is not at hand.
//
// Put this line in the package that defines tool input types:
//
//	//go:generate go run github.com/plait-ai/plait/tools/cmd/plait-tooldoc
//
// and run go generate. Flags:
//
//	-dir  the package directory (default: the current directory)
//	-o    the output file, in that directory (default: tooldoc_gen.go)
//	-pkg  the package's import path (default: worked out from go.mod)
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/plait-ai/plait/tools/internal/tooldoc"
)

func main() {
	dir := flag.String("dir", ".", "the package directory")
	out := flag.String("o", "tooldoc_gen.go", "the output file, relative to -dir")
	pkgPath := flag.String("pkg", "", "the package's import path (default: from go.mod)")
	flag.Parse()
	if err := run(*dir, *out, *pkgPath); err != nil {
		fmt.Fprintln(os.Stderr, "plait-tooldoc:", err)
		os.Exit(1)
	}
}

func run(dir, out, pkgPath string) error {
	pkg, err := tooldoc.Extract(dir, pkgPath)
	if err != nil {
		return err
	}
	src, err := tooldoc.Generate(pkg)
	if err != nil {
		return err
	}
	if !filepath.IsAbs(out) {
		out = filepath.Join(dir, out)
	}
	return os.WriteFile(out, src, 0o644)
}
