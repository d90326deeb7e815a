package doctest_test

import (
	"go/build"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestDocsInBinary builds a program that reflects doctest.Forecast's schema
// and runs it in an empty directory: the descriptions come from the
// generated file compiled into it, not from the source.
func TestDocsInBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program")
	}
	goCmd, err := exec.LookPath("go")
	if err != nil {
		goCmd = filepath.Join(build.Default.GOROOT, "bin", "go")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "printschema")
	if out, err := exec.Command(goCmd, "build", "-o", bin, "./testdata/printschema").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`"description":"Forecast asks for the weather forecast of a city."`,
		`"description":"City is the city's name, in English."`,
		`"description":"Days is how many days ahead to forecast."`,
		`"enum":["celsius","fahrenheit"]`,
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %s:\n%s", want, out)
		}
	}
}
