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
// parts, descriptions and argument names. Its words cover the verbs and
// nouns tools are commonly named with, the held-out catalog's among them
// (a model this small knows no word it was not trained on), but
// [RandomCatalog] never produces a held-out tool's name or description.
type rolePool struct {
	verbs, nouns []string
	descs        []string // %s is the noun
	args         []string
	argDescs     []string
}

var pools = map[Role]rolePool{
	RoleSearch: {
		verbs: []string{"search", "find", "query", "seek", "scan", "browse", "grep", "locate", "hunt", "discover", "match", "explore", "lookup", "research", "ask"},
		nouns: []string{"kb", "docs", "index", "archive", "notes", "library", "corpus", "records", "papers", "pages", "knowledge", "sources", "catalog", "collection", "references", "manuals", "news", "faq", "wiki", "articles", "encyclopedia", "web", "entries", "topics"},
		descs: []string{"Search the %s by keywords; returns matching ids and titles.", "Find %s that match a query.", "Query the %s and return the best hits.", "Full-text search over the %s.",
			"Locate %s about a topic.", "Returns the ids of the %s most relevant to a question.", "Keyword search in the %s (best matches first).", "Scan the %s for entries about a subject.",
			"Given a question, lists the matching %s with their ids.", "Finds relevant %s; use it before reading anything.",
			"Look up %s that mention a term.", "Look up a subject in the %s."},
		args:     []string{"query", "q", "terms", "keywords", "text", "search", "question", "phrase", "search_terms", "input", "term", "topic", "subject"},
		argDescs: []string{"the search terms", "what to search for", "keywords", "the query", "the question or keywords", "words to match"},
	},
	RoleRead: {
		verbs: []string{"read", "open", "get", "load", "view", "retrieve", "show", "pull", "grab", "download", "access", "obtain", "cat", "fetch"},
		nouns: []string{"doc", "document", "page", "entry", "file", "record", "paper", "item", "post", "chapter", "text", "content", "source", "report", "article", "wiki_page", "story"},
		descs: []string{"Read a %s by its id.", "Open a %s and return its text.", "Get the full text of a %s.", "Load one %s given its id.", "Return the contents of a %s.",
			"Returns the whole %s for an id from the search results.", "Download a %s and give back its body.", "Shows the complete %s identified by the given key.",
			"Given an id, returns that %s with its content.", "Access a single %s (title and text).",
			"Fetch a %s by its id and return the text.", "Fetch one %s from the store."},
		args:     []string{"id", "doc_id", "document", "key", "ref", "page_id", "item_id", "identifier", "uid", "doc", "record_id", "path", "article_id", "entry_id", "doc_ref"},
		argDescs: []string{"the id", "the document id", "which one to read", "its id from the search", "an id returned by the search", "the key of the document"},
	},
	RoleNote: {
		verbs: []string{"save", "store", "add", "write", "keep", "jot", "log", "record", "pin", "stash", "append", "put", "remember", "memorize", "retain", "note"},
		nouns: []string{"note", "memo", "entry", "reminder", "finding", "todo", "journal", "highlight", "snippet", "fact", "info", "detail"},
		descs: []string{"Save a %s for later.", "Store a short %s.", "Write down a %s.", "Keep a %s in the notebook.", "Record a %s so that it is not lost.",
			"Appends a %s to the user's notebook.", "Persist a piece of text as a %s.", "Jot down a %s for the report.",
			"Remember a %s for later.", "Memorize a %s so it can be recalled."},
		args:     []string{"text", "note", "content", "body", "memo", "message", "entry", "line", "contents", "value", "fact", "info", "detail"},
		argDescs: []string{"the text", "what to save", "the note text", "the text to keep", "what to write down"},
	},
	RoleCalc: {
		verbs: []string{"calc", "calculate", "evaluate", "eval", "solve", "do", "run", "crunch", "compute", "figure"},
		nouns: []string{"math", "expression", "sum", "arithmetic", "numbers", "equation", "calculator", "formula", "value", "result"},
		descs: []string{"Evaluate an arithmetic %s.", "Calculate the value of %s.", "Do %s: + - * / and parentheses.", "A calculator for %s.",
			"Returns the numeric result of %s.", "Solves %s such as 3 * (4 + 5).", "Works out %s and returns the number.",
			"Compute the value of a %s.", "Compute %s with + - * and /."},
		args:     []string{"expression", "expr", "input", "equation", "math", "problem", "calculation", "sum", "formula"},
		argDescs: []string{"the expression", "an arithmetic expression", "what to calculate", "for example 2 * (3 + 4)"},
	},
	RoleWeather: {
		verbs: []string{"get", "check", "weather", "report", "show", "forecast", "predict"},
		nouns: []string{"weather", "conditions", "sky", "climate", "temperature", "meteo", "outlook", "forecast"},
		descs: []string{"Get the %s for a city.", "Check the %s of a town.", "Current %s and temperature in a city.", "Returns today's %s (sky, temperature) for a location.",
			"Reports rain, sun and temperature for a city.", "Tells the %s somewhere right now.",
			"Weather %s for a town.", "The %s at a place, today."},
		args:     []string{"city", "location", "town", "where", "city_name", "region", "place", "spot"},
		argDescs: []string{"the city", "a city name", "where to check"},
	},
	RoleTime: {
		verbs:    []string{"get", "current", "world", "show", "tell"},
		nouns:    []string{"time", "clock", "hour", "timezone", "date"},
		descs:    []string{"Get the current %s in a city.", "The local %s somewhere.", "Returns the local date and hour in a city.", "Tells what %s it is in a time zone."},
		args:     []string{"city", "zone", "location", "tz"},
		argDescs: []string{"the city", "the time zone"},
	},
	RoleEmail: {
		verbs:    []string{"send", "mail", "post", "notify", "message"},
		nouns:    []string{"email", "mail", "message", "letter", "alert"},
		descs:    []string{"Send an %s to someone.", "Deliver a %s to an address.", "Notify a person by %s.", "Sends a short %s to a recipient."},
		args:     []string{"to", "address", "recipient", "email"},
		argDescs: []string{"the address", "who gets it", "the recipient"},
	},
}

