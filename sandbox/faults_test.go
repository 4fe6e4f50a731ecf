package sandbox_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"bosa.dev/gateway/sandbox"
)

var prs = map[string]any{"owner": "acme", "repo": "web"}

func TestFaultStatus(t *testing.T) {
	tests := []struct {
		name       string
		fault      sandbox.Fault
		code       string
		retryAfter string
	}{
		{"429 with Retry-After", sandbox.Fault{Status: 429, RetryAfter: 2 * time.Second, Times: 2}, "RATE_LIMITED", "2"},
		{"Retry-After rounds up", sandbox.Fault{Status: 429, RetryAfter: 1500 * time.Millisecond, Times: 2}, "RATE_LIMITED", "2"},
		{"500", sandbox.Fault{Status: 500, Times: 2}, "INTERNAL_ERROR", ""},
		{"502", sandbox.Fault{Status: 502, Times: 2}, "UPSTREAM_ERROR", ""},
		{"503 with Retry-After", sandbox.Fault{Status: 503, RetryAfter: time.Second, Times: 2}, "UPSTREAM_ERROR", "1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := start(t)
			u := connected(t, srv, "alice")
			srv.Inject("github", "list_pull_requests", tt.fault)
			for i := 0; i < 2; i++ {
				r := u.post("/connectors/github/list_pull_requests", prs)
				r.wantError(t, tt.fault.Status, tt.code)
				if r.header.Get("Retry-After") != tt.retryAfter {
					t.Fatalf("Retry-After %q, want %q", r.header.Get("Retry-After"), tt.retryAfter)
				}
			}
			u.post("/connectors/github/list_pull_requests", prs).list(t) // Times exhausted
			if c := srv.Calls("github", "list_pull_requests"); c.Total != 3 {
				t.Fatalf("calls %+v", c)
			}
		})
	}
}

func TestFaultTargeting(t *testing.T) {
	srv := start(t)
	u := connected(t, srv, "bob")
	repo := map[string]any{"owner": "acme", "repo": "web"}

	// Wildcard applies to every action of the connector; a fault on the action itself goes first.
	srv.Inject("github", "*", sandbox.Fault{Status: 503})
	srv.Inject("github", "get_repository", sandbox.Fault{Status: 500, Times: 1})
	u.post("/connectors/github/get_repository", repo).wantError(t, 500, "INTERNAL_ERROR")
	u.post("/connectors/github/get_repository", repo).wantError(t, 503, "UPSTREAM_ERROR")
	u.post("/connectors/github/list_commits", repo).wantError(t, 503, "UPSTREAM_ERROR")
	u.post("/connectors/google_drive/list_files", nil).list(t)
	srv.ClearFaults()
	u.post("/connectors/github/list_commits", repo).list(t)

	// Faults on one target apply in order.
	srv.Inject("github", "list_commits", sandbox.Fault{Status: 429, Times: 1})
	srv.Inject("github", "list_commits", sandbox.Fault{Status: 503, Times: 2})
	for _, want := range []int{429, 503, 503, 200} {
		if r := u.post("/connectors/github/list_commits", repo); r.status != want {
			t.Fatalf("status %d, want %d", r.status, want)
		}
	}
	// Times 0 lasts until cleared.
	srv.Inject("github", "list_commits", sandbox.Fault{Status: 500})
	for i := 0; i < 5; i++ {
		u.post("/connectors/github/list_commits", repo).wantError(t, 500, "INTERNAL_ERROR")
	}
	srv.ClearFaults()

	// Non-action routes.
	anon := u.with("", "")
	groups := []struct {
		connector, action string
		call              func() *resp
	}{
		{"", "discovery", func() *resp { return anon.get("/connectors/names") }},
		{"", "discovery", func() *resp { return anon.get("/connectors/?modules=github") }},
		{"", "users", func() *resp { return u.post("/users", map[string]any{"identifier": "x"}) }},
		{"", "users", func() *resp { return u.get("/users/me") }},
		{"", "auth", func() *resp { return u.post("/auth/tokens", map[string]any{"identifier": "x", "secret": "y"}) }},
		{"", "integrations", func() *resp { return u.get("/connectors/google_drive/integration-exists") }},
		{"github", "integrations", func() *resp { return u.get("/connectors/github/integrations/bob-gh") }},
	}
	for _, g := range groups {
		srv.Inject(g.connector, g.action, sandbox.Fault{Status: 503, Times: 1})
		g.call().wantError(t, 503, "UPSTREAM_ERROR")
		if r := g.call(); r.status >= 500 {
			t.Fatalf("%s/%s: fault outlived Times", g.connector, g.action)
		}
	}
	srv.Inject("github", "integrations", sandbox.Fault{Status: 503})
	if d := u.get("/connectors/google_drive/integration-exists").data(t); d["has_integration"] != true {
		t.Fatal("github fault hit google_drive")
	}
	u.get("/connectors/github/integration-exists").wantError(t, 503, "UPSTREAM_ERROR")
}

