// Package chat renders conversations into the prompt text a local model was
// trained on, and parses the model's replies back into text, reasoning and
// tool calls.
//
// Each model family has its own [Template]: ChatML (Qwen, SmolLM and many
// others), Llama 3, Llama 2, Mistral, DeepSeek (the R1 distills, whose
// <think> blocks become the reply's reasoning), Phi-3 (also Phi-3.5 and
// Phi-4-mini), Phi-4, and Gemma (Gemma, Gemma 2 and 3, which have no
// system role: system text opens the next user turn, as in llama.cpp). [Detect] picks the family
// from the tokenizer.chat_template metadata of a GGUF file; [Lookup] picks
// one by name, for an override.
//
// Tools are rendered into the prompt the way the family was trained
// (Qwen's <tool_call> JSON, Llama 3's JSON calls, Mistral's [TOOL_CALLS],
// DeepSeek's tool-call tokens; Phi and Gemma, which have no tool syntax,
// get Qwen's <tool_call> instructions in their system text), and [Template.Parse] turns the model's calls
// back into llm.ToolCall values. [Template.ToolCallFormat] tells a
// constrained decoder the exact text around a call's JSON.
//
// Templates are immutable values, safe for concurrent use.
package chat
