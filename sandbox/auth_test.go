package sandbox_test

import (
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"bosa.dev/gateway/internal/logbuf"
	"bosa.dev/gateway/sandbox"
)

func isUUID(v any) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	_, err := uuid.Parse(s)
	return err == nil
}

func TestCreateUserShape(t *testing.T) {
	srv := start(t)
	c := newCaller(t, srv)
	for _, path := range []string{"/users", "/clients/register-user"} {
		ident := "alice" + strings.ReplaceAll(path, "/", "-")
		d := c.post(path, map[string]any{"identifier": ident}).data(t)
		if !isUUID(d["id"]) || !isUUID(d["client_id"]) || d["identifier"] != ident || d["is_active"] != true {
			t.Fatalf("%s: user %v", path, d)
		}
		if integ, ok := d["integrations"].([]any); !ok || len(integ) != 0 {
			t.Fatalf("%s: integrations %v", path, d["integrations"])
		}
		secret := d["secret"].(string)
		parts := strings.Split(strings.TrimPrefix(secret, "sk-user-"), ".")
		if !strings.HasPrefix(secret, "sk-user-") || len(parts) != 3 || len(parts[2]) != 43 {
			t.Fatalf("%s: secret format %q", path, secret)
		}
		id, _ := base64.RawURLEncoding.DecodeString(parts[0])
		name, _ := base64.RawURLEncoding.DecodeString(parts[1])
		if string(id) != d["id"] || string(name) != ident {
			t.Fatalf("%s: secret parts %q %q", path, id, name)
		}
		if d["secret_preview"] != "sk-user-..."+secret[len(secret)-8:] {
			t.Fatalf("%s: preview %v", path, d["secret_preview"])
		}
	}
}

func TestUserErrors(t *testing.T) {
	srv := start(t)
	c := newCaller(t, srv)
	c.post("/users", map[string]any{"identifier": "bob"}).data(t)
	tests := []struct {
		name   string
		c      *caller
		path   string
		body   any
		status int
		code   string
	}{
		{"duplicate", c, "/users", map[string]any{"identifier": "bob"}, 400, "USER_ALREADY_EXISTS"},
		{"duplicate via legacy path", c, "/clients/register-user", map[string]any{"identifier": "bob"}, 400, "USER_ALREADY_EXISTS"},
		{"missing identifier", c, "/users", map[string]any{}, 400, "VALIDATION_ERROR"},
		{"blank identifier", c, "/users", map[string]any{"identifier": "  "}, 400, "VALIDATION_ERROR"},
		{"not JSON", c, "/users", "[1,", 400, "VALIDATION_ERROR"},
		{"missing key", c.with("", ""), "/users", map[string]any{"identifier": "x"}, 401, "INVALID_CLIENT"},
		{"wrong key", c.with("sk-client-nope", ""), "/users", map[string]any{"identifier": "x"}, 401, "INVALID_CLIENT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := tt.c.post(tt.path, tt.body).wantError(t, tt.status, tt.code)
			if strings.Contains(msg, "sk-client") {
				t.Fatalf("message leaks a key: %s", msg)
			}
		})
	}
	c.get("/users").wantError(t, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED")
}

func TestKeyHeaderCasing(t *testing.T) {
	srv := start(t)
	for i, name := range []string{"X-API-Key", "x-api-key", "X-Api-Key", "X-API-KEY"} {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/users", strings.NewReader(`{"identifier": "u`+string(rune('a'+i))+`"}`))
		req.Header[name] = []string{sandbox.DemoAPIKey} // bypass canonicalisation: the wire spelling is name
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d", name, res.StatusCode)
		}
	}
}

