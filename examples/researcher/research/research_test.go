package research_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/plait-ai/plait/agent"
	"github.com/plait-ai/plait/examples/researcher/research"
	"github.com/plait-ai/plait/llm/llmtest"
)

func newKB(t *testing.T) *research.KB {
	t.Helper()
	kb, err := research.NewKB(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return kb
}

func TestBundledKB(t *testing.T) {
	kb := newKB(t)
	if kb.Len() < 10 {
		t.Fatalf("bundled notes = %d, want at least 10", kb.Len())
	}
	tests := []struct {
		query, want string
	}{
		{"retrieval augmented generation BM25 vector database", "rag"},
		{"检索增强生成 向量数据库", "rag.zh"},
		{"masked language modeling encoder", "bert"},
		{"LoRA low-rank adapters QLoRA", "fine-tuning"},
		{"ollama pull Modelfile", "ollama"},
		{"思维链 推理", "chain-of-thought.zh"},
		{"span corruption C4 text-to-text", "t5"},
	}
	for _, tt := range tests {
		hits, err := kb.Search(context.Background(), tt.query, 3)
		if err != nil {
			t.Fatal(err)
		}
		if len(hits) == 0 || hits[0].ID != tt.want {
			t.Errorf("Search(%q) = %+v, want %s first", tt.query, hits, tt.want)
		}
	}
	d, err := kb.Get("transformer")
	if err != nil || d.Title != "Transformer" || !strings.Contains(d.Text, "Attention Is All You Need") {
		t.Errorf("Get(transformer) = %+v, %v", d, err)
	}
	if _, err := kb.Get("nope"); err == nil {
		t.Error("Get of an unknown id succeeded")
	}
}

func TestAddDir(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "team"), 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"team/runbook.md": "# Deploy runbook\n\nWe deploy the zephyrine service with blue-green releases.",
		"glossary.txt":    "Quokka: our name for the staging cluster.",
		"image.png":       "\x89PNG",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	kb := newKB(t)
	n, err := kb.AddDir(context.Background(), dir)
	if err != nil || n != 2 {
		t.Fatalf("AddDir = %d, %v; want 2 documents", n, err)
	}
	hits, _ := kb.Search(context.Background(), "zephyrine deploy", 1)
	if len(hits) != 1 || hits[0].ID != "user/team/runbook" || hits[0].Title != "Deploy runbook" {
		t.Errorf("hits = %+v", hits)
	}
	if _, err := kb.AddDir(context.Background(), dir); err == nil {
		t.Error("adding the same documents twice succeeded")
	}
}

