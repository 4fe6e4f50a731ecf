package server

import (
	"context"
	"net/http"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc/filters"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

// Tracing, with a TracerProvider: one server span per gRPC call (otelgrpc) and per HTTP request
// (otelhttp), one client span per upstream BOSA request, whose traceparent header BOSA receives.
// Health checks and /metrics are not traced (probes would drown the calls). Spans carry what the
// libraries record (method, route, status, peer, sizes): no metadata, header or body, so no key or
// token.
//
// Without one, no span is made and the instrumentation is not installed (it costs about a fifth of
// a unary call's gateway CPU even with a no-op provider); the caller's trace context still reaches
// BOSA: extracted from the call's metadata or headers, injected into the upstream request.

func (c *Config) tracing() bool { return c.TracerProvider != nil }

// grpcTracing is the gRPC servers' stats handler, or the interceptors that only extract the trace context.
func (c *Config) grpcTracing() []grpc.ServerOption {
	if c.tracing() {
		return []grpc.ServerOption{grpc.StatsHandler(otelgrpc.NewServerHandler(otelgrpc.WithTracerProvider(c.TracerProvider),
			otelgrpc.WithPropagators(c.Propagator), otelgrpc.WithFilter(filters.Not(filters.HealthCheck()))))}
	}
	p := c.Propagator
	return []grpc.ServerOption{
		grpc.ChainUnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			return h(extractMetadata(ctx, p), req)
		}),
		grpc.ChainStreamInterceptor(func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) error {
			if ctx := extractMetadata(ss.Context(), p); ctx != ss.Context() {
				ss = &contextStream{ServerStream: ss, ctx: ctx}
			}
			return h(srv, ss)
		}),
	}
}

// gatewayTracing carries the REST request's trace over the in-process connection (streams).
func (c *Config) gatewayTracing() []grpc.DialOption {
	if c.tracing() {
		return []grpc.DialOption{grpc.WithStatsHandler(otelgrpc.NewClientHandler(otelgrpc.WithTracerProvider(c.TracerProvider),
			otelgrpc.WithPropagators(c.Propagator)))}
	}
	p := c.Propagator
	return []grpc.DialOption{grpc.WithChainStreamInterceptor(func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn,
		method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
		if trace.SpanContextFromContext(ctx).IsValid() {
			md, _ := metadata.FromOutgoingContext(ctx)
			md = md.Copy()
			p.Inject(ctx, metadataCarrier(md))
			ctx = metadata.NewOutgoingContext(ctx, md)
		}
		return streamer(ctx, desc, cc, method, opts...)
	})}
}

// httpTracing wraps the HTTP face; restRouteName then names each REST span by its route template.
func (c *Config) httpTracing(h http.Handler) http.Handler {
	if !c.tracing() {
		p := c.Propagator
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Traceparent") != "" {
				r = r.WithContext(p.Extract(r.Context(), propagation.HeaderCarrier(r.Header)))
			}
			h.ServeHTTP(w, r)
		})
	}
	return otelhttp.NewHandler(h, "http", otelhttp.WithTracerProvider(c.TracerProvider),
		otelhttp.WithPropagators(c.Propagator),
		otelhttp.WithFilter(func(r *http.Request) bool { return r.URL.Path != "/healthz" && r.URL.Path != "/metrics" }),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return r.Method + " " + r.URL.Path }))
}

// upstreamTracing wraps bosaclient's transport: a client span per BOSA request, traceparent
// injected; without tracing, the caller's trace context injected.
func (c *Config) upstreamTracing(rt http.RoundTripper) http.RoundTripper {
	if !c.tracing() {
		return injectTransport{base: rt, p: c.Propagator}
	}
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

// extractMetadata returns ctx with the trace context of the call's metadata, or ctx itself.
func extractMetadata(ctx context.Context, p propagation.TextMapPropagator) context.Context {
	md, _ := metadata.FromIncomingContext(ctx)
	if len(md["traceparent"]) == 0 {
		return ctx
	}
	return p.Extract(ctx, metadataCarrier(md))
}

// metadataCarrier adapts gRPC metadata (lower-case keys) to the propagator.
type metadataCarrier metadata.MD

func (m metadataCarrier) Get(key string) string {
	if v := metadata.MD(m).Get(key); len(v) > 0 {
		return v[0]
	}
	return ""
}

func (m metadataCarrier) Set(key, value string) { metadata.MD(m).Set(key, value) }

func (m metadataCarrier) Keys() []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	return keys
}

// contextStream is a server stream with another context.
type contextStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *contextStream) Context() context.Context { return s.ctx }

// injectTransport sends the request context's trace context (the caller's) to BOSA, on a copy of
// the request as RoundTripper's contract asks.
type injectTransport struct {
	base http.RoundTripper
	p    propagation.TextMapPropagator
}

func (t injectTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if trace.SpanContextFromContext(r.Context()).IsValid() {
		r = r.Clone(r.Context())
		t.p.Inject(r.Context(), propagation.HeaderCarrier(r.Header))
	}
	return t.base.RoundTrip(r)
}
