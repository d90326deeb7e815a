package openai

import (
	"encoding/json"
	"strings"

	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/llm/internal/wire"
)

type usage struct {
	PromptTokens        int `json:"prompt_tokens"`
	CompletionTokens    int `json:"completion_tokens"`
	PromptTokensDetails *struct {
		CachedTokens int `json:"cached_tokens"`
	} `json:"prompt_tokens_details"`
	CompletionTokensDetails *struct {
		ReasoningTokens int `json:"reasoning_tokens"`
	} `json:"completion_tokens_details"`
	// DeepSeek reports its context cache this way.
	PromptCacheHitTokens int `json:"prompt_cache_hit_tokens"`
}

func (u *usage) usage() llm.Usage {
	if u == nil {
		return llm.Usage{}
	}
	out := llm.Usage{InputTokens: u.PromptTokens, OutputTokens: u.CompletionTokens, CachedInputTokens: u.PromptCacheHitTokens}
	if d := u.PromptTokensDetails; d != nil && d.CachedTokens > 0 {
		out.CachedInputTokens = d.CachedTokens
	}
	if d := u.CompletionTokensDetails; d != nil {
		out.ReasoningTokens = d.ReasoningTokens
	}
	return out
}

type message struct {
	Role             string          `json:"role"`
	Content          json.RawMessage `json:"content"`
	ReasoningContent string          `json:"reasoning_content"`
	Reasoning        string          `json:"reasoning"`
	ToolCalls        []toolCall      `json:"tool_calls"`
}

type completion struct {
	errorBody
	ID      string `json:"id"`
	Model   string `json:"model"`
	Choices []struct {
		Index        int     `json:"index"`
		Message      message `json:"message"`
		Delta        message `json:"delta"`
		FinishReason string  `json:"finish_reason"`
	} `json:"choices"`
	Usage *usage `json:"usage"`
}

// streamDecoder turns the data of each server-sent event into chunks.
type streamDecoder struct {
	provider  string
	split     bool
	think     llm.ThinkSplitter
	reasoned  bool // the server sent reasoning in its own field
	done      bool
	lastIndex int
	nextIndex int
	byID      map[string]int
}

func newStreamDecoder(provider string, splitThink bool) *streamDecoder {
	return &streamDecoder{provider: provider, split: splitThink, lastIndex: -1}
}

// Done reports whether the [DONE] marker arrived.
func (d *streamDecoder) Done() bool { return d.done }

// End is called when the input ends; it returns the error for a stream cut
// off before [DONE].
func (d *streamDecoder) End() error {
	if d.done {
		return nil
	}
	return &llm.Error{Kind: llm.KindInvalidResponse, Provider: d.provider, Message: "the stream ended before data: [DONE]; the reply is incomplete"}
}

// Decode decodes one event's data.
func (d *streamDecoder) Decode(data []byte) ([]llm.Chunk, error) {
	if d.done {
		return nil, nil
	}
	s := strings.TrimSpace(string(data))
	if s == "[DONE]" {
		d.done = true
		return d.flush(), nil
	}
	if s == "" {
		return nil, nil
	}
	var c completion
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, &llm.Error{Kind: llm.KindInvalidResponse, Provider: d.provider, Message: "a stream event is not the expected JSON: " + wire.Snippet(data), Err: err}
	}
	if c.Error != nil || (c.Message != "" && len(c.Choices) == 0 && c.ID == "") {
		return nil, c.errorBody.streamError(d.provider)
	}
	out := llm.Chunk{ID: c.ID, Model: c.Model}
	if c.Usage != nil {
		u := c.Usage.usage()
		out.Usage = &u
	}
	for _, ch := range c.Choices {
		if ch.Index != 0 {
			continue // plait asks for one choice
		}
		delta := ch.Delta
		// Some servers send whole messages in stream events.
		if delta.Content == nil && delta.ToolCalls == nil && delta.ReasoningContent == "" && delta.Reasoning == "" {
			delta = ch.Message
		}
		r := delta.ReasoningContent
		if r == "" {
			r = delta.Reasoning
		}
		if r != "" {
			d.reasoned = true
			out.Reasoning += r
		}
		text := stringOf(delta.Content)
		if d.split && !d.reasoned {
			rr, tt := d.think.Split(text)
			out.Reasoning += rr
			out.Text += tt
		} else {
			out.Text += text
		}
		for _, tc := range delta.ToolCalls {
			out.ToolCalls = append(out.ToolCalls, llm.ToolCallDelta{
				Index:     d.index(tc),
				ID:        tc.ID,
				Name:      tc.Function.Name,
				Arguments: tc.Function.Arguments,
			})
		}
		if ch.FinishReason != "" {
			out.FinishReason = finishReason(ch.FinishReason)
			for _, f := range d.flush() {
				out.Reasoning += f.Reasoning
				out.Text += f.Text
			}
		}
	}
	if out.Text == "" && out.Reasoning == "" && out.ToolCalls == nil && out.Usage == nil && out.FinishReason == "" && out.ID == "" && out.Model == "" {
		return nil, nil
	}
	return []llm.Chunk{out}, nil
}

// flush returns what the think splitter still holds.
func (d *streamDecoder) flush() []llm.Chunk {
	if !d.split {
		return nil
	}
	r, t := d.think.Flush()
	if r == "" && t == "" {
		return nil
	}
	return []llm.Chunk{{Reasoning: r, Text: t}}
}

// index returns the index of a tool-call fragment. Servers that leave the
// index out start a new call with each id and continue the last call
// otherwise.
func (d *streamDecoder) index(tc toolCall) int {
	if tc.Index != nil {
		i := *tc.Index
		if i >= d.nextIndex {
			d.nextIndex = i + 1
		}
		d.lastIndex = i
		if tc.ID != "" {
			if d.byID == nil {
				d.byID = map[string]int{}
			}
			d.byID[tc.ID] = i
		}
		return i
	}
	if tc.ID != "" {
		if i, ok := d.byID[tc.ID]; ok {
			d.lastIndex = i
			return i
		}
		if d.byID == nil {
			d.byID = map[string]int{}
		}
		i := d.nextIndex
		d.nextIndex++
		d.byID[tc.ID] = i
		d.lastIndex = i
		return i
	}
	if d.lastIndex < 0 {
		d.lastIndex = d.nextIndex
		d.nextIndex++
	}
	return d.lastIndex
}
