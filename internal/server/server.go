// Package server implements the bosa.v1 gRPC services on top of bosaclient, and runs them: a gRPC
// server (health, reflection, interceptors) and an HTTP server with the REST face (grpc-gateway),
// /openapi.json, /healthz and /metrics.
//
// The path of one request: gen/bosa/v1 (stubs) → connectors.go, actions.go, users.go, integrations.go
// (one file per service) → bosaclient → BOSA. Errors are mapped in errors.go only; page tokens live in
// pagetoken.go; caller credentials in credentials.go; interceptors in middleware.go; the protection
// limits (per-connector upstream concurrency, per-caller rate limit) in limits.go. The REST face
// (http.go) runs unary calls directly through the same interceptors (direct.go) and streams over an
// in-process gRPC connection; an action's JSON data reaches callers without a map[string]any step
// (structjson.go: straight to protobuf wire bytes for gRPC, to a Value tree for REST, written back
// to JSON by restjson.go). What is
// guaranteed under faults, load and shutdown, and the test proving each line: docs/reliability.md.
//
// Configure with a Config, call Complete once (it validates, applies defaults and binds the
// listeners), then Run until the context ends:
//
//	srv, err := server.Config{UpstreamURL: url, APIKey: key}.Complete()
//	...
//	err = srv.Run(ctx)
package server

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"sync"
	"time"

	grpcprom "github.com/grpc-ecosystem/go-grpc-middleware/providers/prometheus"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/recovery"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	grpccreds "google.golang.org/grpc/credentials"
	"google.golang.org/grpc/experimental"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/reflection"

	"bosa.dev/gateway/bosaclient"
	bosav1 "bosa.dev/gateway/gen/bosa/v1"
	"bosa.dev/gateway/internal/buildinfo"
	"bosa.dev/gateway/internal/mcp"
)

// Defaults of Config, spelled out in one place.
const (
	DefaultGRPCAddr             = "127.0.0.1:50051"
	DefaultHTTPAddr             = "127.0.0.1:8080"
	DefaultMaxMessageBytes      = 64 << 20
	DefaultMaxJSONBodyBytes     = 4 << 20
	DefaultMaxConcurrentStreams = 1000
	DefaultMaxPages             = 1000
	DefaultMaxPrefetch          = 8
	DefaultMaxAttempts          = 10
	DefaultShutdownTimeout      = 15 * time.Second
	DefaultReadHeaderTimeout    = 10 * time.Second
	DefaultReadTimeout          = 5 * time.Minute
	DefaultIdleTimeout          = 2 * time.Minute
	DefaultUploadIdleTimeout    = 2 * time.Minute
	DefaultKeepaliveTime        = 2 * time.Minute
	DefaultMaxConnectionIdle    = 15 * time.Minute
)

