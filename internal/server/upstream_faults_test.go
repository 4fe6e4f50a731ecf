package server_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"

	bosav1 "bosa.dev/gateway/gen/bosa/v1"
	"bosa.dev/gateway/internal/server"
	"bosa.dev/gateway/sandbox"
)

// Tests of the gateway's behaviour when BOSA misbehaves, driven by the sandbox's fault injection,
// over real gRPC and HTTP sockets. docs/reliability.md lists which guarantee each test proves.

// getRepository calls github/get_repository with max_attempts attempts.
func getRepository(ctx context.Context, conn *grpc.ClientConn, md metadata.MD, attempts int32) (*bosav1.ExecuteActionResponse, error) {
	return bosav1.NewActionServiceClient(conn).ExecuteAction(metadata.NewOutgoingContext(ctx, md), &bosav1.ExecuteActionRequest{
		Connector: "github", Action: "get_repository", Input: mustStruct(repo), MaxAttempts: attempts,
	})
}

// wantStatus fails unless err has the code and ErrorInfo reason.
func wantStatus(t *testing.T, err error, code codes.Code, reason string) *status.Status {
	t.Helper()
	st := status.Convert(err)
	if st.Code() != code {
		t.Fatalf("code %v (%v), want %v", st.Code(), err, code)
	}
	if reason != "" && reasonOf(st) != reason {
		t.Fatalf("reason %q (%v), want %s", reasonOf(st), err, reason)
	}
	return st
}

// TestUpstreamRetryAfter: a 429's Retry-After is honoured when the caller asked for retries,
// capped by MaxRetryAfter, and never waited beyond the caller's deadline.
func TestUpstreamRetryAfter(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name          string
		maxRetryAfter time.Duration
		retryAfter    time.Duration
		attempts      int32
		deadline      time.Duration
		wantCode      codes.Code
		wantCalls     int
		minDur        time.Duration
		maxDur        time.Duration
	}{
		{name: "honoured", retryAfter: time.Second, attempts: 2, deadline: 20 * time.Second,
			wantCode: codes.OK, wantCalls: 2, minDur: time.Second, maxDur: 5 * time.Second},
		{name: "capped", maxRetryAfter: 300 * time.Millisecond, retryAfter: 30 * time.Second, attempts: 2, deadline: 20 * time.Second,
			wantCode: codes.OK, wantCalls: 2, minDur: 300 * time.Millisecond, maxDur: 4 * time.Second},
		// Waiting would have ended in DEADLINE_EXCEEDED at 2 s: the 429 comes back at once instead.
		{name: "never beyond the deadline", retryAfter: 5 * time.Second, attempts: 3, deadline: 2 * time.Second,
			wantCode: codes.ResourceExhausted, wantCalls: 1, maxDur: 1900 * time.Millisecond},
		{name: "no retry unless asked", retryAfter: time.Second, attempts: 1, deadline: 20 * time.Second,
			wantCode: codes.ResourceExhausted, wantCalls: 1, maxDur: 5 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := startEnv(t, func(c *server.Config) { c.MaxRetryAfter = tc.maxRetryAfter })
			md := userWithGitHub(t, e.conn, "ra")
			e.sb.Inject("github", "get_repository", sandbox.Fault{Status: 429, RetryAfter: tc.retryAfter, Times: 1})
			before := e.sb.Calls("github", "get_repository").Total
			ctx, cancel := context.WithTimeout(context.Background(), tc.deadline)
			defer cancel()
			start := time.Now()
			_, err := getRepository(ctx, e.conn, md, tc.attempts)
			took := time.Since(start)
			st := status.Convert(err)
			if st.Code() != tc.wantCode {
				t.Fatalf("code %v (%v), want %v", st.Code(), err, tc.wantCode)
			}
			if calls := e.sb.Calls("github", "get_repository").Total - before; calls != tc.wantCalls {
				t.Errorf("%d upstream calls, want %d", calls, tc.wantCalls)
			}
			if took < tc.minDur || took > tc.maxDur {
				t.Errorf("call took %v, want between %v and %v", took, tc.minDur, tc.maxDur)
			}
			if tc.wantCode == codes.ResourceExhausted {
				ri := detail[*errdetails.RetryInfo](st)
				if reasonOf(st) != "RATE_LIMITED" || ri.GetRetryDelay().AsDuration() != tc.retryAfter {
					t.Errorf("reason %q RetryInfo %v, want RATE_LIMITED and the upstream's %v", reasonOf(st), ri, tc.retryAfter)
				}
			}
		})
	}
}

