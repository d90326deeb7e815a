package trace_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	colmetricpb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/plait-ai/plait/llm"
	"github.com/plait-ai/plait/llm/llmtest"
	"github.com/plait-ai/plait/trace"
)

// otelEnv clears the OTEL_* variables the tests depend on, then sets kv.
func otelEnv(t *testing.T, kv ...string) {
	t.Helper()
	for _, k := range []string{
		"OTEL_SDK_DISABLED", "OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES",
		"OTEL_TRACES_EXPORTER", "OTEL_METRICS_EXPORTER",
		"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
		"OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL",
		"OTEL_EXPORTER_OTLP_HEADERS", "OTEL_TRACES_SAMPLER", "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT",
	} {
		t.Setenv(k, "")
	}
	for i := 0; i+1 < len(kv); i += 2 {
		t.Setenv(kv[i], kv[i+1])
	}
}

// collector is an OTLP receiver on loopback, over HTTP or gRPC.
type collector struct {
	coltracepb.UnimplementedTraceServiceServer
	colmetricpb.UnimplementedMetricsServiceServer

	mu      sync.Mutex
	traces  []*coltracepb.ExportTraceServiceRequest
	metrics []*colmetricpb.ExportMetricsServiceRequest
	raw     [][]byte
	auth    []string
}

func (c *collector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = zr
	}
	data, err := io.ReadAll(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	unmarshal := proto.Unmarshal
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		unmarshal = protojson.Unmarshal
	}
	var resp proto.Message
	c.mu.Lock()
	c.raw = append(c.raw, data)
	c.auth = append(c.auth, r.Header.Get("Authorization"))
	switch r.URL.Path {
	case "/v1/traces":
		req := &coltracepb.ExportTraceServiceRequest{}
		err = unmarshal(data, req)
		c.traces = append(c.traces, req)
		resp = &coltracepb.ExportTraceServiceResponse{}
	case "/v1/metrics":
		req := &colmetricpb.ExportMetricsServiceRequest{}
		err = unmarshal(data, req)
		c.metrics = append(c.metrics, req)
		resp = &colmetricpb.ExportMetricsServiceResponse{}
	default:
		err = io.ErrUnexpectedEOF
	}
	c.mu.Unlock()
	if err != nil {
		http.Error(w, "cannot decode "+r.URL.Path+": "+err.Error(), http.StatusBadRequest)
		return
	}
	out, _ := proto.Marshal(resp)
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

func (c *collector) Export(ctx context.Context, req *coltracepb.ExportTraceServiceRequest) (*coltracepb.ExportTraceServiceResponse, error) {
	raw, _ := proto.Marshal(req)
	md, _ := metadata.FromIncomingContext(ctx)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.traces = append(c.traces, req)
	c.raw = append(c.raw, raw)
	c.auth = append(c.auth, strings.Join(md.Get("authorization"), ","))
	return &coltracepb.ExportTraceServiceResponse{}, nil
}

type metricsService struct {
	colmetricpb.UnimplementedMetricsServiceServer
	c *collector
}

func (m metricsService) Export(ctx context.Context, req *colmetricpb.ExportMetricsServiceRequest) (*colmetricpb.ExportMetricsServiceResponse, error) {
	raw, _ := proto.Marshal(req)
	m.c.mu.Lock()
	defer m.c.mu.Unlock()
	m.c.metrics = append(m.c.metrics, req)
	m.c.raw = append(m.c.raw, raw)
	return &colmetricpb.ExportMetricsServiceResponse{}, nil
}

// spans returns every span received, with the service name of each.
func (c *collector) spans() (spans []*tracepb.Span, services []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, req := range c.traces {
		for _, rs := range req.ResourceSpans {
			svc := ""
			for _, kv := range rs.GetResource().GetAttributes() {
				if kv.Key == "service.name" {
					svc = kv.GetValue().GetStringValue()
				}
			}
			for _, ss := range rs.ScopeSpans {
				for _, s := range ss.Spans {
					spans = append(spans, s)
					services = append(services, svc)
				}
			}
		}
	}
	return spans, services
}

func (c *collector) metricNames() map[string][]float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string][]float64{}
	for _, req := range c.metrics {
		for _, rm := range req.ResourceMetrics {
			for _, sm := range rm.ScopeMetrics {
				for _, m := range sm.Metrics {
					var bounds []float64
					if h := m.GetHistogram(); h != nil && len(h.DataPoints) > 0 {
						bounds = h.DataPoints[0].ExplicitBounds
					}
					out[m.Name] = bounds
				}
			}
		}
	}
	return out
}

func otlpTree(spans []*tracepb.Span) []string {
	byID := map[string]string{}
	for _, s := range spans {
		byID[string(s.SpanId)] = s.Name
	}
	var edges []string
	for _, s := range spans {
		p := "-"
		if len(s.ParentSpanId) > 0 {
			p = byID[string(s.ParentSpanId)]
		}
		edges = append(edges, p+" > "+s.Name)
	}
	slices.Sort(edges)
	return edges
}

