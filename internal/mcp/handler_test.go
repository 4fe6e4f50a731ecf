// Tests of the handler alone, with stand-ins for discovery and the services.

package mcp

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"bosa.dev/gateway/bosaclient"
	bosav1 "bosa.dev/gateway/gen/bosa/v1"
	"bosa.dev/gateway/schema"
)

// users answers GetCurrentUser for any token; tool calls are not made here.
type users struct{ grpc.ClientConnInterface }

func (users) Invoke(_ context.Context, method string, _, reply any, _ ...grpc.CallOption) error {
	reply.(*bosav1.User).Id = "u1"
	return nil
}

// discovery stands in for the discovery cache: each refresh hands out new values.
type discovery struct {
	mu    sync.Mutex
	conns []*bosaclient.Connector
	err   error // returned instead, when set
}

func (d *discovery) fail(err error) {
	d.mu.Lock()
	d.err = err
	d.mu.Unlock()
}

func (d *discovery) set(actions map[string]string) {
	c := &bosaclient.Connector{Name: "demo"}
	for name, doc := range actions {
		c.Actions = append(c.Actions, &bosaclient.Action{Connector: "demo", Name: name, Docstring: doc,
			Schema: &schema.Schema{Type: "object", Properties: map[string]*schema.Schema{"q": {Type: "string"}}}})
	}
	d.mu.Lock()
	d.conns = []*bosaclient.Connector{c}
	d.mu.Unlock()
}

func (d *discovery) all(context.Context) ([]*bosaclient.Connector, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.conns, d.err
}

func (d *discovery) one(_ context.Context, name string) (*bosaclient.Connector, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.err != nil {
		return nil, d.err
	}
	for _, c := range d.conns {
		if c.Name == name {
			return c, nil
		}
	}
	return nil, bosaclient.ErrNotFound
}

// TestToolsFollowDiscovery: when discovery changes, the next request sees the new tools and open
// sessions get notifications/tools/list_changed.
func TestToolsFollowDiscovery(t *testing.T) {
	// The current revision (subscriptions/listen) and the last with sessions (the GET stream).
	for _, rev := range []string{"2026-07-28", "2025-11-25"} {
		t.Run(rev, func(t *testing.T) { toolsFollowDiscovery(t, rev) })
	}
}

