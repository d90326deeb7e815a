package gguf_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/plait-ai/plait/internal/testenv"
	"github.com/plait-ai/plait/llm/local/ggml"
	"github.com/plait-ai/plait/llm/local/gguf"
)

// sample builds a writer with metadata of every type and a few tensors.
func sample(t testing.TB) (*gguf.Writer, map[string][]byte) {
	t.Helper()
	var w gguf.Writer
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(w.Set("general.architecture", "llama"))
	must(w.Set("u8", uint8(200)))
	must(w.Set("i8", int8(-100)))
	must(w.Set("u16", uint16(60000)))
	must(w.Set("i16", int16(-30000)))
	must(w.Set("u32", uint32(4000000000)))
	must(w.Set("i32", int32(-2000000000)))
	must(w.Set("f32", float32(1.5)))
	must(w.Set("bool", true))
	must(w.Set("string", "héllo, 世界"))
	must(w.Set("u64", uint64(1)<<63))
	must(w.Set("i64", int64(-1)<<62))
	must(w.Set("f64", math.Pi))
	must(w.Set("arr.u8", []uint8{1, 2, 3}))
	must(w.Set("arr.i8", []int8{-1, 2}))
	must(w.Set("arr.u16", []uint16{1, 65535}))
	must(w.Set("arr.i16", []int16{-5}))
	must(w.Set("arr.u32", []uint32{7, 8}))
	must(w.Set("arr.i32", []int32{-7, 8, 9}))
	must(w.Set("arr.f32", []float32{0.5, -2}))
	must(w.Set("arr.bool", []bool{true, false, true}))
	must(w.Set("arr.string", []string{"a", "", "ccc"}))
	must(w.Set("arr.u64", []uint64{math.MaxUint64}))
	must(w.Set("arr.i64", []int64{math.MinInt64}))
	must(w.Set("arr.f64", []float64{1e300}))
	must(w.Set("arr.empty", []string{}))
	inner1, _ := gguf.NewValue([]int32{1, 2})
	inner2, _ := gguf.NewValue([]string{"x"})
	must(w.Set("arr.nested", []gguf.Value{inner1, inner2}))
	deep, _ := gguf.NewValue([]gguf.Value{inner1})
	must(w.Set("arr.nested2", []gguf.Value{deep}))
	must(w.Set("general.alignment", uint32(64)))

	data := map[string][]byte{}
	add := func(name string, typ ggml.Type, dims ...uint64) {
		t.Helper()
		n := int64(1)
		for _, d := range dims {
			n *= int64(d)
		}
		size, err := typ.RowSize(n)
		must(err)
		b := make([]byte, size)
		for i := range b {
			b[i] = byte(i*7 + len(name))
		}
		data[name] = b
		must(w.AddTensor(name, typ, dims, gguf.Bytes(b)))
	}
	add("token_embd.weight", ggml.F32, 8, 3)
	add("blk.0.attn_q.weight", ggml.Q8_0, 64, 2)
	add("blk.0.ffn.weight", ggml.Q4_K, 256, 1, 1, 2)
	add("odd", ggml.F16, 3)
	return &w, data
}

