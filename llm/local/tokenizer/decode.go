package tokenizer

import (
	"unicode/utf8"
)

// TokenBytes returns the bytes token id adds to decoded text: a normal
// token's text (with "▁" as a space, or GPT-2's byte characters mapped back
// to bytes), a byte token's byte, a user-defined token's text. Control and
// unknown tokens produce nothing (nil), as do ids out of range. The slice is
// shared: do not modify it.
func (t *Tokenizer) TokenBytes(id int32) []byte {
	if !t.valid(id) || t.attrs[id]&(attrControl|attrUnknown) != 0 {
		return nil
	}
	return t.pieces[id]
}

// specialBytes is TokenBytes, with control and unknown tokens rendered as
// their text.
func (t *Tokenizer) specialBytes(id int32) []byte {
	if !t.valid(id) {
		return nil
	}
	return t.pieces[id]
}

// Decode returns the text of ids, byte for byte: the concatenation of
// TokenBytes, except that for vocabularies that put a space before the text
// (llama, AddSpacePrefix) the space the first text token starts with is
// removed, so Decode(Encode(x, ...)) == x. Control tokens produce nothing.
// llama.cpp's clean-up of spaces before punctuation (clean_spaces) is not
// applied: it loses bytes.
// Use a [Decoder] to decode a stream of tokens.
func (t *Tokenizer) Decode(ids []int32) string {
	return t.Detokenize(ids, false)
}

// Detokenize is Decode, rendering control and unknown tokens as their text
// when special is true.
func (t *Tokenizer) Detokenize(ids []int32, special bool) string {
	var out []byte
	strip := t.addSpacePrefix
	for _, id := range ids {
		var b []byte
		if special {
			b = t.specialBytes(id)
		} else {
			b = t.TokenBytes(id)
		}
		if strip && !t.IsControl(id) {
			strip = false
			if len(b) > 0 && b[0] == ' ' {
				b = b[1:]
			}
		}
		out = append(out, b...)
	}
	return string(out)
}

// Decoder decodes tokens one at a time, for streaming output. Next returns
// text only once its UTF-8 characters are complete: the bytes of a
// character split across tokens are held back until the rest arrives.
// The concatenation of everything Next and Flush return equals the
// tokenizer's Detokenize(ids, Special) except that the leading space is
// never removed. A Decoder is not safe for concurrent use.
type Decoder struct {
	t       *Tokenizer
	pending []byte
	// Special renders control tokens as their text.
	Special bool
}

// NewDecoder returns a streaming decoder.
func (t *Tokenizer) NewDecoder() *Decoder { return &Decoder{t: t} }

// Next adds token id and returns the text that is now complete.
func (d *Decoder) Next(id int32) string {
	var b []byte
	if d.Special {
		b = d.t.specialBytes(id)
	} else {
		b = d.t.TokenBytes(id)
	}
	d.pending = append(d.pending, b...)
	cut := len(d.pending)
	// Hold back an incomplete (but so far valid) character at the end.
	for i := len(d.pending) - 1; i >= 0 && i >= len(d.pending)-utf8.UTFMax; i-- {
		c := d.pending[i]
		if c&0xC0 == 0x80 {
			continue // continuation byte
		}
		if !utf8.FullRune(d.pending[i:]) {
			cut = i
		}
		break
	}
	out := string(d.pending[:cut])
	d.pending = append(d.pending[:0], d.pending[cut:]...)
	return out
}

// Pending reports whether bytes are held back.
func (d *Decoder) Pending() bool { return len(d.pending) > 0 }

// Flush returns the bytes held back (an incomplete character) and resets
// the decoder.
func (d *Decoder) Flush() string {
	out := string(d.pending)
	d.pending = d.pending[:0]
	return out
}
