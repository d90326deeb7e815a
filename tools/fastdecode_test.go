package tools_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/plait-ai/plait/tools"
)

type flatAll struct {
	B    bool    `json:"b"`
	I    int     `json:"i"`
	I8   int8    `json:"i8"`
	I16  int16   `json:"i16,omitempty"`
	I32  int32   `json:"i32"`
	I64  int64   `json:"i64"`
	U    uint    `json:"u"`
	U8   uint8   `json:"u8"`
	U16  uint16  `json:"u16"`
	U32  uint32  `json:"u32"`
	U64  uint64  `json:"u64"`
	F32  float32 `json:"f32"`
	F64  float64 `json:"f64"`
	S    string  `json:"s"`
	Kind kind    `json:"kind"`
	Name string  // no tag: the Go name
	Skip string  `json:"-"`
	Dash string  `json:"-,"`
	priv int
}

type kind string

// FuzzFlatDecode holds the fast decoder to encoding/json: whatever it
// decodes, encoding/json decodes to the same value without error.
func FuzzFlatDecode(f *testing.F) {
	for _, s := range []string{
		`{"b":true,"i":-12,"i8":127,"i16":-32768,"i32":1,"i64":9223372036854775807,"u":1,"u8":255,"u16":65535,"u32":4294967295,"u64":18446744073709551615}`,
		`{"f32":1.5e3,"f64":-0.0,"s":"héllo","kind":"a","Name":"n","-":"d"}`, ` { } `, `{}`, `{"i8":128}`, `{"u":-0}`, `{"i":-0}`,
		`{"i":1.0}`, `{"i":1e2}`, `{"f32":1e39}`, `{"f64":1e400}`, `{"s":"a\"b"}`, `{"s":"\u00e9"}`, `{"s":"` + "\xff" + `"}`,
		`{"S":"case"}`, `{"name":"fold"}`, `{"Skip":"x"}`, `{"priv":1}`, `{"b":null,"s":null,"i":null}`, `{"b":1}`, `{"s":1}`,
		`{"i":"1"}`, `{"i":01}`, `{"i":-}`, `{"f64":1.}`, `{"f64":.5}`, `{"f64":1e}`, `{"i":1,}`, `{"i":1}x`, `{"i":1} `, `{"i" 1}`,
		`{"i":1 "u":2}`, `{"s":"a","s":"b"}`, `{"s":["a"]}`, `{"s":{}}`, `[]`, `null`, ``, `{`, `{"s":"tab	"}`, `{"b":tru}`, `{"b":falsey}`,
	} {
		f.Add([]byte(s))
	}
	if !tools.HasFlatDecoder[flatAll]() {
		f.Fatal("flatAll has no fast decoder")
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var fast flatAll
		if !tools.FlatDecode(data, &fast) {
			return
		}
		var ref flatAll
		if err := json.Unmarshal(data, &ref); err != nil {
			t.Fatalf("%q: fast decoded %+v, encoding/json fails: %v", data, fast, err)
		}
		if !reflect.DeepEqual(fast, ref) {
			t.Fatalf("%q: fast %+v, encoding/json %+v", data, fast, ref)
		}
	})
}

type withPtr struct {
	P *int `json:"p"`
}
type withNested struct {
	N struct{ A int } `json:"n"`
}
type withSlice struct {
	S []string `json:"s"`
}
type withStringOpt struct {
	I int `json:"i,string"`
}
type withEmbedded struct {
	flatInner
}
type flatInner struct{ A int }
type withTime struct {
	T time.Time `json:"t"`
}
type withDuration struct {
	D time.Duration `json:"d"`
}
type withFold struct {
	A int `json:"a"`
	B int `json:"A"`
}
type withOddName struct {
	A int `json:"a'b"`
}
type textKind int

func (k *textKind) UnmarshalText([]byte) error { return nil }

type withText struct {
	K textKind `json:"k"`
}

