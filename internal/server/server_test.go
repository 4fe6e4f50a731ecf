package server_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	reflectpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"

	bosav1 "bosa.dev/gateway/gen/bosa/v1"
	"bosa.dev/gateway/internal/server"
	"bosa.dev/gateway/sandbox"
)

// userWithGitHub creates a user over gRPC, connects GitHub through the OAuth2 flow (stopping at the
// callback redirect) and returns metadata carrying the user's token.
func userWithGitHub(t *testing.T, conn *grpc.ClientConn, id string) metadata.MD {
	t.Helper()
	md, _ := githubUser(t, conn, id)
	return md
}

// githubUser is userWithGitHub that also returns the user's secret.
func githubUser(t *testing.T, conn *grpc.ClientConn, id string) (metadata.MD, string) {
	t.Helper()
	ctx := context.Background()
	users := bosav1.NewUserServiceClient(conn)
	u, err := users.CreateUser(ctx, &bosav1.CreateUserRequest{Identifier: id})
	if err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	tok, err := users.AuthenticateUser(ctx, &bosav1.AuthenticateUserRequest{Identifier: id, Secret: u.GetSecret()})
	if err != nil {
		t.Fatalf("AuthenticateUser: %v", err)
	}
	md := metadata.Pairs("authorization", "Bearer "+tok.GetToken())
	connectIntegration(t, conn, md, "github")
	return md, u.GetSecret()
}

