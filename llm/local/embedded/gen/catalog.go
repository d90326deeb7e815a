package gen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"

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
// description, and the name of the string argument the plans fill.
type ToolDef struct {
	Role        Role
	Name        string
	Description string
	Arg         string
	ArgDesc     string
	// Params, when set, is the tool's whole argument schema, as the real
	// tool it imitates reflects it; Arg must be one of its properties.
	// Empty means one required string argument, Arg.
	Params string
	// Extra are arguments the plans pass after Arg, in order (for
	// example a search's "limit"); their values are JSON.
	Extra []KV
}

// KV is an argument name and its JSON value.
type KV struct {
	Key   string
	Value string
}

// Spec returns the tool's spec.
func (d ToolDef) Spec() llm.ToolSpec {
	if d.Params != "" {
		return llm.ToolSpec{Name: d.Name, Description: d.Description, Parameters: json.RawMessage(d.Params)}
	}
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

// args writes the arguments of a call with value as Arg, in the order the
// schema lists them (the order constrained decoding emits).
func (d ToolDef) args(value string) json.RawMessage {
	var b bytes.Buffer
	b.WriteString(`{`)
	b.Write(marshal(d.Arg))
	b.WriteByte(':')
	b.Write(marshal(value))
	for _, kv := range d.Extra {
		b.WriteByte(',')
		b.Write(marshal(kv.Key))
		b.WriteByte(':')
		b.WriteString(kv.Value)
	}
	b.WriteByte('}')
	return b.Bytes()
}

// Catalog is a named set of tools, with the instructions of the agent
// that offers them.
type Catalog struct {
	Name string
	// Instructions are the agent's own instructions, which the planner and
	// the join put before their prompts; empty for a plain agent.
	Instructions string
	Tools        []ToolDef
	// Rich catalogs return outputs shaped as the researcher example's
	// tools return them: hits with titles, scores and snippets, and whole
	// Markdown documents.
	Rich bool
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

// ResearcherInstructions are the instructions of the researcher example's
// agent (examples/researcher/research.Instructions; a test there keeps
// them equal).
const ResearcherInstructions = `You are a careful research assistant. Answer the question from the knowledge base, not from memory:
search it with search_kb (try English and Chinese keywords when useful), read the most relevant documents with read_doc,
write down key findings with take_note, and use calculator for arithmetic.
Write the report in the language of the question: a short answer first, then the details.
Cite every fact with the step that found it, in square brackets, and say plainly when the documents do not cover something.`

// Researcher is the catalog of the researcher example: its tools' specs
// exactly as they reflect (a test in examples/researcher keeps them
// equal), with its instructions.
var Researcher = &Catalog{Name: "researcher", Instructions: ResearcherInstructions, Rich: true, Tools: []ToolDef{
	{Role: RoleSearch, Name: "search_kb", Description: "Search the knowledge base of notes about large language models (English and Chinese) by keywords; returns document ids, titles and snippets, best first.",
		Arg: "query", Extra: []KV{{"limit", "3"}},
		Params: `{"properties":{"query":{"type":"string","description":"Keywords to look for (English or Chinese)."},"limit":{"type":"integer","maximum":10,"minimum":0,"description":"How many documents to return (1 to 10; default 5)."}},"additionalProperties":false,"type":"object","required":["query"]}`},
	{Role: RoleRead, Name: "read_doc", Description: "Read a whole document of the knowledge base by its id.",
		Arg:    "id",
		Params: `{"properties":{"id":{"type":"string","description":"The document's id as search_kb returned it."}},"additionalProperties":false,"type":"object","required":["id"]}`},
	{Role: RoleNote, Name: "take_note", Description: "Write down a finding for the final report, with the ids of the documents it comes from.",
		Arg:    "text",
		Params: `{"properties":{"text":{"type":"string","description":"The fact or finding to remember for the report."},"sources":{"items":{"type":"string"},"type":"array","description":"Ids of the documents the note comes from."}},"additionalProperties":false,"type":"object","required":["text"]}`},
	{Role: RoleCalc, Name: "calculator", Description: "Evaluates an arithmetic expression and returns its value.",
		Arg:    "expression",
		Params: `{"properties":{"expression":{"type":"string","maxLength":1000,"description":"An arithmetic expression: numbers, + - * / ** (or ^ for power), parentheses, the constants pi and e, and the functions abs sqrt cbrt exp log log2 log10 pow mod hypot sin cos tan asin acos atan atan2 sinh cosh tanh floor ceil round trunc min max. Example: sqrt(2) * (3 + 4) ** 2"}},"additionalProperties":false,"type":"object","required":["expression"]}`},
}}

// Catalogs are the fixed catalogs, training and held-out; training also
// draws procedural ones (see [RandomCatalog]). The slice must not be
// modified.
var Catalogs = []*Catalog{
	Researcher,
	{Name: "library", Tools: []ToolDef{
		{Role: RoleSearch, Name: "find_docs", Description: "Find documents in the library that match a query.", Arg: "query", ArgDesc: "the search terms"},
		{Role: RoleRead, Name: "open_doc", Description: "Open a library document and return its text.", Arg: "doc_id", ArgDesc: "the id of the document"},
		{Role: RoleNote, Name: "save_note", Description: "Store a short note.", Arg: "content", ArgDesc: "the text to store"},
		{Role: RoleCalc, Name: "math", Description: "Compute the value of a math expression.", Arg: "expr", ArgDesc: "the expression"},
		{Role: RoleTime, Name: "current_time", Description: "Get the current time in a city.", Arg: "city", ArgDesc: "the city"},
	}},
	{Name: "assistant", Tools: []ToolDef{
		{Role: RoleSearch, Name: "search", Description: "Search the notes archive.", Arg: "q", ArgDesc: "the query"},
		{Role: RoleRead, Name: "get_document", Description: "Get the full text of a document.", Arg: "document", ArgDesc: "the document id"},
		{Role: RoleNote, Name: "add_memo", Description: "Add a memo.", Arg: "memo", ArgDesc: "the memo text"},
		{Role: RoleCalc, Name: "calc", Description: "Calculate an expression.", Arg: "input", ArgDesc: "the expression"},
		{Role: RoleWeather, Name: "get_weather", Description: "Get the weather forecast for a city.", Arg: "city", ArgDesc: "the city name"},
		{Role: RoleEmail, Name: "send_email", Description: "Send an email to someone.", Arg: "to", ArgDesc: "the address"},
	}},
	// Held out.
	{Name: "wiki", Tools: []ToolDef{
		{Role: RoleSearch, Name: "lookup", Description: "Look up articles in the wiki.", Arg: "term", ArgDesc: "the term to look up"},
		{Role: RoleRead, Name: "fetch_article", Description: "Fetch the text of a wiki article by id.", Arg: "article_id", ArgDesc: "the article id"},
		{Role: RoleNote, Name: "remember", Description: "Remember a fact.", Arg: "fact", ArgDesc: "the fact"},
		{Role: RoleCalc, Name: "compute", Description: "Compute an arithmetic formula.", Arg: "formula", ArgDesc: "the formula"},
		{Role: RoleWeather, Name: "forecast", Description: "Weather forecast for a place.", Arg: "place", ArgDesc: "the place"},
	}},
}

// HeldOutCatalogs names the catalogs only [Eval] uses.
var HeldOutCatalogs = map[string]bool{"wiki": true}

// rolePool is what procedural catalogs draw a role's tool from: name
// parts, descriptions and argument names. The held-out catalog's names
// and descriptions are not in it.
type rolePool struct {
	verbs, nouns []string
	descs        []string // %s is the noun
	args         []string
	argDescs     []string
}

var pools = map[Role]rolePool{
	RoleSearch: {
		verbs:    []string{"search", "find", "query", "seek", "scan", "browse", "grep", "locate"},
		nouns:    []string{"kb", "docs", "index", "archive", "notes", "library", "corpus", "records", "papers", "pages"},
		descs:    []string{"Search the %s by keywords; returns matching ids and titles.", "Find %s that match a query.", "Query the %s and return the best hits.", "Full-text search over the %s.", "Locate %s about a topic."},
		args:     []string{"query", "q", "terms", "keywords", "text", "search"},
		argDescs: []string{"the search terms", "what to search for", "keywords", "the query"},
	},
	RoleRead: {
		verbs:    []string{"read", "open", "get", "load", "view", "retrieve", "show"},
		nouns:    []string{"doc", "document", "page", "entry", "file", "record", "paper", "item"},
		descs:    []string{"Read a %s by its id.", "Open a %s and return its text.", "Get the full text of a %s.", "Load one %s given its id.", "Return the contents of a %s."},
		args:     []string{"id", "doc_id", "document", "key", "ref", "page_id", "item_id"},
		argDescs: []string{"the id", "the document id", "which one to read", "its id from the search"},
	},
	RoleNote: {
		verbs:    []string{"save", "store", "add", "write", "keep", "jot", "log"},
		nouns:    []string{"note", "memo", "entry", "reminder", "finding"},
		descs:    []string{"Save a %s for later.", "Store a short %s.", "Write down a %s.", "Keep a %s in the notebook."},
		args:     []string{"text", "note", "content", "body", "memo", "message"},
		argDescs: []string{"the text", "what to save", "the note text"},
	},
	RoleCalc: {
		verbs:    []string{"calc", "calculate", "evaluate", "eval", "solve", "do"},
		nouns:    []string{"math", "expression", "sum", "arithmetic", "numbers"},
		descs:    []string{"Evaluate an arithmetic %s.", "Calculate the value of %s.", "Do %s: + - * / and parentheses.", "A calculator for %s."},
		args:     []string{"expression", "expr", "input", "equation", "math"},
		argDescs: []string{"the expression", "an arithmetic expression", "what to calculate"},
	},
	RoleWeather: {
		verbs:    []string{"get", "check", "weather"},
		nouns:    []string{"weather", "forecast", "conditions", "sky"},
		descs:    []string{"Get the %s for a city.", "Check the %s of a town.", "Current %s and temperature in a city."},
		args:     []string{"city", "location", "town", "where"},
		argDescs: []string{"the city", "a city name"},
	},
	RoleTime: {
		verbs:    []string{"get", "current", "world"},
		nouns:    []string{"time", "clock", "hour"},
		descs:    []string{"Get the current %s in a city.", "The local %s somewhere."},
		args:     []string{"city", "zone", "location"},
		argDescs: []string{"the city", "the time zone"},
	},
	RoleEmail: {
		verbs:    []string{"send", "mail", "post"},
		nouns:    []string{"email", "mail", "message"},
		descs:    []string{"Send an %s to someone.", "Deliver a %s to an address."},
		args:     []string{"to", "address", "recipient"},
		argDescs: []string{"the address", "who gets it"},
	},
}

// RandomCatalog draws a procedural training catalog: every role under a
// made-up name (verb_noun, or nonsense syllables a fifth of the time, so
// that a model has to pick tools by their descriptions), with a random
// description and argument name.
func RandomCatalog(r *rand.Rand) *Catalog {
	c := &Catalog{Name: "random", Rich: r.IntN(2) == 0}
	roles := []Role{RoleSearch, RoleRead, RoleNote, RoleCalc, RoleWeather, RoleTime, RoleEmail}
	used := map[string]bool{}
	for _, role := range roles {
		if role != RoleSearch && role != RoleRead && r.IntN(4) == 0 {
			continue // not every catalog has every role
		}
		p := pools[role]
		var name string
		for name == "" || used[name] {
			noun := p.nouns[r.IntN(len(p.nouns))]
			switch r.IntN(5) {
			case 0:
				name = syllableWord(r) + "_" + syllableWord(r)
			case 1:
				name = p.verbs[r.IntN(len(p.verbs))] + strings.ToUpper(noun[:1]) + noun[1:]
			default:
				name = p.verbs[r.IntN(len(p.verbs))] + "_" + noun
			}
		}
		used[name] = true
		noun := p.nouns[r.IntN(len(p.nouns))]
		c.Tools = append(c.Tools, ToolDef{
			Role: role, Name: name,
			Description: fmt.Sprintf(p.descs[r.IntN(len(p.descs))], noun),
			Arg:         p.args[r.IntN(len(p.args))],
			ArgDesc:     p.argDescs[r.IntN(len(p.argDescs))],
		})
	}
	return c
}

func syllableWord(r *rand.Rand) string {
	var b strings.Builder
	for range 2 + r.IntN(2) {
		b.WriteString(syllables[r.IntN(len(syllables))])
	}
	return b.String()
}

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
