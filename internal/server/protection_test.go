package server_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	bosav1 "bosa.dev/gateway/gen/bosa/v1"
	"bosa.dev/gateway/internal/server"
	"bosa.dev/gateway/sandbox"
)

// Tests of the limits that protect BOSA and the gateway, over real sockets.

// TestUpstreamConcurrencyPerConnector: with MaxUpstreamConcurrency n, at most n requests per
// connector are in flight to BOSA however many callers wait; other connectors are not held up by
// a saturated one; a waiting call still honours its deadline. Without the limit the same load
// reaches BOSA all at once (so the test would notice the limit going away).
func TestUpstreamConcurrencyPerConnector(t *testing.T) {
	t.Parallel()
	const callers = 6
	for _, tc := range []struct {
		limit, want int
	}{{limit: 2, want: 2}, {limit: 0, want: callers}} {
		t.Run("limit "+strconv.Itoa(tc.limit), func(t *testing.T) {
			flight := newInflight()
			e := startEnvWith(t, envOptions{wrap: flight.wrap, cfg: []func(*server.Config){func(c *server.Config) { c.MaxUpstreamConcurrency = tc.limit }}})
			md := userWithGitHub(t, e.conn, "crowd")
			release := flight.hold("github")
			defer release()
			flight.reset()
			var wg sync.WaitGroup
			errs := make(chan error, callers)
			for i := 0; i < callers; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := getRepository(context.Background(), e.conn, md, 1)
					errs <- err
				}()
			}
			// Every call that got a slot is held upstream until release.
			waitFor(t, 10*time.Second, "github's calls to reach BOSA", func() bool { return flight.current("github") == tc.want })
			if tc.limit > 0 {
				// While github is saturated, a google_drive call reaches BOSA (the user has no
				// drive integration, so BOSA answers INTEGRATION_MISSING) with github still
				// saturated, and a github call that cannot get a slot in time ends with
				// DEADLINE_EXCEEDED.
				_, err := bosav1.NewActionServiceClient(e.conn).ExecuteAction(metadata.NewOutgoingContext(context.Background(), md),
					&bosav1.ExecuteActionRequest{Connector: "google_drive", Action: "list_files", Input: mustStruct(map[string]any{})})
				if reasonOf(status.Convert(err)) != "INTEGRATION_MISSING" {
					t.Errorf("google_drive while github is saturated: %v", err)
				}
				if got := flight.seenWith("google_drive", "github"); got != tc.limit {
					t.Errorf("google_drive reached BOSA with %d github requests in flight, want %d (saturated)", got, tc.limit)
				}
				waitFor(t, 3*time.Second, "/metrics to show github's in-flight and waiting gauges", func() bool {
					m := scrape(t, e)
					return strings.Contains(m, `bosa_gateway_upstream_requests_in_flight{connector="github"} 2`) &&
						strings.Contains(m, `bosa_gateway_upstream_requests_waiting{connector="github"} `+strconv.Itoa(callers-tc.limit))
				})
				// 2 s: the gateway's full 200 ms margin before the deadline (see TestJourney's deadline case).
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				err = grpcTransport{conn: e.conn}.call(ctx, md, "/bosa.v1.ActionService/ExecuteAction",
					&bosav1.ExecuteActionRequest{Connector: "github", Action: "get_repository", Input: mustStruct(repo)}, &bosav1.ExecuteActionResponse{})
				cancel()
				wantStatus(t, err, codes.DeadlineExceeded, "DEADLINE_EXCEEDED")
			}
			release()
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Errorf("queued call failed: %v", err)
				}
			}
			if got := flight.peak("github"); got != tc.want {
				t.Errorf("%d github requests in flight at once, want %d", got, tc.want)
			}
		})
	}
}

// bearer returns metadata with an (unverified, test-signed) JWT whose subject is sub.
func bearer(t *testing.T, sub, salt string) metadata.MD {
	t.Helper()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": sub, "jti": salt}).SignedString([]byte("test"))
	if err != nil {
		t.Fatal(err)
	}
	return metadata.Pairs("authorization", "Bearer "+tok)
}

