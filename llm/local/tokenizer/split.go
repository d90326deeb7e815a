package tokenizer

import (
	"fmt"
	"unicode"
	"unicode/utf8"

	"github.com/dlclark/regexp2/v2"
)

// Pre-tokenization splits text into words before BPE merges, the way
// llama.cpp's unicode_regex_split does: a chain of stages, each splitting
// every fragment the previous stage produced into the pieces its pattern
// matches and the gaps between them. Each stage is a hand-written scanner
// (for the common patterns: GPT-2, Llama 3, Qwen 2, single digits) or a
// backtracking regular expression (github.com/dlclark/regexp2) for the
// look-ahead patterns Go's regexp cannot express. Character classes follow
// Go's unicode tables.

// stage splits the fragment s (valid UTF-8) and appends the end offset of
// every piece, plus base, to dst.
type stage interface {
	split(s string, base int, dst []int) []int
}

// character classes of a code point, as llama.cpp's unicode_cpt_flags uses
// them.
const (
	clLetter = 1 << iota
	clNumber
	clSpace
)

var asciiClass [128]uint8

func init() {
	for c := 0; c < 128; c++ {
		asciiClass[c] = classOfSlow(rune(c))
	}
}

func classOfSlow(r rune) uint8 {
	var c uint8
	if unicode.IsLetter(r) {
		c |= clLetter
	}
	if unicode.IsNumber(r) {
		c |= clNumber
	}
	if unicode.IsSpace(r) {
		c |= clSpace
	}
	return c
}

func classOf(r rune) uint8 {
	if r < 128 {
		return asciiClass[r]
	}
	return classOfSlow(r)
}

// at decodes the code point at byte i of s and returns it, its size and
// its class. Past the end it returns size 0 and class 0.
func at(s string, i int) (rune, int, uint8) {
	if i >= len(s) {
		return -1, 0, 0
	}
	if c := s[i]; c < utf8.RuneSelf {
		return rune(c), 1, asciiClass[c]
	}
	r, n := utf8.DecodeRuneInString(s[i:])
	return r, n, classOfSlow(r)
}

// gpt2Scanner implements
//
//	's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//
// as llama.cpp's unicode_regex_split_custom_gpt2 does.
type gpt2Scanner struct{}

func (gpt2Scanner) split(s string, base int, dst []int) []int {
	n := len(s)
	pos := 0
	for pos < n {
		c := s[pos]
		if c == '\'' && pos+1 < n {
			c1 := s[pos+1]
			if c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd' {
				pos += 2
				dst = append(dst, base+pos)
				continue
			}
			if pos+2 < n {
				c2 := s[pos+2]
				if (c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l') {
					pos += 3
					dst = append(dst, base+pos)
					continue
				}
			}
		}
		_, size, cl := at(s, pos)
		p := pos
		if c == ' ' {
			p++
			_, _, cl = at(s, p)
			if p >= n {
				cl = 0
			}
		}
		switch {
		case cl&clLetter != 0:
			p = skipWhile(s, p, clLetter)
			pos = p
			dst = append(dst, base+pos)
			continue
		case cl&clNumber != 0:
			p = skipWhile(s, p, clNumber)
			pos = p
			dst = append(dst, base+pos)
			continue
		case p < n && cl&(clLetter|clNumber|clSpace) == 0:
			p = skipOther(s, p)
			pos = p
			dst = append(dst, base+pos)
			continue
		}
		// whitespace
		end, count := pos, 0
		var lastSize int
		for end < n {
			_, sz, cl := at(s, end)
			if cl&clSpace == 0 {
				break
			}
			end += sz
			lastSize = sz
			count++
		}
		switch {
		case count > 1 && end < n:
			pos = end - lastSize
		case count > 0:
			pos = end
		default:
			pos += size
		}
		dst = append(dst, base+pos)
	}
	return dst
}

// skipWhile advances past code points with any bit of class set.
func skipWhile(s string, p int, class uint8) int {
	for p < len(s) {
		_, sz, cl := at(s, p)
		if cl&class == 0 {
			break
		}
		p += sz
	}
	return p
}

