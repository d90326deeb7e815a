package tools_test

import (
	"encoding/json"

	"github.com/plait-ai/plait/llm"
)

func llmCall(name, args string) llm.ToolCall {
	return llm.ToolCall{Name: name, Arguments: json.RawMessage(args)}
}