// TestCallerRateLimit: with RateLimit set, each caller (bearer token, API key or IP) gets its own
// bucket; excess calls are RESOURCE_EXHAUSTED with reason CALLER_RATE_LIMITED and a RetryInfo
// (REST: 429 with Retry-After), never reach BOSA, and succeed after the advertised delay. Health
// checks are not limited.
func TestCallerRateLimit(t *testing.T) {
	t.Parallel()
	// One token every 2 s, so that the test does not depend on how fast calls are on a busy machine.
	e := startEnv(t, func(c *server.Config) { c.RateLimit, c.RateBurst = 0.5, 2 })
	connectors := bosav1.NewConnectorServiceClient(e.conn)
	call := func(md metadata.MD) error {
		_, err := connectors.GetConnector(metadata.NewOutgoingContext(context.Background(), md), &bosav1.GetConnectorRequest{Connector: "github"})
		return err
	}
	limited := func(t *testing.T, err error) time.Duration {
		t.Helper()
		st := wantStatus(t, err, codes.ResourceExhausted, "CALLER_RATE_LIMITED")
		d := detail[*errdetails.RetryInfo](st).GetRetryDelay().AsDuration()
		if d <= 0 || d > 2*time.Second+10*time.Millisecond {
			t.Errorf("RetryInfo delay %v, want in (0, 2s]", d)
		}
		return d
	}
	alice := bearer(t, "alice", "1")
	for i := 0; i < 2; i++ {
		if err := call(alice); err != nil {
			t.Fatalf("call %d within the burst: %v", i+1, err)
		}
	}
	before := e.sb.Calls("", "discovery").Total
	wait := limited(t, call(alice))
	if n := e.sb.Calls("", "discovery").Total - before; n != 0 {
		t.Errorf("%d limited calls reached BOSA", n)
	}
	// Other callers have their own buckets, including tokens that claim alice's user id: the gateway
	// cannot verify BOSA's signature, and every caller shares the gateway's API key, so a bucket keyed
	// by the claimed subject would let anyone throttle alice with a forged token. Buckets are keyed
	// by the whole token, which a forger does not have.
	for name, md := range map[string]metadata.MD{
		"bob":                                 bearer(t, "bob", "1"),
		"an API key":                          metadata.Pairs("x-api-key", sandbox.DemoAPIKey),
		"a token forged with alice's user id": bearer(t, "alice", "forged"),
	} {
		if err := call(md); err != nil {
			t.Errorf("%s is limited by alice's calls: %v", name, err)
		}
	}
	for i := 0; i < 5; i++ {
		if _, err := healthpb.NewHealthClient(e.conn).Check(context.Background(), &healthpb.HealthCheckRequest{}); err != nil {
			t.Fatalf("health check %d: %v", i, err)
		}
	}
	time.Sleep(wait)
	if err := call(alice); err != nil {
		t.Errorf("after the advertised delay: %v", err)
	}

	// REST callers without credentials are limited by IP address: 429 with Retry-After.
	var codesSeen []int
	for i := 0; i < 4; i++ {
		resp, err := http.Get(e.httpBase + "/v1/connectors/github")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		codesSeen = append(codesSeen, resp.StatusCode)
		if resp.StatusCode == http.StatusTooManyRequests {
			if ra := resp.Header.Get("Retry-After"); (ra != "1" && ra != "2") || !strings.Contains(string(b), "CALLER_RATE_LIMITED") {
				t.Errorf("429: Retry-After %q, body %s", resp.Header.Get("Retry-After"), b)
			}
		}
	}
	if codesSeen[0] != 200 || codesSeen[len(codesSeen)-1] != http.StatusTooManyRequests {
		t.Errorf("REST statuses %v, want 200 first and 429 once the burst is spent", codesSeen)
	}
	if m := scrape(t, e); !strings.Contains(m, `bosa_gateway_rate_limited_total{method="/bosa.v1.ConnectorService/GetConnector"}`) {
		t.Error("/metrics does not count the refused calls")
	}
}

