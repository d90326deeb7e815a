package local

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/google/uuid"

	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/llm/local/chat"
	"github.com/plait-ai/plait/llm/local/constrain"
	"github.com/plait-ai/plait/llm/local/discover"
	"github.com/plait-ai/plait/llm/local/embedded"
	"github.com/plait-ai/plait/llm/local/gguf"
	"github.com/plait-ai/plait/llm/local/quant"
	"github.com/plait-ai/plait/llm/local/sample"
	"github.com/plait-ai/plait/llm/local/tokenizer"
)

// Options configures a loaded model. The zero value works.
type Options struct {
	// Threads is the number of threads the kernels use; 0 means
	// runtime.GOMAXPROCS(0).
	Threads int
	// ContextLen bounds a generation's prompt plus reply in tokens; 0 means
	// the model's trained context, at most 8192.
	ContextLen int
	// Template overrides the chat template detected from the file
	// ("chatml", "llama3", "llama2", "mistral", "deepseek").
	Template string
	// MaxConcurrent bounds the generations that run at once; others wait.
	// 0 means 1: generations compete for the same cores and memory
	// bandwidth, so running them one at a time finishes each sooner.
	MaxConcurrent int
	// Name is the model name reported in responses; defaults to the file name.
	Name string
	// Defaults are the sampling settings used where a request leaves them
	// unset. Nil uses Ollama's defaults (temperature 0.8, top-k 40, top-p
	// 0.9, repeat penalty 1.1), each replaced by the setting the file
	// recommends under the general.sampling.* keys (KeySamplingTemp, ...)
	// when it has one.
	Defaults *sample.Params
	// Quotes says whether a reply's quotations are held to the request's
	// Sources (see llm.Request.Sources): QuotesVerbatim makes every
	// quotation ("…", “…” or 「…」) in a reply to a request with sources
	// an exact copy of a span of a source, QuotesSentences a copy of whole
	// sentences, QuotesFree leaves them to the model, and the zero value
	// follows the file's KeyQuotes (plait-embedded asks for sentences: it
	// is too small to copy reliably on its own).
	Quotes QuoteMode
}

// QuoteMode says how a model's quotations are checked against the sources.
type QuoteMode int

// The quote modes of Options.Quotes.
const (
	QuotesAsFile    QuoteMode = iota // as the file's KeyQuotes says; free when it says nothing
	QuotesVerbatim                   // quotations copy the sources exactly, from the start of a word
	QuotesSentences                  // quotations copy whole sentences of the sources exactly
	QuotesFree                       // quotations are not checked
)

// KeyQuotes is the metadata key through which a GGUF file asks for its
// replies' quotations to be held to the sources: "verbatim" for
// QuotesVerbatim, "sentences" for QuotesSentences.
const KeyQuotes = "plait.quotes"

// Model is a GGUF model running in-process. It implements llm.Model. It is
// safe for concurrent use; generations beyond Options.MaxConcurrent wait
// their turn.
type Model struct {
	name    string
	file    *gguf.File
	tok     *tokenizer.Tokenizer
	tr      *Transformer
	tmpl    chat.Template
	pool    *quant.Pool
	ctxLen  int
	sem     chan struct{}
	deflt   sample.Params
	quotes  QuoteMode // QuotesVerbatim, QuotesSentences or QuotesFree
	vocOnce sync.Once
	voc     *constrain.Vocab

	mu   sync.Mutex
	idle []*cached // states kept for prefix reuse, most recent last

	gmu      sync.Mutex
	grammars map[string]*constrain.Grammar // compiled response schemas
	close    sync.Once
}

type cached struct {
	st     *State
	tokens []int32
}

// Load opens the GGUF model at path and maps its weights.
func Load(ctx context.Context, path string, opts Options) (*Model, error) {
	f, err := gguf.Open(path)
	if err != nil {
		return nil, fmt.Errorf("local: open %s: %w", path, err)
	}
	m, err := New(f, opts)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("local: load %s: %w", path, err)
	}
	if m.name == "" {
		m.name = strings.TrimSuffix(filepath.Base(path), ".gguf")
	}
	return m, ctx.Err()
}

