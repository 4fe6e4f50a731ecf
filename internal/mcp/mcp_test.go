package mcp_test

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/types/known/structpb"

	bosav1 "bosa.dev/gateway/gen/bosa/v1"
	"bosa.dev/gateway/internal/logbuf"
	"bosa.dev/gateway/internal/mcp"
	"bosa.dev/gateway/internal/server"
	"bosa.dev/gateway/sandbox"
)

// gateway is a running gateway (HTTP and gRPC on free ports) in front of a fresh sandbox.
type gateway struct {
	base      string            // http://127.0.0.1:port
	transport http.RoundTripper // of the MCP clients; http.DefaultTransport when nil
	apiKey    string            // x-api-key of user's gRPC calls, when set
	conn      *grpc.ClientConn
	sb        *sandbox.Sandbox
}

const maxFile = 512 // the MCP file limit in these tests: hello.txt fits, sample-1KiB.bin does not

func startGateway(t testing.TB, mutate ...func(*server.Config)) *gateway {
	t.Helper()
	g, _ := startGatewayRun(t, mutate...)
	return g
}

// startGatewayRun is startGateway that also returns a function stopping the gateway and
// returning Run's result (it runs at cleanup too, once).
func startGatewayRun(t testing.TB, mutate ...func(*server.Config)) (*gateway, func() error) {
	t.Helper()
	sb := sandbox.New()
	upstream := httptest.NewServer(sb)
	t.Cleanup(upstream.Close)
	cfg := server.Config{
		UpstreamURL: upstream.URL, APIKey: sandbox.DemoAPIKey,
		GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", ShutdownTimeout: 2 * time.Second,
		MCPMaxFileBytes: maxFile,
		Logger:          slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	for _, m := range mutate {
		m(&cfg)
	}
	srv, err := cfg.Complete()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	var (
		once   sync.Once
		runErr error
	)
	stop := func() error {
		once.Do(func() {
			cancel()
			runErr = <-done
		})
		return runErr
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	creds := insecure.NewCredentials()
	if cfg.TLSCertFile != "" {
		pem, err := os.ReadFile(cfg.TLSCertFile)
		if err != nil {
			t.Fatal(err)
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pem)
		creds = credentials.NewTLS(&tls.Config{RootCAs: pool})
	}
	conn, err := grpc.NewClient(srv.GRPCAddr(), grpc.WithTransportCredentials(creds))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &gateway{base: "http://" + srv.HTTPAddr(), conn: conn, sb: sb}, stop
}

// user creates a user and returns its token; connectors are linked through the OAuth2 flow.
func (g *gateway) user(t testing.TB, id string, connectors ...string) string {
	t.Helper()
	ctx := context.Background()
	if g.apiKey != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, "x-api-key", g.apiKey)
	}
	users := bosav1.NewUserServiceClient(g.conn)
	u, err := users.CreateUser(ctx, &bosav1.CreateUserRequest{Identifier: id})
	if err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	tok, err := users.AuthenticateUser(ctx, &bosav1.AuthenticateUserRequest{Identifier: id, Secret: u.GetSecret()})
	if err != nil {
		t.Fatalf("AuthenticateUser: %v", err)
	}
	mdctx := metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+tok.GetToken())
	const callback = "http://callback.invalid/connected"
	for _, c := range connectors {
		init, err := bosav1.NewIntegrationServiceClient(g.conn).InitiateIntegration(mdctx,
			&bosav1.InitiateIntegrationRequest{Connector: c, CallbackUrl: callback})
		if err != nil {
			t.Fatalf("InitiateIntegration: %v", err)
		}
		hc := &http.Client{CheckRedirect: func(req *http.Request, _ []*http.Request) error {
			if strings.HasPrefix(req.URL.String(), callback) {
				return http.ErrUseLastResponse
			}
			return nil
		}}
		resp, err := hc.Get(init.GetUrl())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusFound {
			t.Fatalf("OAuth flow of %s ended with %d", c, resp.StatusCode)
		}
	}
	return tok.GetToken()
}