// Config is the complete configuration of a gateway. Zero fields take the Default* values.
type Config struct {
	// UpstreamURL is the BOSA base URL (bosaclient.DefaultBaseURL when empty).
	UpstreamURL string
	// APIKey is the gateway's BOSA client key. Empty means every caller must send x-api-key.
	APIKey string

	// GRPCAddr and HTTPAddr are the listen addresses; port 0 picks a free port (see Server.GRPCAddr).
	GRPCAddr, HTTPAddr string
	// CORSAllowedOrigins are the browser origins the HTTP listener answers CORS for ("*": any).
	// Empty: CORS off.
	CORSAllowedOrigins []string
	// TLSCertFile and TLSKeyFile, when both set, serve gRPC and HTTP over TLS.
	TLSCertFile, TLSKeyFile string
	// TLSClientCAFile, when set (with TLS), requires every gRPC and HTTP client to present a
	// certificate signed by one of its CAs (mutual TLS).
	TLSClientCAFile string

	// MaxMessageBytes bounds one gRPC message and one upstream answer (files included).
	MaxMessageBytes int
	// MaxJSONBodyBytes bounds one REST request body on every route but the streamed :upload; a
	// larger body is refused before it is read past the limit (see limits.go).
	MaxJSONBodyBytes int
	// MaxConcurrentStreams bounds concurrent calls per gRPC client connection. REST callers share
	// one in-process connection, so they are not bounded by it together (the HTTP server bounds
	// each HTTP/2 connection).
	MaxConcurrentStreams uint32
	// MaxPages bounds one Paginate stream; MaxPrefetch bounds PaginateRequest.prefetch.
	MaxPages, MaxPrefetch int
	// MaxAttempts bounds max_attempts of a request; DefaultAttempts applies when a request leaves it 0
	// (1, no retry, when unset).
	MaxAttempts, DefaultAttempts int
	// UpstreamTimeout is the per-attempt timeout of action calls (bosaclient's default when 0).
	UpstreamTimeout time.Duration
	// RetryBaseDelay is the first backoff between attempts (bosaclient's 500 ms when 0) and
	// MaxRetryAfter caps how long a BOSA Retry-After is honoured (60 s when 0). A wait never
	// outlasts the caller's deadline.
	RetryBaseDelay, MaxRetryAfter time.Duration

	// MaxUpstreamConcurrency bounds the requests in flight to BOSA per connector (0: unbounded).
	// Calls beyond it wait for a slot, within their deadline.
	MaxUpstreamConcurrency int
	// RateLimit, when positive, is the sustained rate (calls per second) each caller may make;
	// RateBurst is the bucket size (default: RateLimit rounded up). A caller is its bearer token
	// (whole, not its unverifiable subject), else its x-api-key, else its IP address. Excess calls
	// get RESOURCE_EXHAUSTED with RetryInfo (REST: 429 with Retry-After).
	RateLimit float64
	RateBurst int

	// ExposeCredentials lets GetIntegration return stored third-party credentials (auth_string).
	ExposeCredentials bool
	// PageTokenSecret signs page tokens. Replicas and restarts accept each other's page tokens (the
	// resume token of a stream ended by shutdown included) only when they share it. Empty means a
	// random secret: tokens then die with the process.
	PageTokenSecret []byte

	// DrainDelay is how long the gateway keeps serving after it turned health NOT_SERVING on shutdown,
	// so that load balancers stop routing to it before it refuses calls (0: stop at once).
	DrainDelay time.Duration
	// ShutdownTimeout bounds the graceful drain on shutdown before in-flight calls are cut. Paginate
	// streams do not wait for it: when the drain begins they end at the next page boundary with
	// UNAVAILABLE, reason GATEWAY_SHUTTING_DOWN, and the token to resume from.
	ShutdownTimeout time.Duration
	// HTTP server timeouts. There is no write timeout, since Paginate streams as long as it has pages;
	// REST callers bound calls with a Grpc-Timeout header or by disconnecting.
	ReadHeaderTimeout, ReadTimeout, IdleTimeout time.Duration
	// UploadIdleTimeout bounds the wait for the next message of an UploadFiles stream, and for the
	// end of the stream after finish: an upload that stalls ends with DEADLINE_EXCEEDED, reason
	// UPLOAD_IDLE, its upstream request aborted and nothing stored. REST uploads run over the same
	// stream, so a REST body that stalls this long ends too (ReadTimeout bounds the whole body).
	UploadIdleTimeout time.Duration

	// AdminAddr, when set, is a second HTTP listener for operators: /debug/pprof/, /metrics, /healthz.
	// MetricsOnAdminOnly then serves /metrics there only, not on HTTPAddr.
	AdminAddr          string
	MetricsOnAdminOnly bool
	// Build identifies the binary in the bosa_gateway_build_info metric (buildinfo.Read() when zero).
	Build buildinfo.Info

	// TracerProvider, when set, records a span for every gRPC and REST call and a child span for
	// each BOSA request (nil: no spans). Propagator reads the caller's traceparent and sends it on to
	// BOSA, with or without spans (W3C trace context and baggage when nil).
	TracerProvider trace.TracerProvider
	Propagator     propagation.TextMapPropagator

	// IdempotencyWindow is how long the answer of a call with a request_id (CreateUser,
	// ConfigureIntegration, UploadFiles) is kept for its retries (DefaultIdempotencyWindow when 0);
	// IdempotencyMaxBytes bounds the memory of the kept answers (DefaultIdempotencyMaxBytes when 0).
	IdempotencyWindow   time.Duration
	IdempotencyMaxBytes int

	// MCPMaxFileBytes bounds a file an MCP tool returns inline (mcp.DefaultMaxFileBytes when 0);
	// larger files are an error pointing to DownloadFile.
	MCPMaxFileBytes int

	// Logger receives structured logs; slog.Default() when nil.
	Logger *slog.Logger
	// UpstreamHTTPClient, when set, is used for upstream calls (tests, proxies).
	UpstreamHTTPClient *http.Client
}