// New builds a model from an opened GGUF file. The model takes ownership of
// f and closes it on Close.
func New(f *gguf.File, opts Options) (*Model, error) {
	threads := opts.Threads
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	tok, err := tokenizer.FromGGUF(f)
	if err != nil {
		return nil, err
	}
	pool := quant.NewPool(threads)
	tr, err := newTransformer(f, pool)
	if err != nil {
		pool.Close()
		return nil, err
	}
	if tr.cfg.Vocab < tok.VocabSize() {
		pool.Close()
		return nil, fmt.Errorf("%w: the embedding has %d rows but the vocabulary %d tokens", ErrUnsupportedModel, tr.cfg.Vocab, tok.VocabSize())
	}
	var tmpl chat.Template
	if opts.Template != "" {
		if tmpl, err = chat.Lookup(opts.Template); err != nil {
			pool.Close()
			return nil, err
		}
	} else {
		ct, _ := f.String("tokenizer.chat_template")
		tmpl = chat.Detect(ct, f.Architecture())
	}
	ctxLen := opts.ContextLen
	if ctxLen <= 0 {
		ctxLen = min(tr.cfg.ContextLen, 8192)
	}
	conc := max(opts.MaxConcurrent, 1)
	name := opts.Name
	if name == "" {
		name, _ = f.String("general.name")
	}
	d := sample.Params{Temperature: 0.8, TopK: 40, TopP: 0.9, RepeatPenalty: 1.1}
	if opts.Defaults != nil {
		d = *opts.Defaults
	} else {
		fileDefaults(f, &d)
	}
	quotes := opts.Quotes
	if quotes == QuotesAsFile {
		switch v, _ := f.String(KeyQuotes); v {
		case "verbatim":
			quotes = QuotesVerbatim
		case "sentences":
			quotes = QuotesSentences
		default:
			quotes = QuotesFree
		}
	}
	return &Model{
		name: name, file: f, tok: tok, tr: tr, tmpl: tmpl, pool: pool,
		ctxLen: ctxLen, sem: make(chan struct{}, conc), deflt: d, quotes: quotes,
	}, nil
}

// Defaults returns the sampling settings the model uses where a request
// leaves them unset (see Options.Defaults).
func (m *Model) Defaults() sample.Params { return m.deflt }

// Close releases the model's memory map and threads. Calls in progress must
// have finished.
func (m *Model) Close() error {
	var err error
	m.close.Do(func() {
		m.pool.Close()
		err = m.file.Close()
	})
	return err
}

// Info implements llm.Describer.
func (m *Model) Info() llm.Info { return llm.Info{Provider: "local", Model: m.name, Local: true} }

// Tokenizer returns the model's tokenizer, for exact token counts.
func (m *Model) Tokenizer() *tokenizer.Tokenizer { return m.tok }

// Template returns the chat template in use.
func (m *Model) Template() chat.Template { return m.tmpl }

// Config returns the transformer's hyper-parameters.
func (m *Model) Config() Config { return m.tr.cfg }

// Generate implements llm.Model.
func (m *Model) Generate(ctx context.Context, req *llm.Request) (*llm.Response, error) {
	return llm.Collect(m.Stream(ctx, req))
}

// Stream implements llm.Model. Text streams as it is decoded; when the
// request has tools, text that starts a tool call is held back and the
// calls arrive whole at the end.
func (m *Model) Stream(ctx context.Context, req *llm.Request) iter.Seq2[llm.Chunk, error] {
	return func(yield func(llm.Chunk, error) bool) {
		select {
		case m.sem <- struct{}{}:
		case <-ctx.Done():
			yield(llm.Chunk{}, llm.ContextError("local", ctx.Err()))
			return
		}
		defer func() { <-m.sem }()
		if err := m.generate(ctx, req, yield); err != nil {
			yield(llm.Chunk{}, err)
		}
	}
}

