package langchain

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/tmc/langchaingo/llms"

	"github.com/plait-ai/plait/llm"
)

// LLM adapts an [llm.Model] to langchaingo's llms.Model. It is safe for
// concurrent use when the model is, as every plait model is.
type LLM struct {
	m llm.Model
}

var _ llms.Model = (*LLM)(nil)

// New returns the langchaingo view of m.
func New(m llm.Model) *LLM { return &LLM{m: m} }

// Model returns the plait model l wraps.
func (l *LLM) Model() llm.Model { return l.m }

// Call implements llms.Model: one human message in, the reply's text out.
func (l *LLM) Call(ctx context.Context, prompt string, options ...llms.CallOption) (string, error) {
	return llms.GenerateFromSinglePrompt(ctx, l, prompt, options...)
}

// unset marks an option the caller did not give.
const unsetSeed = math.MinInt

// GenerateContent implements llms.Model.
func (l *LLM) GenerateContent(ctx context.Context, messages []llms.MessageContent, options ...llms.CallOption) (*llms.ContentResponse, error) {
	opts := llms.CallOptions{Temperature: math.NaN(), TopP: math.NaN(), Seed: unsetSeed}
	for _, o := range options {
		o(&opts)
	}
	req, err := Request(messages, &opts)
	if err != nil {
		return nil, err
	}
	var resp *llm.Response
	if opts.StreamingFunc != nil || opts.StreamingReasoningFunc != nil {
		resp, err = l.stream(ctx, req, &opts)
	} else {
		resp, err = l.m.Generate(ctx, req)
	}
	if err != nil {
		return nil, err
	}
	return Response(resp, len(opts.Functions) > 0), nil
}

func (l *LLM) stream(ctx context.Context, req *llm.Request, opts *llms.CallOptions) (*llm.Response, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var acc llm.Accumulator
	for c, err := range l.m.Stream(ctx, req) {
		if err != nil {
			return nil, err
		}
		acc.Add(c)
		if opts.StreamingFunc != nil && c.Text != "" {
			if err := opts.StreamingFunc(ctx, []byte(c.Text)); err != nil {
				return nil, fmt.Errorf("langchain: streaming func: %w", err)
			}
		}
		if opts.StreamingReasoningFunc != nil && (c.Text != "" || c.Reasoning != "") {
			if err := opts.StreamingReasoningFunc(ctx, []byte(c.Reasoning), []byte(c.Text)); err != nil {
				return nil, fmt.Errorf("langchain: streaming reasoning func: %w", err)
			}
		}
	}
	return acc.Response()
}

// Request converts langchaingo messages and call options to a plait
// request. Options the caller did not set must be marked as
// GenerateContent does: Temperature and TopP NaN, Seed math.MinInt;
// zero values are taken as given.
func Request(messages []llms.MessageContent, opts *llms.CallOptions) (*llm.Request, error) {
	req := &llm.Request{Model: opts.Model, MaxTokens: opts.MaxTokens, Stop: opts.StopWords}
	if opts.CandidateCount > 1 || opts.N > 1 {
		return nil, llm.Errorf(llm.KindInvalidRequest, "langchain", "plait models return one candidate; CandidateCount %d and N %d are not supported", opts.CandidateCount, opts.N)
	}
	if !math.IsNaN(opts.Temperature) {
		req.Temperature = llm.Ptr(opts.Temperature)
	}
	if !math.IsNaN(opts.TopP) {
		req.TopP = llm.Ptr(opts.TopP)
	}
	if opts.Seed != unsetSeed {
		req.Seed = llm.Ptr(int64(opts.Seed))
	}
	for i, mc := range messages {
		msgs, err := convertMessage(mc)
		if err != nil {
			return nil, fmt.Errorf("langchain: message %d: %w", i, err)
		}
		req.Messages = append(req.Messages, msgs...)
	}
	for _, t := range opts.Tools {
		if t.Function == nil {
			continue
		}
		spec, err := toolSpec(*t.Function)
		if err != nil {
			return nil, err
		}
		req.Tools = append(req.Tools, spec)
	}
	for _, f := range opts.Functions {
		spec, err := toolSpec(f)
		if err != nil {
			return nil, err
		}
		req.Tools = append(req.Tools, spec)
	}
	choice, err := toolChoice(opts.ToolChoice)
	if err != nil {
		return nil, err
	}
	if choice.Mode == llm.ToolChoiceAuto && opts.FunctionCallBehavior == llms.FunctionCallBehaviorNone {
		choice.Mode = llm.ToolChoiceNone
	}
	req.ToolChoice = choice
	if opts.JSONMode || strings.EqualFold(opts.ResponseMIMEType, "application/json") {
		// A schema without a document asks for any JSON object.
		req.ResponseSchema = &llm.JSONSchema{Name: "response"}
	}
	return req, nil
}

func toolSpec(f llms.FunctionDefinition) (llm.ToolSpec, error) {
	spec := llm.ToolSpec{Name: f.Name, Description: f.Description, Strict: f.Strict}
	switch p := f.Parameters.(type) {
	case nil:
	case json.RawMessage:
		spec.Parameters = p
	case []byte:
		spec.Parameters = json.RawMessage(p)
	case string:
		spec.Parameters = json.RawMessage(p)
	default:
		b, err := json.Marshal(p)
		if err != nil {
			return spec, llm.Errorf(llm.KindInvalidRequest, "langchain", "parameters of tool %q do not encode as JSON: %v", f.Name, err)
		}
		spec.Parameters = b
	}
	if len(spec.Parameters) > 0 && !json.Valid(spec.Parameters) {
		return spec, llm.Errorf(llm.KindInvalidRequest, "langchain", "parameters of tool %q are not valid JSON", f.Name)
	}
	return spec, nil
}