// headers adds fixed headers to every request.
type headers struct {
	h    http.Header
	next http.RoundTripper
}

func (h headers) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for k, v := range h.h {
		r.Header[k] = v
	}
	return h.next.RoundTrip(r)
}

// revisions are the protocol revisions the gateway serves, as the SDK names them: the current one
// (sessionless) and the last one with sessions.
var revisions = []string{"2026-07-28", "2025-11-25"}

// session connects the official SDK's client to path (e.g. /mcp) with the given headers, at the
// SDK's latest protocol revision.
func (g *gateway) session(t *testing.T, path string, hdr http.Header) *sdk.ClientSession {
	t.Helper()
	return g.sessionAt(t, path, hdr, "", nil)
}

// sessionAt is session at a given protocol revision ("" the latest), with client options.
func (g *gateway) sessionAt(t *testing.T, path string, hdr http.Header, revision string, opts *sdk.ClientOptions) *sdk.ClientSession {
	t.Helper()
	cs, err := g.connect(path, hdr, revision, opts)
	if err != nil {
		t.Fatalf("connect %s: %v", path, err)
	}
	t.Cleanup(func() { cs.Close() })
	if revision != "" {
		if got := cs.InitializeResult().ProtocolVersion; got != revision {
			t.Fatalf("negotiated protocol revision %s, want %s", got, revision)
		}
	}
	return cs
}

func (g *gateway) connect(path string, hdr http.Header, revision string, opts *sdk.ClientOptions) (*sdk.ClientSession, error) {
	client := sdk.NewClient(&sdk.Implementation{Name: "gateway-test", Version: "1"}, opts)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return client.Connect(ctx, &sdk.StreamableClientTransport{
		Endpoint:   g.base + path,
		HTTPClient: &http.Client{Transport: headers{hdr, cmp.Or(g.transport, http.DefaultTransport)}},
	}, &sdk.ClientSessionOptions{ProtocolVersion: revision})
}

func bearer(token string) http.Header {
	return http.Header{"Authorization": {"Bearer " + token}}
}

func callTool(t *testing.T, cs *sdk.ClientSession, name string, args map[string]any) *sdk.CallToolResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("CallTool %s: %v", name, err)
	}
	return res
}

// output decodes a successful result's structured content, checking that the text content is the
// same JSON.
func output(t *testing.T, res *sdk.CallToolResult) mcp.Output {
	t.Helper()
	if res.IsError {
		t.Fatalf("tool failed: %s", text(res))
	}
	var out, fromText mcp.Output
	b, _ := json.Marshal(res.StructuredContent)
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("structured content %s: %v", b, err)
	}
	if err := json.Unmarshal([]byte(text(res)), &fromText); err != nil {
		t.Fatalf("text content is not the JSON result: %v", err)
	}
	if string(fromText.Data) != string(out.Data) || fromText.NextPageToken != out.NextPageToken {
		t.Errorf("text and structured content differ:\n%s\n%s", text(res), b)
	}
	return out
}

func text(res *sdk.CallToolResult) string {
	for _, c := range res.Content {
		if tc, ok := c.(*sdk.TextContent); ok {
			return tc.Text
		}
	}
	return ""
}

// failure decodes a failed result's ErrorInfo.
func failure(t *testing.T, res *sdk.CallToolResult) mcp.ErrorDetail {
	t.Helper()
	if !res.IsError {
		t.Fatalf("tool succeeded, want an error: %s", text(res))
	}
	var out mcp.ErrorOutput
	b, _ := json.Marshal(res.StructuredContent)
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("structured content %s: %v", b, err)
	}
	if want := out.Error.Reason + ": " + out.Error.Message; text(res) != want {
		t.Errorf("text %q, want %q", text(res), want)
	}
	return out.Error
}