// skipOther advances past code points that are neither letters, numbers
// nor white space.
func skipOther(s string, p int) int {
	for p < len(s) {
		_, sz, cl := at(s, p)
		if cl&(clLetter|clNumber|clSpace) != 0 {
			break
		}
		p += sz
	}
	return p
}

// llama3Scanner implements
//
//	(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,D}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
//
// with D = maxDigits: 3 for Llama 3, 1 for Qwen 2 (whose pattern has \p{N}),
// as llama.cpp's unicode_regex_split_custom_llama3 does.
type llama3Scanner struct{ maxDigits int }

func lower(c byte) byte { return c | 0x20 }

func (sc llama3Scanner) split(s string, base int, dst []int) []int {
	n := len(s)
	pos := 0
	for pos < n {
		c := s[pos]
		if c == '\'' && pos+1 < n {
			c1 := lower(s[pos+1])
			if c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd' {
				pos += 2
				dst = append(dst, base+pos)
				continue
			}
			if pos+2 < n {
				c2 := lower(s[pos+2])
				if (c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l') {
					pos += 3
					dst = append(dst, base+pos)
					continue
				}
			}
		}
		_, size, cl := at(s, pos)
		// [^\r\n\p{L}\p{N}]?\p{L}+
		if c != '\r' && c != '\n' && cl&clNumber == 0 {
			_, _, next := at(s, pos+size)
			if cl&clLetter != 0 || next&clLetter != 0 {
				pos = skipWhile(s, pos+size, clLetter)
				dst = append(dst, base+pos)
				continue
			}
		}
		// \p{N}{1,D}
		if cl&clNumber != 0 {
			k := 0
			for pos < n {
				_, sz, cl := at(s, pos)
				if cl&clNumber == 0 {
					break
				}
				pos += sz
				k++
				if k == sc.maxDigits {
					dst = append(dst, base+pos)
					k = 0
				}
			}
			if k > 0 {
				dst = append(dst, base+pos)
			}
			continue
		}
		//  ?[^\s\p{L}\p{N}]+[\r\n]*
		p, cl2 := pos, cl
		if c == ' ' {
			p++
			_, _, cl2 = at(s, p)
		}
		if cl2&(clLetter|clNumber|clSpace) == 0 {
			p = skipOther(s, p)
			for p < n && (s[p] == '\r' || s[p] == '\n') {
				p++
			}
			pos = p
			dst = append(dst, base+pos)
			continue
		}
		// white space
		end, count, lastNL := pos, 0, -1
		var lastSize int
		for end < n {
			r, sz, cl := at(s, end)
			if cl&clSpace == 0 {
				break
			}
			end += sz
			lastSize = sz
			count++
			if r == '\r' || r == '\n' {
				lastNL = end
			}
		}
		switch {
		case lastNL >= 0: // \s*[\r\n]+
			pos = lastNL
		case count > 1 && end < n: // \s+(?!\S)
			pos = end - lastSize
		case count > 0: // \s+
			pos = end
		default:
			pos += size
		}
		dst = append(dst, base+pos)
	}
	return dst
}

// regexStage splits with a backtracking regular expression.
type regexStage struct {
	re *regexp2.Regexp
}

func newRegexStage(pattern string) (regexStage, error) {
	re, err := regexp2.Compile(pattern, regexp2.None, regexp2.OptionMaxBacktrackingStackSize(-1))
	if err != nil {
		return regexStage{}, fmt.Errorf("tokenizer: compiling pre-tokenizer pattern %q: %w", pattern, err)
	}
	return regexStage{re: re}, nil
}

func (st regexStage) split(s string, base int, dst []int) []int {
	prev := 0
	m, err := st.re.FindStringMatch(s)
	for m != nil && err == nil {
		i, l := m.ByteRange()
		if i > prev {
			dst = append(dst, base+i)
		}
		if l > 0 {
			dst = append(dst, base+i+l)
		}
		prev = i + l
		m, err = st.re.FindNextMatch(m)
	}
	if prev < len(s) {
		dst = append(dst, base+len(s))
	}
	return dst
}

// splitter is a chain of stages.
type splitter []stage

