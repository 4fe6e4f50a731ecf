// Command bosa-gateway serves the bosa.v1 gRPC API and its REST face in front of a BOSA server.
//
// Every flag has an environment equivalent (shown in -help); a flag given on the command line wins
// over its environment variable. With --sandbox the embedded BOSA sandbox runs on a loopback port
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
	"strconv"
	"strings"
	"syscall"
	"time"

	"bosa.dev/gateway/sandbox"
	"bosa.dev/gateway/internal/server"
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
	env := &envReader{}
	fs := flag.NewFlagSet("bosa-gateway", flag.ContinueOnError)
	fs.SetOutput(stderr)
	str := func(p *string, name, key, def, usage string) {
		fs.StringVar(p, name, env.string(key, def), usage+" (env "+key+")")
	}
	integer := func(p *int, name, key string, def int, usage string) {
		fs.IntVar(p, name, env.int(key, def), usage+" (env "+key+")")
	}
	// Secrets are not used as flag defaults, which -help would print; they are applied after parsing.
	secrets := map[string]struct {
		p   *string
		key string
	}{}
	secret := func(p *string, name, key, usage string) {
		fs.StringVar(p, name, "", usage+" (env "+key+")")
		secrets[name] = struct {
			p   *string
			key string
		}{p, key}
	}
	boolean := func(p *bool, name, key string, usage string) {
		fs.BoolVar(p, name, env.bool(key), usage+" (env "+key+")")
	}
	c := &o.cfg
	str(&c.UpstreamURL, "upstream-url", "BOSA_API_URL", "", "BOSA base URL (default https://connector.gdplabs.id)")
	secret(&c.APIKey, "api-key", "BOSA_API_KEY", "the gateway's BOSA client key; prefer the environment variable. Empty: callers send x-api-key")
	str(&c.GRPCAddr, "grpc-addr", "BOSA_GRPC_ADDR", server.DefaultGRPCAddr, "gRPC listen address")
	str(&c.HTTPAddr, "http-addr", "BOSA_HTTP_ADDR", server.DefaultHTTPAddr, "HTTP listen address (REST, /openapi.json, /healthz, /metrics)")
	str(&c.TLSCertFile, "tls-cert", "BOSA_TLS_CERT", "", "TLS certificate file (PEM); with --tls-key serves gRPC and HTTP over TLS")
	str(&c.TLSKeyFile, "tls-key", "BOSA_TLS_KEY", "", "TLS private key file (PEM)")
	str(&c.TLSClientCAFile, "tls-client-ca", "BOSA_TLS_CLIENT_CA", "", "CA certificates (PEM) for mutual TLS: gRPC and HTTP clients must present a certificate they signed")
	str(&o.logLevel, "log-level", "BOSA_LOG_LEVEL", "info", "log level: debug, info, warn, error")
	str(&o.logFormat, "log-format", "BOSA_LOG_FORMAT", "text", "log format: text or json")
	secret(&o.tokenSecret, "page-token-secret", "BOSA_PAGE_TOKEN_SECRET", "secret that signs page tokens. Replicas, and this gateway after a restart, accept each other's page tokens (the resume token of a stream ended by shutdown included) only when they share it; default: random per process, so tokens die with it")
	integer(&c.MaxMessageBytes, "max-message-bytes", "BOSA_MAX_MESSAGE_BYTES", server.DefaultMaxMessageBytes, "largest gRPC message, REST body and upstream answer, files included")
	integer(&c.MaxPages, "max-pages", "BOSA_MAX_PAGES", server.DefaultMaxPages, "most pages one Paginate stream fetches")
	integer(&c.MaxPrefetch, "max-prefetch", "BOSA_MAX_PREFETCH", server.DefaultMaxPrefetch, "most pages Paginate fetches ahead of the caller")
	integer(&c.MaxAttempts, "max-attempts", "BOSA_MAX_ATTEMPTS", server.DefaultMaxAttempts, "cap on a request's max_attempts")
	integer(&c.MaxUpstreamConcurrency, "max-upstream-concurrency", "BOSA_MAX_UPSTREAM_CONCURRENCY", 0, "most requests in flight to BOSA per connector; further calls wait within their deadline (0: unbounded)")
	fs.Float64Var(&c.RateLimit, "rate-limit", env.float("BOSA_RATE_LIMIT", 0), "calls per second each caller (bearer token, else API key, else IP) may make; excess gets RESOURCE_EXHAUSTED with RetryInfo (0: off) (env BOSA_RATE_LIMIT)")
	integer(&c.RateBurst, "rate-burst", "BOSA_RATE_BURST", 0, "burst of the per-caller rate limit (default: the rate rounded up)")
	fs.DurationVar(&c.RetryBaseDelay, "retry-base-delay", env.duration("BOSA_RETRY_BASE_DELAY", 0), "first backoff between upstream attempts when a call asks for max_attempts > 1 (default 500ms) (env BOSA_RETRY_BASE_DELAY)")
	fs.DurationVar(&c.MaxRetryAfter, "max-retry-after", env.duration("BOSA_MAX_RETRY_AFTER", 0), "cap on an honoured upstream Retry-After (default 60s; never beyond the caller's deadline) (env BOSA_MAX_RETRY_AFTER)")
	fs.DurationVar(&c.ReadHeaderTimeout, "http-read-header-timeout", env.duration("BOSA_HTTP_READ_HEADER_TIMEOUT", server.DefaultReadHeaderTimeout), "HTTP: time allowed to send request headers; cuts off slow clients (env BOSA_HTTP_READ_HEADER_TIMEOUT)")
	fs.DurationVar(&c.ReadTimeout, "http-read-timeout", env.duration("BOSA_HTTP_READ_TIMEOUT", server.DefaultReadTimeout), "HTTP: time allowed to send a whole request, body included (env BOSA_HTTP_READ_TIMEOUT)")
	fs.DurationVar(&c.IdleTimeout, "http-idle-timeout", env.duration("BOSA_HTTP_IDLE_TIMEOUT", server.DefaultIdleTimeout), "HTTP: how long an idle keep-alive connection stays open (env BOSA_HTTP_IDLE_TIMEOUT)")
	fs.DurationVar(&c.UploadIdleTimeout, "upload-idle-timeout", env.duration("BOSA_UPLOAD_IDLE_TIMEOUT", server.DefaultUploadIdleTimeout), "gRPC UploadFiles: longest wait for the next message, or for the stream's end after finish; a stalled upload is aborted with DEADLINE_EXCEEDED (env BOSA_UPLOAD_IDLE_TIMEOUT)")
	var streams int
	integer(&streams, "max-concurrent-streams", "BOSA_MAX_CONCURRENT_STREAMS", server.DefaultMaxConcurrentStreams, "concurrent calls per HTTP/2 connection")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", env.duration("BOSA_SHUTDOWN_TIMEOUT", server.DefaultShutdownTimeout), "graceful drain on SIGTERM before in-flight calls are cut (env BOSA_SHUTDOWN_TIMEOUT)")
	fs.DurationVar(&c.DrainDelay, "drain-delay", env.duration("BOSA_DRAIN_DELAY", 0), "on SIGTERM, keep serving this long with health NOT_SERVING before draining (env BOSA_DRAIN_DELAY)")
	boolean(&c.ExposeCredentials, "expose-credentials", "BOSA_EXPOSE_CREDENTIALS", "let GetIntegration return stored third-party credentials")
	boolean(&o.useSandbox, "sandbox", "BOSA_SANDBOX", "run the embedded BOSA sandbox as the upstream (callers need no API key)")
	str(&o.sandboxClientsFile, "sandbox-clients-file", "BOSA_SANDBOX_CLIENTS_FILE", "",
		`with --sandbox: JSON file of clients the sandbox also accepts, [{"name": "team-a", "api_key": "sk-client-…"}]; callers send the key as x-api-key`)
	if err := errors.Join(env.errs...); err != nil {
		return nil, err
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for name, sec := range secrets {
		if !set[name] {
			*sec.p = os.Getenv(sec.key)
		}
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %q", fs.Args())
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
		sb := sandbox.NewServer(sandbox.WithClients(o.sandboxClients...))
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

// envReader reads flag defaults from the environment and remembers malformed values, so that a
// typo in a variable fails the start instead of silently falling back to a default.
type envReader struct{ errs []error }

func (e *envReader) string(key, def string) string {
	if v, ok := os.LookupEnv(key); ok {
		return v
	}
	return def
}

func (e *envReader) int(key string, def int) int {
	v, ok := os.LookupEnv(key)
	if !ok || v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		e.errs = append(e.errs, fmt.Errorf("%s: %w", key, err))
		return def
	}
	return n
}

func (e *envReader) float(key string, def float64) float64 {
	v, ok := os.LookupEnv(key)
	if !ok || v == "" {
		return def
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		e.errs = append(e.errs, fmt.Errorf("%s: %w", key, err))
		return def
	}
	return f
}

func (e *envReader) bool(key string) bool {
	v, ok := os.LookupEnv(key)
	if !ok || v == "" {
		return false
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		e.errs = append(e.errs, fmt.Errorf("%s: %w", key, err))
	}
	return b
}

func (e *envReader) duration(key string, def time.Duration) time.Duration {
	v, ok := os.LookupEnv(key)
	if !ok || v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		e.errs = append(e.errs, fmt.Errorf("%s: %w", key, err))
		return def
	}
	return d
}