func TestToolsFromDiscovery(t *testing.T) {
	g := startGateway(t)
	token := g.user(t, "lister")
	conns, err := bosav1.NewConnectorServiceClient(g.conn).ListConnectors(context.Background(), &bosav1.ListConnectorsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path       string
		connectors []string // empty: all
	}{
		{"/mcp", nil},
		{"/mcp/github", []string{"github"}},
	} {
		t.Run(tc.path, func(t *testing.T) {
			cs := g.session(t, tc.path, bearer(token))
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			tools := map[string]*sdk.Tool{}
			for tool, err := range cs.Tools(ctx, nil) {
				if err != nil {
					t.Fatal(err)
				}
				tools[tool.Name] = tool
			}
			want := 0
			for _, c := range conns.GetConnectors() {
				if tc.connectors != nil && !slices.Contains(tc.connectors, c.GetName()) {
					continue
				}
				for _, a := range c.GetActions() {
					want++
					tool := tools[mcp.ToolName(c.GetName(), a.GetName())]
					if tool == nil {
						t.Errorf("no tool for %s/%s", c.GetName(), a.GetName())
						continue
					}
					if tool.Description != strings.TrimSpace(a.GetDocstring()) {
						t.Errorf("%s: description %q, want the docstring %q", tool.Name, tool.Description, a.GetDocstring())
					}
				}
			}
			if len(tools) != want {
				t.Errorf("%d tools, want one per action: %d", len(tools), want)
			}
			get := tools["github_get_repository_tool"]
			if get == nil {
				t.Fatal("no github_get_repository_tool")
			}
			props := get.InputSchema.(map[string]any)["properties"].(map[string]any)
			for _, p := range []string{"owner", "repo", "response_fields", "response_filters"} {
				if props[p] == nil {
					t.Errorf("github_get_repository_tool has no input %q: %v", p, props)
				}
			}
			if props[mcp.PageTokenProperty] != nil {
				t.Error("github_get_repository_tool does not page but takes page_token")
			}
			commits := tools["github_list_commits_tool"].InputSchema.(map[string]any)["properties"].(map[string]any)
			if commits[mcp.PageTokenProperty] == nil {
				t.Error("github_list_commits_tool pages but takes no page_token")
			}
		})
	}
}

func TestUnknownConnectorIs404(t *testing.T) {
	g := startGateway(t)
	token := g.user(t, "lost")
	req, _ := http.NewRequest(http.MethodPost, g.base+"/mcp/nope", strings.NewReader(`{}`))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), `"nope"`) {
		t.Errorf("got %d %q, want 404 naming the connector", resp.StatusCode, body)
	}
}

func TestCallAction(t *testing.T) {
	g := startGateway(t)
	token := g.user(t, "caller", "github")
	for _, rev := range revisions {
		t.Run(rev, func(t *testing.T) { callAction(t, g.sessionAt(t, "/mcp", bearer(token), rev, nil)) })
	}
}

func callAction(t *testing.T, cs *sdk.ClientSession) {
	out := output(t, callTool(t, cs, "github_get_repository_tool", map[string]any{
		"owner": "acme", "repo": "web", "response_fields": []any{"full_name", "private"},
	}))
	var data map[string]any
	if err := json.Unmarshal(out.Data, &data); err != nil {
		t.Fatal(err)
	}
	if data["full_name"] != "acme/web" || len(data) != 2 {
		t.Errorf("data %v, want full_name acme/web and only the two response_fields", data)
	}
	if out.NextPageToken != "" {
		t.Errorf("a single object has a next_page_token %q", out.NextPageToken)
	}
}

func TestPaging(t *testing.T) {
	g := startGateway(t)
	token := g.user(t, "pager", "github")
	for _, rev := range revisions {
		t.Run(rev, func(t *testing.T) { pageTwice(t, g.sessionAt(t, "/mcp/github", bearer(token), rev, nil)) })
	}
}

