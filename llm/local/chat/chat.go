package chat

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/plait-ai/plait/llm"
)

// Family names a prompt format.
type Family string

// The families plait renders.
const (
	ChatML   Family = "chatml"
	Llama3   Family = "llama3"
	Llama2   Family = "llama2"
	Mistral  Family = "mistral"
	DeepSeek Family = "deepseek"
	Phi3     Family = "phi3"
	Phi4     Family = "phi4"
	Gemma    Family = "gemma"
)

// Template renders conversations for one model family. The zero value is
// not usable: get one from [Detect] or [Lookup].
type Template struct {
	family Family
}

// Family returns the template's family.
func (t Template) Family() Family { return t.family }

// Lookup returns the template of the named family ("chatml", "llama3",
// "llama2", "mistral", "deepseek", "phi3", "phi4", "gemma"; "qwen" and
// "smollm" are ChatML, "phi3.5" and "phi4-mini" Phi3, "gemma2" and
// "gemma3" Gemma).
func Lookup(name string) (Template, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "chatml", "qwen", "qwen2", "qwen2.5", "smollm":
		return Template{ChatML}, nil
	case "llama3", "llama-3", "llama3.1", "llama3.2":
		return Template{Llama3}, nil
	case "llama2", "llama-2":
		return Template{Llama2}, nil
	case "mistral":
		return Template{Mistral}, nil
	case "deepseek", "deepseek-r1", "deepseek3":
		return Template{DeepSeek}, nil
	case "phi3", "phi-3", "phi3.5", "phi-3.5", "phi4-mini", "phi-4-mini":
		return Template{Phi3}, nil
	case "phi4", "phi-4":
		return Template{Phi4}, nil
	case "gemma", "gemma2", "gemma-2", "gemma3", "gemma-3":
		return Template{Gemma}, nil
	}
	return Template{}, fmt.Errorf("chat: unknown template %q (known: chatml, llama3, llama2, mistral, deepseek, phi3, phi4, gemma)", name)
}

// Detect picks the family from a GGUF file's tokenizer.chat_template (a
// Jinja template) by the markers it uses, falling back on the
// architecture name and then on ChatML.
func Detect(chatTemplate, architecture string) Template {
	ct := chatTemplate
	switch {
	case strings.Contains(ct, "<｜Assistant｜>") || strings.Contains(ct, "<｜User｜>"):
		return Template{DeepSeek}
	case strings.Contains(ct, "<|start_header_id|>"):
		return Template{Llama3}
	case strings.Contains(ct, "<|im_start|>") && strings.Contains(ct, "<|im_sep|>"):
		return Template{Phi4}
	case strings.Contains(ct, "<|im_start|>"):
		return Template{ChatML}
	case strings.Contains(ct, "[AVAILABLE_TOOLS]") || strings.Contains(ct, "[TOOL_CALLS]"):
		return Template{Mistral}
	case strings.Contains(ct, "<<SYS>>"):
		return Template{Llama2}
	case strings.Contains(ct, "[INST]"):
		return Template{Mistral}
	case strings.Contains(ct, "<|assistant|>") && strings.Contains(ct, "<|end|>"):
		return Template{Phi3}
	case strings.Contains(ct, "<start_of_turn>"):
		return Template{Gemma}
	}
	switch strings.ToLower(architecture) {
	case "qwen2", "qwen3", "qwen2moe":
		return Template{ChatML}
	case "phi3":
		return Template{Phi3}
	case "gemma", "gemma2", "gemma3":
		return Template{Gemma}
	}
	return Template{ChatML}
}

// Options changes how a conversation is rendered.
type Options struct {
	// NoGenerationPrompt leaves out the text that opens the assistant's
	// turn (for rendering a finished conversation, as in training data).
	NoGenerationPrompt bool
	// BOS is the text of the beginning-of-sequence token, written at the
	// start where the family's template writes it. Leave it empty when the
	// tokenizer adds BOS itself.
	BOS string
	// NoThink closes the reasoning block of families whose generation
	// prompt opens one (DeepSeek-R1), so the reply starts with the answer:
	// for constrained output, where there is no room for reasoning.
	NoThink bool
}

