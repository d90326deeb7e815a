package planner_test

import (
	"fmt"

	"github.com/plait-ai/plait/planner"
)

// Parse reads LLMCompiler's text form too, repairing a missing
// parenthesis; "$1.hits[0].url" becomes a reference to step s1's output.
func ExampleParse() {
	p, err := planner.Parse("Thought: search, then read the top hit.\n1. search(query=\"rag\"\n2. fetch(url=$1.hits[0].url)\n3. join()", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.Thought)
	for _, s := range p.Steps {
		fmt.Println(s.ID, s.Tool, string(s.Args))
	}
	// Output:
	// search, then read the top hit.
	// s1 search {"query":"rag"}
	// s2 fetch {"url":"${s1.hits[0].url}"}
}
