// Package support is the service example's HTTP service: a customer-support
// agent behind a small JSON API, with one conversation per user kept in a
// memory.Store (SQLite in the example), so a user's later questions see the
// earlier ones, across restarts.
//
//	POST /chat     {"user": "alice", "message": "Where is my order A1001?"}
//	               -> {"answer": "...", "conversation": "<uuid>", "steps": 1}
//	GET  /history?user=alice
//	               -> {"conversation": "<uuid>", "messages": [{"role": "user", "content": "..."}, ...]}
//
// Requests of different users run concurrently; requests of one user run one
// at a time, so that their history stays in order.
package support

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"net/http"
	"strings"
	"sync"

	"github.com/google/uuid"

	"github.com/plait-ai/plait/agent"
	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/memory"
	"github.com/plait-ai/plait/tools"
)

// Order is an order of the shop.
type Order struct {
	ID       string `json:"id"`
	Status   string `json:"status"`
	Item     string `json:"item"`
	Carrier  string `json:"carrier,omitempty"`
	Tracking string `json:"tracking,omitempty"`
	ETA      string `json:"eta,omitempty"`
}

// DemoOrders are the example's orders.
var DemoOrders = []Order{
	{ID: "A1001", Status: "shipped", Item: "mechanical keyboard", Carrier: "DHL", Tracking: "JD014600006281", ETA: "2 days"},
	{ID: "A1002", Status: "processing", Item: "USB-C dock"},
	{ID: "A1003", Status: "delivered", Item: "27-inch monitor"},
}

// OrderInput is the input of lookup_order.
type OrderInput struct {
	OrderID string `json:"order_id" jsonschema:"description=The order number, like A1001."`
}

// OrderTool returns the tool lookup_order over orders.
func OrderTool(orders []Order) (tools.Tool, error) {
	byID := map[string]Order{}
	for _, o := range orders {
		byID[o.ID] = o
	}
	return tools.Func("lookup_order", "Look up an order's status, carrier, tracking number and expected delivery.",
		func(ctx context.Context, in OrderInput) (Order, error) {
			o, ok := byID[strings.ToUpper(strings.TrimSpace(in.OrderID))]
			if !ok {
				return Order{}, fmt.Errorf("no order %q; ask the customer to check the number", in.OrderID)
			}
			return o, nil
		}, tools.Inline())
}

// Instructions are the support agent's instructions.
const Instructions = `You are the support agent of a small electronics shop. Be friendly and brief.
Look orders up with lookup_order before you say anything about them; never guess a status or a date.
Remember what the customer told you earlier in the conversation.`

// Config configures a Service. Model and Store are required.
type Config struct {
	Model llm.Model
	// Store keeps the conversations (memory/sqlite for one file).
	Store memory.Store
	// Orders are the shop's orders; nil uses DemoOrders.
	Orders []Order
	// HistoryTokens bounds the history each request sees; 0 means 4000.
	HistoryTokens int
	// Strategy defaults to ReAct: a support chat is mostly direct answers.
	Strategy *agent.Strategy
	NoTrace  bool
	// MaxBodyBytes bounds a request; 0 means 64 KiB.
	MaxBodyBytes int64
}

// Service is the HTTP service. It is safe for concurrent use.
type Service struct {
	agent   *agent.Agent
	store   memory.Store
	maxBody int64
	locks   [64]sync.Mutex
}

// New returns the service of cfg.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil {
		return nil, errors.New("support: Config.Store is nil; open one with memory/sqlite")
	}
	orders := cfg.Orders
	if orders == nil {
		orders = DemoOrders
	}
	ot, err := OrderTool(orders)
	if err != nil {
		return nil, fmt.Errorf("support: %w", err)
	}
	strat := agent.ReAct
	if cfg.Strategy != nil {
		strat = *cfg.Strategy
	}
	budget := cfg.HistoryTokens
	if budget == 0 {
		budget = 4000
	}
	a, err := agent.New(agent.Config{
		Name:         "support",
		Model:        cfg.Model,
		Instructions: Instructions,
		ToolList:     []tools.Tool{ot},
		Strategy:     strat,
		Memory:       agent.Memory{Store: cfg.Store, History: memory.HistoryOptions{Budget: budget, Overflow: memory.OverflowTruncate}},
		NoTrace:      cfg.NoTrace,
	})
	if err != nil {
		return nil, fmt.Errorf("support: %w", err)
	}
	max := cfg.MaxBodyBytes
	if max <= 0 {
		max = 64 << 10
	}
	return &Service{agent: a, store: cfg.Store, maxBody: max}, nil
}

