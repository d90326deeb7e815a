package agent_test

import (
	"context"
	"fmt"

	"github.com/plait-ai/plait/agent"
	"github.com/plait-ai/plait/llm/llmtest"
	"github.com/plait-ai/plait/tools"
)

type weatherIn struct {
	City string `json:"city" jsonschema:"description=The city."`
}

// An agent with one tool. The scripted model stands in for a real one
// (llm.Open("deepseek/deepseek-chat"), ...): it writes a plan of two
// independent steps, which run in parallel, then answers citing them.
func Example() {
	weather := tools.MustFunc("weather", "Today's weather in a city.", func(ctx context.Context, in weatherIn) (map[string]any, error) {
		return map[string]any{"city": in.City, "sky": "sunny", "celsius": 21}, nil
	})
	model := llmtest.New(
		llmtest.Text(`{"thought":"Both cities are independent.","steps":[
			{"id":"s1","task":"weather in Paris","tool":"weather","args":{"city":"Paris"},"deps":[]},
			{"id":"s2","task":"weather in Rome","tool":"weather","args":{"city":"Rome"},"deps":[]}]}`),
		llmtest.Text("Both are sunny: Paris [s1] and Rome [s2] are at 21 °C."),
	)
	a, err := agent.New(agent.Config{Model: model, ToolList: []tools.Tool{weather}})
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := a.Run(context.Background(), "Compare the weather in Paris and Rome.")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Answer)
	fmt.Println("cited:", res.Citations, "steps:", len(res.Steps), "model calls:", res.ModelCalls)
	s1, _ := res.Step("s1")
	fmt.Println(s1.Tool, string(s1.Args), s1.Content)
	// Output:
	// Both are sunny: Paris [s1] and Rome [s2] are at 21 °C.
	// cited: [s1 s2] steps: 2 model calls: 2
	// weather {"city":"Paris"} {"celsius":21,"city":"Paris","sky":"sunny"}
}
