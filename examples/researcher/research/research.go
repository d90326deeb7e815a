package research

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/plait-ai/plait/agent"
	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/tools/builtin"
)

// Instructions are the researcher's system instructions.
const Instructions = `You are a careful research assistant. Answer the question from the knowledge base, not from memory:
search it with search_kb (try English and Chinese keywords when useful), read the most relevant documents with read_doc,
write down key findings with take_note, and use calculator for arithmetic.
Write the report in the language of the question: a short answer first, then the details.
Cite every fact with the step that found it, in square brackets, and say plainly when the documents do not cover something.`

// Config configures a Researcher. Model and KB are required.
type Config struct {
	Model llm.Model
	KB    *KB
	// Strategy is agent.PlanExecute (default) or agent.ReAct.
	Strategy agent.Strategy
	// AllowHosts, when not empty, adds the http_get tool limited to these
	// hosts.
	AllowHosts []string
	// Limits bound each run; the zero value uses the agent's defaults.
	Limits agent.Limits
	// NoSchema stops the planner sending a response schema, for backends
	// that reject one.
	NoSchema bool
	// NoTrace turns tracing off.
	NoTrace bool
}

// Researcher answers questions from a knowledge base. It is safe for
// concurrent runs.
type Researcher struct {
	agent *agent.Agent
	kb    *KB
}

// New returns a researcher for cfg.
func New(cfg Config) (*Researcher, error) {
	if cfg.KB == nil {
		return nil, errors.New("research: Config.KB is nil; make one with NewKB")
	}
	ts, err := cfg.KB.Tools()
	if err != nil {
		return nil, fmt.Errorf("research: make tools: %w", err)
	}
	ts = append(ts, builtin.Calculator())
	if len(cfg.AllowHosts) > 0 {
		web, err := builtin.HTTPGet(builtin.HTTPConfig{AllowedHosts: cfg.AllowHosts})
		if err != nil {
			return nil, fmt.Errorf("research: web tool: %w", err)
		}
		ts = append(ts, web)
	}
	a, err := agent.New(agent.Config{
		Name:         "researcher",
		Description:  "Researches a question in a knowledge base about large language models and writes a cited report.",
		Model:        cfg.Model,
		Instructions: Instructions,
		ToolList:     ts,
		Strategy:     cfg.Strategy,
		Limits:       cfg.Limits,
		NoSchema:     cfg.NoSchema,
		NoTrace:      cfg.NoTrace,
	})
	if err != nil {
		return nil, fmt.Errorf("research: %w", err)
	}
	return &Researcher{agent: a, kb: cfg.KB}, nil
}

// Agent returns the researcher's agent (to serve it, or use it as a tool).
func (r *Researcher) Agent() *agent.Agent { return r.agent }

// Run researches question and returns the report. Each event of the run is
// passed to onEvent, when not nil, as it happens (from the calling
// goroutine), with the error paired with it (the run's error, on the done
// event). A run that fails returns the partial report with the error.
func (r *Researcher) Run(ctx context.Context, question string, onEvent func(agent.Event, error)) (*Report, error) {
	nb := &notebook{}
	ctx = withNotebook(ctx, nb)
	var (
		res    *agent.Result
		runErr error
	)
	for ev, err := range r.agent.Stream(ctx, question) {
		if onEvent != nil {
			onEvent(ev, err)
		}
		if ev.Type == agent.EventDone {
			res, runErr = ev.Result, err
		} else if err != nil {
			runErr = err
		}
	}
	if res == nil {
		if runErr == nil {
			runErr = errors.New("research: the run ended without a result")
		}
		return nil, runErr
	}
	rep := r.kb.Report(question, res)
	rep.Notes = nb.all()
	return rep, runErr
}

// Report is a research run's outcome: the answer, with step citations
// turned into document ids, and the documents it cites.
type Report struct {
	Question string
	// Answer is the model's answer with "[s2]" citations of steps that
	// read documents rewritten as the documents' ids ("[rag]").
	Answer string
	// Sources are the documents the answer cites, in order of first
	// citation; when it cites none, the documents the run read.
	Sources []Doc
	// Consulted are the ids of every document the run's tools returned.
	Consulted []string
	// Notes are the notes taken with take_note.
	Notes []Note
	// Result is the agent's result.
	Result *agent.Result
}

