// Package llm is the one interface every language model in plait sits
// behind, the in-process local runtime and every remote API alike.
//
// A [Model] has two methods: [Model.Generate] returns a whole [Response];
// [Model.Stream] yields [Chunk] values through an iter.Seq2 as the model
// produces them. [Collect] folds a stream into a response, assembling
// streamed tool-call fragments into whole calls.
//
// A [Request] carries the conversation ([Message] values with the roles
// system, user, assistant and tool), the tools the model may call
// ([ToolSpec]), a [ToolChoice], an optional [JSONSchema] the reply must
// satisfy, and sampling settings. A [Response] carries the assistant
// message (text, tool calls and, for reasoning models, the reasoning text),
// token [Usage] and a [FinishReason].
//
// Errors from backends are [*Error] values of a [ErrorKind]; test them with
// errors.Is against [ErrAuth], [ErrRateLimit], [ErrContextLength],
// [ErrInvalidRequest], [ErrUnavailable], [ErrTimeout] and
// [ErrInvalidResponse], or with errors.As to read the retry-after a server
// gave.
//
// Middleware wraps any Model: [Retry] (exponential backoff with jitter that
// honours retry-after), [Limit] (concurrency and request rate) and [Cache]
// (keyed by the whole request). [Chain] composes them.
//
// Backends register themselves under a provider name, as database/sql
// drivers do, and [Open] resolves "provider/model":
//
//	import (
//		"github.com/plait-ai/plait/llm"
//		_ "github.com/plait-ai/plait/llm/providers" // remote APIs
//	)
//
//	m, err := llm.Open("deepseek/deepseek-chat")
//	resp, err := m.Generate(ctx, &llm.Request{
//		Messages: []llm.Message{llm.UserMessage("Hello")},
//	})
//
// Package llm imports no backend. Package llm/llmtest has a scripted Model
// for tests.
package llm