// Render returns the prompt text for msgs and tools.
func (t Template) Render(msgs []llm.Message, tools []llm.ToolSpec, opt Options) (string, error) {
	if t.family == "" {
		return "", fmt.Errorf("chat: zero Template; use chat.Detect or chat.Lookup")
	}
	var b strings.Builder
	b.WriteString(opt.BOS)
	var err error
	switch t.family {
	case ChatML:
		err = renderChatML(&b, msgs, tools)
		if !opt.NoGenerationPrompt {
			b.WriteString("<|im_start|>assistant\n")
		}
	case Llama3:
		err = renderLlama3(&b, msgs, tools)
		if !opt.NoGenerationPrompt {
			b.WriteString("<|start_header_id|>assistant<|end_header_id|>\n\n")
		}
	case Llama2:
		err = renderLlama2(&b, msgs, tools, false)
	case Mistral:
		err = renderLlama2(&b, msgs, tools, true)
	case Phi3, Phi4:
		err = renderPhi(&b, msgs, tools, t.family == Phi4)
		if !opt.NoGenerationPrompt {
			if t.family == Phi4 {
				b.WriteString("<|im_start|>assistant<|im_sep|>")
			} else {
				b.WriteString("<|assistant|>\n")
			}
		}
	case Gemma:
		err = renderGemma(&b, msgs, tools)
		if !opt.NoGenerationPrompt {
			b.WriteString("<start_of_turn>model\n")
		}
	case DeepSeek:
		err = renderDeepSeek(&b, msgs, tools)
		switch {
		case opt.NoGenerationPrompt:
		case opt.NoThink:
			b.WriteString("<｜Assistant｜><think>\n\n</think>\n\n")
		default:
			b.WriteString("<｜Assistant｜><think>\n")
		}
	}
	if err != nil {
		return "", err
	}
	return b.String(), nil
}

// Stop returns the strings that end an assistant turn, besides the
// tokenizer's end-of-generation tokens.
func (t Template) Stop() []string {
	switch t.family {
	case ChatML:
		return []string{"<|im_end|>", "<|endoftext|>"}
	case Llama3:
		return []string{"<|eot_id|>", "<|eom_id|>"}
	case Llama2, Mistral:
		return []string{"</s>"}
	case DeepSeek:
		return []string{"<｜end▁of▁sentence｜>"}
	case Phi3:
		return []string{"<|end|>", "<|endoftext|>"}
	case Phi4:
		return []string{"<|im_end|>", "<|endoftext|>"}
	case Gemma:
		return []string{"<end_of_turn>"}
	}
	return nil
}

// ReasoningOpen reports whether the generation prompt leaves the model
// inside a <think> block, so its output starts with reasoning.
func (t Template) ReasoningOpen() bool { return t.family == DeepSeek }

// ToolCallFormat is the exact text a family puts around one tool call's
// JSON object, for a constrained decoder that must produce calls.
type ToolCallFormat struct {
	// Prefix and Suffix surround the JSON object of a call.
	Prefix, Suffix string
	// ArgumentsKey is the key of the arguments inside the object
	// ("arguments" or "parameters"); the name is under "name".
	ArgumentsKey string
}

// ToolCallFormat returns the family's tool-call format.
func (t Template) ToolCallFormat() ToolCallFormat {
	switch t.family {
	case Llama3:
		return ToolCallFormat{ArgumentsKey: "parameters"}
	case Mistral:
		return ToolCallFormat{Prefix: "[TOOL_CALLS] [", Suffix: "]", ArgumentsKey: "arguments"}
	default:
		return ToolCallFormat{Prefix: "<tool_call>\n", Suffix: "\n</tool_call>", ArgumentsKey: "arguments"}
	}
}

// toolJSON is one tool as the templates list it.
func toolJSON(tl llm.ToolSpec) string {
	params := tl.Parameters
	if len(params) == 0 {
		params = json.RawMessage(`{"type":"object","properties":{}}`)
	}
	type fn struct {
		Name        string          `json:"name"`
		Description string          `json:"description"`
		Parameters  json.RawMessage `json:"parameters"`
	}
	v := struct {
		Type     string `json:"type"`
		Function fn     `json:"function"`
	}{"function", fn{tl.Name, tl.Description, params}}
	return marshal(v)
}

// marshal encodes v as compact JSON without HTML escaping, with the
// spacing Python's json.dumps uses (", " and ": "), as the families'
// Jinja templates write it.
func marshal(v any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return pySpacing(strings.TrimRight(buf.String(), "\n"))
}