func TestRoundTrip(t *testing.T) {
	w, data := sample(t)
	b, err := w.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "m.gguf")
	if err := w.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	opened, err := gguf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer opened.Close()
	parsed, err := gguf.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	ra, err := gguf.ParseReaderAt(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	for name, f := range map[string]*gguf.File{"Open": opened, "Parse": parsed, "ParseReaderAt": ra} {
		t.Run(name, func(t *testing.T) {
			if f.Version() != 3 {
				t.Errorf("version %d", f.Version())
			}
			if f.Alignment() != 64 || f.DataOffset()%64 != 0 {
				t.Errorf("alignment %d, data offset %d", f.Alignment(), f.DataOffset())
			}
			if f.Architecture() != "llama" {
				t.Errorf("architecture %q", f.Architecture())
			}
			wantKeys := []string{"general.architecture", "u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool", "string", "u64", "i64", "f64"}
			if got := f.Keys()[:len(wantKeys)]; !reflect.DeepEqual(got, wantKeys) {
				t.Errorf("keys %v", got)
			}
			want := map[string]any{
				"u8": uint8(200), "i8": int8(-100), "u16": uint16(60000), "i16": int16(-30000),
				"u32": uint32(4000000000), "i32": int32(-2000000000), "f32": float32(1.5), "bool": true,
				"string": "héllo, 世界", "u64": uint64(1) << 63, "i64": int64(-1) << 62, "f64": math.Pi,
				"arr.u8": []uint8{1, 2, 3}, "arr.i8": []int8{-1, 2}, "arr.u16": []uint16{1, 65535},
				"arr.i16": []int16{-5}, "arr.u32": []uint32{7, 8}, "arr.i32": []int32{-7, 8, 9},
				"arr.f32": []float32{0.5, -2}, "arr.bool": []bool{true, false, true},
				"arr.string": []string{"a", "", "ccc"}, "arr.u64": []uint64{math.MaxUint64},
				"arr.i64": []int64{math.MinInt64}, "arr.f64": []float64{1e300}, "arr.empty": []string{},
			}
			for k, v := range want {
				got, ok := f.Get(k)
				if !ok || !reflect.DeepEqual(got.Data, v) {
					t.Errorf("%s = %#v, want %#v", k, got.Data, v)
				}
			}
			nested, _ := f.Get("arr.nested")
			vs, ok := nested.Data.([]gguf.Value)
			if !ok || len(vs) != 2 || !reflect.DeepEqual(vs[0].Data, []int32{1, 2}) || !reflect.DeepEqual(vs[1].Data, []string{"x"}) {
				t.Errorf("arr.nested = %#v", nested)
			}
			n2, _ := f.Get("arr.nested2")
			if vs, ok := n2.Data.([]gguf.Value); !ok || len(vs) != 1 || vs[0].Elem != gguf.TypeArray {
				t.Errorf("arr.nested2 = %#v", n2)
			}
			if len(f.Tensors()) != len(data) {
				t.Fatalf("%d tensors", len(f.Tensors()))
			}
			for name, b := range data {
				got, err := f.TensorData(name)
				if err != nil || !bytes.Equal(got, b) {
					t.Errorf("tensor %s: %v, equal=%v", name, err, bytes.Equal(got, b))
				}
				ti, _ := f.Tensor(name)
				if ti.Offset%64 != 0 || ti.Size() != int64(len(b)) {
					t.Errorf("tensor %s: offset %d size %d", name, ti.Offset, ti.Size())
				}
			}
			ti, _ := f.Tensor("blk.0.ffn.weight")
			if !reflect.DeepEqual(ti.Dims, []uint64{256, 1, 1, 2}) || ti.Type != ggml.Q4_K || ti.Elements() != 512 {
				t.Errorf("ffn info %+v", ti)
			}
			if _, err := f.TensorData("nope"); !errors.Is(err, gguf.ErrNotFound) {
				t.Errorf("missing tensor: %v", err)
			}
		})
	}
	// Copying the metadata into a new writer reproduces the same header.
	var w2 gguf.Writer
	if err := w2.SetKVs(parsed.KVs()); err != nil {
		t.Fatal(err)
	}
	for _, ti := range parsed.Tensors() {
		d, _ := parsed.TensorData(ti.Name)
		if err := w2.AddTensor(ti.Name, ti.Type, ti.Dims, gguf.Bytes(d)); err != nil {
			t.Fatal(err)
		}
	}
	b2, err := w2.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, b2) {
		t.Error("rewriting a parsed file changed its bytes")
	}
}