// TestSetupOTLP runs a simulated agent run through Setup with
// OTEL_EXPORTER_OTLP_ENDPOINT pointing at a receiver on loopback, for each
// protocol, and checks the spans, metrics and headers that arrive.
func TestSetupOTLP(t *testing.T) {
	const otlpKey = "otlp-ingest-key-5f1e2d3c4b5a"
	const providerKey = "sk-provider-key-0a1b2c3d4e5f"
	for _, protocol := range []string{"http/protobuf", "http/json", "grpc"} {
		t.Run(protocol, func(t *testing.T) {
			c := &collector{}
			var endpoint string
			if protocol == "grpc" {
				lis, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				srv := grpc.NewServer()
				coltracepb.RegisterTraceServiceServer(srv, c)
				colmetricpb.RegisterMetricsServiceServer(srv, metricsService{c: c})
				go func() { _ = srv.Serve(lis) }()
				t.Cleanup(srv.Stop)
				endpoint = "http://" + lis.Addr().String()
			} else {
				srv := httptest.NewServer(c)
				t.Cleanup(srv.Close)
				endpoint = srv.URL
			}
			otelEnv(t,
				"OTEL_EXPORTER_OTLP_ENDPOINT", endpoint,
				"OTEL_EXPORTER_OTLP_PROTOCOL", protocol,
				"OTEL_EXPORTER_OTLP_HEADERS", "authorization=Bearer%20"+otlpKey,
				"OTEL_SERVICE_NAME", "plait-otlp-test",
				"OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "true",
				"PLAIT_TEST_OPENAI_API_KEY", providerKey,
			)
			ctx := context.Background()
			shutdown, err := trace.Setup(ctx, trace.Config{})
			if err != nil {
				t.Fatal(err)
			}
			m := trace.Model(llmtest.New(
				llmtest.Text("plan"), llmtest.Text("paper "+providerKey), llmtest.Text("replan"), llmtest.Text("answer"),
			).WithInfo(llm.Info{Provider: "openai", Model: "gpt-4o-mini"}))
			start := func(ctx context.Context) (context.Context, trace.Span) {
				return trace.StartAgent(ctx, trace.AgentInfo{Name: "researcher"})
			}
			_ = simulateRun(ctx, start, m, trace.Tools(specs)(fakeTools))
			if err := shutdown(ctx); err != nil {
				t.Fatalf("shutdown: %v", err)
			}

			spans, services := c.spans()
			want := []string{
				"- > invoke_agent researcher",
				"invoke_agent researcher > plan",
				"invoke_agent researcher > replan",
				"invoke_agent researcher > step s1",
				"invoke_agent researcher > step s2",
				"invoke_agent researcher > step s3",
				"invoke_agent researcher > summarize",
				"plan > chat gpt-4o-mini",
				"replan > chat gpt-4o-mini",
				"step s1 > execute_tool search",
				"step s2 > chat gpt-4o-mini",
				"step s2 > execute_tool fetch",
				"step s3 > execute_tool fail",
				"summarize > chat gpt-4o-mini",
			}
			if got := otlpTree(spans); !slices.Equal(got, want) {
				t.Fatalf("received tree:\n%s", strings.Join(got, "\n"))
			}
			for _, s := range services {
				if s != "plait-otlp-test" {
					t.Errorf("service.name = %q", s)
				}
			}
			for _, s := range spans {
				if s.Name == "chat gpt-4o-mini" && s.Kind != tracepb.Span_SPAN_KIND_CLIENT {
					t.Errorf("chat kind = %v", s.Kind)
				}
				if s.Name == "execute_tool fail" && s.Status.GetCode() != tracepb.Status_STATUS_CODE_ERROR {
					t.Errorf("failed tool status = %v", s.Status)
				}
			}
			metrics := c.metricNames()
			for _, name := range []string{"gen_ai.client.token.usage", "gen_ai.client.operation.duration", "plait.tool.call.duration", "plait.tool.call.errors", "plait.agent.run.steps", "plait.agent.run.replans"} {
				if _, ok := metrics[name]; !ok {
					t.Errorf("metric %s did not arrive; got %v", name, metrics)
				}
			}
			if b := metrics["gen_ai.client.token.usage"]; !slices.Equal(b, trace.TokenUsageBuckets) {
				t.Errorf("token usage buckets = %v", b)
			}
			if b := metrics["gen_ai.client.operation.duration"]; !slices.Equal(b, trace.DurationBuckets) {
				t.Errorf("duration buckets = %v", b)
			}
			// The collector's key went as a header, and no key is in any
			// exported payload.
			c.mu.Lock()
			defer c.mu.Unlock()
			if !slices.Contains(c.auth, "Bearer "+otlpKey) {
				t.Errorf("authorization headers received: %q", c.auth)
			}
			for _, raw := range c.raw {
				for _, k := range []string{otlpKey, providerKey} {
					if bytes.Contains(raw, []byte(k)) {
						t.Errorf("an exported payload contains the key %s", k)
					}
				}
			}
			if !bytes.Contains(bytes.Join(c.raw, nil), []byte("[REDACTED]")) {
				t.Error("content was not recorded or not scrubbed: no [REDACTED] in the payloads")
			}
		})
	}
}