// split returns the end offsets of the words of text.
func (sp splitter) split(text string, buf, tmp []int) []int {
	ends := append(buf[:0], len(text))
	if len(text) == 0 {
		return ends[:0]
	}
	for _, st := range sp {
		next := tmp[:0]
		start := 0
		for _, end := range ends {
			next = st.split(text[start:end], start, next)
			start = end
		}
		ends, tmp = next, ends
	}
	return ends
}

// Pre-tokenizer patterns, from llama.cpp's llama-vocab.cpp.
const (
	patGPT2   = `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)`
	patLlama3 = `(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	patQwen2  = `(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	patDigit  = `\p{N}`
)

// preTokenizer describes one family of pre-tokenizers.
type preTokenizer struct {
	patterns     []string
	addBOS       bool // llama.cpp sets add_bos for this family
	ignoreMerges bool // a word that is a whole token is not merged
}

var preFamilies = map[string]preTokenizer{
	"gpt2":      {patterns: []string{patGPT2}},
	"llama3":    {patterns: []string{patLlama3}, addBOS: true, ignoreMerges: true},
	"dbrx":      {patterns: []string{patLlama3}},
	"qwen2":     {patterns: []string{patQwen2}},
	"qwen2c":    {patterns: []string{patQwen2}},
	"smollm":    {patterns: []string{patDigit, patGPT2}},
	"starcoder": {patterns: []string{patDigit, patGPT2}},
	"deepseek-llm": {patterns: []string{
		"[\r\n]",
		"\\s?[A-Za-z\u00B5\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u01BA\u01BC-\u01BF\u01C4-\u0293\u0295-\u02AF\u0370-\u0373\u0376\u0377\u037B-\u037D\u037F\u0386\u0388-\u038A\u038C\u038E-\u03A1\u03A3-\u03F5\u03F7-\u0481\u048A-\u052F\u0531-\u0556\u10A0-\u10C5\u13A0-\u13F5\u13F8-\u13FD\u1C90-\u1CBA\u1CBD-\u1CBF\u1D00-\u1D2B\u1D6B-\u1D77\u1D79-\u1D9A\u1E00-\u1F15\u1F18-\u1F1D\u1F20-\u1F45\u1F48-\u1F4D\u1F50-\u1F57\u1F59\u1F5B\u1F5D\u1F5F-\u1F7D\u1F80-\u1FB4\u1FB6-\u1FBC\u1FBE\u1FC2-\u1FC4\u1FC6-\u1FCC\u1FD0-\u1FD3\u1FD6-\u1FDB\u1FE0-\u1FEC\u1FF2-\u1FF4\u1FF6-\u1FFC\u2102\u2107\u210A-\u2113\u2115\u2119-\u211D\u2124\u2126\u2128\u212A-\u212D\u212F-\u2134\u2139\u213C-\u213F\u2145-\u2149\u214E\u2183\u2184\u2C00-\u2C7B\u2C7E-\u2CE4\u2CEB-\u2CEE\u2CF2\u2CF3\uA640-\uA66D\uA680-\uA69B\uA722-\uA76F\uA771-\uA787\uA78B-\uA78E\uAB70-\uABBF\uFB00-\uFB06\uFB13-\uFB17\uFF21-\uFF3A\uFF41-\uFF5A\U00010400-\U0001044F\U000104B0-\U000104D3\U000104D8-\U000104FB\U00010C80-\U00010CB2\U00010CC0-\U00010CF2\U000118A0-\U000118DF\U0001E900-\U0001E943]+",
		`\s?[!-/:-~！-／：-～‘-‟　-。]+`,
		`\s+\z`,
		`[一-龥ࠀ-一가-퟿]+`,
		`\p{N}+`,
	}},
	"deepseek-coder": {patterns: []string{
		"[\r\n]",
		`\s?\p{L}+`,
		`\s?\p{P}+`,
		`[一-龥ࠀ-一가-퟿]+`,
		`\p{N}`,
	}},
	"deepseek-v3": {patterns: []string{
		`\p{N}{1,3}`,
		`[一-龥぀-ゟ゠-ヿ]+`,
		"[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+",
	}},
	"falcon": {patterns: []string{
		`[\p{P}\$\+<=>\^~\|]+`,
		patGPT2,
		`[0-9][0-9][0-9]`,
	}},
	"bloom":  {patterns: []string{` ?[^(\s|.,!?…。，、।۔،)]+`}},
	"poro":   {patterns: []string{` ?[^(\s|.,!?…。，、।۔،)]+`}},
	"viking": {patterns: []string{` ?[^(\s|.,!?…。，、।۔،)]+`, patDigit}},
	"gpt-4o": {patterns: []string{
		`[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))*((?=[\p{L}])([^A-Z]))+(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))+((?=[\p{L}])([^A-Z]))*(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`,
	}},
	"tekken": {patterns: []string{
		`[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))*((?=[\p{L}])([^A-Z]))+|[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))+((?=[\p{L}])([^A-Z]))*|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`,
	}, addBOS: true, ignoreMerges: true},
	"chatglm": {patterns: []string{patLlama3}},
	"default": {patterns: []string{
		`[\p{P}\$\+<=>\^~\|]+`,
		patGPT2,
		`\p{N}+`,
		`[0-9][0-9][0-9]`,
	}},
}

// preAliases maps tokenizer.ggml.pre values to the family that implements
// them, as llama.cpp's llama_vocab::impl::load does.
var preAliases = map[string]string{
	"": "default", "default": "default",
	"gpt-2": "gpt2", "phi-2": "gpt2", "jina-es": "gpt2", "jina-de": "gpt2", "gigachat": "gpt2",
	"jina-v2-es": "gpt2", "jina-v2-de": "gpt2", "a.x-4.0": "gpt2", "mellum": "gpt2", "modern-bert": "gpt2",
	"jina-v1-en": "gpt2", "jina-v2-code": "gpt2", "roberta-bpe": "gpt2", "mpt": "gpt2", "olmo": "gpt2",
	"jais": "gpt2", "exaone4": "gpt2",
	"llama3": "llama3", "llama-v3": "llama3", "llama-bpe": "llama3", "falcon3": "llama3",
	"falcon-h1": "llama3", "pixtral": "llama3", "midm-2.0": "llama3", "lfm2": "llama3", "jina-v5-nano": "llama3",
	"dbrx": "dbrx", "smaug-bpe": "dbrx",
	"qwen2": "qwen2", "deepseek-r1-qwen": "qwen2", "kormo": "qwen2", "f2llmv2": "qwen2",
	"hunyuan": "qwen2", "solar-open": "qwen2",
	"megrez": "qwen2c", "stablelm2": "qwen2c",
	"smollm": "smollm", "command-r": "smollm",
	"starcoder": "starcoder", "refact": "starcoder", "codeshell": "starcoder", "exaone": "starcoder",
	"minerva-7b": "starcoder", "mellum2": "starcoder",
	"deepseek-llm":   "deepseek-llm",
	"deepseek-coder": "deepseek-coder",
	"deepseek-v3":    "deepseek-v3", "hunyuan-dense": "deepseek-v3", "joyai-llm": "deepseek-v3",
	"falcon": "falcon",
	"bloom":  "bloom", "gpt3-finnish": "bloom",
	"poro-chat": "poro",
	"viking":    "viking",
	"gpt-4o":    "gpt-4o", "llama4": "gpt-4o", "kanana2": "gpt-4o", "minimax-m2": "gpt-4o",
	"tekken":      "tekken",
	"chatglm-bpe": "chatglm", "glm4": "chatglm",
}

// PreTokenizers returns the tokenizer.ggml.pre values this package knows.
func PreTokenizers() []string {
	out := make([]string, 0, len(preAliases))
	for k := range preAliases {
		if k != "" {
			out = append(out, k)
		}
	}
	return out
}

// buildSplitter compiles a chain of patterns, using the hand-written
// scanners where one implements the pattern unless regexOnly is set (tests
// and benchmarks compare the scanners against regexp2).
func buildSplitter(patterns []string, regexOnly bool) (splitter, error) {
	var sp splitter
	for _, p := range patterns {
		if !regexOnly {
			if st, ok := simpleStage(p); ok {
				sp = append(sp, st)
				continue
			}
		}
		st, err := newRegexStage(p)
		if err != nil {
			return nil, err
		}
		sp = append(sp, st)
	}
	return sp, nil
}