func rawPost(t *testing.T, u *caller, path string, body string) (*http.Response, error) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u.base+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-API-Key", u.key)
	req.Header.Set("Authorization", "Bearer "+u.token)
	return http.DefaultClient.Do(req)
}

func TestFaultKinds(t *testing.T) {
	srv := start(t)
	u := connected(t, srv, "carol")

	t.Run("malformed JSON", func(t *testing.T) {
		srv.Inject("github", "list_pull_requests", sandbox.Fault{Kind: sandbox.FaultMalformedJSON, Times: 1})
		r := u.post("/connectors/github/list_pull_requests", prs)
		var v any
		if r.status != 200 || r.header.Get("Content-Type") != "application/json" || json.Unmarshal(r.body, &v) == nil {
			t.Fatalf("status %d, %q: %s", r.status, r.header.Get("Content-Type"), r.body)
		}
	})
	t.Run("malformed JSON with a status", func(t *testing.T) {
		srv.Inject("github", "list_pull_requests", sandbox.Fault{Kind: sandbox.FaultMalformedJSON, Status: 500, Times: 1})
		if r := u.post("/connectors/github/list_pull_requests", prs); r.status != 500 {
			t.Fatalf("status %d", r.status)
		}
	})
	t.Run("no Content-Type", func(t *testing.T) {
		srv.Inject("github", "list_pull_requests", sandbox.Fault{Kind: sandbox.FaultNoContentType, Times: 1})
		r := u.post("/connectors/github/list_pull_requests", prs)
		if _, ok := r.header["Content-Type"]; ok || r.status != 200 {
			t.Fatalf("status %d, Content-Type %q", r.status, r.header.Get("Content-Type"))
		}
		var env struct {
			Data []any          `json:"data"`
			Meta map[string]any `json:"meta"`
		}
		if err := json.Unmarshal(r.body, &env); err != nil || len(env.Data) != 30 {
			t.Fatalf("body is not the normal answer: %v", err)
		}
		srv.Inject("google_drive", "download_file", sandbox.Fault{Kind: sandbox.FaultNoContentType, Times: 1})
		d := download(t, u, "f-1k", nil)
		if _, ok := d.header["Content-Type"]; ok || !bytes.Equal(d.body, mustContent(t, "f-1k")) {
			t.Fatalf("download without Content-Type: %v, %d bytes", d.header, len(d.body))
		}
	})
	t.Run("drop connection", func(t *testing.T) {
		srv.ResetCalls()
		srv.Inject("github", "list_pull_requests", sandbox.Fault{Kind: sandbox.FaultDropConnection, Times: 1})
		res, err := rawPost(t, u, "/connectors/github/list_pull_requests", `{"owner": "acme", "repo": "web"}`)
		if err == nil {
			res.Body.Close()
			t.Fatalf("got status %d, want a transport error", res.StatusCode)
		}
		if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && !strings.Contains(err.Error(), "EOF") && !strings.Contains(err.Error(), "reset") {
			t.Fatalf("error %v", err)
		}
		if c := srv.Calls("github", "list_pull_requests"); c.Total != 1 {
			t.Fatalf("calls %+v", c)
		}
		u.post("/connectors/github/list_pull_requests", prs).list(t)
	})
	t.Run("oversized body", func(t *testing.T) {
		srv.Inject("github", "list_pull_requests", sandbox.Fault{Kind: sandbox.FaultOversizedBody, Times: 2})
		res, err := rawPost(t, u, "/connectors/github/list_pull_requests", `{"owner": "acme", "repo": "web"}`)
		if err != nil {
			t.Fatal(err)
		}
		if res.ContentLength != sandbox.OversizedBodySize || res.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("Content-Length %d", res.ContentLength)
		}
		head := make([]byte, 22)
		if _, err := io.ReadFull(res.Body, head); err != nil || string(head) != `{"data": {"padding": "` {
			t.Fatalf("head %q %v", head, err)
		}
		tail := &tailWriter{}
		n, err := io.Copy(tail, res.Body)
		res.Body.Close()
		if err != nil || n+22 != sandbox.OversizedBodySize || !bytes.HasSuffix(tail.b, []byte(`xxx"}, "meta": null}`)) {
			t.Fatalf("read %d, err %v, tail %q", n+22, err, tail.b)
		}
		// A client that gives up after 1 MiB does not hang the server.
		res, err = rawPost(t, u, "/connectors/github/list_pull_requests", `{"owner": "acme", "repo": "web"}`)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.CopyN(io.Discard, res.Body, 1<<20)
		res.Body.Close()
	})
}

