package sandbox_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"bosa.dev/gateway/sandbox"
)

// contract2 are the header arguments of caller.do that ask for error contract 2.
var contract2 = []string{"X-GL-Error-Contract", "2"}

// TestErrorContract: the contract asked for is echoed on every response (anything but "2" is 1),
// and the integration routes answer a missing integration per contract: 200 with the legacy
// failure shape under 1, 404 with the envelope under 2.
func TestErrorContract(t *testing.T) {
	srv := start(t)
	_, u := newUser(newCaller(t, srv), "contract")
	for _, tc := range []struct {
		sent, want string
	}{{"", "1"}, {"1", "1"}, {"2", "2"}, {" 2 ", "2"}, {"3", "1"}, {"two", "1"}} {
		var hdr []string
		if tc.sent != "" {
			hdr = []string{"X-GL-Error-Contract", tc.sent}
		}
		for _, r := range []*resp{u.get("/connectors/names", hdr...), u.get("/users/me", hdr...), u.get("/nope", hdr...)} {
			if got := r.header.Get("X-GL-Error-Contract"); got != tc.want {
				t.Errorf("sent %q: echoed %q, want %q", tc.sent, got, tc.want)
			}
		}
	}
	for _, tc := range []struct {
		name, method string
	}{{"get", http.MethodGet}, {"select", http.MethodPost}, {"remove", http.MethodDelete}} {
		t.Run(tc.name, func(t *testing.T) {
			d := u.do(tc.method, "/connectors/github/integrations/ghost", nil).data(t)
			if d["success"] != false || !strings.Contains(d["error"].(string), "ghost") {
				t.Fatalf("contract 1: %v", d)
			}
			r := u.do(tc.method, "/connectors/github/integrations/ghost", nil, contract2...)
			r.wantError(t, 404, "INTEGRATION_NOT_FOUND")
			e := r.obj(t)["error"].(map[string]any)
			if e["type"] != "IntegrationDoesNotExist" || e["details"].(map[string]any)["connector"] != "github" ||
				r.recovery(t)["retryable"] != false {
				t.Fatalf("contract 2 envelope: %v", e)
			}
		})
	}
}

