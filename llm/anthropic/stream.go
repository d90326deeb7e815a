package anthropic

import (
	"encoding/json"

	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/llm/internal/wire"
)

type apiUsage struct {
	InputTokens              int `json:"input_tokens"`
	OutputTokens             int `json:"output_tokens"`
	CacheCreationInputTokens int `json:"cache_creation_input_tokens"`
	CacheReadInputTokens     int `json:"cache_read_input_tokens"`
}

// usage converts the API's counts: its input_tokens leave out the tokens
// read from and written to the prompt cache, which plait counts as input.
func (u apiUsage) usage() llm.Usage {
	return llm.Usage{
		InputTokens:       u.InputTokens + u.CacheCreationInputTokens + u.CacheReadInputTokens,
		OutputTokens:      u.OutputTokens,
		CachedInputTokens: u.CacheReadInputTokens,
	}
}

type messageResponse struct {
	ID         string   `json:"id"`
	Type       string   `json:"type"`
	Role       string   `json:"role"`
	Model      string   `json:"model"`
	Content    []block  `json:"content"`
	StopReason string   `json:"stop_reason"`
	Usage      apiUsage `json:"usage"`
	Error      apiError `json:"error"`
}

type event struct {
	Type         string          `json:"type"`
	Message      messageResponse `json:"message"`
	Index        int             `json:"index"`
	ContentBlock block           `json:"content_block"`
	Delta        struct {
		Type        string `json:"type"`
		Text        string `json:"text"`
		PartialJSON string `json:"partial_json"`
		Thinking    string `json:"thinking"`
		Signature   string `json:"signature"`
		StopReason  string `json:"stop_reason"`
	} `json:"delta"`
	Usage *struct {
		InputTokens              *int `json:"input_tokens"`
		OutputTokens             *int `json:"output_tokens"`
		CacheCreationInputTokens *int `json:"cache_creation_input_tokens"`
		CacheReadInputTokens     *int `json:"cache_read_input_tokens"`
	} `json:"usage"`
	Error apiError `json:"error"`
}

type blockKind int

const (
	kindOther blockKind = iota
	kindTool
	kindSchema
)

type streamDecoder struct {
	provider   string
	schemaTool string
	started    bool
	done       bool
	usage      apiUsage
	// blocks maps a content block's index to its kind and, for tool_use
	// blocks, to the tool-call index plait reports.
	blocks map[int]blockKind
	calls  map[int]int
	nCalls int
	schema bool // the structured reply arrived through the schema tool
	// signed thinking blocks and tool_use ids, kept in thoughts at the end
	thoughts *thoughts
	signed   map[int]*block
	order    []int
	ids      []string
	// startInput holds a tool_use block's input from its start event
	// until an input_json_delta shows the input streams.
	startInput map[int]json.RawMessage
}

func newStreamDecoder(provider, schemaTool string) *streamDecoder {
	return &streamDecoder{provider: provider, schemaTool: schemaTool, blocks: map[int]blockKind{}, calls: map[int]int{}}
}

func (d *streamDecoder) Done() bool { return d.done }

func (d *streamDecoder) End() error {
	if d.done {
		return nil
	}
	return &llm.Error{Kind: llm.KindInvalidResponse, Provider: d.provider, Message: "the stream ended before message_stop; the reply is incomplete"}
}