// TestUpstream5xxAttempts: 5xx answers are retried exactly max_attempts times when the caller
// opted in, and never repeated when it did not (no duplicate POST).
func TestUpstream5xxAttempts(t *testing.T) {
	t.Parallel()
	e := startEnv(t, func(c *server.Config) { c.RetryBaseDelay = 5 * time.Millisecond })
	md := userWithGitHub(t, e.conn, "fivexx")
	for _, tc := range []struct {
		name      string
		status    int
		failures  int
		attempts  int32
		wantCode  codes.Code
		wantCalls int
	}{
		{"one 503, retries off (default)", 503, 1, 0, codes.Unavailable, 1},
		{"two 503, retries off", 503, 2, 1, codes.Unavailable, 1},
		{"two 503, three attempts", 503, 2, 3, codes.OK, 3},
		{"three 500, three attempts", 500, 3, 3, codes.Unavailable, 3},
		{"one 502, two attempts", 502, 1, 2, codes.OK, 2},
		{"one 504, five attempts", 504, 1, 5, codes.OK, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Cleanup(e.sb.ClearFaults)
			e.sb.Inject("github", "get_repository", sandbox.Fault{Status: tc.status, Times: tc.failures})
			before := e.sb.Calls("github", "get_repository").Total
			_, err := getRepository(context.Background(), e.conn, md, tc.attempts)
			if got := status.Code(err); got != tc.wantCode {
				t.Fatalf("code %v (%v), want %v", got, err, tc.wantCode)
			}
			if calls := e.sb.Calls("github", "get_repository").Total - before; calls != tc.wantCalls {
				t.Errorf("%d upstream calls, want %d", calls, tc.wantCalls)
			}
		})
	}
	t.Run("management POST is sent once", func(t *testing.T) {
		t.Cleanup(e.sb.ClearFaults)
		e.sb.Inject("", "users", sandbox.Fault{Status: 503, Times: 1})
		before := e.sb.Calls("", "users").Total
		_, err := bosav1.NewUserServiceClient(e.conn).CreateUser(context.Background(), &bosav1.CreateUserRequest{Identifier: "once"})
		wantStatus(t, err, codes.Unavailable, "UPSTREAM_UNAVAILABLE")
		if calls := e.sb.Calls("", "users").Total - before; calls != 1 {
			t.Errorf("%d upstream calls, want 1", calls)
		}
	})
}

// TestUpstreamDown: an unreachable BOSA is UNAVAILABLE. The gateway's health reflects the gateway
// only (decision, see docs/reliability.md): it stays SERVING, so that replicas are not all pulled
// from the load balancer for an upstream outage they cannot fix.
func TestUpstreamDown(t *testing.T) {
	t.Parallel()
	e := startEnv(t)
	md := userWithGitHub(t, e.conn, "down")
	if _, err := getRepository(context.Background(), e.conn, md, 1); err != nil {
		t.Fatal(err)
	}
	e.upstream.Close() // BOSA goes away
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for name, call := range map[string]func() error{
		"ExecuteAction": func() error { _, err := getRepository(ctx, e.conn, md, 2); return err },
		"GetCurrentUser": func() error {
			_, err := bosav1.NewUserServiceClient(e.conn).GetCurrentUser(metadata.NewOutgoingContext(ctx, md), &bosav1.GetCurrentUserRequest{})
			return err
		},
	} {
		st := wantStatus(t, call(), codes.Unavailable, "UPSTREAM_UNAVAILABLE")
		if !strings.Contains(st.Message(), "unreachable") {
			t.Errorf("%s: message %q does not say BOSA is unreachable", name, st.Message())
		}
	}
	resp, err := healthpb.NewHealthClient(e.conn).Check(ctx, &healthpb.HealthCheckRequest{})
	if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Errorf("health while BOSA is down: %v %v, want SERVING", resp, err)
	}

	// A gateway that starts while BOSA is down serves, and answers discovery with UNAVAILABLE.
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + lis.Addr().String()
	lis.Close()
	e2 := startEnv(t, func(c *server.Config) { c.UpstreamURL = dead })
	_, err = bosav1.NewConnectorServiceClient(e2.conn).ListConnectors(ctx, &bosav1.ListConnectorsRequest{})
	wantStatus(t, err, codes.Unavailable, "UPSTREAM_UNAVAILABLE")
	hr, err := http.Get(e2.httpBase + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	hr.Body.Close()
	if hr.StatusCode != http.StatusOK {
		t.Errorf("/healthz with BOSA down: HTTP %d, want 200", hr.StatusCode)
	}
}

