package server_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	bosav1 "bosa.dev/gateway/gen/bosa/v1"
	"bosa.dev/gateway/internal/server"
)

// browserProtocols are the protocols a browser client speaks, as connect-go clients.
var browserProtocols = []struct {
	name string
	opts []connect.ClientOption
}{
	{"connect json", []connect.ClientOption{connect.WithProtoJSON()}},
	{"connect binary", nil},
	{"grpc-web", []connect.ClientOption{connect.WithGRPCWeb()}},
}

// call makes one unary call over a browser protocol on the HTTP listener.
func browserCall[Req, Res any](ctx context.Context, t *testing.T, base, procedure string, opts []connect.ClientOption, req *Req, token string) (*Res, error) {
	t.Helper()
	c := connect.NewClient[Req, Res](http.DefaultClient, base+procedure, opts...)
	r := connect.NewRequest(req)
	if token != "" {
		r.Header().Set("Authorization", "Bearer "+token)
	}
	res, err := c.CallUnary(ctx, r)
	if err != nil {
		return nil, err
	}
	return res.Msg, nil
}

// TestBrowserProtocols: Connect (JSON and binary) and gRPC-Web on the HTTP listener reach the same
// services through the same interceptors as gRPC: unary calls with a user token, a server stream
// read over two pages, an action's data, an error with its ErrorInfo, the request id the interceptor sets.
func TestBrowserProtocols(t *testing.T) {
	t.Parallel()
	e := startEnv(t)
	for _, p := range browserProtocols {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			token := browserUser(ctx, t, e.httpBase, p.opts)

			list, err := browserCall[bosav1.ListConnectorsRequest, bosav1.ListConnectorsResponse](ctx, t, e.httpBase,
				"/bosa.v1.ConnectorService/ListConnectors", p.opts, &bosav1.ListConnectorsRequest{}, "")
			if err != nil || len(list.GetConnectors()) == 0 {
				t.Fatalf("ListConnectors: %v, %d connectors", err, len(list.GetConnectors()))
			}

			repo, _ := structpb.NewStruct(map[string]any{"owner": "acme", "repo": "web"})
			res, err := browserCall[bosav1.ExecuteActionRequest, bosav1.ExecuteActionResponse](ctx, t, e.httpBase,
				"/bosa.v1.ActionService/ExecuteAction", p.opts, &bosav1.ExecuteActionRequest{Connector: "github", Action: "get_repository", Input: repo}, token)
			if err != nil || res.GetData().GetStructValue().GetFields()["full_name"].GetStringValue() != "acme/web" {
				t.Fatalf("ExecuteAction: %v, %v; want the repository acme/web", err, res)
			}

			in, _ := structpb.NewStruct(map[string]any{"owner": "acme", "repo": "web", "per_page": 2})
			stream := connect.NewClient[bosav1.PaginateRequest, bosav1.PaginateResponse](http.DefaultClient,
				e.httpBase+"/bosa.v1.ActionService/Paginate", p.opts...)
			req := connect.NewRequest(&bosav1.PaginateRequest{Connector: "github", Action: "list_commits", Input: in, MaxPages: 2})
			req.Header().Set("Authorization", "Bearer "+token)
			s, err := stream.CallServerStream(ctx, req)
			if err != nil {
				t.Fatalf("Paginate: %v", err)
			}
			var pages []*bosav1.PaginateResponse
			for s.Receive() {
				pages = append(pages, proto.CloneOf(s.Msg()))
			}
			if err := s.Err(); err != nil {
				t.Fatalf("Paginate stream: %v", err)
			}
			if len(pages) != 2 || pages[0].GetIndex() != 0 || pages[1].GetIndex() != 1 || len(pages[1].GetData().GetListValue().GetValues()) != 2 {
				t.Fatalf("Paginate: %d pages, want 2 of 2 commits: %v", len(pages), pages)
			}
			if s.ResponseHeader().Get(server.MDRequestID) == "" {
				t.Errorf("Paginate: no %s header (the request id interceptor did not run)", server.MDRequestID)
			}
			s.Close()

			_, err = browserCall[bosav1.GetConnectorRequest, bosav1.Connector](ctx, t, e.httpBase,
				"/bosa.v1.ConnectorService/GetConnector", p.opts, &bosav1.GetConnectorRequest{Connector: "no-such-connector"}, "")
			var ce *connect.Error
			if !errors.As(err, &ce) || ce.Code() != connect.CodeNotFound {
				t.Fatalf("GetConnector(no-such-connector): %v, want NOT_FOUND", err)
			}
			var info *errdetails.ErrorInfo
			for _, d := range ce.Details() {
				if v, err := d.Value(); err == nil {
					if i, ok := v.(*errdetails.ErrorInfo); ok {
						info = i
					}
				}
			}
			if info.GetReason() != bosav1.ErrorReason_NOT_FOUND.String() || info.GetDomain() == "" {
				t.Errorf("ErrorInfo %v, want reason NOT_FOUND", info)
			}
		})
	}
}