func (m *Model) generate(ctx context.Context, req *llm.Request, yield func(llm.Chunk, error) bool) error {
	tools := req.Tools
	if req.ToolChoice.Mode == llm.ToolChoiceNone {
		tools = nil
	}
	if req.ToolChoice.Mode == llm.ToolChoiceNamed {
		tools = nil
		for _, t := range req.Tools {
			if t.Name == req.ToolChoice.Name {
				tools = []llm.ToolSpec{t}
			}
		}
		if tools == nil {
			return &llm.Error{Kind: llm.KindInvalidRequest, Provider: "local", Message: fmt.Sprintf("tool choice names %q, which is not among the request's tools", req.ToolChoice.Name)}
		}
	}
	wantConstraint := (req.ResponseSchema != nil && len(req.ResponseSchema.Schema) > 0) ||
		(len(tools) > 0 && (req.ToolChoice.Mode == llm.ToolChoiceRequired || req.ToolChoice.Mode == llm.ToolChoiceNamed))
	prompt, err := m.tmpl.Render(req.Messages, tools, chat.Options{NoThink: wantConstraint})
	if err != nil {
		return &llm.Error{Kind: llm.KindInvalidRequest, Provider: "local", Err: err}
	}
	ids := m.tok.Encode(prompt, true, true)
	maxTokens := req.MaxTokens
	if maxTokens <= 0 {
		maxTokens = m.ctxLen
	}
	if len(ids) >= m.ctxLen {
		return &llm.Error{Kind: llm.KindContextLength, Provider: "local", Message: fmt.Sprintf("the prompt has %d tokens; the context holds %d", len(ids), m.ctxLen)}
	}

	// Constrained decoding: a response schema, or tools that must be called.
	var matcher *constrain.Matcher
	constrained := false
	switch {
	case req.ResponseSchema != nil && len(req.ResponseSchema.Schema) > 0:
		g, err := m.schemaGrammar(req.ResponseSchema)
		if err != nil {
			return &llm.Error{Kind: llm.KindInvalidRequest, Provider: "local", Message: "response schema", Err: err}
		}
		matcher = g.NewMatcher()
	case len(tools) > 0 && (req.ToolChoice.Mode == llm.ToolChoiceRequired || req.ToolChoice.Mode == llm.ToolChoiceNamed):
		f := m.tmpl.ToolCallFormat()
		ct := make([]constrain.Tool, len(tools))
		for i, t := range tools {
			ct[i] = constrain.Tool{Name: t.Name, Parameters: t.Parameters}
		}
		g, err := constrain.CompileToolCalls(ct, constrain.ToolCallOptions{
			Options: constrain.Options{Lax: true}, ArgumentsKey: f.ArgumentsKey,
			Parallel: req.ToolChoice.Mode == llm.ToolChoiceRequired, MaxCalls: 8,
			CallPrefix: f.Prefix, CallSuffix: f.Suffix,
		})
		if err != nil {
			return &llm.Error{Kind: llm.KindInvalidRequest, Provider: "local", Message: "tool schemas", Err: err}
		}
		matcher = g.NewMatcher()
	}
	if matcher != nil {
		constrained = true
		m.vocOnce.Do(m.buildVocab)
	}
	// Verbatim quotations, for a free-text reply grounded in sources (a
	// reply that may call tools writes JSON, whose quotation marks are not
	// quotations).
	var quotes constrain.QuoteState
	quoted := false
	if !constrained && m.quotes != QuotesFree && len(req.Sources) > 0 && len(tools) == 0 {
		texts := make([]string, len(req.Sources))
		ids := make([]string, len(req.Sources))
		for i, s := range req.Sources {
			texts[i], ids[i] = s.Text, s.ID
		}
		unit := constrain.QuoteWords
		if m.quotes == QuotesSentences {
			unit = constrain.QuoteSentences
		}
		if q := constrain.NewQuotes(texts, unit).CiteIDs(ids); q.Len() > 0 {
			quotes, quoted = q.Start(), true
			m.vocOnce.Do(m.buildVocab)
		}
	}

	params := m.deflt
	if req.Temperature != nil {
		params.Temperature = float32(*req.Temperature)
	}
	if req.TopP != nil {
		params.TopP = float32(*req.TopP)
	}
	if req.Seed != nil {
		params.Seed = uint64(*req.Seed)
	} else {
		params.Seed = rand.Uint64()
	}
	smp := sample.New(params)

	st, reused := m.acquire(ids)
	defer m.release(st)
	if reused == len(ids) {
		// The whole prompt is cached, but its last token's logits are not
		// kept: evaluate that token again.
		reused--
		st.st.Truncate(reused)
	}
	for _, id := range ids[:reused] {
		smp.Accept(id)
	}

	// Prompt processing in chunks, so cancellation is prompt and buffers
	// stay bounded.
	var logits []float32
	const chunk = 64
	for rest := ids[reused:]; len(rest) > 0; {
		n := min(chunk, len(rest))
		if logits, err = st.st.Forward(ctx, rest[:n], false); err != nil {
			st.tokens = nil
			return m.wrapErr(ctx, err)
		}
		for _, id := range rest[:n] {
			smp.Accept(id)
		}
		rest = rest[n:]
	}
	st.tokens = append(st.tokens[:0], ids...)

	stops := append(append([]string(nil), m.tmpl.Stop()...), req.Stop...)
	stopper := sample.NewStopMatcher(stops)
	dec := m.tok.NewDecoder()
	var think llm.ThinkSplitter
	if m.tmpl.ReasoningOpen() && !wantConstraint {
		think.Split("<think>")
	}
	var out strings.Builder    // the whole reply, for tool-call parsing
	var answer strings.Builder // the reply outside reasoning
	streamed := 0              // bytes of answer already yielded
	held := false              // a tool call has started: stop streaming text
	markers := m.callMarkers(tools)
	var guide guideBuf
	usage := llm.Usage{InputTokens: len(ids), CachedInputTokens: reused}
	finish := llm.FinishLength
	// flush yields the answer text that cannot be the start of a tool call.
	flush := func(final bool) bool {
		if held {
			return true
		}
		a := answer.String()
		upto := len(a)
		for _, mk := range markers {
			if i := strings.Index(a[streamed:], mk); i >= 0 {
				held, upto = true, min(upto, streamed+i)
			}
		}
		if !held && !final {
			hold := 0
			for _, mk := range markers {
				hold = max(hold, sample.PartialSuffix(a, mk))
			}
			upto -= hold
		}
		if upto > streamed {
			if !yield(llm.Chunk{Text: a[streamed:upto]}, nil) {
				return false
			}
			streamed = upto
		}
		return true
	}
	emit := func(text string) bool {
		if text == "" {
			return true
		}
		out.WriteString(text)
		r, t := think.Split(text)
		if r != "" && !yield(llm.Chunk{Reasoning: r}, nil) {
			return false
		}
		answer.WriteString(t)
		return flush(false)
	}
	gen := 0
loop:
	for gen < maxTokens {
		if err := ctx.Err(); err != nil {
			return llm.ContextError("local", err)
		}
		// Repetition penalties read the whole history kept by smp; the
		// logits slice is ours to modify.
		var tok int32
		switch {
		case constrained:
			tok = m.sampleConstrained(smp, logits, matcher, &guide, maxTokens-gen)
		case quoted:
			tok = m.sampleQuoted(smp, logits, &quotes, &guide)
		default:
			tok = smp.Sample(logits)
		}
		smp.Accept(tok)
		gen++
		if m.tok.IsEOG(tok) {
			finish = llm.FinishStop
			break
		}
		if constrained {
			m.voc.Advance(matcher, tok)
		}
		if quoted {
			m.voc.AdvanceQuoted(&quotes, tok)
		}
		piece := dec.Next(tok)
		text, stopped := stopper.Write(piece)
		if !emit(text) {
			return nil
		}
		if stopped {
			finish = llm.FinishStop
			break
		}
		if constrained && matcher.Exhausted() {
			finish = llm.FinishStop
			break loop
		}
		if st.st.Pos()+1 > m.ctxLen {
			break
		}
		if logits, err = st.st.Forward(ctx, []int32{tok}, false); err != nil {
			st.tokens = nil
			return m.wrapErr(ctx, err)
		}
		st.tokens = append(st.tokens, tok)
	}
	if tail, _ := stopper.Write(dec.Flush()); !emit(tail) {
		return nil
	}
	if !emit(stopper.Flush()) {
		return nil
	}
	r, t := think.Flush()
	if r != "" && !yield(llm.Chunk{Reasoning: r}, nil) {
		return nil
	}
	answer.WriteString(t)
	usage.OutputTokens = gen

	final := llm.Chunk{FinishReason: finish, Usage: &usage, Model: m.name}
	if held {
		reply, _ := m.tmpl.Parse(out.String())
		for i, c := range reply.ToolCalls {
			final.ToolCalls = append(final.ToolCalls, llm.ToolCallDelta{Index: i, ID: "call_" + uuid.NewString(), Name: c.Name, Arguments: string(c.Arguments)})
		}
		if len(final.ToolCalls) > 0 {
			final.FinishReason = llm.FinishToolCalls
		} else {
			held = false // no call could be read: the text is the answer
		}
	}
	if !flush(true) {
		return nil
	}
	yield(final, nil)
	return nil
}