// TestUpstreamSlowerThanDeadline: a BOSA slower than the caller's deadline gives
// DEADLINE_EXCEEDED, and the upstream request is cancelled (the sandbox sees the cancellation), for
// unary calls and for streams, over gRPC and REST.
func TestUpstreamSlowerThanDeadline(t *testing.T) {
	t.Parallel()
	e := startEnv(t)
	md := userWithGitHub(t, e.conn, "slow")
	for _, face := range []string{"grpc", "rest"} {
		var tr transport = grpcTransport{conn: e.conn}
		if face == "rest" {
			tr = restTransport{base: e.httpBase, hc: &http.Client{}}
		}
		for _, action := range []string{"get_repository", "list_commits"} {
			t.Run(face+"/"+action, func(t *testing.T) {
				t.Cleanup(e.sb.ClearFaults)
				e.sb.Inject("github", action, sandbox.Fault{Latency: 5 * time.Second, Times: 1})
				before := e.sb.Calls("github", action)
				// The gateway answers a tenth of the time left before the deadline (at most 200 ms),
				// so that its DEADLINE_EXCEEDED, with ErrorInfo, beats the caller's own timer.
				ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
				defer cancel()
				start := time.Now()
				var err error
				if action == "get_repository" {
					err = tr.call(ctx, md, "/bosa.v1.ActionService/ExecuteAction",
						&bosav1.ExecuteActionRequest{Connector: "github", Action: action, Input: mustStruct(repo)}, &bosav1.ExecuteActionResponse{})
				} else {
					_, err = tr.paginate(ctx, md, &bosav1.PaginateRequest{Connector: "github", Action: action, Input: mustStruct(repo)})
				}
				wantStatus(t, err, codes.DeadlineExceeded, "DEADLINE_EXCEEDED")
				if took := time.Since(start); took > 4*time.Second {
					t.Errorf("answer took %v", took)
				}
				waitFor(t, 3*time.Second, "the upstream request to be cancelled", func() bool {
					c := e.sb.Calls("github", action)
					return c.Total == before.Total+1 && c.Cancelled == before.Cancelled+1
				})
			})
		}
	}
}

