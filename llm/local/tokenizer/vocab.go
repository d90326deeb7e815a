package tokenizer

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/plait-ai/plait/llm/local/gguf"
)

// TokenType is a token's type as GGUF's tokenizer.ggml.token_type stores it.
type TokenType int32

// The token types (llama.cpp's llama_token_type).
const (
	TypeUndefined   TokenType = 0
	TypeNormal      TokenType = 1
	TypeUnknown     TokenType = 2
	TypeControl     TokenType = 3
	TypeUserDefined TokenType = 4
	TypeUnused      TokenType = 5
	TypeByte        TokenType = 6
)

// attributes of a token (llama.cpp's llama_token_attr).
type attr uint16

const (
	attrUndefined attr = 0
	attrUnknown   attr = 1 << 0
	attrUnused    attr = 1 << 1
	attrNormal    attr = 1 << 2
	attrControl   attr = 1 << 3
	attrUser      attr = 1 << 4
	attrByte      attr = 1 << 5
)

func attrOf(t TokenType) attr {
	switch t {
	case TypeUnknown:
		return attrUnknown
	case TypeUnused:
		return attrUnused
	case TypeNormal:
		return attrNormal
	case TypeControl:
		return attrControl
	case TypeUserDefined:
		return attrUser
	case TypeByte:
		return attrByte
	}
	return attrUndefined
}

// NoToken marks an absent special token.
const NoToken int32 = -1

// Errors callers can test for with errors.Is.
var (
	// ErrUnsupported: the vocabulary uses a tokenizer model or
	// pre-tokenizer this package does not implement.
	ErrUnsupported = errors.New("tokenizer: unsupported tokenizer")
	// ErrInvalid: the vocabulary is inconsistent (missing tokens, arrays of
	// different lengths, ids out of range).
	ErrInvalid = errors.New("tokenizer: invalid vocabulary")
)

// Vocab is everything a tokenizer is built from: what a GGUF file's
// tokenizer.ggml.* metadata holds. Other code (a trainer, a test) can fill
// one in directly and call [New].
type Vocab struct {
	// Model is "llama" (SentencePiece BPE with scores and byte fallback) or
	// "gpt2" (byte-level BPE with merges).
	Model string
	// Pre names the pre-tokenizer of a gpt2 model (tokenizer.ggml.pre):
	// "gpt-2", "llama-bpe", "qwen2", "deepseek-llm", ...; "" means
	// llama.cpp's default.
	Pre string

	Tokens []string    // the token texts, by id
	Scores []float32   // llama: merge priorities, by id (optional for gpt2)
	Types  []TokenType // by id; nil means every token is normal
	Merges []string    // gpt2: "left right", best first

	// Special token ids; NoToken (-1) for none. Fill every field: 0 is a
	// valid id.
	BOS, EOS, UNK, PAD, EOT, EOM, SEP int32

	AddBOS bool // Encode with addSpecial puts BOS first
	AddEOS bool // Encode with addSpecial puts EOS last
	// AddSpacePrefix: llama only: a space is put before the text (and
	// after every special token), as SentencePiece's add_dummy_prefix.
	AddSpacePrefix bool
}

// Tokenizer turns text into token ids and back. It is immutable once built
// and safe for concurrent use by multiple goroutines.
type Tokenizer struct {
	spm   bool
	model string
	pre   string

	tokens []string
	attrs  []attr
	scores []float32
	index  map[string]int32

	bos, eos, unk, pad, eot, eom, sep int32
	addBOS, addEOS, addSpacePrefix    bool
	ignoreMerges                      bool
	eog                               map[int32]bool

	// special tokens in the order llama.cpp's partition tries them
	specials []int32
	trie     [256]*trieNode // children of the trie's root, by first byte

	// gpt2
	split     splitter
	merges    map[uint64]merge
	byteSym   [256]int32 // intern id of each byte's encoded character
	bytePiece [256]int32 // spm: token of each byte (<0xXX>), or NoToken

	pieces [][]byte // bytes each token produces (special tokens: their text)
	cache  *wordCache
	// spm: no token has "▁" after another character, so text can be
	// merged word by word
	spmChunks bool
}

