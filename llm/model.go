package llm

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"sort"
	"strings"
)

// Model is a language model. Every backend implements it: the in-process
// local runtime and each remote API.
//
// Generate returns the whole reply. Stream yields the reply as it is
// produced; the sequence ends after the last chunk, or after yielding one
// non-nil error. Breaking out of the loop cancels the underlying call.
// [Collect] turns a stream into a [Response].
//
// Implementations must be safe for concurrent use, must not modify the
// request, and must honour ctx's cancellation and deadline. Errors should be
// [*Error] values so callers and middleware can branch on their kind.
type Model interface {
	Generate(ctx context.Context, req *Request) (*Response, error)
	Stream(ctx context.Context, req *Request) iter.Seq2[Chunk, error]
}

// Chunk is one piece of a streamed reply. Text and Reasoning are deltas to
// append; ToolCalls are fragments assembled by their Index; Usage, when set,
// is the usage of the whole call so far (usually sent once, at the end).
type Chunk struct {
	Text      string          `json:"text,omitempty"`
	Reasoning string          `json:"reasoning,omitempty"`
	ToolCalls []ToolCallDelta `json:"tool_calls,omitempty"`
	Usage     *Usage          `json:"usage,omitempty"`
	// FinishReason is set on the chunk that ends the reply.
	FinishReason FinishReason `json:"finish_reason,omitempty"`
	// ID and Model are the provider's response id and model name, set on
	// any chunk that carries them.
	ID    string `json:"id,omitempty"`
	Model string `json:"model,omitempty"`
}

// ToolCallDelta is a fragment of a streamed tool call. Fragments with the
// same Index belong to one call: ID and Name arrive once (usually first),
// Arguments in pieces to concatenate. Several calls may stream interleaved.
type ToolCallDelta struct {
	Index     int    `json:"index"`
	ID        string `json:"id,omitempty"`
	Name      string `json:"name,omitempty"`
	Arguments string `json:"arguments,omitempty"`
}

// Info describes a model for logs and traces.
type Info struct {
	// Provider is the provider's name as gen_ai.provider.name spells it
	// ("openai", "deepseek", "anthropic", "local").
	Provider string
	// Model is the model name requests go to.
	Model string
	// Local reports an in-process model (no network call).
	Local bool
}

// Describer is implemented by models that can describe themselves.
type Describer interface {
	Info() Info
}

// InfoOf returns m's Info, or an empty Info when m does not describe itself.
func InfoOf(m Model) Info {
	if d, ok := m.(Describer); ok {
		return d.Info()
	}
	return Info{}
}

// Collect folds a stream into a response: text and reasoning concatenated,
// tool-call fragments assembled into whole calls ordered by index, the last
// usage, finish reason, id and model seen. It stops at the first error and
// returns it with the partial response.
func Collect(seq iter.Seq2[Chunk, error]) (*Response, error) {
	var acc Accumulator
	for c, err := range seq {
		if err != nil {
			resp, _ := acc.Response()
			return resp, err
		}
		acc.Add(c)
	}
	return acc.Response()
}

// Accumulator folds chunks into a response as they arrive. The zero value
// is ready to use. It is not safe for concurrent use.
type Accumulator struct {
	text, reasoning strings.Builder
	calls           map[int]*partialCall
	order           []int
	usage           Usage
	finish          FinishReason
	id, model       string
}

type partialCall struct {
	id, name string
	args     strings.Builder
}

// Add folds one chunk in.
func (a *Accumulator) Add(c Chunk) {
	a.text.WriteString(c.Text)
	a.reasoning.WriteString(c.Reasoning)
	for _, d := range c.ToolCalls {
		if a.calls == nil {
			a.calls = make(map[int]*partialCall)
		}
		p := a.calls[d.Index]
		if p == nil {
			p = &partialCall{}
			a.calls[d.Index] = p
			a.order = append(a.order, d.Index)
		}
		if d.ID != "" {
			p.id = d.ID
		}
		if d.Name != "" {
			p.name = d.Name
		}
		p.args.WriteString(d.Arguments)
	}
	if c.Usage != nil {
		a.usage = *c.Usage
	}
	if c.FinishReason != "" {
		a.finish = c.FinishReason
	}
	if c.ID != "" {
		a.id = c.ID
	}
	if c.Model != "" {
		a.model = c.Model
	}
}

