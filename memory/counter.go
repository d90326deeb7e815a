package memory

import (
	"unicode"
	"unicode/utf8"
	"unsafe"

	"github.com/plait-ai/plait/llm"
)

// Counter counts the tokens of a text. [Estimator] estimates them for any
// model; [TokenizerCounter] counts exactly with a model's own tokenizer.
// Implementations must be safe for concurrent use.
type Counter interface {
	Count(text string) int
}

// MessageCounter is implemented by counters that count a whole message
// themselves (a chat template's exact overhead, say). [CountMessage] uses
// it when a Counter has it.
type MessageCounter interface {
	CountMessage(m llm.Message) int
}

// Per-message costs beyond the text, as chat templates spend them: the role
// and the markers around each message, and around each tool call.
const (
	MessageOverhead  = 4
	ToolCallOverhead = 3
)

// CountMessage returns the tokens m takes in a prompt: its content, its
// tool calls (name and arguments), its tool-call id and name, and
// [MessageOverhead]. Reasoning is not counted: backends do not send it back
// to the model. A nil c counts with the default [Estimator].
func CountMessage(c Counter, m llm.Message) int {
	if c == nil {
		c = Estimator{}
	}
	if mc, ok := c.(MessageCounter); ok {
		return mc.CountMessage(m)
	}
	n := MessageOverhead + c.Count(m.Content)
	if m.Name != "" {
		n += c.Count(m.Name)
	}
	if m.ToolCallID != "" {
		n += c.Count(m.ToolCallID)
	}
	for _, tc := range m.ToolCalls {
		n += ToolCallOverhead + c.Count(tc.Name) + c.Count(tc.ID)
		if len(tc.Arguments) > 0 {
			// Read-only view of the arguments: no copy.
			n += c.Count(unsafe.String(&tc.Arguments[0], len(tc.Arguments)))
		}
	}
	return n
}

// CountMessages returns the sum of [CountMessage] over msgs.
func CountMessages(c Counter, msgs []llm.Message) int {
	n := 0
	for _, m := range msgs {
		n += CountMessage(c, m)
	}
	return n
}

// CounterFunc adapts a function to a Counter.
type CounterFunc func(text string) int

// Count implements Counter.
func (f CounterFunc) Count(text string) int { return f(text) }

// Tokenizer is a model's own tokenizer, as the local runtime has it: Encode
// returns the token ids of text, without BOS/EOS when addSpecial is false,
// and without parsing special-token text when parseSpecial is false. Any
// tokenizer with another signature can be adapted with [CounterFunc].
type Tokenizer interface {
	Encode(text string, addSpecial, parseSpecial bool) []int32
}

// TokenizerCounter returns a Counter that counts exactly with t: the ids of
// the text alone, without special tokens (the per-message overhead accounts
// for the template around it). It is safe for concurrent use when t is.
func TokenizerCounter(t Tokenizer) Counter { return tokenizerCounter{t} }

type tokenizerCounter struct{ t Tokenizer }

func (c tokenizerCounter) Count(text string) int {
	if text == "" {
		return 0
	}
	return len(c.t.Encode(text, false, false))
}

