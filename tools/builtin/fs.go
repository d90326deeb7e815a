package builtin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/plait-ai/plait/tools"
)

// FS gives tools read-only access to one directory tree. Paths are
// resolved inside the root with os.Root, so no path can leave it: not
// through "..", not as an absolute path, not through a symbolic link that
// points outside. An FS is safe for concurrent use; Close releases the
// root.
type FS struct {
	root     *os.Root
	maxBytes int64
	maxList  int
}

// FSOption configures an FS.
type FSOption func(*FS)

// WithMaxFileBytes caps what read_file returns of one file (default 256 KiB);
// a longer file is cut and reported as truncated.
func WithMaxFileBytes(n int64) FSOption { return func(f *FS) { f.maxBytes = n } }

// WithMaxEntries caps the entries list_dir returns (default 1000).
func WithMaxEntries(n int) FSOption { return func(f *FS) { f.maxList = n } }

// OpenFS opens dir as the root of the file tools.
func OpenFS(dir string, opts ...FSOption) (*FS, error) {
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("builtin: open the file tools' root: %w", err)
	}
	f := &FS{root: r, maxBytes: 256 << 10, maxList: 1000}
	for _, o := range opts {
		o(f)
	}
	return f, nil
}

// Close releases the root directory.
func (f *FS) Close() error { return f.root.Close() }

// cleanPath turns a model's path into one relative to the root. It
// rejects absolute paths outright (instead of quietly reading them as
// relative), so the model learns the rule; os.Root enforces the rest.
func cleanPath(p string) (string, error) {
	p = strings.TrimSpace(p)
	if p == "" || p == "." {
		return ".", nil
	}
	if filepath.IsAbs(p) || path.IsAbs(p) || filepath.VolumeName(p) != "" {
		return "", fmt.Errorf("%q is an absolute path: give a path relative to the root directory", p)
	}
	return filepath.FromSlash(p), nil
}

// ReadFileInput is read_file's argument.
type ReadFileInput struct {
	Path string `json:"path" jsonschema:"description=The file's path\\, relative to the root directory (for example notes/todo.md)."`
}

// ReadFileOutput is read_file's result.
type ReadFileOutput struct {
	Path      string `json:"path"`
	Size      int64  `json:"size"`
	Content   string `json:"content"`
	Truncated bool   `json:"truncated,omitempty"`
}

// ReadFile returns the read_file tool: the text of a file inside the root.
func (f *FS) ReadFile() tools.Tool {
	return tools.MustFunc("read_file", "Reads a text file inside the allowed directory and returns its content.",
		func(ctx context.Context, in ReadFileInput) (ReadFileOutput, error) {
			p, err := cleanPath(in.Path)
			if err != nil {
				return ReadFileOutput{}, err
			}
			file, err := f.root.Open(p)
			if err != nil {
				return ReadFileOutput{}, explain(in.Path, err)
			}
			defer file.Close()
			st, err := file.Stat()
			if err != nil {
				return ReadFileOutput{}, explain(in.Path, err)
			}
			if st.IsDir() {
				return ReadFileOutput{}, fmt.Errorf("%q is a directory: use list_dir", in.Path)
			}
			b, err := io.ReadAll(io.LimitReader(file, f.maxBytes+1))
			if err != nil {
				return ReadFileOutput{}, explain(in.Path, err)
			}
			out := ReadFileOutput{Path: in.Path, Size: st.Size()}
			if int64(len(b)) > f.maxBytes {
				b = b[:f.maxBytes]
				for i := 0; i < utf8.UTFMax && len(b) > 0 && !utf8.Valid(b); i++ {
					b = b[:len(b)-1] // a character cut at the limit
				}
				out.Truncated = true
			}
			if !utf8.Valid(b) {
				return ReadFileOutput{}, fmt.Errorf("%q is not a text file", in.Path)
			}
			out.Content = string(b)
			return out, nil
		})
}

// ListDirInput is list_dir's argument.
type ListDirInput struct {
	Path string `json:"path,omitempty" jsonschema:"description=The directory's path\\, relative to the root directory; empty for the root itself."`
}

// DirEntry is one entry of a directory listing.
type DirEntry struct {
	Name string `json:"name"`
	// Type is "file", "dir", "symlink" or "other".
	Type string `json:"type"`
	Size int64  `json:"size,omitempty"`
}

// ListDirOutput is list_dir's result.
type ListDirOutput struct {
	Path      string     `json:"path"`
	Entries   []DirEntry `json:"entries"`
	Truncated bool       `json:"truncated,omitempty"`
}

// ListDir returns the list_dir tool: the entries of a directory inside the
// root, sorted by name.
func (f *FS) ListDir() tools.Tool {
	return tools.MustFunc("list_dir", "Lists the files and directories in a directory inside the allowed directory.",
		func(ctx context.Context, in ListDirInput) (ListDirOutput, error) {
			p, err := cleanPath(in.Path)
			if err != nil {
				return ListDirOutput{}, err
			}
			dir, err := f.root.Open(p)
			if err != nil {
				return ListDirOutput{}, explain(in.Path, err)
			}
			defer dir.Close()
			ents, err := dir.ReadDir(f.maxList + 1)
			if err != nil && !errors.Is(err, io.EOF) {
				return ListDirOutput{}, explain(in.Path, err)
			}
			out := ListDirOutput{Path: in.Path, Entries: []DirEntry{}}
			if out.Path == "" {
				out.Path = "."
			}
			if len(ents) > f.maxList {
				ents, out.Truncated = ents[:f.maxList], true
			}
			sort.Slice(ents, func(i, j int) bool { return ents[i].Name() < ents[j].Name() })
			for _, e := range ents {
				de := DirEntry{Name: e.Name(), Type: "other"}
				switch t := e.Type(); {
				case t.IsDir():
					de.Type = "dir"
				case t&fs.ModeSymlink != 0:
					de.Type = "symlink"
				case t.IsRegular():
					de.Type = "file"
					if info, err := e.Info(); err == nil {
						de.Size = info.Size()
					}
				}
				out.Entries = append(out.Entries, de)
			}
			return out, nil
		})
}

// explain words a file error for the model, without the host's paths.
func explain(p string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%q does not exist", p)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("%q cannot be read: permission denied", p)
	case strings.Contains(err.Error(), "escapes"):
		return fmt.Errorf("%q is outside the allowed directory", p)
	case strings.Contains(err.Error(), "not a directory"):
		return fmt.Errorf("%q is not a directory", p)
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%q: %v", p, pe.Err)
	}
	return fmt.Errorf("%q: %v", p, err)
}
