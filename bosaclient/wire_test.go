package bosaclient

// Wire-level tests against httptest servers, for behaviour the sandbox cannot produce (other error body
// shapes, Retry-After dates, filename* variants, a looping pager, 201 answers). Behaviour the sandbox can
// produce is tested against it in sandbox_test.go.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"bosa.dev/gateway/schema"
	"bosa.dev/gateway/shape"
)

// stubListing is a discovery listing with one connector "demo" and a few actions.
const stubListing = `{"demo": {
  "echo": {"method": "POST", "path": "/connectors/demo/echo", "docstring": "Echo the request.\n\nMore text.",
    "parameters": {"request": {"schema": {"type": "object", "required": ["name"], "properties": {
      "name": {"type": "string"},
      "count": {"anyOf": [{"type": "integer"}, {"type": "null"}], "default": null},
      "flag": {"anyOf": [{"type": "boolean"}, {"type": "null"}], "default": null},
      "tags": {"anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "null"}], "default": null},
      "nested": {"anyOf": [{"type": "object", "properties": {"a": {"type": "integer"}}}, {"type": "null"}], "default": null},
      "cursor": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": null},
      "page": {"anyOf": [{"type": "integer"}, {"type": "null"}], "default": null},
      "response_fields": {"anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "null"}], "default": null},
      "response_filters": {"anyOf": [{"type": "array", "items": {"type": "object"}}, {"type": "null"}], "default": null}
    }}}}},
  "upload": {"method": "POST", "path": "/connectors/demo/upload", "docstring": "Upload.",
    "parameters": {"request": {"schema": {"type": "object", "required": [], "properties": {
      "folder": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": null},
      "overwrite": {"anyOf": [{"type": "boolean"}, {"type": "null"}], "default": null},
      "size": {"anyOf": [{"type": "number"}, {"type": "null"}], "default": null},
      "tags": {"anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "null"}], "default": null},
      "file": {"anyOf": [{"type": "string", "format": "binary"}, {"type": "null"}], "default": null},
      "files": {"anyOf": [{"type": "array", "items": {"type": "string", "format": "binary"}}, {"type": "null"}], "default": null}
    }}}}},
  "noschema": {"method": "POST", "path": "/connectors/demo/noschema", "docstring": "", "parameters": {}},
  "integrations": {"method": "POST", "path": "/connectors/demo/integrations", "docstring": "x", "parameters": {}},
  "integration-exists": {"method": "GET", "path": "/connectors/demo/integration-exists", "docstring": "x", "parameters": {}},
  "getter": {"method": "GET", "path": "/connectors/demo/getter", "docstring": "x", "parameters": {}},
  "broken": {"method": 5}
}}`

// stub is an httptest server serving stubListing and routing everything else to handler.
type stub struct {
	*httptest.Server
	discoveries atomic.Int64
	mu          sync.Mutex
	handler     http.HandlerFunc
	lastReq     *http.Request
	lastBody    []byte
}

func newStub(t *testing.T, h http.HandlerFunc) *stub {
	t.Helper()
	s := &stub{handler: h}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/connectors") && r.Method == http.MethodGet &&
			(r.URL.Path == "/connectors" || r.URL.Path == "/connectors/") {
			s.discoveries.Add(1)
			if r.Header.Get("X-API-Key") != "" {
				http.Error(w, "discovery must be sent without a key", http.StatusTeapot)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			if m := r.URL.Query().Get("modules"); m != "" && m != "demo" {
				_, _ = io.WriteString(w, "{}")
				return
			}
			_, _ = io.WriteString(w, stubListing)
			return
		}
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.lastReq, s.lastBody = r, body
		h := s.handler
		s.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		h(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *stub) last() (*http.Request, []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastReq, s.lastBody
}

func writeEnvelope(w http.ResponseWriter, status int, data, meta any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"data": data, "meta": meta})
}

func echoHandler(w http.ResponseWriter, r *http.Request) {
	writeEnvelope(w, 200, map[string]any{"ok": true}, nil)
}

