package train

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
)

// Source yields the batch of an optimizer step. Batch must depend only on
// the step number, so that a resumed run sees the same data as an
// uninterrupted one.
type Source interface {
	Batch(step int) *Batch
}

// Stats describe one optimizer step.
type Stats struct {
	Step     int     // the step just taken, from 1
	Loss     float64 // mean loss over the batch's targets
	LR       float64 // the learning rate used
	GradNorm float64 // the global gradient norm before clipping
	Tokens   int     // tokens processed (all positions, not only targets)
	Targets  int     // positions that carried a loss
}

// Trainer trains a model with AdamW. It is not safe for concurrent use.
type Trainer struct {
	cfg        Config
	data       Source
	p, g, m, v *Params
	step       int
	rope       *ropeTable
	scr        scratch // buffers reused from step to step
}

// New returns a trainer for cfg with freshly initialized weights.
func New(cfg Config, data Source) (*Trainer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if data == nil {
		return nil, fmt.Errorf("%w: no data source", ErrConfig)
	}
	t := &Trainer{cfg: cfg, data: data, p: newParams(&cfg), g: newParams(&cfg), m: newParams(&cfg), v: newParams(&cfg)}
	initParams(t.p, &t.cfg, cfg.Seed)
	t.rope = newRope(cfg.MaxSeq, cfg.HeadDim(), cfg.Base)
	return t, nil
}

// Config returns the trainer's configuration, defaults filled in.
func (t *Trainer) Config() Config { return t.cfg }

// StepNum is the number of optimizer steps taken.
func (t *Trainer) StepNum() int { return t.step }

// Params returns the current weights; they change with every Step.
func (t *Trainer) Params() *Params { return t.p }

// LR is the learning rate at step s (from 0): linear warm-up, then a
// cosine decay from LR to MinLR at Steps.
func (c *Config) LRAt(s int) float64 {
	if s < c.Warmup {
		return c.LR * float64(s+1) / float64(c.Warmup)
	}
	if s >= c.Steps {
		return c.MinLR
	}
	frac := float64(s-c.Warmup) / float64(max(1, c.Steps-c.Warmup))
	return c.MinLR + 0.5*(c.LR-c.MinLR)*(1+math.Cos(math.Pi*frac))
}

// ErrDone is returned by Step when the configured number of steps is done.
var ErrDone = errors.New("train: all steps are done")

// Step takes one optimizer step on the source's batch for this step.
func (t *Trainer) Step() (Stats, error) {
	c := &t.cfg
	if t.step >= c.Steps {
		return Stats{}, ErrDone
	}
	b := t.data.Batch(t.step)
	if b == nil || len(b.Tokens) == 0 {
		return Stats{}, fmt.Errorf("train: the data source gave no batch for step %d", t.step)
	}
	toks := 0
	for i, s := range b.Tokens {
		if len(s) > c.MaxSeq || len(b.Targets[i]) != len(s) {
			return Stats{}, fmt.Errorf("train: sequence %d of step %d has %d tokens and %d targets (max %d)", i, t.step, len(s), len(b.Targets[i]), c.MaxSeq)
		}
		for _, id := range s {
			if id < 0 || int(id) >= c.Vocab {
				return Stats{}, fmt.Errorf("train: token %d out of the vocabulary of %d", id, c.Vocab)
			}
		}
		toks += len(s)
	}
	loss, count := lossAndGrad(c, t.p, t.g, t.rope, b, &t.scr)
	// Clip by the global norm.
	var ss float64
	for _, x := range t.g.flat() {
		ss += float64(x) * float64(x)
	}
	norm := math.Sqrt(ss)
	scale := float32(1)
	if norm > c.Clip {
		scale = float32(c.Clip / norm)
	}
	lr := c.LRAt(t.step)
	t.step++
	b1, b2 := c.Beta1, c.Beta2
	bc1 := 1 - math.Pow(b1, float64(t.step))
	bc2 := 1 - math.Pow(b2, float64(t.step))
	ps, gs, ms, vs := t.p.tensors(), t.g.tensors(), t.m.tensors(), t.v.tensors()
	for k := range ps {
		decay := float32(0)
		if ps[k].decay {
			decay = float32(lr * c.WeightDecay)
		}
		p, g, m, v := ps[k].data, gs[k].data, ms[k].data, vs[k].data
		fb1, fb2 := float32(b1), float32(b2)
		stepSize := float32(lr / bc1)
		sq := float32(1 / math.Sqrt(bc2))
		parallel(c.Threads, len(p), func(lo, hi int) {
			for i := lo; i < hi; i++ {
				gi := g[i] * scale
				m[i] = fb1*m[i] + (1-fb1)*gi
				v[i] = fb2*v[i] + (1-fb2)*gi*gi
				denom := float32(math.Sqrt(float64(v[i])))*sq + 1e-8
				p[i] -= stepSize*m[i]/denom + decay*p[i]
			}
		})
	}
	return Stats{Step: t.step, Loss: loss, LR: lr, GradNorm: norm, Tokens: toks, Targets: count}, nil
}