func toolChoice(c any) (llm.ToolChoice, error) {
	mode := func(s string) (llm.ToolChoice, error) {
		switch strings.ToLower(s) {
		case "", "auto":
			return llm.ToolChoice{}, nil
		case "none":
			return llm.ToolChoice{Mode: llm.ToolChoiceNone}, nil
		case "required", "any":
			return llm.ToolChoice{Mode: llm.ToolChoiceRequired}, nil
		}
		return llm.ToolChoice{}, llm.Errorf(llm.KindInvalidRequest, "langchain", "unknown tool choice %q", s)
	}
	switch v := c.(type) {
	case nil:
		return llm.ToolChoice{}, nil
	case string:
		return mode(v)
	case llms.ToolChoice:
		if v.Function != nil && v.Function.Name != "" {
			return llm.ToolChoiceFor(v.Function.Name), nil
		}
		return mode(v.Type)
	case *llms.ToolChoice:
		if v == nil {
			return llm.ToolChoice{}, nil
		}
		return toolChoice(*v)
	case llms.FunctionReference:
		return llm.ToolChoiceFor(v.Name), nil
	case map[string]any:
		if f, ok := v["function"].(map[string]any); ok {
			if name, ok := f["name"].(string); ok && name != "" {
				return llm.ToolChoiceFor(name), nil
			}
		}
		if t, ok := v["type"].(string); ok {
			return mode(t)
		}
	}
	return llm.ToolChoice{}, llm.Errorf(llm.KindInvalidRequest, "langchain", "tool choice of type %T is not understood", c)
}

func convertMessage(mc llms.MessageContent) ([]llm.Message, error) {
	var text strings.Builder
	var calls []llm.ToolCall
	var results []llm.Message
	for _, p := range mc.Parts {
		switch v := p.(type) {
		case llms.TextContent:
			text.WriteString(v.Text)
		case llms.ToolCall:
			tc := llm.ToolCall{ID: v.ID}
			if v.FunctionCall != nil {
				tc.Name = v.FunctionCall.Name
				tc.Arguments, _ = llm.NormalizeArguments(v.FunctionCall.Arguments)
			} else {
				tc.Arguments = json.RawMessage("{}")
			}
			calls = append(calls, tc)
		case llms.ToolCallResponse:
			results = append(results, llm.Message{Role: llm.RoleTool, ToolCallID: v.ToolCallID, Name: v.Name, Content: v.Content})
		default:
			return nil, llm.Errorf(llm.KindInvalidRequest, "langchain", "content of type %T is not supported; plait messages carry text", p)
		}
	}
	switch mc.Role {
	case llms.ChatMessageTypeSystem:
		return []llm.Message{llm.SystemMessage(text.String())}, nil
	case llms.ChatMessageTypeHuman, llms.ChatMessageTypeGeneric:
		return []llm.Message{llm.UserMessage(text.String())}, nil
	case llms.ChatMessageTypeAI:
		return []llm.Message{{Role: llm.RoleAssistant, Content: text.String(), ToolCalls: calls}}, nil
	case llms.ChatMessageTypeTool, llms.ChatMessageTypeFunction:
		if len(results) == 0 {
			// A tool message given as text: its content is the result.
			results = []llm.Message{{Role: llm.RoleTool, Content: text.String()}}
		}
		return results, nil
	}
	return nil, llm.Errorf(llm.KindInvalidRequest, "langchain", "unknown message role %q", mc.Role)
}

// Response converts a plait response to langchaingo's. With legacy
// functions the first tool call is also set as FuncCall.
func Response(resp *llm.Response, functions bool) *llms.ContentResponse {
	choice := &llms.ContentChoice{
		Content:          resp.Message.Content,
		ReasoningContent: resp.Message.Reasoning,
		StopReason:       string(resp.FinishReason),
		GenerationInfo: map[string]any{
			"PromptTokens":       resp.Usage.InputTokens,
			"CompletionTokens":   resp.Usage.OutputTokens,
			"TotalTokens":        resp.Usage.Total(),
			"ReasoningTokens":    resp.Usage.ReasoningTokens,
			"ThinkingTokens":     resp.Usage.ReasoningTokens,
			"PromptCachedTokens": resp.Usage.CachedInputTokens,
			"ID":                 resp.ID,
			"Model":              resp.Model,
		},
	}
	if resp.Message.Reasoning != "" {
		choice.GenerationInfo["ThinkingContent"] = resp.Message.Reasoning
	}
	for _, tc := range resp.Message.ToolCalls {
		choice.ToolCalls = append(choice.ToolCalls, llms.ToolCall{
			ID:           tc.ID,
			Type:         "function",
			FunctionCall: &llms.FunctionCall{Name: tc.Name, Arguments: string(tc.Arguments)},
		})
	}
	if functions && len(choice.ToolCalls) > 0 {
		choice.FuncCall = choice.ToolCalls[0].FunctionCall
	}
	return &llms.ContentResponse{Choices: []*llms.ContentChoice{choice}}
}
