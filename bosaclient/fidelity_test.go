package bosaclient

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"bosa.dev/gateway/sandbox"
)

// TestErrorContract: the client asks for contract 2 by default and reads the envelope into *APIError;
// every response and error exposes the request id and the contract; WithErrorContract(1) gets contract 1,
// whose 200 failure shape GetIntegration still reports as an error.
func TestErrorContract(t *testing.T) {
	e := newEnv(t, "contract")
	ctx := context.Background()
	repo := map[string]any{"owner": "acme", "repo": "web"}
	r, err := e.c.Execute(ctx, "github", "get_repository", repo, WithToken(e.token))
	if err != nil || r.ErrorContract != 2 || len(r.RequestID) != 36 {
		t.Fatalf("success: contract %d, request id %q, %v", r.ErrorContract, r.RequestID, err)
	}
	_, err = e.c.GetIntegration(ctx, "github", "ghost", WithToken(e.token), WithHeaders(map[string]string{"X-Request-ID": "trace-7"}))
	var ae *APIError
	if !errors.As(err, &ae) || !IsIntegrationMissing(err) {
		t.Fatalf("contract 2 get: %v", err)
	}
	if ae.StatusCode != 404 || ae.RequestID != "trace-7" || ae.Type != "IntegrationDoesNotExist" || ae.ErrorContract != 2 ||
		ae.Recovery == nil || ae.Recovery.Retryable || ae.Details["connector"] != "github" {
		t.Fatalf("envelope: %+v %+v", ae, ae.Recovery)
	}
	c1, err := e.newClient(WithErrorContract(1))
	if err != nil {
		t.Fatal(err)
	}
	var info ResponseInfo
	_, err = c1.GetIntegration(ctx, "github", "ghost", WithToken(e.token), WithResponseInfo(&info))
	if !errors.As(err, &ae) || ae.StatusCode != 200 || !strings.Contains(ae.Message, "ghost") {
		t.Fatalf("contract 1 get: %v", err)
	}
	if info.ErrorContract != 1 || info.Status != 200 || info.RequestID == "" {
		t.Fatalf("contract 1 info: %+v", info)
	}
	if err := c1.SelectIntegration(ctx, "github", "ghost", WithToken(e.token)); !errors.As(err, &ae) || ae.StatusCode != 200 {
		t.Fatalf("contract 1 select: %v", err)
	}
	if err := e.c.RemoveIntegration(ctx, "github", "ghost", WithToken(e.token)); !IsIntegrationMissing(err) {
		t.Fatalf("contract 2 remove: %v", err)
	}
	info = ResponseInfo{}
	if _, err := e.c.CurrentUser(ctx, WithToken(e.token), WithResponseInfo(&info)); err != nil || info.RequestID == "" || info.ErrorContract != 2 {
		t.Fatalf("CurrentUser info %+v, %v", info, err)
	}
}

// TestReadEnvelope: only well-formed envelope fields are kept.
func TestReadEnvelope(t *testing.T) {
	intp := func(n int) *int { return &n }
	tests := []struct {
		name     string
		header   string
		body     string
		id, typ  string
		recovery *Recovery
		details  map[string]any
	}{
		{"full", "hdr-1", `{"error": {"message": "m", "type": "RateLimited", "request_id": "body-1",
			"recovery": {"retryable": true, "retry_after_seconds": 3}, "details": {"connector": "github"}}}`,
			"body-1", "RateLimited", &Recovery{Retryable: true, RetryAfterSeconds: intp(3)}, map[string]any{"connector": "github"}},
		{"header id when the body's is invalid", "hdr-2", `{"error": {"request_id": "has space"}}`, "hdr-2", "", nil, nil},
		{"JWT-shaped ids dropped", "eyJhbGciOi.eyJzdWIi.sig", `{"error": {}}`, "", "", nil, nil},
		{"retryable not a bool", "", `{"error": {"recovery": {"retryable": "yes"}}}`, "", "", nil, nil},
		{"bad retry_after_seconds dropped", "", `{"error": {"recovery": {"retryable": false, "retry_after_seconds": -1}}}`,
			"", "", &Recovery{}, nil},
		{"bool retry_after_seconds dropped", "", `{"error": {"recovery": {"retryable": true, "retry_after_seconds": true}}}`,
			"", "", &Recovery{Retryable: true}, nil},
		{"bad type dropped", "", `{"error": {"type": "not a class"}}`, "", "", nil, nil},
		{"non-object details", "", `{"error": {"details": ["a"]}}`, "", "", nil, map[string]any{"raw": `["a"]`}},
		{"string error", "", `{"error": "boom"}`, "", "", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			h.Set("X-Request-ID", tt.header)
			ae := newAPIError(&request{method: "GET", path: "/x"}, &response{status: 503, header: h, body: []byte(tt.body)})
			if ae.RequestID != tt.id || ae.Type != tt.typ {
				t.Fatalf("id %q type %q", ae.RequestID, ae.Type)
			}
			if (ae.Recovery == nil) != (tt.recovery == nil) || (ae.Recovery != nil && (ae.Recovery.Retryable != tt.recovery.Retryable ||
				(ae.Recovery.RetryAfterSeconds == nil) != (tt.recovery.RetryAfterSeconds == nil))) {
				t.Fatalf("recovery %+v, want %+v", ae.Recovery, tt.recovery)
			}
			if len(ae.Details) != len(tt.details) || (tt.details != nil && ae.Details["connector"] != tt.details["connector"] && ae.Details["raw"] != tt.details["raw"]) {
				t.Fatalf("details %v", ae.Details)
			}
		})
	}
}