func pageTwice(t *testing.T, cs *sdk.ClientSession) {
	var seen []string
	args := map[string]any{"owner": "acme", "repo": "web", "per_page": 5}
	for page := 0; page < 3; page++ {
		out := output(t, callTool(t, cs, "github_list_commits_tool", args))
		var items []map[string]any
		if err := json.Unmarshal(out.Data, &items); err != nil {
			t.Fatalf("page %d: %v", page, err)
		}
		if len(items) != 5 {
			t.Fatalf("page %d: %d items, want 5", page, len(items))
		}
		for _, it := range items {
			sha, _ := it["sha"].(string)
			if slices.Contains(seen, sha) {
				t.Fatalf("page %d repeats commit %s", page, sha)
			}
			seen = append(seen, sha)
		}
		if out.NextPageToken == "" {
			t.Fatalf("page %d has no next_page_token", page)
		}
		// Only the token: the other parameters come from it.
		args = map[string]any{mcp.PageTokenProperty: out.NextPageToken}
	}
	res := callTool(t, cs, "github_list_commits_tool", map[string]any{mcp.PageTokenProperty: "garbage"})
	if e := failure(t, res); e.Reason != "INVALID_PAGE_TOKEN" {
		t.Errorf("a bad page_token: reason %s (%s), want INVALID_PAGE_TOKEN", e.Reason, e.Message)
	}
}

func TestToolErrors(t *testing.T) {
	g := startGateway(t)
	linked := g.session(t, "/mcp", bearer(g.user(t, "errs", "github")))
	unlinked := g.session(t, "/mcp", bearer(g.user(t, "nolink")))
	for _, tc := range []struct {
		name     string
		cs       *sdk.ClientSession
		tool     string
		args     map[string]any
		reason   string
		contains []string
	}{
		{"missing parameter", linked, "github_get_repository_tool", map[string]any{"owner": "acme"}, "INVALID_PARAMETERS", []string{"repo"}},
		{"wrong type", linked, "github_get_repository_tool", map[string]any{"owner": "acme", "repo": 7}, "INVALID_PARAMETERS", []string{"repo"}},
		{"page_token not a string", linked, "github_list_commits_tool", map[string]any{"page_token": 3}, "INVALID_REQUEST", []string{"page_token"}},
		{"missing integration", unlinked, "github_get_repository_tool", map[string]any{"owner": "acme", "repo": "web"}, "INTEGRATION_MISSING",
			[]string{"InitiateIntegration", "x-bosa-integration"}},
		{"unknown repository", linked, "github_get_repository_tool", map[string]any{"owner": "acme", "repo": "nope"}, "NOT_FOUND", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := failure(t, callTool(t, tc.cs, tc.tool, tc.args))
			if e.Reason != tc.reason {
				t.Errorf("reason %s (%s), want %s", e.Reason, e.Message, tc.reason)
			}
			for _, s := range tc.contains {
				if !strings.Contains(e.Message, s) {
					t.Errorf("message %q does not mention %q", e.Message, s)
				}
			}
		})
	}
}

func TestFileResult(t *testing.T) {
	g := startGateway(t)
	cs := g.session(t, "/mcp", bearer(g.user(t, "filer", "google_drive")))
	res := callTool(t, cs, "google_drive_download_file_tool", map[string]any{"file_id": "f-hello"})
	if res.IsError || len(res.Content) != 1 {
		t.Fatalf("download: %v %s", res.IsError, text(res))
	}
	er, ok := res.Content[0].(*sdk.EmbeddedResource)
	if !ok {
		t.Fatalf("content is %T, want an embedded resource", res.Content[0])
	}
	if string(er.Resource.Blob) != "Hello from the BOSA sandbox!\n" || !strings.HasPrefix(er.Resource.MIMEType, "text/plain") {
		t.Errorf("resource %q (%s)", er.Resource.Blob, er.Resource.MIMEType)
	}
	if !strings.HasSuffix(er.Resource.URI, "/hello.txt") {
		t.Errorf("resource URI %q does not name the file", er.Resource.URI)
	}
	e := failure(t, callTool(t, cs, "google_drive_download_file_tool", map[string]any{"file_id": "f-1k"}))
	if e.Reason != "RESPONSE_TOO_LARGE" || !strings.Contains(e.Message, "DownloadFile") || !strings.Contains(e.Message, ":download") {
		t.Errorf("a file over the limit: %s %q, want RESPONSE_TOO_LARGE pointing to DownloadFile", e.Reason, e.Message)
	}
}