// TestUpstreamMalformedAnswers: malformed JSON, a missing Content-Type and an oversized body give
// a clear status (no crash, no retry of a 2xx), and the gateway keeps serving.
func TestUpstreamMalformedAnswers(t *testing.T) {
	t.Parallel()
	e := startEnv(t, func(c *server.Config) { c.MaxMessageBytes = 4 << 20 })
	md := userWithGitHub(t, e.conn, "garbled")
	ctx := metadata.NewOutgoingContext(context.Background(), md)
	actions := bosav1.NewActionServiceClient(e.conn)
	t.Run("malformed JSON with 200 is not retried", func(t *testing.T) {
		t.Cleanup(e.sb.ClearFaults)
		e.sb.Inject("github", "get_repository", sandbox.Fault{Kind: sandbox.FaultMalformedJSON, Times: 1})
		before := e.sb.Calls("github", "get_repository").Total
		_, err := getRepository(context.Background(), e.conn, md, 3)
		st := wantStatus(t, err, codes.Unknown, "UPSTREAM_MALFORMED_RESPONSE")
		if !strings.Contains(st.Message(), "malformed JSON") {
			t.Errorf("message %q", st.Message())
		}
		if calls := e.sb.Calls("github", "get_repository").Total - before; calls != 1 {
			t.Errorf("%d upstream calls for a 2xx answer, want 1", calls)
		}
	})
	t.Run("malformed JSON with 500", func(t *testing.T) {
		t.Cleanup(e.sb.ClearFaults)
		e.sb.Inject("github", "get_repository", sandbox.Fault{Kind: sandbox.FaultMalformedJSON, Status: 500, Times: 1})
		_, err := getRepository(context.Background(), e.conn, md, 1)
		wantStatus(t, err, codes.Unavailable, "UPSTREAM_UNAVAILABLE")
	})
	t.Run("malformed JSON mid-stream", func(t *testing.T) {
		t.Cleanup(e.sb.ClearFaults)
		e.sb.Inject("github", "list_commits", sandbox.Fault{Times: 1})
		e.sb.Inject("github", "list_commits", sandbox.Fault{Kind: sandbox.FaultMalformedJSON, Times: 1})
		pages, err := grpcTransport{conn: e.conn}.paginate(context.Background(), md,
			&bosav1.PaginateRequest{Connector: "github", Action: "list_commits", Input: mustStruct(repo)})
		wantStatus(t, err, codes.Unknown, "UPSTREAM_MALFORMED_RESPONSE")
		if len(pages) != 1 {
			t.Errorf("%d pages before the error, want 1", len(pages))
		}
	})
	t.Run("missing Content-Type is a file answer (protocol: treat as bytes)", func(t *testing.T) {
		t.Cleanup(e.sb.ClearFaults)
		e.sb.Inject("github", "get_repository", sandbox.Fault{Kind: sandbox.FaultNoContentType, Times: 1})
		resp, err := getRepository(context.Background(), e.conn, md, 1)
		if err != nil {
			t.Fatal(err)
		}
		var env struct {
			Data map[string]any `json:"data"`
		}
		if f := resp.GetFile(); f == nil || f.GetContentType() != "application/octet-stream" || json.Unmarshal(f.GetData(), &env) != nil || env.Data["full_name"] != "acme/web" {
			t.Errorf("answer %v, want the body as an octet-stream file", resp)
		}
	})
	t.Run("missing Content-Type in a stream", func(t *testing.T) {
		t.Cleanup(e.sb.ClearFaults)
		e.sb.Inject("github", "list_commits", sandbox.Fault{Kind: sandbox.FaultNoContentType, Times: 1})
		_, err := grpcTransport{conn: e.conn}.paginate(context.Background(), md,
			&bosav1.PaginateRequest{Connector: "github", Action: "list_commits", Input: mustStruct(repo)})
		st := wantStatus(t, err, codes.FailedPrecondition, "UPSTREAM_ERROR")
		if !strings.Contains(st.Message(), "file, not a page") {
			t.Errorf("message %q", st.Message())
		}
	})
	t.Run("oversized body", func(t *testing.T) {
		t.Cleanup(e.sb.ClearFaults)
		e.sb.Inject("github", "get_repository", sandbox.Fault{Kind: sandbox.FaultOversizedBody, Times: 1})
		start := time.Now()
		_, err := actions.ExecuteAction(ctx, &bosav1.ExecuteActionRequest{Connector: "github", Action: "get_repository", Input: mustStruct(repo)})
		st := wantStatus(t, err, codes.ResourceExhausted, "RESPONSE_TOO_LARGE")
		if !strings.Contains(st.Message(), "size limit") {
			t.Errorf("message %q", st.Message())
		}
		if took := time.Since(start); took > 3*time.Second {
			t.Errorf("took %v: the 128 MiB body was read instead of refused", took)
		}
	})
	if _, err := getRepository(context.Background(), e.conn, md, 1); err != nil {
		t.Errorf("the gateway does not serve after the faults: %v", err)
	}
}

// TestDiscoveryFailing: discovery failures (5xx, malformed listing, dropped connection) are
// UNAVAILABLE or UPSTREAM_MALFORMED_RESPONSE, no action is called without a schema, and a failure
// is not cached: the next call after BOSA recovers succeeds.
func TestDiscoveryFailing(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		fault  sandbox.Fault
		code   codes.Code
		reason string
	}{
		{"503", sandbox.Fault{Status: 503}, codes.Unavailable, "UPSTREAM_UNAVAILABLE"},
		{"malformed listing", sandbox.Fault{Kind: sandbox.FaultMalformedJSON}, codes.Unknown, "UPSTREAM_MALFORMED_RESPONSE"},
		{"dropped connection", sandbox.Fault{Kind: sandbox.FaultDropConnection}, codes.Unavailable, "UPSTREAM_UNAVAILABLE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := startEnv(t)
			md := userWithGitHub(t, e.conn, "disc") // no discovery call: users and integrations only
			e.sb.Inject("", "discovery", tc.fault)
			ctx := context.Background()
			_, err := bosav1.NewConnectorServiceClient(e.conn).ListConnectors(ctx, &bosav1.ListConnectorsRequest{})
			wantStatus(t, err, tc.code, tc.reason)
			_, err = bosav1.NewConnectorServiceClient(e.conn).GetConnector(ctx, &bosav1.GetConnectorRequest{Connector: "github"})
			wantStatus(t, err, tc.code, tc.reason)
			_, err = getRepository(ctx, e.conn, md, 1)
			wantStatus(t, err, tc.code, tc.reason)
			if n := e.sb.Calls("github", "get_repository").Total; n != 0 {
				t.Errorf("action called %d times without a schema", n)
			}
			e.sb.ClearFaults()
			if _, err := getRepository(ctx, e.conn, md, 1); err != nil {
				t.Errorf("after BOSA recovered: %v", err)
			}
		})
	}
}