// pySpacing adds a space after each ',' and ':' outside strings.
func pySpacing(s string) string {
	var b strings.Builder
	b.Grow(len(s) + len(s)/8)
	inStr, esc := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		b.WriteByte(c)
		switch {
		case inStr && esc:
			esc = false
		case inStr && c == '\\':
			esc = true
		case c == '"':
			inStr = !inStr
		case !inStr && (c == ',' || c == ':'):
			b.WriteByte(' ')
		}
	}
	return b.String()
}

func callJSON(c llm.ToolCall, argsKey string) string {
	args := c.Arguments
	if len(args) == 0 || !json.Valid(args) {
		args = json.RawMessage("{}")
	}
	// Keep the key order name, arguments.
	return `{"name": ` + marshal(c.Name) + `, "` + argsKey + `": ` + marshal(args) + `}`
}

func renderChatML(b *strings.Builder, msgs []llm.Message, tools []llm.ToolSpec) error {
	sys, rest := splitSystem(msgs)
	if len(tools) > 0 {
		b.WriteString("<|im_start|>system\n")
		if sys != "" {
			b.WriteString(sys + "\n\n")
		}
		b.WriteString(toolsPrompt(tools) + "<|im_end|>\n")
	} else if sys != "" {
		b.WriteString("<|im_start|>system\n" + sys + "<|im_end|>\n")
	}
	for i, m := range rest {
		switch m.Role {
		case llm.RoleUser, llm.RoleSystem:
			b.WriteString("<|im_start|>" + string(m.Role) + "\n" + m.Content + "<|im_end|>\n")
		case llm.RoleAssistant:
			b.WriteString("<|im_start|>assistant\n" + withCalls(m) + "<|im_end|>\n")
		case llm.RoleTool:
			// Consecutive tool results share one user turn.
			if i == 0 || rest[i-1].Role != llm.RoleTool {
				b.WriteString("<|im_start|>user")
			}
			b.WriteString("\n<tool_response>\n" + m.Content + "\n</tool_response>")
			if i == len(rest)-1 || rest[i+1].Role != llm.RoleTool {
				b.WriteString("<|im_end|>\n")
			}
		default:
			return fmt.Errorf("chat: message %d has unknown role %q", i, m.Role)
		}
	}
	return nil
}

// toolsPrompt is the tool list, and how to call one, in ChatML's
// <tool_call> format, which [Template.Parse] and constrained decoding
// read; families whose templates have no tool syntax of their own (Phi,
// Gemma) take it too.
func toolsPrompt(tools []llm.ToolSpec) string {
	var b strings.Builder
	b.WriteString("# Tools\n\nYou may call one or more functions to assist with the user query.\n\nYou are provided with function signatures within <tools></tools> XML tags:\n<tools>")
	for _, tl := range tools {
		b.WriteString("\n" + toolJSON(tl))
	}
	b.WriteString("\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call>")
	return b.String()
}

// withCalls is an assistant message's text followed by its tool calls in
// the <tool_call> format.
func withCalls(m llm.Message) string {
	s := m.Content
	for j, c := range m.ToolCalls {
		if j > 0 || s != "" {
			s += "\n"
		}
		s += "<tool_call>\n" + callJSON(c, "arguments") + "\n</tool_call>"
	}
	return s
}

// renderPhi renders Phi-3's format (<|role|>\n...<|end|>\n, as
// llama.cpp's phi3 template), or with phi4 Phi-4's
// (<|im_start|>role<|im_sep|>...<|im_end|>). Tools go into the system
// message, tool results into user turns as <tool_response> blocks.
func renderPhi(b *strings.Builder, msgs []llm.Message, tools []llm.ToolSpec, phi4 bool) error {
	turn := func(role, content string) {
		if phi4 {
			b.WriteString("<|im_start|>" + role + "<|im_sep|>" + content + "<|im_end|>")
		} else {
			b.WriteString("<|" + role + "|>\n" + content + "<|end|>\n")
		}
	}
	sys, rest := splitSystem(msgs)
	if len(tools) > 0 {
		if sys != "" {
			sys += "\n\n"
		}
		sys += toolsPrompt(tools)
	}
	if sys != "" {
		turn("system", sys)
	}
	for i := 0; i < len(rest); i++ {
		m := rest[i]
		switch m.Role {
		case llm.RoleUser, llm.RoleSystem:
			turn(string(m.Role), m.Content)
		case llm.RoleAssistant:
			turn("assistant", withCalls(m))
		case llm.RoleTool:
			turn("user", toolResponses(rest, &i))
		default:
			return fmt.Errorf("chat: message %d has unknown role %q", i, m.Role)
		}
	}
	return nil
}