func TestUnauthenticated(t *testing.T) {
	g := startGateway(t)
	wantMeta := g.base + "/.well-known/oauth-protected-resource/mcp/github"
	for _, tc := range []struct {
		name string
		auth string
	}{
		{"no token", ""},
		{"not bearer", "Basic dXNlcjpwYXNz"},
		{"token BOSA rejects", "Bearer not-a-token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, g.base+"/mcp/github",
				strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json, text/event-stream")
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("status %d (%s), want 401", resp.StatusCode, body)
			}
			if got, want := resp.Header.Get("WWW-Authenticate"), `Bearer resource_metadata="`+wantMeta+`"`; got != want {
				t.Errorf("WWW-Authenticate %q, want %q", got, want)
			}
			if strings.Contains(string(body), "not-a-token") || strings.Contains(string(body), "dXNlcjpwYXNz") {
				t.Errorf("the answer repeats the credential: %s", body)
			}
		})
	}
	t.Run("metadata document", func(t *testing.T) {
		resp, err := http.Get(wantMeta)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var doc map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("%d %v", resp.StatusCode, err)
		}
		if doc["resource"] != g.base+"/mcp/github" {
			t.Errorf("resource %v, want %s", doc["resource"], g.base+"/mcp/github")
		}
	})
	t.Run("SDK client", func(t *testing.T) {
		if _, err := g.connect("/mcp", nil, "", nil); err == nil {
			t.Fatal("the SDK client connected without a token")
		}
	})
}

// TestSameServicePath checks that tool calls are gateway calls: counted in the metrics as
// ActionService/ExecuteAction, like gRPC and REST calls; and that the bearer token is checked once.
func TestSameServicePath(t *testing.T) {
	g := startGateway(t)
	cs := g.session(t, "/mcp", bearer(g.user(t, "metered", "github")))
	before := handled(t, g, "ExecuteAction")
	output(t, callTool(t, cs, "github_get_repository_tool", map[string]any{"owner": "acme", "repo": "api"}))
	failure(t, callTool(t, cs, "github_get_repository_tool", map[string]any{"owner": "acme"}))
	if after := handled(t, g, "ExecuteAction"); after != before+2 {
		t.Errorf("ExecuteAction handled %d → %d, want two more", before, after)
	}
	// The token was checked with BOSA once, for all the session's requests.
	if n := handled(t, g, "GetCurrentUser"); n != 1 {
		t.Errorf("GetCurrentUser handled %d times, want 1", n)
	}
	if n := g.sb.Calls("github", "get_repository").Total; n != 1 {
		t.Errorf("upstream get_repository calls %d, want 1 (the invalid call must not reach BOSA)", n)
	}
}

// handled is how many calls of a bosa.v1 method the gateway's metrics count.
func handled(t *testing.T, g *gateway, method string) int {
	t.Helper()
	resp, err := http.Get(g.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	n := 0
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "grpc_server_handled_total{") && strings.Contains(line, `grpc_method="`+method+`"`) {
			var v float64
			if _, err := fmt.Sscan(line[strings.LastIndex(line, " ")+1:], &v); err == nil {
				n += int(v)
			}
		}
	}
	return n
}