func TestSetupFileAndTimeline(t *testing.T) {
	otelEnv(t)
	path := filepath.Join(t.TempDir(), "spans.jsonl")
	var tl bytes.Buffer
	ctx := context.Background()
	shutdown, err := trace.Setup(ctx, trace.Config{File: path, Timeline: &tl, TimelineOptions: trace.TimelineOptions{ASCII: true}})
	if err != nil {
		t.Fatal(err)
	}
	m := trace.Model(llmtest.New(llmtest.Text("plan"), llmtest.Text("paper"), llmtest.Text("replan"), llmtest.Text("answer")))
	start := func(ctx context.Context) (context.Context, trace.Span) {
		return trace.StartAgent(ctx, trace.AgentInfo{Name: "researcher"})
	}
	_ = simulateRun(ctx, start, m, trace.Tools(nil)(fakeTools))
	if err := shutdown(ctx); err != nil {
		t.Fatal(err)
	}

	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var got []trace.JSONLSpan
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var s trace.JSONLSpan
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		got = append(got, s)
	}
	if len(got) != 14 {
		t.Fatalf("%d spans in the file, want 14", len(got))
	}
	ids := map[string]string{}
	for _, s := range got {
		ids[s.SpanID] = s.Name
	}
	for _, s := range got {
		switch {
		case s.Name == "execute_tool fail":
			if s.Status != "error" || ids[s.ParentSpanID] != "step s3" {
				t.Errorf("fail span: %+v", s)
			}
		case s.Name == "invoke_agent researcher":
			if s.ParentSpanID != "" || s.Attributes["plait.run.steps"] != float64(3) {
				t.Errorf("agent span: %+v", s)
			}
		}
		if s.DurationMS < 0 || s.End.Before(s.Start) {
			t.Errorf("%s: bad times", s.Name)
		}
	}

	out := tl.String()
	for _, want := range []string{"invoke_agent researcher", "|- plan", "|  `- chat scripted", "`- summarize", "|  `- execute_tool fail", "ERROR tool_failed: the tool broke"} {
		if !strings.Contains(out, want) {
			t.Errorf("timeline lacks %q:\n%s", want, out)
		}
	}
}

func TestSetupOff(t *testing.T) {
	tests := []struct {
		name string
		env  []string
	}{
		{"nothing asked for", nil},
		{"sdk disabled", []string{"OTEL_SDK_DISABLED", "true", "OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1"}},
		{"exporters none", []string{"OTEL_TRACES_EXPORTER", "none", "OTEL_METRICS_EXPORTER", "none", "OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			otelEnv(t, tt.env...)
			var tl bytes.Buffer
			cfg := trace.Config{}
			if tt.name == "sdk disabled" {
				cfg.Timeline = &tl // disabled wins over the config
			}
			shutdown, err := trace.Setup(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			ctx, run := trace.StartAgent(context.Background(), trace.AgentInfo{Name: "a"})
			_, step := trace.StartStep(ctx, "s1", "")
			if run.Recording() || step.Recording() {
				t.Error("spans record with tracing off")
			}
			step.End(nil)
			run.End(nil)
			if err := shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}
			if tl.Len() != 0 {
				t.Errorf("timeline printed with the SDK disabled: %s", tl.String())
			}
		})
	}
}

func TestSetupErrors(t *testing.T) {
	tests := []struct {
		name string
		env  []string
		cfg  trace.Config
		want string
	}{
		{"unknown exporter", []string{"OTEL_TRACES_EXPORTER", "zipkin"}, trace.Config{}, "zipkin"},
		{"console metrics", []string{"OTEL_METRICS_EXPORTER", "console"}, trace.Config{}, "spans only"},
		{"unknown protocol", []string{"OTEL_EXPORTER_OTLP_PROTOCOL", "carrier-pigeon"}, trace.Config{OTLPEndpoint: "http://127.0.0.1:4318"}, "carrier-pigeon"},
		{"endpoint not a URL", nil, trace.Config{OTLPEndpoint: "localhost"}, "not a URL"},
		{"file in a missing folder", []string{"OTEL_TRACES_EXPORTER", "none"}, trace.Config{File: "/nonexistent-dir/x/spans.jsonl"}, "Config.File"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			otelEnv(t, tt.env...)
			shutdown, err := trace.Setup(context.Background(), tt.cfg)
			if err == nil {
				_ = shutdown(context.Background())
				t.Fatal("want an error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
		})
	}
}
