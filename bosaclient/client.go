// Package bosaclient is the Go client of the BOSA / GL Connectors HTTP API
// (../shared/bosa-http-protocol.md, "the spec" below). It is the one place where the wire protocol lives:
// discovery (discovery.go), validation and body encodings (execute.go), responses and paging (response.go),
// retries (retry.go), errors (errors.go), users (users.go), integrations (integrations.go), files (file.go)
// and the fluent builder (fluent.go).
//
// A Client is safe for concurrent use and reuses connections; create one per base URL and API key and share it.
// Every upstream call accepts CallOptions (WithToken, WithIntegration, WithAPIKey, ...).
//
// Differences from the Python reference client (spec §14.2): JSON-schema "required" is honoured, unknown
// parameters are rejected (or dropped, with WithUnknownParams), non-2xx answers are returned as *APIError,
// Retry-After is honoured and waits never outlast the context deadline, paging stops when it would not advance,
// discovery is cached with a TTL, a missing Content-Type yields a File, and RFC 5987 filename* is parsed.
package bosaclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// DefaultBaseURL is the default host of the GL Connectors service (spec §16 #18).
const DefaultBaseURL = "https://connector.gdplabs.id"

// Default timeouts per spec §3.4.
const (
	// DefaultActionTimeout bounds one attempt of an action call and of discovery.
	DefaultActionTimeout = 30 * time.Second
	// DefaultManagementTimeout bounds one attempt of a users, tokens or integrations call.
	DefaultManagementTimeout = 10 * time.Second
	// DefaultDiscoveryTTL is how long discovery results are cached.
	DefaultDiscoveryTTL = 5 * time.Minute
	// DefaultMaxPages bounds AllItems and Pages.
	DefaultMaxPages = 1000
	// DefaultMaxResponseBytes bounds the size of one response body (files included).
	DefaultMaxResponseBytes = 64 << 20
)

// UnknownParams says what Execute does with parameters the action schema does not declare.
type UnknownParams int

const (
	// RejectUnknown fails validation when a parameter is not declared by the schema (the default).
	RejectUnknown UnknownParams = iota
	// DropUnknown silently removes undeclared parameters, as the Python SDK does.
	DropUnknown
	// KeepUnknown sends undeclared parameters unchanged.
	KeepUnknown
)

// Client talks to one BOSA server with one default API key. Create it with New.
type Client struct {
	baseURL   string
	apiKey    string
	http      *http.Client
	userAgent string
	logger    *slog.Logger

	actionTimeout     time.Duration
	managementTimeout time.Duration
	retry             RetryPolicy
	unknown           UnknownParams
	lax               bool
	maxPages          int
	maxResponse       int64

	disc *discovery
}

// Option configures a Client in New.
type Option func(*Client)

// WithHTTPClient sets the http.Client used for every request. Its Timeout, if any, applies on top of the
// client's own per-attempt timeouts.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) {
		if hc != nil {
			c.http = hc
		}
	}
}

// WithTimeout sets the per-attempt timeout of action calls and discovery (default 30 s). Zero or negative
// values are ignored: a request always has a timeout.
func WithTimeout(d time.Duration) Option {
	return func(c *Client) {
		if d > 0 {
			c.actionTimeout = d
		}
	}
}

// WithManagementTimeout sets the per-attempt timeout of users, tokens and integrations calls (default 10 s).
func WithManagementTimeout(d time.Duration) Option {
	return func(c *Client) {
		if d > 0 {
			c.managementTimeout = d
		}
	}
}

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option { return func(c *Client) { c.userAgent = ua } }

// WithLogger sets the logger. The client logs each attempt at debug level and each retry at warn level;
// it never logs headers, bodies, keys, secrets or tokens. The default discards everything.
func WithLogger(l *slog.Logger) Option {
	return func(c *Client) {
		if l != nil {
			c.logger = l
		}
	}
}

