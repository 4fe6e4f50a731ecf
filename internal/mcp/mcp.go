// Package mcp serves the gateway as a Model Context Protocol server: every connector action is a
// tool, at /mcp (all connectors) and /mcp/{connector} (one), over the Streamable HTTP transport of
// the official Go SDK (github.com/modelcontextprotocol/go-sdk), which also handles sessions.
//
// The path of one tool call: HTTP (auth.go verifies the bearer token) → the SDK's streamable
// handler → call.go → bosa.v1 ActionService.ExecuteAction over the gateway's own connection, so it
// passes the same interceptors (request id, logging, metrics, rate limit) and service code
// (validation, shaping, page tokens, upstream concurrency, error mapping) as a gRPC or REST call.
// Tools are built from discovery in tools.go and refreshed when the discovery cache refreshes.
// What each tool takes and returns: docs/mcp.md.
package mcp

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"google.golang.org/grpc"

	"bosa.dev/gateway/bosaclient"
	bosav1 "bosa.dev/gateway/gen/bosa/v1"
)

// DefaultMaxFileBytes is the default of Config.MaxFileBytes.
const DefaultMaxFileBytes = 4 << 20

// SessionTimeout closes sessions that see no request for this long.
const SessionTimeout = 30 * time.Minute

// Config configures a Handler.
type Config struct {
	// Conn reaches the gateway's bosa.v1 services (the REST face's connection, with its interceptors).
	Conn grpc.ClientConnInterface
	// Connectors lists every connector (the discovery cache); Connector returns one, or an error
	// matching bosaclient.ErrNotFound.
	Connectors func(context.Context) ([]*bosaclient.Connector, error)
	Connector  func(context.Context, string) (*bosaclient.Connector, error)
	// MaxFileBytes bounds a file a tool returns as an embedded resource (DefaultMaxFileBytes when 0).
	MaxFileBytes int
	// MaxRequestBytes bounds one MCP HTTP request body (the SDK's default when 0).
	MaxRequestBytes int64
	// Version is the server version announced to clients.
	Version string
	// Logger receives the SDK's logs; slog.Default() when nil.
	Logger *slog.Logger
}

// Handler serves MCP over HTTP. Mount it with Register.
type Handler struct {
	cfg     Config
	actions bosav1.ActionServiceClient
	auth    *verifier

	mu     sync.Mutex
	scopes map[string]*scope // by connector; "" is every connector
}

// New returns a Handler.
func New(cfg Config) *Handler {
	if cfg.MaxFileBytes <= 0 {
		cfg.MaxFileBytes = DefaultMaxFileBytes
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	// The SDK logs every session's connect and disconnect at info; the calls themselves are logged
	// by the services' interceptors, so keep the SDK's routine events at debug.
	cfg.Logger = slog.New(quieter{cfg.Logger.Handler()})
	if cfg.Version == "" {
		cfg.Version = "1"
	}
	return &Handler{
		cfg:     cfg,
		actions: bosav1.NewActionServiceClient(cfg.Conn),
		auth:    newVerifier(bosav1.NewUserServiceClient(cfg.Conn)),
		scopes:  map[string]*scope{},
	}
}

// Register mounts the MCP endpoints and their protected-resource metadata (RFC 9728) on mux.
func (h *Handler) Register(mux *http.ServeMux) {
	endpoint := withPeer(h.protect(http.HandlerFunc(h.serve)))
	mux.Handle("/mcp", endpoint)
	mux.Handle("/mcp/{connector}", endpoint)
	mux.HandleFunc("/.well-known/oauth-protected-resource/mcp", h.serveMetadata)
	mux.HandleFunc("/.well-known/oauth-protected-resource/mcp/{connector}", h.serveMetadata)
}

// Close ends every MCP session, so that their open event streams do not hold a graceful shutdown.
func (h *Handler) Close() {
	h.mu.Lock()
	scopes := make([]*scope, 0, len(h.scopes))
	for _, s := range h.scopes {
		scopes = append(scopes, s)
	}
	h.mu.Unlock()
	for _, s := range scopes {
		for ss := range s.server.Sessions() {
			_ = ss.Close()
		}
	}
}

// serve resolves the scope of the path, brings its tools up to date with discovery and hands the
// request to the scope's streamable handler.
func (h *Handler) serve(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("connector")
	sc, err := h.scope(r.Context(), name)
	switch {
	case errors.Is(err, bosaclient.ErrNotFound):
		http.Error(w, "no connector "+quote(name)+" (GET /v1/connectors lists them)", http.StatusNotFound)
		return
	case err != nil:
		h.cfg.Logger.Warn("mcp: discovery failed", slog.String("connector", quote(name)), slog.Any("error", err))
		w.Header().Set("Retry-After", "5")
		http.Error(w, "the gateway could not load BOSA's connectors (discovery failed); retry shortly", http.StatusServiceUnavailable)
		return
	}
	sc.serveHTTP(w, r)
}

// withPeer appends the HTTP peer's address to X-Forwarded-For, which reaches the services with the
// other forwarded headers: as for REST, the rate limit counts a caller without credentials by IP.
func withPeer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
			if prior := r.Header.Get("X-Forwarded-For"); prior != "" {
				host = prior + ", " + host
			}
			r.Header.Set("X-Forwarded-For", host)
		}
		next.ServeHTTP(w, r)
	})
}