func TestPlanExecuteReportCitesDocuments(t *testing.T) {
	kb := newKB(t)
	const q = "retrieval augmented generation"
	hits, err := kb.Search(context.Background(), q, 5)
	if err != nil || len(hits) < 2 {
		t.Fatalf("search: %v %v", hits, err)
	}
	plan := `{"thought":"Search, read the best document, note the key fact.","steps":[
		{"id":"s1","task":"find documents on RAG","tool":"search_kb","args":{"query":"` + q + `"}},
		{"id":"s2","task":"read the best one","tool":"read_doc","args":{"id":"${s1.hits[0].id}"}},
		{"id":"s3","task":"read the second","tool":"read_doc","args":{"id":"${s1.hits[1].id}"}},
		{"id":"s4","task":"note it","tool":"take_note","args":{"text":"RAG retrieves before it generates.","sources":["rag"]},"deps":["s2"]},
		{"id":"s5","task":"count","tool":"calculator","args":{"expression":"2*21"}}]}`
	m := llmtest.New(llmtest.Text(plan), llmtest.Text("RAG retrieves documents, then generates from them [s2]. Chunking matters [s3]."))
	r, err := research.New(research.Config{Model: m, KB: kb})
	if err != nil {
		t.Fatal(err)
	}
	var types []agent.EventType
	rep, err := r.Run(context.Background(), "What is RAG?", func(ev agent.Event, _ error) { types = append(types, ev.Type) })
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if len(types) == 0 || types[0] != agent.EventPlan || types[len(types)-1] != agent.EventDone || !slices.Contains(types, agent.EventStepStarted) || !slices.Contains(types, agent.EventAnswerDelta) {
		t.Errorf("events = %v", types)
	}
	want := []string{hits[0].ID, hits[1].ID}
	var got []string
	for _, d := range rep.Sources {
		got = append(got, d.ID)
	}
	if !slices.Equal(got, want) {
		t.Errorf("sources = %v, want %v (the documents read_doc returned)", got, want)
	}
	for _, id := range want {
		if !strings.Contains(rep.Answer, "["+id+"]") {
			t.Errorf("answer %q does not cite [%s]", rep.Answer, id)
		}
	}
	for _, h := range hits {
		if !slices.Contains(rep.Consulted, h.ID) {
			t.Errorf("consulted %v lacks search hit %s", rep.Consulted, h.ID)
		}
	}
	if len(rep.Notes) != 1 || rep.Notes[0].Text != "RAG retrieves before it generates." {
		t.Errorf("notes = %+v", rep.Notes)
	}
	md := rep.Markdown()
	for _, s := range []string{"## Sources", "- [" + hits[0].ID + "] " + hits[0].Title, "## Notes", "RAG retrieves before it generates. [rag]"} {
		if !strings.Contains(md, s) {
			t.Errorf("report lacks %q:\n%s", s, md)
		}
	}
	if s5, _ := rep.Result.Step("s5"); !strings.Contains(s5.Content, "42") {
		t.Errorf("calculator step = %+v", s5)
	}
	// The planner saw the tools.
	var names []string
	for _, ts := range m.Requests()[0].Tools {
		names = append(names, ts.Name)
	}
	for _, n := range []string{"search_kb", "read_doc", "take_note", "calculator"} {
		if !slices.Contains(names, n) && !strings.Contains(m.Requests()[0].Messages[0].Content+m.Requests()[0].Messages[len(m.Requests()[0].Messages)-1].Content, n) {
			t.Errorf("the planner was not offered %s", n)
		}
	}
}

func TestReActReportFallsBackToDocumentsRead(t *testing.T) {
	kb := newKB(t)
	m := llmtest.New(
		llmtest.ToolCalls(llmtest.Call("search_kb", `{"query":"本地部署 Ollama"}`)),
		llmtest.ToolCalls(llmtest.Call("read_doc", `{"id":"ollama.zh"}`), llmtest.Call("read_doc", `{"id":"no-such-doc"}`)),
		llmtest.Text("用 ollama pull 下载模型，再用 ollama run 运行。"),
	)
	r, err := research.New(research.Config{Model: m, KB: kb, Strategy: agent.ReAct})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := r.Run(context.Background(), "如何用 Ollama 在本地部署大模型？", nil)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if len(rep.Sources) != 1 || rep.Sources[0].ID != "ollama.zh" {
		t.Errorf("sources = %+v, want the document read", rep.Sources)
	}
	if !strings.Contains(rep.Markdown(), "[ollama.zh]") {
		t.Errorf("report:\n%s", rep.Markdown())
	}
	// The failed read reached the model as an observation naming the problem.
	last := m.Requests()[2].Messages
	if !strings.Contains(last[len(last)-1].Content+last[len(last)-2].Content, "no such document") {
		t.Errorf("the model did not see the failed read: %+v", last[len(last)-2:])
	}
}

func TestWebToolOnlyWhenHostsAllowed(t *testing.T) {
	kb := newKB(t)
	for _, hosts := range [][]string{nil, {"go.dev"}} {
		m := llmtest.New(llmtest.Text("No tools needed."))
		r, err := research.New(research.Config{Model: m, KB: kb, Strategy: agent.ReAct, AllowHosts: hosts})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.Run(context.Background(), "hi", nil); err != nil {
			t.Fatal(err)
		}
		found := false
		for _, s := range m.Requests()[0].Tools {
			if s.Name == "http_get" {
				found = true
			}
		}
		if found != (len(hosts) > 0) {
			t.Errorf("hosts %v: http_get offered = %v", hosts, found)
		}
	}
}