// Server is a completed configuration with bound listeners. Run it once.
type Server struct {
	cfg      Config
	log      *slog.Logger
	grpcLis  net.Listener
	httpLis  net.Listener
	adminLis net.Listener // nil without AdminAddr
	admin    *http.Server
	grpc     *grpc.Server
	internal *grpc.Server // serves the REST face's in-process connection
	http     *http.Server
	health   *health.Server
	gateway  *gatewayConn
	direct   *directConn // the REST face's connection: unary calls direct, streams over gateway
	registry *prometheus.Registry
	svc      *services
	mcp      *mcp.Handler
	runOnce  sync.Once
	started  closers // what Complete started, for Close
}

func (c *Config) applyDefaults() {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.MaxMessageBytes, DefaultMaxMessageBytes)
	def(&c.MaxJSONBodyBytes, DefaultMaxJSONBodyBytes)
	def(&c.MaxPages, DefaultMaxPages)
	def(&c.MaxPrefetch, DefaultMaxPrefetch)
	def(&c.MaxAttempts, DefaultMaxAttempts)
	def(&c.DefaultAttempts, 1)
	if c.MaxConcurrentStreams == 0 {
		c.MaxConcurrentStreams = DefaultMaxConcurrentStreams
	}
	if c.GRPCAddr == "" {
		c.GRPCAddr = DefaultGRPCAddr
	}
	if c.HTTPAddr == "" {
		c.HTTPAddr = DefaultHTTPAddr
	}
	durDef := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	durDef(&c.ShutdownTimeout, DefaultShutdownTimeout)
	durDef(&c.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	durDef(&c.ReadTimeout, DefaultReadTimeout)
	durDef(&c.IdleTimeout, DefaultIdleTimeout)
	durDef(&c.UploadIdleTimeout, DefaultUploadIdleTimeout)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Build == (buildinfo.Info{}) {
		c.Build = buildinfo.Read()
	}
	if c.Propagator == nil {
		c.Propagator = propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
	}
	if c.DefaultAttempts > c.MaxAttempts {
		c.DefaultAttempts = c.MaxAttempts
	}
	if c.MaxUpstreamConcurrency < 0 {
		c.MaxUpstreamConcurrency = 0
	}
}

