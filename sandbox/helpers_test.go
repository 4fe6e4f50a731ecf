package sandbox_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"bosa.dev/gateway/sandbox"
)

// start runs a sandbox for one test.
func start(t *testing.T, opts ...sandbox.Option) *sandbox.Server {
	t.Helper()
	srv := sandbox.NewServer(opts...)
	t.Cleanup(srv.Close)
	return srv
}

// resp is a fully read response.
type resp struct {
	status int
	header http.Header
	body   []byte
}

// obj decodes the body as a JSON object.
func (r *resp) obj(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("status %d: body is not a JSON object: %v: %.300s", r.status, err, r.body)
	}
	return m
}

// data returns the envelope's data object, failing unless the status is 200.
func (r *resp) data(t *testing.T) map[string]any {
	t.Helper()
	r.ok(t)
	d, ok := r.obj(t)["data"].(map[string]any)
	if !ok {
		t.Fatalf("data is not an object: %s", r.body)
	}
	return d
}

// list returns the envelope's data array and meta.
func (r *resp) list(t *testing.T) ([]any, map[string]any) {
	t.Helper()
	r.ok(t)
	m := r.obj(t)
	d, ok := m["data"].([]any)
	if !ok {
		t.Fatalf("data is not an array: %.300s", r.body)
	}
	meta, _ := m["meta"].(map[string]any)
	return d, meta
}

func (r *resp) ok(t *testing.T) {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("status %d, want 200: %.500s", r.status, r.body)
	}
	if !strings.Contains(r.header.Get("Content-Type"), "application/json") {
		t.Fatalf("Content-Type %q, want JSON", r.header.Get("Content-Type"))
	}
}

// wantError checks status and the canonical error body {"error": {"message", "code"}}.
func (r *resp) wantError(t *testing.T, status int, code string) string {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %.500s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("error Content-Type %q", ct)
	}
	e, ok := r.obj(t)["error"].(map[string]any)
	if !ok {
		t.Fatalf("no error object: %s", r.body)
	}
	if e["code"] != code {
		t.Fatalf("code %v, want %s (message %v)", e["code"], code, e["message"])
	}
	msg, _ := e["message"].(string)
	if msg == "" {
		t.Fatalf("empty error message: %s", r.body)
	}
	// The envelope of error contract 2 is on every error: the response's request id, a type and
	// a recovery whose retryable is a JSON bool.
	if id := r.header.Get("X-Request-ID"); id == "" || e["request_id"] != id {
		t.Fatalf("request_id %v, X-Request-ID %q", e["request_id"], id)
	}
	if typ, _ := e["type"].(string); typ == "" {
		t.Fatalf("no error type: %s", r.body)
	}
	if rec, ok := e["recovery"].(map[string]any); !ok {
		t.Fatalf("no recovery: %s", r.body)
	} else if _, ok := rec["retryable"].(bool); !ok {
		t.Fatalf("recovery.retryable is not a bool: %s", r.body)
	}
	if c := r.header.Get("X-GL-Error-Contract"); c != "1" && c != "2" {
		t.Fatalf("X-GL-Error-Contract %q", c)
	}
	return msg
}

// recovery returns the error's recovery object.
func (r *resp) recovery(t *testing.T) map[string]any {
	t.Helper()
	e, _ := r.obj(t)["error"].(map[string]any)
	rec, _ := e["recovery"].(map[string]any)
	return rec
}

// noRedirect is an HTTP client that does not follow redirects.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// caller sends requests as one client key and, optionally, one user token.
type caller struct {
	t     *testing.T
	base  string
	key   string
	token string
	hc    *http.Client
}

func newCaller(t *testing.T, srv *sandbox.Server) *caller {
	return &caller{t: t, base: srv.URL, key: sandbox.DemoAPIKey, hc: http.DefaultClient}
}

// with returns a copy using other credentials.
func (c *caller) with(key, token string) *caller {
	cp := *c
	cp.key, cp.token = key, token
	return &cp
}

// do sends body (nil, []byte/string sent as is with contentType, or a value sent as JSON) with
// extra headers given as name, value pairs.
func (c *caller) do(method, path string, body any, hdr ...string) *resp {
	c.t.Helper()
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		rd, ct = bytes.NewReader(raw), "application/json"
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if c.key != "" {
		req.Header.Set("X-API-Key", c.key)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	hc := c.hc
	if hc == nil {
		hc = http.DefaultClient
	}
	res, err := hc.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatalf("%s %s: reading body: %v", method, path, err)
	}
	return &resp{status: res.StatusCode, header: res.Header, body: b}
}

func (c *caller) post(path string, body any, hdr ...string) *resp {
	c.t.Helper()
	return c.do(http.MethodPost, path, body, hdr...)
}

func (c *caller) get(path string, hdr ...string) *resp {
	c.t.Helper()
	return c.do(http.MethodGet, path, nil, hdr...)
}

// newUser creates a user and returns its secret and a caller holding its token.
func newUser(c *caller, identifier string) (secret string, u *caller) {
	c.t.Helper()
	d := c.post("/users", map[string]any{"identifier": identifier}).data(c.t)
	secret = d["secret"].(string)
	tok := c.post("/auth/tokens", map[string]any{"identifier": identifier, "secret": secret}).data(c.t)
	return secret, c.with(c.key, tok["token"].(string))
}

// connect runs the OAuth2 round trip for connector as login, following the redirects.
func connect(u *caller, connector, login string) {
	u.t.Helper()
	start := u.post("/connectors/"+connector+"/integrations", map[string]any{"callback_url": u.base + "/connectors/" + connector + "/success-authorize-callback"}).data(u.t)
	authURL, err := url.Parse(start["url"].(string))
	if err != nil {
		u.t.Fatal(err)
	}
	// Appending login overrides the default one in the URL, as a person would do.
	res, err := http.Get(authURL.String() + "&login=" + url.QueryEscape(login))
	if err != nil {
		u.t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !bytes.Contains(b, []byte(`"success":true`)) {
		u.t.Fatalf("connect %s as %s: status %d: %s", connector, login, res.StatusCode, b)
	}
}

// connected returns a new user of the demo client with one github and one google_drive integration.
func connected(t *testing.T, srv *sandbox.Server, identifier string) *caller {
	t.Helper()
	_, u := newUser(newCaller(t, srv), identifier)
	connect(u, "github", identifier+"-gh")
	connect(u, "google_drive", identifier+"@example.com")
	return u
}

// clock is a settable clock for WithClock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// num reads a JSON number as int.
func num(t *testing.T, v any) int {
	t.Helper()
	f, ok := v.(float64)
	if !ok {
		t.Fatalf("%v (%T) is not a number", v, v)
	}
	return int(f)
}

// eventually polls cond for up to 5 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
