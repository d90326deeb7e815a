package tokenizer_test

import (
	"fmt"
	"strings"

	"github.com/plait-ai/plait/llm/local/tokenizer"
)

// A tokenizer built from a vocabulary in code, as a trainer would.
func ExampleNew() {
	v := tinyBPE("qwen2") // byte alphabet, a few merges, <|im_start|> / <|im_end|>
	tok, err := tokenizer.New(v)
	if err != nil {
		panic(err)
	}
	ids := tok.Encode("<|im_start|>hello world<|im_end|>", false, true)
	var pieces []string
	for _, id := range ids {
		pieces = append(pieces, fmt.Sprintf("%q", tok.Piece(id)))
	}
	fmt.Println(strings.Join(pieces, " "))
	fmt.Printf("%q %v\n", tok.Decode(ids), tok.IsEOG(ids[len(ids)-1]))
	// Output:
	// "<|im_start|>" "hello" "Ġworld" "<|im_end|>"
	// "hello world" true
}
