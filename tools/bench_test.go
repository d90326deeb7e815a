package tools_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/tools"
)

type addIn struct {
	A int `json:"a"`
	B int `json:"b"`
}

type addOut struct {
	Sum int `json:"sum"`
}

func addTool(tb testing.TB) *tools.Dispatcher {
	t, err := tools.Func("add", "Adds two integers.", func(ctx context.Context, in addIn) (addOut, error) {
		return addOut{in.A + in.B}, nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return tools.NewDispatcher(tools.MustSet(t), tools.WithTimeout(-1))
}

// BenchmarkDispatchOne measures the whole path of one call of a trivial
// tool: lookup, validation, decoding, the call, encoding.
func BenchmarkDispatchOne(b *testing.B) {
	d := addTool(b)
	ctx := context.Background()
	call := llm.ToolCall{ID: "call_1", Name: "add", Arguments: json.RawMessage(`{"a":1,"b":2}`)}
	b.ReportAllocs()
	for b.Loop() {
		r := d.Call(ctx, call)
		if r.Err != nil {
			b.Fatal(r.Err)
		}
	}
}

// BenchmarkDispatchParallel dispatches N calls at once.
func BenchmarkDispatchParallel(b *testing.B) {
	d := addTool(b)
	ctx := context.Background()
	for _, n := range []int{4, 16, 64} {
		calls := make([]llm.ToolCall, n)
		for i := range calls {
			calls[i] = llm.ToolCall{ID: fmt.Sprint("c", i), Name: "add", Arguments: json.RawMessage(`{"a":1,"b":2}`)}
		}
		b.Run(fmt.Sprint("calls=", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				d.Dispatch(ctx, calls...)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/call")
		})
	}
}