// WithRetry sets the default retry policy of action calls. Zero fields take the defaults of DefaultRetryPolicy.
func WithRetry(p RetryPolicy) Option { return func(c *Client) { c.retry = p.withDefaults() } }

// WithDiscoveryTTL sets how long discovery results are cached (default 5 minutes). Zero or less disables
// caching beyond sharing one fetch among concurrent callers.
func WithDiscoveryTTL(d time.Duration) Option { return func(c *Client) { c.disc.ttl = d } }

// WithUnknownParams sets what happens to parameters an action does not declare (default RejectUnknown).
func WithUnknownParams(p UnknownParams) Option { return func(c *Client) { c.unknown = p } }

// WithLaxValidation makes validation coerce values leniently ("5" → 5, "true" → true) as the Python SDK and
// the server's pydantic models do, instead of rejecting mistyped values.
func WithLaxValidation(lax bool) Option { return func(c *Client) { c.lax = lax } }

// WithMaxPages bounds how many pages AllItems and Pages fetch (default 1000).
func WithMaxPages(n int) Option {
	return func(c *Client) {
		if n > 0 {
			c.maxPages = n
		}
	}
}

// WithMaxResponseBytes bounds the size of one response body, downloads included (default 64 MiB). A larger
// answer fails with an error matching ErrResponseTooLarge.
func WithMaxResponseBytes(n int64) Option {
	return func(c *Client) {
		if n > 0 {
			c.maxResponse = n
		}
	}
}

