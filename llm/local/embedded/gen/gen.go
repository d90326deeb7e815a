package gen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/planner"
)

// Split selects training or evaluation examples.
type Split int

const (
	// Train yields only training templates over training catalogs.
	Train Split = iota
	// Eval yields examples that use a held-out template or catalog.
	Eval
)

// Lang is a goal's language.
type Lang string

// The languages.
const (
	English Lang = "en"
	Chinese Lang = "zh"
)

// Observation is what a plan step's tool returned, as JSON text.
type Observation struct {
	Step    string
	Tool    string
	Args    json.RawMessage
	Content string
}

// Example is one synthetic agent trace. It is a plain value.
type Example struct {
	Template string
	Catalog  string
	Lang     Lang
	Goal     string
	// Instructions are the catalog's agent instructions (see
	// [Catalog.Instructions]).
	Instructions string
	// Tools are the tools offered, in the order the system prompt lists
	// them (the needed ones and distractors).
	Tools []llm.ToolSpec
	// Plan is the expected plan; PlanJSON is it as the assistant writes it.
	Plan     planner.Plan
	PlanJSON string
	// Observations are the tools' outputs, one per tool step, in order.
	Observations []Observation
	// Answer is the final answer, grounded in the observations; Fact is
	// the part of it an evaluation looks for.
	Answer string
	Fact   string
}

// PlanMessages is the planning conversation: the planner's system prompt
// with the tools, the goal, and the plan as the assistant's reply.
func (e *Example) PlanMessages() []llm.Message {
	return []llm.Message{
		llm.SystemMessage(planner.SystemPrompt(e.Instructions, e.Tools)),
		llm.UserMessage(GoalPrompt(e.Goal)),
		llm.AssistantMessage(e.PlanJSON),
	}
}

// GoalPrompt is the user message of a planning request for goal, as
// package planner writes it for a first plan.
func GoalPrompt(goal string) string { return "Goal: " + goal + "\n" }

// JoinSystem is the system prompt of the final answer (the agent's join
// prompt without instructions).
const JoinSystem = "You write the final answer to a goal from the outputs of the steps that were run for it. Ground every claim in those outputs and cite the steps you use as [id], for example [s1] or [s1, s3]. Do not invent results that no step returned. Put words you take from the outputs in quotation marks, exactly as they appear."

// The closing lines of the join prompt: when the agent may still replan,
// and when it may not.
const (
	JoinCloseReplan = "Answer the goal now, citing the steps you use as [id]. If the outputs are not enough to answer, reply with REPLAN: and what is missing, instead."
	JoinClose       = "Answer the goal now from these outputs, citing the steps you use as [id]."
)

// JoinSystemPrompt is the join's system prompt for an agent with
// instructions, as package agent writes it.
func JoinSystemPrompt(instructions string) string {
	if instructions = strings.TrimSpace(instructions); instructions != "" {
		return instructions + "\n\n" + JoinSystem
	}
	return JoinSystem
}

// AnswerMessages is the answering conversation as package agent's join
// writes it: the join prompt, the goal with the run's scratchpad (the
// thought, the plan, each tool call and observation), and the answer.
// canReplan selects the closing line of an agent with replans left.
func (e *Example) AnswerMessages() []llm.Message { return e.answerMessages(true) }

// AnswerMessagesFinal is [Example.AnswerMessages] for a join that may not
// replan.
func (e *Example) AnswerMessagesFinal() []llm.Message { return e.answerMessages(false) }

