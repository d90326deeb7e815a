// Package cli holds what plait's command and examples share: choosing and
// opening the model from a flag or the environment, and explaining what to
// set when none can be opened.
package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/plait-ai/plait/llm"
	_ "github.com/plait-ai/plait/llm/local"                // the "local" provider
	_ "github.com/plait-ai/plait/llm/local/embedded/model" // its default: plait-embedded
	_ "github.com/plait-ai/plait/llm/providers"
)

// EnvModel names the variable holding the model spec used when no -model
// flag is given.
const EnvModel = "PLAIT_MODEL"

// DefaultModel is the spec used when neither the flag nor PLAIT_MODEL names
// one: the embedded local model.
const DefaultModel = "local"

// ErrNoModel is returned by OpenModel when no model was named and the
// default one cannot be opened.
var ErrNoModel = errors.New("no model available")

// Help says how to choose a model.
const Help = `Choose a model in one of these ways:
  PLAIT_MODEL=deepseek/deepseek-chat  with DEEPSEEK_API_KEY set (any preset: openai/gpt-4o-mini, qwen/qwen-plus, anthropic/claude-sonnet-4-5, ...)
  -model local/path/to/model.gguf     a GGUF file run in-process (or local/qwen2.5:0.5b from Ollama's store)
  -model ollama/qwen2.5:7b            a model served by a running Ollama (OLLAMA_HOST)
'plait models' lists the local models and the presets.`

// Spec returns the model spec to use: flag, else $PLAIT_MODEL, else
// DefaultModel; defaulted reports the last case.
func Spec(flag string) (spec string, defaulted bool) {
	if flag != "" {
		return flag, false
	}
	if s := os.Getenv(EnvModel); s != "" {
		return s, false
	}
	return DefaultModel, true
}

// OpenModel opens the model named by flag (see Spec). When the default was
// used and fails, the error matches ErrNoModel and carries Help.
func OpenModel(ctx context.Context, flag string) (llm.Model, string, error) {
	spec, defaulted := Spec(flag)
	m, err := llm.OpenContext(ctx, spec)
	if err != nil {
		if defaulted {
			return nil, spec, fmt.Errorf("%w: the default model %q cannot be opened (%v).\n%s", ErrNoModel, spec, err, Help)
		}
		return nil, spec, fmt.Errorf("open model %q: %w", spec, err)
	}
	return m, spec, nil
}

// SignalContext returns a context cancelled on SIGINT or SIGTERM; a second
// signal kills the process as usual once stop is called.
func SignalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// Exit codes.
const (
	ExitFail  = 1 // the work failed
	ExitUsage = 2 // bad usage, or nothing to run it with (no model)
)
