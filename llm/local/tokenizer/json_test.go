package tokenizer_test

import (
	"encoding/json"
	"os"
	"testing"
)

type promptCase struct {
	Prompt       string  `json:"prompt"`
	PromptTokens []int32 `json:"prompt_tokens"`
	Greedy       []int32 `json:"greedy"`
}

func readCases(tb testing.TB, path string) []promptCase {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	var doc struct {
		Cases []promptCase `json:"cases"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		tb.Fatal(err)
	}
	var out []promptCase
	for _, c := range doc.Cases {
		if c.Prompt != "" && len(c.PromptTokens) > 0 {
			out = append(out, c)
		}
	}
	return out
}