// tlsConfig loads the server certificate and, for mutual TLS, the client CAs.
func (c *Config) tlsConfig() (*tls.Config, error) {
	if (c.TLSCertFile == "") != (c.TLSKeyFile == "") {
		return nil, errors.New("server: TLS needs both a certificate and a key file")
	}
	if c.TLSCertFile == "" {
		if c.TLSClientCAFile != "" {
			return nil, errors.New("server: a client CA (mutual TLS) needs a TLS certificate and key")
		}
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(c.TLSCertFile, c.TLSKeyFile)
	if err != nil {
		return nil, fmt.Errorf("server: load TLS key pair: %w", err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if c.TLSClientCAFile != "" {
		pem, err := os.ReadFile(c.TLSClientCAFile)
		if err != nil {
			return nil, fmt.Errorf("server: read client CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("server: client CA file %s holds no PEM certificate", c.TLSClientCAFile)
		}
		cfg.ClientCAs = pool
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return cfg, nil
}

// Complete validates the configuration, applies defaults, builds the servers and binds both listeners.
// Everything it started is released by Run (or by Close when Run is never called); when it fails, it
// releases what it started before returning.
func (c Config) Complete() (_ *Server, err error) {
	var started closers
	defer func() {
		if err != nil {
			started.close()
		}
	}()
	c.applyDefaults()
	if c.MetricsOnAdminOnly && c.AdminAddr == "" {
		return nil, errors.New("server: /metrics on the admin listener only needs an admin address")
	}
	if c.RateLimit < 0 || c.RateBurst < 0 {
		return nil, errors.New("server: the rate limit and burst must not be negative")
	}
	tlsCfg, err := c.tlsConfig()
	if err != nil {
		return nil, err
	}
	secret, shared := c.PageTokenSecret, len(c.PageTokenSecret) > 0
	if !shared {
		secret = make([]byte, 32)
		if _, err := rand.Read(secret); err != nil {
			return nil, fmt.Errorf("server: page token secret: %w", err)
		}
	}

	clientOpts := []bosaclient.Option{
		bosaclient.WithMaxResponseBytes(int64(c.MaxMessageBytes)),
		bosaclient.WithMaxPages(c.MaxPages),
		bosaclient.WithLogger(c.Logger.With("component", "bosaclient")),
		bosaclient.WithUserAgent("bosa-gateway/1"),
	}
	if c.UpstreamTimeout > 0 {
		clientOpts = append(clientOpts, bosaclient.WithTimeout(c.UpstreamTimeout))
	}
	if c.RetryBaseDelay > 0 || c.MaxRetryAfter > 0 {
		clientOpts = append(clientOpts, bosaclient.WithRetry(bosaclient.RetryPolicy{
			MaxAttempts: 1, BaseDelay: c.RetryBaseDelay, MaxRetryAfter: c.MaxRetryAfter,
		}))
	}
	registry := prometheus.NewRegistry()
	if hc := upstreamHTTPClient(c.UpstreamHTTPClient, c.MaxUpstreamConcurrency, registry); hc != nil {
		clientOpts = append(clientOpts, bosaclient.WithHTTPClient(hc))
	}
	clientOpts = append(clientOpts, bosaclient.WithTransportWrapper(c.upstreamTracing))
	client, err := bosaclient.New(c.UpstreamURL, c.APIKey, clientOpts...)
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	svc := &services{
		client: client, hasAPIKey: c.APIKey != "", tokens: pageTokens{key: secret, shared: shared},
		exposeCredentials: c.ExposeCredentials, maxPages: c.MaxPages, maxPrefetch: c.MaxPrefetch,
		maxAttempts: c.MaxAttempts, defaultAttempts: c.DefaultAttempts, stopping: make(chan struct{}),
		maxMessageBytes: c.MaxMessageBytes, uploadIdle: c.UploadIdleTimeout,
		requests: newRequestIDs(c.IdempotencyWindow, c.IdempotencyMaxBytes),
	}

	s := &Server{cfg: c, log: c.Logger, health: health.NewServer(), registry: registry, svc: svc}
	metrics := grpcprom.NewServerMetrics(grpcprom.WithServerHandlingTimeHistogram())
	s.registry.MustRegister(metrics, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), buildInfoMetric(c.Build))
	logger := callLogger{log: c.Logger}
	recover := recovery.WithRecoveryHandlerContext(recoveryHandler(c.Logger))
	unary := []grpc.UnaryServerInterceptor{requestIDUnary, logger.unary, scrubUnary, metrics.UnaryServerInterceptor(), recovery.UnaryServerInterceptor(recover)}
	stream := []grpc.StreamServerInterceptor{requestIDStream, logger.stream, scrubStream, metrics.StreamServerInterceptor(), recovery.StreamServerInterceptor(recover)}
	if c.RateLimit > 0 {
		limits := newCallerLimits(c.RateLimit, c.RateBurst)
		s.registry.MustRegister(limits.rejected)
		unary, stream = append(unary, limits.unary), append(stream, limits.stream)
	}
	unary, stream = append(unary, deadlineUnary), append(stream, deadlineStream)
	common := []grpc.ServerOption{
		grpc.ChainUnaryInterceptor(unary...),
		grpc.ChainStreamInterceptor(stream...),
		grpc.MaxRecvMsgSize(c.MaxMessageBytes),
		grpc.MaxSendMsgSize(c.MaxMessageBytes),
		experimental.BufferPool(bufferPool),
		// Calls run on reused worker goroutines (a new one only when all are busy): the empty call's
		// CPU drops ~15 % (bench/findings.md).
		grpc.NumStreamWorkers(uint32(runtime.GOMAXPROCS(0))),
	}
	// The gRPC listener: per-connection stream bound, keepalive policy, TLS.
	opts := append(append(common, c.grpcTracing()...),
		grpc.MaxConcurrentStreams(c.MaxConcurrentStreams),
		grpc.KeepaliveParams(keepalive.ServerParameters{MaxConnectionIdle: DefaultMaxConnectionIdle, Time: DefaultKeepaliveTime, Timeout: 20 * time.Second}),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 10 * time.Second, PermitWithoutStream: true}),
	)
	if tlsCfg != nil {
		opts = append(opts, grpc.Creds(grpccreds.NewTLS(tlsCfg)))
	}
	s.grpc = grpc.NewServer(opts...) // starts its stream workers, which only Stop ends
	started.push(func() error { s.grpc.Stop(); return nil })
	// The REST face's in-process server: the same services and interceptors, but every REST caller
	// shares its one connection, so the per-connection stream bound must not apply (REST callers
	// are bounded per HTTP connection by the HTTP server), and the pipe never leaves the process,
	// so it needs no TLS (HTTP clients are authenticated by the HTTP listener).
	s.internal = grpc.NewServer(append(append(common, c.grpcTracing()...), grpc.MaxConcurrentStreams(math.MaxUint32),
		grpc.InitialWindowSize(gatewayWindow), grpc.InitialConnWindowSize(gatewayWindow))...)
	started.push(func() error { s.internal.Stop(); return nil })
	connectors, actions := &connectorService{services: svc}, &actionService{services: svc}
	users, integrations := &userService{services: svc}, &integrationService{services: svc}
	catalog, skills := &catalogService{services: svc}, &skillService{services: svc}
	for _, g := range []*grpc.Server{s.grpc, s.internal} {
		bosav1.RegisterConnectorServiceServer(g, connectors)
		bosav1.RegisterActionServiceServer(g, actions)
		bosav1.RegisterUserServiceServer(g, users)
		bosav1.RegisterIntegrationServiceServer(g, integrations)
		bosav1.RegisterCatalogServiceServer(g, catalog)
		bosav1.RegisterSkillServiceServer(g, skills)
		healthpb.RegisterHealthServer(g, drainingHealth{s.health, svc.stopping})
		reflection.Register(g)
		metrics.InitializeMetrics(g)
	}
	for _, name := range []string{"", "bosa.v1.ConnectorService", "bosa.v1.ActionService", "bosa.v1.UserService", "bosa.v1.IntegrationService",
		"bosa.v1.CatalogService", "bosa.v1.SkillService"} {
		s.health.SetServingStatus(name, healthpb.HealthCheckResponse_SERVING)
	}

	if s.gateway, err = newGatewayConn(c.MaxMessageBytes, c.gatewayTracing()...); err != nil {
		return nil, err
	}
	started.push(func() error { s.gateway.close(); return nil })
	s.direct = newDirectConn(s.gateway.conn, s.gateway.lis.Addr(), c.MaxMessageBytes, unary, []directService{
		{&bosav1.ConnectorService_ServiceDesc, connectors}, {&bosav1.ActionService_ServiceDesc, actions},
		{&bosav1.UserService_ServiceDesc, users}, {&bosav1.IntegrationService_ServiceDesc, integrations},
		{&bosav1.CatalogService_ServiceDesc, catalog}, {&bosav1.SkillService_ServiceDesc, skills},
	})
	handler, err := s.httpHandler()
	if err != nil {
		return nil, err
	}
	s.http = &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: c.ReadHeaderTimeout,
		ReadTimeout:       c.ReadTimeout,
		IdleTimeout:       c.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(c.Logger.Handler(), slog.LevelWarn),
	}
	s.http.RegisterOnShutdown(s.mcp.Close) // MCP sessions' event streams would hold the drain
	if s.grpcLis, err = net.Listen("tcp", c.GRPCAddr); err != nil {
		return nil, fmt.Errorf("server: listen gRPC on %s: %w", c.GRPCAddr, err)
	}
	started.push(s.grpcLis.Close)
	if s.httpLis, err = net.Listen("tcp", c.HTTPAddr); err != nil {
		return nil, fmt.Errorf("server: listen HTTP on %s: %w", c.HTTPAddr, err)
	}
	started.push(s.httpLis.Close)
	if tlsCfg != nil {
		s.httpLis = tls.NewListener(s.httpLis, tlsCfg)
	}
	if c.AdminAddr != "" {
		if s.adminLis, err = net.Listen("tcp", c.AdminAddr); err != nil {
			return nil, fmt.Errorf("server: listen admin on %s: %w", c.AdminAddr, err)
		}
		started.push(s.adminLis.Close)
		s.admin = &http.Server{Handler: s.adminHandler(), ReadHeaderTimeout: c.ReadHeaderTimeout, IdleTimeout: c.IdleTimeout,
			ErrorLog: slog.NewLogLogger(c.Logger.Handler(), slog.LevelWarn)}
	}
	s.started = started
	return s, nil
}

// GRPCAddr returns the bound gRPC address (host:port).
func (s *Server) GRPCAddr() string { return s.grpcLis.Addr().String() }

// HTTPAddr returns the bound HTTP address (host:port).
func (s *Server) HTTPAddr() string { return s.httpLis.Addr().String() }

// AdminAddr returns the bound admin address, or "" without one.
func (s *Server) AdminAddr() string {
	if s.adminLis == nil {
		return ""
	}
	return s.adminLis.Addr().String()
}

// TLS reports whether the servers use TLS.
func (s *Server) TLS() bool { return s.cfg.TLSCertFile != "" }

// Run serves until ctx ends, then shuts down gracefully: health turns NOT_SERVING, new calls are
// refused, in-flight calls get ShutdownTimeout to finish, then the rest are cut. It returns the
// first serving error, or nil after a clean shutdown.
func (s *Server) Run(ctx context.Context) error {
	err := errors.New("server: Run called after Run or Close")
	s.runOnce.Do(func() { err = s.run(ctx) })
	return err
}

func (s *Server) run(ctx context.Context) error {
	errc := make(chan error, 4)
	go func() { errc <- s.gateway.serve(s.internal) }()
	go func() { errc <- s.grpc.Serve(s.grpcLis) }()
	go func() { errc <- s.http.Serve(s.httpLis) }()
	if s.admin != nil {
		go func() { errc <- s.admin.Serve(s.adminLis) }()
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "gateway serving", slog.String("grpc", s.GRPCAddr()),
		slog.String("http", s.HTTPAddr()), slog.Bool("tls", s.TLS()), slog.String("upstream", redactURL(s.cfg.UpstreamURL)),
		slog.Bool("api_key_configured", s.cfg.APIKey != ""), slog.Bool("expose_credentials", s.cfg.ExposeCredentials),
		slog.Int("max_message_bytes", s.cfg.MaxMessageBytes), slog.String("admin", s.AdminAddr()), slog.String("version", s.cfg.Build.Version))

	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errc:
		if errServerClosed(runErr) || errors.Is(runErr, http.ErrServerClosed) {
			runErr = nil
		}
	}
	s.shutdown()
	return runErr
}

