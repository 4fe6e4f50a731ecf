package sandbox_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// getNoFollow GETs an absolute URL without following redirects.
func getNoFollow(t *testing.T, u string) *http.Response {
	t.Helper()
	res, err := noRedirect.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res
}

func startOAuth(t *testing.T, u *caller, connector, callback string, hdr ...string) *url.URL {
	t.Helper()
	d := u.post("/connectors/"+connector+"/integrations", map[string]any{"callback_url": callback}, hdr...).data(t)
	au, err := url.Parse(d["url"].(string))
	if err != nil {
		t.Fatal(err)
	}
	return au
}

func TestOAuthRoundTrip(t *testing.T) {
	srv := start(t)
	_, u := newUser(newCaller(t, srv), "alice")
	cb := "https://app.example.com/connected?tab=github"
	au := startOAuth(t, u, "github", cb)
	if got := au.Scheme + "://" + au.Host + au.Path; got != srv.URL+"/sandbox/oauth/github/authorize" {
		t.Fatalf("authorize URL %s", au)
	}
	if au.Query().Get("login") != "alice-gh" || au.Query().Get("state") == "" {
		t.Fatalf("authorize query %v", au.Query())
	}
	if d := u.get("/connectors/github/integration-exists").data(t); d["has_integration"] != false {
		t.Fatalf("exists before consent: %v", d)
	}

	consent := getNoFollow(t, au.String())
	if consent.StatusCode != http.StatusFound {
		t.Fatalf("authorize status %d", consent.StatusCode)
	}
	back, _ := url.Parse(consent.Header.Get("Location"))
	if back.Path != "/connectors/github/success-authorize-callback" || back.Query().Get("code") == "" || back.Query().Get("state") != au.Query().Get("state") {
		t.Fatalf("provider redirect %s", back)
	}
	final := getNoFollow(t, back.String())
	if final.StatusCode != http.StatusFound || final.Header.Get("Location") != cb {
		t.Fatalf("callback: %d → %q, want 302 → %q", final.StatusCode, final.Header.Get("Location"), cb)
	}
	if d := u.get("/connectors/github/integration-exists").data(t); d["has_integration"] != true {
		t.Fatalf("exists after consent: %v", d)
	}
	in := u.get("/connectors/github/integrations/alice-gh").data(t)
	var cred map[string]any
	if err := json.Unmarshal([]byte(in["auth_string"].(string)), &cred); err != nil || !strings.HasPrefix(cred["access_token"].(string), "gho_") {
		t.Fatalf("auth_string %v", in["auth_string"])
	}
	if in["connector"] != "github" || in["user_identifier"] != "alice-gh" || in["selected"] != true ||
		len(in["auth_scopes"].([]any)) != 2 {
		t.Fatalf("integration %v", in)
	}

	// The code and state are single use.
	replay := getNoFollow(t, back.String())
	if loc := replay.Header.Get("Location"); replay.StatusCode != http.StatusFound || !strings.Contains(loc, "error=invalid_request") || !strings.HasPrefix(loc, "https://app.example.com/connected?") {
		t.Fatalf("replay: %d %q", replay.StatusCode, loc)
	}
}

