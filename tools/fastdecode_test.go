package tools_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
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