// TestRequestID: every response carries X-Request-ID; a caller's well-formed id is kept, and a
// malformed or credential-shaped one is replaced; the error body names the same id.
func TestRequestID(t *testing.T) {
	var logs bytes.Buffer
	var mu sync.Mutex
	srv := start(t, sandbox.WithLogger(slog.New(slog.NewJSONHandler(&lockedWriter{w: &logs, mu: &mu}, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	c := newCaller(t, srv)
	if id := c.get("/connectors/names").header.Get("X-Request-ID"); len(id) != 36 {
		t.Fatalf("generated id %q, want a UUID", id)
	}
	r := c.get("/connectors/names", "X-Request-ID", "trace-42:abc.DEF_9")
	if r.header.Get("X-Request-ID") != "trace-42:abc.DEF_9" {
		t.Fatalf("kept id %q", r.header.Get("X-Request-ID"))
	}
	for _, bad := range []string{"has space", strings.Repeat("a", 129), "eyJhbGciOi.eyJzdWIi.sig", "ghp_0123456789abcdef"} {
		if got := c.get("/connectors/names", "X-Request-ID", bad).header.Get("X-Request-ID"); got == bad || got == "" {
			t.Errorf("id %q kept as %q", bad, got)
		}
	}
	e := c.get("/connectors/github/nope", "X-Request-ID", "req-err-1")
	e.wantError(t, 404, "NOT_FOUND")
	mu.Lock()
	logged := logs.String()
	mu.Unlock()
	if !strings.Contains(logged, `"request_id":"req-err-1"`) {
		t.Fatalf("request log has no request_id: %s", logged)
	}
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestRecovery: recovery.retryable is true exactly for failures a retry can fix; injected faults
// follow their status unless told otherwise, and retry_after_seconds matches Retry-After.
func TestRecovery(t *testing.T) {
	srv := start(t)
	c := newCaller(t, srv)
	no, yes := false, true
	tests := []struct {
		name      string
		fault     sandbox.Fault
		code      string
		retryable bool
		after     string
	}{
		{"429 with Retry-After", sandbox.Fault{Status: 429, RetryAfter: 3 * time.Second, Times: 1}, "RATE_LIMITED", true, "3"},
		{"503", sandbox.Fault{Status: 503, Times: 1}, "UPSTREAM_ERROR", true, ""},
		{"500", sandbox.Fault{Status: 500, Times: 1}, "INTERNAL_ERROR", true, ""},
		{"503 marked permanent", sandbox.Fault{Status: 503, Times: 1, Retryable: &no}, "UPSTREAM_ERROR", false, ""},
		{"400 marked retryable", sandbox.Fault{Status: 400, Times: 1, Retryable: &yes}, "VALIDATION_ERROR", true, ""},
		{"401", sandbox.Fault{Status: 401, Times: 1}, "UNAUTHORIZED", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv.Inject("", "discovery", tt.fault)
			r := c.get("/connectors/names", contract2...)
			r.wantError(t, tt.fault.Status, tt.code)
			rec := r.recovery(t)
			if rec["retryable"] != tt.retryable {
				t.Fatalf("retryable %v, want %v", rec["retryable"], tt.retryable)
			}
			if r.header.Get("Retry-After") != tt.after {
				t.Fatalf("Retry-After %q, want %q", r.header.Get("Retry-After"), tt.after)
			}
			if tt.after != "" && num(t, rec["retry_after_seconds"]) != 3 {
				t.Fatalf("retry_after_seconds %v", rec["retry_after_seconds"])
			}
		})
	}
	// The sandbox's own failures: a bad request is not retryable.
	if rec := c.post("/users", map[string]any{}).recovery(t); rec["retryable"] != false {
		t.Fatalf("validation error recovery %v", rec)
	}
	// Over HTTP: the control surface takes retryable too.
	ctl := start(t, sandbox.WithControl(true))
	cc := newCaller(t, ctl)
	cc.post("/sandbox/control/faults", map[string]any{"connector": "", "action": "discovery", "status": 503, "times": 1, "retryable": false}).data(t)
	if rec := cc.get("/connectors/names").recovery(t); rec["retryable"] != false {
		t.Fatalf("control retryable false: %v", rec)
	}
}

// TestTokenWithoutKey: a token is issued from identifier and secret alone, and works alone on the
// user-scoped routes; a key, when sent, must belong to the token's client.
func TestTokenWithoutKey(t *testing.T) {
	srv := start(t, sandbox.WithAPIKeys(sandbox.DemoAPIKey, "sk-client-other"))
	c := newCaller(t, srv)
	secret, _ := newUser(c, "keyless")
	anon := c.with("", "")
	tok := anon.post("/auth/tokens", map[string]any{"identifier": "keyless", "secret": secret}).data(t)["token"].(string)
	u := c.with("", tok)
	if d := u.get("/users/me").data(t); d["identifier"] != "keyless" {
		t.Fatalf("me: %v", d)
	}
	connect(u, "github", "keyless-gh")
	if d := u.get("/connectors/github/integrations/keyless-gh").data(t); d["auth_status"] != "active" {
		t.Fatalf("integration: %v", d)
	}
	if ints := u.get("/users/me").data(t)["integrations"].([]any); ints[0].(map[string]any)["auth_status"] != "active" {
		t.Fatalf("me integrations: %v", ints)
	}
	if err := srv.SetIntegrationAuthStatus(sandbox.DemoAPIKey, "keyless", "github", "keyless-gh", "needs_reconnect"); err != nil {
		t.Fatal(err)
	}
	if d := u.get("/connectors/github/integrations/keyless-gh").data(t); d["auth_status"] != "needs_reconnect" {
		t.Fatalf("after SetIntegrationAuthStatus: %v", d)
	}
	anon.post("/auth/tokens", map[string]any{"identifier": "keyless", "secret": secret + "x"}).wantError(t, 401, "UNAUTHORIZED")
	anon.post("/auth/tokens", map[string]any{"identifier": "someone", "secret": secret}).wantError(t, 401, "UNAUTHORIZED")
	c.with("sk-client-other", "").post("/auth/tokens", map[string]any{"identifier": "keyless", "secret": secret}).wantError(t, 401, "UNAUTHORIZED")
	c.with("sk-client-other", tok).get("/users/me").wantError(t, 403, "FORBIDDEN")
	anon.get("/users/me").wantError(t, 401, "INVALID_CLIENT")
	anon.with("", "garbage").get("/users/me").wantError(t, 401, "UNAUTHORIZED")
	anon.post("/users", map[string]any{"identifier": "x"}).wantError(t, 401, "INVALID_CLIENT")
	u.post("/users", map[string]any{"identifier": "x"}).wantError(t, 401, "INVALID_CLIENT")
}

// TestReplaceDuplicate: replace_duplicate replaces an existing integration's credential (OAuth2
// and custom), keeping its selection; without it a duplicate is INTEGRATION_EXISTS.
func TestReplaceDuplicate(t *testing.T) {
	srv := start(t)
	_, u := newUser(newCaller(t, srv), "dup")
	cfg := func(tok string, replace any) map[string]any {
		b := map[string]any{"auth_type": "custom", "configuration": map[string]any{"identifier": "bot", "token": tok}}
		if replace != nil {
			b["replace_duplicate"] = replace
		}
		return b
	}
	u.post("/connectors/github/integrations", cfg("ghp_one", false)).data(t)
	r := u.post("/connectors/github/integrations", cfg("ghp_two", false), contract2...)
	if !strings.Contains(r.wantError(t, 400, "INTEGRATION_EXISTS"), "replace_duplicate") {
		t.Fatalf("the message does not say how to replace: %s", r.body)
	}
	u.post("/connectors/github/integrations", cfg("ghp_two", nil)).wantError(t, 400, "INTEGRATION_EXISTS")
	u.post("/connectors/github/integrations", cfg("ghp_three", true)).data(t)
	in := u.get("/connectors/github/integrations/bot").data(t)
	if !strings.Contains(in["auth_string"].(string), "ghp_three") || in["selected"] != true {
		t.Fatalf("replaced: %v", in)
	}
	if n := len(u.get("/users/me").data(t)["integrations"].([]any)); n != 1 {
		t.Fatalf("%d integrations after a replace, want 1", n)
	}
	u.post("/connectors/github/integrations", cfg("ghp_x", "yes")).wantError(t, 400, "VALIDATION_ERROR")
	// OAuth2: the flag travels in the state to the callback.
	connect(u, "google_drive", "dup@example.com")
	start := u.post("/connectors/google_drive/integrations", map[string]any{
		"callback_url": u.base + "/connectors/google_drive/success-authorize-callback", "replace_duplicate": true}).data(t)
	res, err := noRedirect.Get(start["url"].(string) + "&login=dup@example.com")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	res, err = noRedirect.Get(res.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if loc := res.Header.Get("Location"); strings.Contains(loc, "error=") {
		t.Fatalf("replace via OAuth2 redirected to %s", loc)
	}
}

// TestPathPrefix: WithPathPrefix serves every route under the prefix and hands out URLs with it.
func TestPathPrefix(t *testing.T) {
	srv := start(t, sandbox.WithPathPrefix("/pre/v1/"))
	c := newCaller(t, srv)
	c.get("/connectors/names").wantError(t, 404, "NOT_FOUND")
	pc := *c
	pc.base = srv.URL + "/pre/v1"
	if r := pc.get("/connectors/names"); r.status != 200 {
		t.Fatalf("prefixed names: %d", r.status)
	}
	_, u := newUser(&pc, "prefixed")
	connect(u, "github", "prefixed-gh") // the authorize URL and the callback carry the prefix
	var items []any
	items = pc.get("/catalog/mcp").obj(t)["items"].([]any)
	if url := items[0].(map[string]any)["mcp_url"].(string); !strings.HasPrefix(url, srv.URL+"/pre/v1/") {
		t.Fatalf("mcp_url %s", url)
	}
}
