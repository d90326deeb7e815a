package trace

import (
	"encoding/json"
	"net/url"
	"os"
	"sort"
	"strings"

	"github.com/plait-ai/plait/llm"
)

// ContentKind says what a piece of [Content] is.
type ContentKind int

// The kinds of content a [Redactor] sees.
const (
	// ContentText is the text of a message: a system instruction, a user
	// turn, an assistant reply or a tool result sent back to the model.
	ContentText ContentKind = iota + 1
	// ContentReasoning is a reasoning model's reasoning text.
	ContentReasoning
	// ContentToolArguments is the JSON arguments of a tool call, as the
	// model asked for it or as the tool ran with it.
	ContentToolArguments
	// ContentToolResult is what a tool call returned to the model.
	ContentToolResult
	// ContentTask is a plan step's task text.
	ContentTask
)

var contentKindNames = [...]string{"", "text", "reasoning", "tool_arguments", "tool_result", "task"}

// String returns the kind's name.
func (k ContentKind) String() string {
	if k > 0 && int(k) < len(contentKindNames) {
		return contentKindNames[k]
	}
	return "unknown"
}

// Content is one piece of message or argument content that could be
// recorded on a span.
type Content struct {
	Kind ContentKind
	// Role is the role of the message it belongs to ("system", "user",
	// "assistant", "tool"); empty for tool-call spans and tasks.
	Role string
	// Name is the tool's name for tool arguments and results.
	Name string
	// Text is the content itself.
	Text string
}

// Redactor decides what of a piece of content may leave the process. It
// returns the text to record (the content itself, or a redacted or
// shortened form) and true, or false to record nothing of it.
//
// Content is recorded only when a Redactor is configured ([WithContent],
// Config.Content, or OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true
// for [RecordAll]); by default spans carry no message text, no tool
// arguments and no results. A Redactor must be safe for concurrent use.
// Whatever it returns is still scrubbed of known secrets.
type Redactor func(c Content) (string, bool)

// RecordAll is a Redactor that records all content as it is.
func RecordAll(c Content) (string, bool) { return c.Text, true }

// redact applies r to c; ok is false when nothing may be recorded.
func (t *Tracer) redact(c Content) (string, bool) {
	if t.content == nil {
		return "", false
	}
	s, ok := t.content(c)
	if !ok {
		return "", false
	}
	return t.secrets.scrub(s), true
}

// A message part in the shape of the GenAI input and output message JSON
// schemas.
type msgPart struct {
	Type      string `json:"type"`
	Content   string `json:"content,omitempty"`
	ID        string `json:"id,omitempty"`
	Name      string `json:"name,omitempty"`
	Arguments any    `json:"arguments,omitempty"`
	Response  any    `json:"response,omitempty"`
}

type chatMsg struct {
	Role         string    `json:"role"`
	Parts        []msgPart `json:"parts"`
	FinishReason string    `json:"finish_reason,omitempty"`
}

// jsonOrString returns s as JSON when it is a JSON value, else as a string,
// so that redacted arguments stay well-formed.
func jsonOrString(s string) any {
	if json.Valid([]byte(s)) {
		return json.RawMessage(s)
	}
	return s
}

// messageParts converts m's content into redacted parts.
func (t *Tracer) messageParts(m llm.Message) []msgPart {
	var parts []msgPart
	role := string(m.Role)
	if m.Reasoning != "" {
		if s, ok := t.redact(Content{Kind: ContentReasoning, Role: role, Text: m.Reasoning}); ok {
			parts = append(parts, msgPart{Type: "reasoning", Content: s})
		}
	}
	if m.Role == llm.RoleTool {
		if s, ok := t.redact(Content{Kind: ContentToolResult, Role: role, Name: m.Name, Text: m.Content}); ok {
			parts = append(parts, msgPart{Type: "tool_call_response", ID: m.ToolCallID, Response: s})
		}
	} else if m.Content != "" {
		if s, ok := t.redact(Content{Kind: ContentText, Role: role, Text: m.Content}); ok {
			parts = append(parts, msgPart{Type: "text", Content: s})
		}
	}
	for _, tc := range m.ToolCalls {
		p := msgPart{Type: "tool_call", ID: tc.ID, Name: tc.Name}
		if s, ok := t.redact(Content{Kind: ContentToolArguments, Role: role, Name: tc.Name, Text: string(tc.Arguments)}); ok {
			p.Arguments = jsonOrString(s)
		}
		parts = append(parts, p)
	}
	return parts
}

