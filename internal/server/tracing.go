package server

import (
	"net/http"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc/filters"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
)

// Tracing: one server span per gRPC call (otelgrpc) and per HTTP request (otelhttp), one client
// span per upstream BOSA request, whose traceparent header BOSA receives. Health checks and
// /metrics are not traced (probes would drown the calls). Spans carry what the libraries record
// (method, route, status, peer, sizes): no metadata, header or body, so no key or token.

// grpcTracing is the gRPC servers' stats handler.
func (c *Config) grpcTracing() grpc.ServerOption {
	return grpc.StatsHandler(otelgrpc.NewServerHandler(otelgrpc.WithTracerProvider(c.TracerProvider),
		otelgrpc.WithPropagators(c.Propagator), otelgrpc.WithFilter(filters.Not(filters.HealthCheck()))))
}

// gatewayTracing carries the REST request's trace over the in-process connection (streams).
func (c *Config) gatewayTracing() grpc.DialOption {
	return grpc.WithStatsHandler(otelgrpc.NewClientHandler(otelgrpc.WithTracerProvider(c.TracerProvider),
		otelgrpc.WithPropagators(c.Propagator)))
}

// httpTracing wraps the HTTP face; restRouteName then names each REST span by its route template.
func (c *Config) httpTracing(h http.Handler) http.Handler {
	return otelhttp.NewHandler(h, "http", otelhttp.WithTracerProvider(c.TracerProvider),
		otelhttp.WithPropagators(c.Propagator),
		otelhttp.WithFilter(func(r *http.Request) bool { return r.URL.Path != "/healthz" && r.URL.Path != "/metrics" }),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return r.Method + " " + r.URL.Path }))
}

// upstreamTracing wraps bosaclient's transport: a client span per BOSA request, traceparent injected.
func (c *Config) upstreamTracing(rt http.RoundTripper) http.RoundTripper {
	return otelhttp.NewTransport(rt, otelhttp.WithTracerProvider(c.TracerProvider), otelhttp.WithPropagators(c.Propagator),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return "BOSA " + r.Method }))
}

// restRouteName renames the HTTP span after the matched route template (GET /v1/connectors/{name}),
// which has a bounded number of values, unlike the path.
func restRouteName(next runtime.HandlerFunc) runtime.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request, params map[string]string) {
		if p, ok := runtime.HTTPPathPattern(r.Context()); ok {
			trace.SpanFromContext(r.Context()).SetName(r.Method + " " + p)
		}
		next(w, r, params)
	}
}