var userNamespace = uuid.MustParse("6f1c9f0e-3b7a-4e55-9a51-2a3f3c1f4b10")

// ConversationID returns the conversation of a user: a name-based UUID, so
// the same user finds the same conversation after a restart.
func ConversationID(user string) uuid.UUID {
	return uuid.NewSHA1(userNamespace, []byte(user))
}

func (s *Service) lock(user string) *sync.Mutex {
	h := fnv.New32a()
	h.Write([]byte(user))
	return &s.locks[h.Sum32()%uint32(len(s.locks))]
}

// ChatRequest is the body of POST /chat.
type ChatRequest struct {
	User    string `json:"user"`
	Message string `json:"message"`
}

// ChatResponse is the reply of POST /chat.
type ChatResponse struct {
	Answer       string    `json:"answer"`
	Conversation uuid.UUID `json:"conversation"`
	Steps        int       `json:"steps"`
}

// Message is one message of GET /history.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// Chat answers one message of user.
func (s *Service) Chat(ctx context.Context, user, message string) (*ChatResponse, error) {
	conv := ConversationID(user)
	mu := s.lock(user)
	mu.Lock()
	defer mu.Unlock()
	res, err := s.agent.Run(agent.WithConversation(ctx, conv), message)
	if err != nil {
		return nil, err
	}
	return &ChatResponse{Answer: res.Answer, Conversation: conv, Steps: len(res.Steps)}, nil
}

// History returns the user and assistant messages of user's conversation.
func (s *Service) History(ctx context.Context, user string) ([]Message, error) {
	tr, err := s.store.Load(ctx, ConversationID(user), 0)
	if errors.Is(err, memory.ErrNotFound) {
		return []Message{}, nil
	}
	if err != nil {
		return nil, err
	}
	out := []Message{}
	for _, r := range tr.Messages {
		m := r.Message
		if (m.Role == llm.RoleUser || m.Role == llm.RoleAssistant) && m.Content != "" {
			out = append(out, Message{Role: string(m.Role), Content: m.Content})
		}
	}
	return out, nil
}

// Handler returns the service's HTTP handler.
func (s *Service) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /chat", func(w http.ResponseWriter, r *http.Request) {
		var req ChatRequest
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, s.maxBody))
		if err := dec.Decode(&req); err != nil {
			httpError(w, http.StatusBadRequest, "the body must be JSON: {\"user\": \"...\", \"message\": \"...\"}: "+err.Error())
			return
		}
		req.User, req.Message = strings.TrimSpace(req.User), strings.TrimSpace(req.Message)
		if req.User == "" || req.Message == "" {
			httpError(w, http.StatusBadRequest, "user and message are required")
			return
		}
		resp, err := s.Chat(r.Context(), req.User, req.Message)
		if err != nil {
			status := http.StatusInternalServerError
			switch {
			case errors.Is(err, llm.ErrRateLimit):
				status = http.StatusTooManyRequests
			case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
				status = http.StatusServiceUnavailable
			}
			httpError(w, status, err.Error())
			return
		}
		writeJSON(w, http.StatusOK, resp)
	})
	mux.HandleFunc("GET /history", func(w http.ResponseWriter, r *http.Request) {
		user := strings.TrimSpace(r.URL.Query().Get("user"))
		if user == "" {
			httpError(w, http.StatusBadRequest, "?user= is required")
			return
		}
		msgs, err := s.History(r.Context(), user)
		if err != nil {
			httpError(w, http.StatusInternalServerError, err.Error())
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"conversation": ConversationID(user), "messages": msgs})
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	return mux
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func httpError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}
