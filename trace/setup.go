package trace

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.41.0"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
)

// Config configures [Setup]. The zero value installs nothing unless the
// environment asks for an exporter. Fields set here take precedence over
// the environment, except OTEL_SDK_DISABLED=true, which turns everything
// off.
type Config struct {
	// ServiceName names the service (service.name); empty means
	// OTEL_SERVICE_NAME, else the executable's name.
	ServiceName string
	// ServiceVersion is service.version, if set.
	ServiceVersion string
	// Resource holds extra resource attributes; OTEL_RESOURCE_ATTRIBUTES
	// adds more.
	Resource []attribute.KeyValue

	// OTLPEndpoint is the base URL of an OTLP receiver
	// ("http://localhost:4318", "http://localhost:4317" for gRPC), as
	// OTEL_EXPORTER_OTLP_ENDPOINT; setting either turns OTLP export of
	// spans and metrics on. For HTTP, /v1/traces and /v1/metrics are
	// appended. Signal-specific variables
	// (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, ...) are honoured too.
	OTLPEndpoint string
	// OTLPProtocol is "grpc", "http/protobuf" or "http/json" (spans only;
	// metrics then go as http/protobuf); empty means
	// OTEL_EXPORTER_OTLP_{TRACES,METRICS}_PROTOCOL or
	// OTEL_EXPORTER_OTLP_PROTOCOL, else "http/protobuf".
	OTLPProtocol string
	// OTLPHeaders are sent with every export (an API key for a hosted
	// collector); OTEL_EXPORTER_OTLP_HEADERS adds more. Their values are
	// scrubbed from recorded content.
	OTLPHeaders map[string]string

	// File, when set, appends every span to this file as JSON lines (see
	// [JSONLExporter]).
	File string
	// Timeline, when set, prints each finished run to it as an indented
	// tree (see [Timeline]): the examples' -trace flag sets it to
	// os.Stderr.
	Timeline io.Writer
	// TimelineOptions configures the timeline.
	TimelineOptions TimelineOptions

	// Content opts in to recording message and argument content through a
	// Redactor; nil means none, unless
	// OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true, which means
	// [RecordAll].
	Content Redactor
	// Secrets are values never to record (API keys given in code); see
	// [WithSecrets].
	Secrets []string

	// Sampler samples spans; nil means OTEL_TRACES_SAMPLER and
	// OTEL_TRACES_SAMPLER_ARG, else parent-based always-on.
	Sampler sdktrace.Sampler
	// SpanProcessors are added to the tracer provider as they are (an
	// exporter of your own, an in-memory recorder for tests).
	SpanProcessors []sdktrace.SpanProcessor
	// MetricReaders are added to the meter provider as they are.
	MetricReaders []sdkmetric.Reader
	// NoMetrics turns metric export off.
	NoMetrics bool
}