// tailWriter keeps the last 64 bytes written.
type tailWriter struct{ b []byte }

func (w *tailWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	if len(w.b) > 64 {
		w.b = append([]byte(nil), w.b[len(w.b)-64:]...)
	}
	return len(p), nil
}

func TestLatencyAndCancelledCalls(t *testing.T) {
	srv := start(t)
	u := connected(t, srv, "dave")
	srv.ResetCalls()

	// Latency alone delays a normal answer.
	srv.Inject("github", "list_commits", sandbox.Fault{Latency: 150 * time.Millisecond, Times: 1})
	began := time.Now()
	u.post("/connectors/github/list_commits", prs).list(t)
	if d := time.Since(began); d < 150*time.Millisecond {
		t.Fatalf("answered after %v", d)
	}
	// Latency plus a status.
	srv.Inject("github", "list_commits", sandbox.Fault{Latency: 50 * time.Millisecond, Status: 503, Times: 1})
	u.post("/connectors/github/list_commits", prs).wantError(t, 503, "UPSTREAM_ERROR")

	// Clients that give up during the delay are counted as cancelled.
	srv.Inject("github", "list_commits", sandbox.Fault{Latency: 10 * time.Second, Times: 3})
	for i := 0; i < 3; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, u.base+"/connectors/github/list_commits", strings.NewReader(`{"owner": "acme", "repo": "web"}`))
		req.Header.Set("X-API-Key", u.key)
		req.Header.Set("Authorization", "Bearer "+u.token)
		req.Header.Set("Content-Type", "application/json")
		began := time.Now()
		res, err := http.DefaultClient.Do(req)
		cancel()
		if err == nil {
			res.Body.Close()
			t.Fatal("request with a 10 s delay succeeded")
		}
		if time.Since(began) > 5*time.Second {
			t.Fatal("cancellation not honoured")
		}
	}
	eventually(t, "3 cancelled calls", func() bool { return srv.Calls("github", "list_commits").Cancelled == 3 })
	if c := srv.Calls("github", "list_commits"); c.Total != 5 {
		t.Fatalf("calls %+v", c)
	}
	if c := srv.Calls("github", "*"); c.Total != 5 || c.Cancelled != 3 {
		t.Fatalf("connector sum %+v", c)
	}
}

func TestCallCounters(t *testing.T) {
	srv := start(t)
	u := connected(t, srv, "erin")
	srv.ResetCalls()
	u.post("/connectors/github/list_pull_requests", prs).list(t)
	u.with("", "").post("/connectors/github/list_pull_requests", prs).wantError(t, 401, "INVALID_CLIENT") // counted: before auth
	u.post("/connectors/github/list_pull_requests", map[string]any{}).wantError(t, 400, "VALIDATION_ERROR")
	u.post("/connectors/github/nope", prs).wantError(t, 404, "NOT_FOUND")                  // not counted: no route
	u.get("/connectors/github/list_pull_requests").wantError(t, 405, "METHOD_NOT_ALLOWED") // not counted
	u.with("", "").get("/connectors/names").ok(t)
	u.get("/users/me").data(t)
	u.get("/connectors/github/integration-exists").data(t)
	u.get("/connectors/google_drive/integration-exists").data(t)
	want := map[[2]string]sandbox.CallCount{
		{"github", "list_pull_requests"}: {Total: 3},
		{"github", "nope"}:               {},
		{"github", "*"}:                  {Total: 3},
		{"", "discovery"}:                {Total: 1},
		{"", "users"}:                    {Total: 1},
		{"", "integrations"}:             {Total: 2},
		{"github", "integrations"}:       {Total: 1},
	}
	for k, w := range want {
		if got := srv.Calls(k[0], k[1]); got != w {
			t.Fatalf("Calls(%q, %q) = %+v, want %+v", k[0], k[1], got, w)
		}
	}
	srv.ResetCalls()
	if got := srv.Calls("github", "list_pull_requests"); got != (sandbox.CallCount{}) {
		t.Fatalf("after reset %+v", got)
	}
}