func TestOAuthFailures(t *testing.T) {
	srv := start(t)
	_, u := newUser(newCaller(t, srv), "bob")
	connect(u, "github", "bob-gh")
	cb := "https://app.example.com/cb"
	run := func(t *testing.T, mutate func(q url.Values)) *http.Response {
		au := startOAuth(t, u, "github", cb)
		q := au.Query()
		mutate(q)
		au.RawQuery = q.Encode()
		res := getNoFollow(t, au.String())
		if res.StatusCode != http.StatusFound {
			return res
		}
		return getNoFollow(t, res.Header.Get("Location"))
	}
	tests := []struct {
		name    string
		mutate  func(q url.Values)
		wantErr string
	}{
		{"denied", func(q url.Values) { q.Set("consent", "deny") }, "cancelled_error"},
		{"duplicate account", func(q url.Values) { q.Set("login", "bob-gh") }, "duplicate_user_error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := run(t, tt.mutate)
			loc, _ := url.Parse(res.Header.Get("Location"))
			if res.StatusCode != http.StatusFound || loc.Query().Get("error") != tt.wantErr || loc.Host != "app.example.com" {
				t.Fatalf("%d → %s, want error=%s", res.StatusCode, loc, tt.wantErr)
			}
		})
	}
	t.Run("forged code", func(t *testing.T) {
		au := startOAuth(t, u, "github", cb)
		res := getNoFollow(t, srv.URL+"/connectors/github/success-authorize-callback?code=forged&state="+url.QueryEscape(au.Query().Get("state")))
		if loc := res.Header.Get("Location"); res.StatusCode != http.StatusFound || loc != cb+"?error=invalid_request" {
			t.Fatalf("%d → %q", res.StatusCode, loc)
		}
	})
	t.Run("tampered state", func(t *testing.T) {
		au := startOAuth(t, u, "github", cb)
		state := au.Query().Get("state")
		bad := url.QueryEscape("x" + state[1:])
		c := newCaller(t, srv).with("", "")
		c.get("/sandbox/oauth/github/authorize?login=z&state="+bad).wantError(t, 400, "VALIDATION_ERROR")
		c.get("/connectors/github/success-authorize-callback?code=c&state="+bad).wantError(t, 400, "VALIDATION_ERROR")
		// A state for github is not valid for google_drive.
		c.get("/sandbox/oauth/google_drive/authorize?login=z&state="+url.QueryEscape(state)).wantError(t, 400, "VALIDATION_ERROR")
	})
	t.Run("bad callback_url", func(t *testing.T) {
		for _, body := range []map[string]any{{}, {"callback_url": "not a url"}, {"callback_url": "/relative"}, {"callback_url": "ftp://x.example/"}} {
			u.post("/connectors/github/integrations", body).wantError(t, 400, "VALIDATION_ERROR")
		}
	})
	t.Run("self callback", func(t *testing.T) {
		c := newCaller(t, srv).with("", "")
		if d := c.get("/connectors/github/success-authorize-callback").data(t); d["success"] != true {
			t.Fatalf("%v", d)
		}
		c.get("/connectors/github/success-authorize-callback?error=cancelled_error").wantError(t, 400, "VALIDATION_ERROR")
	})
}

func TestAuthorizeURLFollowsRequestAddress(t *testing.T) {
	srv := start(t)
	_, u := newUser(newCaller(t, srv), "carol")
	au := startOAuth(t, u, "google_drive", "https://app.example.com/cb", "X-Forwarded-Proto", "https", "X-Forwarded-Host", "bosa.example.net")
	if !strings.HasPrefix(au.String(), "https://bosa.example.net/sandbox/oauth/google_drive/authorize?") || au.Query().Get("login") != "carol@example.com" {
		t.Fatalf("authorize URL %s", au)
	}
}

func TestIntegrationExistsWithoutToken(t *testing.T) {
	srv := start(t)
	u := connected(t, srv, "dave")
	anon := u.with(u.key, "")
	for _, hdr := range [][]string{nil, {"Authorization", "Token abc"}, {"Authorization", u.token}} {
		if d := anon.get("/connectors/github/integration-exists", hdr...).data(t); d["has_integration"] != false {
			t.Fatalf("%v: %v", hdr, d)
		}
	}
	if d := u.get("/connectors/github/integration-exists").data(t); d["has_integration"] != true {
		t.Fatalf("%v", d)
	}
	u.with("", "").get("/connectors/github/integration-exists").wantError(t, 401, "INVALID_CLIENT")
	u.with(u.key, "garbage").get("/connectors/github/integration-exists").wantError(t, 401, "UNAUTHORIZED")
}