// Setup installs OpenTelemetry for plait in one call: an SDK tracer
// provider with the exporters the config and environment ask for, an SDK
// meter provider, the W3C propagators, and a default [Tracer] that
// records content through Config.Content. It returns a function that
// flushes and shuts everything down; call it before the program exits.
//
//	shutdown, err := trace.Setup(ctx, trace.Config{Timeline: os.Stderr})
//	if err != nil { ... }
//	defer shutdown(context.Background())
//
// The standard variables are honoured: OTEL_SDK_DISABLED,
// OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_EXPORTER and
// OTEL_METRICS_EXPORTER ("otlp", "console" (JSON lines on stdout; spans
// only), "none"; a comma-separated list), OTEL_EXPORTER_OTLP_ENDPOINT,
// _PROTOCOL, _HEADERS, _TIMEOUT, _COMPRESSION, _INSECURE, _CERTIFICATE and
// their _TRACES_ and _METRICS_ forms, OTEL_TRACES_SAMPLER(_ARG), OTEL_BSP_*,
// OTEL_METRIC_EXPORT_INTERVAL and OTEL_PROPAGATORS ("tracecontext",
// "baggage", "none"). One deviation: with OTEL_TRACES_EXPORTER unset, OTLP
// is used only when an endpoint is configured, so that a program run
// without a collector does not retry a missing localhost:4318.
//
// When nothing is asked for, Setup installs no provider and plait's
// tracing is off (no-op providers), as it is with OTEL_SDK_DISABLED=true. Setup replaces the global OpenTelemetry
// providers; call it once, early.
func Setup(ctx context.Context, cfg Config) (shutdown func(context.Context) error, err error) {
	if disabled, _ := strconv.ParseBool(os.Getenv("OTEL_SDK_DISABLED")); disabled {
		prev := setDefault(off())
		return func(context.Context) error { setDefault(prev); return nil }, nil
	}
	var closers []func(context.Context) error
	fail := func(err error) (func(context.Context) error, error) {
		for i := len(closers) - 1; i >= 0; i-- {
			_ = closers[i](ctx)
		}
		return nil, err
	}

	traceExp, err := exporterList("OTEL_TRACES_EXPORTER")
	if err != nil {
		return fail(err)
	}
	metricExp, err := exporterList("OTEL_METRICS_EXPORTER")
	if err != nil {
		return fail(err)
	}
	otlpTraces := wantOTLP(traceExp, cfg.OTLPEndpoint, "TRACES")
	otlpMetrics := !cfg.NoMetrics && wantOTLP(metricExp, cfg.OTLPEndpoint, "METRICS")

	res, err := newResource(ctx, cfg)
	if err != nil {
		return fail(err)
	}

	// Spans.
	var procs []sdktrace.SpanProcessor
	if otlpTraces {
		exp, err := newTraceExporter(ctx, cfg)
		if err != nil {
			return fail(err)
		}
		procs = append(procs, sdktrace.NewBatchSpanProcessor(exp))
	}
	if traceExp["console"] {
		procs = append(procs, sdktrace.NewBatchSpanProcessor(NewJSONLExporter(os.Stdout)))
	}
	if cfg.File != "" {
		f, err := os.OpenFile(cfg.File, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return fail(fmt.Errorf("trace: open the span file: %w (check Config.File)", err))
		}
		closers = append(closers, func(context.Context) error { return f.Close() })
		procs = append(procs, sdktrace.NewBatchSpanProcessor(NewJSONLExporter(f)))
	}
	if cfg.Timeline != nil {
		procs = append(procs, NewTimeline(cfg.Timeline, cfg.TimelineOptions))
	}
	procs = append(procs, cfg.SpanProcessors...)

	// Metrics.
	var readers []sdkmetric.Reader
	if otlpMetrics {
		exp, err := newMetricExporter(ctx, cfg)
		if err != nil {
			return fail(err)
		}
		readers = append(readers, sdkmetric.NewPeriodicReader(exp))
	}
	if !cfg.NoMetrics {
		readers = append(readers, cfg.MetricReaders...)
	}

	opts := []Option{WithSecrets(cfg.Secrets...)}
	for _, v := range cfg.OTLPHeaders {
		opts = append(opts, WithSecrets(v))
	}
	content := cfg.Content
	if content == nil {
		if on, _ := strconv.ParseBool(os.Getenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT")); on {
			content = RecordAll
		}
	}
	opts = append(opts, WithContent(content))

	if len(procs) == 0 {
		opts = append(opts, WithTracerProvider(tracenoop.NewTracerProvider()))
	} else {
		tpOpts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res)}
		if cfg.Sampler != nil {
			tpOpts = append(tpOpts, sdktrace.WithSampler(cfg.Sampler))
		}
		for _, p := range procs {
			tpOpts = append(tpOpts, sdktrace.WithSpanProcessor(p))
		}
		tp := sdktrace.NewTracerProvider(tpOpts...)
		otel.SetTracerProvider(tp)
		closers = append(closers, tp.Shutdown)
		opts = append(opts, WithTracerProvider(tp))
	}
	if len(readers) == 0 {
		opts = append(opts, WithMeterProvider(metricnoop.NewMeterProvider()))
	} else {
		mpOpts := []sdkmetric.Option{sdkmetric.WithResource(res)}
		for _, r := range readers {
			mpOpts = append(mpOpts, sdkmetric.WithReader(r))
		}
		mp := sdkmetric.NewMeterProvider(mpOpts...)
		otel.SetMeterProvider(mp)
		closers = append(closers, mp.Shutdown)
		opts = append(opts, WithMeterProvider(mp))
	}
	if p := propagators(); p != nil {
		otel.SetTextMapPropagator(p)
	}

	prev := setDefault(New(opts...))
	return func(ctx context.Context) error {
		setDefault(prev)
		var errs []error
		// Providers first (they flush into the file), then the file.
		for i := len(closers) - 1; i >= 0; i-- {
			if err := closers[i](ctx); err != nil {
				errs = append(errs, err)
			}
		}
		if err := errors.Join(errs...); err != nil {
			return fmt.Errorf("trace: shutdown: %w", err)
		}
		return nil
	}, nil
}

