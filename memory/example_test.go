package memory_test

import (
	"context"
	"fmt"

	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/llm/llmtest"
	"github.com/plait-ai/plait/memory"
)

func ExampleScratchpad() {
	var pad memory.Scratchpad
	pad.Add("", memory.KindPlan, "1. search the docs 2. answer")
	pad.Add("s1", memory.KindToolCall, `search({"q":"windowing"})`)
	pad.Append(memory.Entry{Step: "s1", Kind: memory.KindObservation, Tool: "search", Text: "History.Window keeps recent turns."})
	fmt.Print(pad.Render(500))
	// Output:
	// Plan: 1. search the docs 2. answer
	// Tool call [s1]: search({"q":"windowing"})
	// Observation [s1] (search): History.Window keeps recent turns.
}

func ExampleHistory() {
	ctx := context.Background()
	store := memory.NewMemStore() // or sqlite.Open, redis.Open
	conv := memory.NewID()
	model := llmtest.New(llmtest.Text("Hello Ada."), llmtest.Text("You are Ada."))

	run := func(question string) {
		h := memory.NewHistory(store, conv, memory.HistoryOptions{System: "Be brief.", Budget: 4000})
		w, err := h.Window(ctx, 0) // what the prompt may hold
		if err != nil {
			fmt.Println(err)
			return
		}
		user := llm.UserMessage(question)
		resp, err := model.Generate(ctx, &llm.Request{Messages: append(w.Messages, user)})
		if err != nil {
			fmt.Println(err)
			return
		}
		if _, err := h.Append(ctx, user, resp.Message); err != nil { // the run's new messages
			fmt.Println(err)
			return
		}
		fmt.Printf("%d messages in the prompt -> %s\n", len(w.Messages)+1, resp.Text())
	}
	run("I am Ada.")
	run("Who am I?")
	// Output:
	// 2 messages in the prompt -> Hello Ada.
	// 4 messages in the prompt -> You are Ada.
}
