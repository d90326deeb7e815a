package quant_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"testing"

	"github.com/plait-ai/plait/internal/testenv"
	"github.com/plait-ai/plait/llm/local/ggml"
	"github.com/plait-ai/plait/llm/local/quant"
)

type ggufTensor struct {
	name string
	dims []uint64
	typ  ggml.Type
	data []byte
}

// readGGUF is a minimal GGUF v2/v3 reader for the test models (the real
// reader lives in its own package); it returns the tensors.
func readGGUF(t *testing.T, path string) []ggufTensor {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r := bytes.NewReader(b)
	rd := func(v any) {
		if err := binary.Read(r, binary.LittleEndian, v); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	}
	str := func() string {
		var n uint64
		rd(&n)
		s := make([]byte, n)
		if _, err := io.ReadFull(r, s); err != nil {
			t.Fatal(err)
		}
		return string(s)
	}
	var magic [4]byte
	var version uint32
	var nt, nkv uint64
	rd(&magic)
	rd(&version)
	rd(&nt)
	rd(&nkv)
	if string(magic[:]) != "GGUF" || version < 2 {
		t.Fatalf("%s: not a GGUF v2+ file", path)
	}
	alignment := uint64(32)
	sizes := map[uint32]int64{0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
	var skip func(typ uint32) uint64
	skip = func(typ uint32) uint64 {
		switch typ {
		case 8:
			str()
			return 0
		case 9:
			var et uint32
			var n uint64
			rd(&et)
			rd(&n)
			for i := uint64(0); i < n; i++ {
				skip(et)
			}
			return 0
		case 4:
			var v uint32
			rd(&v)
			return uint64(v)
		}
		sz, ok := sizes[typ]
		if !ok {
			t.Fatalf("%s: unknown metadata type %d", path, typ)
		}
		r.Seek(sz, io.SeekCurrent)
		return 0
	}
	for i := uint64(0); i < nkv; i++ {
		key := str()
		var typ uint32
		rd(&typ)
		v := skip(typ)
		if key == "general.alignment" {
			alignment = v
		}
	}
	infos := make([]ggufTensor, nt)
	offs := make([]uint64, nt)
	for i := range infos {
		infos[i].name = str()
		var nd uint32
		rd(&nd)
		infos[i].dims = make([]uint64, nd)
		rd(infos[i].dims)
		var typ uint32
		rd(&typ)
		infos[i].typ = ggml.Type(typ)
		rd(&offs[i])
	}
	pos := uint64(len(b) - r.Len())
	base := (pos + alignment - 1) / alignment * alignment
	for i := range infos {
		n := uint64(1)
		for _, d := range infos[i].dims {
			n *= d
		}
		size, err := quant.RowBytes(infos[i].typ, int(n))
		if err != nil {
			t.Fatalf("%s: tensor %s: %v", path, infos[i].name, err)
		}
		infos[i].data = b[base+offs[i] : base+offs[i]+uint64(size)]
	}
	return infos
}

// TestRealTensors checks the package against tensors that llama.cpp's
// tools wrote: every tensor decodes exactly as the independent spec
// decoder reads it, and re-quantizing the decoded weights with the
// reference quantizers reproduces (almost) the same weights, which a
// different layout or a different scale search would not. Big tensors
// are checked on their first rows.
func TestRealTensors(t *testing.T) {
	for _, name := range []string{"tiny-llama-spm-q4_k_m.gguf", "tiny-qwen2-gpt2-q8_0.gguf"} {
		path := testenv.Shared(t, "models", name)
		for _, ten := range readGGUF(t, path) {
			if !quant.Supported(ten.typ) || ten.typ == ggml.F32 {
				continue
			}
			t.Run(fmt.Sprintf("%s/%s/%v", name, ten.name, ten.typ), func(t *testing.T) {
				n := 1
				for _, d := range ten.dims {
					n *= int(d)
				}
				if rowLen := int(ten.dims[0]); n > 1<<18 {
					n = (1 << 18) / rowLen * rowLen // the first rows of big tensors
				}
				got := mustDequantize(t, ten.typ, ten.data, n)
				want := specDequantize(ten.typ, ten.data, n)
				for i := range got {
					if !close32(got[i], want[i], 1e-6) {
						t.Fatalf("element %d: %g, spec %g", i, got[i], want[i])
					}
				}
				// Re-quantizing the decoded weights must give back the same
				// values (bytes may differ where a sub-block's sign is a tie:
				// Q6_K can store (-sc, -q) for (sc, q)).
				re := mustQuantize(t, ten.typ, got)
				back := mustDequantize(t, ten.typ, re, n)
				diff := 0
				for i := range back {
					if back[i] != got[i] {
						diff++
					}
				}
				frac := float64(diff) / float64(n)
				t.Logf("%d elements, %.4f%% change on re-quantization", n, 100*frac)
				if frac > 0.001 {
					t.Errorf("re-quantizing changed %.3f%% of the values", 100*frac)
				}
			})
		}
	}
}