// off returns a Tracer that records nothing.
func off() *Tracer {
	return New(WithTracerProvider(tracenoop.NewTracerProvider()), WithMeterProvider(metricnoop.NewMeterProvider()))
}

// exporterList parses an OTEL_*_EXPORTER variable; nil when unset.
func exporterList(name string) (map[string]bool, error) {
	v := strings.TrimSpace(os.Getenv(name))
	if v == "" {
		return nil, nil
	}
	set := map[string]bool{}
	for _, e := range strings.Split(v, ",") {
		e = strings.ToLower(strings.TrimSpace(e))
		switch e {
		case "otlp", "none", "console":
			set[e] = true
		case "":
		default:
			return nil, fmt.Errorf("trace: %s=%q: exporter %q is not supported; use otlp, console or none", name, v, e)
		}
	}
	if name == "OTEL_METRICS_EXPORTER" && set["console"] {
		return nil, fmt.Errorf("trace: %s=%q: the console exporter is for spans only; use otlp or none", name, v)
	}
	return set, nil
}

// wantOTLP decides whether a signal goes to OTLP.
func wantOTLP(list map[string]bool, endpoint, signal string) bool {
	if endpoint != "" {
		return true
	}
	if list != nil {
		return list["otlp"]
	}
	return os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || os.Getenv("OTEL_EXPORTER_OTLP_"+signal+"_ENDPOINT") != ""
}

// protocol returns the OTLP protocol for a signal.
func protocol(cfg Config, signal string) (string, error) {
	p := cfg.OTLPProtocol
	if p == "" {
		p = os.Getenv("OTEL_EXPORTER_OTLP_" + signal + "_PROTOCOL")
	}
	if p == "" {
		p = os.Getenv("OTEL_EXPORTER_OTLP_PROTOCOL")
	}
	switch p = strings.ToLower(strings.TrimSpace(p)); p {
	case "":
		return "http/protobuf", nil
	case "grpc", "http/protobuf", "http/json":
		return p, nil
	}
	return "", fmt.Errorf("trace: OTLP protocol %q is not supported; use grpc, http/protobuf or http/json", p)
}

// signalURL joins an OTLP base URL and a signal path for HTTP.
func signalURL(base, path string) (string, error) {
	u, err := url.Parse(base)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return "", fmt.Errorf("trace: OTLP endpoint %q is not a URL like http://localhost:4318", base)
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + path
	return u.String(), nil
}

func newTraceExporter(ctx context.Context, cfg Config) (sdktrace.SpanExporter, error) {
	p, err := protocol(cfg, "TRACES")
	if err != nil {
		return nil, err
	}
	if p == "grpc" {
		var opts []otlptracegrpc.Option
		if cfg.OTLPEndpoint != "" {
			if _, err := signalURL(cfg.OTLPEndpoint, ""); err != nil {
				return nil, err
			}
			opts = append(opts, otlptracegrpc.WithEndpointURL(cfg.OTLPEndpoint))
		}
		if len(cfg.OTLPHeaders) > 0 {
			opts = append(opts, otlptracegrpc.WithHeaders(cfg.OTLPHeaders))
		}
		exp, err := otlptracegrpc.New(ctx, opts...)
		if err != nil {
			return nil, fmt.Errorf("trace: OTLP/gRPC span exporter: %w", err)
		}
		return exp, nil
	}
	var opts []otlptracehttp.Option
	if cfg.OTLPEndpoint != "" {
		u, err := signalURL(cfg.OTLPEndpoint, "/v1/traces")
		if err != nil {
			return nil, err
		}
		opts = append(opts, otlptracehttp.WithEndpointURL(u))
	}
	if len(cfg.OTLPHeaders) > 0 {
		opts = append(opts, otlptracehttp.WithHeaders(cfg.OTLPHeaders))
	}
	if p == "http/json" {
		opts = append(opts, otlptracehttp.WithEncoding(otlptracehttp.EncodingJSON))
	}
	exp, err := otlptracehttp.New(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("trace: OTLP/HTTP span exporter: %w", err)
	}
	return exp, nil
}

