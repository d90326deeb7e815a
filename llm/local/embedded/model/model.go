// Package model embeds plait-embedded, plait's small default model, and
// registers it as the model llm.Open("local") loads when no path is given.
// Import it for its side effect:
//
//	import _ "github.com/plait-ai/plait/llm/local/embedded/model"
//
// The weights (about 1.5 MB, Q8_0) are linked only into binaries that import
// this package. plait-embedded is a demo model for the quick start and
// for tests, trained from scratch on plait's synthetic agent traces: it
// writes plans for the researcher example's tools and tools like them,
// and short extractive answers with citations. It is not a general
// assistant; README.md in this folder is its model card.
package model

import (
	_ "embed"

	"github.com/plait-ai/plait/llm/local/embedded"
)

// Name is the model's name.
const Name = "plait-embedded"

//go:embed plait-embedded.gguf
var data []byte

func init() { embedded.Register(Name, data) }