// toolResponses joins the consecutive tool results from rest[*i] on as
// <tool_response> blocks, leaving *i at the last of them.
func toolResponses(rest []llm.Message, i *int) string {
	var parts []string
	for ; *i < len(rest) && rest[*i].Role == llm.RoleTool; *i++ {
		parts = append(parts, "<tool_response>\n"+rest[*i].Content+"\n</tool_response>")
	}
	*i--
	return strings.Join(parts, "\n")
}

// renderGemma renders Gemma's turns as llama.cpp's gemma template does:
// "assistant" is "model", contents are trimmed, and system messages (which
// Gemma has no role for) go before the next user turn's text, followed by
// a blank line (several of them joined by blank lines). Tools follow the
// system text of the first user turn; tool results go into user turns as
// <tool_response> blocks.
func renderGemma(b *strings.Builder, msgs []llm.Message, tools []llm.ToolSpec) error {
	var pending []string
	toolsPending := len(tools) > 0
	prefix := func() string {
		if toolsPending {
			pending = append(pending, toolsPrompt(tools))
			toolsPending = false
		}
		s := strings.Join(pending, "\n\n")
		pending = nil
		return s
	}
	user := func(content string) {
		b.WriteString("<start_of_turn>user\n")
		if p := prefix(); p != "" {
			b.WriteString(p + "\n\n")
		}
		b.WriteString(strings.TrimSpace(content) + "<end_of_turn>\n")
	}
	for i := 0; i < len(msgs); i++ {
		m := msgs[i]
		switch m.Role {
		case llm.RoleSystem:
			pending = append(pending, strings.TrimSpace(m.Content))
		case llm.RoleUser:
			user(m.Content)
		case llm.RoleAssistant:
			b.WriteString("<start_of_turn>model\n" + strings.TrimSpace(withCalls(m)) + "<end_of_turn>\n")
		case llm.RoleTool:
			user(toolResponses(msgs, &i))
		default:
			return fmt.Errorf("chat: message %d has unknown role %q", i, m.Role)
		}
	}
	if p := prefix(); p != "" {
		// System text with no user turn after it makes one of its own.
		b.WriteString("<start_of_turn>user\n" + p + "<end_of_turn>\n")
	}
	return nil
}

func renderLlama3(b *strings.Builder, msgs []llm.Message, tools []llm.ToolSpec) error {
	sys, rest := splitSystem(msgs)
	header := func(role string) { b.WriteString("<|start_header_id|>" + role + "<|end_header_id|>\n\n") }
	if sys != "" || len(tools) > 0 {
		header("system")
		if len(tools) > 0 {
			b.WriteString("Environment: ipython\n")
			if sys != "" {
				b.WriteString("\n")
			}
		}
		b.WriteString(sys + "<|eot_id|>")
	}
	// Llama 3.1 puts the tool list in the first user message.
	toolsPending := len(tools) > 0
	for i, m := range rest {
		switch m.Role {
		case llm.RoleUser, llm.RoleSystem:
			header(string(m.Role))
			if toolsPending && m.Role == llm.RoleUser {
				toolsPending = false
				b.WriteString("Given the following functions, please respond with a JSON for a function call with its proper arguments that best answers the given prompt.\n\nRespond in the format {\"name\": function name, \"parameters\": dictionary of argument name and its value}. Do not use variables.\n\n")
				for _, tl := range tools {
					b.WriteString(toolJSON(tl) + "\n\n")
				}
			}
			b.WriteString(m.Content + "<|eot_id|>")
		case llm.RoleAssistant:
			header("assistant")
			b.WriteString(m.Content)
			for _, c := range m.ToolCalls {
				b.WriteString(callJSON(c, "parameters"))
			}
			b.WriteString("<|eot_id|>")
		case llm.RoleTool:
			header("ipython")
			b.WriteString(m.Content + "<|eot_id|>")
		default:
			return fmt.Errorf("chat: message %d has unknown role %q", i, m.Role)
		}
	}
	return nil
}