func (e *Example) answerMessages(canReplan bool) []llm.Message {
	var b strings.Builder
	b.WriteString("Goal: ")
	b.WriteString(e.Goal)
	b.WriteString("\n\nWhat the steps did:\n")
	if e.Plan.Thought != "" {
		b.WriteString("Thought: ")
		b.WriteString(e.Plan.Thought)
		b.WriteByte('\n')
	}
	b.WriteString("Plan: ")
	for i, s := range e.Plan.Steps {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(s.ID)
		b.WriteString(": ")
		b.WriteString(s.Tool)
		b.Write(s.Args)
	}
	b.WriteByte('\n')
	for _, o := range e.Observations {
		fmt.Fprintf(&b, "Tool call [%s] (%s): %s\n", o.Step, o.Tool, o.Args)
		fmt.Fprintf(&b, "Observation [%s] (%s): %s\n", o.Step, o.Tool, o.Content)
	}
	b.WriteByte('\n')
	if canReplan {
		b.WriteString(JoinCloseReplan)
	} else {
		b.WriteString(JoinClose)
	}
	return []llm.Message{llm.SystemMessage(JoinSystemPrompt(e.Instructions)), llm.UserMessage(b.String()), llm.AssistantMessage(e.Answer)}
}

// Config configures [Generate].
type Config struct {
	Seed  uint64
	Split Split
	// Lang restricts goals to one language; "" mixes English and Chinese.
	Lang Lang
	// Distractors is the most tools not needed by the goal offered beside
	// the needed ones; 0 means 2, negative means none.
	Distractors int
}

// Templates names every goal template; HeldOutTemplates those only Eval
// uses.
var (
	Templates        = []string{"lookup", "calc", "note", "weather", "compare", "lookup_save", "lookup_alt", "lookup_note"}
	HeldOutTemplates = map[string]bool{"lookup_alt": true, "lookup_note": true}
)

// Generate returns n examples of cfg's split. The same cfg gives the same
// examples.
func Generate(cfg Config, n int) []Example {
	out := make([]Example, 0, n)
	for i := 0; len(out) < n; i++ {
		e, ok := generate(cfg, uint64(i))
		if ok {
			out = append(out, e)
		}
	}
	return out
}

// generate makes example i of cfg, or reports false when the draw does not
// belong to cfg's split.
func generate(cfg Config, i uint64) (Example, bool) {
	r := rand.New(rand.NewPCG(cfg.Seed, i))
	tmpl := Templates[r.IntN(len(Templates))]
	var cat *Catalog
	switch x := r.IntN(20); {
	case x < 6:
		cat = Researcher // the quick start's agent
	case x < 16 && cfg.Split == Train:
		cat = RandomCatalog(r)
	default:
		cat = Catalogs[r.IntN(len(Catalogs))]
	}
	held := HeldOutTemplates[tmpl] || HeldOutCatalogs[cat.Name]
	if held != (cfg.Split == Eval) {
		return Example{}, false
	}
	lang := cfg.Lang
	if lang == "" {
		lang = English
		if r.IntN(2) == 0 {
			lang = Chinese
		}
	}
	b := &builder{r: r, cat: cat, lang: lang, ex: Example{Template: tmpl, Catalog: cat.Name, Lang: lang, Instructions: cat.Instructions}}
	if !b.build(tmpl) {
		return Example{}, false
	}
	b.finish(cfg.Distractors)
	return b.ex, true
}

type builder struct {
	r     *rand.Rand
	cat   *Catalog
	lang  Lang
	ex    Example
	roles []Role
}

func (b *builder) pick(en, zh []string) string {
	if b.lang == Chinese {
		return zh[b.r.IntN(len(zh))]
	}
	return en[b.r.IntN(len(en))]
}

func (b *builder) zh() bool { return b.lang == Chinese }

// step adds a tool step for role with the argument value and its
// observation, and returns the step id.
func (b *builder) step(role Role, task string, arg string, deps []string, obs []byte) string {
	t, _ := b.cat.Tool(role)
	id := fmt.Sprintf("s%d", len(b.ex.Plan.Steps)+1)
	args := t.args(arg)
	b.ex.Plan.Steps = append(b.ex.Plan.Steps, planner.Step{ID: id, Task: task, Tool: t.Name, Args: args, Deps: deps})
	b.ex.Observations = append(b.ex.Observations, Observation{Step: id, Tool: t.Name, Args: args, Content: string(obs)})
	found := false
	for _, x := range b.roles {
		found = found || x == role
	}
	if !found {
		b.roles = append(b.roles, role)
	}
	return id
}

