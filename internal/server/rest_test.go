package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	"bosa.dev/gateway/gen/openapi"
	"bosa.dev/gateway/internal/server"
)

// TestRESTConformance: the REST face's HTTP behaviour — 405 with Allow, HEAD on GET routes, 400
// (never 500) for text that is not UTF-8, NDJSON for Paginate with errors as bare Status bodies
// before the first line, and the generated OpenAPI document served as it is.
func TestRESTConformance(t *testing.T) {
	t.Parallel()
	e := startEnv(t)
	auth := userWithGitHub(t, e.conn, "rest-conformance").Get("authorization")[0]
	do := func(t *testing.T, method, path, body string) (*http.Response, []byte) {
		t.Helper()
		req, err := http.NewRequest(method, e.httpBase+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", auth)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, b
	}
	// wantStatusBody checks an error body is a bare google.rpc.Status with ErrorInfo.
	wantStatusBody := func(t *testing.T, resp *http.Response, b []byte, code int, reason string) {
		t.Helper()
		var sp spb.Status
		if err := protojson.Unmarshal(b, &sp); err != nil {
			t.Fatalf("HTTP %d: body is not a google.rpc.Status: %v: %s", resp.StatusCode, err, b)
		}
		st := status.FromProto(&sp)
		if got := reasonOf(st); got != reason {
			t.Errorf("reason %q (%s), want %s", got, st.Message(), reason)
		}
		if resp.StatusCode != code || resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("HTTP %d %s (%s), want %d application/json", resp.StatusCode, resp.Header.Get("Content-Type"), st.Message(), code)
		}
	}

	for _, tc := range []struct{ method, path, allow string }{
		{"PUT", "/v1/users", "POST"},
		{"POST", "/v1/users/me", "GET, HEAD"},
		{"POST", "/v1/connectors/github/integrations/alice", "DELETE, GET, HEAD"},
		{"DELETE", "/v1/connectors/github/actions/get_repository:execute", "POST"},
		{"PATCH", "/v1/connectors", "GET, HEAD"},
		{"POST", "/openapi.json", "GET, HEAD"},
		{"DELETE", "/healthz", "GET, HEAD"},
	} {
		t.Run("405 "+tc.method+" "+tc.path, func(t *testing.T) {
			resp, b := do(t, tc.method, tc.path, "")
			wantStatusBody(t, resp, b, http.StatusMethodNotAllowed, "INVALID_REQUEST")
			if got := resp.Header.Get("Allow"); got != tc.allow {
				t.Errorf("Allow %q, want %q", got, tc.allow)
			}
		})
	}
	t.Run("HEAD on a GET route", func(t *testing.T) {
		resp, b := do(t, "HEAD", "/v1/connectors/github", "")
		if resp.StatusCode != http.StatusOK || len(b) != 0 || resp.Header.Get("Content-Type") != "application/json" || resp.Header.Get("X-Request-Id") == "" {
			t.Errorf("HEAD: HTTP %d, %d body bytes, headers %v; want 200, no body, GET's headers", resp.StatusCode, len(b), resp.Header)
		}
		resp, _ = do(t, "HEAD", "/v1/connectors/nope", "")
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("HEAD of a missing connector: HTTP %d, want 404", resp.StatusCode)
		}
	})
	for _, tc := range []struct{ name, method, path, body string }{
		{"JSON string", "POST", "/v1/connectors/github/actions/get_repository:execute", "{\"input\": {\"owner\": \"\xff\"}}"},
		{"download body", "POST", "/v1/connectors/google_drive/actions/download_file:download", "{\"input\": {\"file_id\": \"\xfe\xff\"}}"},
		{"paginate body", "POST", "/v1/connectors/github/actions/list_pull_requests:paginate", "{\"input\": {\"owner\": \"\xc3\"}}"},
		{"path", "GET", "/v1/connectors/%FF%FE", ""},
		{"query", "GET", "/v1/integrations?connector=%FF", ""},
		{"path of a 405", "PUT", "/v1/connectors/%FF", ""},
		{"JSON key", "POST", "/v1/users", "{\"\xff\": 1}"},
	} {
		t.Run("invalid UTF-8 in "+tc.name, func(t *testing.T) {
			resp, b := do(t, tc.method, tc.path, tc.body)
			wantStatusBody(t, resp, b, http.StatusBadRequest, "INVALID_REQUEST")
		})
	}
	for _, h := range []string{"X-Bosa-Integration", "Authorization", "X-Api-Key"} {
		t.Run("non-ASCII "+h+" header", func(t *testing.T) {
			req, _ := http.NewRequest("POST", e.httpBase+"/v1/connectors/github/actions/get_repository:execute",
				strings.NewReader(`{"input": {"owner": "acme", "repo": "web"}}`))
			req.Header.Set("Authorization", auth)
			req.Header.Set(h, "secret-\xff\xfe")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			wantStatusBody(t, resp, b, http.StatusBadRequest, "INVALID_REQUEST")
			if bytes.Contains(b, []byte("secret-")) {
				t.Errorf("the header's value is echoed: %s", b)
			}
		})
	}
	t.Run("Paginate is NDJSON", func(t *testing.T) {
		resp, b := do(t, "POST", "/v1/connectors/github/actions/list_pull_requests:paginate",
			`{"input": {"owner": "acme", "repo": "api", "per_page": 2}, "max_pages": 2}`)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/x-ndjson" {
			t.Fatalf("HTTP %d %s, want 200 application/x-ndjson", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
		for _, l := range lines {
			var line struct {
				Result *struct {
					Data []any `json:"data"`
				} `json:"result"`
			}
			if err := json.Unmarshal(l, &line); err != nil || line.Result == nil || len(line.Result.Data) != 2 {
				t.Errorf("line %s: want {\"result\": …} with 2 items (%v)", l, err)
			}
		}
		if len(lines) != 2 {
			t.Errorf("%d lines, want 2 (max_pages)", len(lines))
		}
	})
	t.Run("Paginate error before the first line is a bare Status", func(t *testing.T) {
		resp, b := do(t, "POST", "/v1/connectors/github/actions/list_pull_requests:paginate",
			`{"input": {"owner": "acme", "repo": "nope"}}`)
		wantStatusBody(t, resp, b, http.StatusNotFound, "NOT_FOUND")
	})
	t.Run("openapi.json is the generated document", func(t *testing.T) {
		resp, b := do(t, "GET", "/openapi.json", "")
		if resp.StatusCode != http.StatusOK || !bytes.Equal(b, openapi.JSON) {
			t.Errorf("HTTP %d, %d bytes; want 200 and gen/openapi/bosa.openapi.json (%d bytes)", resp.StatusCode, len(b), len(openapi.JSON))
		}
	})
}

