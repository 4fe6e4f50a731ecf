// Package sandbox is a faithful, in-memory emulator of the BOSA (GL Connectors) HTTP API
// (protocol: docs/protocol.md) with two demo connectors, github and
// google_drive, backed by deterministic seeded data.
//
// Its surface follows net/http/httptest: New returns an http.Handler, NewServer serves it on a
// loopback port and exposes its URL. Tests drive failures with Inject and observe upstream
// traffic with Calls; the same controls are reachable over HTTP under /sandbox/control/ when
// WithControl(true) is given.
//
// Request lifecycle (protocol §11): route (404/405) → call counter and injected faults → client key
// (401) → token for user-scoped routes (401/403) → integration resolution (404) → body validation
// (400) → run → page → shape → envelope.
//
// Today's API adds error contract 2, request ids, recovery advice, the catalog and tenant skills
// (docs/protocol.md §17.2): every response carries X-Request-ID and X-GL-Error-Contract.
package sandbox

import (
	"crypto/rand"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DemoAPIKey is the seeded client key, accepted unless WithAPIKeys replaces the key set.
const DemoAPIKey = "sk-client-sandbox-demo"

// DefaultMaxUploadSize is the default limit on the size of one uploaded file.
const DefaultMaxUploadSize = 64 << 20

// Sandbox is the emulator. It implements http.Handler and is safe for concurrent use.
type Sandbox struct {
	cfg        config
	signingKey []byte // JWT, user secrets, OAuth state and codes
	verified   verifiedTokens
	connectors map[string]*connector
	names      []string // connector names, sorted
	discovery  discoveryCache
	catalog    catalogData
	skills     skillStore
	// searchEnabled is off when the catalog's search backend is down (SetSearchEnabled).
	searchEnabled atomic.Bool

	mu         sync.RWMutex
	clients    map[string]*client // by API key
	clientByID map[string]*client
	usedStates map[string]bool // OAuth state nonces already exchanged

	faults   faultTable
	counters counterTable
}

type config struct {
	apiKeys       []string
	clients       []Client
	tokenLifetime time.Duration
	now           func() time.Time
	control       bool
	logger        *slog.Logger
	masterKey     string
	maxUpload     int64
	pathPrefix    []string // segments every route is served under (WithPathPrefix)
}

// Option configures a Sandbox.
type Option func(*config)

// WithAPIKeys replaces the accepted client keys; each key is one client (tenant).
// The default is {DemoAPIKey}.
func WithAPIKeys(keys ...string) Option {
	return func(c *config) { c.apiKeys = append([]string(nil), keys...) }
}

// WithClients adds clients with known names and keys (e.g. from LoadClients), next to the keys of
// WithAPIKeys (default: the demo key). A key given to both is one client, with the name given here.
// A client's id is derived from its key, so it is the same on every run.
func WithClients(clients ...Client) Option {
	return func(c *config) { c.clients = append(c.clients, clients...) }
}

// WithTokenLifetime sets the lifetime of issued tokens (default 24h).
func WithTokenLifetime(d time.Duration) Option { return func(c *config) { c.tokenLifetime = d } }

// WithClock replaces time.Now for token issuance, expiry and timestamps; injected latency
// still uses real time.
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// WithControl turns the HTTP control surface under /sandbox/control/ on or off (default off).
func WithControl(on bool) Option { return func(c *config) { c.control = on } }

// WithLogger sets the logger for request logs (default: discard). Secrets are never logged.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithMasterKey enables POST /clients (protocol §16 row 7), authenticated by this key in X-API-Key.
func WithMasterKey(k string) Option { return func(c *config) { c.masterKey = k } }

// WithMaxUploadSize sets the largest file google_drive/upload_file accepts (default 64 MiB).
func WithMaxUploadSize(n int64) Option { return func(c *config) { c.maxUpload = n } }

// WithPathPrefix serves every route under prefix (e.g. "/pre": /pre/connectors/…), as a BOSA
// deployment behind a path-routing proxy; URLs the sandbox hands out carry it. Requests outside
// it get 404.
func WithPathPrefix(prefix string) Option {
	return func(c *config) {
		c.pathPrefix = nil
		for _, seg := range strings.Split(prefix, "/") {
			if seg != "" {
				c.pathPrefix = append(c.pathPrefix, seg)
			}
		}
	}
}

// Client is a tenant of the sandbox: its id, name and client API key.
type Client struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	APIKey string `json:"api_key"`
}