// TestReplayPolicy: what the policy replays and how long it waits first.
func TestReplayPolicy(t *testing.T) {
	secs := func(n int) *int { return &n }
	tests := []struct {
		name   string
		err    error
		unsafe bool
		retry  bool
		wait   time.Duration
		asked  bool
	}{
		{"retryable", &APIError{StatusCode: 503, Recovery: &Recovery{Retryable: true}}, false, true, 0, false},
		{"retry_after_seconds wins over Retry-After", &APIError{StatusCode: 429, RetryAfter: 30 * time.Second,
			Recovery: &Recovery{Retryable: true, RetryAfterSeconds: secs(2)}}, false, true, 2 * time.Second, true},
		{"zero seconds is asked for", &APIError{StatusCode: 503, Recovery: &Recovery{Retryable: true, RetryAfterSeconds: secs(0)}}, false, true, 0, true},
		{"then Retry-After", &APIError{StatusCode: 429, RetryAfter: 4 * time.Second, Recovery: &Recovery{Retryable: true}}, false, true, 4 * time.Second, true},
		{"not retryable", &APIError{StatusCode: 503, Recovery: &Recovery{}}, false, false, 0, false},
		{"no advice", &APIError{StatusCode: 503}, false, false, 0, false},
		{"network error", &NetworkError{Err: io.EOF}, false, false, 0, false},
		{"unsafe: 5xx without advice", &APIError{StatusCode: 502}, true, true, 0, false},
		{"unsafe: 503 marked permanent", &APIError{StatusCode: 503, Recovery: &Recovery{}}, true, true, 0, false},
		{"unsafe: network error", &NetworkError{Err: io.EOF}, true, true, 0, false},
		{"unsafe: a cut-off 2xx", &NetworkError{Status: 200, Err: io.ErrUnexpectedEOF}, true, false, 0, false},
		{"unsafe: a cut-off 503", &NetworkError{Status: 503, Err: io.ErrUnexpectedEOF}, true, true, 0, false},
		{"unsafe: 400", &APIError{StatusCode: 400, Recovery: &Recovery{Retryable: true}}, true, false, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			retry, wait, asked := RetryPolicy{ReplayUnsafe: tt.unsafe}.retryable(tt.err)
			if retry != tt.retry || wait != tt.wait || asked != tt.asked {
				t.Fatalf("got %v %v %v, want %v %v %v", retry, wait, asked, tt.retry, tt.wait, tt.asked)
			}
		})
	}
}

