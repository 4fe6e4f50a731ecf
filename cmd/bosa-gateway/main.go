// Command bosa-gateway serves the bosa.v1 gRPC API and its REST face in front of a BOSA server.
//
// Every flag has an environment equivalent (shown in -help); a flag given on the command line wins
// over its environment variable (package envflag, shared with bosa-sandbox). With --sandbox the embedded BOSA sandbox runs on a loopback port
// as the upstream, and callers need no API key; --sandbox-clients-file seeds it with more clients
// (a JSON file as for bosa-sandbox --clients-file), whose keys callers send as x-api-key:
//
//	go run ./cmd/bosa-gateway --sandbox
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"google.golang.org/grpc/grpclog"

	"bosa.dev/gateway/bosaclient"
	"bosa.dev/gateway/internal/buildinfo"
	"bosa.dev/gateway/internal/envflag"
	"bosa.dev/gateway/internal/mcp"
	"bosa.dev/gateway/internal/server"
	"bosa.dev/gateway/internal/telemetry"
	"bosa.dev/gateway/sandbox"
)

// setGRPCLogger makes grpc-go's and grpc-gateway's own log lines (grpclog) structured too. grpclog is
// process-wide and set once before any gRPC use, so only main sets it: tests run several gateways.
var setGRPCLogger func(*slog.Logger)

func main() {
	setGRPCLogger = func(l *slog.Logger) { grpclog.SetLoggerV2(server.GRPCLogger(l)) }
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "bosa-gateway:", err)
		os.Exit(1)
	}
}

// options are the command line, before they become a server.Config.
type options struct {
	cfg          server.Config
	logLevel     string
	logFormat    string
	corsOrigins  string // --cors-allowed-origins, split into Config.CORSAllowedOrigins
	tokenSecret  string
	useSandbox   bool
	printSession bool
	version      bool
	// sandboxClients are the clients of --sandbox-clients-file, seeded into the embedded sandbox.
	sandboxClientsFile string
	sandboxClients     []sandbox.Client
}