func (b *builder) has(roles ...Role) bool {
	for _, r := range roles {
		if _, ok := b.cat.Tool(r); !ok {
			return false
		}
	}
	return true
}

// lookup adds a search for tp and a read of its top hit. With byGoal the
// search is for the goal as it was given ("${goal}"), which needs no
// copying; otherwise for tp's name.
func (b *builder) lookup(tp topic, byGoal bool) (search, read, answer, full string) {
	name := tp.Name
	if b.zh() {
		name = tp.ZhName
	}
	doc := b.document(tp)
	var hits []any
	if b.cat.Rich {
		hits = append(hits, hit{doc.ID, doc.Title, 6 + b.r.Float64()*8, snippet(doc.Text, 240)})
		score := 0.5 + b.r.Float64()*2
		for range 2 {
			o := b.document(pickTopic(b.r))
			if o.ID == doc.ID {
				continue
			}
			hits = append(hits, hit{o.ID, o.Title, score, snippet(o.Text, 240)})
			score *= 0.6 + b.r.Float64()*0.4
		}
	} else {
		hits = append(hits, map[string]string{"id": doc.ID, "title": name})
	}
	if byGoal {
		search = b.step(RoleSearch, b.pickT("Search for the question", "搜索这个问题"), "${"+planner.GoalRef+"}", nil, marshal(map[string]any{"hits": hits}))
		// The executor re-encodes resolved arguments (keys sorted).
		t, _ := b.cat.Tool(RoleSearch)
		resolved := map[string]json.RawMessage{t.Arg: marshal(b.ex.Goal)}
		for _, kv := range t.Extra {
			resolved[kv.Key] = json.RawMessage(kv.Value)
		}
		b.ex.Observations[len(b.ex.Observations)-1].Args = marshal(resolved)
	} else {
		search = b.step(RoleSearch, b.pickT("Search for "+name, "搜索"+name), name, nil, marshal(map[string]any{"hits": hits}))
	}
	var out []byte
	if b.cat.Rich {
		out = marshal(doc)
	} else {
		out = marshal(map[string]string{"id": doc.ID, "text": doc.Text})
	}
	read = b.step(RoleRead, b.pickT("Read the top document", "阅读第一篇文档"), "${"+search+".hits[0].id}", []string{search}, out)
	return search, read, firstSentence(doc.Text), doc.Text
}

// quote puts text taken verbatim from an output in quotation marks, as
// the join prompt asks: “…”, in both languages. (Straight quotes would
// look like the JSON of the outputs, which a small model then goes on
// writing.)
func (b *builder) quote(text string) string { return "“" + text + "”" }

func (b *builder) pickT(en, zh string) string {
	if b.zh() {
		return zh
	}
	return en
}

