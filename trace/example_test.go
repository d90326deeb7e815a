package trace_test

import (
	"context"
	"errors"
	"flag"
	"log"
	"os"
	"sync"

	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/llm/llmtest"
	"github.com/plait-ai/plait/tools"
	"github.com/plait-ai/plait/trace"
)

// An example program's -trace flag prints each run as a tree on stderr;
// OTEL_EXPORTER_OTLP_ENDPOINT sends the same spans to a collector.
func ExampleSetup() {
	showTrace := flag.Bool("trace", false, "print a timeline of each run")
	flag.Parse()

	cfg := trace.Config{ServiceName: "researcher"}
	if *showTrace {
		cfg.Timeline = os.Stderr
	}
	ctx := context.Background()
	shutdown, err := trace.Setup(ctx, cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer func() {
		if err := shutdown(context.Background()); err != nil {
			log.Print(err)
		}
	}()
	// ... open models with trace.Model, build the dispatcher with
	// tools.WithMiddleware(trace.Tools(set.Specs)), run the agent.
}

// How an agent instruments a run: one span for the run, one for planning,
// one per step (from the goroutine that runs it), and the model and tool
// calls made with each span's context nest under it.
func ExampleStartAgent() {
	model := trace.Model(llmtest.New(llmtest.Text("plan"), llmtest.Text("answer")))
	call := trace.Tools(nil)(func(ctx context.Context, c llm.ToolCall) tools.Result {
		return tools.Result{Call: c, Content: "ok"}
	})

	run := func(ctx context.Context, goal string) (err error) {
		ctx, span := trace.StartAgent(ctx, trace.AgentInfo{Name: "researcher", ConversationID: "conv-1"})
		defer func() { span.End(err) }()

		pctx, plan := trace.StartPlan(ctx)
		_, err = model.Generate(pctx, &llm.Request{Messages: []llm.Message{llm.UserMessage(goal)}})
		plan.SetAttributes(trace.PlanStepsKey.Int(2))
		plan.End(err)
		if err != nil {
			return err
		}

		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, id := range []string{"s1", "s2"} {
			wg.Go(func() {
				sctx, step := trace.StartStep(ctx, id, "search")
				res := call(sctx, llm.ToolCall{ID: "call_" + id, Name: "search", Arguments: []byte(`{}`)})
				step.End(res.Err)
				errs[i] = res.Err
			})
		}
		wg.Wait()

		sctx, sum := trace.StartSummarize(ctx)
		_, err = model.Generate(sctx, &llm.Request{Messages: []llm.Message{llm.UserMessage("summarize")}})
		sum.End(err)
		return errors.Join(append(errs, err)...)
	}
	if err := run(context.Background(), "What is RAG?"); err != nil {
		log.Fatal(err)
	}
	// Output:
}