func TestCustomIntegration(t *testing.T) {
	srv := start(t)
	_, u := newUser(newCaller(t, srv), "erin")
	sqlCfg := map[string]any{"host": "db.example.com", "port": 5432, "database": "sales", "username": "report",
		"password": "s3cret", "driver": "postgresql", "extra_config": map[string]any{"sslmode": "require"}}
	tests := []struct {
		name    string
		cfg     map[string]any
		wantUID string
	}{
		{"identifier", map[string]any{"token": "ghp_example", "identifier": "erin-pat"}, "erin-pat"},
		{"naming rule", sqlCfg, "postgresql:db.example.com:5432:report:sales"},
		{"url", map[string]any{"url": "postgresql://report:pw@db2.example.com:6543/sales"}, "postgresql:db2.example.com:6543:report:sales"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := u.post("/connectors/github/integrations", map[string]any{"auth_type": "custom", "configuration": tt.cfg}).data(t)
			if d["user_identifier"] != tt.wantUID || d["connector"] != "github" {
				t.Fatalf("stored %v", d)
			}
			got := u.get("/connectors/github/integrations/" + url.PathEscape(tt.wantUID)).data(t)
			var stored map[string]any
			_ = json.Unmarshal([]byte(got["auth_string"].(string)), &stored)
			want, _ := json.Marshal(tt.cfg)
			have, _ := json.Marshal(stored)
			if string(want) != string(have) {
				t.Fatalf("auth_string %s, want %s", have, want)
			}
		})
	}
	errs := []struct {
		name, conn string
		body       map[string]any
		code       string
	}{
		{"duplicate", "github", map[string]any{"auth_type": "custom", "configuration": map[string]any{"identifier": "erin-dup"}}, "INTEGRATION_EXISTS"},
		{"no identifier", "github", map[string]any{"auth_type": "custom", "configuration": map[string]any{"token": "x"}}, "VALIDATION_ERROR"},
		{"no configuration", "github", map[string]any{"auth_type": "custom"}, "VALIDATION_ERROR"},
		{"unsupported by connector", "google_drive", map[string]any{"auth_type": "custom", "configuration": map[string]any{"identifier": "x"}}, "VALIDATION_ERROR"},
		{"unknown auth type", "github", map[string]any{"auth_type": "saml"}, "VALIDATION_ERROR"},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			if tt.code == "INTEGRATION_EXISTS" {
				u.post("/connectors/"+tt.conn+"/integrations", tt.body).data(t) // the one it duplicates
			}
			u.post("/connectors/"+tt.conn+"/integrations", tt.body).wantError(t, 400, tt.code)
		})
	}
	t.Run("the first one stored is the default", func(t *testing.T) {
		_, u := newUser(newCaller(t, srv), "frank")
		for _, id := range []string{"frank-1", "frank-2"} {
			u.post("/connectors/github/integrations", map[string]any{"auth_type": "custom", "configuration": map[string]any{"identifier": id}}).data(t)
		}
		for id, want := range map[string]bool{"frank-1": true, "frank-2": false} {
			if d := u.get("/connectors/github/integrations/" + id).data(t); d["selected"] != want {
				t.Errorf("%s: selected %v, want %v", id, d["selected"], want)
			}
		}
	})
}

// selectedOf returns the selected integration of connector per /users/me.
func selectedOf(t *testing.T, u *caller, connector string) []string {
	t.Helper()
	var sel []string
	for _, raw := range u.get("/users/me").data(t)["integrations"].([]any) {
		in := raw.(map[string]any)
		if in["connector"] == connector && in["selected"] == true {
			sel = append(sel, in["user_identifier"].(string))
		}
	}
	return sel
}

func viewer(t *testing.T, u *caller, hdr ...string) *resp {
	t.Helper()
	return u.post("/connectors/github/get_repository", map[string]any{"owner": "acme", "repo": "web"}, hdr...)
}