// Response returns the response folded so far. Tool-call arguments must
// each be a JSON value; empty arguments become "{}". A call whose arguments
// are not valid JSON makes Response return an [*Error] of kind
// [KindInvalidResponse] along with the response, in which that call's
// arguments are the JSON string of the raw text.
func (a *Accumulator) Response() (*Response, error) {
	resp := &Response{
		Message: Message{
			Role:      RoleAssistant,
			Content:   a.text.String(),
			Reasoning: a.reasoning.String(),
		},
		Usage:        a.usage,
		FinishReason: a.finish,
		ID:           a.id,
		Model:        a.model,
	}
	var bad []string
	if len(a.order) > 0 {
		idx := append([]int(nil), a.order...)
		sort.Ints(idx)
		resp.Message.ToolCalls = make([]ToolCall, 0, len(idx))
		for _, i := range idx {
			p := a.calls[i]
			args, ok := NormalizeArguments(p.args.String())
			if !ok {
				bad = append(bad, p.name)
			}
			resp.Message.ToolCalls = append(resp.Message.ToolCalls, ToolCall{ID: p.id, Name: p.name, Arguments: args})
		}
	}
	if len(bad) > 0 {
		return resp, &Error{Kind: KindInvalidResponse, Message: fmt.Sprintf("tool call arguments are not valid JSON (%s)", strings.Join(bad, ", "))}
	}
	return resp, nil
}

// NormalizeArguments returns raw tool-call arguments as JSON: "{}" for
// empty text, the text itself when it is valid JSON, and otherwise the text
// quoted as a JSON string with ok false.
func NormalizeArguments(raw string) (args json.RawMessage, ok bool) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return json.RawMessage("{}"), true
	}
	if json.Valid([]byte(s)) {
		return json.RawMessage(s), true
	}
	q, _ := json.Marshal(raw)
	return q, false
}

// StreamOf returns a one-chunk stream of resp, or a stream of the one error.
// Backends without native streaming use it to implement Stream.
func StreamOf(resp *Response, err error) iter.Seq2[Chunk, error] {
	return func(yield func(Chunk, error) bool) {
		if err != nil {
			yield(Chunk{}, err)
			return
		}
		yield(ChunkOf(resp), nil)
	}
}

// ChunkOf returns the chunk that carries all of resp.
func ChunkOf(resp *Response) Chunk {
	c := Chunk{
		Text:         resp.Message.Content,
		Reasoning:    resp.Message.Reasoning,
		FinishReason: resp.FinishReason,
		ID:           resp.ID,
		Model:        resp.Model,
	}
	u := resp.Usage
	c.Usage = &u
	for i, tc := range resp.Message.ToolCalls {
		c.ToolCalls = append(c.ToolCalls, ToolCallDelta{Index: i, ID: tc.ID, Name: tc.Name, Arguments: string(tc.Arguments)})
	}
	return c
}

// ThinkSplitter separates a leading <think>…</think> block from streamed
// content, chunk by chunk, for backends whose reasoning models put their
// reasoning inside the content. Feed each content delta to Split; it returns
// the parts that are reasoning and the parts that are answer text. Text that
// might be the start of a tag is held back until it is decided; Flush
// returns what is held at the end of the stream. The zero value is ready.
type ThinkSplitter struct {
	state   int // 0: before any content, 1: inside think, 2: answer
	pending string
}

// Split consumes one delta of content.
func (s *ThinkSplitter) Split(delta string) (reasoning, text string) {
	s.pending += delta
	var rb, tb strings.Builder
	for {
		switch s.state {
		case 0:
			t := strings.TrimLeft(s.pending, " \t\r\n")
			if t == "" {
				return rb.String(), tb.String()
			}
			if strings.HasPrefix(t, thinkOpen) {
				s.pending = t[len(thinkOpen):]
				s.state = 1
				continue
			}
			if strings.HasPrefix(thinkOpen, t) {
				return rb.String(), tb.String() // might still become <think>
			}
			s.state = 2
			continue
		case 1:
			if i := strings.Index(s.pending, thinkClose); i >= 0 {
				rb.WriteString(s.pending[:i])
				s.pending = strings.TrimLeft(s.pending[i+len(thinkClose):], " \t\r\n")
				s.state = 3
				continue
			}
			keep := partialSuffix(s.pending, thinkClose)
			rb.WriteString(s.pending[:len(s.pending)-keep])
			s.pending = s.pending[len(s.pending)-keep:]
			return rb.String(), tb.String()
		case 3: // just after </think>: drop leading blank space
			s.pending = strings.TrimLeft(s.pending, " \t\r\n")
			if s.pending == "" {
				return rb.String(), tb.String()
			}
			s.state = 2
			continue
		default:
			tb.WriteString(s.pending)
			s.pending = ""
			return rb.String(), tb.String()
		}
	}
}

// Flush returns what Split held back, at the end of the stream.
func (s *ThinkSplitter) Flush() (reasoning, text string) {
	p := s.pending
	s.pending = ""
	switch s.state {
	case 1:
		return p, ""
	case 3:
		return "", ""
	default:
		return "", p
	}
}

// partialSuffix returns the length of the longest suffix of s that is a
// proper prefix of tag.
func partialSuffix(s, tag string) int {
	for n := min(len(tag)-1, len(s)); n > 0; n-- {
		if strings.HasSuffix(s, tag[:n]) {
			return n
		}
	}
	return 0
}
