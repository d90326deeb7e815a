package discover_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/plait-ai/plait/llm/local/discover"
	"github.com/plait-ai/plait/llm/local/ggml"
	"github.com/plait-ai/plait/llm/local/gguf"
)

// writeModel writes a small GGUF with the given architecture, file type and
// weight type, and returns its bytes.
func writeModel(t *testing.T, arch string, fileType int, typ ggml.Type) []byte {
	t.Helper()
	var w gguf.Writer
	w.Set("general.architecture", arch)
	if fileType >= 0 {
		w.Set("general.file_type", uint32(fileType))
	}
	size, _ := typ.RowSize(256 * 4)
	if err := w.AddTensor("blk.0.attn_q.weight", typ, []uint64{256, 4}, gguf.Bytes(make([]byte, size))); err != nil {
		t.Fatal(err)
	}
	if err := w.AddTensor("output_norm.weight", ggml.F32, []uint64{256}, gguf.Bytes(make([]byte, 1024))); err != nil {
		t.Fatal(err)
	}
	b, err := w.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// ollamaStore builds a fake Ollama store holding data as NAME:TAG.
func addOllama(t *testing.T, dir, host, ns, model, tag string, data []byte, blobSep string) {
	t.Helper()
	sum := sha256.Sum256(data)
	digest := "sha256:" + hex.EncodeToString(sum[:])
	blobs := filepath.Join(dir, "blobs")
	os.MkdirAll(blobs, 0o755)
	if data != nil {
		if err := os.WriteFile(filepath.Join(blobs, "sha256"+blobSep+hex.EncodeToString(sum[:])), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	man := map[string]any{
		"schemaVersion": 2,
		"mediaType":     "application/vnd.docker.distribution.manifest.v2+json",
		"config":        map[string]any{"mediaType": "application/vnd.docker.container.image.v1+json", "digest": "sha256:00", "size": 2},
		"layers": []map[string]any{
			{"mediaType": "application/vnd.ollama.image.template", "digest": "sha256:11", "size": 10},
			{"mediaType": discover.MediaTypeModel, "digest": digest, "size": len(data)},
		},
	}
	b, _ := json.Marshal(man)
	md := filepath.Join(dir, "manifests", host, ns, model)
	os.MkdirAll(md, 0o755)
	if err := os.WriteFile(filepath.Join(md, tag), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestFindAndList(t *testing.T) {
	root := t.TempDir()
	store := filepath.Join(root, "ollama")
	models := filepath.Join(root, "models")
	os.MkdirAll(filepath.Join(models, "sub"), 0o755)

	q8 := writeModel(t, "qwen2", 7, ggml.Q8_0)
	q4 := writeModel(t, "llama", 15, ggml.Q4_K)
	noFT := writeModel(t, "llama", -1, ggml.Q6_K)
	addOllama(t, store, "registry.ollama.ai", "library", "qwen2.5", "0.5b", q8, "-")
	addOllama(t, store, "registry.ollama.ai", "library", "llama3.2", "latest", q4, ":")
	addOllama(t, store, "registry.ollama.ai", "someone", "custom", "v1", noFT, "-")
	addOllama(t, store, "registry.ollama.ai", "library", "broken", "latest", nil, "-")
	os.WriteFile(filepath.Join(models, "tiny.gguf"), q8, 0o644)
	os.WriteFile(filepath.Join(models, "sub", "other.gguf"), noFT, 0o644)
	os.WriteFile(filepath.Join(models, "junk.gguf"), []byte("not a gguf file, just text"), 0o644)
	if err := os.Symlink(filepath.Join(models, "tiny.gguf"), filepath.Join(models, "linked.gguf")); err != nil {
		t.Fatal(err)
	}
	os.Symlink(filepath.Join(models, "missing.gguf"), filepath.Join(models, "dangling.gguf"))

	f := discover.Finder{OllamaDir: store, Dirs: []string{models}}
	tests := []struct {
		name, wantSource, wantArch, wantQuant, wantName string
	}{
		{"qwen2.5:0.5b", "ollama", "qwen2", "Q8_0", "qwen2.5:0.5b"},
		{"llama3.2", "ollama", "llama", "Q4_K_M", "llama3.2:latest"},
		{"llama3.2:latest", "ollama", "llama", "Q4_K_M", "llama3.2:latest"},
		{"someone/custom:v1", "ollama", "llama", "Q6_K", "someone/custom:v1"},
		{"registry.ollama.ai/library/qwen2.5:0.5b", "ollama", "qwen2", "Q8_0", "qwen2.5:0.5b"},
		{"tiny", "dir", "qwen2", "Q8_0", "tiny"},
		{"tiny.gguf", "dir", "qwen2", "Q8_0", "tiny"},
		{filepath.Join(models, "sub", "other.gguf"), "path", "llama", "Q6_K", ""},
	}
	for _, tt := range tests {
		m, err := f.Find(tt.name)
		if err != nil {
			t.Errorf("Find(%q): %v", tt.name, err)
			continue
		}
		if m.Source != tt.wantSource || m.Architecture != tt.wantArch || m.Quantization != tt.wantQuant {
			t.Errorf("Find(%q) = %+v", tt.name, m)
		}
		if tt.wantName != "" && m.Name != tt.wantName {
			t.Errorf("Find(%q).Name = %q, want %q", tt.name, m.Name, tt.wantName)
		}
		if m.Size == 0 || m.Parameters != 256*4+256 {
			t.Errorf("Find(%q): size %d, parameters %d", tt.name, m.Size, m.Parameters)
		}
	}
	for _, name := range []string{"nope", "qwen2.5:7b", "broken", "../escape", "a/b/c/d", "", "x:"} {
		if _, err := f.Find(name); !errors.Is(err, discover.ErrNotFound) {
			t.Errorf("Find(%q) = %v, want ErrNotFound", name, err)
		}
	}
	if _, err := f.Find("junk"); err == nil || errors.Is(err, discover.ErrNotFound) || !errors.Is(err, gguf.ErrMalformed) {
		t.Errorf("Find(junk) = %v, want a malformed-file error", err)
	}

	list, err := f.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]discover.Model{}
	for _, m := range list {
		got[m.Name] = m
	}
	if _, ok := got["dangling"]; ok {
		t.Error("a dangling link must not be listed")
	}
	for _, name := range []string{"qwen2.5:0.5b", "llama3.2:latest", "someone/custom:v1", "tiny", "linked", "sub/other", "junk"} {
		if _, ok := got[name]; !ok {
			t.Errorf("List lacks %q (has %v)", name, list)
		}
	}
	if got["junk"].Err == nil || got["tiny"].Err != nil {
		t.Errorf("Err fields: junk %v, tiny %v", got["junk"].Err, got["tiny"].Err)
	}
	if _, ok := got["broken:latest"]; ok {
		t.Error("List includes a model whose blob is missing")
	}

	// The zero Finder reads the environment.
	t.Setenv(discover.EnvOllamaModels, store)
	t.Setenv(discover.EnvPlaitModels, models)
	if m, err := discover.Find("qwen2.5:0.5b"); err != nil || m.Source != "ollama" {
		t.Errorf("env Find = %+v, %v", m, err)
	}
	if m, err := discover.Find("tiny"); err != nil || m.Source != "dir" {
		t.Errorf("env Find(tiny) = %+v, %v", m, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := discover.List(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("List(cancelled) = %v", err)
	}
}

func TestEmptyStores(t *testing.T) {
	f := discover.Finder{OllamaDir: filepath.Join(t.TempDir(), "none"), Dirs: []string{}}
	list, err := f.List(context.Background())
	if err != nil || len(list) != 0 {
		t.Errorf("List = %v, %v", list, err)
	}
	if _, err := f.Find("anything"); !errors.Is(err, discover.ErrNotFound) {
		t.Errorf("Find = %v", err)
	}
}
