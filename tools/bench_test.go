package tools_test

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/plait-ai/plait/internal/testenv"
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

func addTool(tb testing.TB, opts ...tools.DispatcherOption) *tools.Dispatcher {
	return addToolWith(tb, nil, opts...)
}

func addToolWith(tb testing.TB, topts []tools.Option, opts ...tools.DispatcherOption) *tools.Dispatcher {
	t, err := tools.Func("add", "Adds two integers.", func(ctx context.Context, in addIn) (addOut, error) {
		return addOut{in.A + in.B}, nil
	}, topts...)
	if err != nil {
		tb.Fatal(err)
	}
	return tools.NewDispatcher(tools.MustSet(t), opts...)
}

// BenchmarkDispatchOne measures the whole path of one call of a trivial
// tool: lookup, validation, decoding, the call, encoding. With the default
// timeout the tool's first calls run on a pooled worker goroutine (so
// that a tool that ignores its context cannot hold the run), and, once it
// has proved quick, on the caller's goroutine, as they do without a
// timeout or marked Inline; marked Isolated, on a worker every time.
func BenchmarkDispatchOne(b *testing.B) {
	for _, bc := range []struct {
		name  string
		topts []tools.Option
		opts  []tools.DispatcherOption
	}{
		{"timeout=default", nil, nil},
		{"timeout=inline", []tools.Option{tools.Inline()}, nil},
		{"timeout=none", nil, []tools.DispatcherOption{tools.WithTimeout(-1)}},
		{"timeout=isolated", []tools.Option{tools.Isolated()}, nil},
	} {
		b.Run(bc.name, func(b *testing.B) {
			d := addToolWith(b, bc.topts, bc.opts...)
			ctx := context.Background()
			call := llm.ToolCall{ID: "call_1", Name: "add", Arguments: json.RawMessage(`{"a":1,"b":2}`)}
			b.ReportAllocs()
			cpu0 := testenv.CPUTime()
			for b.Loop() {
				r := d.Call(ctx, call)
				if r.Err != nil || r.Content != `{"sum":3}` {
					b.Fatal(r.Err, r.Content)
				}
			}
			if cpu1 := testenv.CPUTime(); cpu0 > 0 {
				b.ReportMetric(float64((cpu1-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
			}
		})
	}
}

// BenchmarkValidate compares the fast path with the reference validator
// alone, on valid arguments.
// BenchmarkDispatchValidated is BenchmarkDispatchOne's default case for
// arguments validated beforehand (as package agent does for plan steps):
// DispatchValidated skips the schema check.
func BenchmarkDispatchValidated(b *testing.B) {
	d := addTool(b)
	ctx := context.Background()
	call := llm.ToolCall{ID: "call_1", Name: "add", Arguments: json.RawMessage(`{"a":1,"b":2}`)}
	b.ReportAllocs()
	cpu0 := testenv.CPUTime()
	for b.Loop() {
		r := d.DispatchValidated(ctx, call)[0]
		if r.Err != nil || r.Content != `{"sum":3}` {
			b.Fatal(r.Err, r.Content)
		}
	}
	if cpu1 := testenv.CPUTime(); cpu0 > 0 {
		b.ReportMetric(float64((cpu1-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

func BenchmarkValidate(b *testing.B) {
	d := addTool(b)
	args := json.RawMessage(`{"a":1,"b":2}`)
	b.ReportAllocs()
	cpu0 := testenv.CPUTime()
	for b.Loop() {
		if err := d.Validate("add", args); err != nil {
			b.Fatal(err)
		}
	}
	if cpu1 := testenv.CPUTime(); cpu0 > 0 {
		b.ReportMetric(float64((cpu1-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkDispatchParallel dispatches N calls at once: of a trivial tool,
// which proves quick and runs them one after another on the caller's
// goroutine, and of the same tool marked Isolated, whose calls run side by
// side on workers.
func BenchmarkDispatchParallel(b *testing.B) {
	ctx := context.Background()
	for _, bc := range []struct {
		name  string
		topts []tools.Option
	}{{"", nil}, {"isolated/", []tools.Option{tools.Isolated()}}} {
		d := addToolWith(b, bc.topts)
		for _, n := range []int{4, 16, 64} {
			calls := make([]llm.ToolCall, n)
			for i := range calls {
				calls[i] = llm.ToolCall{ID: fmt.Sprint("c", i), Name: "add", Arguments: json.RawMessage(`{"a":1,"b":2}`)}
			}
			b.Run(fmt.Sprint(bc.name, "calls=", n), func(b *testing.B) {
				b.ReportAllocs()
				cpu0 := testenv.CPUTime()
				for b.Loop() {
					for _, r := range d.Dispatch(ctx, calls...) {
						if r.Err != nil {
							b.Fatal(r.Err)
						}
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/call")
				if cpu1 := testenv.CPUTime(); cpu0 > 0 {
					b.ReportMetric(float64((cpu1-cpu0).Nanoseconds())/float64(b.N*n), "cpu-ns/call")
				}
			})
		}
	}
}

type queryIn struct {
	Query string `json:"query"`
}

// BenchmarkDispatchOneQuery measures one call of the tool package agent's
// benchmarks use (a one-string-field argument struct, a string output)
// the ways an agent makes it: CallValidated for a plan step whose
// arguments the planner validated, Dispatch of one call for a ReAct step.
// The parent context is cancellable, as a run's is. direct is the tool's
// function called without the dispatcher, for reference.
func BenchmarkDispatchOneQuery(b *testing.B) {
	fn := func(ctx context.Context, in queryIn) (string, error) {
		return "result for " + in.Query, nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	call := llm.ToolCall{ID: "call_1", Name: "search", Arguments: json.RawMessage(`{"query":"go"}`)}
	const want = "result for go"
	b.Run("direct", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if s, err := fn(ctx, queryIn{Query: "go"}); err != nil || s != want {
				b.Fatal(err, s)
			}
		}
	})
	for _, bc := range []struct {
		name  string
		topts []tools.Option
		opts  []tools.DispatcherOption
		run   func(d *tools.Dispatcher) tools.Result
	}{
		{"validated/timeout=inline", []tools.Option{tools.Inline()}, nil,
			func(d *tools.Dispatcher) tools.Result { return d.CallValidated(ctx, call) }},
		{"validated/timeout=none", nil, []tools.DispatcherOption{tools.WithTimeout(-1)},
			func(d *tools.Dispatcher) tools.Result { return d.CallValidated(ctx, call) }},
		{"validated/timeout=default", nil, nil,
			func(d *tools.Dispatcher) tools.Result { return d.CallValidated(ctx, call) }},
		{"validated/timeout=isolated", []tools.Option{tools.Isolated()}, nil,
			func(d *tools.Dispatcher) tools.Result { return d.CallValidated(ctx, call) }},
		{"dispatch/timeout=inline", []tools.Option{tools.Inline()}, nil,
			func(d *tools.Dispatcher) tools.Result { return d.Dispatch(ctx, call)[0] }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			t := tools.MustFunc("search", "Search the knowledge base.", fn, bc.topts...)
			d := tools.NewDispatcher(tools.MustSet(t), bc.opts...)
			b.ReportAllocs()
			cpu0 := testenv.CPUTime()
			for b.Loop() {
				r := bc.run(d)
				if r.Err != nil || r.Content != want {
					b.Fatal(r.Err, r.Content)
				}
			}
			if cpu1 := testenv.CPUTime(); cpu0 > 0 {
				b.ReportMetric(float64((cpu1-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
			}
		})
	}
}

// BenchmarkValidateQuery validates the arguments of a one-string-field
// tool, as a planner validates each plan step's when it compiles a plan.
func BenchmarkValidateQuery(b *testing.B) {
	fn := func(ctx context.Context, in queryIn) (string, error) { return in.Query, nil }
	d := tools.NewDispatcher(tools.MustSet(tools.MustFunc("search", "Search the knowledge base.", fn)))
	args := json.RawMessage(`{"query":"agents"}`)
	b.ReportAllocs()
	cpu0 := testenv.CPUTime()
	for b.Loop() {
		if err := d.Validate("search", args); err != nil {
			b.Fatal(err)
		}
	}
	if cpu1 := testenv.CPUTime(); cpu0 > 0 {
		b.ReportMetric(float64((cpu1-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}
