package discover

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/plait-ai/plait/llm/local/ggml"
	"github.com/plait-ai/plait/llm/local/gguf"
)

// ErrNotFound: no model of that name was found.
var ErrNotFound = errors.New("discover: model not found")

// Environment variables read by the zero Finder.
const (
	EnvOllamaModels = "OLLAMA_MODELS" // Ollama's model store
	EnvPlaitModels  = "PLAIT_MODELS"  // directories of .gguf files
)

// MediaTypeModel is the media type of the GGUF layer of an Ollama manifest.
const MediaTypeModel = "application/vnd.ollama.image.model"

// Model is a GGUF model found on disk.
type Model struct {
	Name         string    // how to ask for it: "qwen2.5:0.5b", "tiny-llama", a path
	Path         string    // the GGUF file
	Source       string    // "ollama", "dir" or "path"
	Size         int64     // bytes
	ModTime      time.Time // of the file
	Architecture string    // general.architecture: "llama", "qwen2"
	Quantization string    // "Q4_K_M", "Q8_0", "F16" ...
	Parameters   int64     // number of weights, summed over the tensors
	Err          error     // set by List when the header could not be read
}

// Finder looks for models. The zero Finder reads the environment:
// $OLLAMA_MODELS (else ~/.ollama/models) and $PLAIT_MODELS.
type Finder struct {
	// OllamaDir is Ollama's store (the folder holding manifests/ and
	// blobs/). Empty: $OLLAMA_MODELS, else ~/.ollama/models.
	OllamaDir string
	// Dirs are folders of .gguf files. Nil: $PLAIT_MODELS.
	Dirs []string
	// NoOllama skips Ollama's store.
	NoOllama bool
}

func (f Finder) ollamaDir() string {
	if f.NoOllama {
		return ""
	}
	if f.OllamaDir != "" {
		return f.OllamaDir
	}
	if d := os.Getenv(EnvOllamaModels); d != "" {
		return d
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".ollama", "models")
	}
	return ""
}

func (f Finder) dirs() []string {
	if f.Dirs != nil {
		return f.Dirs
	}
	var out []string
	for _, d := range filepath.SplitList(os.Getenv(EnvPlaitModels)) {
		if d != "" {
			out = append(out, d)
		}
	}
	return out
}

// Find resolves name with the zero Finder.
func Find(name string) (Model, error) { return Finder{}.Find(name) }

// List lists models with the zero Finder.
func List(ctx context.Context) ([]Model, error) { return Finder{}.List(ctx) }

// Find resolves name: an existing file path first, then a file of that name
// in the models directories, then an Ollama model. The Model's header
// fields are filled in from the file.
func (f Finder) Find(name string) (Model, error) {
	if name == "" {
		return Model{}, fmt.Errorf("%w: empty name", ErrNotFound)
	}
	if st, err := os.Stat(name); err == nil && st.Mode().IsRegular() {
		return describe(Model{Name: name, Path: name, Source: "path"})
	}
	for _, d := range f.dirs() {
		for _, cand := range []string{name, name + ".gguf"} {
			p := filepath.Join(d, cand)
			if rel, err := filepath.Rel(d, p); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
				continue // no escape from the directory
			}
			if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
				return describe(Model{Name: strings.TrimSuffix(name, ".gguf"), Path: p, Source: "dir"})
			}
		}
	}
	if od := f.ollamaDir(); od != "" {
		m, err := ollamaModel(od, name)
		if err == nil {
			return describe(m)
		}
		if !errors.Is(err, ErrNotFound) {
			return Model{}, err
		}
	}
	return Model{}, fmt.Errorf("%w: %q is not a file, not in the models directories (%s=%q) and not in Ollama's store (%q); run `ollama pull %s` or set %s", ErrNotFound, name, EnvPlaitModels, strings.Join(f.dirs(), string(os.PathListSeparator)), f.ollamaDir(), name, EnvPlaitModels)
}

