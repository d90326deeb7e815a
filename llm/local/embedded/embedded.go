package embedded

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

var (
	mu       sync.RWMutex
	defName  string
	defData  []byte
	pathOnce = map[string]string{} // content hash → written path
)

// ErrNoModel is returned when no embedded model is registered.
var ErrNoModel = errors.New("embedded: no embedded model is registered; import _ \"github.com/plait-ai/plait/llm/local/embedded/model\" or give a model path")

// Register makes data, the bytes of a GGUF model file, the embedded default
// model under name. Packages that embed weights call it from init; a later
// call replaces an earlier one, and nil data removes the default. data must
// not be modified afterwards. It is safe for concurrent use.
func Register(name string, data []byte) {
	mu.Lock()
	defer mu.Unlock()
	defName, defData = name, data
}

// Default returns the registered model's name and bytes, or ok false when
// none is registered. It is safe for concurrent use.
func Default() (name string, data []byte, ok bool) {
	mu.RLock()
	defer mu.RUnlock()
	return defName, defData, defData != nil
}

// Path returns the path of a file holding the registered model, writing it
// once (named by its content hash) under the user cache directory
// (os.UserCacheDir()/plait/models), so that runtimes that map files can
// load it. It returns an error wrapping ErrNoModel when none is registered.
// It is safe for concurrent use.
func Path() (string, error) {
	name, data, ok := Default()
	if !ok {
		return "", ErrNoModel
	}
	sum := sha256.Sum256(data)
	h := hex.EncodeToString(sum[:8])
	mu.Lock()
	defer mu.Unlock()
	if p, ok := pathOnce[h]; ok {
		return p, nil
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	dir = filepath.Join(dir, "plait", "models")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("embedded: %w; set XDG_CACHE_HOME to a writable directory", err)
	}
	p := filepath.Join(dir, fmt.Sprintf("%s-%s.gguf", name, h))
	if fi, err := os.Stat(p); err == nil && fi.Size() == int64(len(data)) {
		pathOnce[h] = p
		return p, nil
	}
	tmp, err := os.CreateTemp(dir, ".model-*")
	if err != nil {
		return "", fmt.Errorf("embedded: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return "", fmt.Errorf("embedded: writing the model: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("embedded: writing the model: %w", err)
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		return "", fmt.Errorf("embedded: %w", err)
	}
	pathOnce[h] = p
	return p, nil
}