// Estimator estimates token counts without a tokenizer, by kind of
// character: Latin words by length, Chinese, Japanese and Korean characters
// one by one, digits in groups, punctuation and symbols one by one, runs of
// whitespace. Its weights are calibrated on the byte-level BPE and
// SentencePiece vocabularies of GPT-2, Llama and DeepSeek (see the
// package tests: the aggregate error on their test vectors stays within
// ±25%). It is meant for budgets, not billing: leave a margin.
//
// The zero value uses the default weights; set fields to override them
// (each is in tokens). An Estimator is safe for concurrent use.
type Estimator struct {
	// Word is the cost of a short Latin word (up to 4 letters); WordChar is
	// added for each letter beyond the fourth. Defaults 1 and 0.2: an
	// average English word costs about 1.2 tokens, punctuation aside.
	Word, WordChar float64
	// CJK is the cost of one Han, kana or Hangul character. Default 1.
	CJK float64
	// Digit is the cost of one digit (a run costs at least one token).
	// Default 0.75: most vocabularies split numbers into single digits,
	// some into groups of up to 3.
	Digit float64
	// Punct is the cost of one ASCII punctuation or symbol character.
	// Default 1 (0.5 for each repeat of the same character).
	Punct float64
	// Space is the cost of each whitespace character beyond a single space
	// before a word. Default 0.5. A line break costs twice as much.
	Space float64
	// Letter is the cost of one letter of another alphabet (Cyrillic,
	// Greek, Armenian, Hebrew, Arabic, ...); each such word costs half a
	// token more. Default 0.5.
	Letter float64
	// Complex is the cost of each UTF-8 byte after the first of an
	// accented Latin letter, or of a letter or mark of an abugida
	// (Devanagari, Thai, Khmer, ...): most vocabularies split these into
	// bytes or small pieces. Default 1 (é: 1 token, ệ or ក: 2).
	Complex float64
	// Symbol is the cost of a character outside the above (emoji, rare
	// symbols). Default 2: byte-level tokenizers spend several tokens.
	Symbol float64
}

// Default weights, in thousandths of a token.
const (
	defWord     = 1000
	defWordChar = 200
	defCJK      = 1000
	defDigit    = 750
	defPunct    = 1000
	defSpace    = 500
	defLetter   = 500
	defComplex  = 1000
	defSymbol   = 2000
)

type weights struct {
	word, wordChar, cjk, digit, punct, space, letter, complex, symbol int
}

func milli(v float64, def int) int {
	if v <= 0 {
		return def
	}
	return int(v*1000 + 0.5)
}

func (e Estimator) weights() weights {
	return weights{
		word:     milli(e.Word, defWord),
		wordChar: milli(e.WordChar, defWordChar),
		cjk:      milli(e.CJK, defCJK),
		digit:    milli(e.Digit, defDigit),
		punct:    milli(e.Punct, defPunct),
		space:    milli(e.Space, defSpace),
		letter:   milli(e.Letter, defLetter),
		complex:  milli(e.Complex, defComplex),
		symbol:   milli(e.Symbol, defSymbol),
	}
}

// ASCII classes.
const (
	cOther = iota
	cLetter
	cDigit
	cSpace
	cNewline
	cPunct
)

var asciiClass = func() (t [128]uint8) {
	for i := range t {
		c := byte(i)
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
			t[i] = cLetter
		case c >= '0' && c <= '9':
			t[i] = cDigit
		case c == ' ', c == '\t', c == '\r', c == '\v', c == '\f':
			t[i] = cSpace
		case c == '\n':
			t[i] = cNewline
		case c > ' ' && c < 0x7f:
			t[i] = cPunct
		default:
			t[i] = cOther
		}
	}
	return t
}()

