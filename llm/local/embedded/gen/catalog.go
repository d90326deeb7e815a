package gen

import (
	"encoding/json"
	"fmt"
	"sort"

	"github.com/plait-ai/plait/llm"
)

// Role is what a tool does, independent of the name a catalog gives it.
type Role string

// The roles the templates use.
const (
	RoleSearch  Role = "search"  // search a knowledge base: query → hits
	RoleRead    Role = "read"    // read a document by id → text
	RoleNote    Role = "note"    // take a note → ok
	RoleCalc    Role = "calc"    // evaluate an arithmetic expression → result
	RoleWeather Role = "weather" // weather of a city → forecast
	RoleTime    Role = "time"    // current time in a city (a distractor)
	RoleEmail   Role = "email"   // send an email (a distractor)
)

// ToolDef is one tool of a catalog: the role it plays, its name and
// description, and the name of its single string argument.
type ToolDef struct {
	Role        Role
	Name        string
	Description string
	Arg         string
	ArgDesc     string
}

// Spec returns the tool's spec, with a JSON schema of one required string
// argument.
func (d ToolDef) Spec() llm.ToolSpec {
	schema := map[string]any{
		"type": "object",
		"properties": map[string]any{
			d.Arg: map[string]any{"type": "string", "description": d.ArgDesc},
		},
		"required":             []string{d.Arg},
		"additionalProperties": false,
	}
	b, _ := json.Marshal(schema)
	return llm.ToolSpec{Name: d.Name, Description: d.Description, Parameters: b}
}

// Catalog is a named set of tools.
type Catalog struct {
	Name  string
	Tools []ToolDef
}

// Tool returns the catalog's tool for role.
func (c *Catalog) Tool(r Role) (ToolDef, bool) {
	for _, t := range c.Tools {
		if t.Role == r {
			return t, true
		}
	}
	return ToolDef{}, false
}

// Catalogs are every catalog the generator knows, training and held-out.
// The slice must not be modified.
var Catalogs = []*Catalog{
	{Name: "researcher", Tools: []ToolDef{
		{RoleSearch, "search_kb", "Search the knowledge base; returns the ids and titles of matching documents.", "query", "what to search for"},
		{RoleRead, "read_doc", "Read a document of the knowledge base by its id.", "id", "the document id"},
		{RoleNote, "take_note", "Save a note for later.", "text", "the note"},
		{RoleCalc, "calculate", "Evaluate an arithmetic expression.", "expression", "an arithmetic expression such as 2 * (3 + 4)"},
	}},
	{Name: "library", Tools: []ToolDef{
		{RoleSearch, "find_docs", "Find documents in the library that match a query.", "query", "the search terms"},
		{RoleRead, "open_doc", "Open a library document and return its text.", "doc_id", "the id of the document"},
		{RoleNote, "save_note", "Store a short note.", "content", "the text to store"},
		{RoleCalc, "math", "Compute the value of a math expression.", "expr", "the expression"},
		{RoleTime, "current_time", "Get the current time in a city.", "city", "the city"},
	}},
	{Name: "assistant", Tools: []ToolDef{
		{RoleSearch, "search", "Search the notes archive.", "q", "the query"},
		{RoleRead, "get_document", "Get the full text of a document.", "document", "the document id"},
		{RoleNote, "add_memo", "Add a memo.", "memo", "the memo text"},
		{RoleCalc, "calc", "Calculate an expression.", "input", "the expression"},
		{RoleWeather, "get_weather", "Get the weather forecast for a city.", "city", "the city name"},
		{RoleEmail, "send_email", "Send an email to someone.", "to", "the address"},
	}},
	// Held out.
	{Name: "wiki", Tools: []ToolDef{
		{RoleSearch, "lookup", "Look up articles in the wiki.", "term", "the term to look up"},
		{RoleRead, "fetch_article", "Fetch the text of a wiki article by id.", "article_id", "the article id"},
		{RoleNote, "remember", "Remember a fact.", "fact", "the fact"},
		{RoleCalc, "compute", "Compute an arithmetic formula.", "formula", "the formula"},
		{RoleWeather, "forecast", "Weather forecast for a place.", "place", "the place"},
	}},
}

// HeldOutCatalogs names the catalogs only [Eval] uses.
var HeldOutCatalogs = map[string]bool{"wiki": true}

func catalogByName(name string) (*Catalog, error) {
	for _, c := range Catalogs {
		if c.Name == name {
			return c, nil
		}
	}
	names := make([]string, len(Catalogs))
	for i, c := range Catalogs {
		names[i] = c.Name
	}
	sort.Strings(names)
	return nil, fmt.Errorf("gen: unknown catalog %q (known: %v)", name, names)
}
