package memory

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/tools"
)

// RememberTool returns the tool "remember", with which an agent saves a
// note to r: arguments {"text": "...", "title": "...", "tags": ["..."]}
// (text required); it returns {"id": "...", "saved": true}.
func RememberTool(r *Recall) tools.Tool { return rememberTool{r} }

// RecallTool returns the tool "recall", with which an agent searches r:
// arguments {"query": "...", "limit": 5} (query required, limit 1 to 20,
// default 5); it returns {"notes": [{"id", "title", "text", "tags",
// "score"}]}, best first, empty when nothing matches.
func RecallTool(r *Recall) tools.Tool { return recallTool{r} }

type rememberTool struct{ r *Recall }

var rememberSchema = json.RawMessage(`{
  "type": "object",
  "properties": {
    "text": {"type": "string", "description": "What to remember, self-contained: it will be read later without this conversation."},
    "title": {"type": "string", "description": "A short title."},
    "tags": {"type": "array", "items": {"type": "string"}, "description": "Keywords to find it by."}
  },
  "required": ["text"],
  "additionalProperties": false
}`)

func (t rememberTool) Spec() llm.ToolSpec {
	return llm.ToolSpec{
		Name:        "remember",
		Description: "Save a fact, a note or a document to long-term memory, to recall it in later conversations.",
		Parameters:  rememberSchema,
	}
}

type rememberArgs struct {
	Text  string   `json:"text"`
	Title string   `json:"title"`
	Tags  []string `json:"tags"`
}

type rememberResult struct {
	ID    string `json:"id"`
	Saved bool   `json:"saved"`
}

func (t rememberTool) Call(ctx context.Context, args json.RawMessage) (any, error) {
	var a rememberArgs
	if err := strictDecode(args, &a); err != nil {
		return nil, fmt.Errorf("remember: %w", err)
	}
	if strings.TrimSpace(a.Text) == "" {
		return nil, fmt.Errorf(`remember: "text" is required and must not be empty`)
	}
	n, err := t.r.Remember(ctx, Note{Title: a.Title, Text: a.Text, Tags: a.Tags})
	if err != nil {
		return nil, err
	}
	return rememberResult{ID: n.ID.String(), Saved: true}, nil
}

type recallTool struct{ r *Recall }

var recallSchema = json.RawMessage(`{
  "type": "object",
  "properties": {
    "query": {"type": "string", "description": "Words to search for, in any language."},
    "limit": {"type": "integer", "minimum": 1, "maximum": 20, "description": "How many notes to return (default 5)."}
  },
  "required": ["query"],
  "additionalProperties": false
}`)

func (t recallTool) Spec() llm.ToolSpec {
	return llm.ToolSpec{
		Name:        "recall",
		Description: "Search long-term memory for notes saved earlier with remember; returns the best matches first.",
		Parameters:  recallSchema,
	}
}

type recallArgs struct {
	Query string `json:"query"`
	Limit *int   `json:"limit"`
}

// RecalledNote is one note the recall tool returns.
type RecalledNote struct {
	ID    string   `json:"id"`
	Title string   `json:"title,omitempty"`
	Text  string   `json:"text"`
	Tags  []string `json:"tags,omitempty"`
	Score float64  `json:"score"`
}

// RecallResult is the recall tool's output.
type RecallResult struct {
	Notes []RecalledNote `json:"notes"`
}

func (t recallTool) Call(ctx context.Context, args json.RawMessage) (any, error) {
	var a recallArgs
	if err := strictDecode(args, &a); err != nil {
		return nil, fmt.Errorf("recall: %w", err)
	}
	if strings.TrimSpace(a.Query) == "" {
		return nil, fmt.Errorf(`recall: "query" is required and must not be empty`)
	}
	limit := 5
	if a.Limit != nil {
		if *a.Limit < 1 || *a.Limit > 20 {
			return nil, fmt.Errorf(`recall: "limit" must be between 1 and 20, got %d`, *a.Limit)
		}
		limit = *a.Limit
	}
	hits, err := t.r.Search(ctx, a.Query, limit)
	if err != nil {
		return nil, err
	}
	out := RecallResult{Notes: make([]RecalledNote, 0, len(hits))}
	for _, h := range hits {
		out.Notes = append(out.Notes, RecalledNote{
			ID: h.Note.ID.String(), Title: h.Note.Title, Text: h.Note.Text, Tags: h.Note.Tags,
			Score: float64(int(h.Score*1000+0.5)) / 1000,
		})
	}
	return out, nil
}

func strictDecode(args json.RawMessage, v any) error {
	if len(args) == 0 {
		args = json.RawMessage("{}")
	}
	dec := json.NewDecoder(strings.NewReader(string(args)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("invalid arguments: %w", err)
	}
	return nil
}
