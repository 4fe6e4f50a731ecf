package server

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	"bosa.dev/gateway/bosaclient"
	bosav1 "bosa.dev/gateway/gen/bosa/v1"
	"bosa.dev/gateway/sandbox"
)

// startREST runs a gateway on upstream and returns its HTTP base URL. With tunnelled, the REST face
// sends unary calls over the in-process gRPC connection, as it did before directConn.
func startREST(t *testing.T, upstream string, tunnelled bool) string {
	t.Helper()
	return "http://" + startGateway(t, upstream, tunnelled).HTTPAddr()
}

func startGateway(t *testing.T, upstream string, tunnelled bool) *Server {
	t.Helper()
	srv, err := Config{UpstreamURL: upstream, APIKey: sandbox.DemoAPIKey, GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0",
		MaxMessageBytes: 64 << 10, PageTokenSecret: []byte("same secret for both gateways")}.Complete()
	if err != nil {
		t.Fatal(err)
	}
	if tunnelled {
		srv.direct.methods = map[string]directMethod{}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	return srv
}

// restAnswer is what a REST caller can observe of an answer.
type restAnswer struct {
	Err     string // an answer Go's HTTP client cannot read
	Status  int
	Header  http.Header
	Trailer http.Header
	Body    any
}

func restExchange(t *testing.T, base, method, path, body string, hdr map[string]string) restAnswer {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Request-Id", "direct-test-1")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		// Before directConn too, an error answer with trailers requested carried the binary
		// grpc-status-details-bin trailer as a header, which Go's client refuses.
		return restAnswer{Err: strings.ReplaceAll(err.Error(), base, "BASE")}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return restAnswer{Err: "reading the body: " + err.Error(), Status: resp.StatusCode}
	}
	a := restAnswer{Status: resp.StatusCode, Header: resp.Header, Trailer: resp.Trailer}
	a.Header.Del("Date")
	if err := json.Unmarshal(b, &a.Body); err != nil {
		a.Body = string(b)
	}
	return a
}

// TestDirectRESTMatchesTunnelled: REST answers (status, headers, trailers, body) are the same
// whether unary calls run directly or over the in-process gRPC connection: successes, service
// errors, errors of the gRPC client's own checks (metadata, size, deadline), with and without
// trailers requested.
func TestDirectRESTMatchesTunnelled(t *testing.T) {
	sb, _, tok := sandboxUser(t)
	direct, tunnelled := startREST(t, sb.URL, false), startREST(t, sb.URL, true)
	user := map[string]string{"Authorization": "Bearer " + tok}
	withTrailers := map[string]string{"Authorization": "Bearer " + tok, "TE": "trailers"}
	execute := "/v1/connectors/github/actions/list_pull_requests:execute"
	big := `{"files": [{"parameter": "file", "filename": "a.bin", "data": "` + strings.Repeat("QUJD", 30<<10) + `"}]}`
	cases := []struct {
		name, method, path, body string
		hdr                      map[string]string
	}{
		{"list connectors", "GET", "/v1/connectors", "", nil},
		{"get connector", "GET", "/v1/connectors/github", "", nil},
		{"unknown connector", "GET", "/v1/connectors/nope", "", nil},
		{"execute", "POST", execute, `{"input": {"owner": "acme", "repo": "web", "per_page": 2}}`, user},
		{"execute with trailers", "POST", execute, `{"input": {"owner": "acme", "repo": "web", "per_page": 2}}`, withTrailers},
		{"execute with a page token", "POST", execute, `{"page_token": "not-a-token"}`, user},
		{"invalid input", "POST", execute, `{"input": {"owner": 1}}`, user},
		{"invalid input with trailers", "POST", execute, `{"input": {"owner": 1}}`, withTrailers},
		{"no token", "POST", execute, `{"input": {"owner": "acme", "repo": "web"}}`, nil},
		{"bad JSON body", "POST", execute, `{"input": `, user},
		{"current user", "GET", "/v1/users/me", "", user},
		{"non-ASCII metadata", "GET", "/v1/users/me", "", map[string]string{"Authorization": "Bearer t\xe9"}},
		{"expired deadline", "GET", "/v1/users/me", "", map[string]string{"Authorization": "Bearer " + tok, "Grpc-Timeout": "1n"}},
		{"request over the message limit", "POST", "/v1/connectors/google_drive/actions/upload_file:execute", big, user},
		{"invalid request id", "GET", "/v1/connectors", "", map[string]string{"X-Request-Id": "has space"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := restExchange(t, direct, tc.method, tc.path, tc.body, tc.hdr)
			want := restExchange(t, tunnelled, tc.method, tc.path, tc.body, tc.hdr)
			if tc.name == "invalid request id" { // a fresh id each call
				got.Header.Del("X-Request-Id")
				want.Header.Del("X-Request-Id")
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("direct:\n%+v\ntunnelled:\n%+v", got, want)
			}
		})
	}
}