// New returns a seeded sandbox.
func New(opts ...Option) *Sandbox {
	cfg := config{
		apiKeys:       []string{DemoAPIKey},
		tokenLifetime: 24 * time.Hour,
		now:           time.Now,
		logger:        slog.New(slog.DiscardHandler),
		maxUpload:     DefaultMaxUploadSize,
	}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.logger == nil {
		cfg.logger = slog.New(slog.DiscardHandler)
	}
	if cfg.now == nil {
		cfg.now = time.Now
	}
	if cfg.maxUpload <= 0 {
		cfg.maxUpload = DefaultMaxUploadSize
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		panic("sandbox: no randomness: " + err.Error())
	}
	s := &Sandbox{
		cfg:        cfg,
		signingKey: key,
		clients:    map[string]*client{},
		clientByID: map[string]*client{},
		usedStates: map[string]bool{},
	}
	s.faults.init()
	s.counters.init()
	s.skills.init()
	s.searchEnabled.Store(true)
	s.connectors = map[string]*connector{}
	for _, c := range []*connector{githubConnector(), driveConnector()} {
		s.connectors[c.name] = c
		s.names = append(s.names, c.name)
	}
	s.discovery = buildDiscovery(s.names, s.connectors)
	for i, k := range cfg.apiKeys {
		name := "sandbox-demo"
		if k != DemoAPIKey {
			name = "client-" + itoa(i+1)
		}
		s.addClient(name, k, true)
	}
	for _, c := range cfg.clients {
		s.addClient(c.Name, c.APIKey, true)
	}
	s.catalog = buildCatalog(s.names, s.connectors)
	return s
}

// CreateClient adds a new tenant with a fresh client key and returns it.
func (s *Sandbox) CreateClient(name string) Client {
	return s.addClient(name, "sk-client-"+randomToken(20), false).public()
}

// ServeHTTP implements http.Handler.
func (s *Sandbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &statusRecorder{ResponseWriter: w}
	defer func() {
		// A bug in a handler answers 500 with the error body instead of a dropped connection.
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.cfg.logger.Error("handler panic", slog.String("path", r.URL.Path), slog.Any("panic", v))
			if rec.status == 0 {
				writeError(rec, &apiError{Status: http.StatusInternalServerError, Code: codeInternal, Message: "Internal error"})
			}
		}
	}()
	id, contract := stampResponse(rec, r)
	s.serve(rec, r)
	s.cfg.logger.LogAttrs(r.Context(), slog.LevelDebug, "request",
		slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.String("request_id", id),
		slog.Int("contract", contract), slog.Int("status", rec.status), slog.Duration("duration", time.Since(start)))
}

func (s *Sandbox) serve(w http.ResponseWriter, r *http.Request) {
	segs, ok := splitPath(r.URL.EscapedPath())
	if ok {
		segs, ok = s.stripPrefix(segs)
	}
	if !ok {
		writeError(w, errNotFound("Not found"))
		return
	}
	rt, aerr := s.route(r.Method, segs)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	if rt.faults == nil { // control surface: not counted, never faulted
		rt.handle(w, r)
		return
	}
	s.dispatch(w, r, rt)
}

// splitPath collapses repeated slashes (a base URL with a trailing "/" yields "//connectors",
// protocol §14.1) and unescapes each segment, so "alice%40example.com" and "alice@example.com"
// name the same integration.
func splitPath(escaped string) ([]string, bool) {
	var segs []string
	for _, raw := range strings.Split(escaped, "/") {
		if raw == "" {
			continue
		}
		seg, err := pathUnescape(raw)
		if err != nil {
			return nil, false
		}
		segs = append(segs, seg)
	}
	return segs, true
}

// stripPrefix removes the configured path prefix; false when the path is outside it.
func (s *Sandbox) stripPrefix(segs []string) ([]string, bool) {
	p := s.cfg.pathPrefix
	if len(segs) < len(p) {
		return nil, false
	}
	for i, seg := range p {
		if segs[i] != seg {
			return nil, false
		}
	}
	return segs[len(p):], true
}

// PathPrefix is the path every route is served under (WithPathPrefix): "" or e.g. "/pre".
func (s *Sandbox) PathPrefix() string {
	if len(s.cfg.pathPrefix) == 0 {
		return ""
	}
	return "/" + strings.Join(s.cfg.pathPrefix, "/")
}

// statusRecorder remembers the status for the request log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// ReadFrom keeps io.Copy on the fast path of the underlying writer.
func (r *statusRecorder) ReadFrom(src io.Reader) (int64, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return io.Copy(r.ResponseWriter, src)
}

// Unwrap lets http.ResponseController reach the connection (Hijack, Flush).
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
