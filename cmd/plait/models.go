package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/plait-ai/plait/internal/cli"
	"github.com/plait-ai/plait/llm/local/discover"
	"github.com/plait-ai/plait/llm/providers"
)

// listLocal lists local models; tests replace it.
var listLocal = discover.List

func modelsCmd(ctx context.Context, args []string, e env) int {
	fs := flag.NewFlagSet("plait models", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	remote := fs.Bool("remote", true, "also list the remote presets")
	if err := fs.Parse(args); err != nil {
		return cli.ExitUsage
	}
	ms, err := listLocal(ctx)
	if err != nil {
		fmt.Fprintf(e.stderr, "plait models: %v\n", err)
		return cli.ExitFail
	}
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(e.stdout, "Local models (use as -model local/NAME):")
	if len(ms) == 0 {
		fmt.Fprintln(e.stdout, "  none found: pull one with Ollama (ollama pull qwen2.5:0.5b), or put .gguf files in a folder named by $PLAIT_MODELS")
	} else {
		fmt.Fprintln(tw, "  NAME\tSIZE\tARCHITECTURE\tQUANTIZATION\tPARAMETERS\tSOURCE")
		for _, m := range ms {
			if m.Err != nil {
				fmt.Fprintf(tw, "  %s\t%s\t(unreadable: %v)\t\t\t%s\n", m.Name, humanBytes(m.Size), m.Err, m.Source)
				continue
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", m.Name, humanBytes(m.Size), m.Architecture, m.Quantization, humanCount(m.Parameters), m.Source)
		}
		tw.Flush()
	}
	if *remote {
		fmt.Fprintln(e.stdout, "\nRemote presets (use as -model PROVIDER/MODEL):")
		fmt.Fprintln(tw, "  PROVIDER\tDEFAULT MODEL\tAPI KEY\tNAME")
		for _, p := range providers.Presets() {
			key := "-"
			if len(p.KeyEnv) > 0 {
				key = strings.Join(p.KeyEnv, " or ")
				if !p.KeyRequired {
					key += " (optional)"
				}
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", p.Name, orDefault(p.DefaultModel, "(name one)"), key, p.Title)
		}
		tw.Flush()
	}
	return 0
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

func humanCount(n int64) string {
	switch {
	case n <= 0:
		return "-"
	case n >= 1e9:
		return fmt.Sprintf("%.1fB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.0fM", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.0fK", float64(n)/1e3)
	}
	return fmt.Sprint(n)
}
