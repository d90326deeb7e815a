// Package sample chooses the next token from a model's logits: greedy,
// temperature, top-k, top-p, min-p, and repetition, presence and frequency
// penalties, with a seed that makes runs reproducible. It also finds stop
// strings in streamed text.
//
// The order of operations follows llama.cpp's default sampler chain:
// penalties, top-k, top-p, min-p, temperature, then a draw.
package sample

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
)

// Params configures a Sampler. The zero value is greedy decoding with no
// penalties.
type Params struct {
	// Temperature scales logits; 0 or less is greedy (argmax).
	Temperature float32
	// TopK keeps the K most likely tokens; 0 keeps all.
	TopK int
	// TopP keeps the smallest set of tokens whose probabilities add up to
	// at least P; 0 or 1 keeps all.
	TopP float32
	// MinP drops tokens less likely than MinP times the most likely one.
	MinP float32
	// RepeatPenalty divides positive logits (multiplies negative ones) of
	// tokens seen in the last RepeatLastN tokens; 0 or 1 is off.
	RepeatPenalty float32
	// RepeatLastN is how many recent tokens the penalties look at; 0 means
	// 64, a negative value the whole history.
	RepeatLastN int
	// PresencePenalty is subtracted once from the logit of every token seen.
	PresencePenalty float32
	// FrequencyPenalty is subtracted from a token's logit once per time it
	// was seen.
	FrequencyPenalty float32
	// Seed seeds the random draws; runs with the same seed, model and
	// prompt produce the same tokens.
	Seed uint64
}

// Sampler picks tokens. It keeps the history the penalties need. It is not
// safe for concurrent use: use one per generation.
type Sampler struct {
	p       Params
	rng     *rand.Rand
	history []int32
	counts  map[int32]int
	cand    []cand
	probs   []float32
}

// New returns a sampler with params p.
func New(p Params) *Sampler {
	if p.RepeatLastN == 0 {
		p.RepeatLastN = 64
	}
	return &Sampler{p: p, rng: rand.New(rand.NewPCG(p.Seed, p.Seed^0x9e3779b97f4a7c15)), counts: map[int32]int{}}
}

// Accept records a token as generated (or as part of the prompt, for the
// penalties' window).
func (s *Sampler) Accept(tok int32) { s.history = append(s.history, tok) }

// Reset clears the history.
func (s *Sampler) Reset() { s.history = s.history[:0] }

func (s *Sampler) penalize(logits []float32) {
	p := s.p
	if (p.RepeatPenalty == 0 || p.RepeatPenalty == 1) && p.PresencePenalty == 0 && p.FrequencyPenalty == 0 {
		return
	}
	window := s.history
	if p.RepeatLastN > 0 && len(window) > p.RepeatLastN {
		window = window[len(window)-p.RepeatLastN:]
	}
	clear(s.counts)
	for _, t := range window {
		if t >= 0 && int(t) < len(logits) {
			s.counts[t]++
		}
	}
	for t, n := range s.counts {
		l := logits[t]
		if p.RepeatPenalty != 0 && p.RepeatPenalty != 1 {
			if l > 0 {
				l /= p.RepeatPenalty
			} else {
				l *= p.RepeatPenalty
			}
		}
		l -= float32(n)*p.FrequencyPenalty + p.PresencePenalty
		logits[t] = l
	}
}

// Sample returns the next token for logits, which it may modify. Tokens
// whose logit is -Inf (masked) are never chosen unless every token is.
func (s *Sampler) Sample(logits []float32) int32 {
	s.penalize(logits)
	if s.p.Temperature <= 0 {
		return Argmax(logits)
	}
	maxL := float32(math.Inf(-1))
	for _, l := range logits {
		if l > maxL {
			maxL = l
		}
	}
	if math.IsInf(float64(maxL), -1) {
		return Argmax(logits)
	}
	topP := float64(s.p.TopP)
	usesTopP := topP > 0 && topP < 1
	var kept []cand
	switch {
	case s.p.TopK > 0 && s.p.TopK < len(logits):
		kept = s.topK(logits, s.p.TopK)
		if usesTopP {
			kept = cutTopP(kept, maxL, topP)
		}
	case usesTopP:
		kept = s.nucleus(logits, maxL, topP)
	default:
		kept = s.cand[:0]
		for i, l := range logits {
			if l > float32(math.Inf(-1)) {
				kept = append(kept, cand{int32(i), l})
			}
		}
		s.cand = kept
	}
	if s.p.MinP > 0 {
		thresh := maxL + float32(math.Log(float64(s.p.MinP)))
		n := 0
		for _, c := range kept {
			if c.logit >= thresh {
				kept[n] = c
				n++
			}
		}
		kept = kept[:n]
	}
	// Temperature, then a draw.
	inv := 1 / s.p.Temperature
	if cap(s.probs) < len(kept) {
		s.probs = make([]float32, len(kept))
	}
	probs := s.probs[:len(kept)]
	var sum float64
	for i, c := range kept {
		e := math.Exp(float64((c.logit - maxL) * inv))
		probs[i] = float32(e)
		sum += e
	}
	r := s.rng.Float64() * sum
	for i := range kept {
		r -= float64(probs[i])
		if r <= 0 {
			return kept[i].id
		}
	}
	return kept[len(kept)-1].id
}

