// Command bosa-sandbox serves the BOSA API emulator (package sandbox) on a local address.
//
// Flags override their environment variables (package envflag, shared with bosa-gateway):
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
	"strings"
	"syscall"
	"time"

	"bosa.dev/gateway/internal/envflag"
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

// keyList is a repeatable string flag; each value may also list keys separated by commas (as the
// environment variable does).
type keyList []string

func (k *keyList) String() string { return strings.Join(*k, ",") }
func (k *keyList) Set(v string) error {
	n := len(*k)
	for _, key := range strings.Split(v, ",") {
		if key = strings.TrimSpace(key); key != "" {
			*k = append(*k, key)
		}
	}
	if len(*k) == n {
		return errors.New("empty key")
	}
	return nil
}

func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	cfg := config{}
	fs := envflag.New("bosa-sandbox", getenv, stderr)
	var keys keyList
	fs.String(&cfg.addr, "addr", "BOSA_SANDBOX_ADDR", DefaultAddr, "listen address; 127.0.0.1:0 picks a free port")
	fs.Var(&keys, "api-key", "BOSA_SANDBOX_API_KEYS", "client key to accept, repeatable or comma-separated; default "+sandbox.DemoAPIKey)
	fs.String(&cfg.clientsFile, "clients-file", "BOSA_SANDBOX_CLIENTS_FILE", "",
		`JSON file of named clients with known keys, added to the --api-key keys: [{"name": "team-a", "api_key": "sk-client-…"}]`)
	fs.Bool(&cfg.control, "control", "BOSA_SANDBOX_CONTROL", "serve the fault-control surface under /sandbox/control/")
	fs.Duration(&cfg.tokenLifetime, "token-lifetime", "BOSA_SANDBOX_TOKEN_LIFETIME", 24*time.Hour, "lifetime of issued tokens")
	fs.String(&cfg.masterKey, "master-key", "BOSA_SANDBOX_MASTER_KEY", "", "operator key enabling POST /clients")
	fs.Int64(&cfg.maxUpload, "max-upload", "BOSA_SANDBOX_MAX_UPLOAD", sandbox.DefaultMaxUploadSize, "largest uploaded file in bytes")
	fs.Bool(&cfg.verbose, "verbose", "BOSA_SANDBOX_VERBOSE", "log every request (never secrets)")
	fs.String(&cfg.pathPrefix, "path-prefix", "BOSA_SANDBOX_PATH_PREFIX", "", "serve every route under this path, e.g. /pre")
	if err := fs.Parse(args); err != nil {
		return cfg, err
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
		var err error
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
