// Command bosa-sandbox serves the BOSA API emulator (package sandbox) on a local address.
//
// Flags override their environment variables:
//
//	--addr            BOSA_SANDBOX_ADDR            listen address (default 127.0.0.1:8765; 127.0.0.1:0 picks a free port)
//	--api-key         BOSA_SANDBOX_API_KEYS        a client key to accept; repeatable (env: comma-separated).
//	                                               Default: the demo key sk-client-sandbox-demo
//	--clients-file    BOSA_SANDBOX_CLIENTS_FILE    JSON file of named clients with known keys, added to the keys
//	                                               above: [{"name": "team-a", "api_key": "sk-client-…"}]
//	--control         BOSA_SANDBOX_CONTROL         serve the fault-control surface under /sandbox/control/
//	--token-lifetime  BOSA_SANDBOX_TOKEN_LIFETIME  lifetime of issued tokens (default 24h)
//	--master-key      BOSA_SANDBOX_MASTER_KEY      enables POST /clients with this operator key
//	--max-upload      BOSA_SANDBOX_MAX_UPLOAD      largest uploaded file in bytes (default 67108864)
//	--verbose         BOSA_SANDBOX_VERBOSE         log every request (never secrets)
//
// Programs that want the sandbox in-process (bosa-gateway --sandbox) use sandbox.New or
// sandbox.NewServer instead of this binary.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"bosa.dev/gateway/sandbox"
)

// DefaultAddr is the listen address when neither --addr nor BOSA_SANDBOX_ADDR is set.
const DefaultAddr = "127.0.0.1:8765"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "bosa-sandbox:", err)
		os.Exit(2)
	}
}

// config is the effective configuration after flags and environment.
type config struct {
	addr          string
	apiKeys       []string
	clientsFile   string
	clients       []sandbox.Client // read from clientsFile
	control       bool
	tokenLifetime time.Duration
	masterKey     string
	maxUpload     int64
	verbose       bool
	pathPrefix    string
}

// keyList is a repeatable string flag.
type keyList []string

func (k *keyList) String() string { return strings.Join(*k, ",") }
func (k *keyList) Set(v string) error {
	if v = strings.TrimSpace(v); v == "" {
		return errors.New("empty key")
	}
	*k = append(*k, v)
	return nil
}