type merge struct{ rank, id int32 }

// Model returns "llama" or "gpt2".
func (t *Tokenizer) Model() string { return t.model }

// Pre returns the pre-tokenizer name (gpt2 models).
func (t *Tokenizer) Pre() string { return t.pre }

// VocabSize returns the number of tokens.
func (t *Tokenizer) VocabSize() int { return len(t.tokens) }

// BOS returns the beginning-of-sequence token, or NoToken.
func (t *Tokenizer) BOS() int32 { return t.bos }

// EOS returns the end-of-sequence token, or NoToken.
func (t *Tokenizer) EOS() int32 { return t.eos }

// EOT returns the end-of-turn token, or NoToken.
func (t *Tokenizer) EOT() int32 { return t.eot }

// UNK returns the unknown token, or NoToken.
func (t *Tokenizer) UNK() int32 { return t.unk }

// PAD returns the padding token, or NoToken.
func (t *Tokenizer) PAD() int32 { return t.pad }

// AddBOS reports whether Encode with addSpecial puts BOS first.
func (t *Tokenizer) AddBOS() bool { return t.addBOS }

// AddSpacePrefix reports whether a space is put before the text (llama
// vocabularies, SentencePiece's add_dummy_prefix).
func (t *Tokenizer) AddSpacePrefix() bool { return t.addSpacePrefix }

// AddEOS reports whether Encode with addSpecial puts EOS last.
func (t *Tokenizer) AddEOS() bool { return t.addEOS }

// Piece returns the token's text as the vocabulary stores it ("▁the",
// "Ġthe", "<0x0A>", "<|im_end|>"), or "" for an id out of range.
func (t *Tokenizer) Piece(id int32) string {
	if !t.valid(id) {
		return ""
	}
	return t.tokens[id]
}

// Type returns the token's type.
func (t *Tokenizer) Type(id int32) TokenType {
	if !t.valid(id) {
		return TypeUndefined
	}
	a := t.attrs[id]
	switch {
	case a&attrControl != 0:
		return TypeControl
	case a&attrUser != 0:
		return TypeUserDefined
	case a&attrUnknown != 0:
		return TypeUnknown
	case a&attrByte != 0:
		return TypeByte
	case a&attrUnused != 0:
		return TypeUnused
	case a&attrNormal != 0:
		return TypeNormal
	}
	return TypeUndefined
}

// Score returns the token's score (llama vocabularies), or 0.
func (t *Tokenizer) Score(id int32) float32 {
	if !t.valid(id) || t.scores == nil {
		return 0
	}
	return t.scores[id]
}

// ID returns the id of the token whose text is s.
func (t *Tokenizer) ID(s string) (int32, bool) {
	id, ok := t.index[s]
	return id, ok
}

// IsControl reports whether id is a control token (BOS, EOS, <|im_start|>
// ...): one that produces no text when decoded.
func (t *Tokenizer) IsControl(id int32) bool {
	return t.valid(id) && t.attrs[id]&attrControl != 0
}

// IsEOG reports whether id ends generation: EOS, EOT, EOM and the tokens
// llama.cpp recognises by their text (<|im_end|>, <|eot_id|>,
// <｜end▁of▁sentence｜>, <|endoftext|> ...).
func (t *Tokenizer) IsEOG(id int32) bool { return t.eog[id] }