// TestShutdownEndsSessions: open sessions, whose event streams stay open (the GET stream of a
// session, a sessionless client's subscriptions/listen), do not hold the gateway's graceful drain:
// Run returns long before the drain timeout.
func TestShutdownEndsSessions(t *testing.T) {
	for _, rev := range revisions {
		t.Run(rev, func(t *testing.T) {
			g, stop := startGatewayRun(t, func(c *server.Config) { c.ShutdownTimeout = time.Hour })
			cs := g.sessionAt(t, "/mcp", bearer(g.user(t, "stayer")), rev, &sdk.ClientOptions{
				ToolListChangedHandler: func(context.Context, *sdk.ToolListChangedRequest) {}, // keeps a stream open
			})
			if _, err := cs.ListTools(context.Background(), nil); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- stop() }()
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("Run: %v", err)
				}
			case <-time.After(time.Minute): // a failure detector: a held drain would last the hour
				t.Fatal("the gateway did not stop: MCP sessions hold the drain")
			}
		})
	}
}

// TestRateLimitedCallIsToolResult: the per-caller rate limit applies to tool calls (the token's
// verification is one call, cached), and a call over it is a tool result, not a transport error.
func TestRateLimitedCallIsToolResult(t *testing.T) {
	g := startGateway(t, func(c *server.Config) { c.RateLimit, c.RateBurst = 0.001, 3 })
	// The burst covers InitiateIntegration (by the token), its verification and one tool call.
	token := g.user(t, "hasty", "github")
	cs := g.session(t, "/mcp", bearer(token))
	args := map[string]any{"owner": "acme", "repo": "web"}
	var reasons []string
	for i := 0; i < 3; i++ {
		res := callTool(t, cs, "github_get_repository_tool", args)
		if res.IsError {
			reasons = append(reasons, failure(t, res).Reason)
		} else {
			reasons = append(reasons, "OK")
		}
	}
	if reasons[0] != "OK" || reasons[len(reasons)-1] != "CALLER_RATE_LIMITED" {
		t.Errorf("results %v: want the first call through and the last one CALLER_RATE_LIMITED", reasons)
	}
}

// TestIntegrationHeader: x-bosa-integration on the MCP requests picks the integration a tool uses.
func TestIntegrationHeader(t *testing.T) {
	g := startGateway(t)
	token := g.user(t, "chooser", "github")
	ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+token)
	cfg, err := structpb.NewStruct(map[string]any{"identifier": "ci-bot", "token": "ghp_example"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bosav1.NewIntegrationServiceClient(g.conn).ConfigureIntegration(ctx,
		&bosav1.ConfigureIntegrationRequest{Connector: "github", Configuration: cfg}); err != nil {
		t.Fatal(err)
	}
	args := map[string]any{"owner": "acme", "repo": "web", "response_fields": []any{"viewer_login"}}
	viewer := func(integration string) string {
		t.Helper()
		hdr := bearer(token)
		if integration != "" {
			hdr.Set("X-Bosa-Integration", integration)
		}
		var data map[string]any
		if err := json.Unmarshal(output(t, callTool(t, g.session(t, "/mcp", hdr), "github_get_repository_tool", args)).Data, &data); err != nil {
			t.Fatal(err)
		}
		v, _ := data["viewer_login"].(string)
		return v
	}
	if v := viewer("ci-bot"); v != "ci-bot" {
		t.Errorf("with x-bosa-integration ci-bot: viewer %q", v)
	}
	if v := viewer(""); v != "chooser-gh" {
		t.Errorf("without the header: viewer %q, want the selected integration chooser-gh", v)
	}
	hdr := bearer(token)
	hdr.Set("X-Bosa-Integration", "ghost")
	if e := failure(t, callTool(t, g.session(t, "/mcp", hdr), "github_get_repository_tool", args)); e.Reason != "INTEGRATION_MISSING" {
		t.Errorf("an unknown integration: %s (%s), want INTEGRATION_MISSING", e.Reason, e.Message)
	}
}

// TestDocsShowTheTestedConfig: docs/mcp.md and README.md show docs/mcp-client.json, the file make test-mcp's
// clients are configured from, verbatim.
func TestDocsShowTheTestedConfig(t *testing.T) {
	cfg, err := os.ReadFile("../../docs/mcp-client.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, page := range []string{"../../docs/mcp.md", "../../README.md"} {
		doc, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(doc), "```json\n"+string(cfg)+"```") {
			t.Errorf("%s does not show docs/mcp-client.json as it is", page)
		}
	}
}