// TestTokenExpiresMidPagination: a user token that expires between two pages of a stream ends
// the stream with UNAUTHENTICATED after the pages already sent; the caller re-authenticates and
// resumes with the last page token, losing nothing. The same holds for unary paging.
func TestTokenExpiresMidPagination(t *testing.T) {
	t.Parallel()
	var offset atomic.Int64 // how far the sandbox's clock is ahead of real time
	clock := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	e := startEnvWith(t, envOptions{sandbox: []sandbox.Option{sandbox.WithClock(clock), sandbox.WithTokenLifetime(time.Hour)}})
	md, secret := githubUser(t, e.conn, "expiring")
	ctx := context.Background()
	in := mustStruct(map[string]any{"owner": "acme", "repo": "web", "per_page": 100})

	// Reference: all 523 commits in one stream.
	all, err := grpcTransport{conn: e.conn}.paginate(ctx, md, &bosav1.PaginateRequest{Connector: "github", Action: "list_commits", Input: in})
	if err != nil || len(all) != 6 {
		t.Fatalf("reference stream: %d pages, %v", len(all), err)
	}

	// Page 1 passes; later pages are slow enough for the token to expire while they are fetched.
	e.sb.Inject("github", "list_commits", sandbox.Fault{Times: 1})
	e.sb.Inject("github", "list_commits", sandbox.Fault{Latency: 300 * time.Millisecond})
	stream, err := bosav1.NewActionServiceClient(e.conn).Paginate(metadata.NewOutgoingContext(ctx, md),
		&bosav1.PaginateRequest{Connector: "github", Action: "list_commits", Input: in})
	if err != nil {
		t.Fatal(err)
	}
	first, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	offset.Store(int64(2 * time.Hour)) // the token (1 h lifetime) has now expired
	_, err = stream.Recv()
	st := wantStatus(t, err, codes.Unauthenticated, "UNAUTHENTICATED")
	if detail[*errdetails.ErrorInfo](st).GetMetadata()["upstream_status"] != "401" {
		t.Errorf("ErrorInfo %v, want upstream_status 401", detail[*errdetails.ErrorInfo](st))
	}
	e.sb.ClearFaults()

	// Re-authenticate and resume after page 1.
	tok, err := bosav1.NewUserServiceClient(e.conn).AuthenticateUser(ctx, &bosav1.AuthenticateUserRequest{Identifier: "expiring", Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	fresh := metadata.Pairs("authorization", "Bearer "+tok.GetToken())
	rest, err := grpcTransport{conn: e.conn}.paginate(ctx, fresh, &bosav1.PaginateRequest{Connector: "github", Action: "list_commits", PageToken: first.GetNextPageToken()})
	if err != nil {
		t.Fatalf("resume: %v", err)
	}
	got := append(ids(items(t, first.GetData()), "sha"), ids(allItems(t, rest), "sha")...)
	if want := ids(allItems(t, all), "sha"); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("resumed stream has %d commits, want the same %d", len(got), len(want))
	}

	// Unary paging: the page token outlives the user token.
	page1, err := bosav1.NewActionServiceClient(e.conn).ExecuteAction(metadata.NewOutgoingContext(ctx, fresh),
		&bosav1.ExecuteActionRequest{Connector: "github", Action: "list_commits", Input: in})
	if err != nil {
		t.Fatal(err)
	}
	offset.Store(int64(4 * time.Hour))
	_, err = bosav1.NewActionServiceClient(e.conn).ExecuteAction(metadata.NewOutgoingContext(ctx, fresh),
		&bosav1.ExecuteActionRequest{Connector: "github", Action: "list_commits", PageToken: page1.GetNextPageToken()})
	wantStatus(t, err, codes.Unauthenticated, "UNAUTHENTICATED")
	tok, err = bosav1.NewUserServiceClient(e.conn).AuthenticateUser(ctx, &bosav1.AuthenticateUserRequest{Identifier: "expiring", Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	page2, err := bosav1.NewActionServiceClient(e.conn).ExecuteAction(metadata.NewOutgoingContext(ctx, metadata.Pairs("authorization", "Bearer "+tok.GetToken())),
		&bosav1.ExecuteActionRequest{Connector: "github", Action: "list_commits", PageToken: page1.GetNextPageToken()})
	if err != nil || len(items(t, page2.GetData())) != 100 {
		t.Errorf("page 2 with a fresh token: %v", err)
	}
}

// mustStruct is input for package-level maps.
func mustStruct(m map[string]any) *structpb.Struct {
	s, err := structpb.NewStruct(m)
	if err != nil {
		panic(err)
	}
	return s
}

// waitFor polls cond until it holds or d passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(d); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			t.Errorf("timed out waiting for %s", what)
			return
		}
	}
}

