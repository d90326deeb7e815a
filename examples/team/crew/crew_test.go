package crew_test

import (
	"context"
	"strings"
	"testing"

	"github.com/plait-ai/plait/agent"
	"github.com/plait-ai/plait/examples/team/crew"
	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/llm/llmtest"
)

func lastMessages(req llm.Request) string {
	var b strings.Builder
	for _, m := range req.Messages {
		b.WriteString(m.Content + "\n")
	}
	return b.String()
}

func TestCoordinatorDelegatesToSubAgents(t *testing.T) {
	plan := `{"thought":"facts and numbers in parallel, then the text","steps":[
		{"id":"s1","task":"find sizes","tool":"researcher","args":{"goal":"How many parameters do BERT-base and GPT-3 have?"}},
		{"id":"s2","task":"ratio","tool":"analyst","args":{"goal":"Compute 175000 / 110."}},
		{"id":"s3","task":"write","tool":"writer","args":{"goal":"Write one sentence: GPT-3 has 175B parameters, BERT-base 110M; ratio from the analyst."},"deps":["s1","s2"]}]}`
	coord := llmtest.New(llmtest.Text(plan), llmtest.Text("GPT-3 is about 1,591 times larger than BERT-base [s3]."))
	researcher := llmtest.New(
		llmtest.ToolCalls(llmtest.Call("search_kb", `{"query":"BERT-base parameters GPT-3 175 billion"}`)),
		llmtest.Text("BERT-base has about 110 million parameters [bert]; GPT-3 has 175 billion [gpt]."),
	)
	analyst := llmtest.New(
		llmtest.ToolCalls(llmtest.Call("calculator", `{"expression":"175000 / 110"}`)),
		llmtest.Text("175000 / 110 = 1590.9"),
	)
	writer := llmtest.New(llmtest.Text("GPT-3 (175B) is about 1,591 times the size of BERT-base (110M)."))
	team, err := crew.New(context.Background(), crew.Config{Models: crew.Models{Coordinator: coord, Researcher: researcher, Analyst: analyst, Writer: writer}, NoTrace: true})
	if err != nil {
		t.Fatal(err)
	}
	res, err := team.Coordinator.Run(context.Background(), "How much larger is GPT-3 than BERT-base?")
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if res.Answer != "GPT-3 is about 1,591 times larger than BERT-base [s3]." {
		t.Errorf("answer = %q", res.Answer)
	}
	for id, want := range map[string]string{"s1": "110 million", "s2": "1590.9", "s3": "1,591 times"} {
		s, ok := res.Step(id)
		if !ok || s.Status != agent.StepDone || !strings.Contains(s.Content, want) {
			t.Errorf("%s = %+v, want output with %q", id, s, want)
		}
	}
	// Each sub-agent got its goal and used its own tools.
	if got := lastMessages(researcher.Requests()[0]); !strings.Contains(got, "How many parameters do BERT-base and GPT-3 have?") {
		t.Errorf("researcher goal:\n%s", got)
	}
	if got := lastMessages(researcher.Requests()[1]); !strings.Contains(got, `"id":"bert"`) && !strings.Contains(got, `"id":"gpt"`) {
		t.Errorf("researcher did not see the knowledge base:\n%s", got)
	}
	if got := lastMessages(analyst.Requests()[1]); !strings.Contains(got, "1590.9") {
		t.Errorf("analyst did not see the calculator's result:\n%s", got)
	}
	if len(writer.Requests()[0].Tools) != 0 {
		t.Errorf("the writer has tools: %v", writer.Requests()[0].Tools)
	}
	// The coordinator's join saw the writer's text.
	if got := lastMessages(coord.Requests()[1]); !strings.Contains(got, "1,591 times the size") {
		t.Errorf("join prompt:\n%s", got)
	}
	// The coordinator's planner was offered the three agents.
	plannerPrompt := lastMessages(coord.Requests()[0])
	for _, n := range []string{"researcher", "analyst", "writer"} {
		if !strings.Contains(plannerPrompt, n) && !hasTool(coord.Requests()[0], n) {
			t.Errorf("coordinator not offered %s", n)
		}
	}
}

func hasTool(req llm.Request, name string) bool {
	for _, s := range req.Tools {
		if s.Name == name {
			return true
		}
	}
	return false
}
