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

	"bosa.dev/gateway/bosaclient"
	"bosa.dev/gateway/internal/envflag"
	"bosa.dev/gateway/internal/server"
	"bosa.dev/gateway/sandbox"
)

func main() {
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
	tokenSecret  string
	useSandbox   bool
	printSession bool
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
	fs.String(&c.TLSCertFile, "tls-cert", "BOSA_TLS_CERT", "", "TLS certificate file (PEM); with --tls-key serves gRPC and HTTP over TLS")
	fs.String(&c.TLSKeyFile, "tls-key", "BOSA_TLS_KEY", "", "TLS private key file (PEM)")
	fs.String(&c.TLSClientCAFile, "tls-client-ca", "BOSA_TLS_CLIENT_CA", "", "CA certificates (PEM) for mutual TLS: gRPC and HTTP clients must present a certificate they signed")
	fs.String(&o.logLevel, "log-level", "BOSA_LOG_LEVEL", "info", "log level: debug, info, warn, error")
	fs.String(&o.logFormat, "log-format", "BOSA_LOG_FORMAT", "text", "log format: text or json")
	fs.String(&o.tokenSecret, "page-token-secret", "BOSA_PAGE_TOKEN_SECRET", "", "secret that signs page tokens. Replicas, and this gateway after a restart, accept each other's page tokens (the resume token of a stream ended by shutdown included) only when they share it; default: random per process, so tokens die with it")
	fs.Int(&c.MaxMessageBytes, "max-message-bytes", "BOSA_MAX_MESSAGE_BYTES", server.DefaultMaxMessageBytes, "largest gRPC message, REST body and upstream answer, files included")
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
	fs.Duration(&c.UploadIdleTimeout, "upload-idle-timeout", "BOSA_UPLOAD_IDLE_TIMEOUT", server.DefaultUploadIdleTimeout, "gRPC UploadFiles: longest wait for the next message, or for the stream's end after finish; a stalled upload is aborted with DEADLINE_EXCEEDED")
	var streams int
	fs.Int(&streams, "max-concurrent-streams", "BOSA_MAX_CONCURRENT_STREAMS", server.DefaultMaxConcurrentStreams, "concurrent calls per HTTP/2 connection")
	fs.Duration(&c.ShutdownTimeout, "shutdown-timeout", "BOSA_SHUTDOWN_TIMEOUT", server.DefaultShutdownTimeout, "graceful drain on SIGTERM before in-flight calls are cut")
	fs.Duration(&c.DrainDelay, "drain-delay", "BOSA_DRAIN_DELAY", 0, "on SIGTERM, keep serving this long with health NOT_SERVING before draining")
	fs.Bool(&c.ExposeCredentials, "expose-credentials", "BOSA_EXPOSE_CREDENTIALS", "let GetIntegration return stored third-party credentials")
	fs.Bool(&o.useSandbox, "sandbox", "BOSA_SANDBOX", "run the embedded BOSA sandbox as the upstream (callers need no API key)")
	fs.String(&o.sandboxClientsFile, "sandbox-clients-file", "BOSA_SANDBOX_CLIENTS_FILE", "",
		`with --sandbox: JSON file of clients the sandbox also accepts, [{"name": "team-a", "api_key": "sk-client-…"}]; callers send the key as x-api-key`)
	if err := fs.Parse(args); err != nil {
		return nil, err
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
	logger, err := newLogger(stderr, o.logLevel, o.logFormat)
	if err != nil {
		return err
	}
	o.cfg.Logger = logger
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
	srv, err := o.cfg.Complete()
	if err != nil {
		return err
	}
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
		"Then: POST /v1/auth/tokens with the identifier and secret, and send the token as",
		"'authorization: Bearer <token>' (grpcurl -H, curl -H). Stop with Ctrl-C.",
		"",
	}
	fmt.Fprintln(w, strings.Join(lines, "\n"))
}