// TestGRPCDataIsUpstreamData: over gRPC, where data travels in its pre-encoded wire form, the
// caller decodes the same ExecuteActionResponse as the one built with a Value tree, and the data
// the upstream sent.
func TestGRPCDataIsUpstreamData(t *testing.T) {
	sb, client, tok := sandboxUser(t)
	srv := startGateway(t, sb.URL, false)
	conn, err := grpc.NewClient(srv.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+tok)
	for _, tc := range []struct {
		action string
		input  map[string]any
	}{
		{"list_pull_requests", map[string]any{"owner": "acme", "repo": "web", "state": "all", "per_page": 5}},
		{"list_pull_requests", map[string]any{"owner": "acme", "repo": "web", "per_page": 2, "page": 3}},
		{"get_repository", map[string]any{"owner": "acme", "repo": "web"}},
	} {
		input, err := structpb.NewStruct(tc.input)
		if err != nil {
			t.Fatal(err)
		}
		got, err := bosav1.NewActionServiceClient(conn).ExecuteAction(ctx, &bosav1.ExecuteActionRequest{Connector: "github", Action: tc.action, Input: input})
		if err != nil {
			t.Fatal(err)
		}
		if len(got.ProtoReflect().GetUnknown()) != 0 {
			t.Errorf("%s: the caller sees unknown fields", tc.action)
		}
		up, err := client.Run(context.Background(), "github", tc.action, tc.input, bosaclient.WithToken(tok), bosaclient.WithRawData())
		if err != nil {
			t.Fatal(err)
		}
		// The answer as built for REST (the tree), with the same tokens.
		data, meta, err := dataAndMeta(up)
		if err != nil {
			t.Fatal(err)
		}
		want := &bosav1.ExecuteActionResponse{Result: &bosav1.ExecuteActionResponse_Data{Data: data}, Meta: meta,
			UpstreamStatus: 200, NextPageToken: got.GetNextPageToken(), PrevPageToken: got.GetPrevPageToken()}
		if !proto.Equal(got, want) {
			t.Errorf("%s: got %v, want %v", tc.action, got, want)
		}
	}
}

// TestDirectStream: a handler's headers and trailers reach the caller as over gRPC: headers and
// trailers, the status details among the trailers; an error without headers is trailers-only.
func TestDirectStream(t *testing.T) {
	s := &directStream{method: "/x/Y"}
	if err := s.SetHeader(metadata.Pairs("a", "1")); err != nil {
		t.Fatal(err)
	}
	_ = s.SetTrailer(metadata.Pairs("t", "2"))
	h, tr := s.received(nil)
	if !reflect.DeepEqual(h, metadata.Pairs("content-type", "application/grpc", "a", "1")) || !reflect.DeepEqual(tr, metadata.Pairs("t", "2")) {
		t.Errorf("success: header %v, trailer %v", h, tr)
	}
	st := (&Error{Code: codes.NotFound, Reason: ReasonNotFound, Message: "no"}).GRPCStatus()
	h, tr = s.received(st)
	if h.Get("a")[0] != "1" || tr.Get("t")[0] != "2" || len(tr.Get("grpc-status-details-bin")) != 1 {
		t.Errorf("error with headers: header %v, trailer %v", h, tr)
	}
	bare := &directStream{}
	_ = bare.SetTrailer(metadata.Pairs("t", "2"))
	h, tr = bare.received(st)
	if h != nil || tr.Get("content-type")[0] != "application/grpc" || tr.Get("t")[0] != "2" || len(tr.Get("grpc-status-details-bin")) != 1 {
		t.Errorf("error without headers (trailers-only): header %v, trailer %v", h, tr)
	}
	if err := s.SendHeader(nil); err != nil {
		t.Fatal(err)
	}
	if err := s.SetHeader(metadata.Pairs("late", "x")); status.Code(err) != codes.Internal {
		t.Errorf("SetHeader after SendHeader: %v", err)
	}
	if h, _ := s.received(st); h.Get("a")[0] != "1" {
		t.Errorf("error after headers were sent: header %v", h)
	}
	if s.Method() != "/x/Y" {
		t.Error(s.Method())
	}
}

// TestChainUnaryOrder: interceptors run first to last around the handler, as grpc.ChainUnaryInterceptor.
func TestChainUnaryOrder(t *testing.T) {
	var trace []string
	ic := func(name string) grpc.UnaryServerInterceptor {
		return func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			trace = append(trace, name+">")
			r, err := h(ctx, req)
			trace = append(trace, "<"+name)
			return r, err
		}
	}
	chain := chainUnary([]grpc.UnaryServerInterceptor{ic("a"), ic("b"), ic("c")})
	_, _ = chain(context.Background(), nil, &grpc.UnaryServerInfo{}, func(context.Context, any) (any, error) {
		trace = append(trace, "handler")
		return nil, nil
	})
	if want := []string{"a>", "b>", "c>", "handler", "<c", "<b", "<a"}; !reflect.DeepEqual(trace, want) {
		t.Errorf("trace %v, want %v", trace, want)
	}
}
