package llm

import (
	"encoding/json"
	"strings"
)

// Role says who speaks a message.
type Role string

// The roles of a conversation.
const (
	RoleSystem    Role = "system"
	RoleUser      Role = "user"
	RoleAssistant Role = "assistant"
	RoleTool      Role = "tool"
)

// Message is one turn of a conversation.
//
// An assistant message may carry tool calls and, from reasoning models, the
// reasoning text the model produced before its answer. A tool message
// carries the result of one tool call, linked to it by ToolCallID.
type Message struct {
	Role Role `json:"role"`
	// Content is the message text.
	Content string `json:"content,omitempty"`
	// Reasoning is the reasoning text of a reasoning model (DeepSeek's
	// reasoning_content, a leading <think>…</think> block, Anthropic's
	// thinking). Backends do not send it back to the model.
	Reasoning string `json:"reasoning,omitempty"`
	// ToolCalls are the calls an assistant message asks for.
	ToolCalls []ToolCall `json:"tool_calls,omitempty"`
	// ToolCallID links a tool message to the call it answers.
	ToolCallID string `json:"tool_call_id,omitempty"`
	// Name is the tool's name on a tool message (some APIs require it).
	Name string `json:"name,omitempty"`
}

// SystemMessage returns a system message with the given text.
func SystemMessage(text string) Message { return Message{Role: RoleSystem, Content: text} }

// UserMessage returns a user message with the given text.
func UserMessage(text string) Message { return Message{Role: RoleUser, Content: text} }

// AssistantMessage returns an assistant message with the given text.
func AssistantMessage(text string) Message { return Message{Role: RoleAssistant, Content: text} }

// ToolResultMessage returns the tool message that answers call with content.
func ToolResultMessage(call ToolCall, content string) Message {
	return Message{Role: RoleTool, Content: content, ToolCallID: call.ID, Name: call.Name}
}

// ToolCall is a model's request to run one tool.
type ToolCall struct {
	// ID identifies the call; a tool result refers to it. Backends whose
	// APIs give no id get one made up (see tools.Dispatcher).
	ID string `json:"id"`
	// Name is the tool's name.
	Name string `json:"name"`
	// Arguments is the JSON object of arguments. Backends guarantee it is
	// valid JSON; "{}" when the model gave none.
	Arguments json.RawMessage `json:"arguments"`
}

// ToolSpec describes a tool to the model.
type ToolSpec struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Parameters is the JSON schema of the arguments object. Nil means
	// a tool that takes no arguments.
	Parameters json.RawMessage `json:"parameters,omitempty"`
	// Strict asks backends that support it (OpenAI's strict mode) to
	// guarantee the arguments match the schema exactly.
	Strict bool `json:"strict,omitempty"`
}

// ToolChoiceMode says whether and which tools the model must call.
type ToolChoiceMode string

// The tool-choice modes. The zero value is auto.
const (
	ToolChoiceAuto     ToolChoiceMode = ""
	ToolChoiceNone     ToolChoiceMode = "none"
	ToolChoiceRequired ToolChoiceMode = "required"
	ToolChoiceNamed    ToolChoiceMode = "named"
)

// ToolChoice tells the model whether to call tools: auto (the zero value:
// the model decides), none, required (at least one call), or one named tool.
type ToolChoice struct {
	Mode ToolChoiceMode `json:"mode,omitempty"`
	// Name is the tool to call when Mode is ToolChoiceNamed.
	Name string `json:"name,omitempty"`
}

// ToolChoiceFor returns the choice that forces a call of the named tool.
func ToolChoiceFor(name string) ToolChoice { return ToolChoice{Mode: ToolChoiceNamed, Name: name} }

// JSONSchema is a schema the model's reply must satisfy (structured output).
type JSONSchema struct {
	// Name names the schema; some APIs require one. Defaults to "response".
	Name string `json:"name,omitempty"`
	// Schema is the JSON schema document.
	Schema json.RawMessage `json:"schema"`
	// Strict asks backends that support it to enforce the schema exactly.
	Strict bool `json:"strict,omitempty"`
}

