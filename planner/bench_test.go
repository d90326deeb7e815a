package planner_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/plait-ai/plait/llm/llmtest"
	"github.com/plait-ai/plait/planner"
	"github.com/plait-ai/plait/tools"
)

type benchQuery struct {
	Query string `json:"query"`
}

// benchPlan is a plan of n independent searches, as a model following the
// plan's schema writes it.
func benchPlan(n int) string {
	var b strings.Builder
	b.WriteString(`{"thought":"The searches are independent: run them together.","steps":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		q := "topic " + strconv.Itoa(i+1)
		b.WriteString(`{"id":"s` + strconv.Itoa(i+1) + `","task":"search ` + q + `","tool":"search","args":{"query":"` + q + `"},"deps":[]}`)
	}
	b.WriteString(`]}`)
	return b.String()
}

// benchChain is a plan of n searches, each but the first depending on the
// one before it.
func benchChain(n int) string {
	var b strings.Builder
	b.WriteString(`{"thought":"Each search narrows the one before it.","steps":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		q := "topic " + strconv.Itoa(i+1)
		deps := ""
		if i > 0 {
			deps = `"s` + strconv.Itoa(i) + `"`
		}
		b.WriteString(`{"id":"s` + strconv.Itoa(i+1) + `","task":"search ` + q + `","tool":"search","args":{"query":"` + q + `"},"deps":[` + deps + `]}`)
	}
	b.WriteString(`]}`)
	return b.String()
}

// BenchmarkParse reads plans of 3 and 16 steps written as the schema asks:
// independent steps, a chain of steps each depending on the one before,
// and steps whose tasks hold escapes (quotes, a newline).
//
//	go test -run '^$' -bench 'Parse|Compile' -benchmem ./planner
func BenchmarkParse(b *testing.B) {
	for _, c := range []struct {
		name string
		n    int
		text string
	}{
		{"steps=3", 3, benchPlan(3)},
		{"steps=16", 16, benchPlan(16)},
		{"chain/steps=3", 3, benchChain(3)},
		{"escaped/steps=3", 3, strings.ReplaceAll(benchPlan(3), `search topic`, `search \"topic\"\n`)},
	} {
		text := c.text
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(text)))
			for b.Loop() {
				if _, err := planner.Parse(text, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCompile validates and compiles the plans of BenchmarkParse
// against a dispatcher's schemas (parsing included).
func BenchmarkCompile(b *testing.B) {
	d := tools.NewDispatcher(tools.MustSet(tools.MustFunc("search", "Search.", func(ctx context.Context, in benchQuery) (string, error) {
		return in.Query, nil
	})))
	specs := d.Specs()
	for _, n := range []int{3, 16} {
		text := benchPlan(n)
		b.Run("steps="+strconv.Itoa(n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p, err := planner.Parse(text, specs)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := planner.Compile(p, d, planner.Options{Specs: specs}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPlan is the agent's path: Planner.Plan with a scripted model
// that replies with the plans of BenchmarkParse, read, validated against
// a dispatcher's schemas and compiled.
func BenchmarkPlan(b *testing.B) {
	d := tools.NewDispatcher(tools.MustSet(tools.MustFunc("search", "Search.", func(ctx context.Context, in benchQuery) (string, error) {
		return in.Query, nil
	})))
	ctx := context.Background()
	req := planner.Request{Goal: "Search three topics."}
	for _, n := range []int{3, 16} {
		text := benchPlan(n)
		p, err := planner.New(planner.Config{Model: llmtest.Loop(llmtest.Text(text)), Tools: d})
		if err != nil {
			b.Fatal(err)
		}
		b.Run("steps="+strconv.Itoa(n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				out, err := p.Plan(ctx, req)
				if err != nil {
					b.Fatal(err)
				}
				if out.Program.Len() != n {
					b.Fatalf("%d steps, want %d", out.Program.Len(), n)
				}
			}
		})
	}
}