func (b *builder) build(tmpl string) bool {
	r := b.r
	switch tmpl {
	case "lookup", "lookup_alt", "lookup_save", "lookup_note":
		saves := tmpl == "lookup_save" || tmpl == "lookup_note"
		if !b.has(RoleSearch, RoleRead) || (saves && !b.has(RoleNote)) {
			return false
		}
		tp := pickTopic(r)
		name := tp.Name
		if b.zh() {
			name = tp.ZhName
		}
		var goals []string
		switch tmpl {
		case "lookup":
			goals = []string{b.pick([]string{"What is %s?", "Tell me about %s.", "Explain %s briefly.", "What do you know about %s?", "Describe %s.",
				"How does %s work?", "What is %s used for?", "Summarize what the notes say about %s.", "Who made %s?", "Can you explain %s to me?", "%s: what is it?"},
				[]string{"%s是什么？", "介绍一下%s。", "简单解释%s。", "什么是%s？", "请讲讲%s。", "%s是怎么工作的？", "%s有什么用？", "总结一下%s。", "%s是谁做的？", "能给我解释一下%s吗？"})}
		case "lookup_alt":
			goals = []string{b.pick(altGoals, altGoalsZh)}
		case "lookup_save":
			goals = []string{b.pick([]string{"Search for %s and save a note.", "Read about %s and keep a note of the facts."}, []string{"搜索%s并保存笔记。", "阅读%s的资料，把要点记下来。"})}
		case "lookup_note":
			goals = []string{b.pick(noteGoals, noteGoalsZh)}
		}
		if (tmpl == "lookup" || tmpl == "lookup_save") && r.IntN(2) == 0 {
			goals[0] = b.composeLookup(saves)
		}
		b.ex.Goal = fmt.Sprintf(goals[0], name)
		b.ex.Plan.Thought = b.pickT("Search the knowledge base for the question, then read the top hit.", "先在知识库中搜索这个问题，再阅读第一条结果。")
		_, read, text, full := b.lookup(tp, true)
		b.ex.Answer = b.quote(text) + " [" + read + "]"
		if saves {
			b.ex.Plan.Thought += b.pickT(" Then save its text as a note.", "然后把内容记为笔记。")
			n := b.step(RoleNote, b.pickT("Save the text as a note", "把内容记为笔记"), "${"+read+".text}", []string{read}, []byte(`{"ok":true}`))
			b.ex.Observations[len(b.ex.Observations)-1].Args = marshal(map[string]string{b.argOf(RoleNote): full})
			b.ex.Answer = b.quote(text) + " [" + read + ", " + n + "]"
		}
		b.ex.Fact = tp.Fact
	case "calc":
		if !b.has(RoleCalc) {
			return false
		}
		x, y := 2+r.IntN(998), 2+r.IntN(98)
		ops := []struct {
			op string
			f  func(a, b int) int
		}{{"+", func(a, b int) int { return a + b }}, {"-", func(a, b int) int { return a - b }}, {"*", func(a, b int) int { return a * b }}}
		o := ops[r.IntN(len(ops))]
		expr := fmt.Sprintf("%d %s %d", x, o.op, y)
		res := fmt.Sprint(o.f(x, y))
		b.ex.Goal = fmt.Sprintf(b.pick([]string{"What is %s?", "Calculate %s.", "How much is %s?"}, []string{"计算 %s。", "%s 等于多少？"}), expr)
		b.ex.Plan.Thought = b.pickT("This is arithmetic: evaluate "+expr+" with the calculator.", "这是算术题：用计算工具计算 "+expr+"。")
		s := b.step(RoleCalc, b.pickT("Evaluate "+expr, "计算 "+expr), expr, nil, marshal(map[string]any{"result": o.f(x, y)}))
		b.ex.Answer = b.pickT(expr+" = "+res+" ["+s+"]", expr+" 等于 "+res+" ["+s+"]")
		b.ex.Fact = res
	case "note":
		if !b.has(RoleNote) {
			return false
		}
		nt := noteTexts[r.IntN(len(noteTexts))]
		text := nt.en
		if b.zh() {
			text = nt.zh
		}
		b.ex.Goal = fmt.Sprintf(b.pick([]string{"Take a note: %s.", "Remember this: %s."}, []string{"记一下：%s。", "帮我记住：%s。"}), text)
		b.ex.Plan.Thought = b.pickT("Save the note with the note tool.", "用笔记工具保存这条笔记。")
		s := b.step(RoleNote, b.pickT("Save the note", "保存笔记"), text, nil, []byte(`{"ok":true}`))
		b.ex.Answer = b.pickT("Noted: "+text+" ["+s+"]", "已记下："+text+" ["+s+"]")
		b.ex.Fact = text
	case "weather":
		if !b.has(RoleWeather) {
			return false
		}
		c := cities[r.IntN(len(cities))]
		sky := skies[r.IntN(len(skies))]
		temp := fmt.Sprint(-5 + r.IntN(40))
		city, skyS := c.en, sky.en
		if b.zh() {
			city, skyS = c.zh, sky.zh
		}
		b.ex.Goal = fmt.Sprintf(b.pick([]string{"What's the weather in %s?", "Will it rain in %s?"}, []string{"%s的天气怎么样？", "%s今天会下雨吗？"}), city)
		b.ex.Plan.Thought = b.pickT("Get the forecast for "+city+".", "查询"+city+"的天气预报。")
		s := b.step(RoleWeather, b.pickT("Get the forecast for "+city, "查询"+city+"的天气"), city, nil,
			marshal(map[string]any{"city": city, "sky": skyS, "celsius": temp}))
		b.ex.Answer = b.pickT("In "+city+" it is "+skyS+", "+temp+" °C ["+s+"]", city+"：天气"+skyS+"，"+temp+" °C ["+s+"]")
		b.ex.Fact = temp
	case "compare":
		if !b.has(RoleSearch, RoleRead) {
			return false
		}
		t1, t2 := pickTopic(r), pickTopic(r)
		if t1.Name == t2.Name {
			return false
		}
		n1, n2 := t1.Name, t2.Name
		if b.zh() {
			n1, n2 = t1.ZhName, t2.ZhName
		}
		b.ex.Goal = fmt.Sprintf(b.pick([]string{"Compare %s and %s.", "How do %s and %s differ?"}, []string{"比较%s和%s。", "%s和%s有什么不同？"}), n1, n2)
		b.ex.Plan.Thought = b.pickT("Search for both in parallel, then read the top hit of each.", "并行搜索两者，再分别阅读第一条结果。")
		_, r1, tx1, _ := b.lookup(t1, false)
		_, r2, tx2, _ := b.lookup(t2, false)
		b.ex.Answer = b.quote(tx1) + " [" + r1 + "] " + b.quote(tx2) + " [" + r2 + "]"
		b.ex.Fact = t1.Fact
	default:
		return false
	}
	// Observations show the arguments the executor actually ran with.
	for i := range b.ex.Observations {
		o := &b.ex.Observations[i]
		if bytes.Contains(o.Args, []byte("${")) {
			o.Args = resolveArgs(o.Args, b.ex.Observations[:i])
		}
	}
	b.ex.PlanJSON = planJSON(&b.ex.Plan)
	return true
}