func newMetricExporter(ctx context.Context, cfg Config) (sdkmetric.Exporter, error) {
	p, err := protocol(cfg, "METRICS")
	if err != nil {
		return nil, err
	}
	if p == "grpc" {
		var opts []otlpmetricgrpc.Option
		if cfg.OTLPEndpoint != "" {
			opts = append(opts, otlpmetricgrpc.WithEndpointURL(cfg.OTLPEndpoint))
		}
		if len(cfg.OTLPHeaders) > 0 {
			opts = append(opts, otlpmetricgrpc.WithHeaders(cfg.OTLPHeaders))
		}
		exp, err := otlpmetricgrpc.New(ctx, opts...)
		if err != nil {
			return nil, fmt.Errorf("trace: OTLP/gRPC metric exporter: %w", err)
		}
		return exp, nil
	}
	var opts []otlpmetrichttp.Option
	if cfg.OTLPEndpoint != "" {
		u, err := signalURL(cfg.OTLPEndpoint, "/v1/metrics")
		if err != nil {
			return nil, err
		}
		opts = append(opts, otlpmetrichttp.WithEndpointURL(u))
	}
	if len(cfg.OTLPHeaders) > 0 {
		opts = append(opts, otlpmetrichttp.WithHeaders(cfg.OTLPHeaders))
	}
	exp, err := otlpmetrichttp.New(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("trace: OTLP/HTTP metric exporter: %w", err)
	}
	return exp, nil
}

// newResource describes the process. It leaves out the command line,
// which may hold keys.
func newResource(ctx context.Context, cfg Config) (*resource.Resource, error) {
	var attrs []attribute.KeyValue
	name := cfg.ServiceName
	if name == "" && os.Getenv("OTEL_SERVICE_NAME") == "" {
		if exe, err := os.Executable(); err == nil {
			name = exe[strings.LastIndexAny(exe, `/\`)+1:]
		}
	}
	if name != "" {
		attrs = append(attrs, semconv.ServiceName(name))
	}
	if cfg.ServiceVersion != "" {
		attrs = append(attrs, semconv.ServiceVersion(cfg.ServiceVersion))
	}
	attrs = append(attrs, cfg.Resource...)
	// Later options win: the environment overrides the executable's name,
	// and Config overrides the environment.
	opts := []resource.Option{
		resource.WithSchemaURL(SchemaURL),
		resource.WithTelemetrySDK(),
		resource.WithHost(),
		resource.WithOSType(),
		resource.WithProcessPID(),
		resource.WithProcessExecutableName(),
		resource.WithProcessRuntimeName(),
		resource.WithProcessRuntimeVersion(),
	}
	if cfg.ServiceName == "" {
		opts = append(opts, resource.WithAttributes(attrs...), resource.WithFromEnv())
	} else {
		opts = append(opts, resource.WithFromEnv(), resource.WithAttributes(attrs...))
	}
	res, err := resource.New(ctx, opts...)
	if err != nil && res == nil {
		return nil, fmt.Errorf("trace: describe the service: %w (check OTEL_RESOURCE_ATTRIBUTES)", err)
	}
	return res, nil
}

// propagators returns the propagators OTEL_PROPAGATORS names, or
// tracecontext and baggage; nil for "none".
func propagators() propagation.TextMapPropagator {
	v := strings.TrimSpace(os.Getenv("OTEL_PROPAGATORS"))
	if v == "" {
		return propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
	}
	var ps []propagation.TextMapPropagator
	for _, p := range strings.Split(v, ",") {
		switch strings.ToLower(strings.TrimSpace(p)) {
		case "tracecontext":
			ps = append(ps, propagation.TraceContext{})
		case "baggage":
			ps = append(ps, propagation.Baggage{})
		case "none":
			return nil
		}
	}
	if len(ps) == 0 {
		return nil
	}
	return propagation.NewCompositeTextMapPropagator(ps...)
}