func TestSelectionRules(t *testing.T) {
	srv := start(t)
	_, u := newUser(newCaller(t, srv), "frank")
	viewer(t, u).wantError(t, 404, "INTEGRATION_NOT_FOUND")
	for _, login := range []string{"one", "two", "three"} {
		connect(u, "github", login)
	}
	check := func(want string) {
		t.Helper()
		if sel := selectedOf(t, u, "github"); len(sel) != 1 || sel[0] != want {
			t.Fatalf("selected %v, want [%s]", sel, want)
		}
		if got := viewer(t, u).data(t)["viewer_login"]; got != want {
			t.Fatalf("action ran as %v, want %s", got, want)
		}
	}
	check("one") // the first added
	if d := u.post("/connectors/github/integrations/two", nil).data(t); d["success"] != true {
		t.Fatalf("select: %v", d)
	}
	check("two")
	u.post("/connectors/github/integrations/three", map[string]any{"selected": true}).data(t)
	check("three")
	u.post("/connectors/github/integrations/one", map[string]any{"selected": false}).wantError(t, 400, "VALIDATION_ERROR")
	u.post("/connectors/github/integrations/nope", nil, contract2...).wantError(t, 404, "INTEGRATION_NOT_FOUND")

	// Per-call selection does not change the default.
	for _, h := range []string{"X-Bosa-Integration", "X-Integration", "x-bosa-integration"} {
		if got := viewer(t, u, h, "one").data(t)["viewer_login"]; got != "one" {
			t.Fatalf("%s: ran as %v", h, got)
		}
	}
	if got := viewer(t, u, "X-Bosa-Integration", "two", "X-Integration", "two").data(t)["viewer_login"]; got != "two" {
		t.Fatalf("equal headers: ran as %v", got)
	}
	viewer(t, u, "X-Bosa-Integration", "one", "X-Integration", "two").wantError(t, 400, "VALIDATION_ERROR")
	if msg := viewer(t, u, "X-Bosa-Integration", "alice-old").wantError(t, 404, "INTEGRATION_NOT_FOUND"); !strings.Contains(msg, "alice-old") || !strings.Contains(msg, "github") {
		t.Fatalf("message %q", msg)
	}
	check("three")

	// Deleting the selected one selects the most recently created remaining one.
	d := u.do(http.MethodDelete, "/connectors/github/integrations/three", nil).data(t)
	if d["success"] != true || d["message"] != "Integration removed" {
		t.Fatalf("delete: %v", d)
	}
	check("two")
	u.do(http.MethodDelete, "/connectors/github/integrations/one", nil).data(t)
	check("two")
	u.do(http.MethodDelete, "/connectors/github/integrations/one", nil, contract2...).wantError(t, 404, "INTEGRATION_NOT_FOUND")
	u.do(http.MethodDelete, "/connectors/github/integrations/two", nil).data(t)
	if sel := selectedOf(t, u, "github"); len(sel) != 0 {
		t.Fatalf("selected after deleting all: %v", sel)
	}
	viewer(t, u).wantError(t, 404, "INTEGRATION_NOT_FOUND")
	u.get("/connectors/github/integrations/two", contract2...).wantError(t, 404, "INTEGRATION_NOT_FOUND")
}

func TestIntegrationPathEscaping(t *testing.T) {
	srv := start(t)
	_, u := newUser(newCaller(t, srv), "grace")
	connect(u, "google_drive", "grace@example.com")
	for _, p := range []string{"grace@example.com", "grace%40example.com"} {
		if d := u.get("/connectors/google_drive/integrations/" + p).data(t); d["user_identifier"] != "grace@example.com" {
			t.Fatalf("%s: %v", p, d)
		}
	}
}

func TestIntegrationRouteErrors(t *testing.T) {
	srv := start(t)
	_, u := newUser(newCaller(t, srv), "heidi")
	u.get("/connectors/nope/integration-exists").wantError(t, 404, "NOT_FOUND")
	u.post("/connectors/nope/integrations", map[string]any{"callback_url": "https://x.example"}).wantError(t, 404, "NOT_FOUND")
	u.get("/connectors/nope/integrations/x").wantError(t, 404, "NOT_FOUND")
	u.do(http.MethodPut, "/connectors/github/integrations/x", nil).wantError(t, 405, "METHOD_NOT_ALLOWED")
	u.get("/connectors/github/integrations").wantError(t, 405, "METHOD_NOT_ALLOWED")
	u.post("/connectors/github/integration-exists", nil).wantError(t, 405, "METHOD_NOT_ALLOWED")
	u.get("/sandbox/oauth/nope/authorize").wantError(t, 404, "NOT_FOUND")
}