// renderLlama2 renders Llama 2's [INST] format, and Mistral's variant of it
// (no <<SYS>> block, the system prompt joined to the last user message, and
// the tool tokens of Mistral's v3 tokenizer).
func renderLlama2(b *strings.Builder, msgs []llm.Message, tools []llm.ToolSpec, mistral bool) error {
	sys, rest := splitSystem(msgs)
	lastUser := -1
	for i, m := range rest {
		if m.Role == llm.RoleUser {
			lastUser = i
		}
	}
	first := true
	for i, m := range rest {
		switch m.Role {
		case llm.RoleUser, llm.RoleSystem:
			if !first && !mistral {
				b.WriteString("<s>")
			}
			if mistral && i == lastUser && len(tools) > 0 {
				specs := make([]string, len(tools))
				for j, tl := range tools {
					specs[j] = toolJSON(tl)
				}
				b.WriteString("[AVAILABLE_TOOLS] [" + strings.Join(specs, ", ") + "][/AVAILABLE_TOOLS]")
			}
			b.WriteString("[INST] ")
			switch {
			case !mistral && first && sys != "":
				b.WriteString("<<SYS>>\n" + sys + "\n<</SYS>>\n\n")
			case mistral && i == lastUser && sys != "":
				b.WriteString(sys + "\n\n")
			}
			b.WriteString(m.Content + " [/INST]")
			first = false
		case llm.RoleAssistant:
			if !mistral {
				b.WriteString(" ")
			}
			b.WriteString(m.Content)
			if len(m.ToolCalls) > 0 {
				calls := make([]string, len(m.ToolCalls))
				for j, c := range m.ToolCalls {
					calls[j] = callJSON(c, "arguments")
				}
				b.WriteString("[TOOL_CALLS] [" + strings.Join(calls, ", ") + "]")
			}
			b.WriteString("</s>")
		case llm.RoleTool:
			b.WriteString("[TOOL_RESULTS] " + marshal(map[string]any{"call_id": m.ToolCallID, "content": m.Content}) + "[/TOOL_RESULTS]")
		default:
			return fmt.Errorf("chat: message %d has unknown role %q", i, m.Role)
		}
	}
	if first && sys != "" {
		// A conversation with only a system prompt.
		if mistral {
			b.WriteString("[INST] " + sys + " [/INST]")
		} else {
			b.WriteString("[INST] <<SYS>>\n" + sys + "\n<</SYS>>\n\n [/INST]")
		}
	}
	return nil
}

func renderDeepSeek(b *strings.Builder, msgs []llm.Message, tools []llm.ToolSpec) error {
	sys, rest := splitSystem(msgs)
	b.WriteString(sys)
	if len(tools) > 0 {
		if sys != "" {
			b.WriteString("\n\n")
		}
		b.WriteString("## Tools\nYou have access to the following tools:\n")
		for _, tl := range tools {
			b.WriteString("\n### " + tl.Name + "\nDescription: " + tl.Description + "\n\nParameters: " + marshal(rawOr(tl.Parameters)) + "\n")
		}
		b.WriteString("\nIMPORTANT: ALWAYS adhere to this exact format for tool use:\n<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>tool_call_name<｜tool▁sep｜>tool_call_arguments<｜tool▁call▁end｜><｜tool▁calls▁end｜>")
	}
	for i, m := range rest {
		switch m.Role {
		case llm.RoleUser, llm.RoleSystem:
			b.WriteString("<｜User｜>" + m.Content)
		case llm.RoleAssistant:
			// Earlier reasoning is not sent back, as DeepSeek's template does.
			b.WriteString("<｜Assistant｜>" + m.Content)
			if len(m.ToolCalls) > 0 {
				b.WriteString("<｜tool▁calls▁begin｜>")
				for _, c := range m.ToolCalls {
					b.WriteString("<｜tool▁call▁begin｜>" + c.Name + "<｜tool▁sep｜>" + marshal(rawOr(c.Arguments)) + "<｜tool▁call▁end｜>")
				}
				b.WriteString("<｜tool▁calls▁end｜>")
			}
			b.WriteString("<｜end▁of▁sentence｜>")
		case llm.RoleTool:
			if i == 0 || rest[i-1].Role != llm.RoleTool {
				b.WriteString("<｜tool▁outputs▁begin｜>")
			}
			b.WriteString("<｜tool▁output▁begin｜>" + m.Content + "<｜tool▁output▁end｜>")
			if i == len(rest)-1 || rest[i+1].Role != llm.RoleTool {
				b.WriteString("<｜tool▁outputs▁end｜>")
			}
		default:
			return fmt.Errorf("chat: message %d has unknown role %q", i, m.Role)
		}
	}
	return nil
}