// browserUser creates a user with a linked github account through the browser protocol and
// returns its token.
func browserUser(ctx context.Context, t *testing.T, base string, opts []connect.ClientOption) string {
	t.Helper()
	id := "browser-" + strings.NewReplacer(" ", "-").Replace(t.Name()[strings.LastIndex(t.Name(), "/")+1:])
	u, err := browserCall[bosav1.CreateUserRequest, bosav1.User](ctx, t, base, "/bosa.v1.UserService/CreateUser", opts, &bosav1.CreateUserRequest{Identifier: id}, "")
	if err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	auth, err := browserCall[bosav1.AuthenticateUserRequest, bosav1.AuthenticateUserResponse](ctx, t, base, "/bosa.v1.UserService/AuthenticateUser", opts,
		&bosav1.AuthenticateUserRequest{Identifier: id, Secret: u.GetSecret()}, "")
	if err != nil {
		t.Fatalf("AuthenticateUser: %v", err)
	}
	link, err := browserCall[bosav1.InitiateIntegrationRequest, bosav1.InitiateIntegrationResponse](ctx, t, base, "/bosa.v1.IntegrationService/InitiateIntegration", opts,
		&bosav1.InitiateIntegrationRequest{Connector: "github", CallbackUrl: base + "/healthz"}, auth.GetToken())
	if err != nil {
		t.Fatalf("InitiateIntegration: %v", err)
	}
	resp, err := http.Get(link.GetUrl()) // the sandbox's consent page links the account and redirects
	if err != nil {
		t.Fatalf("consent: %v", err)
	}
	resp.Body.Close()
	return auth.GetToken()
}

// TestBrowserCORS: the one CORS setting (--cors-allowed-origins) answers preflights of the
// browser protocols, with their headers allowed and gRPC-Web's status headers exposed.
func TestBrowserCORS(t *testing.T) {
	t.Parallel()
	const route, headers = "/bosa.v1.ActionService/Paginate", "authorization,connect-protocol-version,content-type,x-grpc-web,x-user-agent"
	t.Run("off by default", func(t *testing.T) {
		t.Parallel()
		e := startEnv(t)
		if got := preflight(t, e.httpBase+route, headers, "https://app.example").Header.Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("Access-Control-Allow-Origin %q with CORS off", got)
		}
	})
	t.Run("allowed origin", func(t *testing.T) {
		t.Parallel()
		e := startEnv(t, func(c *server.Config) { c.CORSAllowedOrigins = []string{"https://app.example"} })
		resp := preflight(t, e.httpBase+route, headers, "https://app.example")
		allowed := strings.ToLower(resp.Header.Get("Access-Control-Allow-Headers"))
		if resp.StatusCode/100 != 2 || resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example" ||
			!strings.Contains(allowed, "connect-protocol-version") || !strings.Contains(allowed, "x-grpc-web") {
			t.Errorf("preflight: HTTP %d, headers %v", resp.StatusCode, resp.Header)
		}
		if got := preflight(t, e.httpBase+route, headers, "https://evil.example").Header.Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("other origin allowed: %q", got)
		}
		c := connect.NewClient[bosav1.ListConnectorsRequest, bosav1.ListConnectorsResponse](http.DefaultClient,
			e.httpBase+"/bosa.v1.ConnectorService/ListConnectors", connect.WithGRPCWeb())
		req := connect.NewRequest(&bosav1.ListConnectorsRequest{})
		req.Header().Set("Origin", "https://app.example")
		res, err := c.CallUnary(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		if exposed := res.Header().Get("Access-Control-Expose-Headers"); !strings.Contains(exposed, "Grpc-Status-Details-Bin") {
			t.Errorf("gRPC-Web answer exposes %q, want Grpc-Status-Details-Bin", exposed)
		}
	})
}