// TestFlatDecoderEligibility: only flat structs of plain fields get the
// fast decoder; everything else is left to encoding/json.
func TestFlatDecoderEligibility(t *testing.T) {
	for _, c := range []struct {
		name string
		has  bool
	}{
		{"flatAll", tools.HasFlatDecoder[flatAll]()},
		{"empty", tools.HasFlatDecoder[struct{}]()},
		{"duration (an int64 without methods)", tools.HasFlatDecoder[withDuration]()},
	} {
		if !c.has {
			t.Errorf("%s: no fast decoder, want one", c.name)
		}
	}
	for _, c := range []struct {
		name string
		has  bool
	}{
		{"pointer field", tools.HasFlatDecoder[withPtr]()},
		{"nested struct", tools.HasFlatDecoder[withNested]()},
		{"slice", tools.HasFlatDecoder[withSlice]()},
		{",string option", tools.HasFlatDecoder[withStringOpt]()},
		{"embedded", tools.HasFlatDecoder[withEmbedded]()},
		{"time.Time", tools.HasFlatDecoder[withTime]()},
		{"names that fold together", tools.HasFlatDecoder[withFold]()},
		{"a tag name encoding/json does not take", tools.HasFlatDecoder[withOddName]()},
		{"TextUnmarshaler field", tools.HasFlatDecoder[withText]()},
		{"pointer In", tools.HasFlatDecoder[*flatAll]()},
		{"map In", tools.HasFlatDecoder[map[string]int]()},
	} {
		if c.has {
			t.Errorf("%s: has a fast decoder, want none", c.name)
		}
	}
}

// TestFuncDecodesLikeEncodingJSON: through a tool, arguments the fast
// decoder gives up on (a case-folded key, an escape) still decode, and
// bad ones still fail with a ValidationError naming the field.
func TestFuncDecodesLikeEncodingJSON(t *testing.T) {
	tool := tools.MustFunc("f", "", func(ctx context.Context, in flatAll) (flatAll, error) { return in, nil })
	for _, c := range []struct {
		args    string
		want    flatAll
		wantErr bool
	}{
		{args: `{"i":3,"s":"x"}`, want: flatAll{I: 3, S: "x"}},
		{args: `{"I":3,"s":"x\n"}`, want: flatAll{I: 3, S: "x\n"}},
		{args: `{"s":"a","s":"b"}`, want: flatAll{S: "b"}},
		{args: ``, want: flatAll{}},
		{args: `{"i8":300}`, wantErr: true},
		{args: `{"s":1}`, wantErr: true},
	} {
		out, err := tool.Call(context.Background(), json.RawMessage(c.args))
		if c.wantErr {
			var ve *tools.ValidationError
			if err == nil || !errors.As(err, &ve) {
				t.Errorf("%s: %v, want a ValidationError", c.args, err)
			}
			continue
		}
		if err != nil || out.(flatAll) != c.want {
			t.Errorf("%s: %+v %v, want %+v", c.args, out, err, c.want)
		}
	}
}

type flatOut struct {
	B     bool    `json:"b"`
	I8    int8    `json:"i8"`
	I16   int16   `json:"i16,omitempty"`
	I32   int32   `json:"i32,omitzero"`
	I     int     `json:"i"`
	U8    uint8   `json:"u8,omitempty"`
	U16   uint16  `json:"u16"`
	U32   uint32  `json:"u32"`
	U     uint64  `json:"u"`
	F32   float32 `json:"f32"`
	F64   float64 `json:"f64"`
	F64e  float64 `json:"f64e,omitempty"`
	F64z  float64 `json:"f64z,omitzero"`
	S     string  `json:"s"`
	Se    string  `json:"se,omitempty"`
	Be    bool    `json:"be,omitempty"`
	K     kind    `json:"kind"`
	Plain string
	Skip  int `json:"-"`
	priv  int
}

