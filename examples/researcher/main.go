// Command researcher answers a question by planning, searching a knowledge
// base, reading documents and writing a report that cites them.
//
//	go run ./examples/researcher "What is retrieval-augmented generation?"
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, `researcher: the agent runtime is not built yet.
Until the embedded model lands, set PLAIT_MODEL to a provider preset
(for example PLAIT_MODEL=deepseek/deepseek-chat with DEEPSEEK_API_KEY set)
and see README.md for the list of presets.`)
	os.Exit(2)
}