// Count implements Counter. It allocates nothing.
func (e Estimator) Count(s string) int {
	if s == "" {
		return 0
	}
	w := e.weights()
	total := 0    // thousandths of a token
	wordLen := 0  // letters in the current Latin word
	digits := 0   // digits in the current run
	var last byte // previous ASCII punctuation, for repeats
	prevSpace := false
	alpha := false // inside a word of another alphabet
	flushWord := func() {
		if wordLen > 0 {
			total += w.word
			if wordLen > 4 {
				total += (wordLen - 4) * w.wordChar
			}
			wordLen = 0
		}
	}
	flushDigits := func() {
		if digits > 0 {
			d := digits * w.digit
			if d < 1000 {
				d = 1000
			}
			total += d
			digits = 0
		}
	}
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			i++
			alpha = false
			switch asciiClass[b] {
			case cLetter:
				if digits > 0 {
					flushDigits()
				}
				// The rest of the ASCII word in one go.
				j := i
				for j < len(s) && s[j] < utf8.RuneSelf && asciiClass[s[j]] == cLetter {
					j++
				}
				wordLen += 1 + j - i
				i = j
				last = 0
				prevSpace = false
				continue
			case cDigit:
				flushWord()
				digits++
				last = 0
				prevSpace = false
				continue
			case cSpace:
				flushWord()
				flushDigits()
				last = 0
				// A single space joins the next word's token; more cost.
				if prevSpace || b != ' ' {
					total += w.space
				}
				prevSpace = true
				continue
			case cNewline:
				flushWord()
				flushDigits()
				last = 0
				total += 2 * w.space
				prevSpace = true
				continue
			case cPunct:
				flushWord()
				flushDigits()
				if b == last {
					total += w.punct / 2
				} else {
					total += w.punct
				}
				last = b
				prevSpace = false
				continue
			default:
				flushWord()
				flushDigits()
				total += w.symbol
				last = 0
				prevSpace = false
				continue
			}
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		last = 0
		prevSpace = false
		if r != utf8.RuneError && !unicode.IsLetter(r) && !unicode.Is(unicode.M, r) {
			alpha = false
		}
		switch {
		case isCJK(r):
			flushWord()
			flushDigits()
			total += w.cjk
		case isComplex(r):
			// Accented Latin and abugidas: vocabularies split these
			// into bytes or pieces. An accented letter continues a word.
			flushDigits()
			total += w.complex * (size - 1)
		case unicode.IsLetter(r), unicode.Is(unicode.M, r):
			// A letter of another alphabet: whole words of the common
			// ones are in most vocabularies, pieces of the rest.
			flushWord()
			flushDigits()
			if !alpha {
				total += w.word / 2
				alpha = true
			}
			total += w.letter
		case unicode.IsDigit(r):
			flushWord()
			digits++
		case unicode.IsSpace(r):
			flushWord()
			flushDigits()
			total += w.space
			prevSpace = true
		case r == 0x200d || (r >= 0xfe00 && r <= 0xfe0f):
			// Zero-width joiner, variation selectors: parts of emoji.
			total += w.symbol / 2
		default:
			flushWord()
			flushDigits()
			total += w.symbol
		}
	}
	flushWord()
	flushDigits()
	n := (total + 500) / 1000
	if n == 0 {
		n = 1
	}
	return n
}

// isComplex reports accented Latin letters and the letters and marks of
// abugidas and other scripts most vocabularies split into pieces.
func isComplex(r rune) bool {
	switch {
	case r >= 0x00c0 && r <= 0x024f && r != 0xd7 && r != 0xf7, // Latin-1 letters, Latin Extended-A/B
		r >= 0x1e00 && r <= 0x1eff, // Latin Extended Additional (Vietnamese)
		r >= 0x0900 && r <= 0x0dff, // Indic
		r >= 0x0e00 && r <= 0x0fff, // Thai, Lao, Tibetan
		r >= 0x1000 && r <= 0x109f, // Myanmar
		r >= 0x1780 && r <= 0x17ff, // Khmer
		r >= 0x1200 && r <= 0x139f: // Ethiopic
		return true
	}
	return false
}

// isCJK reports Han ideographs, kana, Hangul, bopomofo, CJK punctuation and
// full-width forms.
func isCJK(r rune) bool {
	switch {
	case r >= 0x2e80 && r <= 0x2fdf, // radicals
		r >= 0x3000 && r <= 0x303f,   // CJK symbols and punctuation
		r >= 0x3040 && r <= 0x30ff,   // hiragana, katakana
		r >= 0x3100 && r <= 0x31ff,   // bopomofo, kanbun, katakana ext
		r >= 0x3400 && r <= 0x4dbf,   // ext A
		r >= 0x4e00 && r <= 0x9fff,   // unified
		r >= 0xac00 && r <= 0xd7af,   // Hangul syllables
		r >= 0x1100 && r <= 0x11ff,   // Hangul jamo
		r >= 0x3130 && r <= 0x318f,   // Hangul compatibility jamo
		r >= 0xf900 && r <= 0xfaff,   // compatibility ideographs
		r >= 0xff00 && r <= 0xffef,   // full-width forms
		r >= 0x20000 && r <= 0x3134f: // ext B..G
		return true
	}
	return false
}
