// Package doctest holds a tool input type documented only by doc comments
// and tags, with its generated docs file committed, for the tests of
// package tools.
package doctest

//go:generate go run github.com/plait-ai/plait/tools/cmd/plait-tooldoc

// Forecast asks for the weather forecast of a city.
type Forecast struct {
	// City is the city's name, in English.
	City string `json:"city"`
	// Days is how many days ahead to forecast.
	Days int `json:"days,omitempty" jsonschema:"minimum=1,maximum=7"`
	// Unit is the temperature unit of the answer.
	Unit Unit `json:"unit,omitempty"`
}

// Unit is a temperature unit.
type Unit string

// JSONSchemaEnum lists the units.
func (Unit) JSONSchemaEnum() []any { return []any{"celsius", "fahrenheit"} }
