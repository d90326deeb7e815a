// Package gemini is a client of Google's Gemini API (generateContent and
// streamGenerateContent on generativelanguage.googleapis.com).
//
//	m, err := gemini.New(gemini.Config{
//		APIKey: os.Getenv("GEMINI_API_KEY"),
//		Model:  "gemini-2.5-flash",
//	})
//
// Or, with the presets imported, llm.Open("gemini/gemini-2.5-flash").
//
// The mapping: system messages become systemInstruction; the conversation
// becomes contents with the roles user and model; assistant tool calls
// become functionCall parts and tool results functionResponse parts (a
// result that is a JSON object is sent as it is, anything else as
// {"result": …}); tools become functionDeclarations; the tool choice
// becomes toolConfig.functionCallingConfig (AUTO, NONE, ANY, or ANY with
// allowedFunctionNames); a response schema becomes responseSchema with
// responseMimeType application/json; temperature, topP, maxOutputTokens,
// stopSequences and seed go in generationConfig. The API key is sent in
// the x-goog-api-key header.
//
// Gemini's schemas are a subset of OpenAPI 3.0, so tool and response
// schemas are converted: $ref is inlined from $defs, a type list with
// "null" becomes nullable, oneOf becomes anyOf, const becomes a one-value
// enum, type names are upper-cased, and keywords Gemini rejects
// (additionalProperties, $schema, unsupported formats…) are dropped.
//
// Replies give text, thought parts as reasoning text (when
// [Config.IncludeThoughts] asks for them), function calls as tool calls
// (ids made up as UUIDs where Gemini gives none), usage from usageMetadata
// (output tokens include thoughtsTokenCount, reported as reasoning tokens;
// cachedContentTokenCount as cached input), finishReason (STOP to stop, or
// tool_calls when the reply calls functions; MAX_TOKENS to length; SAFETY,
// RECITATION, BLOCKLIST, PROHIBITED_CONTENT and SPII to content_filter;
// others verbatim), responseId and modelVersion.
//
// Thought signatures that Gemini attaches to function calls are kept by
// the Model, keyed by the call's id, and sent back with that call in later
// requests, as thinking models require.
//
// Streams use streamGenerateContent?alt=sse; a stream that ends before a
// candidate with a finishReason yields [llm.ErrInvalidResponse].
package gemini