// TestMaxConcurrentStreams: MaxConcurrentStreams bounds the calls one HTTP/2 connection runs at
// once; further calls on it wait (they are not refused) and all complete. REST callers, who share
// the REST face's one in-process connection, are not bounded by it together.
func TestMaxConcurrentStreams(t *testing.T) {
	t.Parallel()
	flight := newInflight()
	e := startEnvWith(t, envOptions{wrap: flight.wrap, cfg: []func(*server.Config){func(c *server.Config) { c.MaxConcurrentStreams = 2 }}})
	md := userWithGitHub(t, e.conn, "streams")
	for _, face := range []string{"grpc", "rest"} {
		t.Run(face, func(t *testing.T) {
			var tr transport = grpcTransport{conn: e.conn}
			want := 2
			if face == "rest" {
				tr, want = restTransport{base: e.httpBase, hc: &http.Client{}}, 6
			}
			release := flight.hold("github")
			defer release()
			flight.reset()
			var wg sync.WaitGroup
			var mu sync.Mutex
			var failed []error
			for i := 0; i < 6; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					err := tr.call(context.Background(), md, "/bosa.v1.ActionService/ExecuteAction",
						&bosav1.ExecuteActionRequest{Connector: "github", Action: "get_repository", Input: mustStruct(repo)}, &bosav1.ExecuteActionResponse{})
					if err != nil {
						mu.Lock()
						failed = append(failed, err)
						mu.Unlock()
					}
				}()
			}
			// The calls the bound lets through are held upstream; the others wait for them.
			waitFor(t, 10*time.Second, "calls to reach BOSA", func() bool { return flight.current("github") == want })
			release()
			wg.Wait()
			if len(failed) > 0 {
				t.Errorf("calls failed: %v", failed)
			}
			if got := flight.peak("github"); got != want {
				t.Errorf("%d of 6 calls ran at once, want %d", got, want)
			}
		})
	}
}

// TestSlowClientsCutOff: the HTTP server's timeouts cut off clients that send headers or bodies
// too slowly (slowloris), while a normal client is served.
func TestSlowClientsCutOff(t *testing.T) {
	t.Parallel()
	e := startEnv(t, func(c *server.Config) {
		c.ReadHeaderTimeout, c.ReadTimeout = 300*time.Millisecond, 800*time.Millisecond
	})
	addr := e.gw.HTTPAddr()
	for _, tc := range []struct {
		name    string
		head    string
		trickle string
		within  time.Duration
	}{
		{"headers one line at a time", "GET /healthz HTTP/1.1\r\nHost: gw\r\n", "X-Slow: 1\r\n", 1500 * time.Millisecond},
		{"body a byte at a time", "POST /v1/users HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{", " ", 2 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			start := time.Now()
			if _, err := io.WriteString(c, tc.head); err != nil {
				t.Fatal(err)
			}
			closed := make(chan time.Duration, 1)
			go func() {
				_, _ = io.Copy(io.Discard, c) // returns when the server closes the connection
				closed <- time.Since(start)
			}()
			tick := time.NewTicker(100 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case took := <-closed:
					if took > tc.within {
						t.Errorf("cut off after %v, want within %v", took, tc.within)
					}
					return
				case <-tick.C:
					_, _ = io.WriteString(c, tc.trickle)
					if time.Since(start) > 5*time.Second {
						t.Fatal("the slow client is still connected after 5s")
					}
				}
			}
		})
	}
	resp, err := http.Get(e.httpBase + "/healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("normal client: %v", err)
	}
	resp.Body.Close()
}

// scrape returns the gateway's /metrics.
func scrape(t *testing.T, e *env) string {
	t.Helper()
	resp, err := http.Get(e.httpBase + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