func rawOr(r json.RawMessage) json.RawMessage {
	if len(r) == 0 || !json.Valid(r) {
		return json.RawMessage("{}")
	}
	return r
}

// splitSystem joins the leading system messages and returns the rest.
func splitSystem(msgs []llm.Message) (string, []llm.Message) {
	var parts []string
	i := 0
	for ; i < len(msgs) && msgs[i].Role == llm.RoleSystem; i++ {
		parts = append(parts, msgs[i].Content)
	}
	return strings.Join(parts, "\n\n"), msgs[i:]
}

// Reply is a parsed model reply.
type Reply struct {
	Content   string
	Reasoning string
	ToolCalls []llm.ToolCall
}

// Parse splits a model's raw output into reasoning, content and tool calls.
// Calls whose JSON cannot be read are left in the content, so nothing the
// model said is lost; the error lists them. Call ids are left empty for the
// caller to fill.
func (t Template) Parse(output string) (Reply, error) {
	var r Reply
	text := output
	if t.family == DeepSeek || strings.Contains(text, "</think>") || strings.HasPrefix(strings.TrimSpace(text), "<think>") {
		if t.family == DeepSeek && !strings.Contains(strings.SplitN(text, "</think>", 2)[0], "<think>") && strings.Contains(text, "</think>") {
			text = "<think>" + text // the prompt opened the block
		}
		r.Reasoning, text = llm.SplitThink(text)
	}
	var bad []string
	switch t.family {
	case DeepSeek:
		text, r.ToolCalls, bad = parseDeepSeekCalls(text)
	case Mistral:
		text, r.ToolCalls, bad = parseMistralCalls(text)
	case Llama3:
		text, r.ToolCalls, bad = parseBareCalls(text)
	default:
		text, r.ToolCalls, bad = parseTaggedCalls(text)
	}
	r.Content = strings.TrimSpace(text)
	if len(bad) > 0 {
		return r, fmt.Errorf("chat: %d tool call(s) could not be parsed: %s", len(bad), strings.Join(bad, "; "))
	}
	return r, nil
}

// decodeCall reads {"name": ..., "arguments"|"parameters": {...}}.
func decodeCall(s string) (llm.ToolCall, bool) {
	var v struct {
		Name       string          `json:"name"`
		Arguments  json.RawMessage `json:"arguments"`
		Parameters json.RawMessage `json:"parameters"`
	}
	dec := json.NewDecoder(strings.NewReader(strings.TrimSpace(s)))
	if err := dec.Decode(&v); err != nil || v.Name == "" {
		return llm.ToolCall{}, false
	}
	args := v.Arguments
	if len(args) == 0 {
		args = v.Parameters
	}
	// Some models encode the arguments as a JSON string.
	var str string
	if json.Unmarshal(args, &str) == nil && strings.HasPrefix(strings.TrimSpace(str), "{") && json.Valid([]byte(str)) {
		args = json.RawMessage(str)
	}
	if len(args) == 0 || string(args) == "null" {
		args = json.RawMessage("{}")
	}
	return llm.ToolCall{Name: v.Name, Arguments: compact(args)}, true
}

func compact(r json.RawMessage) json.RawMessage {
	var buf bytes.Buffer
	if json.Compact(&buf, r) != nil {
		return r
	}
	return buf.Bytes()
}

func parseTaggedCalls(text string) (string, []llm.ToolCall, []string) {
	const open, close = "<tool_call>", "</tool_call>"
	var calls []llm.ToolCall
	var bad []string
	var rest strings.Builder
	for {
		i := strings.Index(text, open)
		if i < 0 {
			rest.WriteString(text)
			break
		}
		body := text[i+len(open):]
		j := strings.Index(body, close)
		end := len(body)
		next := ""
		if j >= 0 {
			end = j
			next = body[j+len(close):]
		}
		if c, ok := decodeCall(body[:end]); ok {
			rest.WriteString(text[:i])
			calls = append(calls, c)
		} else {
			rest.WriteString(text[:i+len(open)+end])
			if j >= 0 {
				rest.WriteString(close)
			}
			bad = append(bad, strings.TrimSpace(body[:end]))
		}
		text = next
		if j < 0 {
			break
		}
	}
	return rest.String(), calls, bad
}

