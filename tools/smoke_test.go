package tools_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/plait-ai/plait/tools"
)

type Unit string

func (Unit) JSONSchemaEnum() []any { return []any{"c", "f"} }

type Addr struct {
	Street string `json:"street"`
	Zip    string `json:"zip,omitempty" jsonschema:"pattern=^[0-9]{5}$"`
}

type In struct {
	City  string            `json:"city" jsonschema:"description=The city,minLength=2"`
	Unit  Unit              `json:"unit,omitempty"`
	Days  int               `json:"days,omitempty" jsonschema:"minimum=1,maximum=10,default=3"`
	When  time.Time         `json:"when"`
	Addr  *Addr             `json:"addr,omitempty"`
	Tags  []string          `json:"tags"`
	Meta  map[string]string `json:"meta,omitempty"`
}

func TestSmoke(t *testing.T) {
	ft, err := tools.Func("weather", "", func(ctx context.Context, in In) (string, error) { return in.City, nil })
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println(string(ft.Spec().Parameters))
	_, err = tools.Func("weather", "", func(ctx context.Context, in In) (string, error) { return in.City, nil }, tools.Strict())
	fmt.Println(err)
	type In2 struct {
		City  string            `json:"city" jsonschema:"description=The city,minLength=2"`
		Unit  Unit              `json:"unit,omitempty"`
		Days  int               `json:"days,omitempty" jsonschema:"minimum=1,maximum=10,default=3"`
		Addr  *Addr             `json:"addr,omitempty"`
	}
	ft2, err := tools.Func("weather", "", func(ctx context.Context, in In2) (string, error) { return in.City, nil }, tools.Strict())
	fmt.Println(string(ft2.Spec().Parameters), err)
	s := tools.MustSet(ft2)
	d := tools.NewDispatcher(s)
	for _, a := range []string{`{"city":"Paris"}`, `{"city":"P","days":20,"unit":"k","x":1}`, `{"city":"Paris","days":null,"unit":null,"addr":null}`, `{"city":"Paris","addr":{"street":1}}`, `[1]`, `{`} {
		r := d.Dispatch(context.Background(), llmCall("weather", a))
		fmt.Println(r[0].Content, r[0].Err)
	}
}