// Request is one call to a model. The zero value of every field is a
// sensible default. Models must not modify a request they are given.
type Request struct {
	// Model overrides the model name the Model was opened with, where the
	// backend allows it.
	Model string `json:"model,omitempty"`
	// Messages is the conversation so far.
	Messages []Message `json:"messages"`
	// Tools are the tools the model may call.
	Tools []ToolSpec `json:"tools,omitempty"`
	// ToolChoice says whether the model must call a tool.
	ToolChoice ToolChoice `json:"tool_choice,omitzero"`
	// ResponseSchema, when set, is a JSON schema the reply text must satisfy.
	ResponseSchema *JSONSchema `json:"response_schema,omitempty"`

	// Temperature, TopP and Seed are nil to use the backend's default.
	Temperature *float64 `json:"temperature,omitempty"`
	TopP        *float64 `json:"top_p,omitempty"`
	Seed        *int64   `json:"seed,omitempty"`
	// MaxTokens caps the reply's length; 0 is the backend's default.
	MaxTokens int `json:"max_tokens,omitempty"`
	// Stop ends the reply at the first of these strings.
	Stop []string `json:"stop,omitempty"`

	// Sources are the texts the reply is to be grounded in, such as the
	// outputs of an agent's steps for its final answer. They are in the
	// messages already; a backend may also use them to check or shape the
	// reply. The local runtime, for a model that asks for verbatim quotes
	// (see package local), makes every quotation in the reply ("…", “…”
	// or 「…」) an exact copy of a span of a source, and a citation right
	// after it ("[s2]") name sources by their IDs. Remote APIs ignore
	// them.
	Sources []Source `json:"sources,omitempty"`
}

// Source is a text a reply is grounded in: ID is how the reply cites it
// (a step id such as "s2"), Text what it says (often JSON).
type Source struct {
	ID   string `json:"id,omitempty"`
	Text string `json:"text"`
}

// Ptr returns a pointer to v: llm.Ptr(0.2) for Request.Temperature.
func Ptr[T any](v T) *T { return &v }

// Usage counts the tokens of one or more model calls.
type Usage struct {
	InputTokens  int `json:"input_tokens"`
	OutputTokens int `json:"output_tokens"`
	// ReasoningTokens is the part of OutputTokens spent on reasoning.
	ReasoningTokens int `json:"reasoning_tokens,omitempty"`
	// CachedInputTokens is the part of InputTokens served from a prompt cache.
	CachedInputTokens int `json:"cached_input_tokens,omitempty"`
}

// Add returns the sum of u and v.
func (u Usage) Add(v Usage) Usage {
	return Usage{
		InputTokens:       u.InputTokens + v.InputTokens,
		OutputTokens:      u.OutputTokens + v.OutputTokens,
		ReasoningTokens:   u.ReasoningTokens + v.ReasoningTokens,
		CachedInputTokens: u.CachedInputTokens + v.CachedInputTokens,
	}
}

// Total returns input plus output tokens.
func (u Usage) Total() int { return u.InputTokens + u.OutputTokens }

// FinishReason says why the model stopped.
type FinishReason string

// The finish reasons backends map theirs onto. A reason a backend does not
// know is kept verbatim.
const (
	FinishStop          FinishReason = "stop"
	FinishLength        FinishReason = "length"
	FinishToolCalls     FinishReason = "tool_calls"
	FinishContentFilter FinishReason = "content_filter"
)

// Known reports whether r is one of the reasons defined here.
func (r FinishReason) Known() bool {
	switch r {
	case FinishStop, FinishLength, FinishToolCalls, FinishContentFilter:
		return true
	}
	return false
}

// Response is a model's whole reply.
type Response struct {
	// Message is the assistant message.
	Message Message `json:"message"`
	Usage   Usage   `json:"usage"`
	// FinishReason says why the model stopped.
	FinishReason FinishReason `json:"finish_reason,omitempty"`
	// ID is the provider's response id, where it gives one.
	ID string `json:"id,omitempty"`
	// Model is the model name the provider reports.
	Model string `json:"model,omitempty"`
}

// Text returns the reply's text content.
func (r *Response) Text() string {
	if r == nil {
		return ""
	}
	return r.Message.Content
}

// SplitThink separates a leading <think>…</think> block, as reasoning models
// such as the DeepSeek-R1 distills emit it, from the content that follows.
// Content without such a block is returned unchanged with empty reasoning.
// An unterminated block is all reasoning.
func SplitThink(content string) (reasoning, rest string) {
	trimmed := strings.TrimLeft(content, " \t\r\n")
	if !strings.HasPrefix(trimmed, thinkOpen) {
		return "", content
	}
	body := trimmed[len(thinkOpen):]
	end := strings.Index(body, thinkClose)
	if end < 0 {
		return strings.TrimSpace(body), ""
	}
	return strings.TrimSpace(body[:end]), strings.TrimLeft(body[end+len(thinkClose):], " \t\r\n")
}

const (
	thinkOpen  = "<think>"
	thinkClose = "</think>"
)