// inputContent returns the gen_ai.system_instructions and
// gen_ai.input.messages JSON of msgs, empty where nothing may be recorded.
func (t *Tracer) inputContent(msgs []llm.Message) (system, input string) {
	var sys []msgPart
	var in []chatMsg
	for _, m := range msgs {
		parts := t.messageParts(m)
		if len(parts) == 0 {
			continue
		}
		if m.Role == llm.RoleSystem {
			sys = append(sys, parts...)
			continue
		}
		in = append(in, chatMsg{Role: string(m.Role), Parts: parts})
	}
	if len(sys) > 0 {
		b, _ := json.Marshal(sys)
		system = string(b)
	}
	if len(in) > 0 {
		b, _ := json.Marshal(in)
		input = string(b)
	}
	return system, input
}

// outputContent returns the gen_ai.output.messages JSON of resp.
func (t *Tracer) outputContent(resp *llm.Response) string {
	parts := t.messageParts(resp.Message)
	if len(parts) == 0 {
		return ""
	}
	b, _ := json.Marshal([]chatMsg{{Role: string(llm.RoleAssistant), Parts: parts, FinishReason: string(resp.FinishReason)}})
	return string(b)
}

// secrets replaces known secret values in text before it is recorded: API
// keys and tokens from the environment, OTLP header values, and the values
// given to [WithSecrets]. It is immutable after construction.
type secrets struct {
	values []string // longest first
}

const redacted = "[REDACTED]"

// minSecretLen keeps short values (a "1", a "true") out of the list.
const minSecretLen = 8

func secretEnvName(name string) bool {
	n := strings.ToUpper(name)
	for _, s := range []string{"KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL", "AUTH"} {
		if strings.Contains(n, s) {
			return true
		}
	}
	return strings.HasPrefix(n, "OTEL_EXPORTER_OTLP_") && strings.HasSuffix(n, "HEADERS")
}

// newSecrets collects the secret values of the environment and extra.
func newSecrets(extra []string) *secrets {
	seen := map[string]bool{}
	var vals []string
	add := func(v string) {
		v = strings.TrimSpace(v)
		if len(v) < minSecretLen || seen[v] {
			return
		}
		seen[v] = true
		vals = append(vals, v)
	}
	addWithParts := func(v string) {
		add(v)
		// Header lists ("a=Bearer x,b=y") and schemes ("Bearer x").
		for _, item := range strings.Split(v, ",") {
			if _, val, ok := strings.Cut(item, "="); ok {
				add(val)
				item = val
			}
			if u, err := url.QueryUnescape(item); err == nil && u != item {
				add(u) // OTEL_EXPORTER_OTLP_HEADERS values are percent-encoded
				item = u
			}
			item = strings.TrimSpace(item)
			if _, tok, ok := strings.Cut(item, " "); ok {
				add(tok)
			}
		}
	}
	for _, kv := range os.Environ() {
		name, val, ok := strings.Cut(kv, "=")
		if ok && secretEnvName(name) {
			addWithParts(val)
		}
	}
	for _, v := range extra {
		addWithParts(v)
	}
	sort.Slice(vals, func(i, j int) bool { return len(vals[i]) > len(vals[j]) })
	return &secrets{values: vals}
}

// scrub returns s with every known secret replaced.
func (s *secrets) scrub(text string) string {
	if s == nil {
		return text
	}
	for _, v := range s.values {
		if strings.Contains(text, v) {
			text = strings.ReplaceAll(text, v, redacted)
		}
	}
	return text
}