func parse(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := envflag.New("bosa-gateway", os.Getenv, stderr)
	c := &o.cfg
	fs.String(&c.UpstreamURL, "upstream-url", "BOSA_API_URL", "", "BOSA base URL (default https://connector.gdplabs.id)")
	fs.String(&c.APIKey, "api-key", "BOSA_API_KEY", "", "the gateway's BOSA client key; prefer the environment variable. Empty: callers send x-api-key")
	fs.String(&c.GRPCAddr, "grpc-addr", "BOSA_GRPC_ADDR", server.DefaultGRPCAddr, "gRPC listen address")
	fs.String(&c.HTTPAddr, "http-addr", "BOSA_HTTP_ADDR", server.DefaultHTTPAddr, "HTTP listen address (REST, /openapi.json, /healthz, /metrics)")
	fs.String(&o.corsOrigins, "cors-allowed-origins", "BOSA_CORS_ALLOWED_ORIGINS", "", "comma-separated browser origins allowed to call the HTTP API (CORS), e.g. https://app.example; * allows any (default: CORS off)")
	fs.String(&c.TLSCertFile, "tls-cert", "BOSA_TLS_CERT", "", "TLS certificate file (PEM); with --tls-key serves gRPC and HTTP over TLS")
	fs.String(&c.TLSKeyFile, "tls-key", "BOSA_TLS_KEY", "", "TLS private key file (PEM)")
	fs.String(&c.TLSClientCAFile, "tls-client-ca", "BOSA_TLS_CLIENT_CA", "", "CA certificates (PEM) for mutual TLS: gRPC and HTTP clients must present a certificate they signed")
	fs.String(&o.logLevel, "log-level", "BOSA_LOG_LEVEL", "info", "log level: debug, info, warn, error")
	fs.String(&o.logFormat, "log-format", "BOSA_LOG_FORMAT", "text", "log format: text or json")
	fs.String(&o.tokenSecret, "page-token-secret", "BOSA_PAGE_TOKEN_SECRET", "", "secret that signs page tokens. Replicas, and this gateway after a restart, accept each other's page tokens (the resume token of a stream ended by shutdown included) only when they share it; default: random per process, so tokens die with it")
	fs.Int(&c.MaxMessageBytes, "max-message-bytes", "BOSA_MAX_MESSAGE_BYTES", server.DefaultMaxMessageBytes, "largest gRPC message and upstream answer, files included")
	fs.Int(&c.MaxJSONBodyBytes, "max-json-body-bytes", "BOSA_MAX_JSON_BODY_BYTES", server.DefaultMaxJSONBodyBytes, "largest REST request body (every route but the streamed :upload); a larger one is refused with 413 before it is read")
	fs.Int(&c.MCPMaxFileBytes, "mcp-max-file-bytes", "BOSA_MCP_MAX_FILE_BYTES", mcp.DefaultMaxFileBytes, "largest file an MCP tool returns inline (embedded resource); larger ones are an error pointing to DownloadFile")
	fs.Int(&c.MaxPages, "max-pages", "BOSA_MAX_PAGES", server.DefaultMaxPages, "most pages one Paginate stream fetches")
	fs.Int(&c.MaxPrefetch, "max-prefetch", "BOSA_MAX_PREFETCH", server.DefaultMaxPrefetch, "most pages Paginate fetches ahead of the caller")
	fs.Int(&c.MaxAttempts, "max-attempts", "BOSA_MAX_ATTEMPTS", server.DefaultMaxAttempts, "cap on a request's max_attempts")
	fs.Int(&c.DefaultAttempts, "default-attempts", "BOSA_DEFAULT_ATTEMPTS", 1, "upstream attempts of a request that leaves max_attempts 0 (1: no retry; capped by --max-attempts)")
	fs.Duration(&c.UpstreamTimeout, "upstream-timeout", "BOSA_UPSTREAM_TIMEOUT", bosaclient.DefaultActionTimeout, "timeout of one upstream attempt of an action call (a caller's shorter deadline wins)")
	fs.Int(&c.MaxUpstreamConcurrency, "max-upstream-concurrency", "BOSA_MAX_UPSTREAM_CONCURRENCY", 0, "most requests in flight to BOSA per connector; further calls wait within their deadline (0: unbounded)")
	fs.Float64(&c.RateLimit, "rate-limit", "BOSA_RATE_LIMIT", 0, "calls per second each caller (bearer token, else API key, else IP) may make; excess gets RESOURCE_EXHAUSTED with RetryInfo (0: off)")
	fs.Int(&c.RateBurst, "rate-burst", "BOSA_RATE_BURST", 0, "burst of the per-caller rate limit (default: the rate rounded up)")
	fs.Duration(&c.RetryBaseDelay, "retry-base-delay", "BOSA_RETRY_BASE_DELAY", 0, "first backoff between upstream attempts when a call asks for max_attempts > 1 (default 500ms)")
	fs.Duration(&c.MaxRetryAfter, "max-retry-after", "BOSA_MAX_RETRY_AFTER", 0, "cap on an honoured upstream Retry-After (default 60s; never beyond the caller's deadline)")
	fs.Duration(&c.ReadHeaderTimeout, "http-read-header-timeout", "BOSA_HTTP_READ_HEADER_TIMEOUT", server.DefaultReadHeaderTimeout, "HTTP: time allowed to send request headers; cuts off slow clients")
	fs.Duration(&c.ReadTimeout, "http-read-timeout", "BOSA_HTTP_READ_TIMEOUT", server.DefaultReadTimeout, "HTTP: time allowed to send a whole request, body included")
	fs.Duration(&c.IdleTimeout, "http-idle-timeout", "BOSA_HTTP_IDLE_TIMEOUT", server.DefaultIdleTimeout, "HTTP: how long an idle keep-alive connection stays open")
	fs.Duration(&c.IdempotencyWindow, "idempotency-window", "BOSA_IDEMPOTENCY_WINDOW", server.DefaultIdempotencyWindow, "how long the answer of a call with a request_id is kept for its retries")
	fs.Int(&c.IdempotencyMaxBytes, "idempotency-max-bytes", "BOSA_IDEMPOTENCY_MAX_BYTES", server.DefaultIdempotencyMaxBytes, "memory the kept request_id answers may hold together; oldest leave first")
	fs.Duration(&c.UploadIdleTimeout, "upload-idle-timeout", "BOSA_UPLOAD_IDLE_TIMEOUT", server.DefaultUploadIdleTimeout, "gRPC UploadFiles: longest wait for the next message, or for the stream's end after finish; a stalled upload is aborted with DEADLINE_EXCEEDED")
	var streams int
	fs.Int(&streams, "max-concurrent-streams", "BOSA_MAX_CONCURRENT_STREAMS", server.DefaultMaxConcurrentStreams, "concurrent calls per HTTP/2 connection")
	fs.Duration(&c.ShutdownTimeout, "shutdown-timeout", "BOSA_SHUTDOWN_TIMEOUT", server.DefaultShutdownTimeout, "graceful drain on SIGTERM before in-flight calls are cut")
	fs.Duration(&c.DrainDelay, "drain-delay", "BOSA_DRAIN_DELAY", 0, "on SIGTERM, keep serving this long with health NOT_SERVING before draining")
	fs.String(&c.AdminAddr, "admin-addr", "BOSA_ADMIN_ADDR", "", "admin HTTP listen address serving /debug/pprof/ and /metrics (empty: no admin listener)")
	fs.Bool(&c.MetricsOnAdminOnly, "metrics-admin-only", "BOSA_METRICS_ADMIN_ONLY", "serve /metrics on --admin-addr only, not on --http-addr")
	fs.Switch(&o.version, "version", "print the version, commit and build date, and exit")
	fs.Bool(&c.ExposeCredentials, "expose-credentials", "BOSA_EXPOSE_CREDENTIALS", "let GetIntegration return stored third-party credentials")
	fs.Bool(&o.useSandbox, "sandbox", "BOSA_SANDBOX", "run the embedded BOSA sandbox as the upstream (callers need no API key)")
	fs.String(&o.sandboxClientsFile, "sandbox-clients-file", "BOSA_SANDBOX_CLIENTS_FILE", "",
		`with --sandbox: JSON file of clients the sandbox also accepts, [{"name": "team-a", "api_key": "sk-client-…"}]; callers send the key as x-api-key`)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	for origin := range strings.SplitSeq(o.corsOrigins, ",") {
		if origin = strings.TrimSpace(origin); origin != "" {
			c.CORSAllowedOrigins = append(c.CORSAllowedOrigins, origin)
		}
	}
	if streams < 0 {
		return nil, errors.New("--max-concurrent-streams must not be negative")
	}
	c.MaxConcurrentStreams = uint32(streams)
	if o.sandboxClientsFile != "" {
		if !o.useSandbox {
			return nil, errors.New("--sandbox-clients-file (env BOSA_SANDBOX_CLIENTS_FILE) needs --sandbox")
		}
		var err error
		if o.sandboxClients, err = sandbox.LoadClients(o.sandboxClientsFile); err != nil {
			return nil, err
		}
	}
	c.PageTokenSecret = []byte(o.tokenSecret)
	o.printSession = o.useSandbox
	return o, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parse(args, stderr)
	if err != nil {
		return err
	}
	o.cfg.Build = buildinfo.Read()
	if o.version {
		fmt.Fprintln(stdout, o.cfg.Build)
		return nil
	}
	logger, err := newLogger(stderr, o.logLevel, o.logFormat)
	if err != nil {
		return err
	}
	o.cfg.Logger = logger
	if setGRPCLogger != nil {
		setGRPCLogger(logger)
	}
	if o.useSandbox {
		sb, err := sandbox.Listen("127.0.0.1:0", sandbox.WithClients(o.sandboxClients...))
		if err != nil {
			return err
		}
		defer sb.Close()
		o.cfg.UpstreamURL = sb.URL
		o.cfg.APIKey = sandbox.DemoAPIKey
		attrs := []any{slog.String("url", sb.URL)}
		if len(o.sandboxClients) > 0 {
			attrs = append(attrs, slog.Any("seeded_clients", sandbox.ClientNames(o.sandboxClients)))
		}
		logger.Info("sandbox upstream started", attrs...)
	}
	// Tracing is configured by the OTEL_* environment variables only (internal/telemetry).
	tracing, err := telemetry.FromEnv(ctx, o.cfg.Build.Version)
	if err != nil {
		return err
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := tracing.Shutdown(ctx); err != nil {
			logger.Warn("flushing spans failed", slog.Any("error", err))
		}
	}()
	o.cfg.TracerProvider, o.cfg.Propagator = tracing.Provider, tracing.Propagator
	srv, err := o.cfg.Complete()
	if err != nil {
		return err
	}
	logger.Info("tracing", slog.String("exporter", tracing.Exporter))
	if o.printSession {
		printSession(stdout, srv.GRPCAddr(), srv.HTTPAddr(), srv.TLS())
	}
	return srv.Run(ctx)
}