// TestReplayWaits: retry_after_seconds is honoured, capped by MaxRetryAfter, and never waited past the
// caller's deadline.
func TestReplayWaits(t *testing.T) {
	e := newEnv(t, "waiter")
	repo := map[string]any{"owner": "acme", "repo": "web"}
	t.Run("honoured", func(t *testing.T) {
		e.srv.Inject("github", "get_repository", sandbox.Fault{Status: 503, RetryAfter: time.Second, Times: 1})
		start := time.Now()
		if _, err := e.c.Execute(context.Background(), "github", "get_repository", repo, WithToken(e.token), WithMaxAttempts(2)); err != nil {
			t.Fatal(err)
		}
		if el := time.Since(start); el < 900*time.Millisecond {
			t.Fatalf("replayed after %v, want the server's 1 s", el)
		}
	})
	t.Run("capped", func(t *testing.T) {
		c, err := e.newClient(WithRetry(RetryPolicy{MaxRetryAfter: 50 * time.Millisecond}))
		if err != nil {
			t.Fatal(err)
		}
		e.srv.Inject("github", "get_repository", sandbox.Fault{Status: 429, RetryAfter: time.Minute, Times: 1})
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if _, err := c.Execute(ctx, "github", "get_repository", repo, WithToken(e.token), WithMaxAttempts(2)); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("never past the deadline", func(t *testing.T) {
		e.srv.ResetCalls()
		e.srv.Inject("github", "get_repository", sandbox.Fault{Status: 503, RetryAfter: 10 * time.Second, Times: 1})
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_, err := e.c.Execute(ctx, "github", "get_repository", repo, WithToken(e.token), WithMaxAttempts(3))
		var ae *APIError
		if !errors.As(err, &ae) || ae.StatusCode != 503 || ctx.Err() != nil || e.srv.Calls("github", "get_repository").Total != 1 {
			t.Fatalf("%v, ctx %v, %d calls", err, ctx.Err(), e.srv.Calls("github", "get_repository").Total)
		}
	})
}

// TestKeylessAndReplaceDuplicate: a client without an API key logs in and works with the token alone;
// replace_duplicate replaces an integration's credential; auth_status is read.
func TestKeylessAndReplaceDuplicate(t *testing.T) {
	e := newEnv(t, "keyed")
	ctx := context.Background()
	keyless, err := New(e.srv.URL, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := keyless.CreateUser(ctx, "nokey"); !IsUnauthenticated(err) {
		t.Fatalf("create user without a key: %v", err)
	}
	tok, err := keyless.Authenticate(ctx, "keyed", e.secret)
	if err != nil {
		t.Fatal(err)
	}
	u, err := keyless.CurrentUser(ctx, WithToken(tok.Token))
	if err != nil || len(u.Integrations) != 2 || u.Integrations[0].AuthStatus != "active" {
		t.Fatalf("keyless me: %+v %v", u, err)
	}
	cfg := map[string]any{"identifier": "bot", "token": "ghp_one"}
	if _, err := keyless.ConfigureIntegration(ctx, "github", cfg, WithToken(tok.Token)); err != nil {
		t.Fatal(err)
	}
	cfg["token"] = "ghp_two"
	if _, err := keyless.ConfigureIntegration(ctx, "github", cfg, WithToken(tok.Token)); !IsAlreadyExists(err) {
		t.Fatalf("duplicate: %v", err)
	}
	if _, err := keyless.ConfigureIntegration(ctx, "github", cfg, WithToken(tok.Token), WithReplaceDuplicate()); err != nil {
		t.Fatalf("replace: %v", err)
	}
	in, err := keyless.GetIntegration(ctx, "github", "bot", WithToken(tok.Token))
	if err != nil || !strings.Contains(in.AuthString, "ghp_two") || in.AuthStatus != "active" {
		t.Fatalf("replaced: %+v %v", in, err)
	}
	// OAuth2: the default account again, replaced rather than refused.
	raw, err := keyless.InitiateIntegration(ctx, "github", e.srv.URL+"/connectors/github/success-authorize-callback",
		WithToken(tok.Token), WithReplaceDuplicate())
	if err != nil {
		t.Fatal(err)
	}
	if err := followOAuth(raw, ""); err != nil {
		t.Fatalf("replace via OAuth2: %v", err)
	}
}

// headerLog records the headers of each request a stub receives, by path.
type headerLog struct {
	mu sync.Mutex
	m  map[string]http.Header
}

func (l *headerLog) get(path string) http.Header {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.m[path]
}

// TestCredentialsPerRoute: which credentials and contract header each new route sends, on the wire.
func TestCredentialsPerRoute(t *testing.T) {
	log := &headerLog{m: map[string]http.Header{}}
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.mu.Lock()
		log.m[r.URL.Path] = r.Header.Clone()
		log.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.HasPrefix(r.URL.Path, "/catalog/search"):
			_, _ = io.WriteString(w, `{"query": "q", "backend": null, "tools": [], "mcp": [], "skills": []}`)
		case r.URL.Path == "/api/skills/s1":
			_, _ = io.WriteString(w, `{"data": {"id": "s1", "source_type": "upload_md", "name": "n", "download_url": "`+srv.URL+`/artifact", "content_sha256": null}}`)
		case r.URL.Path == "/artifact":
			w.Header().Set("Content-Type", "text/markdown")
			_, _ = io.WriteString(w, "# skill\n")
		default:
			_, _ = io.WriteString(w, `{"items": [], "meta": {"total": 0, "limit": 50, "offset": 0}}`)
		}
	}))
	defer srv.Close()
	c, err := New(srv.URL, "sk-client-key")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := c.CatalogTools(ctx, CatalogQuery{Connector: "github"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SearchCatalog(ctx, SearchQuery{Q: "q"}, WithToken("user-token")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.TenantSkills(ctx, 0, 0, WithToken("user-token")); err != nil {
		t.Fatal(err)
	}
	d, err := c.TenantSkill(ctx, "s1", WithToken("user-token"))
	if err != nil {
		t.Fatal(err)
	}
	if a, err := c.DownloadSkill(ctx, d); err != nil || string(a.Files[0].Data) != "# skill\n" {
		t.Fatalf("download: %v %v", a, err)
	}
	tests := []struct {
		path              string
		key, bearer, ctrt bool
	}{
		{"/catalog/tools", false, false, true},
		{"/catalog/search", true, true, true},
		{"/api/skills", false, true, true},
		{"/api/skills/s1", false, true, true},
		{"/artifact", false, false, false},
	}
	for _, tt := range tests {
		h := log.get(tt.path)
		if h == nil {
			t.Fatalf("%s was not requested", tt.path)
		}
		if (h.Get("X-API-Key") != "") != tt.key || (h.Get("Authorization") == "Bearer user-token") != tt.bearer ||
			(h.Get("X-GL-Error-Contract") == "2") != tt.ctrt {
			t.Errorf("%s: headers %v", tt.path, h)
		}
	}
	if h := log.get("/artifact"); h.Get("User-Agent") == "bosaclient-go/1" || h.Get("Accept") != "" {
		t.Errorf("the presigned download carried client headers: %v", h)
	}
	if _, err := c.SearchCatalog(ctx, SearchQuery{Q: "  "}, WithToken("t")); !IsInvalidArgument(err) {
		t.Fatalf("empty query: %v", err)
	}
}

// TestCatalog: the catalog's lists, paging and search through the client; every tool name is the
// generated tool name of an action discovery lists.
func TestCatalog(t *testing.T) {
	e := newEnv(t, "cataloguer")
	ctx := context.Background()
	tools, err := e.c.CatalogTools(ctx, CatalogQuery{Limit: 200})
	if err != nil || tools.Meta == nil || tools.Meta.Total != len(tools.Items) || len(tools.Items) == 0 {
		t.Fatalf("tools %+v %v", tools, err)
	}
	for _, tl := range tools.Items {
		a, err := e.c.Action(ctx, tl.Connector, strings.TrimSuffix(strings.TrimPrefix(tl.Name, tl.Connector+"_"), "_tool"))
		if err != nil || tl.Name != tl.Connector+"_"+strings.ReplaceAll(a.Name, "-", "_")+"_tool" {
			t.Fatalf("tool %s: %v", tl.Name, err)
		}
	}
	page, err := e.c.CatalogTools(ctx, CatalogQuery{Connector: "github", Limit: 1, Offset: 1})
	if err != nil || len(page.Items) != 1 || page.Items[0].Connector != "github" || page.Meta.Offset != 1 {
		t.Fatalf("page %+v %v", page, err)
	}
	if _, err := e.c.CatalogTools(ctx, CatalogQuery{Limit: 500}); !IsInvalidArgument(err) {
		t.Fatalf("limit 500: %v", err)
	}
	mcps, err := e.c.CatalogMCPs(ctx, CatalogQuery{Category: "storage"})
	if err != nil || len(mcps.Items) != 1 || mcps.Items[0].Config.URL != e.srv.URL+"/google_drive/mcp" {
		t.Fatalf("mcps %+v %v", mcps, err)
	}
	skills, err := e.c.CatalogSkills(ctx, CatalogQuery{Source: "agent"})
	if err != nil || len(skills.Items) == 0 || skills.Items[0].Source != "agent" {
		t.Fatalf("skills %+v %v", skills, err)
	}
	found, err := e.c.SearchCatalog(ctx, SearchQuery{Q: "upload file", Kinds: []string{"tools"}, Count: 2}, WithToken(e.token))
	if err != nil || found.Backend == nil || len(found.Tools) != 2 || len(found.MCP) != 0 || len(found.Skills) != 0 {
		t.Fatalf("search %+v %v", found, err)
	}
	if hit := found.Tools[1]; hit.Name != "google_drive_upload_file_tool" || hit.Score == nil || *hit.Score != 1 {
		t.Fatalf("search hit %+v", hit)
	}
	if _, err := e.c.SearchCatalog(ctx, SearchQuery{Q: "x"}); !IsUnauthenticated(err) {
		t.Fatalf("search without a token: %v", err)
	}
	e.srv.SetSearchEnabled(false)
	found, err = e.c.SearchCatalog(ctx, SearchQuery{Q: "upload"}, WithToken(e.token))
	if err != nil || found.Backend != nil || len(found.Tools)+len(found.MCP)+len(found.Skills) != 0 {
		t.Fatalf("degraded search %+v %v", found, err)
	}
}

// hostileZip builds a zip with the given member names.
func hostileZip(t *testing.T, names ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range names {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: n, Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write([]byte("x"))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// bombZip declares a member that expands beyond MaxSkillExpandedBytes.
func bombZip(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "SKILL.md", Method: zip.Store, CompressedSize64: 1, UncompressedSize64: MaxSkillExpandedBytes + 1})
	if err != nil {
		t.Fatal(err)
	}
	_, _ = w.Write([]byte("x"))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestTenantSkills: list, get and download every seeded skill, verifying checksums; the refusals of
// DownloadSkill; Extract.
func TestTenantSkills(t *testing.T) {
	e := newEnv(t, "skiller")
	ctx := context.Background()
	list, err := e.c.TenantSkills(ctx, 0, 0, WithToken(e.token))
	if err != nil || len(list.Items) != 5 || list.Meta == nil || *list.Meta.Total != 5 {
		t.Fatalf("list %+v %v", list, err)
	}
	downloaded := 0
	for _, s := range list.Items {
		d, err := e.c.TenantSkill(ctx, s.ID, WithToken(e.token))
		if err != nil {
			t.Fatal(err)
		}
		a, err := e.c.DownloadSkill(ctx, d)
		if d.DownloadURL == "" {
			if !errors.Is(err, ErrSkillNotDownloadable) {
				t.Fatalf("pending skill %s: %v", d.Name, err)
			}
			continue
		}
		if err != nil || d.ContentSHA256 == "" || skillChecksum(a) != d.ContentSHA256 {
			t.Fatalf("%s: %v", d.Name, err)
		}
		dir := t.TempDir()
		if err := a.Extract(dir); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(dir, "SKILL.md")); err != nil {
			t.Fatalf("%s: %v", d.Name, err)
		}
		if err := a.Extract(dir); err == nil {
			t.Fatalf("%s: a second Extract overwrote files", d.Name)
		}
		downloaded++
	}
	if downloaded != 4 {
		t.Fatalf("%d skills downloaded, want 4", downloaded)
	}
	if _, err := e.c.TenantSkill(ctx, "not-a-uuid", WithToken(e.token)); !IsNotFound(err) {
		t.Fatalf("non-UUID id: %v", err)
	}

	wrong := strings.Repeat("0", 64)
	tests := []struct {
		name string
		sk   sandbox.Skill
		want error
	}{
		{"checksum mismatch", sandbox.Skill{SourceType: "upload_md", Files: map[string][]byte{"SKILL.md": []byte("# a\n")}, ContentSHA256: &wrong}, ErrChecksumMismatch},
		{"not a zip", sandbox.Skill{SourceType: "upload_zip", Archive: []byte("PK? no")}, ErrUnsafeArchive},
		{"parent member", sandbox.Skill{SourceType: "upload_zip", Archive: hostileZip(t, "SKILL.md", "../evil.sh")}, ErrUnsafeArchive},
		{"nested parent member", sandbox.Skill{SourceType: "github", Archive: hostileZip(t, "a/../../evil.sh")}, ErrUnsafeArchive},
		{"absolute member", sandbox.Skill{SourceType: "upload_zip", Archive: hostileZip(t, "/etc/evil")}, ErrUnsafeArchive},
		{"drive-letter member", sandbox.Skill{SourceType: "upload_zip", Archive: hostileZip(t, `C:\evil`)}, ErrUnsafeArchive},
		{"expands too far", sandbox.Skill{SourceType: "upload_zip", Archive: bombZip(t)}, ErrUnsafeArchive},
		{"unknown source type", sandbox.Skill{SourceType: "tarball", Files: map[string][]byte{"SKILL.md": []byte("x")}}, ErrSkillNotDownloadable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.sk.Name = strings.ReplaceAll(tt.name, " ", "-")
			id, err := e.srv.AddSkill(sandbox.DemoAPIKey, tt.sk)
			if err != nil {
				t.Fatal(err)
			}
			d, err := e.c.TenantSkill(ctx, id, WithToken(e.token))
			if err != nil {
				t.Fatal(err)
			}
			if a, err := e.c.DownloadSkill(ctx, d); !errors.Is(err, tt.want) {
				t.Fatalf("got %v, %v; want %v", a, err, tt.want)
			}
		})
	}
}