var citeRE = regexp.MustCompile(`\[([^\[\]]{1,200})\]`)

// Report builds the report of a run's result: step citations in the
// answer that name steps which returned documents become the documents' ids,
// and the cited documents (or, when none is cited, those read) are its
// sources. Notes are left empty: Researcher.Run fills them.
func (kb *KB) Report(question string, res *agent.Result) *Report {
	rep := &Report{Question: question, Result: res}
	stepDocs := map[string][]string{} // step id -> doc ids it returned
	var read []string
	for _, s := range res.Steps {
		if s.Status != agent.StepDone && s.Status != agent.StepReused {
			continue
		}
		ids := docsOfStep(s)
		stepDocs[s.ID] = ids
		for _, id := range ids {
			if !slices.Contains(rep.Consulted, id) {
				rep.Consulted = append(rep.Consulted, id)
			}
		}
		if s.Tool == "read_doc" {
			read = append(read, ids...)
		}
	}
	var cited []string
	cite := func(id string) {
		if _, err := kb.Get(id); err == nil && !slices.Contains(cited, id) {
			cited = append(cited, id)
		}
	}
	rep.Answer = citeRE.ReplaceAllStringFunc(res.Answer, func(m string) string {
		parts := strings.Split(m[1:len(m)-1], ",")
		var out []string
		changed := false
		for _, p := range parts {
			p = strings.TrimSpace(p)
			if ids, ok := stepDocs[p]; ok && len(ids) > 0 {
				for _, id := range ids {
					cite(id)
					if !slices.Contains(out, id) {
						out = append(out, id)
					}
				}
				changed = true
				continue
			}
			if _, err := kb.Get(p); err == nil {
				cite(p)
			}
			out = append(out, p)
		}
		if !changed {
			return m
		}
		return "[" + strings.Join(out, ", ") + "]"
	})
	if len(cited) == 0 {
		for _, id := range read {
			cite(id)
		}
	}
	for _, id := range cited {
		d, _ := kb.Get(id)
		rep.Sources = append(rep.Sources, d)
	}
	return rep
}

// docsOfStep returns the ids of the documents a step's tool returned: the
// document read_doc read, the hits of search_kb, the sources of a note.
func docsOfStep(s agent.StepRecord) []string {
	switch s.Tool {
	case "read_doc":
		var d struct {
			ID string `json:"id"`
		}
		if json.Unmarshal([]byte(s.Content), &d) == nil && d.ID != "" {
			return []string{d.ID}
		}
	case "search_kb":
		var out SearchOutput
		if json.Unmarshal([]byte(s.Content), &out) == nil {
			ids := make([]string, 0, len(out.Hits))
			for _, h := range out.Hits {
				ids = append(ids, h.ID)
			}
			return ids
		}
	case "take_note":
		var in NoteInput
		if json.Unmarshal(s.Args, &in) == nil {
			return in.Sources
		}
	}
	return nil
}

// Markdown renders the report: the answer, the sources, the notes.
func (rep *Report) Markdown() string {
	var b strings.Builder
	b.WriteString(strings.TrimSpace(rep.Answer))
	b.WriteString("\n")
	if len(rep.Sources) > 0 {
		b.WriteString("\n## Sources\n\n")
		for _, d := range rep.Sources {
			fmt.Fprintf(&b, "- [%s] %s (%s)\n", d.ID, d.Title, d.Source)
		}
	}
	if len(rep.Notes) > 0 {
		b.WriteString("\n## Notes\n\n")
		for _, n := range rep.Notes {
			b.WriteString("- " + n.Text)
			if len(n.Sources) > 0 {
				b.WriteString(" [" + strings.Join(n.Sources, ", ") + "]")
			}
			b.WriteString("\n")
		}
	}
	return b.String()
}
