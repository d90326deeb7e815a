package serve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/plait-ai/plait/llm"
)

// Server serves models over the OpenAI- and Ollama-compatible APIs.
type Server struct {
	// Models are the models clients can ask for, by name.
	Models map[string]llm.Model
	// Default answers requests for a name not in Models (and requests with
	// no model name); nil makes such requests fail with 404.
	Default llm.Model
	// APIKey, when set, must be sent as "Authorization: Bearer KEY".
	APIKey string
	// MaxBodyBytes bounds a request body; 0 means 8 MiB.
	MaxBodyBytes int64
	// MaxConcurrent bounds the generations in progress; further requests
	// get 429 with Retry-After. 0 means 16.
	MaxConcurrent int
	// AllowOrigins lists the origins browser clients may call from ("*"
	// for any), for extensions such as Page Assist.
	AllowOrigins []string
	// Logger receives one line per request; nil means slog.Default().
	Logger *slog.Logger
	// Version is reported by /api/version; clients check it. Defaults to
	// a recent Ollama version.
	Version string
	// Info describes models for /api/tags and /api/show; optional.
	Info func(name string) ModelDetails

	sem chan struct{}
}

// ModelDetails describes a model to Ollama clients.
type ModelDetails struct {
	Family            string
	ParameterSize     string // "494M"
	QuantizationLevel string // "Q4_K_M"
	Size              int64  // bytes
	ContextLength     int
}

// Handler returns the HTTP handler of the server.
func (s *Server) Handler() http.Handler {
	n := s.MaxConcurrent
	if n <= 0 {
		n = 16
	}
	s.sem = make(chan struct{}, n)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/chat/completions", s.openAIChat)
	mux.HandleFunc("GET /v1/models", s.openAIModels)
	mux.HandleFunc("GET /v1/models/{id...}", s.openAIModel)
	mux.HandleFunc("POST /api/chat", s.ollamaChat)
	mux.HandleFunc("POST /api/generate", s.ollamaGenerate)
	mux.HandleFunc("GET /api/tags", s.ollamaTags)
	mux.HandleFunc("POST /api/show", s.ollamaShow)
	mux.HandleFunc("GET /api/version", s.ollamaVersion)
	mux.HandleFunc("GET /api/ps", s.ollamaPS)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprint(w, "Ollama is running")
	})
	mux.HandleFunc("HEAD /{$}", func(w http.ResponseWriter, r *http.Request) {})
	return s.middleware(mux)
}

func (s *Server) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

// middleware applies CORS, authentication, the body limit and logging.
func (s *Server) middleware(next http.Handler) http.Handler {
	limit := s.MaxBodyBytes
	if limit <= 0 {
		limit = 8 << 20
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		if origin := r.Header.Get("Origin"); origin != "" && s.originAllowed(origin) {
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Vary", "Origin")
			h.Set("Access-Control-Allow-Methods", "GET, POST, HEAD, OPTIONS")
			h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, User-Agent, Accept, X-Requested-With, OpenAI-Beta, X-Stainless-Arch, X-Stainless-Lang, X-Stainless-OS, X-Stainless-Package-Version, X-Stainless-Retry-Count, X-Stainless-Runtime, X-Stainless-Runtime-Version, X-Stainless-Timeout")
			if r.Method == http.MethodOptions {
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		if s.APIKey != "" && !s.authorized(r) {
			writeError(w, r, http.StatusUnauthorized, "invalid_api_key", "missing or invalid API key: send Authorization: Bearer <key>")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		sw := &statusWriter{ResponseWriter: w, status: 200}
		next.ServeHTTP(sw, r)
		s.logger().Info("serve", "method", r.Method, "path", r.URL.Path, "status", sw.status, "duration", time.Since(start))
	})
}

func (s *Server) originAllowed(origin string) bool {
	for _, o := range s.AllowOrigins {
		if o == "*" || strings.EqualFold(o, origin) {
			return true
		}
	}
	return false
}

func (s *Server) authorized(r *http.Request) bool {
	auth := r.Header.Get("Authorization")
	if k, ok := strings.CutPrefix(auth, "Bearer "); ok && constantTimeEqual(strings.TrimSpace(k), s.APIKey) {
		return true
	}
	return false
}

func constantTimeEqual(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	var v byte
	for i := 0; i < len(a); i++ {
		v |= a[i] ^ b[i]
	}
	return v == 0
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// model returns the model for name.
func (s *Server) model(name string) (llm.Model, bool) {
	if m, ok := s.Models[name]; ok {
		return m, true
	}
	// Ollama clients add ":latest" to names without a tag.
	if base, ok := strings.CutSuffix(name, ":latest"); ok {
		if m, ok := s.Models[base]; ok {
			return m, true
		}
	}
	if s.Default != nil {
		return s.Default, true
	}
	return nil, false
}

// names returns the served model names, sorted.
func (s *Server) names() []string {
	names := make([]string, 0, len(s.Models)+1)
	for n := range s.Models {
		names = append(names, n)
	}
	if len(names) == 0 && s.Default != nil {
		name := llm.InfoOf(s.Default).Model
		if name == "" {
			name = "plait"
		}
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// acquire takes a generation slot, or answers 429.
func (s *Server) acquire(w http.ResponseWriter, r *http.Request) bool {
	select {
	case s.sem <- struct{}{}:
		return true
	default:
		w.Header().Set("Retry-After", "1")
		writeError(w, r, http.StatusTooManyRequests, "rate_limit_exceeded", "the server is busy: too many generations in progress; retry shortly")
		return false
	}
}

func (s *Server) release() { <-s.sem }

// writeError answers in the error format of the API the path belongs to.
func writeError(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if strings.HasPrefix(r.URL.Path, "/api/") {
		json.NewEncoder(w).Encode(map[string]string{"error": msg})
		return
	}
	typ := "invalid_request_error"
	switch {
	case status == http.StatusUnauthorized:
		typ = "authentication_error"
	case status == http.StatusTooManyRequests:
		typ = "rate_limit_error"
	case status >= 500:
		typ = "server_error"
	}
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"message": msg, "type": typ, "code": code}})
}

// statusOf maps a model error to an HTTP status and code.
func statusOf(err error) (int, string) {
	var le *llm.Error
	switch {
	case errors.Is(err, context.Canceled):
		return 499, "canceled"
	case errors.As(err, &le):
		switch le.Kind {
		case llm.KindAuth:
			return http.StatusBadGateway, "upstream_auth"
		case llm.KindRateLimit:
			return http.StatusTooManyRequests, "rate_limit_exceeded"
		case llm.KindContextLength:
			return http.StatusBadRequest, "context_length_exceeded"
		case llm.KindInvalidRequest:
			return http.StatusBadRequest, "invalid_request"
		case llm.KindTimeout:
			return http.StatusGatewayTimeout, "timeout"
		}
		return http.StatusBadGateway, "upstream_error"
	}
	return http.StatusInternalServerError, "internal_error"
}

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeError(w, r, http.StatusRequestEntityTooLarge, "request_too_large", fmt.Sprintf("request body over %d bytes", mbe.Limit))
			return false
		}
		writeError(w, r, http.StatusBadRequest, "invalid_json", "request body is not valid JSON: "+err.Error())
		return false
	}
	return true
}