func TestGetters(t *testing.T) {
	w, _ := sample(t)
	b, _ := w.Bytes()
	f, err := gguf.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"u8", "u16", "u32", "u64", "i32"} {
		_, err := f.Uint(k)
		if k == "i32" {
			if !errors.Is(err, gguf.ErrType) {
				t.Errorf("Uint(i32 negative) err = %v", err)
			}
			continue
		}
		if err != nil {
			t.Errorf("Uint(%s): %v", k, err)
		}
	}
	if n, err := f.Int("i16"); err != nil || n != -30000 {
		t.Errorf("Int(i16) = %d, %v", n, err)
	}
	if _, err := f.Int("u64"); !errors.Is(err, gguf.ErrType) {
		t.Errorf("Int(u64 1<<63) err = %v", err)
	}
	if x, err := f.Float("f32"); err != nil || x != 1.5 {
		t.Errorf("Float(f32) = %v, %v", x, err)
	}
	if x, err := f.Float("u16"); err != nil || x != 60000 {
		t.Errorf("Float(u16) = %v, %v", x, err)
	}
	if _, err := f.String("u8"); !errors.Is(err, gguf.ErrType) {
		t.Errorf("String(u8) err = %v", err)
	}
	if _, err := f.String("missing"); !errors.Is(err, gguf.ErrNotFound) {
		t.Errorf("String(missing) err = %v", err)
	}
	if v, err := f.Bool("bool"); err != nil || !v {
		t.Errorf("Bool = %v, %v", v, err)
	}
	if s, err := f.Strings("arr.string"); err != nil || len(s) != 3 {
		t.Errorf("Strings = %v, %v", s, err)
	}
	if _, err := f.Strings("arr.i32"); !errors.Is(err, gguf.ErrType) {
		t.Errorf("Strings([i32]) err = %v", err)
	}
	if s, err := f.Float32s("arr.i32"); err != nil || !reflect.DeepEqual(s, []float32{-7, 8, 9}) {
		t.Errorf("Float32s([i32]) = %v, %v", s, err)
	}
	if s, err := f.Int32s("arr.u16"); err != nil || !reflect.DeepEqual(s, []int32{1, 65535}) {
		t.Errorf("Int32s([u16]) = %v, %v", s, err)
	}
	if _, err := f.Int32s("arr.u64"); !errors.Is(err, gguf.ErrType) {
		t.Errorf("Int32s([u64 max]) err = %v", err)
	}
	if _, err := f.Int32s("u32"); !errors.Is(err, gguf.ErrType) {
		t.Errorf("Int32s(scalar) err = %v", err)
	}
}

// TestSharedFiles reads every GGUF file of the shared test data.
func TestSharedFiles(t *testing.T) {
	dir := testenv.Shared(t)
	var paths []string
	for _, sub := range []string{"tokenizer", "models"} {
		m, _ := filepath.Glob(filepath.Join(dir, sub, "*.gguf"))
		paths = append(paths, m...)
	}
	if len(paths) == 0 {
		t.Skip("no GGUF files in the shared test data")
	}
	for _, p := range paths {
		t.Run(filepath.Base(p), func(t *testing.T) {
			f, err := gguf.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if f.Architecture() == "" {
				t.Error("no general.architecture")
			}
			toks, err := f.Strings("tokenizer.ggml.tokens")
			if err != nil || len(toks) == 0 {
				t.Errorf("tokenizer.ggml.tokens: %d, %v", len(toks), err)
			}
			var total int64
			for _, ti := range f.Tensors() {
				d, err := f.TensorData(ti.Name)
				if err != nil || int64(len(d)) != ti.Size() {
					t.Errorf("%s: %v", ti.Name, err)
				}
				total += ti.Size()
			}
			if strings.Contains(p, "models") && len(f.Tensors()) == 0 {
				t.Error("model file without tensors")
			}
			t.Logf("v%d, %d keys, %d tensors, %d bytes of data", f.Version(), len(f.KVs()), len(f.Tensors()), total)
		})
	}
}

// header builds raw GGUF bytes for malformed-input tests.
type header struct{ bytes.Buffer }

func (h *header) u32(x uint32) *header { binary.Write(&h.Buffer, binary.LittleEndian, x); return h }
func (h *header) u64(x uint64) *header { binary.Write(&h.Buffer, binary.LittleEndian, x); return h }
func (h *header) str(s string) *header { h.u64(uint64(len(s))); h.WriteString(s); return h }
func start(nt, nkv uint64) *header {
	h := &header{}
	h.WriteString("GGUF")
	h.u32(3).u64(nt).u64(nkv)
	return h
}

func tensor(h *header, name string, typ ggml.Type, off uint64, dims ...uint64) *header {
	h.str(name).u32(uint32(len(dims)))
	for _, d := range dims {
		h.u64(d)
	}
	return h.u32(uint32(typ)).u64(off)
}

func pad(h *header, n int) []byte {
	b := h.Bytes()
	for len(b)%32 != 0 {
		b = append(b, 0)
	}
	return append(b, make([]byte, n)...)
}