func (b *builder) argOf(r Role) string {
	t, _ := b.cat.Tool(r)
	return t.Arg
}

// resolveArgs replaces "${sN.hits[0].id}" with the id that step returned;
// other references are left (their observations already say the value).
func resolveArgs(args json.RawMessage, prev []Observation) json.RawMessage {
	var m map[string]string
	if json.Unmarshal(args, &m) != nil {
		return args
	}
	for k, v := range m {
		for _, o := range prev {
			if v == "${"+o.Step+".hits[0].id}" {
				var out struct {
					Hits []struct{ ID string } `json:"hits"`
				}
				if json.Unmarshal([]byte(o.Content), &out) == nil && len(out.Hits) > 0 {
					m[k] = out.Hits[0].ID
				}
			}
		}
	}
	return marshal(m)
}

// finish lists the tools: the needed ones and up to n distractors from the
// catalog, shuffled.
func (b *builder) finish(n int) {
	if n == 0 {
		n = 2
	}
	var specs []llm.ToolSpec
	var others []ToolDef
	for _, t := range b.cat.Tools {
		need := false
		for _, r := range b.roles {
			need = need || t.Role == r
		}
		if need {
			specs = append(specs, t.Spec())
		} else {
			others = append(others, t)
		}
	}
	b.r.Shuffle(len(others), func(i, j int) { others[i], others[j] = others[j], others[i] })
	for i := 0; i < n && i < len(others); i++ {
		specs = append(specs, others[i].Spec())
	}
	b.r.Shuffle(len(specs), func(i, j int) { specs[i], specs[j] = specs[j], specs[i] })
	b.ex.Tools = specs
}

// planJSON writes p as the planner's response schema requires it: every
// step with id, task, tool, args and deps (an empty list where a step needs
// nothing; planner.Step's own encoding omits it, which the schema, and so
// constrained decoding, rejects).
func planJSON(p *planner.Plan) string {
	type step struct {
		ID   string          `json:"id"`
		Task string          `json:"task"`
		Tool string          `json:"tool"`
		Args json.RawMessage `json:"args"`
		Deps []string        `json:"deps"`
	}
	out := struct {
		Thought string `json:"thought"`
		Steps   []step `json:"steps"`
	}{Thought: p.Thought}
	for _, s := range p.Steps {
		deps := s.Deps
		if deps == nil {
			deps = []string{}
		}
		out.Steps = append(out.Steps, step{s.ID, s.Task, s.Tool, s.Args, deps})
	}
	return string(marshal(out))
}

