package tools_test

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/tools"
)

type conversion struct {
	Celsius float64 `json:"celsius" jsonschema:"description=A temperature in degrees Celsius.,minimum=-273.15"`
}

func ExampleFunc() {
	toF := tools.MustFunc("to_fahrenheit", "Converts Celsius to Fahrenheit.",
		func(ctx context.Context, in conversion) (float64, error) {
			return in.Celsius*9/5 + 32, nil
		})
	fmt.Println(string(toF.Spec().Parameters))
	// Output:
	// {"properties":{"celsius":{"type":"number","minimum":-273.15,"description":"A temperature in degrees Celsius."}},"additionalProperties":false,"type":"object","required":["celsius"]}
}

func ExampleDispatcher_Dispatch() {
	toF := tools.MustFunc("to_fahrenheit", "Converts Celsius to Fahrenheit.",
		func(ctx context.Context, in conversion) (float64, error) {
			return in.Celsius*9/5 + 32, nil
		})
	d := tools.NewDispatcher(tools.MustSet(toF))
	results := d.Dispatch(context.Background(),
		llm.ToolCall{ID: "1", Name: "to_fahrenheit", Arguments: json.RawMessage(`{"celsius":100}`)},
		llm.ToolCall{ID: "2", Name: "to_fahrenheit", Arguments: json.RawMessage(`{"celsius":-300}`)},
		llm.ToolCall{ID: "3", Name: "to_kelvin", Arguments: json.RawMessage(`{"celsius":1}`)},
	)
	for _, r := range results {
		fmt.Println(r.Call.ID, r.Content)
	}
	// Output:
	// 1 212
	// 2 error: invalid arguments for tool "to_fahrenheit": at /celsius: minimum: got -300, want -273.15; fix the arguments and call the tool again
	// 3 error: tools: unknown tool "to_kelvin"; the available tools are "to_fahrenheit"
}

func ExampleGuard() {
	pay := tools.MustFunc("pay", "Pays someone.",
		func(ctx context.Context, in struct {
			Amount float64 `json:"amount"`
		}) (string, error) {
			return fmt.Sprintf("paid %.2f", in.Amount), nil
		}, tools.Guard(`amount <= 100 || user.role == "admin"`))
	d := tools.NewDispatcher(tools.MustSet(pay))
	ctx := tools.WithGuardEnv(context.Background(), map[string]any{"user": map[string]any{"role": "clerk"}})
	for _, args := range []string{`{"amount":20}`, `{"amount":500}`} {
		r := d.Call(ctx, llm.ToolCall{ID: "c", Name: "pay", Arguments: json.RawMessage(args)})
		fmt.Println(r.Content)
	}
	// Output:
	// paid 20.00
	// error: call of tool "pay" denied by guard (policy: amount <= 100 || user.role == "admin"): the arguments are not allowed by the policy
}
