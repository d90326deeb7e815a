package chat_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/llm/local/chat"
)

var weather = llm.ToolSpec{
	Name:        "get_weather",
	Description: "Weather for a city.",
	Parameters:  json.RawMessage(`{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}`),
}

func convo() []llm.Message {
	call := llm.ToolCall{ID: "c1", Name: "get_weather", Arguments: json.RawMessage(`{"city":"Paris"}`)}
	return []llm.Message{
		llm.SystemMessage("Be brief."),
		llm.UserMessage("Weather in Paris?"),
		{Role: llm.RoleAssistant, ToolCalls: []llm.ToolCall{call}},
		llm.ToolResultMessage(call, `{"temp":21}`),
	}
}

func mustLookup(t *testing.T, name string) chat.Template {
	t.Helper()
	tpl, err := chat.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

func TestRenderChatMLExact(t *testing.T) {
	got, err := mustLookup(t, "qwen").Render(convo(), []llm.ToolSpec{weather}, chat.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := "<|im_start|>system\nBe brief.\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\n" +
		"You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n" +
		`{"type": "function", "function": {"name": "get_weather", "description": "Weather for a city.", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}` +
		"\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n" +
		"<|im_start|>user\nWeather in Paris?<|im_end|>\n" +
		"<|im_start|>assistant\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call><|im_end|>\n" +
		"<|im_start|>user\n<tool_response>\n{\"temp\":21}\n</tool_response><|im_end|>\n" +
		"<|im_start|>assistant\n"
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestRenderFamilies(t *testing.T) {
	tests := []struct {
		family   string
		contains []string
		suffix   string
	}{
		{"llama3", []string{"<|start_header_id|>system<|end_header_id|>\n\nEnvironment: ipython\n\nBe brief.<|eot_id|>", "Given the following functions", `{"name": "get_weather", "parameters": {"city": "Paris"}}<|eot_id|>`, "<|start_header_id|>ipython<|end_header_id|>\n\n{\"temp\":21}<|eot_id|>"}, "<|start_header_id|>assistant<|end_header_id|>\n\n"},
		{"llama2", []string{"[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nWeather in Paris? [/INST]"}, "[/TOOL_RESULTS]"},
		{"mistral", []string{"[AVAILABLE_TOOLS] [", "[INST] Be brief.\n\nWeather in Paris? [/INST]", `[TOOL_CALLS] [{"name": "get_weather", "arguments": {"city": "Paris"}}]</s>`, "[TOOL_RESULTS]"}, "[/TOOL_RESULTS]"},
		{"deepseek", []string{"Be brief.\n\n## Tools", "<｜User｜>Weather in Paris?", "<｜tool▁call▁begin｜>get_weather<｜tool▁sep｜>{\"city\": \"Paris\"}<｜tool▁call▁end｜>", "<｜tool▁outputs▁begin｜><｜tool▁output▁begin｜>{\"temp\":21}<｜tool▁output▁end｜><｜tool▁outputs▁end｜>"}, "<｜Assistant｜><think>\n"},
	}
	for _, tt := range tests {
		t.Run(tt.family, func(t *testing.T) {
			got, err := mustLookup(t, tt.family).Render(convo(), []llm.ToolSpec{weather}, chat.Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range tt.contains {
				if !strings.Contains(got, c) {
					t.Errorf("missing %q in:\n%s", c, got)
				}
			}
			if !strings.HasSuffix(got, tt.suffix) {
				t.Errorf("want suffix %q in:\n%s", tt.suffix, got)
			}
		})
	}
}

func TestRenderOptions(t *testing.T) {
	msgs := []llm.Message{llm.UserMessage("hi"), llm.AssistantMessage("hello")}
	got, _ := mustLookup(t, "chatml").Render(msgs, nil, chat.Options{NoGenerationPrompt: true, BOS: "<s>"})
	if got != "<s><|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\nhello<|im_end|>\n" {
		t.Errorf("got %q", got)
	}
	if _, err := (chat.Template{}).Render(msgs, nil, chat.Options{}); err == nil {
		t.Error("zero template must fail")
	}
	if _, err := mustLookup(t, "chatml").Render([]llm.Message{{Role: "robot"}}, nil, chat.Options{}); err == nil {
		t.Error("unknown role must fail")
	}
	if _, err := chat.Lookup("nope"); err == nil {
		t.Error("unknown name must fail")
	}
}

func TestDetect(t *testing.T) {
	tests := []struct {
		tmpl, arch string
		want       chat.Family
	}{
		{"{% for m in messages %}<|im_start|>{{m.role}}\n{{m.content}}<|im_end|>{% endfor %}", "llama", chat.ChatML},
		{"{{ bos_token }}<|start_header_id|>system<|end_header_id|>", "llama", chat.Llama3},
		{"{{'<｜User｜>' + message['content']}}{{'<｜Assistant｜>'}}", "qwen2", chat.DeepSeek},
		{"[INST] <<SYS>>\\n{{ system }}\\n<</SYS>>", "llama", chat.Llama2},
		{"{{ '[INST] ' + message['content'] + ' [/INST]' }}", "llama", chat.Mistral},
		{"[AVAILABLE_TOOLS] {{ tools }}", "llama", chat.Mistral},
		{"", "qwen2", chat.ChatML},
		{"", "llama", chat.ChatML},
		// Phi-3 and Phi-3.5 mini's template.
		{"{% for message in messages %}{% if message['role'] == 'system' %}{{'<|system|>\n' + message['content'] + '<|end|>\n'}}{% elif message['role'] == 'user' %}{{'<|user|>\n' + message['content'] + '<|end|>\n'}}{% elif message['role'] == 'assistant' %}{{'<|assistant|>\n' + message['content'] + '<|end|>\n'}}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% else %}{{ eos_token }}{% endif %}", "phi3", chat.Phi3},
		// Phi-4's.
		{"{% for message in messages %}{% if (message['role'] == 'system') %}{{'<|im_start|>system<|im_sep|>' + message['content'] + '<|im_end|>'}}{% endif %}{% endfor %}", "phi3", chat.Phi4},
		// Gemma 2's.
		{"{{ bos_token }}{% for message in messages %}{{ '<start_of_turn>' + role + '\n' + message['content'] | trim + '<end_of_turn>\n' }}{% endfor %}{% if add_generation_prompt %}{{'<start_of_turn>model\n'}}{% endif %}", "gemma2", chat.Gemma},
		{"", "phi3", chat.Phi3},
		{"", "gemma", chat.Gemma},
		{"", "gemma2", chat.Gemma},
	}
	for _, tt := range tests {
		if got := chat.Detect(tt.tmpl, tt.arch).Family(); got != tt.want {
			t.Errorf("Detect(%q, %q) = %s, want %s", tt.tmpl, tt.arch, got, tt.want)
		}
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		family    string
		out       string
		content   string
		reasoning string
		calls     []string // name + compact args
		wantErr   bool
	}{
		{"chatml", "Sure.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>\n<tool_call>\n{\"name\":\"time\",\"arguments\":{}}\n</tool_call>", "Sure.", "", []string{`get_weather{"city":"Paris"}`, `time{}`}, false},
		{"chatml", "The answer is 42.", "The answer is 42.", "", nil, false},
		{"chatml", "<tool_call>\n{\"name\": \"f\", \"arguments\": {bad}}\n</tool_call>", "<tool_call>\n{\"name\": \"f\", \"arguments\": {bad}}\n</tool_call>", "", nil, true},
		{"chatml", "<tool_call>{\"name\":\"f\",\"arguments\":\"{\\\"a\\\":1}\"}", "", "", []string{`f{"a":1}`}, false},
		{"chatml", "<think>hmm</think>done", "done", "hmm", nil, false},
		{"llama3", `{"name": "get_weather", "parameters": {"city": "Oslo"}}`, "", "", []string{`get_weather{"city":"Oslo"}`}, false},
		{"llama3", `<|python_tag|>{"name": "a", "parameters": {}}; {"name": "b", "parameters": {"x": [1, 2]}}`, "", "", []string{`a{}`, `b{"x":[1,2]}`}, false},
		{"llama3", `{"answer": 42}`, `{"answer": 42}`, "", nil, false},
		{"mistral", `[TOOL_CALLS] [{"name": "get_weather", "arguments": {"city": "Rome"}}, {"name": "t", "arguments": {}}]`, "", "", []string{`get_weather{"city":"Rome"}`, `t{}`}, false},
		{"deepseek", "I should check.\n</think>\n\nIt is sunny.", "It is sunny.", "I should check.", nil, false},
		{"deepseek", "plan\n</think>\n<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n```json\n{\"city\": \"Lima\"}\n```<｜tool▁call▁end｜><｜tool▁calls▁end｜>", "", "plan", []string{`get_weather{"city":"Lima"}`}, false},
		{"deepseek", "</think><｜tool▁calls▁begin｜><｜tool▁call▁begin｜>get_weather<｜tool▁sep｜>{\"city\":\"Lima\"}<｜tool▁call▁end｜><｜tool▁calls▁end｜>", "", "", []string{`get_weather{"city":"Lima"}`}, false},
	}
	for i, tt := range tests {
		r, err := mustLookup(t, tt.family).Parse(tt.out)
		if (err != nil) != tt.wantErr {
			t.Errorf("%d: err = %v", i, err)
		}
		if r.Content != tt.content || r.Reasoning != tt.reasoning {
			t.Errorf("%d: content %q reasoning %q; want %q %q", i, r.Content, r.Reasoning, tt.content, tt.reasoning)
		}
		var got []string
		for _, c := range r.ToolCalls {
			got = append(got, c.Name+string(c.Arguments))
		}
		if strings.Join(got, "|") != strings.Join(tt.calls, "|") {
			t.Errorf("%d: calls %v, want %v", i, got, tt.calls)
		}
	}
}

// A call rendered into an assistant turn parses back to the same call.
func TestRenderParseRoundTrip(t *testing.T) {
	call := llm.ToolCall{Name: "search", Arguments: json.RawMessage(`{"q":"检索增强生成","k":3}`)}
	for _, fam := range chat.Families() {
		tpl := mustLookup(t, fam)
		msgs := []llm.Message{llm.UserMessage("q"), {Role: llm.RoleAssistant, ToolCalls: []llm.ToolCall{call}}}
		base, _ := tpl.Render(msgs[:1], nil, chat.Options{})
		full, _ := tpl.Render(msgs, nil, chat.Options{NoGenerationPrompt: true})
		if fam == "llama2" {
			continue // Llama 2 has no tool-call format
		}
		out := strings.TrimPrefix(full, strings.TrimSuffix(base, "<think>\n"))
		for _, s := range tpl.Stop() {
			out = strings.TrimSuffix(out, s)
		}
		out = strings.TrimSuffix(out, "<|im_end|>\n")
		out = strings.TrimPrefix(out, "<｜Assistant｜>")
		r, err := tpl.Parse(out)
		if err != nil || len(r.ToolCalls) != 1 || r.ToolCalls[0].Name != "search" || string(r.ToolCalls[0].Arguments) != string(call.Arguments) {
			t.Errorf("%s: parse(%q) = %+v, %v", fam, out, r, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add("<tool_call>{\"name\":\"x\",\"arguments\":{}}</tool_call>")
	f.Add("[TOOL_CALLS] [{\"name\":1}]")
	f.Add("<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>f<｜tool▁sep｜>{")
	f.Add("<think><think></think>")
	f.Fuzz(func(t *testing.T, s string) {
		for _, fam := range chat.Families() {
			tpl, _ := chat.Lookup(fam)
			r, _ := tpl.Parse(s)
			for _, c := range r.ToolCalls {
				if !json.Valid(c.Arguments) {
					t.Fatalf("%s: invalid arguments %q", fam, c.Arguments)
				}
			}
		}
	})
}

func TestNoThinkClosesReasoning(t *testing.T) {
	tpl := mustLookup(t, "deepseek")
	got, _ := tpl.Render([]llm.Message{llm.UserMessage("q")}, nil, chat.Options{NoThink: true})
	if !strings.HasSuffix(got, "<｜Assistant｜><think>\n\n</think>\n\n") {
		t.Errorf("got %q", got)
	}
	if got, _ := mustLookup(t, "chatml").Render([]llm.Message{llm.UserMessage("q")}, nil, chat.Options{NoThink: true}); !strings.HasSuffix(got, "<|im_start|>assistant\n") {
		t.Errorf("chatml: %q", got)
	}
}

// The Phi and Gemma families render conversations as llama.cpp's phi3,
// phi4 and gemma templates do, and tools in the <tool_call> format.
func TestRenderPhiGemmaExact(t *testing.T) {
	plain := []llm.Message{
		llm.SystemMessage("Be brief."),
		llm.UserMessage("Hi"),
		llm.AssistantMessage("Hello."),
		llm.UserMessage(" What is 2+2? "),
	}
	tools := "# Tools\n\nYou may call one or more functions to assist with the user query.\n\n" +
		"You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n" +
		`{"type": "function", "function": {"name": "get_weather", "description": "Weather for a city.", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}` +
		"\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call>"
	call := "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>"
	tests := []struct {
		family string
		msgs   []llm.Message
		tools  []llm.ToolSpec
		want   string
	}{
		{"phi3", plain, nil, "<|system|>\nBe brief.<|end|>\n<|user|>\nHi<|end|>\n<|assistant|>\nHello.<|end|>\n<|user|>\n What is 2+2? <|end|>\n<|assistant|>\n"},
		{"phi4", plain, nil, "<|im_start|>system<|im_sep|>Be brief.<|im_end|><|im_start|>user<|im_sep|>Hi<|im_end|><|im_start|>assistant<|im_sep|>Hello.<|im_end|><|im_start|>user<|im_sep|> What is 2+2? <|im_end|><|im_start|>assistant<|im_sep|>"},
		{"gemma", plain, nil, "<start_of_turn>user\nBe brief.\n\nHi<end_of_turn>\n<start_of_turn>model\nHello.<end_of_turn>\n<start_of_turn>user\nWhat is 2+2?<end_of_turn>\n<start_of_turn>model\n"},
		{"gemma", plain[1:], nil, "<start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\nHello.<end_of_turn>\n<start_of_turn>user\nWhat is 2+2?<end_of_turn>\n<start_of_turn>model\n"},
		{"phi3", convo(), []llm.ToolSpec{weather}, "<|system|>\nBe brief.\n\n" + tools + "<|end|>\n<|user|>\nWeather in Paris?<|end|>\n<|assistant|>\n" + call + "<|end|>\n<|user|>\n<tool_response>\n{\"temp\":21}\n</tool_response><|end|>\n<|assistant|>\n"},
		{"gemma", convo(), []llm.ToolSpec{weather}, "<start_of_turn>user\nBe brief.\n\n" + tools + "\n\nWeather in Paris?<end_of_turn>\n<start_of_turn>model\n" + call + "<end_of_turn>\n<start_of_turn>user\n<tool_response>\n{\"temp\":21}\n</tool_response><end_of_turn>\n<start_of_turn>model\n"},
		{"gemma", []llm.Message{llm.SystemMessage("Only this.")}, nil, "<start_of_turn>user\nOnly this.<end_of_turn>\n<start_of_turn>model\n"},
	}
	for i, tt := range tests {
		t.Run(fmt.Sprintf("%s/%d", tt.family, i), func(t *testing.T) {
			got, err := mustLookup(t, tt.family).Render(tt.msgs, tt.tools, chat.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got:\n%q\nwant:\n%q", got, tt.want)
			}
		})
	}
}

// Consecutive tool results share one user turn, and the families stop at
// their end-of-turn text.
func TestPhiGemmaToolResultsAndStops(t *testing.T) {
	call := llm.ToolCall{ID: "c1", Name: "get_weather", Arguments: json.RawMessage(`{"city":"Paris"}`)}
	msgs := []llm.Message{
		llm.UserMessage("Weather?"),
		{Role: llm.RoleAssistant, ToolCalls: []llm.ToolCall{call, call}},
		llm.ToolResultMessage(call, "a"),
		llm.ToolResultMessage(call, "b"),
	}
	for _, tt := range []struct{ family, turn, stop string }{
		{"phi3", "<|user|>\n<tool_response>\na\n</tool_response>\n<tool_response>\nb\n</tool_response><|end|>\n", "<|end|>"},
		{"phi4", "<|im_start|>user<|im_sep|><tool_response>\na\n</tool_response>\n<tool_response>\nb\n</tool_response><|im_end|>", "<|im_end|>"},
		{"gemma", "<start_of_turn>user\n<tool_response>\na\n</tool_response>\n<tool_response>\nb\n</tool_response><end_of_turn>\n", "<end_of_turn>"},
	} {
		tpl := mustLookup(t, tt.family)
		got, err := tpl.Render(msgs, nil, chat.Options{NoGenerationPrompt: true})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(got, tt.turn) {
			t.Errorf("%s: want suffix %q in:\n%q", tt.family, tt.turn, got)
		}
		if strings.Count(got, "<tool_call>") != 2 {
			t.Errorf("%s: want two calls in:\n%q", tt.family, got)
		}
		if !slices.Contains(tpl.Stop(), tt.stop) {
			t.Errorf("%s: Stop() = %q, want %q among them", tt.family, tpl.Stop(), tt.stop)
		}
		r, err := tpl.Parse("Checking.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Rome\"}}\n</tool_call>")
		if err != nil || len(r.ToolCalls) != 1 || string(r.ToolCalls[0].Arguments) != `{"city":"Rome"}` || r.Content != "Checking." {
			t.Errorf("%s: Parse = %+v, %v", tt.family, r, err)
		}
	}
}