// Decode decodes one event; ok reports whether the chunk carries anything.
func (d *streamDecoder) Decode(typ string, data []byte) (c llm.Chunk, ok bool, err error) {
	if d.done {
		return c, false, nil
	}
	var ev event
	if err := json.Unmarshal(data, &ev); err != nil {
		return c, false, &llm.Error{Kind: llm.KindInvalidResponse, Provider: d.provider, Message: "a stream event is not the expected JSON: " + wire.Snippet(data), Err: err}
	}
	if ev.Type == "" {
		ev.Type = typ
	}
	switch ev.Type {
	case "message_start":
		d.started = true
		d.usage = ev.Message.Usage
		u := d.usage.usage()
		return llm.Chunk{ID: ev.Message.ID, Model: ev.Message.Model, Usage: &u}, true, nil
	case "content_block_start":
		b := ev.ContentBlock
		switch b.Type {
		case "tool_use":
			d.ids = append(d.ids, b.ID)
			if d.schemaTool != "" && b.Name == d.schemaTool {
				d.blocks[ev.Index] = kindSchema
				d.schema = true
				return c, false, nil
			}
			d.blocks[ev.Index] = kindTool
			i, seen := d.calls[ev.Index]
			if !seen {
				i = d.nCalls
				d.nCalls++
				d.calls[ev.Index] = i
			}
			// The input streams as input_json_delta and the start block's
			// input is {}; a server that sends the whole input here instead
			// has it used at content_block_stop.
			if in := b.Input; len(in) > 0 && string(in) != "{}" {
				if d.startInput == nil {
					d.startInput = map[int]json.RawMessage{}
				}
				d.startInput[ev.Index] = in
			}
			return llm.Chunk{ToolCalls: []llm.ToolCallDelta{{Index: i, ID: b.ID, Name: b.Name}}}, true, nil
		case "text":
			if b.Text != "" {
				return llm.Chunk{Text: b.Text}, true, nil
			}
		case "thinking":
			d.sign(ev.Index, block{Type: "thinking", Thinking: b.Thinking, Signature: b.Signature})
			if b.Thinking != "" {
				return llm.Chunk{Reasoning: b.Thinking}, true, nil
			}
		case "redacted_thinking":
			d.sign(ev.Index, block{Type: "redacted_thinking", Data: b.Data})
		}
		return c, false, nil
	case "content_block_delta":
		switch ev.Delta.Type {
		case "text_delta":
			return llm.Chunk{Text: ev.Delta.Text}, ev.Delta.Text != "", nil
		case "thinking_delta":
			if b := d.signed[ev.Index]; b != nil {
				b.Thinking += ev.Delta.Thinking
			}
			return llm.Chunk{Reasoning: ev.Delta.Thinking}, ev.Delta.Thinking != "", nil
		case "signature_delta":
			if b := d.signed[ev.Index]; b != nil {
				b.Signature += ev.Delta.Signature
			}
		case "input_json_delta":
			switch d.blocks[ev.Index] {
			case kindSchema:
				return llm.Chunk{Text: ev.Delta.PartialJSON}, ev.Delta.PartialJSON != "", nil
			case kindTool:
				delete(d.startInput, ev.Index)
				return llm.Chunk{ToolCalls: []llm.ToolCallDelta{{Index: d.calls[ev.Index], Arguments: ev.Delta.PartialJSON}}}, true, nil
			}
			return c, false, &llm.Error{Kind: llm.KindInvalidResponse, Provider: d.provider, Message: "input_json_delta for a block that is not a tool_use block"}
		}
		return c, false, nil
	case "message_delta":
		if u := ev.Usage; u != nil {
			set := func(dst *int, v *int) {
				if v != nil {
					*dst = *v
				}
			}
			set(&d.usage.OutputTokens, u.OutputTokens)
			set(&d.usage.InputTokens, u.InputTokens)
			set(&d.usage.CacheCreationInputTokens, u.CacheCreationInputTokens)
			set(&d.usage.CacheReadInputTokens, u.CacheReadInputTokens)
		}
		us := d.usage.usage()
		c = llm.Chunk{Usage: &us, FinishReason: stopReason(ev.Delta.StopReason)}
		if d.schema && c.FinishReason == llm.FinishToolCalls && d.nCalls == 0 {
			c.FinishReason = llm.FinishStop
		}
		return c, true, nil
	case "content_block_stop":
		if in, ok := d.startInput[ev.Index]; ok {
			delete(d.startInput, ev.Index)
			return llm.Chunk{ToolCalls: []llm.ToolCallDelta{{Index: d.calls[ev.Index], Arguments: string(in)}}}, true, nil
		}
		return c, false, nil
	case "message_stop":
		d.done = true
		if d.thoughts != nil && len(d.order) > 0 {
			blocks := make([]block, len(d.order))
			for i, idx := range d.order {
				blocks[i] = *d.signed[idx]
			}
			d.thoughts.put(d.ids, blocks)
		}
		return c, false, nil
	case "error":
		return c, false, wire.ErrorFromCode(d.provider, ev.Error.Type, ev.Error.Message)
	}
	// ping and event types added later.
	return c, false, nil
}

// sign starts keeping a thinking block of the reply.
func (d *streamDecoder) sign(index int, b block) {
	if d.signed == nil {
		d.signed = map[int]*block{}
	}
	if _, ok := d.signed[index]; !ok {
		d.order = append(d.order, index)
	}
	d.signed[index] = &b
}