func newTestClient(t *testing.T, url string, opts ...Option) *Client {
	t.Helper()
	c, err := New(url+"/", "sk-client-test-key-0001", opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestNewRejectsBadBaseURL(t *testing.T) {
	if _, err := New("ftp://x", "k"); err == nil {
		t.Fatal("want error for ftp scheme")
	}
	c, err := New("", "k")
	if err != nil || c.BaseURL() != DefaultBaseURL {
		t.Fatalf("default base URL: %v %q", err, c.BaseURL())
	}
	c, _ = New("http://h:1///", "k")
	if c.BaseURL() != "http://h:1" {
		t.Fatalf("trim: %q", c.BaseURL())
	}
}

func TestEncodings(t *testing.T) {
	s := newStub(t, echoHandler)
	c := newTestClient(t, s.URL)
	ctx := context.Background()

	tests := []struct {
		name     string
		action   string
		params   map[string]any
		wantType string
		check    func(t *testing.T, r *http.Request, body []byte)
	}{
		{
			name:   "json, nulls omitted, ints stay ints",
			action: "echo", params: map[string]any{"name": "x", "count": 3, "flag": nil, "tags": []string{"a", "b"}},
			wantType: "application/json",
			check: func(t *testing.T, r *http.Request, body []byte) {
				var got map[string]any
				if err := json.Unmarshal(body, &got); err != nil {
					t.Fatal(err)
				}
				if _, ok := got["flag"]; ok {
					t.Errorf("null flag was sent: %s", body)
				}
				if !strings.Contains(string(body), `"count":3`) {
					t.Errorf("count not an integer: %s", body)
				}
				if fmt.Sprint(got["tags"]) != "[a b]" {
					t.Errorf("tags: %v", got["tags"])
				}
			},
		},
		{
			name:   "urlencoded when schema has binary fields but no file",
			action: "upload", params: map[string]any{"folder": "1AbC", "overwrite": false, "tags": []any{"finance", "q3"}, "size": 2.5},
			wantType: "application/x-www-form-urlencoded",
			check: func(t *testing.T, r *http.Request, body []byte) {
				v, err := url.ParseQuery(string(body))
				if err != nil {
					t.Fatal(err)
				}
				want := url.Values{"folder": {"1AbC"}, "overwrite": {"False"}, "tags": {"finance", "q3"}, "size": {"2.5"}}
				if v.Encode() != want.Encode() {
					t.Errorf("form = %q, want %q", v.Encode(), want.Encode())
				}
			},
		},
		{
			name:   "multipart: fields first, list of files repeats the name, Python booleans",
			action: "upload",
			params: map[string]any{
				"folder": "1AbC", "overwrite": true, "size": 3,
				"file":  NewFile("q3 report.pdf", "application/pdf", []byte("%PDF-1.7")),
				"files": []File{NewFile("a.txt", "", []byte("A")), NewFile("b.txt", "text/plain", []byte("B"))},
			},
			wantType: "multipart/form-data",
			check: func(t *testing.T, r *http.Request, body []byte) {
				_, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
				mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
				var seq []string
				for {
					p, err := mr.NextPart()
					if err == io.EOF {
						break
					}
					if err != nil {
						t.Fatal(err)
					}
					b, _ := io.ReadAll(p)
					if p.FileName() != "" {
						seq = append(seq, fmt.Sprintf("%s:file:%s:%s:%s", p.FormName(), p.FileName(), p.Header.Get("Content-Type"), b))
					} else {
						seq = append(seq, fmt.Sprintf("%s=%s", p.FormName(), b))
					}
				}
				want := []string{"folder=1AbC", "overwrite=True", "size=3",
					"file:file:q3 report.pdf:application/pdf:%PDF-1.7",
					"files:file:a.txt:application/octet-stream:A", "files:file:b.txt:text/plain:B"}
				if strings.Join(seq, "|") != strings.Join(want, "|") {
					t.Errorf("parts:\n got %q\nwant %q", seq, want)
				}
			},
		},
		{
			name:   "multipart: []byte value is a file",
			action: "upload", params: map[string]any{"file": []byte{0, 1, 2}},
			wantType: "multipart/form-data",
			check: func(t *testing.T, r *http.Request, body []byte) {
				if !bytes.Contains(body, []byte("\x00\x01\x02")) || !bytes.Contains(body, []byte(`filename="file"`)) {
					t.Errorf("body: %q", body)
				}
			},
		},
		{
			name:   "filters and fields are sent as JSON",
			action: "echo",
			params: map[string]any{"name": "x", "response_fields": []string{"a.b"},
				"response_filters": []shape.Filter{shape.String("state", "open")}},
			wantType: "application/json",
			check: func(t *testing.T, r *http.Request, body []byte) {
				var got struct {
					Fields  []string         `json:"response_fields"`
					Filters []map[string]any `json:"response_filters"`
				}
				if err := json.Unmarshal(body, &got); err != nil {
					t.Fatal(err)
				}
				if len(got.Fields) != 1 || len(got.Filters) != 1 || got.Filters[0]["type"] != "string" || got.Filters[0]["field_name"] != "state" {
					t.Errorf("body: %s", body)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := c.Execute(ctx, "demo", tt.action, tt.params); err != nil {
				t.Fatal(err)
			}
			r, body := s.last()
			if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, tt.wantType) {
				t.Fatalf("Content-Type = %q, want %q", ct, tt.wantType)
			}
			tt.check(t, r, body)
		})
	}
}

func TestEncodingErrors(t *testing.T) {
	s := newStub(t, echoHandler)
	c := newTestClient(t, s.URL, WithUnknownParams(KeepUnknown))
	ctx := context.Background()
	tests := []struct {
		name   string
		action string
		params map[string]any
	}{
		{"nested object in a form", "upload", map[string]any{"extra": map[string]any{"a": 1}}},
		{"nested object in multipart", "upload", map[string]any{"file": NewFile("a", "", nil), "extra": map[string]any{"a": 1}}},
		{"unencodable value", "echo", map[string]any{"name": "x", "extra": func() {}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Execute(ctx, "demo", tt.action, tt.params)
			if !IsInvalidArgument(err) {
				t.Fatalf("err = %v, want invalid argument", err)
			}
		})
	}
}

func TestValidationBeforeHTTP(t *testing.T) {
	var calls atomic.Int64
	s := newStub(t, func(w http.ResponseWriter, r *http.Request) { calls.Add(1); echoHandler(w, r) })
	ctx := context.Background()

	c := newTestClient(t, s.URL)
	_, err := c.Execute(ctx, "demo", "echo", map[string]any{"count": "x", "bogus": 1, "nested": map[string]any{"a": "b"}})
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v, want *ValidationError", err)
	}
	var se *schema.ValidationError
	if !errors.As(err, &se) || !IsInvalidArgument(err) {
		t.Fatalf("err must be a *schema.ValidationError and invalid argument: %v", err)
	}
	fields := map[string]bool{}
	for _, v := range ve.Violations() {
		fields[v.Field] = true
	}
	for _, f := range []string{"name", "count", "bogus", "nested.a"} {
		if !fields[f] {
			t.Errorf("no violation for %q in %v", f, ve.Violations())
		}
	}
	if calls.Load() != 0 {
		t.Fatalf("an invalid call reached the server")
	}

	// Dropping unknown parameters, as the SDK does.
	c = newTestClient(t, s.URL, WithUnknownParams(DropUnknown))
	if _, err := c.Execute(ctx, "demo", "echo", map[string]any{"name": "x", "bogus": 1}); err != nil {
		t.Fatal(err)
	}
	if _, body := s.last(); strings.Contains(string(body), "bogus") {
		t.Fatalf("unknown parameter sent: %s", body)
	}

	// Lax coercion.
	c = newTestClient(t, s.URL, WithLaxValidation(true))
	if _, err := c.Execute(ctx, "demo", "echo", map[string]any{"name": "x", "count": "5", "flag": "true"}); err != nil {
		t.Fatal(err)
	}
	if _, body := s.last(); !strings.Contains(string(body), `"count":5`) || !strings.Contains(string(body), `"flag":true`) {
		t.Fatalf("lax coercion not applied: %s", body)
	}
}

func TestHeaders(t *testing.T) {
	s := newStub(t, echoHandler)
	c := newTestClient(t, s.URL, WithUserAgent("ua-test/1"))
	ctx := context.Background()
	_, err := c.Execute(ctx, "demo", "echo", map[string]any{"name": "x"},
		WithHeaders(map[string]string{"X-API-Key": "evil", "Authorization": "evil", "X-Trace": "t1"}),
		WithHeaders(map[string]string{"X-Other": "o"}),
		WithToken("tok-1"), WithIntegration("alice@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	r, _ := s.last()
	want := map[string]string{
		"X-Api-Key": "sk-client-test-key-0001", "Authorization": "Bearer tok-1", "X-Trace": "t1", "X-Other": "o",
		"X-Bosa-Integration": "alice@example.com", "X-Integration": "alice@example.com", "User-Agent": "ua-test/1",
	}
	for k, v := range want {
		if got := r.Header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if _, err := c.Execute(ctx, "demo", "echo", map[string]any{"name": "x"}, WithAPIKey("sk-client-other")); err != nil {
		t.Fatal(err)
	}
	if r, _ := s.last(); r.Header.Get("X-API-Key") != "sk-client-other" || r.Header.Get("Authorization") != "" {
		t.Errorf("override: key %q auth %q", r.Header.Get("X-API-Key"), r.Header.Get("Authorization"))
	}
	if r, _ := s.last(); r.URL.Path != "/connectors/demo/echo" {
		t.Errorf("path %q (base URL trailing slash must be trimmed)", r.URL.Path)
	}
}

func TestErrorExtraction(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		body      string
		header    map[string]string
		wantCode  string
		wantMsg   string
		wantRetry time.Duration
		is        []error
		isNot     []error
	}{
		{"canonical", 404, `{"error": {"message": "Integration x not found", "code": "INTEGRATION_NOT_FOUND"}}`, nil,
			"INTEGRATION_NOT_FOUND", "Integration x not found", 0, []error{ErrNotFound, ErrIntegrationMissing}, []error{ErrInvalidArgument}},
		{"top-level message", 400, `{"message": "bad thing"}`, nil, "", "bad thing", 0, []error{ErrInvalidArgument}, []error{ErrNotFound}},
		{"string error", 403, `{"error": "nope"}`, nil, "", "nope", 0, []error{ErrPermissionDenied}, nil},
		{"fastapi detail list", 422, `{"detail": [{"loc": ["body", "owner"], "msg": "field required", "type": "missing"}, {"msg": "x"}]}`, nil,
			"", "body.owner: field required; x", 0, []error{ErrInvalidArgument}, nil},
		{"fastapi detail string", 401, `{"detail": "Not authenticated"}`, nil, "", "Not authenticated", 0, []error{ErrUnauthenticated}, nil},
		{"status text", 502, `<html>bad gateway</html>`, nil, "", "Bad Gateway", 0, []error{ErrUnavailable}, nil},
		{"rate limited", 429, `{"error": {"message": "slow down", "code": "RATE_LIMITED"}}`, map[string]string{"Retry-After": "7"},
			"RATE_LIMITED", "slow down", 7 * time.Second, []error{ErrRateLimited}, []error{ErrUnavailable}},
		{"user exists", 400, `{"error": {"message": "User already exists", "code": "USER_ALREADY_EXISTS"}}`, nil,
			"USER_ALREADY_EXISTS", "User already exists", 0, []error{ErrAlreadyExists}, []error{ErrInvalidArgument}},
		{"integration exists", 400, `{"error": {"message": "dup", "code": "INTEGRATION_EXISTS"}}`, nil,
			"INTEGRATION_EXISTS", "dup", 0, []error{ErrAlreadyExists}, nil},
		{"conflict", 409, `{}`, nil, "", "Conflict", 0, []error{ErrAlreadyExists}, nil},
		{"top-level code", 400, `{"code": "X", "message": "m"}`, nil, "X", "m", 0, []error{ErrInvalidArgument}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStub(t, func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.body)
			})
			c := newTestClient(t, s.URL)
			_, err := c.Execute(context.Background(), "demo", "echo", map[string]any{"name": "x"})
			var ae *APIError
			if !errors.As(err, &ae) {
				t.Fatalf("err = %v, want *APIError", err)
			}
			if ae.StatusCode != tt.status || ae.Code != tt.wantCode || ae.Message != tt.wantMsg || ae.RetryAfter != tt.wantRetry {
				t.Errorf("got %d %q %q %v", ae.StatusCode, ae.Code, ae.Message, ae.RetryAfter)
			}
			if ae.Connector != "demo" || ae.Action != "echo" || string(ae.Body) != tt.body {
				t.Errorf("connector/action/body: %q %q %q", ae.Connector, ae.Action, ae.Body)
			}
			if !strings.Contains(ae.Error(), tt.wantMsg) || !strings.Contains(ae.Error(), "demo/echo") {
				t.Errorf("Error() = %q", ae.Error())
			}
			for _, e := range tt.is {
				if !errors.Is(err, e) {
					t.Errorf("errors.Is(err, %v) = false", e)
				}
			}
			for _, e := range tt.isNot {
				if errors.Is(err, e) {
					t.Errorf("errors.Is(err, %v) = true", e)
				}
			}
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0}, {"3", 3 * time.Second}, {"0.5", 500 * time.Millisecond}, {"-1", 0}, {"junk", 0},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestRetryAfterHTTPDateHonoured(t *testing.T) {
	var n atomic.Int64
	s := newStub(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			// An HTTP date has one-second resolution: ask for 2 s so that at least ~1 s remains.
			w.Header().Set("Retry-After", time.Now().Add(2*time.Second).UTC().Format(http.TimeFormat))
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(503)
			_, _ = io.WriteString(w, `{"error": {"message": "busy", "code": "UPSTREAM_ERROR", "recovery": {"retryable": true}}}`)
			return
		}
		echoHandler(w, r)
	})
	c := newTestClient(t, s.URL, WithRetry(RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond}))
	start := time.Now()
	if _, err := c.Execute(context.Background(), "demo", "echo", map[string]any{"name": "x"}); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el < 900*time.Millisecond {
		t.Fatalf("retried after %v, want Retry-After date honoured", el)
	}
}

