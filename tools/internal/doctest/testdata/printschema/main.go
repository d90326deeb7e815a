// Command printschema prints the spec of a tool whose input is
// doctest.Forecast: the test of package doctest builds it and runs it away
// from the source, to show the doc comments are in the binary.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/plait-ai/plait/tools"
	"github.com/plait-ai/plait/tools/internal/doctest"
)

func main() {
	t, err := tools.Func("forecast", "", func(ctx context.Context, in doctest.Forecast) (string, error) { return in.City, nil })
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	b, _ := json.Marshal(t.Spec())
	fmt.Println(string(b))
}