// TestCORS: off by default; with allowed origins, preflights are answered and responses expose
// the headers a browser client reads.
func TestCORS(t *testing.T) {
	t.Parallel()
	const route, headers = "/v1/connectors/github/actions/get_repository:execute", "authorization, content-type, x-bosa-integration"
	t.Run("off by default", func(t *testing.T) {
		t.Parallel()
		e := startEnv(t)
		resp := preflight(t, e.httpBase+route, headers, "https://app.example")
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("Access-Control-Allow-Origin %q without --cors-allowed-origins", got)
		}
	})
	t.Run("allowed origins", func(t *testing.T) {
		t.Parallel()
		e := startEnv(t, func(c *server.Config) { c.CORSAllowedOrigins = []string{"https://app.example"} })
		resp := preflight(t, e.httpBase+route, headers, "https://app.example")
		if resp.StatusCode/100 != 2 || resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example" ||
			!strings.Contains(strings.ToLower(resp.Header.Get("Access-Control-Allow-Headers")), "x-bosa-integration") {
			t.Errorf("preflight: HTTP %d, headers %v", resp.StatusCode, resp.Header)
		}
		if got := preflight(t, e.httpBase+route, headers, "https://evil.example").Header.Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("other origin allowed: %q", got)
		}
		req, _ := http.NewRequest("GET", e.httpBase+"/v1/connectors", nil)
		req.Header.Set("Origin", "https://app.example")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example" ||
			!strings.Contains(resp.Header.Get("Access-Control-Expose-Headers"), "X-Request-Id") {
			t.Errorf("GET: headers %v, want the origin allowed and X-Request-Id exposed", resp.Header)
		}
	})
}

// preflight sends a CORS preflight for a POST to url from origin, asking for headers.
func preflight(t *testing.T, url, headers, origin string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("OPTIONS", url, nil)
	req.Header.Set("Origin", origin)
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", headers)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}
