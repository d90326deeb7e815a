// Package constrain is grammar-constrained decoding for the local runtime:
// a JSON Schema (a structured-output schema, or the union of the tool-call
// shapes of a request's tools) compiles to a grammar over bytes, and at
// each sampling step the tokens that cannot continue a valid output are
// masked, so the output always parses and validates.
//
// # Use
//
//	g, err := constrain.CompileSchema(schemaJSON, constrain.Options{})
//	// or: g, err := constrain.CompileToolCalls(tools, constrain.ToolCallOptions{Parallel: true})
//	v := constrain.NewVocab(tokenBytes, eosIDs) // once per model
//	m := g.NewMatcher()                        // once per generation
//	mask := make([]uint64, v.MaskWords())
//	for {
//		tok := sample(logits)             // unconstrained pick first
//		if !v.Allowed(m, tok) {           // fast path: usually allowed
//			mask = v.Fill(m, mask)        // full mask only on rejection
//			tok = sampleMasked(logits, mask)
//		}
//		v.Advance(m, tok)
//		if m.Ended() { break }            // EOS accepted (only when m.Done())
//	}
//
// Check-then-mask is what llama.cpp does: the sampled token is checked
// first (Allowed, tens of nanoseconds) and the full mask is built only
// when it is rejected. A sampler that needs the mask up front (top-k/top-p
// over allowed tokens only) calls Fill every step.
//
// # Quotations
//
// [Quotes] holds an output's quotations to a set of source texts rather
// than to a grammar: outside quotation marks the text is free, inside
// them ("…", “…” or 「…」) it must copy a span of a source exactly (from
// the start of a word, or whole sentences with [QuoteSentences]). A
// [QuoteState] follows the output byte by byte; [Vocab.AllowedQuoted],
// [Vocab.AdvanceQuoted] and [Vocab.FillQuoted] are the token-level
// counterparts of Allowed, Advance and Fill, used the same way:
//
//	q := constrain.NewQuotes(sourceTexts, constrain.QuoteSentences)
//	s := q.Start()
//	// per token: if !v.AllowedQuoted(&s, tok) { mask = v.FillQuoted(&s, mask); ... }
//	v.AdvanceQuoted(&s, tok)
//
// The sources are indexed once (their quotable start positions sorted by
// the text that follows), so each byte of a quotation narrows a range of
// candidates by binary search, whatever the sources' length.
//
// # Termination
//
// The grammar always leaves a way to finish: states from which no valid
// end can be reached are removed at compile time (a schema with no finite
// instance is an error), and Matcher.Remaining gives the fewest bytes that
// complete the output. It cannot force a model to stop: a map, an
// unbounded array or string, or a recursive schema can go on for ever. A
// caller with a token budget switches, once the budget is nearly spent, to
// Vocab.FillFinishing, which allows only tokens that lower Remaining (and
// EOS when Done); each step then strictly shortens the way to the end, so
// generation ends within Remaining more tokens when the vocabulary has a
// token for every byte (byte-level BPE; SentencePiece with byte fallback).
// Numbers have bounded digits (Options.MaxDigits) for the same reason.
//
// # Schema support
//
// Enforced exactly: type (and type lists; nullable: true as in OpenAPI),
// enum, const, properties with required and optional ones, emitted in
// schema order (optional ones may be skipped), additionalProperties
// (false, true or a schema; extra keys never repeat a declared one),
// unevaluatedProperties as additionalProperties, items, prefixItems,
// draft-07 tuple items with additionalItems, minItems, maxItems,
// minLength, maxLength (in characters), pattern, minimum, maximum,
// exclusiveMinimum, exclusiveMaximum (integers exactly; numbers with
// integral bounds exactly, non-integral bounds rounded inward), multipleOf
// 1, anyOf, allOf (merged keyword by keyword: types intersected,
// properties merged, required united, bounds tightened, enums intersected;
// what cannot be merged is an error), $ref to "#", "#/json/pointer",
// "#anchor" and embedded "$id" resources, with $defs/definitions and
// recursion, $ref with sibling keywords (merged as allOf), and boolean
// schemas. Annotations (title, description, default, examples, ...) and
// unknown keywords are ignored, as validators do.
//
// Relaxations, documented and sound (every output still validates):
//   - Objects that declare properties and say nothing about
//     additionalProperties get only their declared properties (as OpenAI's
//     strict mode); Options.AllowExtraProperties allows others too.
//   - Without "type", the types implied by the keywords present are used
//     (properties imply an object), else any JSON value.
//   - Strings use one canonical encoding per character where their length
//     or pattern is constrained (raw UTF-8; \" \\ \b \f \n \r \t; \u00XX
//     for other control characters), so character counts are exact; plain
//     strings accept every valid escape. \u escapes of surrogates are
//     never produced (a lone surrogate decodes to U+FFFD), so characters
//     outside the BMP are written as raw UTF-8.
//   - Numbers have at most MaxDigits (default 15) digits before and after
//     the point and an exponent of at most two digits, so every number
//     fits a float64; bounded numbers have no exponent.
//   - format: date, time, date-time (RFC 3339; February 29 and leap
//     seconds are not produced), uuid and ipv4 are enforced by patterns;
//     every other format is a plain string (format is an annotation by
//     default since draft 2019-09).
//   - oneOf is compiled as anyOf: when branches overlap, an output may
//     match more than one (as in llguidance and XGrammar); make the
//     branches disjoint (a const discriminator) to be exact.
//   - pattern is Go's RE2 syntax (the common subset of ECMA-262: classes,
//     groups, alternation, repetition, anchors at the ends of branches);
//     an unanchored pattern matches anywhere, as in the spec. Look-around,
//     back-references and anchors in the middle are errors.
//
// Errors (wrapping ErrUnsupported): not, if/then/else, propertyNames,
// dependentRequired/dependentSchemas/dependencies, contains,
// unevaluatedItems, $dynamicRef, uniqueItems (unless maxItems <= 1),
// patternProperties on objects that allow other keys, minProperties above
// the required count, maxProperties the declared properties can exceed,
// multipleOf other than 1, external $refs, both pattern and an enforced
// format. Options.Lax ignores the unenforceable keywords instead (the
// output may then violate them). Unsatisfiable schemas wrap
// ErrUnsatisfiable.
//
// Whitespace: Compact (default) allows no insignificant whitespace, since
// small models loop on it; Flexible allows up to MaxWhitespace spaces,
// tabs or newlines after { [ , : and before } ] (enum and const values are
// always written compactly, and nothing precedes or follows the value).
//
// # Vocabularies
//
// NewVocab takes each token's bytes: with the runtime's tokenizer,
//
//	tok, _ := tokenizer.FromGGUF(f)
//	bs := make([][]byte, tok.VocabSize())
//	for i := range bs {
//		bs[i] = tok.TokenBytes(int32(i)) // nil for control tokens
//	}
//	v := constrain.NewVocab(bs, tok.EOG())
//
// Byte-level BPE tokens are GPT-2's printable characters mapped back to
// bytes, SentencePiece pieces have ▁ as a space and <0xNN> as the byte.
// Tokens with no bytes are never allowed; the EOS/EOG tokens are allowed
// exactly when the matcher is Done.
//
// # How it works, and what it costs
//
// The grammar is a recursive state machine over bytes (rules of
// nondeterministic automata with call edges; $ref targets, strings and
// items are shared rules). A Matcher runs it as a set of stacks; stack
// sets are interned, and the transitions between them memoized per byte
// class in a table shared by all matchers of a Grammar, so after warm-up a
// byte costs one table lookup and a Matcher is a few words (Clone is a
// copy). The table is bounded: when full, a fresh one is started and
// matchers move to it on their next miss.
//
// Vocab holds the tokens in a trie laid out depth first; Fill walks it
// once from the matcher's state, skipping a subtree as soon as its prefix
// is rejected, and taking a whole subtree at once when every byte in it
// loops on the current state (string content). Three memoizations make
// Fill cheap in steady state (their memory is bounded, about 32 MB for a
// 150k vocabulary; Vocab.SetCacheSize tunes them):
//   - per grammar state, the finished mask;
//   - per projected state (the top frames of the stacks, without what lies
//     below), the tokens allowed whatever the context, plus the trie nodes
//     below which the context decides (a token that closes a string, say);
//     a new state whose projection is known costs a mask copy and short
//     walks under those nodes. The projection is shared by every position
//     of a plain string, every integer, ...;
//   - across grammars: projected states are keyed by a structural hash of
//     the rules involved, so the JSON string, number and literal masks
//     computed for one schema serve every later schema on the same Vocab.
//
// BenchmarkFill, BenchmarkAllowed and BenchmarkGenerate (MaskBench-like:
// masking time per token over whole generations from freshly compiled
// schemas) measure it with 32k and ~150k-token vocabularies.
//
// # Concurrency
//
// A Grammar and a Vocab are safe for concurrent use by many goroutines
// (their memo tables are lock-free to read and locked to extend). A
// Matcher is not: use one per generation, or Clone it.
package constrain
