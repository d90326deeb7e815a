// Package testenv locates the test data that lives outside the module.
//
// Data too large to keep in the module (tokenizer vocabularies, tiny
// reference models, function-calling test sets) lives in ../shared/testdata
// beside the checkout. Tests call [Shared] to find a file there; when the
// folder is absent the test is skipped with a clear message, except under CI
// (the CI environment variable is set), where a missing folder is a failure.
// PLAIT_TESTDATA overrides the location.
package testenv

import (
	"os"
	"path/filepath"
	"testing"
)

// Root returns the module root: the nearest directory at or above the
// working directory that holds go.mod. It returns "" when there is none.
func Root() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// SharedDir returns the shared test-data folder, or "" when it cannot be found.
func SharedDir() string {
	if d := os.Getenv("PLAIT_TESTDATA"); d != "" {
		return d
	}
	root := Root()
	if root == "" {
		return ""
	}
	d := filepath.Join(root, "..", "shared", "testdata")
	if st, err := os.Stat(d); err == nil && st.IsDir() {
		return d
	}
	return ""
}

// Shared returns the path of elem inside the shared test-data folder. It
// skips tb when the folder or the file is absent, and fails it instead when
// running under CI, where the data is always present.
func Shared(tb testing.TB, elem ...string) string {
	tb.Helper()
	dir := SharedDir()
	p := filepath.Join(append([]string{dir}, elem...)...)
	if dir == "" {
		missing(tb, "the shared test-data folder (../shared/testdata beside the checkout, or $PLAIT_TESTDATA)")
		return ""
	}
	if _, err := os.Stat(p); err != nil {
		missing(tb, p)
		return ""
	}
	return p
}

func missing(tb testing.TB, what string) {
	tb.Helper()
	if os.Getenv("CI") != "" {
		tb.Fatalf("test data missing under CI: %s", what)
	}
	tb.Skipf("test data not found: %s; skipping", what)
}
