package train_test

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/llm/local"
	"github.com/plait-ai/plait/llm/local/chat"
	"github.com/plait-ai/plait/llm/local/embedded/bpe"
	"github.com/plait-ai/plait/llm/local/embedded/train"
	"github.com/plait-ai/plait/llm/local/ggml"
	"github.com/plait-ai/plait/llm/local/sample"
	"github.com/plait-ai/plait/llm/local/tokenizer"
)

// progressions are sequences where each token is the previous plus a step
// that the first token names: trivially learnable from context.
func progressions(n, vocab, length int, seed uint64) []train.Sequence {
	r := rand.New(rand.NewPCG(seed, 1))
	out := make([]train.Sequence, n)
	for i := range out {
		step := int32(1 + r.IntN(3))
		toks := []int32{step, int32(r.IntN(vocab))}
		for len(toks) < length+1 {
			toks = append(toks, (toks[len(toks)-1]+step)%int32(vocab))
		}
		tg := make([]int32, length)
		for j := range tg {
			tg[j] = -1
			if j >= 2 {
				tg[j] = toks[j+1]
			}
		}
		out[i] = train.Sequence{Tokens: toks[:length], Targets: tg}
	}
	return out
}

func micro(vocab int) train.Config {
	c := train.Presets["micro"]
	c.Vocab = vocab
	c.Threads = 2
	return c
}

func TestMicroLearns(t *testing.T) {
	c := micro(16)
	c.Steps = 200
	limit := 0.25
	if testing.Short() || raceEnabled {
		c.Steps, limit = 100, 0.35
	}
	ds, err := train.NewDataset(progressions(256, 16, 24, 1), c.BatchTokens, 1)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := train.New(c, ds)
	if err != nil {
		t.Fatal(err)
	}
	var first, last float64
	for {
		st, err := tr.Step()
		if err == train.ErrDone {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if st.Step == 1 {
			first = st.Loss
		}
		last = st.Loss
		if st.Step%40 == 0 {
			t.Logf("step %d loss %.4f lr %.2g grad norm %.3f", st.Step, st.Loss, st.LR, st.GradNorm)
		}
	}
	t.Logf("loss %.4f → %.4f", first, last)
	if last > first*limit {
		t.Fatalf("loss fell only from %.4f to %.4f", first, last)
	}
}

func TestResumeMatchesUninterrupted(t *testing.T) {
	c := micro(16)
	c.Steps = 12
	seqs := progressions(64, 16, 20, 2)
	run := func(stopAt int) []float64 {
		ds, _ := train.NewDataset(seqs, 128, 3)
		tr, err := train.New(c, ds)
		if err != nil {
			t.Fatal(err)
		}
		var losses []float64
		for tr.StepNum() < c.Steps {
			if tr.StepNum() == stopAt {
				path := filepath.Join(t.TempDir(), "ck")
				if err := tr.Save(path); err != nil {
					t.Fatal(err)
				}
				ds2, _ := train.NewDataset(seqs, 128, 3)
				if tr, err = train.Resume(path, ds2, 0); err != nil {
					t.Fatal(err)
				}
			}
			st, err := tr.Step()
			if err != nil {
				t.Fatal(err)
			}
			losses = append(losses, st.Loss)
		}
		return losses
	}
	a, b := run(-1), run(5)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("step %d: loss %v uninterrupted, %v resumed", i+1, a[i], b[i])
		}
	}
}

func TestResumeRejectsGarbage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad")
	os.WriteFile(path, []byte("not a checkpoint"), 0o600)
	ds, _ := train.NewDataset(progressions(1, 16, 4, 1), 8, 1)
	if _, err := train.Resume(path, ds, 0); err == nil {
		t.Fatal("garbage accepted")
	}
}

// TestExportLoadGenerate memorizes a few conversations, exports the model,
// loads it with the runtime and checks that greedy decoding reproduces a
// memorized reply.
func TestExportLoadGenerate(t *testing.T) {
	if raceEnabled {
		t.Skip("memorizing takes minutes under the race detector; the export path has no concurrency of its own")
	}
	convs := [][]llm.Message{
		{llm.UserMessage("What is 2+2?"), llm.AssistantMessage("4, of course.")},
		{llm.UserMessage("Capital of France?"), llm.AssistantMessage("Paris.")},
		{llm.UserMessage("你好"), llm.AssistantMessage("你好！有什么可以帮你？")},
		{llm.UserMessage("Say hi"), llm.AssistantMessage("hi there")},
	}
	tmpl, _ := chat.Lookup("chatml")
	var texts []string
	for _, m := range convs {
		s, _ := tmpl.Render(m, nil, chat.Options{NoGenerationPrompt: true})
		texts = append(texts, s)
	}
	v, err := bpe.Train(texts, bpe.Options{VocabSize: 300, Specials: bpe.ChatML})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenizer.New(v)
	if err != nil {
		t.Fatal(err)
	}
	var seqs []train.Sequence
	for _, m := range convs {
		s, err := train.EncodeChat(tok, tmpl, m, 64)
		if err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, s)
	}
	c := micro(len(v.Tokens))
	c.Steps, c.LR, c.Warmup, c.WeightDecay = 250, 1e-2, 10, 0
	ds, _ := train.NewDataset(seqs, 1000, 1)
	tr, err := train.New(c, ds)
	if err != nil {
		t.Fatal(err)
	}
	var st train.Stats
	for tr.StepNum() < c.Steps {
		if st, err = tr.Step(); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("final loss %.4f", st.Loss)
	for _, typ := range []ggml.Type{ggml.F32, ggml.Q8_0} {
		var buf bytes.Buffer
		if err := tr.Export(&buf, train.ExportOptions{Vocab: v, Type: typ, Name: "micro"}); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "m.gguf")
		os.WriteFile(path, buf.Bytes(), 0o600)
		m, err := local.Load(context.Background(), path, local.Options{Threads: 1, Defaults: &sample.Params{}})
		if err != nil {
			t.Fatal(err)
		}
		for _, conv := range convs[:2] {
			zero := 0.0
			resp, err := m.Generate(context.Background(), &llm.Request{Messages: conv[:1], Temperature: &zero, MaxTokens: 20})
			if err != nil {
				t.Fatal(err)
			}
			if got := resp.Message.Content; got != conv[1].Content {
				t.Errorf("%v: got %q, want %q", typ, got, conv[1].Content)
			}
		}
		m.Close()
	}
	// The exported context defaults to the trained length; ContextLen sets it.
	for _, want := range []int{0, 2 * c.MaxSeq} {
		var buf bytes.Buffer
		if err := tr.Export(&buf, train.ExportOptions{Vocab: v, Name: "micro", ContextLen: want}); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "ctx.gguf")
		os.WriteFile(path, buf.Bytes(), 0o600)
		m, err := local.Load(context.Background(), path, local.Options{Threads: 1})
		if err != nil {
			t.Fatal(err)
		}
		if want == 0 {
			want = c.MaxSeq
		}
		if got := m.Config().ContextLen; got != want {
			t.Errorf("exported context %d, want %d", got, want)
		}
		m.Close()
	}
}