var expiresAt = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$`)

func TestTokenShapeAndClaims(t *testing.T) {
	clk := &clock{t: time.Date(2026, 3, 1, 8, 0, 0, 418273000, time.UTC)}
	srv := start(t, sandbox.WithClock(clk.now), sandbox.WithTokenLifetime(2*time.Hour))
	c := newCaller(t, srv)
	secret, _ := newUser(c, "carol")
	for _, path := range []string{"/auth/tokens", "/clients/oauth-token"} {
		d := c.post(path, map[string]any{"identifier": "carol", "secret": secret}).data(t)
		for _, f := range []string{"token", "token_type", "expires_at", "is_revoked", "user_id", "client_id"} {
			if _, ok := d[f]; !ok {
				t.Fatalf("%s: no %s in %v", path, f, d)
			}
		}
		if d["token_type"] != "Bearer" || d["is_revoked"] != false || !isUUID(d["user_id"]) || !isUUID(d["client_id"]) {
			t.Fatalf("%s: %v", path, d)
		}
		if d["expires_at"] != "2026-03-01T10:00:00.418273" || !expiresAt.MatchString(d["expires_at"].(string)) {
			t.Fatalf("%s: expires_at %v", path, d["expires_at"])
		}
		parts := strings.Split(d["token"].(string), ".")
		if len(parts) != 3 {
			t.Fatalf("not a JWT: %v", d["token"])
		}
		var hdr, claims map[string]any
		hb, _ := base64.RawURLEncoding.DecodeString(parts[0])
		cb, _ := base64.RawURLEncoding.DecodeString(parts[1])
		_ = json.Unmarshal(hb, &hdr)
		_ = json.Unmarshal(cb, &claims)
		if hdr["alg"] != "HS256" || hdr["typ"] != "JWT" {
			t.Fatalf("header %v", hdr)
		}
		if claims["sub"] != d["user_id"] || claims["client_id"] != d["client_id"] || claims["identifier"] != "carol" ||
			!isUUID(claims["jti"]) || claims["exp"] != float64(clk.now().Add(2*time.Hour).Unix()) {
			t.Fatalf("claims %v", claims)
		}
	}
}

func TestTokenErrors(t *testing.T) {
	srv := start(t)
	c := newCaller(t, srv)
	secret, _ := newUser(c, "dave")
	other, _ := newUser(c, "erin")
	tests := []struct {
		name   string
		body   any
		status int
		code   string
	}{
		{"wrong secret", map[string]any{"identifier": "dave", "secret": other}, 401, "UNAUTHORIZED"},
		{"unknown identifier", map[string]any{"identifier": "nobody", "secret": secret}, 401, "UNAUTHORIZED"},
		{"missing secret", map[string]any{"identifier": "dave"}, 400, "VALIDATION_ERROR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.post("/auth/tokens", tt.body).wantError(t, tt.status, tt.code)
			c.post("/clients/oauth-token", tt.body).wantError(t, tt.status, tt.code)
		})
	}
	c.with("sk-client-wrong", "").post("/auth/tokens", map[string]any{"identifier": "dave", "secret": secret}).wantError(t, 401, "INVALID_CLIENT")
}

func TestMe(t *testing.T) {
	srv := start(t)
	u := connected(t, srv, "frank")
	for _, path := range []string{"/users/me", "/clients/user"} {
		d := u.get(path).data(t)
		if d["identifier"] != "frank" || d["secret"] != nil || d["is_active"] != true {
			t.Fatalf("%s: %v", path, d)
		}
		integ := d["integrations"].([]any)
		if len(integ) != 2 {
			t.Fatalf("%s: integrations %v", path, integ)
		}
		for _, raw := range integ {
			in := raw.(map[string]any)
			if !isUUID(in["id"]) || in["client_id"] != d["client_id"] || in["user_id"] != d["id"] || in["selected"] != true {
				t.Fatalf("%s: integration %v", path, in)
			}
		}
	}
}

// userRoute is a request that needs a user token.
type userRoute struct {
	method, path string
	body         any
}

// userRoutes are one route of each user-scoped kind, for the credential checks.
var userRoutes = []userRoute{
	{"GET", "/users/me", nil},
	{"GET", "/clients/user", nil},
	{"POST", "/connectors/github/list_pull_requests", map[string]any{"owner": "acme", "repo": "web"}},
	{"POST", "/connectors/github/integrations", map[string]any{"callback_url": "http://x.example/cb"}},
	{"GET", "/connectors/github/integrations/someone", nil},
}

// TestCredentialErrors runs every credential failure against every user-scoped route kind.
func TestCredentialErrors(t *testing.T) {
	clk := &clock{t: time.Now()}
	srv := start(t, sandbox.WithClock(clk.now), sandbox.WithTokenLifetime(time.Hour))
	c := newCaller(t, srv)
	_, expiring := newUser(c, "heidi")
	clk.add(2 * time.Hour) // heidi's token has expired; tokens issued from now on are valid
	_, u := newUser(c, "grace")
	other := srv.CreateClient("other-app")
	_, foreign := newUser(c.with(other.APIKey, ""), "ivan")

	parts := strings.Split(u.token, ".")
	badSig := parts[0] + "." + parts[1] + "." + strings.Repeat("A", 43)
	cases := []struct {
		name   string
		c      *caller
		hdr    []string
		status int
		code   string
	}{
		{"neither key nor token", u.with("", ""), nil, 401, "INVALID_CLIENT"},
		{"wrong key", u.with("sk-client-wrong", u.token), nil, 401, "INVALID_CLIENT"},
		{"missing token", u.with(sandbox.DemoAPIKey, ""), nil, 401, "UNAUTHORIZED"},
		{"no Bearer prefix", u.with(sandbox.DemoAPIKey, ""), []string{"Authorization", u.token}, 401, "UNAUTHORIZED"},
		{"garbage token", u.with(sandbox.DemoAPIKey, "not.a.jwt"), nil, 401, "UNAUTHORIZED"},
		{"bad signature", u.with(sandbox.DemoAPIKey, badSig), nil, 401, "UNAUTHORIZED"},
		{"expired token", expiring, nil, 401, "TOKEN_EXPIRED"},
		{"token of another client", foreign.with(sandbox.DemoAPIKey, foreign.token), nil, 403, "FORBIDDEN"},
	}
	for _, r := range userRoutes {
		for _, tt := range cases {
			t.Run(r.method+" "+r.path+"/"+tt.name, func(t *testing.T) {
				tt.c.do(r.method, r.path, r.body, tt.hdr...).wantError(t, tt.status, tt.code)
			})
		}
	}
	// The foreign token works with its own client's key.
	foreign.get("/users/me").data(t)
}

// TestTokenExpiresAfterUse: a token that was accepted (and so is remembered as verified) is refused
// with TOKEN_EXPIRED once it expires, and a forged variant of it is still refused.
func TestTokenExpiresAfterUse(t *testing.T) {
	clk := &clock{t: time.Now()}
	srv := start(t, sandbox.WithClock(clk.now), sandbox.WithTokenLifetime(time.Hour))
	c := newCaller(t, srv)
	_, u := newUser(c, "judy")
	for range 2 {
		u.get("/users/me").data(t)
	}
	parts := strings.Split(u.token, ".")
	u.with(sandbox.DemoAPIKey, parts[0]+"."+parts[1]+"."+strings.Repeat("A", 43)).get("/users/me").wantError(t, 401, "UNAUTHORIZED")
	clk.add(2 * time.Hour)
	u.get("/users/me").wantError(t, 401, "TOKEN_EXPIRED")
	u.get("/users/me").wantError(t, 401, "TOKEN_EXPIRED")
}

func TestClientCreation(t *testing.T) {
	srv := start(t, sandbox.WithMasterKey("sk-master-test"))
	c := newCaller(t, srv)
	c.with("sk-client-sandbox-demo", "").post("/clients", map[string]any{"name": "acme-app"}).wantError(t, 401, "UNAUTHORIZED")
	c.with("", "").post("/clients", map[string]any{"name": "acme-app"}).wantError(t, 401, "UNAUTHORIZED")
	c.with("sk-master-test", "").post("/clients", map[string]any{}).wantError(t, 400, "VALIDATION_ERROR")
	d := c.with("sk-master-test", "").post("/clients", map[string]any{"name": "acme-app"}).data(t)
	key, _ := d["api_key"].(string)
	if !isUUID(d["id"]) || d["name"] != "acme-app" || d["is_active"] != true || !strings.HasPrefix(key, "sk-client-") {
		t.Fatalf("client %v", d)
	}
	// Tenants are separate: the same identifier exists once per client.
	newUser(c, "judy")
	_, u := newUser(c.with(key, ""), "judy")
	if got := u.get("/users/me").data(t)["client_id"]; got != d["id"] {
		t.Fatalf("client_id %v, want %v", got, d["id"])
	}
	// Without a master key the route does not exist.
	plain := start(t)
	newCaller(t, plain).with("anything", "").post("/clients", map[string]any{"name": "x"}).wantError(t, 404, "NOT_FOUND")
}

func TestWithAPIKeys(t *testing.T) {
	srv := start(t, sandbox.WithAPIKeys("sk-client-one", "sk-client-two"))
	c := newCaller(t, srv)
	c.post("/users", map[string]any{"identifier": "x"}).wantError(t, 401, "INVALID_CLIENT")
	_, one := newUser(c.with("sk-client-one", ""), "x")
	_, two := newUser(c.with("sk-client-two", ""), "x")
	if one.get("/users/me").data(t)["client_id"] == two.get("/users/me").data(t)["client_id"] {
		t.Fatal("two keys share a client")
	}
	one.with("sk-client-two", one.token).get("/users/me").wantError(t, 403, "FORBIDDEN")
}

// TestLogsHoldNoSecrets runs a full flow with request logging on and checks that no key,
// secret or token reaches the log.
func TestLogsHoldNoSecrets(t *testing.T) {
	var buf logbuf.Buffer
	srv := start(t, sandbox.WithLogger(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	c := newCaller(t, srv)
	secret, u := newUser(c, "kim")
	connect(u, "github", "kim-gh")
	u.post("/connectors/github/list_commits", map[string]any{"owner": "acme", "repo": "web"}).list(t)
	u.with("sk-client-wrong-key", u.token).get("/users/me").wantError(t, 401, "INVALID_CLIENT")
	log := buf.String()
	if !strings.Contains(log, "/connectors/github/list_commits") {
		t.Fatalf("no request log: %q", log)
	}
	for _, s := range []string{sandbox.DemoAPIKey, "sk-client-wrong-key", secret, u.token} {
		if strings.Contains(log, s) {
			t.Fatalf("log holds a secret: %.40s…", s)
		}
	}
}

// TestInactiveUser: a deactivated user's token gets 403 FORBIDDEN on every user-scoped route and no
// new token is issued; reactivation restores access with the same token. Both ways of toggling are
// checked: the Go method and the control route.
func TestInactiveUser(t *testing.T) {
	srv := start(t, sandbox.WithControl(true))
	c := newCaller(t, srv)
	ctl := c.with("", "")
	setActive := map[string]func(t *testing.T, identifier string, active bool){
		"SetUserActive": func(t *testing.T, identifier string, active bool) {
			if err := srv.SetUserActive(sandbox.DemoAPIKey, identifier, active); err != nil {
				t.Fatal(err)
			}
		},
		"control route": func(t *testing.T, identifier string, active bool) {
			d := ctl.post("/sandbox/control/users", map[string]any{"identifier": identifier, "is_active": active},
				"X-API-Key", sandbox.DemoAPIKey).data(t)
			if d["identifier"] != identifier || d["is_active"] != active || d["secret"] != nil {
				t.Fatalf("control answer %v", d)
			}
		},
	}
	// integration-exists answers false without a token, but refuses an inactive user's.
	routes := append(slices.Clone(userRoutes), userRoute{"GET", "/connectors/github/integration-exists", nil})
	_, bystander := newUser(c, "bystander")
	for way, set := range setActive {
		t.Run(way, func(t *testing.T) {
			ident := "olga-" + strings.ReplaceAll(way, " ", "-")
			secret, u := newUser(c, ident)
			connect(u, "github", ident+"-gh")
			set(t, ident, false)
			for _, r := range routes {
				u.do(r.method, r.path, r.body).wantError(t, 403, "FORBIDDEN")
			}
			c.post("/auth/tokens", map[string]any{"identifier": ident, "secret": secret}).wantError(t, 403, "FORBIDDEN")
			bystander.get("/users/me").data(t) // other users are unaffected

			set(t, ident, true)
			if d := u.get("/users/me").data(t); d["is_active"] != true {
				t.Fatalf("is_active after reactivation: %v", d["is_active"])
			}
			u.post("/connectors/github/list_pull_requests", map[string]any{"owner": "acme", "repo": "web"}).list(t)
			c.post("/auth/tokens", map[string]any{"identifier": ident, "secret": secret}).data(t)
		})
	}
}

func TestSetUserActiveErrors(t *testing.T) {
	srv := start(t, sandbox.WithControl(true))
	ctl := newCaller(t, srv).with("", "")
	newUser(newCaller(t, srv), "pat")
	if err := srv.SetUserActive("sk-client-unknown", "pat", false); err == nil || !strings.Contains(err.Error(), "INVALID_CLIENT") {
		t.Errorf("unknown client: %v", err)
	}
	if err := srv.SetUserActive(sandbox.DemoAPIKey, "nobody", false); err == nil || !strings.Contains(err.Error(), "User nobody not found") {
		t.Errorf("unknown user: %v", err)
	}
	key := []string{"X-API-Key", sandbox.DemoAPIKey}
	tests := []struct {
		name   string
		body   any
		hdr    []string
		status int
		code   string
	}{
		{"no key", map[string]any{"identifier": "pat", "is_active": false}, nil, 401, "INVALID_CLIENT"},
		{"unknown key", map[string]any{"identifier": "pat", "is_active": false}, []string{"X-API-Key", "sk-client-unknown"}, 401, "INVALID_CLIENT"},
		{"unknown user", map[string]any{"identifier": "nobody", "is_active": false}, key, 404, "NOT_FOUND"},
		{"no is_active", map[string]any{"identifier": "pat"}, key, 400, "VALIDATION_ERROR"},
		{"no identifier", map[string]any{"is_active": false}, key, 400, "VALIDATION_ERROR"},
		{"not JSON", "{", key, 400, "VALIDATION_ERROR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctl.post("/sandbox/control/users", tt.body, tt.hdr...).wantError(t, tt.status, tt.code)
		})
	}
	ctl.get("/sandbox/control/users").wantError(t, 405, "METHOD_NOT_ALLOWED")
	// Without WithControl the route does not exist.
	newCaller(t, start(t)).post("/sandbox/control/users", map[string]any{"identifier": "pat", "is_active": false}).wantError(t, 404, "NOT_FOUND")
}
