// Package wiretest serves scripted HTTP exchanges on loopback for the
// tests of plait's wire clients: each exchange states the exact request
// the client must send (method, path, headers, JSON body compared
// semantically) and the exact response to give back.
package wiretest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// Exchange is one scripted request and its response.
type Exchange struct {
	// Method and Path (with the query, if any) the request must have;
	// Method defaults to POST.
	Method, Path string
	// Header lists headers the request must carry with these values.
	Header map[string]string
	// NoHeader lists headers the request must not carry.
	NoHeader []string
	// Body is the JSON the request body must equal, compared as values;
	// empty skips the check.
	Body string
	// Status is the response status; 200 when zero.
	Status int
	// RespHeader are response headers.
	RespHeader map[string]string
	// Resp is the response body, written as it is.
	Resp string
	// Handler, when set, answers instead of Status/Resp (after the request
	// checks).
	Handler http.HandlerFunc
}

// Server is a loopback server that answers scripted exchanges in order,
// to concurrent requests too (in the order they arrive). Read Bodies only
// after the requests are done.
type Server struct {
	*httptest.Server
	t     testing.TB
	mu    sync.Mutex
	steps []Exchange
	n     int
	// Bodies holds the request bodies received, in order.
	Bodies [][]byte
}

// New starts a server for the exchanges; it is closed when the test ends.
func New(t testing.TB, steps ...Exchange) *Server {
	t.Helper()
	s := &Server{t: t, steps: steps}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// Calls returns the number of requests served.
func (s *Server) Calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	i := s.n
	s.n++
	s.Bodies = append(s.Bodies, body)
	s.mu.Unlock()
	if i >= len(s.steps) {
		s.t.Errorf("unexpected request %d: %s %s %s", i+1, r.Method, r.URL, body)
		http.Error(w, "no more exchanges", http.StatusTeapot)
		return
	}
	ex := s.steps[i]
	method := ex.Method
	if method == "" {
		method = http.MethodPost
	}
	if r.Method != method {
		s.t.Errorf("request %d: method %s, want %s", i+1, r.Method, method)
	}
	if ex.Path != "" && r.URL.RequestURI() != ex.Path {
		s.t.Errorf("request %d: path %s, want %s", i+1, r.URL.RequestURI(), ex.Path)
	}
	for k, v := range ex.Header {
		if got := r.Header.Get(k); got != v {
			s.t.Errorf("request %d: header %s = %q, want %q", i+1, k, got, v)
		}
	}
	for _, k := range ex.NoHeader {
		if got, ok := r.Header[http.CanonicalHeaderKey(k)]; ok {
			s.t.Errorf("request %d: header %s = %q, want none", i+1, k, got)
		}
	}
	if ex.Body != "" {
		if err := JSONEqual([]byte(ex.Body), body); err != "" {
			s.t.Errorf("request %d body: %s", i+1, err)
		}
	}
	if ex.Handler != nil {
		ex.Handler(w, r)
		return
	}
	for k, v := range ex.RespHeader {
		w.Header().Set(k, v)
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	status := ex.Status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	io.WriteString(w, ex.Resp)
}

// JSONEqual compares two JSON documents as values and returns "" when they
// are equal, or a message that shows both.
func JSONEqual(want, got []byte) string {
	var w, g any
	if err := json.Unmarshal(want, &w); err != nil {
		return "the expected JSON does not parse: " + err.Error()
	}
	if err := json.Unmarshal(got, &g); err != nil {
		return "the JSON sent does not parse: " + err.Error() + ": " + string(got)
	}
	if reflect.DeepEqual(w, g) {
		return ""
	}
	return "JSON differs\n got: " + canon(g) + "\nwant: " + canon(w)
}

func canon(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
	return strings.TrimSpace(b.String())
}

// SSE renders events as a server-sent event stream: each string is the data
// of one event.
func SSE(data ...string) string {
	var b strings.Builder
	for _, d := range data {
		b.WriteString("data: " + d + "\n\n")
	}
	return b.String()
}

// Body is an http.RoundTripper that answers every request with status 200
// and the given body, for fuzzing decoders through a client's public API
// without a network.
type Body []byte

// RoundTrip implements http.RoundTripper.
func (b Body) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		r.Body.Close()
	}
	return &http.Response{
		StatusCode: http.StatusOK,
		Header:     http.Header{"Content-Type": {"text/event-stream"}},
		Body:       io.NopCloser(bytes.NewReader(b)),
		Request:    r,
	}, nil
}