// callMarkers returns the texts that start a tool call in the template's
// format (and in the format constrained decoding writes), when the request
// has tools: text from a marker on is held back from the stream and parsed
// for calls at the end.
func (m *Model) callMarkers(tools []llm.ToolSpec) []string {
	if len(tools) == 0 {
		return nil
	}
	var family string
	switch m.tmpl.Family() {
	case chat.Mistral:
		family = "[TOOL_CALLS]"
	case chat.DeepSeek:
		family = "<｜tool▁calls▁begin｜>"
	case chat.Llama3:
		family = `{"name"`
	default:
		family = "<tool_call>"
	}
	marks := []string{family}
	prefix := strings.TrimSpace(m.tmpl.ToolCallFormat().Prefix)
	if prefix == "" {
		prefix = `{"name"`
	}
	if prefix != family {
		marks = append(marks, prefix)
	}
	return marks
}

func (m *Model) wrapErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return llm.ContextError("local", ctx.Err())
	}
	if errors.Is(err, ErrContextFull) {
		return &llm.Error{Kind: llm.KindContextLength, Provider: "local", Err: err}
	}
	return &llm.Error{Kind: llm.KindUnavailable, Provider: "local", Err: err}
}

// buildVocab prepares the vocabulary for constrained decoding: each token's
// bytes, with control tokens given none so they are never allowed inside
// constrained output.
func (m *Model) buildVocab() {
	n := m.tr.cfg.Vocab
	toks := make([][]byte, n)
	for i := range n {
		id := int32(i)
		if i < m.tok.VocabSize() && !m.tok.IsControl(id) {
			toks[i] = m.tok.TokenBytes(id)
		}
	}
	m.voc = constrain.NewVocab(toks, m.tok.EOG())
}

