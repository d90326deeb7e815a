// Package langchain makes any plait [llm.Model] usable as a langchaingo
// llms.Model, so langchaingo chains and agents run on plait backends: the
// local runtime, every preset, and plait middleware (retry, limits, cache)
// around them.
//
//	m, _ := llm.Open("deepseek/deepseek-chat")
//	lc := langchain.New(llm.Chain(m, llm.Retry(llm.RetryPolicy{})))
//	agent := agents.NewOpenAIFunctionsAgent(lc, tools)
//	out, err := chains.Run(ctx, agents.NewExecutor(agent), "question")
//
// GenerateContent maps langchaingo's messages (system, human and generic,
// ai with text and tool calls, tool results, legacy function results),
// tools and legacy functions, the tool choice ("auto", "none",
// "required"/"any", a named function as llms.ToolChoice or a map),
// JSON mode, temperature, top_p, max tokens, stop words, seed and model
// onto an [llm.Request], and the reply back onto one ContentChoice: the
// text, the reasoning (ReasoningContent), tool calls (and FuncCall when
// legacy functions were given), the finish reason as StopReason, and
// usage in GenerationInfo (PromptTokens, CompletionTokens, TotalTokens,
// ReasoningTokens, ThinkingTokens, PromptCachedTokens). With a streaming
// function set, the model is streamed and the function receives the text
// as it arrives (and StreamingReasoningFunc the reasoning). Errors are
// plait's own, so errors.Is(err, llm.ErrRateLimit) works through
// langchaingo's code.
//
// Only text content is carried: a message with an image or binary part is
// an error. More than one candidate (CandidateCount or N above 1) is an
// error.
package langchain