// FuzzFlatEncode holds the fast encoder to encoding/json: whatever it
// encodes, it encodes to the same bytes as encoding/json (HTML escaping
// off, as the dispatcher encodes).
func FuzzFlatEncode(f *testing.F) {
	f.Add(true, int64(-1), uint64(1), 1.5, 3.25, "text", "")
	f.Add(false, int64(0), uint64(0), 0.0, 0.25, "", "x")
	f.Add(false, int64(1<<40), uint64(1<<63), 1e-7, 1e21, "a\"b", "é")
	f.Add(true, int64(-128), uint64(255), 123456789.0, 1e20, "<&>", "tab\t")
	f.Add(true, int64(7), uint64(9), math.Inf(1), math.NaN(), "\u2028", "\\")
	f.Add(true, int64(7), uint64(9), 1e-6, -1e-7, "~", "\x7f")
	f.Add(true, int64(7), uint64(9), math.Copysign(0, -1), math.Copysign(0, -1), "ok", "fine")
	f.Add(true, int64(7), uint64(9), 2.5, 1.0, "ok", "back\\slash")
	f.Fuzz(func(t *testing.T, b bool, i int64, u uint64, f1, f2 float64, s1, s2 string) {
		v := flatOut{B: b, I8: int8(i), I16: int16(i), I32: int32(i), I: int(i), U8: uint8(u), U16: uint16(u), U32: uint32(u), U: u,
			F32: float32(f1), F64: f2, F64e: f1, F64z: f2, S: s1, Se: s2, Be: b, K: kind(s2), Plain: s1, Skip: 1, priv: 2}
		fast, ok := tools.FlatEncode(v)
		if !ok {
			return
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			t.Fatalf("%+v: fast encoded %s, encoding/json fails: %v", v, fast, err)
		}
		if want := strings.TrimSuffix(buf.String(), "\n"); fast != want {
			t.Fatalf("fast %s\nwant %s", fast, want)
		}
	})
}

type marshalsItself struct{ A int }

func (m marshalsItself) MarshalJSON() ([]byte, error) { return []byte(`"mine"`), nil }

type zeroer struct {
	A isZeroInt `json:"a,omitzero"`
}
type isZeroInt int

func (isZeroInt) IsZero() bool { return true }

// TestFlatEncoderEligibility: types with their own encoding, nested values
// and omitzero over an IsZero method are left to encoding/json, and the
// dispatcher's output is the same either way.
func TestFlatEncoderEligibility(t *testing.T) {
	if _, ok := tools.FlatEncode(flatOut{S: "x"}); !ok {
		t.Error("flatOut: not encoded fast")
	}
	for name, ok := range map[string]bool{
		"Marshaler":       func() bool { _, ok := tools.FlatEncode(marshalsItself{}); return ok }(),
		"IsZero omitzero": func() bool { _, ok := tools.FlatEncode(zeroer{}); return ok }(),
		"nested":          func() bool { _, ok := tools.FlatEncode(withNested{}); return ok }(),
		"pointer":         func() bool { _, ok := tools.FlatEncode(&flatOut{}); return ok }(),
		"string":          func() bool { _, ok := tools.FlatEncode("s"); return ok }(),
	} {
		if ok {
			t.Errorf("%s: encoded fast, want encoding/json", name)
		}
	}
	mine := tools.MustFunc("mine", "", func(ctx context.Context, in struct{}) (marshalsItself, error) { return marshalsItself{}, nil })
	odd := tools.MustFunc("odd", "", func(ctx context.Context, in struct{}) (flatOut, error) {
		return flatOut{S: "line\nbreak", F64: math.Inf(1)}, nil
	})
	quoted := tools.MustFunc("quoted", "", func(ctx context.Context, in struct{}) (flatOut, error) {
		return flatOut{S: `say "hi" <b>`, F64: 1e-9}, nil
	})
	d := tools.NewDispatcher(tools.MustSet(mine, odd, quoted))
	if r := d.Call(context.Background(), llmCall("mine", `{}`)); r.Content != `"mine"` {
		t.Errorf("mine: %q %v", r.Content, r.Err)
	}
	if r := d.Call(context.Background(), llmCall("odd", `{}`)); r.Err == nil {
		t.Errorf("odd: an infinity encoded: %q", r.Content)
	}
	r := d.Call(context.Background(), llmCall("quoted", `{}`))
	if r.Err != nil || !strings.Contains(r.Content, `"s":"say \"hi\" <b>"`) || !strings.Contains(r.Content, `"f64":1e-9`) {
		t.Errorf("quoted: %q %v", r.Content, r.Err)
	}
}

type oneString struct {
	Query string `json:"query"`
}