// marshal encodes v as compact JSON without HTML escaping.
func marshal(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(err) // only plain values are encoded here
	}
	return bytes.TrimRight(buf.Bytes(), "\n")
}

// Parts of composed lookup goals: an opening that asks for a topic (%s),
// and, for goals that keep a note, a closing that asks for the note.
// Composing them gives the training templates hundreds of phrasings, so a
// model learns which words ask for a note rather than a handful of
// sentences; the held-out templates' own sentences are never composed
// (see heldOutGoals).
var (
	lookupOpen = []string{
		"Search for %s", "Look into %s", "Find information on %s", "Research %s", "Check the notes on %s",
		"Pull up what we have on %s", "Find out about %s", "Get the facts about %s", "Read up on %s", "Dig into %s",
		"Look up %s", "Find %s", "Please search the knowledge base for %s", "Go through the documents about %s",
		"Could you research %s", "Fetch the article on %s", "Learn about %s", "Check what the knowledge base says about %s",
	}
	lookupClose = []string{
		" and save a note", " and keep a note of the facts", " and write it down", " and record what you find",
		" and store it as a note", ", then note the main point", " and jot it down", ", then save the summary as a note",
		" and remember what it says", ", then write a note about it", " and make a note", " and file a note with the details",
		" and note down the key fact", ", then keep it in my notes", " and put it in a note",
	}
	lookupOpenZh = []string{
		"搜索%s", "查找%s的资料", "调查一下%s", "研究%s", "检索%s", "找找关于%s的笔记", "了解一下%s", "查询%s的信息",
		"帮我搜一下%s", "查一下%s", "找到%s", "看看知识库里关于%s的内容", "去读一读%s的文档", "请检索%s相关的文档",
	}
	lookupCloseZh = []string{
		"并保存笔记", "，然后记录下来", "，把要点记下来", "并写一条笔记", "，再保存成笔记", "并记住它说了什么",
		"，记一条笔记", "并把结果存为笔记", "，然后写进笔记", "并做个记录", "，把关键事实记下", "，之后保存一条笔记",
	}
)

// The goals of the held-out templates lookup_alt and lookup_note.
var (
	altGoals    = []string{"I need to know about %s.", "Give me facts on %s."}
	altGoalsZh  = []string{"请帮我查一下%s。", "关于%s有什么资料？"}
	noteGoals   = []string{"Look up %s and take a note of it.", "Find %s and save what it says."}
	noteGoalsZh = []string{"查一下%s并做笔记。", "找到%s的资料并记下来。"}
)

// heldOutGoals are the held-out templates' goals, which composed goals
// must never equal.
var heldOutGoals = func() map[string]bool {
	m := map[string]bool{}
	for _, gs := range [][]string{altGoals, altGoalsZh, noteGoals, noteGoalsZh} {
		for _, g := range gs {
			m[g] = true
		}
	}
	return m
}()

// composeLookup composes a lookup goal (a format with one %s), with a
// request for a note when note is set.
func (b *builder) composeLookup(note bool) string {
	for {
		var g string
		if b.zh() {
			g = lookupOpenZh[b.r.IntN(len(lookupOpenZh))]
			if note {
				g += lookupCloseZh[b.r.IntN(len(lookupCloseZh))]
			}
			g += "。"
		} else {
			g = lookupOpen[b.r.IntN(len(lookupOpen))]
			if note {
				g += lookupClose[b.r.IntN(len(lookupClose))]
			}
			if strings.HasPrefix(g, "Could you") {
				g += "?"
			} else {
				g += "."
			}
		}
		if !heldOutGoals[g] {
			return g
		}
	}
}