func TestBackoffBounds(t *testing.T) {
	p := RetryPolicy{BaseDelay: 100 * time.Millisecond, MaxDelay: 400 * time.Millisecond}.withDefaults()
	for k, max := range []time.Duration{100, 200, 400, 400, 400} {
		max *= time.Millisecond
		for range 50 {
			d := p.backoff(k)
			if d < max/2 || d > max {
				t.Fatalf("backoff(%d) = %v, want in [%v, %v]", k, d, max/2, max)
			}
		}
	}
	if d := DefaultRetryPolicy(); d.MaxAttempts != 1 || d.BaseDelay <= 0 || d.MaxRetryAfter <= 0 {
		t.Fatalf("defaults: %+v", d)
	}
}

func TestFilenameFromDisposition(t *testing.T) {
	tests := []struct{ in, want string }{
		{`attachment; filename="q3-report.pdf"`, "q3-report.pdf"},
		{`attachment; filename=plain.txt`, "plain.txt"},
		{`attachment; filename="r_sum_.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf`, "résumé.pdf"},
		{`attachment; filename*=UTF-8''%E6%97%A5%E6%9C%AC.txt; filename="__.txt"`, "日本.txt"},
		{`attachment; filename*=utf-8''a%20b.txt`, "a b.txt"},
		{`attachment; filename="../../etc/passwd"`, "passwd"},
		{`attachment; filename="bad; filename*=UTF-8''x%ZZ`, "bad"},
		{`attachment; filename*=UTF-8''ok%21.txt; junk`, "ok!.txt"},
		{`attachment`, ""},
		{``, ""},
	}
	for _, tt := range tests {
		if got := filenameFromDisposition(tt.in); got != tt.want {
			t.Errorf("filenameFromDisposition(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFileAnswers(t *testing.T) {
	tests := []struct {
		name, ctype, wantType string
	}{
		{"no content type", "", "application/octet-stream"},
		{"pdf", "application/pdf", "application/pdf"},
		{"text with charset", "text/plain; charset=utf-8", "text/plain; charset=utf-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStub(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header()["Content-Type"] = nil // no sniffing
				if tt.ctype != "" {
					w.Header().Set("Content-Type", tt.ctype)
				}
				w.Header().Set("Content-Disposition", `attachment; filename="f.bin"`)
				_, _ = w.Write([]byte("payload"))
			})
			c := newTestClient(t, s.URL)
			r, err := c.Execute(context.Background(), "demo", "echo", map[string]any{"name": "x"})
			if err != nil {
				t.Fatal(err)
			}
			if r.File == nil || string(r.File.Data) != "payload" || r.File.ContentType != tt.wantType || r.File.Filename != "f.bin" {
				t.Fatalf("file: %+v", r.File)
			}
			if r.File.Header.Get("Content-Disposition") == "" || r.Data != nil || r.IsList() {
				t.Fatalf("headers/data: %+v", r)
			}
			if _, err := c.Run(context.Background(), "demo", "echo", map[string]any{"name": "x"}); !errors.Is(err, ErrNotJSON) {
				t.Fatalf("Run on a file: %v", err)
			}
		})
	}
}