// inflight counts the requests in flight to the upstream per connector, the most seen at once,
// and for each connector the in-flight count of the others when its last request arrived.
// A connector's requests can be held in flight until the test releases them (hold).
type inflight struct {
	mu       sync.Mutex
	cur, max map[string]int
	seen     map[string]map[string]int
	held     map[string]chan struct{}
}

// hold keeps conn's requests in flight (counted, not answered) until release is called, so that
// a test sees a stable state, however slowly a loaded machine runs the calls.
func (f *inflight) hold(conn string) (release func()) {
	gate := make(chan struct{})
	f.mu.Lock()
	f.held[conn] = gate
	f.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			f.mu.Lock()
			delete(f.held, conn)
			f.mu.Unlock()
			close(gate)
		})
	}
}

func newInflight() *inflight {
	return &inflight{cur: map[string]int{}, max: map[string]int{}, seen: map[string]map[string]int{}, held: map[string]chan struct{}{}}
}

func (f *inflight) current(conn string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.cur[conn]
}

// seenWith returns how many requests of other were in flight when conn's last request arrived.
func (f *inflight) seenWith(conn, other string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.seen[conn][other]
}

func (f *inflight) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn := ""
		if rest, ok := strings.CutPrefix(r.URL.Path, "/connectors/"); ok {
			conn, _, _ = strings.Cut(rest, "/")
		}
		f.mu.Lock()
		snap := map[string]int{}
		for k, v := range f.cur {
			snap[k] = v
		}
		f.seen[conn] = snap
		f.cur[conn]++
		f.max[conn] = max(f.max[conn], f.cur[conn])
		gate := f.held[conn]
		f.mu.Unlock()
		defer func() {
			f.mu.Lock()
			f.cur[conn]--
			f.mu.Unlock()
		}()
		if gate != nil {
			select {
			case <-gate:
			case <-r.Context().Done():
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}

func (f *inflight) peak(conn string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.max[conn]
}

func (f *inflight) reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.max = map[string]int{}
}

// TestUpstreamAttemptsConfig: Config.DefaultAttempts (--default-attempts) retries a request that
// leaves max_attempts 0, and Config.UpstreamTimeout (--upstream-timeout) ends one upstream attempt
// that takes too long, even for a caller without a deadline.
func TestUpstreamAttemptsConfig(t *testing.T) {
	t.Parallel()
	t.Run("default attempts", func(t *testing.T) {
		e := startEnv(t, func(c *server.Config) { c.DefaultAttempts, c.RetryBaseDelay = 2, 10*time.Millisecond })
		md := userWithGitHub(t, e.conn, "persistent")
		e.sb.Inject("github", "get_repository", sandbox.Fault{Status: 503, Times: 1})
		before := e.sb.Calls("github", "get_repository").Total
		if _, err := getRepository(context.Background(), e.conn, md, 0); err != nil {
			t.Fatalf("a 503 then a success with two default attempts: %v", err)
		}
		if n := e.sb.Calls("github", "get_repository").Total - before; n != 2 {
			t.Errorf("%d upstream attempts, want 2", n)
		}
	})
	t.Run("upstream timeout", func(t *testing.T) {
		e := startEnv(t, func(c *server.Config) { c.UpstreamTimeout = 2 * time.Second })
		md := userWithGitHub(t, e.conn, "impatient")
		e.sb.Inject("github", "get_repository", sandbox.Fault{Latency: time.Minute, Times: 1})
		before := e.sb.Calls("github", "get_repository")
		_, err := getRepository(context.Background(), e.conn, md, 1)
		wantStatus(t, err, codes.Unavailable, "UPSTREAM_UNAVAILABLE")
		waitFor(t, 10*time.Second, "the upstream attempt to be cancelled", func() bool {
			return e.sb.Calls("github", "get_repository").Cancelled == before.Cancelled+1
		})
	})
}