// parseBareCalls reads Llama 3's calls: the reply is one JSON object (or
// several separated by ';' or newlines) with name and parameters.
func parseBareCalls(text string) (string, []llm.ToolCall, []string) {
	t := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(text), "<|python_tag|>"))
	if !strings.HasPrefix(t, "{") {
		return parseTaggedCalls(text)
	}
	var calls []llm.ToolCall
	dec := json.NewDecoder(strings.NewReader(t))
	for {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			break
		}
		c, ok := decodeCall(string(raw))
		if !ok {
			return text, nil, nil // a JSON answer, not a call
		}
		calls = append(calls, c)
		// Skip separators between calls.
		rest := t[dec.InputOffset():]
		trimmed := strings.TrimLeft(rest, " \t\r\n;")
		if trimmed == "" {
			return "", calls, nil
		}
		if !strings.HasPrefix(trimmed, "{") {
			return trimmed, calls, nil
		}
		dec = json.NewDecoder(strings.NewReader(trimmed))
		t = trimmed
	}
	if len(calls) == 0 {
		return text, nil, nil
	}
	return "", calls, nil
}

func parseMistralCalls(text string) (string, []llm.ToolCall, []string) {
	const tag = "[TOOL_CALLS]"
	i := strings.Index(text, tag)
	if i < 0 {
		return parseTaggedCalls(text)
	}
	body := strings.TrimSpace(text[i+len(tag):])
	var raws []json.RawMessage
	dec := json.NewDecoder(strings.NewReader(body))
	if err := dec.Decode(&raws); err != nil {
		return text, nil, []string{body}
	}
	var calls []llm.ToolCall
	var bad []string
	for _, r := range raws {
		if c, ok := decodeCall(string(r)); ok {
			calls = append(calls, c)
		} else {
			bad = append(bad, string(r))
		}
	}
	return text[:i] + body[dec.InputOffset():], calls, bad
}

func parseDeepSeekCalls(text string) (string, []llm.ToolCall, []string) {
	const (
		begin   = "<｜tool▁calls▁begin｜>"
		end     = "<｜tool▁calls▁end｜>"
		cBegin  = "<｜tool▁call▁begin｜>"
		cEnd    = "<｜tool▁call▁end｜>"
		sep     = "<｜tool▁sep｜>"
		fenceJS = "```json"
	)
	i := strings.Index(text, begin)
	if i < 0 {
		return parseTaggedCalls(text)
	}
	body := text[i+len(begin):]
	after := ""
	if j := strings.Index(body, end); j >= 0 {
		body, after = body[:j], body[j+len(end):]
	}
	var calls []llm.ToolCall
	var bad []string
	for _, part := range strings.Split(body, cBegin) {
		part = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(part), cEnd))
		if part == "" {
			continue
		}
		name, args, ok := strings.Cut(part, sep)
		if !ok {
			bad = append(bad, part)
			continue
		}
		name = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(name), "function"))
		// The original format is "function<sep>name\n```json\n{...}\n```".
		if nl := strings.IndexByte(args, '\n'); strings.Contains(args, fenceJS) && nl >= 0 {
			if name == "" {
				name = strings.TrimSpace(args[:nl])
			}
			args = args[strings.Index(args, fenceJS)+len(fenceJS):]
			args = strings.TrimSuffix(strings.TrimSpace(args), "```")
		}
		args = strings.TrimSpace(args)
		if name == "" || (args != "" && !json.Valid([]byte(args))) {
			bad = append(bad, part)
			continue
		}
		calls = append(calls, llm.ToolCall{Name: name, Arguments: compact(rawOr(json.RawMessage(args)))})
	}
	return text[:i] + after, calls, bad
}

// Families returns the known family names, sorted.
func Families() []string {
	f := []string{string(ChatML), string(Llama3), string(Llama2), string(Mistral), string(DeepSeek), string(Phi3), string(Phi4), string(Gemma)}
	sort.Strings(f)
	return f
}
