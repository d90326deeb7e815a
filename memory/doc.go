// Package memory keeps what an agent remembers: the scratchpad of one run,
// the history of a conversation across runs, token counts and budgets,
// running summaries, durable stores, and long-term notes it can search.
//
// # Scratchpad: one run
//
// A [Scratchpad] holds a run's plan, thoughts, tool calls, observations,
// reflections, errors and answers, in order, each tied to a plan step.
// Parallel steps append to it at once; appending costs no allocation
// beyond a slice's amortised growth, and nothing is counted or formatted
// until the prompt needs it:
//
//	var pad memory.Scratchpad
//	pad.Add("", memory.KindPlan, plan)
//	pad.Append(memory.Entry{Step: "s1", Kind: memory.KindObservation, Tool: "search", Text: out})
//	prompt := pad.Render(2000) // within 2,000 tokens
//
// When everything does not fit, Render keeps the latest plan, the errors
// and the newest observations first, and says what it left out
// ("[3 earlier observations omitted]").
//
// # History: a conversation across runs
//
// A [History] is one conversation (a UUID) in a [Store]. A run loads the
// window of it that fits its prompt, and appends its new messages:
//
//	h := memory.NewHistory(store, convID, memory.HistoryOptions{
//		System: "You are a support agent.", Budget: 8000,
//		Summarizer: model, // optional: fold old turns into a summary
//	})
//	w, err := h.Window(ctx, 0)          // system prompt + summary + recent turns
//	msgs := append(w.Messages, llm.UserMessage(question))
//	... run the model and tools, collecting the new messages ...
//	_, err = h.Append(ctx, newMsgs...)  // the user message, tool calls, results, answer
//
// The window keeps the system prompt, the running summary and pinned
// messages, then the most recent turns that fit, newest first, as one
// contiguous run; an assistant message with tool calls and its tool
// results stay together or go together. With a Summarizer, once the
// messages not yet summarized pass a threshold, the older turns are folded
// into the running summary by the model and stored ([Store.ReplaceSummary]),
// and the summary takes their place in every later window. A message too
// large for any window is refused with a [*BudgetError] (errors.Is
// ErrTooLarge), or cut with a visible marker under [OverflowTruncate].
//
// # Token counting
//
// Budgets are counted by a [Counter]: [TokenizerCounter] counts exactly
// with a model's own tokenizer (the local runtime's), [Estimator] estimates
// for any other model, counting Chinese, Japanese and Korean characters
// apart from Latin words; its error is measured against real tokenizers in
// the tests (within ±25% on each of four vocabularies). [CountMessage] adds
// the per-message overhead of chat templates.
//
// # Stores
//
// A [Store] keeps conversations: append, load, replace the summary, pin,
// list and delete. [NewMemStore] keeps them in memory; package
// memory/sqlite in one SQLite file, the embedded default; package
// memory/redis in a Redis server, for services with several instances.
// The durable stores are separate packages so that a program links only
// the driver it uses. Every store gives the messages of a conversation a
// total, gap-free order (Record.Seq) even when several processes append
// at once, and is idempotent by message id (a UUID v7): a retried append
// never writes a message twice. Errors callers branch on are sentinels:
// [ErrNotFound], [ErrUnavailable], [ErrBusy], [ErrCorrupt], [ErrConflict],
// [ErrStaleSummary], [ErrTooLarge]. Package memory/memorytest checks any
// store against the contract.
//
// # Long-term recall
//
// [Recall] saves notes and documents in a [NoteStore] (the memory and
// SQLite stores, and Redis) and finds them by BM25, in English and in
// Chinese (character bigrams, see [Terms]). [RememberTool] and
// [RecallTool] give it to agents as the tools "remember" and "recall".
package memory