// Loss returns the mean loss of b under the current weights, without
// changing them.
func (t *Trainer) Loss(b *Batch) float64 {
	l, _ := lossAndGrad(&t.cfg, t.p, nil, t.rope, b, &t.scr)
	return l
}

const ckptMagic = "PLAITCK1"

type ckptHeader struct {
	Config Config `json:"config"`
	Step   int    `json:"step"`
	Params int    `json:"params"`
}

// Save writes a checkpoint (configuration, step, weights and optimizer
// state) to path, atomically.
func (t *Trainer) Save(path string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".ckpt-*")
	if err != nil {
		return fmt.Errorf("train: checkpoint: %w", err)
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriterSize(tmp, 1<<20)
	hdr, _ := json.Marshal(ckptHeader{Config: t.cfg, Step: t.step, Params: len(t.p.flat())})
	w.WriteString(ckptMagic)
	binary.Write(w, binary.LittleEndian, uint32(len(hdr)))
	w.Write(hdr)
	for _, p := range []*Params{t.p, t.m, t.v} {
		if err := binary.Write(w, binary.LittleEndian, p.flat()); err != nil {
			tmp.Close()
			return fmt.Errorf("train: checkpoint: %w", err)
		}
	}
	if err := w.Flush(); err != nil {
		tmp.Close()
		return fmt.Errorf("train: checkpoint: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("train: checkpoint: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("train: checkpoint: %w", err)
	}
	return nil
}

// ErrCheckpoint is wrapped by the errors of a checkpoint that cannot be
// read.
var ErrCheckpoint = errors.New("train: bad checkpoint")

// Resume loads the checkpoint at path and continues training on data.
// Steps, when positive, replaces the checkpoint's total number of steps
// (to extend a finished run).
func Resume(path string, data Source, steps int) (*Trainer, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("train: resume: %w", err)
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	magic := make([]byte, len(ckptMagic))
	if _, err := io.ReadFull(r, magic); err != nil || string(magic) != ckptMagic {
		return nil, fmt.Errorf("%w: %s is not a checkpoint", ErrCheckpoint, path)
	}
	var n uint32
	if err := binary.Read(r, binary.LittleEndian, &n); err != nil || n > 1<<20 {
		return nil, fmt.Errorf("%w: header", ErrCheckpoint)
	}
	hb := make([]byte, n)
	if _, err := io.ReadFull(r, hb); err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrCheckpoint, err)
	}
	var h ckptHeader
	if err := json.Unmarshal(hb, &h); err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrCheckpoint, err)
	}
	if steps > 0 {
		h.Config.Steps = steps
	}
	if err := h.Config.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCheckpoint, err)
	}
	if h.Step < 0 {
		return nil, fmt.Errorf("%w: step %d", ErrCheckpoint, h.Step)
	}
	// Check the size before allocating anything the header asks for.
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("train: resume: %w", err)
	}
	want := paramCount(&h.Config)
	if want <= 0 || want != int64(h.Params) || fi.Size() != int64(len(ckptMagic))+4+int64(n)+3*4*want {
		return nil, fmt.Errorf("%w: %s does not hold the %d parameters its header describes", ErrCheckpoint, path, want)
	}
	t, err := New(h.Config, data)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCheckpoint, err)
	}
	if len(t.p.flat()) != h.Params {
		return nil, fmt.Errorf("%w: %d parameters, the config has %d", ErrCheckpoint, h.Params, len(t.p.flat()))
	}
	for _, p := range []*Params{t.p, t.m, t.v} {
		if err := binary.Read(r, binary.LittleEndian, p.flat()); err != nil {
			return nil, fmt.Errorf("%w: weights: %v", ErrCheckpoint, err)
		}
	}
	t.step = h.Step
	return t, nil
}
