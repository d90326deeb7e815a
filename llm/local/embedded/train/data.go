package train

import (
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/llm/local/chat"
	"github.com/plait-ai/plait/llm/local/tokenizer"
)

// Sequence is one training sequence: tokens and, per position, the token
// that must follow it or -1 where no loss is taken.
type Sequence struct {
	Tokens  []int32
	Targets []int32
}

// ErrTooLong is returned by EncodeChat for a conversation longer than the
// limit.
var ErrTooLong = errors.New("train: conversation longer than the sequence limit")

// EncodeChat renders a conversation with tmpl and tokenizes it; the loss is
// taken on the last message (the assistant's reply) and on the token that
// ends its turn, nowhere else.
func EncodeChat(tok *tokenizer.Tokenizer, tmpl chat.Template, msgs []llm.Message, maxSeq int) (Sequence, error) {
	if len(msgs) == 0 || msgs[len(msgs)-1].Role != llm.RoleAssistant {
		return Sequence{}, errors.New("train: a training conversation must end with the assistant's reply")
	}
	prompt, err := tmpl.Render(msgs[:len(msgs)-1], nil, chat.Options{})
	if err != nil {
		return Sequence{}, fmt.Errorf("train: render: %w", err)
	}
	ids := tok.Encode(prompt, true, true)
	reply := tok.Encode(msgs[len(msgs)-1].Content, false, false)
	end := tok.EOT()
	if end < 0 {
		end = tok.EOS()
	}
	if end < 0 {
		return Sequence{}, errors.New("train: the tokenizer has no end-of-turn token")
	}
	n := len(ids)
	ids = append(ids, reply...)
	ids = append(ids, end)
	if len(ids) > maxSeq+1 {
		return Sequence{}, fmt.Errorf("%w: %d tokens, limit %d", ErrTooLong, len(ids), maxSeq+1)
	}
	seq := Sequence{Tokens: ids[:len(ids)-1], Targets: make([]int32, len(ids)-1)}
	for i := range seq.Targets {
		seq.Targets[i] = -1
		if i+1 >= n {
			seq.Targets[i] = ids[i+1]
		}
	}
	return seq, nil
}

// Dataset packs sequences into batches of about BatchTokens tokens, in an
// order shuffled anew each epoch from a seed. It implements [Source] and is
// safe for use by one trainer at a time.
type Dataset struct {
	seqs        []Sequence
	batchTokens int
	seed        uint64

	// cursor cache: the position reached before step next.
	next, epoch, pos int
	order            []int
}

// NewDataset returns a dataset over seqs. Batches hold whole sequences,
// at least one, until adding one would pass batchTokens.
func NewDataset(seqs []Sequence, batchTokens int, seed uint64) (*Dataset, error) {
	if len(seqs) == 0 {
		return nil, errors.New("train: no sequences")
	}
	return &Dataset{seqs: seqs, batchTokens: batchTokens, seed: seed}, nil
}

// Len is the number of sequences.
func (d *Dataset) Len() int { return len(d.seqs) }

func (d *Dataset) shuffle(epoch int) {
	d.order = make([]int, len(d.seqs))
	for i := range d.order {
		d.order[i] = i
	}
	r := rand.New(rand.NewPCG(d.seed, uint64(epoch)))
	r.Shuffle(len(d.order), func(i, j int) { d.order[i], d.order[j] = d.order[j], d.order[i] })
}

// take returns the sequence indices of the next batch and advances.
func (d *Dataset) take() []int {
	var out []int
	n := 0
	for {
		if d.pos == len(d.order) {
			d.epoch++
			d.pos = 0
			d.shuffle(d.epoch)
		}
		s := d.order[d.pos]
		l := len(d.seqs[s].Tokens)
		if len(out) > 0 && n+l > d.batchTokens {
			return out
		}
		out = append(out, s)
		n += l
		d.pos++
	}
}

// Batch returns the batch of step; the same step always gives the same
// batch.
func (d *Dataset) Batch(step int) *Batch {
	if d.order == nil || step < d.next {
		d.next, d.epoch, d.pos = 0, 0, 0
		d.shuffle(0)
	}
	for d.next < step {
		d.take()
		d.next++
	}
	idx := d.take()
	d.next++
	b := &Batch{}
	for _, i := range idx {
		b.Tokens = append(b.Tokens, d.seqs[i].Tokens)
		b.Targets = append(b.Targets, d.seqs[i].Targets)
	}
	return b
}
