package tools_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"github.com/plait-ai/plait/tools"
	"github.com/plait-ai/plait/tools/internal/doctest"
)

// TestTenLineTool: a tool whose description is written only as doc comments
// and tags (doctest.Forecast, with its go:generate output committed) shows
// a complete schema.
func TestTenLineTool(t *testing.T) {
	forecast := tools.MustFunc("forecast", "", func(ctx context.Context, in doctest.Forecast) (string, error) {
		return fmt.Sprintf("%s: sunny for %d days", in.City, max(in.Days, 1)), nil
	})
	want := `{
		"name": "forecast",
		"description": "Forecast asks for the weather forecast of a city.",
		"parameters": {
			"type": "object",
			"properties": {
				"city": {"type": "string", "description": "City is the city's name, in English."},
				"days": {"type": "integer", "minimum": 1, "maximum": 7, "description": "Days is how many days ahead to forecast."},
				"unit": {"type": "string", "enum": ["celsius", "fahrenheit"], "description": "Unit is the temperature unit of the answer."}
			},
			"required": ["city"],
			"additionalProperties": false
		}
	}`
	assertJSONEqual(t, forecast.Spec(), want)

	strict := tools.MustFunc("forecast", "", func(ctx context.Context, in doctest.Forecast) (string, error) { return "", nil }, tools.Strict())
	wantStrict := `{
		"name": "forecast",
		"description": "Forecast asks for the weather forecast of a city.",
		"strict": true,
		"parameters": {
			"type": "object",
			"properties": {
				"city": {"type": "string", "description": "City is the city's name, in English."},
				"days": {"type": ["integer", "null"], "minimum": 1, "maximum": 7, "description": "Days is how many days ahead to forecast."},
				"unit": {"type": ["string", "null"], "enum": ["celsius", "fahrenheit", null], "description": "Unit is the temperature unit of the answer."}
			},
			"required": ["city", "days", "unit"],
			"additionalProperties": false
		}
	}`
	assertJSONEqual(t, strict.Spec(), wantStrict)

	d := tools.NewDispatcher(tools.MustSet(strict))
	if r := d.Call(context.Background(), llmCall("forecast", `{"city":"Oslo","days":null,"unit":null}`)); r.Err != nil {
		t.Errorf("a strict-mode call with nulls was refused: %v", r.Err)
	}
}

func assertJSONEqual(t *testing.T, got any, want string) {
	t.Helper()
	b, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	var g, w any
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, w) {
		pretty, _ := json.MarshalIndent(g, "", "  ")
		t.Errorf("got\n%s\nwant\n%s", pretty, want)
	}
}