// New returns a Client for baseURL (trailing slashes are trimmed; empty means DefaultBaseURL) that sends
// apiKey as X-API-Key.
func New(baseURL, apiKey string, opts ...Option) (*Client, error) {
	baseURL = strings.TrimRight(strings.TrimSpace(baseURL), "/")
	if baseURL == "" {
		baseURL = DefaultBaseURL
	}
	if !strings.HasPrefix(baseURL, "http://") && !strings.HasPrefix(baseURL, "https://") {
		return nil, fmt.Errorf("bosaclient: base URL %q: scheme must be http or https", baseURL)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	c := &Client{
		baseURL:           baseURL,
		apiKey:            apiKey,
		http:              &http.Client{Transport: tr},
		userAgent:         "bosaclient-go/1",
		logger:            slog.New(slog.DiscardHandler),
		actionTimeout:     DefaultActionTimeout,
		managementTimeout: DefaultManagementTimeout,
		retry:             RetryPolicy{MaxAttempts: 1}.withDefaults(),
		maxPages:          DefaultMaxPages,
		maxResponse:       DefaultMaxResponseBytes,
	}
	c.disc = newDiscovery(c)
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// BaseURL returns the base URL without trailing slash.
func (c *Client) BaseURL() string { return c.baseURL }

// CloseIdleConnections closes idle upstream connections; the client stays usable.
func (c *Client) CloseIdleConnections() { c.http.CloseIdleConnections() }

// CallOption customises one upstream call (actions, users, integrations).
type CallOption func(*callConfig)

type callConfig struct {
	token       string
	integration string
	apiKey      *string
	headers     map[string]string
	maxAttempts int
	timeout     time.Duration
	rawData     bool
}

func (cc *callConfig) clone() *callConfig {
	n := *cc
	if cc.headers != nil {
		n.headers = make(map[string]string, len(cc.headers))
		for k, v := range cc.headers {
			n.headers[k] = v
		}
	}
	return &n
}

// WithToken sends "Authorization: Bearer <token>" (a user token from Authenticate).
func WithToken(token string) CallOption { return func(cc *callConfig) { cc.token = token } }

// WithIntegration picks the integration (user_identifier) for this call, sending both X-Bosa-Integration and
// X-Integration (spec §16 #1).
func WithIntegration(uid string) CallOption { return func(cc *callConfig) { cc.integration = uid } }

// WithHeaders adds custom headers; several WithHeaders merge. Auth headers (X-API-Key, Authorization,
// integration headers) and Content-Type always win over custom ones.
func WithHeaders(h map[string]string) CallOption {
	return func(cc *callConfig) {
		if cc.headers == nil {
			cc.headers = make(map[string]string, len(h))
		}
		for k, v := range h {
			cc.headers[k] = v
		}
	}
}

// WithAPIKey overrides the client's API key for this call.
func WithAPIKey(key string) CallOption { return func(cc *callConfig) { cc.apiKey = &key } }

// WithMaxAttempts sets the number of attempts for this call (1 = no retry); see RetryPolicy.
func WithMaxAttempts(n int) CallOption { return func(cc *callConfig) { cc.maxAttempts = n } }

// WithCallTimeout sets the per-attempt timeout of this call.
func WithCallTimeout(d time.Duration) CallOption { return func(cc *callConfig) { cc.timeout = d } }

// WithRawData leaves the "data" of a JSON answer undecoded, in ActionResponse.RawData (Data stays nil),
// for callers that convert it to another form themselves (the gateway decodes it straight into
// google.protobuf.Value). Paging works as without it; NextPage and PrevPage keep the option.
func WithRawData() CallOption { return func(cc *callConfig) { cc.rawData = true } }

func newCallConfig(opts []CallOption) *callConfig {
	cc := &callConfig{}
	for _, o := range opts {
		if o != nil {
			o(cc)
		}
	}
	return cc
}

// request is one logical upstream call, replayable across attempts.
type request struct {
	method      string
	path        string // absolute path, already escaped
	body        []byte
	stream      io.Reader // a body sent once instead of body (streamed uploads); never retried
	contentType string
	noAuth      bool // discovery: send no key
	timeout     time.Duration
	connector   string
	action      string
}

// response is a fully read upstream answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

// send performs req with retries per the call config and returns the 2xx answer, or an *APIError for
// non-2xx, or a network or context error.
func (c *Client) send(ctx context.Context, req *request, cc *callConfig, retryable bool) (*response, error) {
	attempts := 1
	if retryable {
		attempts = c.retry.MaxAttempts
		if cc.maxAttempts > 0 {
			attempts = cc.maxAttempts
		}
	}
	timeout := req.timeout
	if cc.timeout > 0 {
		timeout = cc.timeout
	}
	return c.retry.do(ctx, c.logger, req, attempts, func(ctx context.Context, attempt int) (*response, error) {
		return c.attempt(ctx, req, cc, timeout, attempt)
	})
}

// attempt performs one HTTP exchange and reads the whole body.
func (c *Client) attempt(ctx context.Context, req *request, cc *callConfig, timeout time.Duration, attempt int) (*response, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	hr, err := c.newHTTPRequest(ctx, req, cc)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	resp, err := c.http.Do(hr)
	if err != nil {
		c.logger.LogAttrs(ctx, slog.LevelDebug, "bosa request failed", slog.String("method", req.method),
			slog.String("path", req.path), slog.Int("attempt", attempt), slog.Duration("elapsed", time.Since(start)))
		return nil, networkError(req, ctx, 0, err)
	}
	defer resp.Body.Close()
	return c.readResponse(ctx, req, resp, attempt, start)
}

// readResponse reads a whole answer of at most the client's maximum size; a non-2xx answer is an
// *APIError. The caller closes resp.Body.
func (c *Client) readResponse(ctx context.Context, req *request, resp *http.Response, attempt int, start time.Time) (*response, error) {
	if resp.ContentLength > c.maxResponse {
		return nil, fmt.Errorf("bosaclient: %s %s: %w: Content-Length %d exceeds %d bytes",
			req.method, req.path, ErrResponseTooLarge, resp.ContentLength, c.maxResponse)
	}
	data, err := readBody(resp, c.maxResponse)
	if err != nil {
		return nil, networkError(req, ctx, resp.StatusCode, err)
	}
	if int64(len(data)) > c.maxResponse {
		return nil, fmt.Errorf("bosaclient: %s %s: %w: more than %d bytes", req.method, req.path, ErrResponseTooLarge, c.maxResponse)
	}
	c.logger.LogAttrs(ctx, slog.LevelDebug, "bosa request", slog.String("method", req.method),
		slog.String("path", req.path), slog.Int("status", resp.StatusCode), slog.Int("attempt", attempt),
		slog.Int("bytes", len(data)), slog.Duration("elapsed", time.Since(start)))
	r := &response{status: resp.StatusCode, header: resp.Header, body: data}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return r, newAPIError(req, r)
	}
	return r, nil
}

// newHTTPRequest builds the HTTP request of one attempt: the body (req.body, replayable, or
// req.stream, sent once), the custom headers, then Content-Type and the auth headers, which win.
func (c *Client) newHTTPRequest(ctx context.Context, req *request, cc *callConfig) (*http.Request, error) {
	var body io.Reader
	switch {
	case req.stream != nil:
		body = req.stream
	case req.body != nil:
		body = bytes.NewReader(req.body)
	}
	hr, err := http.NewRequestWithContext(ctx, req.method, c.baseURL+req.path, body)
	if err != nil {
		return nil, fmt.Errorf("bosaclient: build request %s %s: %w", req.method, req.path, err)
	}
	if req.body != nil && req.stream == nil {
		b := req.body
		hr.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	}
	if c.userAgent != "" {
		hr.Header.Set("User-Agent", c.userAgent)
	}
	hr.Header.Set("Accept", "application/json, */*")
	for k, v := range cc.headers {
		hr.Header.Set(k, v)
	}
	if req.contentType != "" {
		hr.Header.Set("Content-Type", req.contentType)
	}
	if !req.noAuth {
		key := c.apiKey
		if cc.apiKey != nil {
			key = *cc.apiKey
		}
		if key != "" {
			hr.Header.Set("X-API-Key", key)
		}
		if cc.token != "" {
			hr.Header.Set("Authorization", "Bearer "+cc.token)
		}
		if cc.integration != "" {
			hr.Header.Set("X-Bosa-Integration", cc.integration)
			hr.Header.Set("X-Integration", cc.integration)
		}
	}
	return hr, nil
}

// envelope is the JSON answer of every endpoint except discovery (spec §3.3).
type envelope struct {
	Data json.RawMessage `json:"data"`
	Meta json.RawMessage `json:"meta"`
}

// doJSON performs a management call (users, tokens, integrations) with a JSON body and decodes data into out.
func (c *Client) doJSON(ctx context.Context, method, path string, in any, out any, opts []CallOption) error {
	req := &request{method: method, path: path, timeout: c.managementTimeout}
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("bosaclient: encode %s %s: %w", method, path, err)
		}
		req.body = b
		req.contentType = "application/json"
	}
	cc := newCallConfig(opts)
	resp, err := c.send(ctx, req, cc, cc.maxAttempts > 1)
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	var env envelope
	if err := json.Unmarshal(resp.body, &env); err != nil {
		return fmt.Errorf("bosaclient: %s %s: decode response: %w", method, path, err)
	}
	if len(env.Data) == 0 || string(env.Data) == "null" {
		return fmt.Errorf("bosaclient: %s %s: response has no data", method, path)
	}
	if err := json.Unmarshal(env.Data, out); err != nil {
		return fmt.Errorf("bosaclient: %s %s: decode data: %w", method, path, err)
	}
	return nil
}

// readBody reads a whole response body of at most limit+1 bytes (the caller checks the limit). A body
// whose length is announced is read into one buffer of exactly that size: io.ReadAll grows its buffer
// by doubling, which allocates about twice a large download and keeps up to twice its size live.
func readBody(resp *http.Response, limit int64) ([]byte, error) {
	if n := resp.ContentLength; n > 0 && n <= limit {
		buf := make([]byte, n)
		if _, err := io.ReadFull(resp.Body, buf); err != nil {
			return nil, err
		}
		return buf, nil
	}
	return io.ReadAll(io.LimitReader(resp.Body, limit+1))
}