// connectIntegration runs the OAuth2 flow of connector for the user of md (stopping at the
// callback redirect).
func connectIntegration(t *testing.T, conn *grpc.ClientConn, md metadata.MD, connector string) {
	t.Helper()
	ctx := metadata.NewOutgoingContext(context.Background(), md)
	const callback = "http://callback.invalid/connected"
	init, err := bosav1.NewIntegrationServiceClient(conn).InitiateIntegration(ctx, &bosav1.InitiateIntegrationRequest{Connector: connector, CallbackUrl: callback})
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
		t.Fatalf("follow authorize URL: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || !strings.HasPrefix(resp.Header.Get("Location"), callback) {
		t.Fatalf("OAuth flow ended with %d at %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestPaginateStopsWhenCallerLeaves(t *testing.T) {
	e := startEnv(t)
	md := userWithGitHub(t, e.conn, "leaver")
	ctx, cancel := context.WithCancel(metadata.NewOutgoingContext(context.Background(), md))
	defer cancel()
	const prefetch = 3
	in, _ := structpb.NewStruct(map[string]any{"owner": "acme", "repo": "web", "per_page": 5}) // 105 pages
	stream, err := bosav1.NewActionServiceClient(e.conn).Paginate(ctx, &bosav1.PaginateRequest{
		Connector: "github", Action: "list_commits", Input: in, Prefetch: prefetch,
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if _, err := stream.Recv(); err != nil {
			t.Fatalf("page %d: %v", i, err)
		}
	}
	// How far the producer runs ahead over gRPC depends on HTTP/2 flow control windows as well as
	// prefetch (paginate_test.go checks the prefetch bound itself); here: it must stop at cancel.
	time.Sleep(100 * time.Millisecond)
	ahead := e.sb.Calls("github", "list_commits").Total
	cancel()
	time.Sleep(200 * time.Millisecond)
	after := e.sb.Calls("github", "list_commits").Total
	time.Sleep(200 * time.Millisecond)
	if final := e.sb.Calls("github", "list_commits").Total; final != after || final >= 105 {
		t.Errorf("upstream calls went on after the caller left: %d → %d → %d", ahead, after, final)
	}
}

func TestHTTPEndpoints(t *testing.T) {
	e := startEnv(t)
	if _, err := bosav1.NewConnectorServiceClient(e.conn).ListConnectors(context.Background(), &bosav1.ListConnectorsRequest{}); err != nil {
		t.Fatal(err)
	}
	get := func(path string) (int, string, string) {
		resp, err := http.Get(e.httpBase + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
	}
	if code, _, body := get("/healthz"); code != 200 || strings.TrimSpace(body) != "SERVING" {
		t.Errorf("/healthz: %d %q", code, body)
	}
	code, ctype, body := get("/openapi.json")
	var doc struct {
		OpenAPI    string                    `json:"openapi"`
		Paths      map[string]map[string]any `json:"paths"`
		Components map[string]map[string]any `json:"components"`
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil || code != 200 || ctype != "application/json" || doc.OpenAPI != "3.1.0" {
		t.Fatalf("/openapi.json: %d %s %q: %v", code, ctype, doc.OpenAPI, err)
	}
	// Every reference resolves, including those of the hand-written file routes.
	var refs func(v any)
	refs = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if ref, ok := x.(string); ok && k == "$ref" {
					kind, name, _ := strings.Cut(strings.TrimPrefix(ref, "#/components/"), "/")
					if doc.Components[kind][name] == nil {
						t.Errorf("/openapi.json: unresolved %s", ref)
					}
				}
				refs(x)
			}
		case []any:
			for _, x := range v {
				refs(x)
			}
		}
	}
	refs(map[string]any{"paths": doc.Paths})
	for path, method := range map[string]string{
		"/v1/connectors/{connector}/actions/{action}:execute":       "post",
		"/v1/connectors/{connector}/actions/{action}:paginate":      "post",
		"/v1/connectors/{connector}/integrations/{user_identifier}": "delete",
		"/v1/users/me": "get",
		"/v1/connectors/{connector}/integrations:initiate":                 "post",
		"/v1/connectors/{connector}/integration-exists":                    "get",
		"/v1/connectors/{connector}/integrations/{user_identifier}:select": "post",
		"/v1/connectors/{connector}/actions/{action}:download":             "post",
		"/v1/connectors/{connector}/actions/{action}:upload":               "post",
	} {
		if doc.Paths[path][method] == nil {
			t.Errorf("/openapi.json lacks %s %s", method, path)
		}
	}
	code, _, body = get("/metrics")
	if code != 200 || !strings.Contains(body, `grpc_server_handled_total{grpc_code="OK",grpc_method="ListConnectors",grpc_service="bosa.v1.ConnectorService",grpc_type="unary"} 1`) {
		t.Errorf("/metrics: %d, no count of the ListConnectors call", code)
	}
	// A 429 over REST carries Retry-After, from the RetryInfo.
	e.sb.Inject("", "users", sandbox.Fault{Status: 429, RetryAfter: 2 * time.Second, Times: 1})
	resp429, err := http.Post(e.httpBase+"/v1/users", "application/json", strings.NewReader(`{"identifier": "limited"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp429.Body.Close()
	if resp429.StatusCode != http.StatusTooManyRequests || resp429.Header.Get("Retry-After") != "2" {
		t.Errorf("429 over REST: HTTP %d, Retry-After %q", resp429.StatusCode, resp429.Header.Get("Retry-After"))
	}
	// The request id: echoed when the caller sends a sane one, made up otherwise.
	var hdr metadata.MD
	ctx := metadata.AppendToOutgoingContext(context.Background(), "x-request-id", "trace-42")
	if _, err := bosav1.NewConnectorServiceClient(e.conn).ListConnectors(ctx, &bosav1.ListConnectorsRequest{}, grpc.Header(&hdr)); err != nil || first(hdr, "x-request-id") != "trace-42" {
		t.Errorf("request id: %v %v", hdr, err)
	}
	ctx = metadata.AppendToOutgoingContext(context.Background(), "x-request-id", strings.Repeat("x", 200))
	if _, err := bosav1.NewConnectorServiceClient(e.conn).ListConnectors(ctx, &bosav1.ListConnectorsRequest{}, grpc.Header(&hdr)); err != nil || len(first(hdr, "x-request-id")) != 24 {
		t.Errorf("made-up request id: %v %v", hdr, err)
	}
	// An unknown JSON field over REST is rejected, not ignored.
	resp, err := http.Post(e.httpBase+"/v1/users", "application/json", strings.NewReader(`{"identifer": "typo"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("misspelt field: HTTP %d, want 400", resp.StatusCode)
	}
}

func first(md metadata.MD, k string) string {
	if v := md.Get(k); len(v) > 0 {
		return v[0]
	}
	return ""
}

func TestHealthAndReflection(t *testing.T) {
	e := startEnv(t)
	ctx := context.Background()
	for _, svc := range []string{"", "bosa.v1.ActionService"} {
		resp, err := healthpb.NewHealthClient(e.conn).Check(ctx, &healthpb.HealthCheckRequest{Service: svc})
		if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			t.Errorf("health %q: %v %v", svc, resp, err)
		}
	}
	stream, err := reflectpb.NewServerReflectionClient(e.conn).ServerReflectionInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&reflectpb.ServerReflectionRequest{MessageRequest: &reflectpb.ServerReflectionRequest_ListServices{}}); err != nil {
		t.Fatal(err)
	}
	resp, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range resp.GetListServicesResponse().GetService() {
		names = append(names, s.GetName())
	}
	for _, want := range []string{"bosa.v1.ConnectorService", "bosa.v1.ActionService", "bosa.v1.UserService", "bosa.v1.IntegrationService", "grpc.health.v1.Health"} {
		if !slices.Contains(names, want) {
			t.Errorf("reflection lists %v, missing %s", names, want)
		}
	}
	// The descriptors are served too, so grpcurl can describe and call the services.
	if err := stream.Send(&reflectpb.ServerReflectionRequest{MessageRequest: &reflectpb.ServerReflectionRequest_FileContainingSymbol{FileContainingSymbol: "bosa.v1.ActionService"}}); err != nil {
		t.Fatal(err)
	}
	if resp, err := stream.Recv(); err != nil || len(resp.GetFileDescriptorResponse().GetFileDescriptorProto()) == 0 {
		t.Errorf("file containing bosa.v1.ActionService: %v %v", resp, err)
	}
}

func TestAPIKeyFromCaller(t *testing.T) {
	e := startEnv(t, func(c *server.Config) { c.APIKey = "" })
	ctx := context.Background()
	if _, err := bosav1.NewConnectorServiceClient(e.conn).ListConnectors(ctx, &bosav1.ListConnectorsRequest{}); err != nil {
		t.Errorf("discovery needs no key: %v", err)
	}
	users := bosav1.NewUserServiceClient(e.conn)
	_, err := users.CreateUser(ctx, &bosav1.CreateUserRequest{Identifier: "nokey"})
	if st := status.Convert(err); st.Code() != codes.Unauthenticated || reasonOf(st) != "API_KEY_MISSING" {
		t.Errorf("without any key: %v", err)
	}
	ctx = metadata.AppendToOutgoingContext(ctx, "x-api-key", sandbox.DemoAPIKey)
	if _, err := users.CreateUser(ctx, &bosav1.CreateUserRequest{Identifier: "withkey"}); err != nil {
		t.Errorf("with x-api-key: %v", err)
	}
}

func TestExposeCredentials(t *testing.T) {
	e := startEnv(t, func(c *server.Config) { c.ExposeCredentials = true })
	md := userWithGitHub(t, e.conn, "exposed")
	ctx := metadata.NewOutgoingContext(context.Background(), md)
	resp, err := bosav1.NewIntegrationServiceClient(e.conn).GetIntegration(ctx, &bosav1.GetIntegrationRequest{Connector: "github", UserIdentifier: "exposed-gh"})
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetAuthString() == "" || resp.GetAuthStringRedacted() {
		t.Errorf("integration %v: credential not exposed", resp)
	}
}

// TestGracefulShutdown checks the SIGTERM sequence: health turns NOT_SERVING during the drain
// delay, an in-flight call completes, then the server stops and Run returns nil.
func TestGracefulShutdown(t *testing.T) {
	sb := sandbox.NewServer()
	t.Cleanup(sb.Close)
	gw, err := server.Config{
		UpstreamURL: sb.URL, APIKey: sandbox.DemoAPIKey, GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0",
		Logger: discard(), DrainDelay: 400 * time.Millisecond, ShutdownTimeout: 5 * time.Second,
	}.Complete()
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- gw.Run(ctx) }()
	conn, err := grpc.NewClient(gw.GRPCAddr(), grpc.WithTransportCredentials(insecureCreds()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	md := userWithGitHub(t, conn, "drainer")
	sb.Inject("github", "get_repository", sandbox.Fault{Latency: 700 * time.Millisecond, Times: 1})
	in, _ := structpb.NewStruct(map[string]any{"owner": "acme", "repo": "web"})
	var wg sync.WaitGroup
	var callErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, callErr = bosav1.NewActionServiceClient(conn).ExecuteAction(metadata.NewOutgoingContext(context.Background(), md),
			&bosav1.ExecuteActionRequest{Connector: "github", Action: "get_repository", Input: in})
	}()
	time.Sleep(150 * time.Millisecond) // the call is in flight
	stop()
	time.Sleep(150 * time.Millisecond) // inside the drain delay
	resp, err := healthpb.NewHealthClient(conn).Check(context.Background(), &healthpb.HealthCheckRequest{})
	if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_NOT_SERVING {
		t.Errorf("health during drain: %v %v", resp, err)
	}
	if hr, err := http.Get("http://" + gw.HTTPAddr() + "/healthz"); err != nil || hr.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/healthz during drain: %v %v", hr, err)
	} else {
		hr.Body.Close()
	}
	wg.Wait()
	if callErr != nil {
		t.Errorf("in-flight call was cut: %v", callErr)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return")
	}
	if c, err := net.DialTimeout("tcp", gw.GRPCAddr(), time.Second); err == nil {
		c.Close()
		t.Error("gRPC port still accepts connections after shutdown")
	}
}

func TestTLS(t *testing.T) {
	p := newPKI(t)
	e := startEnvTLS(t, p.certFile, p.keyFile)
	conn, err := grpc.NewClient(e.gw.GRPCAddr(), grpc.WithTransportCredentials(credentials.NewClientTLSFromCert(p.pool, "")))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := bosav1.NewConnectorServiceClient(conn).ListConnectors(context.Background(), &bosav1.ListConnectorsRequest{}); err != nil {
		t.Errorf("gRPC over TLS: %v", err)
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: p.pool}}}
	resp, err := hc.Get("https://" + e.gw.HTTPAddr() + "/v1/connectors/github")
	if err != nil {
		t.Fatalf("REST over TLS: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("REST over TLS: HTTP %d", resp.StatusCode)
	}
	// Plain HTTP to the TLS port fails.
	if resp, err := http.Get("http://" + e.gw.HTTPAddr() + "/healthz"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Error("plain HTTP served on the TLS port")
		}
	}
}

func TestCompleteRejectsHalfTLS(t *testing.T) {
	_, err := server.Config{TLSCertFile: "cert.pem", GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", Logger: discard()}.Complete()
	if err == nil {
		t.Fatal("Complete accepted a certificate without a key")
	}
}

func startEnvTLS(t *testing.T, certFile, keyFile string) *env {
	return startEnv(t, func(c *server.Config) { c.TLSCertFile, c.TLSKeyFile = certFile, keyFile })
}