// EOG returns the end-of-generation tokens, sorted.
func (t *Tokenizer) EOG() []int32 {
	out := make([]int32, 0, len(t.eog))
	for id := range t.eog {
		out = append(out, id)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func (t *Tokenizer) valid(id int32) bool { return id >= 0 && int(id) < len(t.tokens) }

// FromGGUF builds the tokenizer described by a GGUF file's metadata, with
// llama.cpp's defaults for what the file leaves out.
func FromGGUF(f *gguf.File) (*Tokenizer, error) {
	v, err := VocabFromGGUF(f)
	if err != nil {
		return nil, err
	}
	return New(v)
}

// VocabFromGGUF reads the tokenizer.ggml.* metadata of f into a Vocab,
// filling in llama.cpp's defaults (special ids, add_bos, add_space_prefix)
// for what the file leaves out.
func VocabFromGGUF(f *gguf.File) (*Vocab, error) {
	v := &Vocab{BOS: NoToken, EOS: NoToken, UNK: NoToken, PAD: NoToken, EOT: NoToken, EOM: NoToken, SEP: NoToken}
	var err error
	if v.Model, err = f.String("tokenizer.ggml.model"); err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	if f.Has("tokenizer.ggml.pre") {
		if v.Pre, err = f.String("tokenizer.ggml.pre"); err != nil {
			return nil, fmt.Errorf("tokenizer: %w", err)
		}
	}
	if v.Tokens, err = f.Strings("tokenizer.ggml.tokens"); err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	if f.Has("tokenizer.ggml.scores") {
		if v.Scores, err = f.Float32s("tokenizer.ggml.scores"); err != nil {
			return nil, fmt.Errorf("tokenizer: %w", err)
		}
	}
	if f.Has("tokenizer.ggml.token_type") {
		tt, err := f.Int32s("tokenizer.ggml.token_type")
		if err != nil {
			return nil, fmt.Errorf("tokenizer: %w", err)
		}
		v.Types = make([]TokenType, len(tt))
		for i, x := range tt {
			v.Types[i] = TokenType(x)
		}
	}
	if f.Has("tokenizer.ggml.merges") {
		if v.Merges, err = f.Strings("tokenizer.ggml.merges"); err != nil {
			return nil, fmt.Errorf("tokenizer: %w", err)
		}
	}
	fam := ""
	switch v.Model {
	case "llama":
		v.BOS, v.EOS, v.UNK = 1, 2, 0
		v.AddBOS, v.AddSpacePrefix = true, true
	case "gpt2":
		// llama.cpp defaults bos and eos to 11 here; that is a token of
		// text in every real vocabulary, so this package leaves them unset.
		f, ok := preAliases[v.Pre]
		if !ok {
			return nil, fmt.Errorf("%w: pre-tokenizer %q (known: %s)", ErrUnsupported, v.Pre, strings.Join(sortedKeys(preAliases), ", "))
		}
		fam = f
		v.AddBOS = preFamilies[fam].addBOS
		if fam == "chatglm" {
			v.BOS = NoToken
		}
	default:
		return nil, fmt.Errorf("%w: tokenizer model %q (llama and gpt2 are implemented)", ErrUnsupported, v.Model)
	}
	if b, err := f.Bool("tokenizer.ggml.add_space_prefix"); err == nil {
		v.AddSpacePrefix = b
	}
	n := uint64(len(v.Tokens))
	for _, s := range []struct {
		key string
		id  *int32
	}{
		{"tokenizer.ggml.bos_token_id", &v.BOS},
		{"tokenizer.ggml.eos_token_id", &v.EOS},
		{"tokenizer.ggml.eot_token_id", &v.EOT},
		{"tokenizer.ggml.eom_token_id", &v.EOM},
		{"tokenizer.ggml.unknown_token_id", &v.UNK},
		{"tokenizer.ggml.seperator_token_id", &v.SEP},
		{"tokenizer.ggml.padding_token_id", &v.PAD},
	} {
		if *s.id >= 0 && uint64(*s.id) >= n {
			*s.id = NoToken
		}
		id, err := f.Uint(s.key)
		if err != nil || id >= n {
			continue // llama.cpp ignores out-of-range ids too
		}
		*s.id = int32(id)
	}
	if b, err := f.Bool("tokenizer.ggml.add_bos_token"); err == nil {
		v.AddBOS = b
	}
	if b, err := f.Bool("tokenizer.ggml.add_eos_token"); err == nil {
		v.AddEOS = b
	}
	return v, nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		if k != "" {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// eogTexts are the token texts llama.cpp treats as ending generation.
var eogTexts = map[string]bool{
	"<|eot_id|>": true, "<|im_end|>": true, "<|end|>": true, "<|return|>": true, "<|call|>": true,
	"<|flush|>": true, "<|calls|>": true, "<end_of_turn>": true, "<|endoftext|>": true, "</s>": true,
	"<|eom_id|>": true, "<EOT>": true, "_<EOT>": true, "[EOT]": true, "[EOS]": true,
	"<|end_of_text|>": true, "<end_of_utterance>": true, "<eos>": true, "<turn|>": true,
	"<|tool_response>": true, "<｜end▁of▁sentence｜>": true, "[e~[": true,
}

// eotTexts, in llama.cpp's order, find an end-of-turn token when the file
// names none.
var eotTexts = []string{"<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>",
	"<|end_of_text|>", "<EOT>", "_<EOT>", "[EOT]", "<｜end▁of▁sentence｜>", "<end_of_utterance>"}

var fimTexts = [][]string{
	{"<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]"},
	{"<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>"},
	{"<|file_sep|>"},
}

// New builds a tokenizer from v. v is not retained.
func New(v *Vocab) (*Tokenizer, error) {
	n := len(v.Tokens)
	if n == 0 {
		return nil, fmt.Errorf("%w: no tokens", ErrInvalid)
	}
	if n > 1<<30 {
		return nil, fmt.Errorf("%w: %d tokens", ErrInvalid, n)
	}
	t := &Tokenizer{model: v.Model, pre: v.Pre, addBOS: v.AddBOS, addEOS: v.AddEOS}
	fam := ""
	switch v.Model {
	case "llama":
		t.spm = true
		t.addSpacePrefix = v.AddSpacePrefix
		if len(v.Scores) < n {
			return nil, fmt.Errorf("%w: llama vocabulary has %d scores for %d tokens", ErrInvalid, len(v.Scores), n)
		}
		t.spmChunks = true
		for _, tok := range v.Tokens[:n] {
			if !spmSplittable(tok) {
				t.spmChunks = false
				break
			}
		}
		t.cache = newWordCache()
	case "gpt2":
		f, ok := preAliases[v.Pre]
		if !ok {
			return nil, fmt.Errorf("%w: pre-tokenizer %q", ErrUnsupported, v.Pre)
		}
		fam = f
		t.ignoreMerges = preFamilies[fam].ignoreMerges
		sp, err := buildSplitter(preFamilies[fam].patterns, false)
		if err != nil {
			return nil, err
		}
		t.split = sp
		t.cache = newWordCache()
	default:
		return nil, fmt.Errorf("%w: tokenizer model %q (llama and gpt2 are implemented)", ErrUnsupported, v.Model)
	}
	if v.Types != nil && len(v.Types) < n {
		return nil, fmt.Errorf("%w: %d token types for %d tokens", ErrInvalid, len(v.Types), n)
	}
	if v.Scores != nil && len(v.Scores) < n {
		return nil, fmt.Errorf("%w: %d scores for %d tokens", ErrInvalid, len(v.Scores), n)
	}
	t.tokens = make([]string, n)
	t.attrs = make([]attr, n)
	t.index = make(map[string]int32, n)
	if v.Scores != nil {
		t.scores = v.Scores[:n:n]
	}
	for i, s := range v.Tokens[:n] {
		if s == "" {
			s = fmt.Sprintf("[EMPTY_%d]", i)
		}
		if j, dup := t.index[s]; dup {
			return nil, fmt.Errorf("%w: duplicate token %q has ids %d and %d", ErrInvalid, s, j, i)
		}
		t.index[s] = int32(i)
		t.tokens[i] = s
		t.attrs[i] = attrNormal
		if v.Types != nil {
			t.attrs[i] = attrOf(v.Types[i])
		}
	}
	for _, s := range []struct {
		name string
		in   int32
		out  *int32
	}{
		{"BOS", v.BOS, &t.bos}, {"EOS", v.EOS, &t.eos}, {"UNK", v.UNK, &t.unk}, {"PAD", v.PAD, &t.pad},
		{"EOT", v.EOT, &t.eot}, {"EOM", v.EOM, &t.eom}, {"SEP", v.SEP, &t.sep},
	} {
		if s.in < 0 {
			*s.out = NoToken
			continue
		}
		if int(s.in) >= n {
			return nil, fmt.Errorf("%w: %s id %d is out of range (%d tokens)", ErrInvalid, s.name, s.in, n)
		}
		*s.out = s.in
	}
	if t.addBOS && t.bos < 0 {
		return nil, fmt.Errorf("%w: add_bos_token is true but there is no BOS token", ErrInvalid)
	}
	if t.addEOS && t.eos < 0 {
		return nil, fmt.Errorf("%w: add_eos_token is true but there is no EOS token", ErrInvalid)
	}
	t.deriveSpecials()
	if !t.spm {
		if err := t.buildMerges(v.Merges); err != nil {
			return nil, err
		}
	} else {
		for b := range 256 {
			t.bytePiece[b] = NoToken
			if id, ok := t.index[fmt.Sprintf("<0x%02X>", b)]; ok {
				t.bytePiece[b] = id
			} else if id, ok := t.index[string([]byte{byte(b)})]; ok {
				t.bytePiece[b] = id
			}
		}
	}
	t.buildPieces()
	return t, nil
}

// deriveSpecials finds the end-of-turn and end-of-generation tokens and the
// special-token partition order, as llama.cpp's vocabulary loader does.
func (t *Tokenizer) deriveSpecials() {
	lowest := func(texts []string) int32 {
		for _, s := range texts {
			if id, ok := t.index[s]; ok {
				return id
			}
		}
		return NoToken
	}
	markControl := func(id int32) {
		if id >= 0 {
			t.attrs[id] |= attrControl
		}
	}
	if t.eot < 0 {
		t.eot = lowest(eotTexts)
		markControl(t.eot)
	}
	if t.eom < 0 {
		t.eom = lowest([]string{"<|eom_id|>"})
		markControl(t.eom)
	}
	t.eog = map[int32]bool{}
	for _, texts := range fimTexts {
		if id := lowest(texts); id >= 0 {
			markControl(id)
			t.eog[id] = true
		}
	}
	for i, a := range t.attrs {
		if a&attrControl != 0 && a&attrUnused == 0 && strings.Contains(t.tokens[i], "unused") {
			t.attrs[i] |= attrUnused
		}
	}
	for s := range eogTexts {
		if id, ok := t.index[s]; ok {
			t.eog[id] = true
			markControl(id)
		}
	}
	for _, s := range []string{"<|channel|>", "<|message|>", "<|start|>", "<|constrain|>"} {
		if id, ok := t.index[s]; ok {
			t.attrs[id] = attrUser
		}
	}
	for _, id := range []int32{t.eos, t.eot, t.eom} {
		if id >= 0 {
			t.eog[id] = true
		}
	}
	has := func(s string) (int32, bool) {
		id, ok := t.index[s]
		return id, ok && t.eog[id]
	}
	_, hasReturn := has("<|return|>")
	_, hasCall := has("<|call|>")
	_, hasCalls := has("<|calls|>")
	_, hasFlush := has("<|flush|>")
	if end, hasEnd := has("<|end|>"); hasEnd && ((hasReturn && (hasCall || hasCalls)) || ((hasCall || hasCalls) && hasFlush)) {
		delete(t.eog, end)
		t.attrs[end] = attrUser
	}
	if s, hasS := has("</s>"); hasS {
		if _, ok := has("<|tool_response>"); ok {
			delete(t.eog, s)
			t.attrs[s] = attrNormal
		}
	}

	for i, a := range t.attrs {
		if a&(attrControl|attrUser|attrUnknown) != 0 {
			t.specials = append(t.specials, int32(i))
		}
	}
	sort.SliceStable(t.specials, func(i, j int) bool {
		return len(t.tokens[t.specials[i]]) > len(t.tokens[t.specials[j]])
	})
	root := &trieNode{}
	for _, id := range t.specials {
		root.insert(t.tokens[id], id)
	}
	for c, n := range root.next {
		t.trie[c] = n
	}
}

// trieNode is a byte trie over the special tokens' texts.
type trieNode struct {
	next map[byte]*trieNode
	id   int32 // token ending here, or -1
	leaf bool
}

func (n *trieNode) insert(s string, id int32) {
	for i := 0; i < len(s); i++ {
		if n.next == nil {
			n.next = map[byte]*trieNode{}
		}
		c, ok := n.next[s[i]]
		if !ok {
			c = &trieNode{}
			n.next[s[i]] = c
		}
		n = c
	}
	n.leaf, n.id = true, id
}

// spmSplittable reports whether every "▁" in tok is preceded only by "▁":
// then no merge can join a word to the "▁" that starts the next one.
func spmSplittable(tok string) bool {
	const sp = "▁"
	for i := 0; ; {
		j := strings.Index(tok[i:], sp)
		if j < 0 {
			return true
		}
		i += j
		if strings.Trim(tok[:i], sp) != "" {
			return false
		}
		i += len(sp)
	}
}

// byteToRune is GPT-2's mapping of bytes to printable characters.
var byteToRune, runeToByte = func() ([256]rune, map[rune]byte) {
	var b2r [256]rune
	r2b := map[rune]byte{}
	k := 0
	for b := range 256 {
		if (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF) {
			b2r[b] = rune(b)
		} else {
			b2r[b] = rune(256 + k)
			k++
		}
		r2b[b2r[b]] = byte(b)
	}
	return b2r, r2b
}()

// buildMerges interns every merge's parts and result and indexes the merges
// by the pair of ids.
func (t *Tokenizer) buildMerges(merges []string) error {
	intern := map[string]int32{}
	next := int32(len(t.tokens))
	id := func(s string) int32 {
		if x, ok := t.index[s]; ok {
			return x
		}
		if x, ok := intern[s]; ok {
			return x
		}
		intern[s] = next
		next++
		return next - 1
	}
	t.merges = make(map[uint64]merge, len(merges))
	for rank, m := range merges {
		// llama.cpp splits at the first space after the first byte
		i := strings.IndexByte(m[min(1, len(m)):], ' ')
		if i < 0 {
			continue
		}
		i += min(1, len(m))
		left, right := m[:i], m[i+1:]
		key := uint64(uint32(id(left)))<<32 | uint64(uint32(id(right)))
		if _, dup := t.merges[key]; dup {
			continue // the first (best) rank wins, as in llama.cpp's emplace
		}
		t.merges[key] = merge{rank: int32(rank), id: id(left + right)}
	}
	for b := range 256 {
		s := string(byteToRune[b])
		t.byteSym[b] = NoToken
		if x, ok := t.index[s]; ok {
			t.byteSym[b] = x
		} else if x, ok := intern[s]; ok {
			t.byteSym[b] = x
		}
	}
	return nil
}

// buildPieces computes the bytes every token produces when decoded.
func (t *Tokenizer) buildPieces() {
	t.pieces = make([][]byte, len(t.tokens))
	for i, s := range t.tokens {
		a := t.attrs[i]
		switch {
		case a&(attrControl|attrUnknown|attrUser) != 0:
			t.pieces[i] = []byte(s)
		case a&attrNormal != 0:
			if t.spm {
				t.pieces[i] = []byte(strings.ReplaceAll(s, "▁", " "))
			} else {
				t.pieces[i] = decodeGPT2(s)
			}
		case a&attrByte != 0:
			if b, ok := parseByteToken(s); ok {
				t.pieces[i] = []byte{b}
			} else if !t.spm {
				t.pieces[i] = decodeGPT2(s)
			}
		}
	}
}

// decodeGPT2 maps a byte-level BPE token's characters back to bytes; a
// character outside the mapping is kept as its UTF-8 encoding.
func decodeGPT2(s string) []byte {
	out := make([]byte, 0, len(s))
	for _, r := range s {
		if b, ok := runeToByte[r]; ok {
			out = append(out, b)
		} else {
			out = utf8.AppendRune(out, r)
		}
	}
	return out
}

func parseByteToken(s string) (byte, bool) {
	if len(s) != 6 || s[:3] != "<0x" || s[5] != '>' {
		return 0, false
	}
	var b byte
	for _, c := range []byte(s[3:5]) {
		b <<= 4
		switch {
		case c >= '0' && c <= '9':
			b |= c - '0'
		case c >= 'A' && c <= 'F':
			b |= c - 'A' + 10
		case c >= 'a' && c <= 'f':
			b |= c - 'a' + 10
		default:
			return 0, false
		}
	}
	return b, true
}
