package train_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/plait-ai/plait/llm/local/embedded/train"
)

// FuzzResume: no checkpoint bytes make Resume panic or allocate what the
// file does not hold.
func FuzzResume(f *testing.F) {
	c := micro(16)
	c.Steps = 2
	ds, _ := train.NewDataset(progressions(4, 16, 8, 1), 32, 1)
	tr, err := train.New(c, ds)
	if err != nil {
		f.Fatal(err)
	}
	dir := f.TempDir()
	good := filepath.Join(dir, "good")
	if err := tr.Save(good); err != nil {
		f.Fatal(err)
	}
	b, _ := os.ReadFile(good)
	f.Add(b)
	f.Add(b[:len(b)/2])
	f.Add(b[:40])
	f.Add([]byte("PLAITCK1\x10\x00\x00\x00{\"config\":{}}   "))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "ck")
		os.WriteFile(p, data, 0o600)
		ds, _ := train.NewDataset(progressions(2, 16, 8, 1), 32, 1)
		tr, err := train.Resume(p, ds, 0)
		if err == nil && tr.StepNum() < 0 {
			t.Fatal("negative step")
		}
	})
}