func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format: %q is neither text nor json", format)
}

// printSession prints ready-to-paste commands for a first session against the sandbox.
func printSession(w io.Writer, grpcAddr, httpAddr string, tls bool) {
	plaintext, scheme := "-plaintext ", "http"
	if tls {
		plaintext, scheme = "", "https"
	}
	grpcurl := "go run github.com/fullstorydev/grpcurl/cmd/grpcurl@v1.9.4 " + plaintext
	base := scheme + "://" + httpAddr
	lines := []string{
		"",
		"BOSA gateway is ready, with the embedded sandbox as its upstream (no API key needed).",
		"",
		"gRPC (" + grpcAddr + "), through server reflection:",
		"  " + grpcurl + grpcAddr + " list",
		"  " + grpcurl + grpcAddr + " bosa.v1.ConnectorService/ListConnectors",
		"  " + grpcurl + "-d '{\"identifier\": \"alice\"}' " + grpcAddr + " bosa.v1.UserService/CreateUser",
		"",
		"REST (" + base + "):",
		"  curl -s " + base + "/v1/connectors/github",
		"  curl -s -X POST " + base + "/v1/users -d '{\"identifier\": \"bob\"}'",
		"  curl -s " + base + "/openapi.json",
		"  curl -s " + base + "/healthz",
		"",
		"MCP (" + base + "/mcp, or " + base + "/mcp/{connector}): every action a tool; see docs/mcp.md.",
		"",
		"Then: POST /v1/auth/tokens with the identifier and secret, and send the token as",
		"'authorization: Bearer <token>' (grpcurl -H, curl -H). Stop with Ctrl-C.",
		"",
	}
	fmt.Fprintln(w, strings.Join(lines, "\n"))
}