// FuzzFlatDecodeOne holds the fast decoder of a struct of one string field
// (which has a one-pass path for compact arguments) to encoding/json.
func FuzzFlatDecodeOne(f *testing.F) {
	for _, s := range []string{
		`{"query":"go"}`, `{"query":""}`, `{"query":"héllo"}`, `{"query":"` + "\xff" + `"}`, `{"query":"a\"b"}`,
		`{"query":"a\\b"}`, `{"query":"tab	"}`, `{"query":"a","x":"b"}`, `{"query":"a"}}`, `{"query":"a"} "}`,
		`{"query":"a","query":"b"}`, `{"Query":"case"}`, `{"query":1}`, `{"query":null}`, `{ "query" : "sp" }`,
		`{"query":"}`, `{"query":"`, `{"query":""}x`, `{"query":"a"`, `{"query":"\u00e9"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var fast oneString
		if !tools.FlatDecode(data, &fast) {
			return
		}
		var ref oneString
		if err := json.Unmarshal(data, &ref); err != nil {
			t.Fatalf("%q: fast decoded %+v, encoding/json fails: %v", data, fast, err)
		}
		if fast != ref {
			t.Fatalf("%q: fast %+v, encoding/json %+v", data, fast, ref)
		}
	})
}

// TestFlatDecodeOne: compact arguments of a one-string-field struct
// decode on the fast path, and what it must not decode is left to the
// general path or to encoding/json.
func TestFlatDecodeOne(t *testing.T) {
	for _, c := range []struct {
		in   string
		ok   bool
		want string
	}{
		{`{"query":"go"}`, true, "go"},
		{`{"query":""}`, true, ""},
		{`{"query":"héllo wörld"}`, true, "héllo wörld"},
		{`{ "query": "sp" }`, true, "sp"}, // the general path
		{`{"query":"a\"b"}`, false, ""},
		{`{"query":"` + "\xff" + `"}`, false, ""},
		{`{"query":"a","x":"b"}`, false, ""},
		{`{"query":"a"} "}`, false, ""},
		{`{"query":"}`, false, ""},
		{`{"Query":"go"}`, false, ""},
	} {
		var got oneString
		ok := tools.FlatDecode([]byte(c.in), &got)
		if ok != c.ok || ok && got.Query != c.want {
			t.Errorf("%q: %v %q, want %v %q", c.in, ok, got.Query, c.ok, c.want)
		}
	}
}

// TestFlatDecodeOneNames: the one-pass path matches the field's name
// exactly whatever its length (a name of 2 to 10 bytes is compared as two
// words), and a key that differs in any byte is not it.
func TestFlatDecodeOneNames(t *testing.T) {
	type n1 struct {
		F string `json:"q"`
	}
	type n2 struct {
		F string `json:"qu"`
	}
	type n10 struct {
		F string `json:"abcdefghij"`
	}
	type n11 struct {
		F string `json:"abcdefghijk"`
	}
	type n12 struct {
		F string `json:"abcdefghijkl"`
	}
	check := func(t *testing.T, name string, decode func([]byte) (string, bool)) {
		t.Helper()
		if got, ok := decode([]byte(`{"` + name + `":"v"}`)); !ok || got != "v" {
			t.Errorf("%q: got %q, %v", name, got, ok)
		}
		for i := range len(name) {
			other := []byte(name)
			other[i] = '#'
			if got, ok := decode([]byte(`{"` + string(other) + `":"v"}`)); ok && got != "" {
				t.Errorf("key %q decoded as %q: %q", other, name, got)
			}
		}
		for _, k := range []string{name[:len(name)-1], name + "x"} {
			if got, ok := decode([]byte(`{"` + k + `":"v"}`)); ok && got != "" {
				t.Errorf("key %q decoded as %q: %q", k, name, got)
			}
		}
	}
	check(t, "q", func(b []byte) (string, bool) { var v n1; ok := tools.FlatDecode(b, &v); return v.F, ok })
	check(t, "qu", func(b []byte) (string, bool) { var v n2; ok := tools.FlatDecode(b, &v); return v.F, ok })
	check(t, "abcdefghij", func(b []byte) (string, bool) { var v n10; ok := tools.FlatDecode(b, &v); return v.F, ok })
	check(t, "abcdefghijk", func(b []byte) (string, bool) { var v n11; ok := tools.FlatDecode(b, &v); return v.F, ok })
	check(t, "abcdefghijkl", func(b []byte) (string, bool) { var v n12; ok := tools.FlatDecode(b, &v); return v.F, ok })
}