func TestControlSurface(t *testing.T) {
	off := start(t)
	newCaller(t, off).post("/sandbox/control/faults", map[string]any{"action": "*"}).wantError(t, 404, "NOT_FOUND")

	srv := start(t, sandbox.WithControl(true))
	u := connected(t, srv, "frank")
	ctl := u.with("", "")
	srv.ResetCalls()
	ctl.post("/sandbox/control/faults", map[string]any{"connector": "github", "action": "list_pull_requests",
		"status": 429, "retry_after_seconds": 3, "times": 1}).data(t)
	ctl.post("/sandbox/control/faults", map[string]any{"connector": "github", "action": "list_pull_requests",
		"kind": "no_content_type", "latency_ms": 20, "times": 1}).data(t)
	listed := ctl.get("/sandbox/control/faults")
	faults, _ := listed.list(t)
	if len(faults) != 2 || faults[0].(map[string]any)["status"] != float64(429) || faults[1].(map[string]any)["kind"] != "no_content_type" {
		t.Fatalf("faults %s", listed.body)
	}
	r := u.post("/connectors/github/list_pull_requests", prs)
	r.wantError(t, 429, "RATE_LIMITED")
	if r.header.Get("Retry-After") != "3" {
		t.Fatalf("Retry-After %q", r.header.Get("Retry-After"))
	}
	if r := u.post("/connectors/github/list_pull_requests", prs); r.header.Get("Content-Type") != "" || r.status != 200 {
		t.Fatalf("no_content_type fault: %d %q", r.status, r.header.Get("Content-Type"))
	}
	ctl.post("/sandbox/control/faults", map[string]any{"connector": "", "action": "discovery", "kind": "drop_connection"}).data(t)
	if res, err := http.Get(srv.URL + "/connectors/names"); err == nil {
		res.Body.Close()
		t.Fatal("discovery not dropped")
	}
	ctl.do(http.MethodDelete, "/sandbox/control/faults", nil).data(t)
	ctl.get("/connectors/names").ok(t)

	one := ctl.get("/sandbox/control/calls?connector=github&action=list_pull_requests").data(t)
	if one["total"] != float64(2) || one["cancelled"] != float64(0) {
		t.Fatalf("calls %v", one)
	}
	rows, _ := ctl.get("/sandbox/control/calls").list(t)
	if len(rows) < 2 {
		t.Fatalf("rows %v", rows)
	}
	ctl.do(http.MethodDelete, "/sandbox/control/calls", nil).data(t)
	if d := ctl.get("/sandbox/control/calls?connector=github&action=list_pull_requests").data(t); d["total"] != float64(0) {
		t.Fatalf("after reset %v", d)
	}
	c := ctl.post("/sandbox/control/clients", map[string]any{"name": "tenant-b"}).data(t)
	newUser(u.with(c["api_key"].(string), ""), "someone")

	for _, bad := range []map[string]any{
		{"connector": "github", "action": "*", "kind": "explode"},
		{"connector": "github"},
		{"connector": "github", "action": "*", "status": 42},
		{"connector": "github", "action": "list_issues"},
		{"connector": "nope", "action": "*"},
		{"connector": "", "action": "*"},
		{"connector": "", "action": "tokens"},
	} {
		ctl.post("/sandbox/control/faults", bad).wantError(t, 400, "VALIDATION_ERROR")
	}
	ctl.do(http.MethodPut, "/sandbox/control/faults", nil).wantError(t, 405, "METHOD_NOT_ALLOWED")
	ctl.get("/sandbox/control/nope").wantError(t, 404, "NOT_FOUND")
	if got := srv.Calls("", "discovery"); got.Total != 0 {
		t.Fatalf("control calls counted? %+v", got)
	}
}