func TestMalformedAnswers(t *testing.T) {
	tests := []struct{ name, body string }{
		{"truncated", `{"data": [`},
		{"data not json", `{"data": tru}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStub(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = io.WriteString(w, tt.body)
			})
			c := newTestClient(t, s.URL)
			if _, err := c.Execute(context.Background(), "demo", "echo", map[string]any{"name": "x"}); err == nil {
				t.Fatal("want decode error")
			}
		})
	}
	// A meta that is not an object is ignored rather than failing.
	s := newStub(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/vnd.api+json")
		_, _ = io.WriteString(w, `{"data": {"a": 1}, "meta": [1]}`)
	})
	r, err := newTestClient(t, s.URL).Execute(context.Background(), "demo", "echo", map[string]any{"name": "x"})
	if err != nil || r.Meta != nil || r.Data == nil {
		t.Fatalf("r=%+v err=%v", r, err)
	}
	var v struct{ A int }
	if err := r.Decode(&v); err != nil || v.A != 1 {
		t.Fatalf("Decode: %v %+v", err, v)
	}
}

// pagerHandler answers echo with a meta chosen per request.
func pagerHandler(meta func(params map[string]any) map[string]any) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var p map[string]any
		_ = json.NewDecoder(r.Body).Decode(&p)
		writeEnvelope(w, 200, []any{p}, meta(p))
	}
}

func TestPagingNeverLoops(t *testing.T) {
	tests := []struct {
		name string
		meta func(p map[string]any) map[string]any
		want error
	}{
		{"has_next without cursor or page", func(map[string]any) map[string]any { return map[string]any{"has_next": true} }, ErrNoProgress},
		{"page 0", func(map[string]any) map[string]any { return map[string]any{"has_next": true, "page": 0} }, ErrNoProgress},
		{"same cursor forever", func(map[string]any) map[string]any {
			return map[string]any{"has_next": true, "forwards_cursor": "c1"}
		}, ErrNoProgress},
		{"server ignores page", func(map[string]any) map[string]any { return map[string]any{"has_next": true, "page": 1} }, ErrNoProgress},
		{"cursor cycle", func(p map[string]any) map[string]any {
			next := map[any]string{nil: "a", "a": "b", "b": "a"}[p["cursor"]]
			return map[string]any{"has_next": true, "forwards_cursor": next}
		}, ErrNoProgress},
		{"endless pages hit the bound", func(p map[string]any) map[string]any {
			n, _ := p["page"].(float64)
			return map[string]any{"has_next": true, "page": max(n, 1)}
		}, ErrTooManyPages},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStub(t, pagerHandler(tt.meta))
			c := newTestClient(t, s.URL, WithMaxPages(5))
			ctx := context.Background()
			r, err := c.Run(ctx, "demo", "echo", map[string]any{"name": "x"})
			if err != nil {
				t.Fatal(err)
			}
			items, err := r.AllItems(ctx)
			if !errors.Is(err, tt.want) {
				t.Fatalf("AllItems err = %v, want %v", err, tt.want)
			}
			if len(items) == 0 || len(items) > 5 {
				t.Fatalf("items %d", len(items))
			}
		})
	}
	s := newStub(t, pagerHandler(func(map[string]any) map[string]any { return map[string]any{"has_next": true} }))
	c := newTestClient(t, s.URL)
	r, err := c.Run(context.Background(), "demo", "echo", map[string]any{"name": "x"})
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := r.NextParams(); ok || p != nil {
		t.Fatalf("NextParams = %v %v", p, ok)
	}
	if _, err := r.NextPage(context.Background()); !errors.Is(err, ErrNoProgress) {
		t.Fatalf("NextPage err = %v", err)
	}
	if _, err := r.PrevPage(context.Background()); !errors.Is(err, ErrNoPage) {
		t.Fatalf("PrevPage err = %v", err)
	}
}

func TestPageParams(t *testing.T) {
	base := map[string]any{"folder_id": "1AbCdEfGh", "page": float64(1)}
	tests := []struct {
		name       string
		data       any
		meta       map[string]any
		next, prev map[string]any
	}{
		{"cursor", []any{1}, map[string]any{"has_next": true, "has_prev": true, "forwards_cursor": "F", "backwards_cursor": "B"},
			map[string]any{"folder_id": "1AbCdEfGh", "page": float64(1), "cursor": "F"},
			map[string]any{"folder_id": "1AbCdEfGh", "page": float64(1), "cursor": "B"}},
		{"page", []any{1}, map[string]any{"has_next": true, "has_prev": true, "page": float64(3)},
			map[string]any{"folder_id": "1AbCdEfGh", "page": float64(4)},
			map[string]any{"folder_id": "1AbCdEfGh", "page": float64(2)}},
		{"json.Number page", []any{1}, map[string]any{"has_next": true, "page": json.Number("2")},
			map[string]any{"folder_id": "1AbCdEfGh", "page": float64(3)}, nil},
		{"object data never pages", map[string]any{}, map[string]any{"has_next": true, "page": float64(3)}, nil, nil},
		{"no flags", []any{}, map[string]any{"page": float64(3)}, nil, nil},
		{"prev before page 1", []any{1}, map[string]any{"has_prev": true, "page": float64(1)}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &ActionResponse{Data: tt.data, Meta: tt.meta, params: base}
			next, ok := r.NextParams()
			if fmt.Sprint(next) != fmt.Sprint(tt.next) || ok != (tt.next != nil) {
				t.Errorf("next = %v %v, want %v", next, ok, tt.next)
			}
			prev, ok := r.PrevParams()
			if fmt.Sprint(prev) != fmt.Sprint(tt.prev) || ok != (tt.prev != nil) {
				t.Errorf("prev = %v %v, want %v", prev, ok, tt.prev)
			}
			if base["cursor"] != nil || base["page"] != float64(1) {
				t.Fatal("params of the response were modified")
			}
		})
	}
	if _, err := (&ActionResponse{Data: []any{}, Meta: map[string]any{"has_next": true, "page": float64(1)}}).NextPage(context.Background()); !errors.Is(err, ErrNoPage) {
		t.Errorf("a response without client: %v", err)
	}
	if _, err := (&ActionResponse{Data: map[string]any{}}).AllItems(context.Background()); err == nil {
		t.Errorf("AllItems on object data: want error")
	}
}

func TestManagementCalls(t *testing.T) {
	s := newStub(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/users": // 201 must be accepted
			writeEnvelope(w, 201, map[string]any{"id": "u1", "identifier": "alice", "secret": "sk-user-x"}, nil)
		case r.URL.Path == "/auth/tokens":
			writeEnvelope(w, 200, map[string]any{"token": "t", "token_type": "Bearer", "expires_at": "2025-09-02T08:00:00.418273",
				"is_revoked": false, "user_id": "u1", "client_id": "c1"}, nil)
		case strings.HasSuffix(r.URL.Path, "/integrations/gone"):
			writeEnvelope(w, 200, map[string]any{"success": false, "error": "Integration gone not found"}, nil)
		case strings.HasSuffix(r.URL.Path, "/integrations/msg"):
			writeEnvelope(w, 200, map[string]any{"success": false, "message": "nope"}, nil)
		case strings.HasSuffix(r.URL.Path, "/integrations/bare"):
			writeEnvelope(w, 200, map[string]any{"success": false}, nil)
		case strings.HasSuffix(r.URL.Path, "/integrations"):
			writeEnvelope(w, 200, map[string]any{}, nil)
		case r.URL.Path == "/users/me":
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"data": null, "meta": null}`)
		default:
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"data": [`)
		}
	})
	c := newTestClient(t, s.URL)
	ctx := context.Background()
	u, err := c.CreateUser(ctx, "alice")
	if err != nil || u.ID != "u1" {
		t.Fatalf("CreateUser with 201: %v %+v", err, u)
	}
	tok, err := c.Authenticate(ctx, "alice", "sk-user-x")
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2025, 9, 2, 8, 0, 0, 418273000, time.UTC)
	if !tok.ExpiresAt.Equal(want) || tok.ExpiresAt.Location() != time.UTC {
		t.Fatalf("ExpiresAt = %v, want %v", tok.ExpiresAt, want)
	}
	if !tok.Expired(want) || tok.Expired(want.Add(-time.Second)) {
		t.Fatal("Expired")
	}
	for uid, msg := range map[string]string{"gone": "Integration gone not found", "msg": "nope", "bare": "operation failed"} {
		err = c.RemoveIntegration(ctx, "demo", uid)
		var ae *APIError
		if !errors.As(err, &ae) || ae.StatusCode != 200 || ae.Message != msg {
			t.Fatalf("success:false %s: %v", uid, err)
		}
	}
	if _, err := c.InitiateIntegration(ctx, "demo", "https://cb"); err == nil {
		t.Fatal("initiate without url: want error")
	}
	if _, err := c.CurrentUser(ctx); err == nil {
		t.Fatal("null data: want error")
	}
	if _, err := c.HasIntegration(ctx, "demo"); err == nil {
		t.Fatal("malformed body: want error")
	}
}

func TestParseTimestamp(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2025-09-02T08:00:00.418273", time.Date(2025, 9, 2, 8, 0, 0, 418273000, time.UTC), true},
		{"2025-09-02T08:00:00", time.Date(2025, 9, 2, 8, 0, 0, 0, time.UTC), true},
		{"2025-09-02 08:00:00.5", time.Date(2025, 9, 2, 8, 0, 0, 500000000, time.UTC), true},
		{"2025-09-02T10:00:00+02:00", time.Date(2025, 9, 2, 8, 0, 0, 0, time.UTC), true},
		{"", time.Time{}, true},
		{"yesterday", time.Time{}, false},
	}
	for _, tt := range tests {
		got, err := parseTimestamp(tt.in)
		if (err == nil) != tt.ok || !got.Equal(tt.want) {
			t.Errorf("parseTimestamp(%q) = %v, %v", tt.in, got, err)
		}
	}
	var tok Token
	if err := json.Unmarshal([]byte(`{"expires_at": "soon"}`), &tok); err == nil {
		t.Error("bad expires_at: want error")
	}
}

func TestDiscoveryParsing(t *testing.T) {
	s := newStub(t, echoHandler)
	var logs bytes.Buffer
	c := newTestClient(t, s.URL, WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	ctx := context.Background()
	cn, err := c.Connector(ctx, "demo")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(cn.ActionNames(), ","); got != "echo,noschema,upload" {
		t.Fatalf("actions = %s (integration routes, GET routes and broken entries must be skipped)", got)
	}
	if !strings.Contains(logs.String(), "broken") {
		t.Errorf("broken entry not logged: %s", logs.String())
	}
	a := cn.Action("echo")
	if a.Summary != "Echo the request." || a.Path != "/connectors/demo/echo" || a.Method != "POST" || a.Connector != "demo" {
		t.Fatalf("action: %+v", a)
	}
	req := map[string]bool{}
	for _, p := range a.Parameters {
		req[p.Name] = p.Required
	}
	if !req["name"] || req["count"] || len(req) != 9 {
		t.Fatalf("parameters: %v", req)
	}
	if ns := cn.Action("noschema"); ns == nil || ns.Schema == nil || len(ns.Parameters) != 0 {
		t.Fatalf("noschema: %+v", ns)
	}
	if cn.Action("nope") != nil {
		t.Fatal("unknown action found")
	}
	if _, err := c.Connector(ctx, "nope"); !IsNotFound(err) {
		t.Fatalf("unknown connector: %v", err)
	}
	if _, err := c.Action(ctx, "demo", "nope"); !IsNotFound(err) {
		t.Fatalf("unknown action: %v", err)
	}
	if _, err := c.Execute(ctx, "demo", "nope", nil); !IsNotFound(err) {
		t.Fatalf("execute unknown action: %v", err)
	}
	params, err := c.ActionParameters(ctx, "demo", "upload")
	if err != nil || len(params) != 6 {
		t.Fatalf("ActionParameters: %v %d", err, len(params))
	}
	if _, err := c.ActionParameters(ctx, "nope", "x"); !IsNotFound(err) {
		t.Fatal(err)
	}
	if _, err := c.Actions(ctx, "nope"); !IsNotFound(err) {
		t.Fatal(err)
	}
}

func TestDiscoveryFailures(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		is      error
	}{
		{"500", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", 500) }, ErrUnavailable},
		{"not json", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "[1, 2") }, nil},
		{"schema not an object", func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, `{"x": {"a": {"method": "POST", "path": "/connectors/x/a", "docstring": "",
				"parameters": {"request": {"schema": 5}}}}}`)
		}, ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.handler)
			defer srv.Close()
			c := newTestClient(t, srv.URL)
			_, err := c.Action(context.Background(), "x", "a")
			if err == nil || (tt.is != nil && !errors.Is(err, tt.is)) {
				t.Fatalf("err = %v, want %v", err, tt.is)
			}
			if _, err := c.ConnectorNames(context.Background()); err == nil {
				t.Fatal("names: want error")
			}
			if _, err := c.Connectors(context.Background()); err == nil && tt.is != ErrNotFound {
				t.Fatal("listing: want error")
			}
		})
	}
}

func TestResponseTooLarge(t *testing.T) {
	big := strings.Repeat("x", 2000)
	s := newStub(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Chunked") != "" {
			w.Header().Set("Content-Type", "application/octet-stream")
			w.WriteHeader(200)
			_, _ = io.WriteString(w, big)
			w.(http.Flusher).Flush()
			_, _ = io.WriteString(w, big)
			return
		}
		writeEnvelope(w, 200, map[string]any{"big": big}, nil)
	})
	c := newTestClient(t, s.URL, WithMaxResponseBytes(1000))
	for _, h := range []map[string]string{nil, {"X-Chunked": "1"}} {
		_, err := c.Execute(context.Background(), "demo", "echo", map[string]any{"name": "x"}, WithHeaders(h))
		if !errors.Is(err, ErrResponseTooLarge) {
			t.Fatalf("err = %v", err)
		}
	}
}

func TestNetworkErrorClassification(t *testing.T) {
	s := newStub(t, echoHandler)
	c := newTestClient(t, s.URL)
	if _, err := c.Connector(context.Background(), "demo"); err != nil {
		t.Fatal(err)
	}
	// The per-attempt timeout is a network error, distinct from the caller's context.
	s.mu.Lock()
	s.handler = func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}
	s.mu.Unlock()
	_, err := c.Execute(context.Background(), "demo", "echo", map[string]any{"name": "x"}, WithCallTimeout(50*time.Millisecond))
	var ne *NetworkError
	if !errors.As(err, &ne) || !IsUnavailable(err) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("attempt timeout: %v", err)
	}
	if strings.Contains(err.Error(), s.URL) {
		t.Errorf("error carries the base URL: %v", err)
	}
	// A closed server: connection refused.
	s.Close()
	_, err = c.Execute(context.Background(), "demo", "echo", map[string]any{"name": "x"})
	if !errors.As(err, &ne) || !IsUnavailable(err) {
		t.Fatalf("refused: %v", err)
	}
}

func TestDiscoveryNegativeCacheAndRetry(t *testing.T) {
	s := newStub(t, echoHandler)
	c := newTestClient(t, s.URL, WithDiscoveryTTL(time.Hour))
	ctx := context.Background()
	if _, err := c.Connectors(ctx); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := c.Connector(ctx, "nope"); !IsNotFound(err) {
			t.Fatalf("unknown connector: %v", err)
		}
	}
	if n := s.discoveries.Load(); n != 1 {
		t.Fatalf("discovery fetched %d times, want 1 (the fresh listing answers unknown names)", n)
	}

	// Discovery is retried per the client's policy, when the server says a retry can succeed.
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if n.Add(1) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, `{"error": {"message": "busy", "recovery": {"retryable": true, "retry_after_seconds": 0}}}`)
			return
		}
		_, _ = io.WriteString(w, `["a"]`)
	}))
	defer srv.Close()
	c = newTestClient(t, srv.URL, WithRetry(RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond}))
	if names, err := c.ConnectorNames(ctx); err != nil || len(names) != 1 || n.Load() != 2 {
		t.Fatalf("names = %v, %v after %d calls", names, err, n.Load())
	}
}

func TestTokenJSONRoundTrip(t *testing.T) {
	in := Token{Token: "t", TokenType: "Bearer", ExpiresAt: time.Date(2025, 9, 2, 8, 0, 0, 418273000, time.UTC), UserID: "u", ClientID: "c"}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out Token
	if err := json.Unmarshal(b, &out); err != nil || out != in {
		t.Fatalf("round trip: %+v %v (%s)", out, err, b)
	}
}

func TestPagesWithoutClient(t *testing.T) {
	r := &ActionResponse{Data: []any{1}, Meta: map[string]any{"has_next": true, "page": float64(1)}}
	var errs []error
	for _, err := range r.Pages(context.Background()) {
		errs = append(errs, err)
	}
	if len(errs) != 2 || errs[0] != nil || !errors.Is(errs[1], ErrNoPage) {
		t.Fatalf("errs = %v", errs)
	}
}

func TestPageParamsReasons(t *testing.T) {
	tests := []struct {
		meta    map[string]any
		forward bool
		want    error
	}{
		{map[string]any{"has_next": false}, true, ErrNoPage},
		{map[string]any{"has_next": true}, true, ErrNoProgress},
		{map[string]any{"has_prev": true, "backwards_cursor": "b"}, false, nil},
	}
	for _, tt := range tests {
		r := &ActionResponse{Data: []any{}, Meta: tt.meta}
		p, err := r.PageParams(tt.forward)
		if !errors.Is(err, tt.want) || (err == nil) != (p != nil) {
			t.Errorf("PageParams(%v) on %v = %v, %v", tt.forward, tt.meta, p, err)
		}
	}
}