// guideBuf holds one generation's buffers for constrained sampling.
type guideBuf struct {
	mask []uint64
	work []float32 // a copy of the logits for the first, unmasked draw
}

// sampleConstrained samples a token the matcher allows: the sampled token
// is checked first and a full mask is built only when it is rejected, as
// llama.cpp does. When few tokens remain, it steers toward completing the
// output.
func (m *Model) sampleConstrained(smp *sample.Sampler, logits []float32, mt *constrain.Matcher, g *guideBuf, budget int) int32 {
	if budget > mt.Remaining()+4 {
		g.work = append(g.work[:0], logits...)
		tok := smp.Sample(g.work)
		if m.voc.Allowed(mt, tok) {
			return tok
		}
		g.mask = m.voc.Fill(mt, g.mask)
	} else {
		g.mask = m.voc.FillFinishing(mt, g.mask)
	}
	if !slices.ContainsFunc(g.mask, func(w uint64) bool { return w != 0 }) {
		// Nothing can continue: end the output.
		if eog := m.tok.EOG(); len(eog) > 0 {
			return eog[0]
		}
	}
	constrain.ApplyMask(logits, g.mask)
	return smp.Sample(logits)
}

// sampleQuoted samples a token that keeps the reply's quotations true to
// the sources: the sampled token is checked first, and a full mask is
// built only when it is rejected.
func (m *Model) sampleQuoted(smp *sample.Sampler, logits []float32, qs *constrain.QuoteState, g *guideBuf) int32 {
	g.work = append(g.work[:0], logits...)
	tok := smp.Sample(g.work)
	if m.voc.AllowedQuoted(qs, tok) {
		return tok
	}
	g.mask = m.voc.FillQuoted(qs, g.mask)
	if !slices.ContainsFunc(g.mask, func(w uint64) bool { return w != 0 }) {
		return tok // no token continues (a vocabulary without single bytes): leave the reply free
	}
	constrain.ApplyMask(logits, g.mask)
	return smp.Sample(logits)
}

// acquire returns the idle state whose tokens share the longest prefix with
// ids (or a new one), truncated to that prefix, and the prefix length.
func (m *Model) acquire(ids []int32) (*cached, int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	best, bestN := -1, 0
	for i, c := range m.idle {
		n := commonPrefix(c.tokens, ids)
		if n > bestN || best < 0 {
			best, bestN = i, n
		}
	}
	if best < 0 {
		return &cached{st: m.tr.NewState(m.ctxLen)}, 0
	}
	c := m.idle[best]
	m.idle = append(m.idle[:best], m.idle[best+1:]...)
	c.st.Truncate(bestN)
	c.tokens = c.tokens[:bestN]
	return c, bestN
}

