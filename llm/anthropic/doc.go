// Package anthropic is a client of Anthropic's Messages API (Claude).
//
//	m, err := anthropic.New(anthropic.Config{
//		APIKey: os.Getenv("ANTHROPIC_API_KEY"),
//		Model:  "claude-sonnet-4-5",
//	})
//
// Or, with the presets imported, llm.Open("anthropic/claude-sonnet-4-5").
//
// The mapping: system messages become the top-level system prompt;
// assistant tool calls become tool_use blocks and tool results tool_result
// blocks in the user turn that follows (consecutive results share one
// turn); tools are sent with their input_schema; the tool choice maps to
// {"type":"auto"|"none"|"any"|"tool"}. Anthropic has no response-format
// field, so a response schema is requested as a tool the model is made to
// call, whose input comes back as the reply's text. Anthropic requires
// max_tokens; [Config.MaxTokens] is used when the request sets none.
// Anthropic has no seed, which is ignored.
//
// Replies give text, thinking blocks as the reasoning text, tool_use blocks
// as tool calls, usage (input tokens include the prompt-cache reads and
// writes, and cached input tokens are the reads), the stop reason mapped
// (end_turn and stop_sequence to stop, max_tokens to length, tool_use to
// tool_calls, refusal to content_filter, others verbatim), the message id
// and model.
//
// Streams read the server-sent events message_start, content_block_start,
// content_block_delta (text_delta, input_json_delta, thinking_delta),
// content_block_stop, message_delta, message_stop, ping and error. A stream
// that ends before message_stop yields [llm.ErrInvalidResponse]; an error
// event yields the typed error of its type (overloaded_error is
// [llm.ErrUnavailable]).
//
// Extended thinking is turned on with [Config.ThinkingBudget] (or the
// provider option "thinking_budget" through llm.WithOption). The API then
// wants the signed thinking blocks of a turn that called tools sent back
// with those calls; llm.Message has no field for signatures, so the Model
// keeps them, keyed by tool_use id, for the most recent 1024 calls, and
// adds them when the calls come back in a later request to the same Model.
package anthropic
