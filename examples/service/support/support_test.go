package support_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/plait-ai/plait/examples/service/support"
	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/llm/llmtest"
	"github.com/plait-ai/plait/memory/sqlite"
)

func openStore(t *testing.T, path string) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func post(t *testing.T, url, body string) (int, support.ChatResponse, string) {
	t.Helper()
	resp, err := http.Post(url+"/chat", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var raw json.RawMessage
	json.NewDecoder(resp.Body).Decode(&raw)
	var cr support.ChatResponse
	json.Unmarshal(raw, &cr)
	return resp.StatusCode, cr, string(raw)
}

// echoModel answers with the number of user messages it sees and the last one.
func echoModel() *llmtest.Model {
	return llmtest.Loop(llmtest.Step{Func: func(ctx context.Context, req *llm.Request) (*llm.Response, error) {
		n, last := 0, ""
		for _, m := range req.Messages {
			if m.Role == llm.RoleUser {
				n++
				last = m.Content
			}
		}
		return &llm.Response{Message: llm.AssistantMessage(fmt.Sprintf("turn %d: %s", n, last)), FinishReason: llm.FinishStop}, nil
	}})
}

func TestConcurrentUsersKeepTheirConversations(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "support.db"))
	svc, err := support.New(support.Config{Model: echoModel(), Store: st, NoTrace: true})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(svc.Handler())
	defer srv.Close()

	users := []string{"alice", "bob", "carol", "dave", "erin", "frank"}
	const turns = 3
	var wg sync.WaitGroup
	errs := make(chan string, len(users)*turns)
	for _, u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 1; i <= turns; i++ {
				msg := fmt.Sprintf("%s message %d", u, i)
				code, cr, raw := post(t, srv.URL, fmt.Sprintf(`{"user":%q,"message":%q}`, u, msg))
				if want := fmt.Sprintf("turn %d: %s", i, msg); code != 200 || cr.Answer != want {
					errs <- fmt.Sprintf("%s turn %d: %d %s, want %q", u, i, code, raw, want)
				}
				if cr.Conversation != support.ConversationID(u) {
					errs <- fmt.Sprintf("%s: conversation %s", u, cr.Conversation)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	for _, u := range users {
		resp, err := http.Get(srv.URL + "/history?user=" + u)
		if err != nil {
			t.Fatal(err)
		}
		var h struct {
			Messages []support.Message `json:"messages"`
		}
		json.NewDecoder(resp.Body).Decode(&h)
		resp.Body.Close()
		if len(h.Messages) != 2*turns {
			t.Errorf("%s history has %d messages, want %d: %+v", u, len(h.Messages), 2*turns, h.Messages)
			continue
		}
		for i, m := range h.Messages {
			if !strings.Contains(m.Content, u+" message") {
				t.Errorf("%s history holds another user's message %q", u, m.Content)
			}
			if want := []string{"user", "assistant"}[i%2]; m.Role != want {
				t.Errorf("%s message %d role %s, want %s", u, i, m.Role, want)
			}
		}
	}
}

func TestOrderLookupAndRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "support.db")
	st := openStore(t, path)
	m := llmtest.New(
		llmtest.ToolCalls(llmtest.Call("lookup_order", `{"order_id":"a1001"}`)),
		llmtest.Text("Your keyboard shipped with DHL and arrives in 2 days."),
	)
	svc, err := support.New(support.Config{Model: m, Store: st, NoTrace: true})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(svc.Handler())
	defer srv.Close()
	code, cr, raw := post(t, srv.URL, `{"user":"alice","message":"Where is order A1001?"}`)
	if code != 200 || cr.Steps != 1 || !strings.Contains(cr.Answer, "DHL") {
		t.Fatalf("chat = %d %s", code, raw)
	}
	if got := m.Requests()[1].Messages; !strings.Contains(got[len(got)-1].Content, "JD014600006281") {
		t.Errorf("the model did not see the order: %+v", got[len(got)-1])
	}
	for _, body := range []string{`{"user":"","message":"x"}`, `not json`, `{"user":"a"}`} {
		if code, _, _ := post(t, srv.URL, body); code != 400 {
			t.Errorf("POST %s: %d, want 400", body, code)
		}
	}
	srv.Close()
	st.Close()

	// A new process on the same file continues the conversation.
	st2 := openStore(t, path)
	m2 := llmtest.New(llmtest.Text("Yes, in 2 days."))
	svc2, err := support.New(support.Config{Model: m2, Store: st2, NoTrace: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc2.Chat(context.Background(), "alice", "Still on track?"); err != nil {
		t.Fatal(err)
	}
	var seen strings.Builder
	for _, msg := range m2.Requests()[0].Messages {
		seen.WriteString(msg.Content + "\n")
	}
	if !strings.Contains(seen.String(), "Where is order A1001?") || !strings.Contains(seen.String(), "arrives in 2 days") {
		t.Errorf("after a restart the history is lost:\n%s", seen.String())
	}
}