// release keeps a state for reuse by the next request.
func (m *Model) release(c *cached) {
	if c.tokens == nil {
		return // failed midway: its cache is not trustworthy
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.idle = append(m.idle, c)
	if len(m.idle) > cap(m.sem) {
		m.idle = m.idle[1:]
	}
}

// The metadata keys through which a GGUF file recommends its sampling
// settings (as llama.cpp's general.sampling.* keys do); each one present
// replaces the Ollama default it names.
const (
	KeySamplingTemp          = "general.sampling.temp"
	KeySamplingTopK          = "general.sampling.top_k"
	KeySamplingTopP          = "general.sampling.top_p"
	KeySamplingMinP          = "general.sampling.min_p"
	KeySamplingRepeatPenalty = "general.sampling.penalty_repeat"
)

// fileDefaults applies the sampling settings f recommends to d.
func fileDefaults(f *gguf.File, d *sample.Params) {
	if v, err := f.Float(KeySamplingTemp); err == nil {
		d.Temperature = float32(v)
	}
	if v, err := f.Int(KeySamplingTopK); err == nil {
		d.TopK = int(v)
	}
	if v, err := f.Float(KeySamplingTopP); err == nil {
		d.TopP = float32(v)
	}
	if v, err := f.Float(KeySamplingMinP); err == nil {
		d.MinP = float32(v)
	}
	if v, err := f.Float(KeySamplingRepeatPenalty); err == nil {
		d.RepeatPenalty = float32(v)
	}
}

// grammarCacheSize is how many compiled response schemas a Model keeps:
// an agent sends the same plan schema with every planning request.
const grammarCacheSize = 16

// schemaGrammar compiles rs, or returns the grammar compiled for the
// same schema before.
func (m *Model) schemaGrammar(rs *llm.JSONSchema) (*constrain.Grammar, error) {
	key := string(rs.Schema)
	if !rs.Strict {
		key = "lax:" + key
	}
	m.gmu.Lock()
	g, ok := m.grammars[key]
	m.gmu.Unlock()
	if ok {
		return g, nil
	}
	g, err := constrain.CompileSchema(rs.Schema, constrain.Options{Lax: !rs.Strict})
	if err != nil {
		return nil, err
	}
	m.gmu.Lock()
	defer m.gmu.Unlock()
	if m.grammars == nil {
		m.grammars = map[string]*constrain.Grammar{}
	}
	if len(m.grammars) >= grammarCacheSize {
		for k := range m.grammars { // evict one at random
			delete(m.grammars, k)
			break
		}
	}
	m.grammars[key] = g
	return g, nil
}

func commonPrefix(a, b []int32) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// Provider opens local models for llm.Open: "local/path/to/model.gguf", or
// a model name found by Find. Options are read from the Config's Options:
// "threads", "context", "template", and "quotes" ("verbatim", "sentences"
// or "free"; see Options.Quotes).
var Provider = llm.ProviderFunc(func(ctx context.Context, spec string, cfg llm.Config) (llm.Model, error) {
	path, err := Resolve(spec)
	if err != nil {
		return nil, err
	}
	var o Options
	if v := cfg.Options["threads"]; v != "" {
		fmt.Sscan(v, &o.Threads)
	}
	if v := cfg.Options["context"]; v != "" {
		fmt.Sscan(v, &o.ContextLen)
	}
	o.Template = cfg.Options["template"]
	switch q := cfg.Options["quotes"]; q {
	case "":
	case "verbatim":
		o.Quotes = QuotesVerbatim
	case "sentences":
		o.Quotes = QuotesSentences
	case "free":
		o.Quotes = QuotesFree
	default:
		return nil, &llm.Error{Kind: llm.KindInvalidRequest, Provider: "local", Message: fmt.Sprintf("option quotes=%q: want verbatim, sentences or free", q)}
	}
	return Load(ctx, path, o)
})

// Resolve turns a model spec into a GGUF path: a path to a .gguf file, a
// name in Ollama's local store ("qwen2.5:0.5b"), or a file in $PLAIT_MODELS
// (see package discover). The empty spec names the embedded default model:
// the one a package registered with embedded.Register.
func Resolve(spec string) (string, error) {
	if spec == "" {
		path, err := embedded.Path()
		if errors.Is(err, embedded.ErrNoModel) {
			return "", fmt.Errorf("local: no embedded default model is bundled in this build (import a package that registers one, see llm/local/embedded); give a path or a name, as llm.Open(\"local/path/to/model.gguf\") or llm.Open(\"local/qwen2.5:0.5b\")")
		}
		if err != nil {
			return "", fmt.Errorf("local: embedded default model: %w", err)
		}
		return path, nil
	}
	m, err := discover.Find(spec)
	if err != nil {
		return "", fmt.Errorf("local: %w", err)
	}
	return m.Path, nil
}

func init() { llm.Register("local", Provider) }