func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	cfg := config{addr: DefaultAddr, tokenLifetime: 24 * time.Hour, maxUpload: sandbox.DefaultMaxUploadSize}
	if v := getenv("BOSA_SANDBOX_ADDR"); v != "" {
		cfg.addr = v
	}
	for _, k := range strings.Split(getenv("BOSA_SANDBOX_API_KEYS"), ",") {
		if k = strings.TrimSpace(k); k != "" {
			cfg.apiKeys = append(cfg.apiKeys, k)
		}
	}
	cfg.clientsFile = getenv("BOSA_SANDBOX_CLIENTS_FILE")
	var err error
	if v := getenv("BOSA_SANDBOX_CONTROL"); v != "" {
		if cfg.control, err = strconv.ParseBool(v); err != nil {
			return cfg, fmt.Errorf("BOSA_SANDBOX_CONTROL: %w", err)
		}
	}
	if v := getenv("BOSA_SANDBOX_TOKEN_LIFETIME"); v != "" {
		if cfg.tokenLifetime, err = time.ParseDuration(v); err != nil {
			return cfg, fmt.Errorf("BOSA_SANDBOX_TOKEN_LIFETIME: %w", err)
		}
	}
	cfg.masterKey = getenv("BOSA_SANDBOX_MASTER_KEY")
	cfg.pathPrefix = getenv("BOSA_SANDBOX_PATH_PREFIX")
	if v := getenv("BOSA_SANDBOX_MAX_UPLOAD"); v != "" {
		if cfg.maxUpload, err = strconv.ParseInt(v, 10, 64); err != nil {
			return cfg, fmt.Errorf("BOSA_SANDBOX_MAX_UPLOAD: %w", err)
		}
	}
	if v := getenv("BOSA_SANDBOX_VERBOSE"); v != "" {
		if cfg.verbose, err = strconv.ParseBool(v); err != nil {
			return cfg, fmt.Errorf("BOSA_SANDBOX_VERBOSE: %w", err)
		}
	}

	fs := flag.NewFlagSet("bosa-sandbox", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var keys keyList
	fs.StringVar(&cfg.addr, "addr", cfg.addr, "listen address (env BOSA_SANDBOX_ADDR); 127.0.0.1:0 picks a free port")
	fs.Var(&keys, "api-key", "client key to accept, repeatable (env BOSA_SANDBOX_API_KEYS, comma-separated); default "+sandbox.DemoAPIKey)
	fs.StringVar(&cfg.clientsFile, "clients-file", cfg.clientsFile,
		`JSON file of named clients with known keys, added to the --api-key keys: [{"name": "team-a", "api_key": "sk-client-…"}] (env BOSA_SANDBOX_CLIENTS_FILE)`)
	fs.BoolVar(&cfg.control, "control", cfg.control, "serve the fault-control surface under /sandbox/control/ (env BOSA_SANDBOX_CONTROL)")
	fs.DurationVar(&cfg.tokenLifetime, "token-lifetime", cfg.tokenLifetime, "lifetime of issued tokens (env BOSA_SANDBOX_TOKEN_LIFETIME)")
	fs.StringVar(&cfg.masterKey, "master-key", cfg.masterKey, "operator key enabling POST /clients (env BOSA_SANDBOX_MASTER_KEY)")
	fs.Int64Var(&cfg.maxUpload, "max-upload", cfg.maxUpload, "largest uploaded file in bytes (env BOSA_SANDBOX_MAX_UPLOAD)")
	fs.BoolVar(&cfg.verbose, "verbose", cfg.verbose, "log every request (env BOSA_SANDBOX_VERBOSE)")
	fs.StringVar(&cfg.pathPrefix, "path-prefix", cfg.pathPrefix, "serve every route under this path, e.g. /pre (env BOSA_SANDBOX_PATH_PREFIX)")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	if len(keys) > 0 {
		cfg.apiKeys = keys
	}
	if cfg.tokenLifetime <= 0 {
		return cfg, errors.New("--token-lifetime must be positive")
	}
	if cfg.maxUpload <= 0 {
		return cfg, errors.New("--max-upload must be positive")
	}
	if cfg.clientsFile != "" {
		if cfg.clients, err = sandbox.LoadClients(cfg.clientsFile); err != nil {
			return cfg, err
		}
	}
	return cfg, nil
}

// options turns the configuration into sandbox options.
func (c config) options(logger *slog.Logger) []sandbox.Option {
	opts := []sandbox.Option{
		sandbox.WithControl(c.control), sandbox.WithTokenLifetime(c.tokenLifetime),
		sandbox.WithMaxUploadSize(c.maxUpload), sandbox.WithLogger(logger),
	}
	if len(c.apiKeys) > 0 {
		opts = append(opts, sandbox.WithAPIKeys(c.apiKeys...))
	}
	if len(c.clients) > 0 {
		opts = append(opts, sandbox.WithClients(c.clients...))
	}
	if c.masterKey != "" {
		opts = append(opts, sandbox.WithMasterKey(c.masterKey))
	}
	if c.pathPrefix != "" {
		opts = append(opts, sandbox.WithPathPrefix(c.pathPrefix))
	}
	return opts
}

// run serves until ctx ends, then shuts down gracefully.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	level := slog.LevelInfo
	if cfg.verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	sb := sandbox.New(cfg.options(logger)...)

	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{Handler: sb, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "BOSA sandbox serving on http://%s%s\n", ln.Addr(), sb.PathPrefix())
	if len(cfg.apiKeys) == 0 {
		fmt.Fprintf(stdout, "demo client key (X-API-Key): %s\n", sandbox.DemoAPIKey)
	} else {
		fmt.Fprintf(stdout, "client keys: %d from --api-key/BOSA_SANDBOX_API_KEYS\n", len(cfg.apiKeys))
	}
	if len(cfg.clients) > 0 {
		fmt.Fprintf(stdout, "seeded clients from %s: %s\n", cfg.clientsFile, strings.Join(sandbox.ClientNames(cfg.clients), ", "))
	}
	if cfg.control {
		fmt.Fprintf(stdout, "fault control: http://%s/sandbox/control/\n", ln.Addr())
	}

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		_ = srv.Close()
		return fmt.Errorf("shutdown: %w", err)
	}
	fmt.Fprintln(stdout, "BOSA sandbox stopped")
	return nil
}