// List returns every model in the models directories and in Ollama's
// store, sorted by name. A model whose header cannot be read is listed with
// Err set. ctx cancels a long scan.
func (f Finder) List(ctx context.Context) ([]Model, error) {
	var out []Model
	for _, d := range f.dirs() {
		err := filepath.WalkDir(d, func(p string, e fs.DirEntry, err error) error {
			if err != nil {
				return nil // unreadable parts are skipped
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if e.IsDir() {
				if rel, _ := filepath.Rel(d, p); strings.Count(rel, string(filepath.Separator)) >= 3 {
					return fs.SkipDir
				}
				return nil
			}
			if !strings.EqualFold(filepath.Ext(p), ".gguf") {
				return nil
			}
			if e.Type()&fs.ModeSymlink != 0 {
				// A link to a model file counts, as it does for Find.
				if st, err := os.Stat(p); err != nil || !st.Mode().IsRegular() {
					return nil
				}
			} else if !e.Type().IsRegular() {
				return nil
			}
			rel, _ := filepath.Rel(d, p)
			m, err := describe(Model{Name: strings.TrimSuffix(filepath.ToSlash(rel), filepath.Ext(rel)), Path: p, Source: "dir"})
			m.Err = err
			out = append(out, m)
			return nil
		})
		if err != nil {
			return out, err
		}
	}
	if od := f.ollamaDir(); od != "" {
		names, err := ollamaNames(od)
		if err != nil {
			return out, err
		}
		for _, n := range names {
			if ctx.Err() != nil {
				return out, ctx.Err()
			}
			m, err := ollamaModel(od, n)
			if err != nil {
				continue // a manifest without a model layer (an embedding projector, a broken pull)
			}
			m, err = describe(m)
			m.Err = err
			out = append(out, m)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// describe fills in the size and header fields of m.
func describe(m Model) (Model, error) {
	st, err := os.Stat(m.Path)
	if err != nil {
		return m, fmt.Errorf("discover: %w", err)
	}
	m.Size, m.ModTime = st.Size(), st.ModTime()
	f, err := gguf.Open(m.Path)
	if err != nil {
		return m, fmt.Errorf("discover: %s: %w", m.Name, err)
	}
	defer f.Close()
	m.Architecture = f.Architecture()
	m.Quantization = Quantization(f)
	for _, t := range f.Tensors() {
		m.Parameters += t.Elements()
	}
	return m, nil
}

// fileTypes names llama.cpp's llama_ftype values (general.file_type).
var fileTypes = map[uint64]string{
	0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1",
	10: "Q2_K", 11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M",
	16: "Q5_K_S", 17: "Q5_K_M", 18: "Q6_K", 19: "IQ2_XXS", 20: "IQ2_XS", 21: "Q2_K_S",
	22: "IQ3_XS", 23: "IQ3_XXS", 24: "IQ1_S", 25: "IQ4_NL", 26: "IQ3_S", 27: "IQ3_M",
	28: "IQ2_S", 29: "IQ2_M", 30: "IQ4_XS", 31: "IQ1_M", 32: "BF16", 36: "TQ1_0", 37: "TQ2_0",
	38: "MXFP4_MOE",
}

// Quantization names a file's quantization: from general.file_type when the
// file has it, else the tensor type holding the most bytes of weights.
func Quantization(f *gguf.File) string {
	if ft, err := f.Uint("general.file_type"); err == nil {
		if s, ok := fileTypes[ft]; ok {
			return s
		}
	}
	bytes := map[ggml.Type]int64{}
	for _, t := range f.Tensors() {
		if len(t.Dims) >= 2 {
			bytes[t.Type] += t.Size()
		}
	}
	best, bestN := "", int64(-1)
	for typ, n := range bytes {
		if n > bestN || (n == bestN && typ.String() < best) {
			best, bestN = typ.String(), n
		}
	}
	return best
}

// ---- Ollama ----

const ollamaRegistry = "registry.ollama.ai"

// ollamaRef splits an Ollama model name into its manifest path parts:
// "qwen2.5" → registry.ollama.ai/library/qwen2.5/latest.
func ollamaRef(name string) (host, namespace, model, tag string, err error) {
	host, namespace, tag = ollamaRegistry, "library", "latest"
	base := name
	if i := strings.LastIndexByte(name, ':'); i > strings.LastIndexByte(name, '/') {
		base, tag = name[:i], name[i+1:]
	}
	parts := strings.Split(base, "/")
	switch len(parts) {
	case 1:
		model = parts[0]
	case 2:
		namespace, model = parts[0], parts[1]
	case 3:
		host, namespace, model = parts[0], parts[1], parts[2]
	default:
		return "", "", "", "", fmt.Errorf("%w: %q is not an Ollama model name", ErrNotFound, name)
	}
	for _, p := range []string{host, namespace, model, tag} {
		if p == "" || p == "." || p == ".." || strings.ContainsAny(p, `\/`) {
			return "", "", "", "", fmt.Errorf("%w: %q is not an Ollama model name", ErrNotFound, name)
		}
	}
	return host, namespace, model, tag, nil
}

type manifest struct {
	Layers []struct {
		MediaType string `json:"mediaType"`
		Digest    string `json:"digest"`
		Size      int64  `json:"size"`
	} `json:"layers"`
}

// ollamaModel resolves name in the store at dir to its GGUF blob.
func ollamaModel(dir, name string) (Model, error) {
	host, ns, model, tag, err := ollamaRef(name)
	if err != nil {
		return Model{}, err
	}
	mp := filepath.Join(dir, "manifests", host, ns, model, tag)
	b, err := os.ReadFile(mp)
	if errors.Is(err, fs.ErrNotExist) {
		return Model{}, fmt.Errorf("%w: no Ollama manifest %s", ErrNotFound, mp)
	}
	if err != nil {
		return Model{}, fmt.Errorf("discover: %w", err)
	}
	var man manifest
	if err := json.Unmarshal(b, &man); err != nil {
		return Model{}, fmt.Errorf("discover: Ollama manifest %s: %w", mp, err)
	}
	for _, l := range man.Layers {
		if l.MediaType != MediaTypeModel {
			continue
		}
		algo, hex, ok := strings.Cut(l.Digest, ":")
		if !ok || algo == "" || hex == "" || strings.ContainsAny(l.Digest, `/\.`) {
			return Model{}, fmt.Errorf("discover: Ollama manifest %s: bad digest %q", mp, l.Digest)
		}
		for _, blob := range []string{algo + "-" + hex, algo + ":" + hex} {
			p := filepath.Join(dir, "blobs", blob)
			if _, err := os.Stat(p); err == nil {
				display := model + ":" + tag
				if ns != "library" || host != ollamaRegistry {
					display = ns + "/" + display
				}
				if host != ollamaRegistry {
					display = host + "/" + display
				}
				return Model{Name: display, Path: p, Source: "ollama"}, nil
			}
		}
		return Model{}, fmt.Errorf("%w: Ollama blob %s of %s is missing (re-run `ollama pull %s`)", ErrNotFound, l.Digest, name, name)
	}
	return Model{}, fmt.Errorf("%w: Ollama manifest %s has no model layer", ErrNotFound, mp)
}

// ollamaNames lists the model names of the store's manifests.
func ollamaNames(dir string) ([]string, error) {
	root := filepath.Join(dir, "manifests")
	var names []string
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return nil
		}
		parts := strings.Split(filepath.ToSlash(rel), "/")
		if len(parts) != 4 {
			return nil
		}
		host, ns, model, tag := parts[0], parts[1], parts[2], parts[3]
		switch {
		case host == ollamaRegistry && ns == "library":
			names = append(names, model+":"+tag)
		case host == ollamaRegistry:
			names = append(names, ns+"/"+model+":"+tag)
		default:
			names = append(names, host+"/"+ns+"/"+model+":"+tag)
		}
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return names, err
}