// heldOut are the names and descriptions of the held-out catalogs, which
// procedural catalogs never produce.
var heldOut = func() map[string]bool {
	m := map[string]bool{}
	for _, c := range Catalogs {
		if HeldOutCatalogs[c.Name] {
			for _, t := range c.Tools {
				m[t.Name] = true
				m[t.Description] = true
			}
		}
	}
	return m
}()

// RandomCatalog draws a procedural training catalog: every role under a
// made-up name (verb_noun, verbNoun, noun_verb or a bare verb or noun, and
// nonsense syllables a third of the time, so that a model has to pick
// tools by what their descriptions and arguments say), with a random
// description and argument name. It never produces a held-out catalog's
// tool names or descriptions.
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
		for name == "" || used[name] || heldOut[name] {
			noun := p.nouns[r.IntN(len(p.nouns))]
			verb := p.verbs[r.IntN(len(p.verbs))]
			switch x := r.IntN(20); {
			case x < 7:
				name = syllableWord(r) + "_" + syllableWord(r)
			case x < 10:
				name = verb + strings.ToUpper(noun[:1]) + noun[1:]
			case x < 12:
				name = noun + "_" + verb
			case x < 13:
				name = verb
			case x < 14:
				name = noun
			default:
				name = verb + "_" + noun
			}
		}
		used[name] = true
		var desc string
		for desc == "" || heldOut[desc] {
			desc = fmt.Sprintf(p.descs[r.IntN(len(p.descs))], p.nouns[r.IntN(len(p.nouns))])
		}
		c.Tools = append(c.Tools, ToolDef{
			Role: role, Name: name,
			Description: desc,
			Arg:         p.args[r.IntN(len(p.args))],
			ArgDesc:     p.argDescs[r.IntN(len(p.argDescs))],
		})
	}
	r.Shuffle(len(c.Tools), func(i, j int) { c.Tools[i], c.Tools[j] = c.Tools[j], c.Tools[i] })
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
