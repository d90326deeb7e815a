package tools_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/tools"
)

type fuzzInner struct {
	Name  string    `json:"name" jsonschema:"maxLength=8"`
	Score *float64  `json:"score,omitempty"`
	When  time.Time `json:"when,omitzero"`
}

type fuzzIn struct {
	ID    int8              `json:"id"`
	Kind  string            `json:"kind" jsonschema:"enum=a,enum=b"`
	Items []fuzzInner       `json:"items,omitempty" jsonschema:"maxItems=3"`
	Meta  map[string]uint16 `json:"meta,omitempty"`
	Next  *fuzzIn           `json:"next,omitempty"`
}

// FuzzDispatchArguments: no argument bytes make validation, decoding or
// dispatch panic, and every call ends in a Result the model can read.
func FuzzDispatchArguments(f *testing.F) {
	for _, s := range []string{
		`{"id":1,"kind":"a"}`, `{"id":300,"kind":"a"}`, `{"id":1.5,"kind":"b"}`, `{"id":1,"kind":"a","items":[{"name":"x","score":null}]}`,
		`{"id":1,"kind":"a","next":{"id":2,"kind":"b","next":{"id":3,"kind":"a"}}}`, `{"id":1,"kind":"a","meta":{"x":70000}}`,
		`{"id":1,"kind":"a","items":[{"name":"x","when":"2024-02-30T00:00:00Z"}]}`, `{"id":-129,"kind":"a"}`, `null`, ``, `{`, `[]`,
		`{"id":1e400,"kind":"a"}`, `{"id":1,"kind":"a","items":[{"name":"\ud800"}]}`,
	} {
		f.Add([]byte(s))
	}
	typed := tools.MustFunc("typed", "", func(ctx context.Context, in fuzzIn) (fuzzIn, error) { return in, nil })
	raw := tools.MustRaw(llm.ToolSpec{Name: "raw", Parameters: json.RawMessage(`{"type":"object","properties":{"q":{"type":"string","pattern":"^[a-z]*$"},"n":{"type":"integer","multipleOf":3}}}`)},
		func(ctx context.Context, args json.RawMessage) (any, error) { return args, nil })
	d := tools.NewDispatcher(tools.MustSet(typed, raw), tools.WithTimeout(-1))
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, name := range []string{"typed", "raw"} {
			_ = d.Validate(name, data)
			r := d.Call(ctx, llm.ToolCall{ID: "x", Name: name, Arguments: data})
			if r.Content == "" {
				t.Fatalf("%s(%q): empty content", name, data)
			}
			if r.Err != nil && !strings.HasPrefix(r.Content, "error: ") {
				t.Fatalf("%s(%q): failure without an error content: %q", name, data, r.Content)
			}
			if r.Err == nil && len(data) > 0 && !json.Valid(data) {
				t.Fatalf("%s(%q): invalid JSON accepted", name, data)
			}
		}
	})
}

// FuzzNormalizeSchema: no schema text makes NormalizeSchema or FromBFCL
// panic, and what NormalizeSchema returns is JSON.
func FuzzNormalizeSchema(f *testing.F) {
	for _, s := range []string{
		`{"type":"dict","properties":{"a":{"type":"float"},"b":{"type":"tuple","items":{"type":"any"}}},"required":["a"]}`,
		`{"type":["dict","null"],"anyOf":[{"type":"int"}],"items":[{"type":"str"}]}`, `null`, `[]`, `{"properties":1}`, `{`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := tools.NormalizeSchema(data, true)
		if err == nil && len(out) > 0 && !json.Valid(out) {
			t.Fatalf("%q -> invalid JSON %q", data, out)
		}
		def, _ := json.Marshal(map[string]any{"name": "f", "parameters": json.RawMessage(out)})
		if err == nil && json.Valid(out) {
			_, _ = tools.FromBFCL(def)
		}
	})
}