// TestNoSecretsInLogs: bearer tokens and API keys sent to /mcp appear in no log line, at debug
// level, whether the calls fail or are refused. (An integration name is an identifier, not a
// credential: BOSA's INTEGRATION_MISSING message names it, as over gRPC and REST.)
func TestNoSecretsInLogs(t *testing.T) {
	logs := &logbuf.Buffer{}
	g := startGateway(t, func(c *server.Config) {
		c.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	token := g.user(t, "quiet", "github")
	const integration, apiKey = "unknown-integration", "sk-client-not-a-real-key"
	hdr := bearer(token)
	hdr.Set("X-Bosa-Integration", integration)
	for _, rev := range revisions {
		cs := g.sessionAt(t, "/mcp", hdr, rev, nil)
		failure(t, callTool(t, cs, "github_get_repository_tool", map[string]any{"owner": "acme", "repo": "web"}))
		failure(t, callTool(t, cs, "github_get_repository_tool", map[string]any{"owner": "acme"}))
	}
	hdr = bearer(token)
	hdr.Set("X-Api-Key", apiKey)
	if _, err := g.connect("/mcp", hdr, "", nil); err == nil {
		t.Error("connected with an API key BOSA does not know")
	}
	if _, err := g.connect("/mcp", bearer(token+"x"), "", nil); err == nil {
		t.Error("connected with a token BOSA does not know")
	}
	out := logs.String()
	if !strings.Contains(out, "ExecuteAction") {
		t.Fatal("no call was logged: the check below would prove nothing")
	}
	for _, secret := range []string{token, apiKey} {
		if strings.Contains(out, secret) {
			t.Errorf("the logs contain %q", secret)
		}
	}
}

// TestBodyLimit: an MCP request body over the REST body limit is refused with 413 at both
// protocol eras, before it is read whole.
func TestBodyLimit(t *testing.T) {
	g := startGateway(t, func(c *server.Config) { c.MaxJSONBodyBytes = 16 << 10 })
	token := g.user(t, "bulky", "github")
	big := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"github_get_repository_tool","arguments":{"owner":"` +
		strings.Repeat("a", 64<<10) + `","repo":"web"}}}`
	for _, rev := range []string{"", "2026-07-28"} {
		t.Run("revision "+cmp.Or(rev, "none"), func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, g.base+"/mcp", strings.NewReader(big))
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json, text/event-stream")
			if rev != "" {
				req.Header.Set("Mcp-Protocol-Version", rev)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusRequestEntityTooLarge {
				t.Errorf("status %d, want 413", resp.StatusCode)
			}
		})
	}
}

// TestCallerAPIKey: with no key of its own, the gateway takes the caller's x-api-key from the MCP
// requests; without one the answer is 401 saying to send it.
func TestCallerAPIKey(t *testing.T) {
	g := startGateway(t, func(c *server.Config) { c.APIKey = "" })
	g.apiKey = sandbox.DemoAPIKey
	token := g.user(t, "keyed", "github")
	hdr := bearer(token)
	hdr.Set("X-Api-Key", sandbox.DemoAPIKey)
	callAction(t, g.session(t, "/mcp", hdr))

	req, _ := http.NewRequest(http.MethodPost, g.base+"/mcp", strings.NewReader("{}"))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(body), "x-api-key") || resp.Header.Get("WWW-Authenticate") == "" {
		t.Errorf("without x-api-key: %d %q, want 401 saying to send x-api-key", resp.StatusCode, body)
	}
}