// topK returns the k largest logits in descending order, with a size-k
// min-heap: O(n log k), no sort of the whole vocabulary.
func (s *Sampler) topK(logits []float32, k int) []cand {
	h := s.cand[:0]
	for i, l := range logits {
		if math.IsInf(float64(l), -1) || l != l {
			continue
		}
		c := cand{int32(i), l}
		if len(h) < k {
			h = append(h, c)
			up(h, len(h)-1)
		} else if less(h[0], c) {
			h[0] = c
			down(h, 0)
		}
	}
	s.cand = h
	sortDesc(h)
	return h
}

// nucleus returns, in descending order, the smallest set of most likely
// tokens whose probability reaches topP. It only sorts the tokens within a
// margin of the maximum, widening the margin until the mass is reached.
func (s *Sampler) nucleus(logits []float32, maxL float32, topP float64) []cand {
	var z float64
	for _, l := range logits {
		if l > float32(math.Inf(-1)) {
			z += math.Exp(float64(l - maxL))
		}
	}
	for margin := float32(10); ; margin *= 2 {
		thr := maxL - margin
		c := s.cand[:0]
		for i, l := range logits {
			if l >= thr {
				c = append(c, cand{int32(i), l})
			}
		}
		s.cand = c
		sortDesc(c)
		var cum float64
		for i, x := range c {
			cum += math.Exp(float64(x.logit-maxL)) / z
			if cum >= topP {
				return c[:i+1]
			}
		}
		if len(c) == len(logits) || margin > 1e4 {
			return c
		}
	}
}

// cutTopP keeps the shortest prefix of descending candidates whose mass,
// normalised over the candidates, reaches topP.
func cutTopP(c []cand, maxL float32, topP float64) []cand {
	var z float64
	for _, x := range c {
		z += math.Exp(float64(x.logit - maxL))
	}
	var cum float64
	for i, x := range c {
		cum += math.Exp(float64(x.logit-maxL)) / z
		if cum >= topP {
			return c[:i+1]
		}
	}
	return c
}

// Argmax returns the index of the largest value (the first on ties), or 0
// for an empty slice.
func Argmax(v []float32) int32 {
	best, bi := float32(math.Inf(-1)), 0
	for i, x := range v {
		if x > best {
			best, bi = x, i
		}
	}
	return int32(bi)
}

type cand struct {
	id    int32
	logit float32
}

// less orders candidates for the top-k min-heap: lower logit first, and
// on ties the higher id, so that the lower id wins.
func less(a, b cand) bool {
	if a.logit != b.logit {
		return a.logit < b.logit
	}
	return a.id > b.id
}

func up(h []cand, i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !less(h[i], h[p]) {
			return
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
}

func down(h []cand, i int) {
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		m := l
		if r := l + 1; r < len(h) && less(h[r], h[l]) {
			m = r
		}
		if !less(h[m], h[i]) {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}

func sortDesc(c []cand) {
	slices.SortFunc(c, func(a, b cand) int {
		switch {
		case less(b, a):
			return -1
		case less(a, b):
			return 1
		}
		return 0
	})
}

// StopMatcher finds stop strings in streamed text. Feed each decoded delta
// to Write; it returns the text that is safe to emit, holding back any
// suffix that could be the start of a stop string. The zero value with no
// stop strings passes everything through.
type StopMatcher struct {
	stops   []string
	pending string
	stopped bool
}

// NewStopMatcher returns a matcher for stops; empty strings are ignored.
func NewStopMatcher(stops []string) *StopMatcher {
	m := &StopMatcher{}
	for _, s := range stops {
		if s != "" {
			m.stops = append(m.stops, s)
		}
	}
	return m
}

// Write consumes delta and returns the text to emit and whether a stop
// string was found (the text before it is emitted; the stop string and
// anything after it are not).
func (m *StopMatcher) Write(delta string) (emit string, stopped bool) {
	if m.stopped {
		return "", true
	}
	m.pending += delta
	first := -1
	for _, s := range m.stops {
		if i := strings.Index(m.pending, s); i >= 0 && (first < 0 || i < first) {
			first = i
		}
	}
	if first >= 0 {
		m.stopped = true
		emit, m.pending = m.pending[:first], ""
		return emit, true
	}
	hold := 0
	for _, s := range m.stops {
		hold = max(hold, PartialSuffix(m.pending, s))
	}
	emit = m.pending[:len(m.pending)-hold]
	m.pending = m.pending[len(m.pending)-hold:]
	return emit, false
}

// Flush returns the text held back, at the end of generation.
func (m *StopMatcher) Flush() string {
	p := m.pending
	m.pending = ""
	if m.stopped {
		return ""
	}
	return p
}

// PartialSuffix returns the length of the longest suffix of s that is a
// proper prefix of marker: how much of s to hold back while streaming, in
// case the next text completes marker.
func PartialSuffix(s, marker string) int {
	for n := min(len(marker)-1, len(s)); n > 0; n-- {
		if strings.HasSuffix(s, marker[:n]) {
			return n
		}
	}
	return 0
}
