package observe

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// Tracing is the OpenTelemetry trace pipeline: spans are batched and sent to
// an OTLP/HTTP endpoint. A nil *Tracing traces nothing.
type Tracing struct {
	provider *sdktrace.TracerProvider
}

// StartTracing sends spans to the OTLP/HTTP traces endpoint (a full URL,
// path included; "" takes the SDK's default from OTEL_EXPORTER_OTLP_* or
// http://localhost:4318/v1/traces). The SDK reads the other standard
// variables itself: OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES,
// OTEL_TRACES_SAMPLER, OTEL_BSP_*, OTEL_EXPORTER_OTLP_HEADERS and the
// exporter's timeouts and certificates. Nothing is sent until a span ends, so
// an unreachable collector does not stop the start.
func StartTracing(ctx context.Context, endpoint string, b BuildInfo, log *slog.Logger) (*Tracing, error) {
	// The SDK reports failed exports through a process-wide handler, to the
	// standard logger by default; they belong in the server's log.
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { log.Warn("tracing", "err", err) }))
	var opts []otlptracehttp.Option
	if endpoint != "" {
		opts = append(opts, otlptracehttp.WithEndpointURL(endpoint))
	}
	exp, err := otlptracehttp.New(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("OTLP trace exporter: %w", err)
	}
	// Later detectors win: the environment may rename the service.
	res, err := resource.New(ctx,
		resource.WithAttributes(attribute.String("service.name", "lianqi"), attribute.String("service.version", b.Version)),
		resource.WithFromEnv(), resource.WithHost(), resource.WithProcessRuntimeVersion())
	if err != nil {
		return nil, fmt.Errorf("trace resource: %w", err)
	}
	return &Tracing{provider: sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))}, nil
}

// Tracer returns the tracer for Lianqi's own spans, or nil without tracing.
func (t *Tracing) Tracer() trace.Tracer {
	if t == nil {
		return nil
	}
	return t.provider.Tracer("github.com/lianqi/lianqi")
}

// Handler wraps the HTTP handler in a server span per request, continuing a
// trace the caller started (W3C traceparent). Without tracing it returns next.
func (t *Tracing) Handler(next http.Handler, route func(*http.Request) string) http.Handler {
	if t == nil {
		return next
	}
	return otelhttp.NewHandler(next, "http", otelhttp.WithTracerProvider(t.provider),
		otelhttp.WithPropagators(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string {
			// The route, not the path: span names must stay few.
			if p := route(r); p != "" {
				if _, path, ok := strings.Cut(p, " "); ok {
					p = path
				}
				return r.Method + " " + p
			}
			return r.Method
		}))
}

// Flush sends the spans ended so far.
func (t *Tracing) Flush(ctx context.Context) error {
	if t == nil {
		return nil
	}
	return t.provider.ForceFlush(ctx)
}

// Shutdown sends the remaining spans and stops the pipeline.
func (t *Tracing) Shutdown(ctx context.Context) error {
	if t == nil {
		return nil
	}
	return t.provider.Shutdown(ctx)
}
