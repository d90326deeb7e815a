package train

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"

	"github.com/plait-ai/plait/llm/local/embedded/bpe"
	"github.com/plait-ai/plait/llm/local/ggml"
	"github.com/plait-ai/plait/llm/local/gguf"
	"github.com/plait-ai/plait/llm/local/quant"
	"github.com/plait-ai/plait/llm/local/tokenizer"
)

// ChatMLTemplate is the Jinja chat template written into exported files,
// so that runtimes choose ChatML.
const ChatMLTemplate = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"

// ExportOptions configure [Trainer.Export].
type ExportOptions struct {
	// Vocab is the tokenizer written into the file; required.
	Vocab *tokenizer.Vocab
	// Type is the weight type of the matrices: ggml.F32 (the zero value
	// is taken as F32) or ggml.Q8_0. Norms stay F32, and a matrix whose
	// rows do not fill whole Q8_0 blocks stays F32.
	Type ggml.Type
	// Name is general.name.
	Name string
	// KVs are extra metadata (a model card's license, for example).
	KVs map[string]any
	// ContextLen is the context length written into the file; 0 means
	// the longest sequence trained on (Config.MaxSeq). RoPE encodes
	// relative positions, so a somewhat longer context works where what
	// the model attends to stays within the trained distances.
	ContextLen int
}

// Export writes the model as a llama-architecture GGUF file that package
// local loads.
func (t *Trainer) Export(w io.Writer, opts ExportOptions) error {
	return ExportParams(w, &t.cfg, t.p, opts)
}

// ExportParams writes p as a llama GGUF (see [Trainer.Export]).
func ExportParams(out io.Writer, c *Config, p *Params, opts ExportOptions) error {
	if opts.Vocab == nil {
		return fmt.Errorf("%w: export needs the vocabulary", ErrConfig)
	}
	if len(opts.Vocab.Tokens) != c.Vocab {
		return fmt.Errorf("%w: the vocabulary has %d tokens, the model %d", ErrConfig, len(opts.Vocab.Tokens), c.Vocab)
	}
	typ := opts.Type
	if typ != ggml.Q8_0 {
		typ = ggml.F32
	}
	var w gguf.Writer
	set := func(k string, v any) {
		if err := w.Set(k, v); err != nil {
			panic(err) // keys and values here are always valid
		}
	}
	set("general.architecture", "llama")
	set("general.name", opts.Name)
	ft := uint32(0)
	if typ == ggml.Q8_0 {
		ft = 7 // LLAMA_FTYPE_MOSTLY_Q8_0
	}
	set("general.file_type", ft)
	ctxLen := c.MaxSeq
	if opts.ContextLen > 0 {
		ctxLen = opts.ContextLen
	}
	set("llama.context_length", uint32(ctxLen))
	set("llama.embedding_length", uint32(c.Dim))
	set("llama.block_count", uint32(c.Layers))
	set("llama.feed_forward_length", uint32(c.FFN))
	set("llama.attention.head_count", uint32(c.Heads))
	set("llama.attention.head_count_kv", uint32(c.KVHeads))
	set("llama.rope.dimension_count", uint32(c.HeadDim()))
	set("llama.rope.freq_base", float32(c.Base))
	set("llama.attention.layer_norm_rms_epsilon", c.Eps)
	set("llama.vocab_size", uint32(c.Vocab))
	if err := bpe.WriteGGUF(&w, opts.Vocab); err != nil {
		return err
	}
	set("tokenizer.chat_template", ChatMLTemplate)
	for k, v := range opts.KVs {
		set(k, v)
	}
	hd := c.HeadDim()
	qd, kd := c.Heads*hd, c.KVHeads*hd
	dims := map[string][2]int{
		"token_embd.weight": {c.Dim, c.Vocab}, "output_norm.weight": {c.Dim, 1},
	}
	for i := range c.Layers {
		pre := fmt.Sprintf("blk.%d.", i)
		for k, v := range map[string][2]int{
			"attn_norm.weight": {c.Dim, 1}, "ffn_norm.weight": {c.Dim, 1},
			"attn_q.weight": {c.Dim, qd}, "attn_k.weight": {c.Dim, kd}, "attn_v.weight": {c.Dim, kd},
			"attn_output.weight": {qd, c.Dim}, "ffn_gate.weight": {c.Dim, c.FFN}, "ffn_up.weight": {c.Dim, c.FFN},
			"ffn_down.weight": {c.FFN, c.Dim},
		} {
			dims[pre+k] = v
		}
	}
	for _, tn := range p.tensors() {
		d := dims[tn.name]
		data := tn.data
		if d[1] == 1 {
			buf := make([]byte, 4*len(data))
			for i, x := range data {
				binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(x))
			}
			if err := w.AddTensor(tn.name, ggml.F32, []uint64{uint64(d[0])}, gguf.Bytes(buf)); err != nil {
				return err
			}
			continue
		}
		tt := typ
		if tt == ggml.Q8_0 && d[0]%tt.BlockSize() != 0 {
			tt = ggml.F32
		}
		size, err := tt.RowSize(int64(d[0]))
		if err != nil {
			return err
		}
		buf := make([]byte, size*int64(d[1]))
		if err := quant.Quantize(tt, data, buf); err != nil {
			return fmt.Errorf("train: export %s: %w", tn.name, err)
		}
		if err := w.AddTensor(tn.name, tt, []uint64{uint64(d[0]), uint64(d[1])}, gguf.Bytes(buf)); err != nil {
			return err
		}
	}
	_, err := w.WriteTo(out)
	return err
}