func TestMalformed(t *testing.T) {
	valid, _ := sample(t)
	good, _ := valid.Bytes()
	tests := []struct {
		name string
		data []byte
		want string
		err  error
	}{
		{"empty", nil, "too short", gguf.ErrMalformed},
		{"bad magic", append([]byte("GGUX"), good[4:]...), "bad magic", gguf.ErrMalformed},
		{"version 1", func() []byte { b := bytes.Clone(good); b[4] = 1; return b }(), "version 1", gguf.ErrUnsupported},
		{"version 4", func() []byte { b := bytes.Clone(good); b[4] = 4; return b }(), "version 4", gguf.ErrUnsupported},
		{"truncated", good[:len(good)/3], "", gguf.ErrMalformed},
		{"tensor count too large", start(1<<40, 0).Bytes(), "tensor count", gguf.ErrMalformed},
		{"kv count too large", start(0, 1<<60).Bytes(), "key/value count", gguf.ErrMalformed},
		{"string past end", start(0, 1).u64(1 << 50).u64(0).u64(0).Bytes(), "string of", gguf.ErrMalformed},
		{"unknown value type", start(0, 1).str("k").u32(13).u32(0).Bytes(), "unknown value type", gguf.ErrMalformed},
		{"array past end", start(0, 1).str("k").u32(9).u32(4).u64(1 << 40).Bytes(), "array element count", gguf.ErrMalformed},
		{"string array past end", start(0, 1).str("k").u32(9).u32(8).u64(3).u64(1).Bytes(), "", gguf.ErrMalformed},
		{"unknown array type", start(0, 1).str("k").u32(9).u32(99).u64(0).Bytes(), "unknown value type", gguf.ErrMalformed},
		{"nesting too deep", func() []byte {
			h := start(0, 1).str("k").u32(9)
			for range 20 {
				h.u32(9).u64(1)
			}
			return h.u32(0).u64(0).Bytes()
		}(), "nested", gguf.ErrMalformed},
		{"duplicate key", start(0, 2).str("k").u32(4).u32(1).str("k").u32(4).u32(1).Bytes(), "duplicate metadata key", gguf.ErrMalformed},
		{"empty key", start(0, 1).str("").u32(4).u32(1).Bytes(), "empty metadata key", gguf.ErrMalformed},
		{"bad bool", start(0, 1).str("k").u32(7).Bytes(), "", gguf.ErrMalformed},
		{"alignment not power of two", start(0, 1).str("general.alignment").u32(4).u32(48).Bytes(), "power of two", gguf.ErrMalformed},
		{"alignment zero", start(0, 1).str("general.alignment").u32(4).u32(0).Bytes(), "power of two", gguf.ErrMalformed},
		{"alignment string", start(0, 1).str("general.alignment").u32(8).str("32").Bytes(), "power of two", gguf.ErrMalformed},
		{"too many dims", pad(tensor(start(1, 0), "t", ggml.F32, 0, 1, 1, 1, 1, 1), 64), "dimensions", gguf.ErrMalformed},
		{"zero dims", pad(tensor(start(1, 0), "t", ggml.F32, 0), 64), "dimensions", gguf.ErrMalformed},
		{"zero dim", pad(tensor(start(1, 0), "t", ggml.F32, 0, 4, 0), 64), "is zero", gguf.ErrMalformed},
		{"element overflow", pad(tensor(start(1, 0), "t", ggml.F32, 0, 1<<32, 1<<32), 64), "overflows", gguf.ErrMalformed},
		{"byte size overflow", pad(tensor(start(1, 0), "t", ggml.F32, 0, 1<<62), 64), "overflows", gguf.ErrMalformed},
		{"row not block multiple", pad(tensor(start(1, 0), "t", ggml.Q4_K, 0, 100), 256), "block size", gguf.ErrMalformed},
		{"unknown tensor type", pad(tensor(start(1, 0), "t", 4, 0, 32), 64), "unknown tensor type", gguf.ErrMalformed},
		{"unaligned offset", pad(tensor(start(1, 0), "t", ggml.F32, 4, 1), 64), "alignment", gguf.ErrMalformed},
		{"data past end", pad(tensor(start(1, 0), "t", ggml.F32, 0, 100), 64), "outside", gguf.ErrMalformed},
		{"offset past end", pad(tensor(start(1, 0), "t", ggml.F32, 1<<40, 1), 64), "outside", gguf.ErrMalformed},
		{"duplicate tensor", pad(tensor(tensor(start(2, 0), "t", ggml.F32, 0, 1), "t", ggml.F32, 32, 1), 64), "duplicate tensor", gguf.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := gguf.Parse(tt.data)
			if err == nil {
				t.Fatalf("parsed %d tensors, %d keys; want an error", len(f.Tensors()), len(f.KVs()))
			}
			if !errors.Is(err, tt.err) {
				t.Errorf("error %v does not wrap %v", err, tt.err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
			var fe *gguf.FormatError
			if !errors.As(err, &fe) {
				t.Errorf("error %T is not a *FormatError", err)
			}
			if _, err2 := gguf.ParseReaderAt(bytes.NewReader(tt.data), int64(len(tt.data))); err2 == nil {
				t.Errorf("ParseReaderAt accepted it")
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := gguf.Open(filepath.Join(dir, "missing.gguf")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	p := filepath.Join(dir, "junk.gguf")
	os.WriteFile(p, []byte("this is not a gguf file at all"), 0o644)
	if _, err := gguf.Open(p); !errors.Is(err, gguf.ErrMalformed) {
		t.Errorf("junk file: %v", err)
	}
}

func TestWriterErrors(t *testing.T) {
	var w gguf.Writer
	if err := w.Set("k", struct{}{}); err == nil {
		t.Error("Set(struct) accepted")
	}
	if err := w.Set("general.alignment", uint32(3)); err == nil {
		t.Error("alignment 3 accepted")
	}
	if err := w.AddTensor("t", ggml.Q8_0, []uint64{33}, gguf.Bytes(nil)); err == nil {
		t.Error("row of 33 Q8_0 accepted")
	}
	if err := w.AddTensor("t", ggml.F32, []uint64{2, 0}, gguf.Bytes(nil)); err == nil {
		t.Error("zero dim accepted")
	}
	if err := w.AddTensor("t", ggml.F32, []uint64{2}, gguf.Bytes([]byte{1, 2, 3})); err != nil {
		t.Fatal(err)
	}
	if err := w.AddTensor("t", ggml.F32, []uint64{2}, gguf.Bytes(nil)); err == nil {
		t.Error("duplicate tensor accepted")
	}
	if _, err := w.WriteTo(io.Discard); err == nil || !strings.Contains(err.Error(), "wrote 3 bytes, want 8") {
		t.Errorf("short tensor: %v", err)
	}
	bad := gguf.Value{Type: gguf.TypeArray, Elem: gguf.TypeInt32, Data: []string{"x"}}
	if err := w.Set("bad", bad); err == nil {
		t.Error("mismatched Value accepted")
	}
}

// TestStreamingWrite writes a 32 MiB tensor produced on the fly and checks
// it comes back, without the writer holding it.
func TestStreamingWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	const n = 8 << 20 // F32 elements
	var w gguf.Writer
	w.Set("general.architecture", "test")
	gen := func(out io.Writer) error {
		buf := make([]byte, 1<<16)
		for i := 0; i < n*4; i += len(buf) {
			for j := range buf {
				buf[j] = byte((i + j) % 251)
			}
			if _, err := out.Write(buf); err != nil {
				return err
			}
		}
		return nil
	}
	if err := w.AddTensor("big", ggml.F32, []uint64{4096, n / 4096}, gen); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "big.gguf")
	if err := w.WriteFile(p); err != nil {
		t.Fatal(err)
	}
	f, err := gguf.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d, err := f.TensorData("big")
	if err != nil || len(d) != n*4 {
		t.Fatalf("%d bytes, %v", len(d), err)
	}
	for _, i := range []int{0, 1, 65535, 65536, n*4 - 1} {
		if d[i] != byte(i%251) {
			t.Fatalf("byte %d = %d", i, d[i])
		}
	}
}

func FuzzParse(f *testing.F) {
	w, _ := sample(f)
	b, _ := w.Bytes()
	f.Add(b)
	var small gguf.Writer
	small.Set("general.architecture", "llama")
	small.Set("tokenizer.ggml.tokens", []string{"a", "b"})
	small.AddTensor("x", ggml.Q8_0, []uint64{32}, gguf.Bytes(make([]byte, 34)))
	sb, _ := small.Bytes()
	f.Add(sb)
	f.Add(sb[:40])
	f.Add([]byte("GGUF"))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := gguf.Parse(data)
		if err != nil {
			if !errors.Is(err, gguf.ErrMalformed) && !errors.Is(err, gguf.ErrUnsupported) {
				t.Fatalf("error %v wraps neither ErrMalformed nor ErrUnsupported", err)
			}
			return
		}
		for _, ti := range file.Tensors() {
			d, err := file.TensorData(ti.Name)
			if err != nil || int64(len(d)) != ti.Size() {
				t.Fatalf("tensor %s: %d bytes, %v", ti.Name, len(d), err)
			}
		}
		for _, kv := range file.KVs() {
			_ = kv.Value.String()
			file.Uint(kv.Key)
			file.Float32s(kv.Key)
			file.Int32s(kv.Key)
		}
		// What parses must rewrite and parse again to the same metadata.
		var w gguf.Writer
		if err := w.SetKVs(file.KVs()); err != nil {
			t.Fatalf("rewrite: %v", err)
		}
		out, err := w.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		again, err := gguf.Parse(out)
		if err != nil {
			t.Fatalf("reparse: %v", err)
		}
		var w2 gguf.Writer
		w2.SetKVs(again.KVs())
		out2, err := w2.Bytes()
		if err != nil || !bytes.Equal(out, out2) || len(again.KVs()) != len(file.KVs()) {
			t.Fatalf("metadata changed on rewrite: %v", err)
		}
	})
}

func TestHelpers(t *testing.T) {
	w, data := sample(t)
	b, _ := w.Bytes()
	for _, mk := range []func() (*gguf.File, error){
		func() (*gguf.File, error) { return gguf.Parse(b) },
		func() (*gguf.File, error) { return gguf.Parse(append([]byte{0}, b...)[1:]) }, // misaligned copy
		func() (*gguf.File, error) { return gguf.ParseReaderAt(bytes.NewReader(b), int64(len(b))) },
	} {
		f, err := mk()
		if err != nil {
			t.Fatal(err)
		}
		if f.ArchKey("block_count") != "llama.block_count" {
			t.Errorf("ArchKey = %q", f.ArchKey("block_count"))
		}
		if v, err := f.UintOr("missing", 7); err != nil || v != 7 {
			t.Errorf("UintOr(missing) = %v, %v", v, err)
		}
		if _, err := f.UintOr("string", 7); !errors.Is(err, gguf.ErrType) {
			t.Errorf("UintOr(string) err = %v", err)
		}
		if v, err := f.FloatOr("f32", 2); err != nil || v != 1.5 {
			t.Errorf("FloatOr = %v, %v", v, err)
		}
		if v, err := f.StringOr("nope", "d"); err != nil || v != "d" {
			t.Errorf("StringOr = %v, %v", v, err)
		}
		if v, err := f.BoolOr("bool", false); err != nil || !v {
			t.Errorf("BoolOr = %v, %v", v, err)
		}
		fl, err := f.Float32Data("token_embd.weight")
		if err != nil || len(fl) != 24 {
			t.Fatalf("Float32Data: %d, %v", len(fl), err)
		}
		raw := data["token_embd.weight"]
		for i, x := range fl {
			if math.Float32bits(x) != binary.LittleEndian.Uint32(raw[4*i:]) {
				t.Fatalf("Float32Data[%d] = %v", i, x)
			}
		}
		if _, err := f.Float32Data("blk.0.attn_q.weight"); err == nil {
			t.Error("Float32Data of a Q8_0 tensor accepted")
		}
	}
}

// BenchmarkWrite streams a 64 MiB tensor through the writer; allocations
// per op stay small because tensor data is never held.
func BenchmarkWrite(b *testing.B) {
	const size = 64 << 20
	chunk := make([]byte, 1<<20)
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		var w gguf.Writer
		w.Set("general.architecture", "bench")
		w.AddTensor("t", ggml.Q8_0, []uint64{size / 34 * 32}, func(out io.Writer) error {
			left := size / 34 * 34
			for left > 0 {
				n := min(left, len(chunk))
				if _, err := out.Write(chunk[:n]); err != nil {
					return err
				}
				left -= n
			}
			return nil
		})
		if _, err := w.WriteTo(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseVocab parses a vocabulary file's header (150k strings).
func BenchmarkParseVocab(b *testing.B) {
	p := testenv.Shared(b, "tokenizer", "ggml-vocab-deepseek-llm.gguf")
	data, err := os.ReadFile(p)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := gguf.Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}

// TestVersion2 reads a version 2 file (same layout as version 3).
func TestVersion2(t *testing.T) {
	w, data := sample(t)
	b, _ := w.Bytes()
	b[4] = 2
	f, err := gguf.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if f.Version() != 2 {
		t.Errorf("version %d", f.Version())
	}
	got, _ := f.TensorData("odd")
	if !bytes.Equal(got, data["odd"]) {
		t.Error("tensor data differs")
	}
}