// scope returns the scope of a connector ("" for all), created on first use, with its tools synced.
func (h *Handler) scope(ctx context.Context, connector string) (*scope, error) {
	var (
		conns []*bosaclient.Connector
		err   error
	)
	if connector == "" {
		conns, err = h.cfg.Connectors(ctx)
	} else {
		var c *bosaclient.Connector
		if c, err = h.cfg.Connector(ctx, connector); err == nil {
			conns = []*bosaclient.Connector{c}
		}
	}
	h.mu.Lock()
	sc := h.scopes[connector]
	if sc == nil && err == nil {
		sc = h.newScope(connector)
		h.scopes[connector] = sc
	}
	h.mu.Unlock()
	if err != nil {
		if sc != nil && sc.synced() && !errors.Is(err, bosaclient.ErrNotFound) {
			// Serve the tools last listed rather than fail sessions while BOSA's discovery is down.
			h.cfg.Logger.Warn("mcp: discovery failed; serving the last tools listed", slog.Any("error", err))
			return sc, nil
		}
		return nil, err
	}
	sc.sync(conns)
	return sc, nil
}

// newScope builds the MCP server of one scope and its streamable HTTP handler.
func (h *Handler) newScope(connector string) *scope {
	name := "bosa-gateway"
	if connector != "" {
		name += "/" + connector
	}
	srv := sdk.NewServer(&sdk.Implementation{Name: name, Title: "BOSA gateway", Version: h.cfg.Version}, &sdk.ServerOptions{
		Instructions: "Each tool runs one BOSA connector action as the user of the bearer token. " +
			"Results carry data and meta; a paginated tool returns next_page_token, passed back as page_token for the next page.",
		Logger:       h.cfg.Logger,
		Capabilities: &sdk.ServerCapabilities{Tools: &sdk.ToolCapabilities{ListChanged: true}},
	})
	sc := &scope{server: srv, tools: map[string]string{}, handler: h}
	get := func(*http.Request) *sdk.Server { return srv }
	sc.sessions = sdk.NewStreamableHTTPHandler(get, &sdk.StreamableHTTPOptions{
		Logger: h.cfg.Logger, SessionTimeout: SessionTimeout, MaxRequestBodyBytes: h.cfg.MaxRequestBytes,
	})
	sc.stateless = sdk.NewStreamableHTTPHandler(get, &sdk.StreamableHTTPOptions{
		Logger: h.cfg.Logger, Stateless: true, MaxRequestBodyBytes: h.cfg.MaxRequestBytes,
	})
	return sc
}

// quieter logs records below warn at debug.
type quieter struct{ slog.Handler }

func (q quieter) Enabled(ctx context.Context, l slog.Level) bool {
	if l < slog.LevelWarn {
		l = slog.LevelDebug
	}
	return q.Handler.Enabled(ctx, l)
}

func (q quieter) Handle(ctx context.Context, r slog.Record) error {
	if r.Level < slog.LevelWarn {
		r.Level = slog.LevelDebug
	}
	return q.Handler.Handle(ctx, r)
}

func (q quieter) WithAttrs(as []slog.Attr) slog.Handler { return quieter{q.Handler.WithAttrs(as)} }
func (q quieter) WithGroup(g string) slog.Handler       { return quieter{q.Handler.WithGroup(g)} }

func quote(s string) string {
	if len(s) > 100 {
		s = s[:100] + "…"
	}
	return `"` + strings.ToValidUTF8(s, "?") + `"`
}