// shutdown drains both servers within ShutdownTimeout, then stops them hard.
func (s *Server) shutdown() {
	s.log.Info("gateway shutting down", slog.Duration("drain_delay", s.cfg.DrainDelay), slog.Duration("timeout", s.cfg.ShutdownTimeout))
	s.health.Shutdown() // every service NOT_SERVING, so load balancers stop sending calls
	if s.cfg.DrainDelay > 0 {
		time.Sleep(s.cfg.DrainDelay)
	}
	// Paginate streams can run for many pages: they end at the next page boundary with a status
	// that tells the caller where to resume, rather than holding the drain or being cut.
	close(s.svc.stopping)
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := s.http.Shutdown(ctx); err != nil {
			s.http.Close()
		}
	}()
	for _, g := range []*grpc.Server{s.grpc, s.internal} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			done := make(chan struct{})
			go func() { g.GracefulStop(); close(done) }()
			select {
			case <-done:
			case <-ctx.Done():
				s.log.Warn("graceful stop timed out; cutting in-flight calls")
				g.Stop()
				<-done
			}
		}()
	}
	wg.Wait()
	if s.admin != nil {
		s.admin.Close() // after the drain, so /metrics answers while calls finish
	}
	s.gateway.close()
	s.log.Info("gateway stopped")
}

// Close releases a Server that was never run: its listeners, and the gRPC servers' stream workers.
// After Run it does nothing (Run releases everything when it returns).
func (s *Server) Close() error {
	ran := true
	s.runOnce.Do(func() { ran = false })
	if ran {
		return nil
	}
	return s.started.close()
}

// upstreamHTTPClient returns the http.Client for BOSA calls: the given one (or a pooled default)
// behind the per-connector concurrency bound; nil when neither is configured (bosaclient's own).
func upstreamHTTPClient(hc *http.Client, perConnector int, reg prometheus.Registerer) *http.Client {
	if perConnector <= 0 {
		return hc
	}
	if hc == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = max(64, perConnector)
		hc = &http.Client{Transport: tr}
	}
	base := hc.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	limited := *hc
	l := newConnectorLimiter(base, perConnector)
	reg.MustRegister(l.inFlight, l.waiting)
	limited.Transport = l
	return &limited
}

// redactURL drops any user:password from a URL before it is logged.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	if u.User != nil {
		u.User = url.User("REDACTED")
	}
	return u.String()
}
