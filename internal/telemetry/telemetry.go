// Package telemetry sets up OpenTelemetry tracing from the standard OTEL_* environment variables:
// OTEL_TRACES_EXPORTER (otlp, console or none; unset means none), OTEL_EXPORTER_OTLP_* for the OTLP
// exporter, OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG, OTEL_SERVICE_NAME and
// OTEL_RESOURCE_ATTRIBUTES, and OTEL_SDK_DISABLED. W3C trace context and baggage are propagated
// whatever the exporter, so a caller's traceparent reaches BOSA even when the gateway records nothing.
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"go.opentelemetry.io/contrib/exporters/autoexport"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"
)

// ServiceName is the service.name of the gateway's spans unless OTEL_SERVICE_NAME says otherwise.
const ServiceName = "bosa-gateway"

// Tracing is a tracer provider and propagator built from the environment.
type Tracing struct {
	// Provider records the spans; nil when tracing is off (then nothing is instrumented at all).
	Provider trace.TracerProvider
	// Propagator reads and writes traceparent, tracestate and baggage.
	Propagator propagation.TextMapPropagator
	// Exporter names the span exporter in use ("none" when off), for the start-up log.
	Exporter string
	shutdown func(context.Context) error
}

// Propagator is the W3C trace context and baggage propagator the gateway uses on every wire.
func Propagator() propagation.TextMapPropagator {
	return propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
}

// FromEnv builds tracing from the OTEL_* environment variables; version is the service.version.
func FromEnv(ctx context.Context, version string) (*Tracing, error) {
	t := &Tracing{Propagator: Propagator(), Exporter: "none",
		shutdown: func(context.Context) error { return nil }}
	name := strings.TrimSpace(os.Getenv("OTEL_TRACES_EXPORTER"))
	// Unset means off rather than the SDK's otlp: a gateway without a collector should not log
	// export failures every few seconds.
	if name == "" || name == "none" || strings.EqualFold(os.Getenv("OTEL_SDK_DISABLED"), "true") {
		return t, nil
	}
	exp, err := autoexport.NewSpanExporter(ctx)
	if err != nil {
		return nil, fmt.Errorf("telemetry: OTEL_TRACES_EXPORTER=%s: %w", name, err)
	}
	// Later detectors win: OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES override the defaults.
	res, err := resource.New(ctx,
		resource.WithAttributes(semconv.ServiceName(ServiceName), semconv.ServiceVersion(version)),
		resource.WithTelemetrySDK(), resource.WithFromEnv())
	if err != nil && !errors.Is(err, resource.ErrPartialResource) {
		return nil, fmt.Errorf("telemetry: resource: %w", err)
	}
	// The sampler comes from OTEL_TRACES_SAMPLER (default parentbased_always_on).
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	t.Provider, t.Exporter, t.shutdown = tp, name, tp.Shutdown
	return t, nil
}

// Shutdown flushes the spans not yet exported and stops the exporter.
func (t *Tracing) Shutdown(ctx context.Context) error { return t.shutdown(ctx) }