func toolsFollowDiscovery(t *testing.T, revision string) {
	d := &discovery{}
	d.set(map[string]string{"list-things": "List things.", "get_thing": "Get a thing."})
	h := New(Config{Conn: users{}, Connectors: d.all, Connector: d.one, Logger: quiet})
	mux := http.NewServeMux()
	h.Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	changed := make(chan struct{}, 10)
	client := sdk.NewClient(&sdk.Implementation{Name: "refresh-test", Version: "1"}, &sdk.ClientOptions{
		ToolListChangedHandler: func(context.Context, *sdk.ToolListChangedRequest) { changed <- struct{}{} },
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	hc := &http.Client{Transport: withToken}
	cs, err := client.Connect(ctx, &sdk.StreamableClientTransport{Endpoint: srv.URL + "/mcp/demo", HTTPClient: hc},
		&sdk.ClientSessionOptions{ProtocolVersion: revision})
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	if got := cs.InitializeResult().ProtocolVersion; got != revision {
		t.Fatalf("negotiated %s, want %s", got, revision)
	}

	list := func() map[string]string {
		t.Helper()
		res, err := cs.ListTools(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, tool := range res.Tools {
			out[tool.Name] = tool.Description
		}
		return out
	}
	names := func(m map[string]string) []string {
		var n []string
		for k := range m {
			n = append(n, k)
		}
		slices.Sort(n)
		return n
	}
	if got := names(list()); !slices.Equal(got, []string{"demo_get_thing_tool", "demo_list_things_tool"}) {
		t.Fatalf("tools %v", got)
	}

	d.set(map[string]string{"get_thing": "Get one thing.", "put-thing": "Store a thing."})
	got := list()
	if n := names(got); !slices.Equal(n, []string{"demo_get_thing_tool", "demo_put_thing_tool"}) {
		t.Errorf("after the refresh: tools %v", n)
	}
	if got["demo_get_thing_tool"] != "Get one thing." {
		t.Errorf("a changed docstring was not picked up: %q", got["demo_get_thing_tool"])
	}
	select {
	case <-changed:
	case <-ctx.Done():
		t.Error("no notifications/tools/list_changed after the refresh")
	}
}

// TestDiscoveryDown: before discovery ever answered, MCP requests get 503 with Retry-After; once
// tools were listed, a failing refresh keeps serving them.
func TestDiscoveryDown(t *testing.T) {
	d := &discovery{}
	d.fail(errors.New("upstream down"))
	h := New(Config{Conn: users{}, Connectors: d.all, Connector: d.one, Logger: quiet})
	mux := http.NewServeMux()
	h.Register(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
	req.Header.Set("Authorization", "Bearer t")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("discovery down: %d (Retry-After %q), want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	d.fail(nil)
	d.set(map[string]string{"get_thing": "Get a thing."})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cs, err := sdk.NewClient(&sdk.Implementation{Name: "down-test", Version: "1"}, nil).Connect(ctx,
		&sdk.StreamableClientTransport{Endpoint: srv.URL + "/mcp", HTTPClient: &http.Client{Transport: withToken}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	for _, state := range []string{"up", "down again"} {
		res, err := cs.ListTools(ctx, nil)
		if err != nil || len(res.Tools) != 1 || res.Tools[0].Name != "demo_get_thing_tool" {
			t.Errorf("discovery %s: %v %v, want the tool listed", state, res, err)
		}
		d.fail(errors.New("upstream down"))
	}
}

// withToken sends a bearer token (users accepts any).
var withToken = roundTrip(func(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer t")
	return http.DefaultTransport.RoundTrip(r)
})

type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// failingUsers answers GetCurrentUser with an error.
type failingUsers struct {
	grpc.ClientConnInterface
	err error
}

func (f failingUsers) Invoke(context.Context, string, any, any, ...grpc.CallOption) error {
	return f.err
}

// TestVerificationFailures: how the answer of BOSA's token check becomes the HTTP answer.
func TestVerificationFailures(t *testing.T) {
	d := &discovery{}
	d.set(map[string]string{"get_thing": "Get a thing."})
	for _, tc := range []struct {
		code       codes.Code
		status     int
		challenge  bool // WWW-Authenticate
		retryAfter bool
	}{
		{codes.Unauthenticated, http.StatusUnauthorized, true, false},
		{codes.PermissionDenied, http.StatusUnauthorized, true, false},
		{codes.ResourceExhausted, http.StatusTooManyRequests, false, true}, // from its RetryInfo
		{codes.Unavailable, http.StatusServiceUnavailable, false, true},
		{codes.DeadlineExceeded, http.StatusServiceUnavailable, false, true},
	} {
		t.Run(tc.code.String(), func(t *testing.T) {
			st := status.New(tc.code, "from BOSA")
			if tc.code == codes.ResourceExhausted {
				st, _ = st.WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(1500 * time.Millisecond)})
			}
			h := New(Config{Conn: failingUsers{err: st.Err()}, Connectors: d.all, Connector: d.one, Logger: quiet})
			mux := http.NewServeMux()
			h.Register(mux)
			srv := httptest.NewServer(mux)
			defer srv.Close()
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/mcp", strings.NewReader(`{}`))
			req.Header.Set("Authorization", "Bearer t")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status || !strings.Contains(string(body), "from BOSA") {
				t.Errorf("%d %q, want %d with BOSA's message", resp.StatusCode, body, tc.status)
			}
			if got := resp.Header.Get("WWW-Authenticate") != ""; got != tc.challenge {
				t.Errorf("WWW-Authenticate present: %v, want %v", got, tc.challenge)
			}
			if got := resp.Header.Get("Retry-After") != ""; got != tc.retryAfter {
				t.Errorf("Retry-After present: %v, want %v", got, tc.retryAfter)
			}
			if tc.code == codes.ResourceExhausted && resp.Header.Get("Retry-After") != "2" {
				t.Errorf("Retry-After %q, want the RetryInfo's 1.5 s rounded up: 2", resp.Header.Get("Retry-After"))
			}
		})
	}
}
