package server_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"

	bosav1 "bosa.dev/gateway/gen/bosa/v1"
	"bosa.dev/gateway/sandbox"
)

// journey is the state one run of the table carries from step to step.
type journey struct {
	t        *testing.T
	tr       transport
	env      *env
	id       string // the user's identifier
	secret   string
	token    string
	callback *httptest.Server
	hits     *atomic.Int32 // requests that reached the OAuth callback
	uploaded []byte
	fileID   string
	linked   bool // github and google_drive are linked (OAuth2)
}

// stage is how far the journey's user has come.
type stage int

const (
	anyone     stage = iota
	registered       // the user exists (j.secret)
	signedIn         // and holds a token (j.token)
	integrated       // and has linked github and google_drive (OAuth2)
)

// setup brings the journey to stage s through the same calls the earlier steps make, so that every
// step also runs alone (go test -run 'TestJourney/grpc/execute'); in a full run the earlier steps
// have done it already and setup calls nothing.
func (j *journey) setup(s stage) {
	j.t.Helper()
	if s >= registered && j.secret == "" {
		j.secret = call(j, "/bosa.v1.UserService/CreateUser", &bosav1.CreateUserRequest{Identifier: j.id}, &bosav1.User{}).GetSecret()
	}
	if s >= signedIn && j.token == "" {
		resp := call(j, "/bosa.v1.UserService/AuthenticateUser", &bosav1.AuthenticateUserRequest{Identifier: j.id, Secret: j.secret}, &bosav1.AuthenticateUserResponse{})
		j.token = resp.GetToken()
	}
	if s >= integrated && !j.linked {
		j.oauth("github")
		j.oauth("google_drive")
		j.linked = true
	}
}

// md returns the caller metadata with the user token.
func (j *journey) md(kv ...string) metadata.MD {
	md := metadata.Pairs(kv...)
	if j.token != "" {
		md.Set("authorization", "Bearer "+j.token)
	}
	return md
}

func (j *journey) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	j.t.Cleanup(cancel)
	return ctx
}

// call runs a unary RPC and fails the test on error.
func call[T proto.Message](j *journey, method string, req proto.Message, resp T, kv ...string) T {
	j.t.Helper()
	if err := j.tr.call(j.ctx(), j.md(kv...), method, req, resp); err != nil {
		j.t.Fatalf("%s: %v", method, err)
	}
	return resp
}

func (j *journey) execute(req *bosav1.ExecuteActionRequest, kv ...string) *bosav1.ExecuteActionResponse {
	j.t.Helper()
	return call(j, "/bosa.v1.ActionService/ExecuteAction", req, &bosav1.ExecuteActionResponse{}, kv...)
}

func (j *journey) paginate(req *bosav1.PaginateRequest) []*bosav1.PaginateResponse {
	j.t.Helper()
	pages, err := j.tr.paginate(j.ctx(), j.md(), req)
	if err != nil {
		j.t.Fatalf("Paginate: %v (after %d pages)", err, len(pages))
	}
	return pages
}

// oauth runs the OAuth2 round trip for connector: initiate, follow the authorize URL with an HTTP
// client (as a browser would) until the callback URL is reached.
func (j *journey) oauth(connector string) {
	j.t.Helper()
	before := j.hits.Load()
	resp := call(j, "/bosa.v1.IntegrationService/InitiateIntegration",
		&bosav1.InitiateIntegrationRequest{Connector: connector, CallbackUrl: j.callback.URL + "/connected?app=demo"},
		&bosav1.InitiateIntegrationResponse{})
	if !strings.HasPrefix(resp.GetUrl(), "http") {
		j.t.Fatalf("authorization URL %q", resp.GetUrl())
	}
	hr, err := http.Get(resp.GetUrl())
	if err != nil {
		j.t.Fatalf("follow authorization URL: %v", err)
	}
	hr.Body.Close()
	if hr.StatusCode != http.StatusOK || hr.Request.URL.Query().Get("error") != "" || j.hits.Load() != before+1 {
		j.t.Fatalf("OAuth round trip ended at %s with %d (callback hits %d→%d)", hr.Request.URL, hr.StatusCode, before, j.hits.Load())
	}
}

func items(t *testing.T, v *structpb.Value) []*structpb.Value {
	t.Helper()
	l := v.GetListValue()
	if l == nil {
		t.Fatalf("data is not a list: %v", v)
	}
	return l.GetValues()
}

func field(v *structpb.Value, name string) *structpb.Value {
	return v.GetStructValue().GetFields()[name]
}

// allItems concatenates the items of pages and checks the page indices.
func allItems(t *testing.T, pages []*bosav1.PaginateResponse) []*structpb.Value {
	t.Helper()
	var out []*structpb.Value
	for i, p := range pages {
		if int(p.GetIndex()) != i {
			t.Fatalf("page %d has index %d", i, p.GetIndex())
		}
		out = append(out, items(t, p.GetData())...)
	}
	return out
}

func numbers(vs []*structpb.Value, key string) []float64 {
	out := make([]float64, len(vs))
	for i, v := range vs {
		out[i] = field(v, key).GetNumberValue()
	}
	return out
}

func ids(vs []*structpb.Value, key string) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = field(v, key).GetStringValue()
	}
	return out
}

func input(t *testing.T, m map[string]any) *structpb.Struct {
	t.Helper()
	s, err := structpb.NewStruct(m)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// errorCase is one error mapping: the call that fails, and the status it must produce.
type errorCase struct {
	name   string
	inject *sandbox.Fault // injected on github/get_repository (or target) for the next call
	target [2]string
	call   func(j *journey, ctx context.Context) error
	code   codes.Code
	reason string
	meta   map[string]string
	check  func(t *testing.T, st *status.Status)
}

func (j *journey) getRepo(ctx context.Context, md metadata.MD, in map[string]any) error {
	return j.tr.call(ctx, md, "/bosa.v1.ActionService/ExecuteAction",
		&bosav1.ExecuteActionRequest{Connector: "github", Action: "get_repository", Input: input(j.t, in)}, &bosav1.ExecuteActionResponse{})
}

var repo = map[string]any{"owner": "acme", "repo": "web"}

var errorCases = []errorCase{
	{
		name: "invalid parameters are rejected before any upstream call",
		call: func(j *journey, ctx context.Context) error {
			before := j.env.sb.Calls("github", "get_repository").Total
			err := j.getRepo(ctx, j.md(), map[string]any{"owner": "acme", "repo": 7})
			if after := j.env.sb.Calls("github", "get_repository").Total; after != before {
				j.t.Errorf("upstream called %d times for invalid input", after-before)
			}
			return err
		},
		code: codes.InvalidArgument, reason: "INVALID_PARAMETERS",
		check: func(t *testing.T, st *status.Status) {
			br := detail[*errdetails.BadRequest](st)
			if br == nil || len(br.GetFieldViolations()) == 0 || br.GetFieldViolations()[0].GetField() != "input.repo" {
				t.Errorf("BadRequest = %v, want a violation of input.repo", br)
			}
		},
	},
	{
		name: "malformed filter is a request error",
		call: func(j *journey, ctx context.Context) error {
			return j.tr.call(ctx, j.md(), "/bosa.v1.ActionService/ExecuteAction", &bosav1.ExecuteActionRequest{
				Connector: "github", Action: "list_pull_requests", Input: input(j.t, repo),
				ResponseFilters: []*bosav1.ResponseFilter{{FieldName: "state"}},
			}, &bosav1.ExecuteActionResponse{})
		},
		code: codes.InvalidArgument, reason: "INVALID_REQUEST",
	},
	{
		name: "bad token is UNAUTHENTICATED (401)",
		call: func(j *journey, ctx context.Context) error {
			return j.getRepo(ctx, metadata.Pairs("authorization", "Bearer not-a-jwt"), repo)
		},
		code: codes.Unauthenticated, reason: "UNAUTHENTICATED", meta: map[string]string{"upstream_status": "401"},
	},
	{
		name: "non-bearer authorization is UNAUTHENTICATED",
		call: func(j *journey, ctx context.Context) error {
			return j.getRepo(ctx, metadata.Pairs("authorization", "Basic abc"), repo)
		},
		code: codes.Unauthenticated, reason: "MALFORMED_AUTHORIZATION",
	},
	{
		name: "wrong secret is UNAUTHENTICATED (401)",
		call: func(j *journey, ctx context.Context) error {
			return j.tr.call(ctx, nil, "/bosa.v1.UserService/AuthenticateUser",
				&bosav1.AuthenticateUserRequest{Identifier: j.id, Secret: "sk-user-wrong"}, &bosav1.AuthenticateUserResponse{})
		},
		code: codes.Unauthenticated, reason: "UNAUTHENTICATED", meta: map[string]string{"upstream_status": "401"},
	},
	{
		name: "token of another client is PERMISSION_DENIED (403)",
		call: func(j *journey, ctx context.Context) error {
			other := j.env.sb.CreateClient("other")
			return j.getRepo(ctx, j.md("x-api-key", other.APIKey), repo)
		},
		code: codes.PermissionDenied, reason: "PERMISSION_DENIED", meta: map[string]string{"upstream_status": "403"},
	},
	{
		name: "inactive user is PERMISSION_DENIED (403), and reactivation restores access",
		call: func(j *journey, ctx context.Context) error {
			setActive := func(active bool) {
				if err := j.env.sb.SetUserActive(sandbox.DemoAPIKey, j.id, active); err != nil {
					j.t.Fatal(err)
				}
			}
			setActive(false)
			err := j.getRepo(ctx, j.md(), repo)
			me := &bosav1.User{}
			meErr := j.tr.call(ctx, j.md(), "/bosa.v1.UserService/GetCurrentUser", &bosav1.GetCurrentUserRequest{}, me)
			if status.Code(meErr) != codes.PermissionDenied {
				j.t.Errorf("GetCurrentUser of an inactive user: %v, want PERMISSION_DENIED", meErr)
			}
			setActive(true)
			if err := j.getRepo(ctx, j.md(), repo); err != nil {
				j.t.Errorf("ExecuteAction after reactivation: %v", err)
			}
			if err := j.tr.call(ctx, j.md(), "/bosa.v1.UserService/GetCurrentUser", &bosav1.GetCurrentUserRequest{}, me); err != nil || !me.GetActive() {
				j.t.Errorf("GetCurrentUser after reactivation: %v, is_active %v", err, me.GetActive())
			}
			return err
		},
		code: codes.PermissionDenied, reason: "PERMISSION_DENIED", meta: map[string]string{"upstream_status": "403", "upstream_code": "FORBIDDEN"},
	},
	{
		name: "unknown repository is NOT_FOUND (404)",
		call: func(j *journey, ctx context.Context) error {
			return j.getRepo(ctx, j.md(), map[string]any{"owner": "acme", "repo": "nope"})
		},
		code: codes.NotFound, reason: "NOT_FOUND", meta: map[string]string{"upstream_status": "404"},
	},
	{
		name: "unknown connector is NOT_FOUND",
		call: func(j *journey, ctx context.Context) error {
			return j.tr.call(ctx, j.md(), "/bosa.v1.ConnectorService/GetConnector", &bosav1.GetConnectorRequest{Connector: "nope"}, &bosav1.Connector{})
		},
		code: codes.NotFound, reason: "NOT_FOUND",
	},
	{
		name: "duplicate user is ALREADY_EXISTS",
		call: func(j *journey, ctx context.Context) error {
			return j.tr.call(ctx, nil, "/bosa.v1.UserService/CreateUser", &bosav1.CreateUserRequest{Identifier: j.id}, &bosav1.User{})
		},
		code: codes.AlreadyExists, reason: "ALREADY_EXISTS", meta: map[string]string{"upstream_status": "400", "upstream_code": "USER_ALREADY_EXISTS"},
	},
	{
		name:   "upstream 400 is INVALID_ARGUMENT",
		inject: &sandbox.Fault{Status: 400, Times: 1},
		call:   func(j *journey, ctx context.Context) error { return j.getRepo(ctx, j.md(), repo) },
		code:   codes.InvalidArgument, reason: "UPSTREAM_INVALID_ARGUMENT", meta: map[string]string{"upstream_status": "400"},
	},
	{
		name:   "upstream 422 is INVALID_ARGUMENT",
		inject: &sandbox.Fault{Status: 422, Times: 1},
		call:   func(j *journey, ctx context.Context) error { return j.getRepo(ctx, j.md(), repo) },
		code:   codes.InvalidArgument, reason: "UPSTREAM_INVALID_ARGUMENT", meta: map[string]string{"upstream_status": "422"},
	},
	{
		name:   "upstream 429 is RESOURCE_EXHAUSTED with RetryInfo",
		inject: &sandbox.Fault{Status: 429, RetryAfter: 3 * time.Second, Times: 1},
		call:   func(j *journey, ctx context.Context) error { return j.getRepo(ctx, j.md(), repo) },
		code:   codes.ResourceExhausted, reason: "RATE_LIMITED", meta: map[string]string{"upstream_status": "429", "upstream_code": "RATE_LIMITED"},
		check: func(t *testing.T, st *status.Status) {
			ri := detail[*errdetails.RetryInfo](st)
			if ri == nil || ri.GetRetryDelay().AsDuration() != 3*time.Second {
				t.Errorf("RetryInfo = %v, want 3s", ri)
			}
		},
	},
	{
		name: "x-request-id reaches BOSA and comes back in ErrorInfo",
		call: func(j *journey, ctx context.Context) error {
			return j.getRepo(ctx, j.md("x-request-id", "journey-rid-1"), map[string]any{"owner": "acme", "repo": "nope"})
		},
		// BOSA echoes the id it received (upstream_request_id): the caller's id went upstream.
		code: codes.NotFound, reason: "NOT_FOUND", meta: map[string]string{"request_id": "journey-rid-1", "upstream_request_id": "journey-rid-1"},
	},
	{
		name:   "a 503 BOSA calls retryable carries RetryInfo from its recovery",
		inject: &sandbox.Fault{Status: 503, RetryAfter: 2 * time.Second, Times: 1},
		call:   func(j *journey, ctx context.Context) error { return j.getRepo(ctx, j.md(), repo) },
		code:   codes.Unavailable, reason: "UPSTREAM_UNAVAILABLE", meta: map[string]string{"upstream_status": "503"},
		check: func(t *testing.T, st *status.Status) {
			if ri := detail[*errdetails.RetryInfo](st); ri == nil || ri.GetRetryDelay().AsDuration() != 2*time.Second {
				t.Errorf("RetryInfo = %v, want 2s (recovery.retry_after_seconds)", ri)
			}
		},
	},
	{
		name:   "a 503 BOSA calls permanent carries no RetryInfo",
		inject: &sandbox.Fault{Status: 503, Times: 1, Retryable: new(bool)},
		call:   func(j *journey, ctx context.Context) error { return j.getRepo(ctx, j.md(), repo) },
		code:   codes.Unavailable, reason: "UPSTREAM_UNAVAILABLE", meta: map[string]string{"upstream_status": "503"},
		check: func(t *testing.T, st *status.Status) {
			if ri := detail[*errdetails.RetryInfo](st); ri != nil {
				t.Errorf("RetryInfo = %v for a failure BOSA says a retry cannot fix", ri)
			}
		},
	},
	{
		name:   "upstream 503 is UNAVAILABLE",
		inject: &sandbox.Fault{Status: 503, Times: 1},
		call:   func(j *journey, ctx context.Context) error { return j.getRepo(ctx, j.md(), repo) },
		code:   codes.Unavailable, reason: "UPSTREAM_UNAVAILABLE", meta: map[string]string{"upstream_status": "503"},
	},
	{
		name:   "upstream 500 is UNAVAILABLE",
		inject: &sandbox.Fault{Status: 500, Times: 1},
		call:   func(j *journey, ctx context.Context) error { return j.getRepo(ctx, j.md(), repo) },
		code:   codes.Unavailable, reason: "UPSTREAM_UNAVAILABLE", meta: map[string]string{"upstream_status": "500"},
	},
	{
		name:   "dropped connection is UNAVAILABLE",
		inject: &sandbox.Fault{Kind: sandbox.FaultDropConnection, Times: 1},
		call:   func(j *journey, ctx context.Context) error { return j.getRepo(ctx, j.md(), repo) },
		code:   codes.Unavailable, reason: "UPSTREAM_UNAVAILABLE",
	},
	{
		name:   "caller deadline is DEADLINE_EXCEEDED and reaches the upstream call",
		inject: &sandbox.Fault{Latency: 10 * time.Second, Times: 1},
		call: func(j *journey, ctx context.Context) error {
			before := j.env.sb.Calls("github", "get_repository").Cancelled
			// The gateway answers a tenth of the time left before the deadline, at most 200 ms
			// (reached from 2 s): a thinner margin can lose, on a loaded machine, to grpc-go's own
			// deadline timer, which resets the stream (then the caller gets no ErrorInfo).
			dctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			err := j.getRepo(dctx, j.md(), repo)
			// The upstream request was cancelled with the call, not left running.
			for end := time.Now().Add(10 * time.Second); j.env.sb.Calls("github", "get_repository").Cancelled == before; {
				if time.Now().After(end) {
					j.t.Errorf("upstream call was not cancelled")
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			return err
		},
		code: codes.DeadlineExceeded, reason: "DEADLINE_EXCEEDED",
	},
	{
		name: "unknown integration is FAILED_PRECONDITION",
		call: func(j *journey, ctx context.Context) error {
			return j.getRepo(ctx, j.md("x-bosa-integration", "ghost"), repo)
		},
		code: codes.FailedPrecondition, reason: "INTEGRATION_MISSING", meta: map[string]string{"upstream_status": "404", "upstream_code": "INTEGRATION_NOT_FOUND", "connector": "github"},
		check: func(t *testing.T, st *status.Status) {
			// The message says how to fix it through the gateway, not only through BOSA's own routes.
			if !strings.Contains(st.Message(), "IntegrationService.InitiateIntegration (REST: POST /v1/connectors/github/integrations:initiate)") {
				t.Errorf("message %q does not say how to link an account through the gateway", st.Message())
			}
			// BOSA's message quotes the integration name; the gateway never echoes a header value.
			if strings.Contains(st.Message(), "ghost") {
				t.Errorf("message %q echoes the x-bosa-integration value", st.Message())
			}
		},
	},
	{
		name: "a long caller value is cut in the message",
		call: func(j *journey, ctx context.Context) error {
			return j.tr.call(ctx, j.md(), "/bosa.v1.ConnectorService/GetConnector",
				&bosav1.GetConnectorRequest{Connector: strings.Repeat("x", 20000)}, &bosav1.Connector{})
		},
		code: codes.NotFound, reason: "NOT_FOUND",
		check: func(t *testing.T, st *status.Status) {
			if len(st.Message()) > 512 || strings.Contains(st.Message(), strings.Repeat("x", 200)) {
				t.Errorf("message of %d bytes, want the name quoted as a short prefix", len(st.Message()))
			}
		},
	},
	badConnector("a connector name that is not a name is INVALID_ARGUMENT on every RPC", "git hub", codes.InvalidArgument, "INVALID_REQUEST"),
	badConnector("an 8,000-byte connector name is NOT_FOUND with a bounded message on every RPC", strings.Repeat("g", 8000), codes.NotFound, "NOT_FOUND"),
	{
		name: "an unknown direction is INVALID_ARGUMENT",
		call: func(j *journey, ctx context.Context) error {
			_, err := j.tr.paginate(ctx, j.md(), &bosav1.PaginateRequest{Connector: "github", Action: "list_commits", Input: input(j.t, repo), Direction: 7})
			return err
		},
		code: codes.InvalidArgument, reason: "INVALID_REQUEST",
		check: func(t *testing.T, st *status.Status) {
			if br := detail[*errdetails.BadRequest](st); len(br.GetFieldViolations()) != 1 || br.GetFieldViolations()[0].GetField() != "direction" {
				t.Errorf("BadRequest %v, want a violation of direction", br)
			}
		},
	},
	{
		name: "an unknown filter type is INVALID_ARGUMENT",
		call: func(j *journey, ctx context.Context) error {
			return j.tr.call(ctx, j.md(), "/bosa.v1.ActionService/ExecuteAction", &bosav1.ExecuteActionRequest{
				Connector: "github", Action: "list_pull_requests", Input: input(j.t, repo),
				ResponseFilters: []*bosav1.ResponseFilter{{Type: 99, FieldName: "state", Value: structpb.NewStringValue("open")}},
			}, &bosav1.ExecuteActionResponse{})
		},
		code: codes.InvalidArgument, reason: "INVALID_REQUEST",
		check: func(t *testing.T, st *status.Status) {
			if br := detail[*errdetails.BadRequest](st); len(br.GetFieldViolations()) != 1 || br.GetFieldViolations()[0].GetField() != "response_filters[0].type" {
				t.Errorf("BadRequest %v, want a violation of response_filters[0].type", br)
			}
		},
	},
	{
		name: "tampered page token is INVALID_ARGUMENT",
		call: func(j *journey, ctx context.Context) error {
			first := &bosav1.ExecuteActionResponse{}
			if err := j.tr.call(ctx, j.md(), "/bosa.v1.ActionService/ExecuteAction", &bosav1.ExecuteActionRequest{
				Connector: "github", Action: "list_pull_requests", Input: input(j.t, map[string]any{"owner": "acme", "repo": "web"}),
			}, first); err != nil {
				return err
			}
			tok := []byte(first.GetNextPageToken())
			tok[3] ^= 1
			return j.tr.call(ctx, j.md(), "/bosa.v1.ActionService/ExecuteAction", &bosav1.ExecuteActionRequest{
				Connector: "github", Action: "list_pull_requests", PageToken: string(tok),
			}, &bosav1.ExecuteActionResponse{})
		},
		code: codes.InvalidArgument, reason: "INVALID_PAGE_TOKEN",
	},
	{
		name: "page token of another action is INVALID_ARGUMENT",
		call: func(j *journey, ctx context.Context) error {
			first := &bosav1.ExecuteActionResponse{}
			if err := j.tr.call(ctx, j.md(), "/bosa.v1.ActionService/ExecuteAction", &bosav1.ExecuteActionRequest{
				Connector: "github", Action: "list_pull_requests", Input: input(j.t, repo),
			}, first); err != nil {
				return err
			}
			_, err := j.tr.paginate(ctx, j.md(), &bosav1.PaginateRequest{Connector: "github", Action: "list_commits", PageToken: first.GetNextPageToken()})
			return err
		},
		code: codes.InvalidArgument, reason: "INVALID_PAGE_TOKEN",
	},
	{
		name: "error after the first page of a stream ends it after that page",
		call: func(j *journey, ctx context.Context) error {
			// The first fault only passes the first page through; the second fails page two.
			j.env.sb.Inject("github", "list_commits", sandbox.Fault{Times: 1})
			j.env.sb.Inject("github", "list_commits", sandbox.Fault{Status: 502, Times: 1})
			pages, err := j.tr.paginate(ctx, j.md(), &bosav1.PaginateRequest{Connector: "github", Action: "list_commits", Input: input(j.t, repo)})
			if len(pages) != 1 || pages[0].GetNextPageToken() == "" {
				j.t.Errorf("got %d pages before the error, want 1 with a page token to resume from", len(pages))
			}
			return err
		},
		code: codes.Unavailable, reason: "UPSTREAM_UNAVAILABLE", meta: map[string]string{"upstream_status": "502"},
	},
	{
		name:   "error before the first page of a stream",
		inject: &sandbox.Fault{Status: 503, Times: 1},
		target: [2]string{"github", "list_commits"},
		call: func(j *journey, ctx context.Context) error {
			_, err := j.tr.paginate(ctx, j.md(), &bosav1.PaginateRequest{Connector: "github", Action: "list_commits", Input: input(j.t, repo)})
			return err
		},
		code: codes.Unavailable, reason: "UPSTREAM_UNAVAILABLE", meta: map[string]string{"upstream_status": "503"},
	},
}

// connectorCalls are the calls of every RPC that takes a connector name, with name.
func connectorCalls(j *journey, name string) []struct {
	method   string
	req, out proto.Message
} {
	return []struct {
		method   string
		req, out proto.Message
	}{
		{"/bosa.v1.ConnectorService/GetConnector", &bosav1.GetConnectorRequest{Connector: name}, &bosav1.Connector{}},
		{"/bosa.v1.ActionService/ExecuteAction", &bosav1.ExecuteActionRequest{Connector: name, Action: "get_repository", Input: input(j.t, repo)}, &bosav1.ExecuteActionResponse{}},
		{"/bosa.v1.IntegrationService/CheckIntegration", &bosav1.CheckIntegrationRequest{Connector: name}, &bosav1.CheckIntegrationResponse{}},
		{"/bosa.v1.IntegrationService/InitiateIntegration", &bosav1.InitiateIntegrationRequest{Connector: name, CallbackUrl: "https://example.com/cb"}, &bosav1.InitiateIntegrationResponse{}},
		{"/bosa.v1.IntegrationService/ConfigureIntegration", &bosav1.ConfigureIntegrationRequest{Connector: name, Configuration: input(j.t, map[string]any{"token": "t"})}, &bosav1.ConfigureIntegrationResponse{}},
		{"/bosa.v1.IntegrationService/ListIntegrations", &bosav1.ListIntegrationsRequest{Connector: name}, &bosav1.ListIntegrationsResponse{}},
		{"/bosa.v1.IntegrationService/GetIntegration", &bosav1.GetIntegrationRequest{Connector: name, UserIdentifier: "x"}, &bosav1.Integration{}},
		{"/bosa.v1.IntegrationService/SelectIntegration", &bosav1.SelectIntegrationRequest{Connector: name, UserIdentifier: "x"}, &bosav1.SelectIntegrationResponse{}},
		{"/bosa.v1.IntegrationService/DeleteIntegration", &bosav1.DeleteIntegrationRequest{Connector: name, UserIdentifier: "x"}, &emptypb.Empty{}},
	}
}

// badConnector returns an errorCase that sends name as the connector of every RPC taking one: each
// must fail with code and reason without reaching BOSA, with a bounded message (it is the last
// call's error the table checks; the others are checked here).
func badConnector(desc, name string, code codes.Code, reason string) errorCase {
	return errorCase{
		name: desc,
		call: func(j *journey, ctx context.Context) error {
			before := j.env.sb.Calls("github", "get_repository").Total
			var last error
			for _, c := range connectorCalls(j, name) {
				last = j.tr.call(ctx, j.md(), c.method, c.req, c.out)
				st := status.Convert(last)
				if st.Code() != code || reasonOf(st) != reason || len(st.Message()) > 512 {
					j.t.Errorf("%s: %v (%d-byte message), want %v %s", c.method, last, len(st.Message()), code, reason)
				}
			}
			if after := j.env.sb.Calls("github", "get_repository").Total; after != before {
				j.t.Errorf("upstream called for connector %.20q", name)
			}
			return last
		},
		code: code, reason: reason,
	}
}

// detail returns the first detail of type T.
func detail[T proto.Message](st *status.Status) T {
	var zero T
	for _, d := range st.Details() {
		if v, ok := d.(T); ok {
			return v
		}
	}
	return zero
}

// journeySteps is the one table of cases; TestJourney runs it over gRPC and over REST.
var journeySteps = []struct {
	name  string
	needs stage // what setup provides when the step runs alone
	run   func(j *journey)
}{
	{"list connectors", anyone, func(j *journey) {
		resp := call(j, "/bosa.v1.ConnectorService/ListConnectors", &bosav1.ListConnectorsRequest{}, &bosav1.ListConnectorsResponse{})
		var names []string
		for _, c := range resp.GetConnectors() {
			names = append(names, c.GetName())
		}
		if !slices.Contains(names, "github") || !slices.Contains(names, "google_drive") {
			j.t.Fatalf("connectors %v", names)
		}
	}},
	{"get connector with action schemas", anyone, func(j *journey) {
		resp := call(j, "/bosa.v1.ConnectorService/GetConnector", &bosav1.GetConnectorRequest{Connector: "github"}, &bosav1.Connector{})
		for _, a := range resp.GetActions() {
			if a.GetName() == "list_pull_requests" {
				props := a.GetParametersSchema().GetFields()["properties"].GetStructValue().GetFields()
				if props["owner"] == nil || a.GetSummary() == "" || a.GetUpstreamPath() != "/connectors/github/list_pull_requests" {
					j.t.Fatalf("action %v", a)
				}
				return
			}
		}
		j.t.Fatal("list_pull_requests not listed")
	}},
	{"list connectors page by page", anyone, func(j *journey) {
		all := call(j, "/bosa.v1.ConnectorService/ListConnectors", &bosav1.ListConnectorsRequest{}, &bosav1.ListConnectorsResponse{})
		if all.GetNextPageToken() != "" || len(all.GetConnectors()) < 2 {
			j.t.Fatalf("one page of every connector: %d, next %q", len(all.GetConnectors()), all.GetNextPageToken())
		}
		var names []string
		req := &bosav1.ListConnectorsRequest{PageSize: 1}
		for range len(all.GetConnectors()) + 1 {
			page := call(j, "/bosa.v1.ConnectorService/ListConnectors", req, &bosav1.ListConnectorsResponse{})
			if len(page.GetConnectors()) != 1 {
				j.t.Fatalf("page of size 1 has %d connectors", len(page.GetConnectors()))
			}
			names = append(names, page.GetConnectors()[0].GetName())
			if req.PageToken = page.GetNextPageToken(); req.PageToken == "" {
				break
			}
		}
		var want []string
		for _, c := range all.GetConnectors() {
			want = append(want, c.GetName())
		}
		if !slices.Equal(names, want) {
			j.t.Fatalf("paged %v, want %v", names, want)
		}
	}},
	{"create user", anyone, func(j *journey) {
		resp := call(j, "/bosa.v1.UserService/CreateUser", &bosav1.CreateUserRequest{Identifier: j.id}, &bosav1.User{})
		j.secret = resp.GetSecret()
		if !strings.HasPrefix(j.secret, "sk-user-") || resp.GetIdentifier() != j.id || !resp.GetActive() {
			j.t.Fatalf("user %v", resp)
		}
	}},
	{"create user retried with its request_id creates one user and answers the same", anyone, func(j *journey) {
		id := j.id + "-idem"
		req := &bosav1.CreateUserRequest{Identifier: id, RequestId: "6f1c2a9e-0b7d-4e4b-9a51-" + j.id}
		first := call(j, "/bosa.v1.UserService/CreateUser", req, &bosav1.User{})
		again := call(j, "/bosa.v1.UserService/CreateUser", req, &bosav1.User{})
		if !proto.Equal(first, again) || first.GetSecret() == "" {
			j.t.Fatalf("retry answered %v, first %v", again, first)
		}
		// Without the id, the same identifier is a second creation: ALREADY_EXISTS proves the first
		// call created the user and the retry did not try again.
		err := j.tr.call(j.ctx(), nil, "/bosa.v1.UserService/CreateUser", &bosav1.CreateUserRequest{Identifier: id}, &bosav1.User{})
		if st := status.Convert(err); st.Code() != codes.AlreadyExists {
			j.t.Fatalf("create without request_id: %v", err)
		}
		err = j.tr.call(j.ctx(), nil, "/bosa.v1.UserService/CreateUser", &bosav1.CreateUserRequest{Identifier: id + "x", RequestId: req.RequestId}, &bosav1.User{})
		if st := status.Convert(err); st.Code() != codes.InvalidArgument || reasonOf(st) != "REQUEST_ID_REUSED" {
			j.t.Fatalf("request_id reused for another user: %v", err)
		}
	}},
	{"authenticate user", registered, func(j *journey) {
		resp := call(j, "/bosa.v1.UserService/AuthenticateUser", &bosav1.AuthenticateUserRequest{Identifier: j.id, Secret: j.secret}, &bosav1.AuthenticateUserResponse{})
		if resp.GetToken() == "" || resp.GetTokenType() != "Bearer" || !resp.GetExpireTime().AsTime().After(time.Now()) || resp.GetRevoked() {
			j.t.Fatalf("token response %v", resp)
		}
		j.token = resp.GetToken()
	}},
	{"current user", signedIn, func(j *journey) {
		resp := call(j, "/bosa.v1.UserService/GetCurrentUser", &bosav1.GetCurrentUserRequest{}, &bosav1.User{})
		if resp.GetIdentifier() != j.id || resp.GetSecret() != "" || len(resp.GetIntegrations()) != 0 {
			j.t.Fatalf("current user %v", resp)
		}
	}},
	{"no integration yet", signedIn, func(j *journey) {
		resp := call(j, "/bosa.v1.IntegrationService/CheckIntegration", &bosav1.CheckIntegrationRequest{Connector: "github"}, &bosav1.CheckIntegrationResponse{})
		if resp.GetHasIntegration() {
			j.t.Fatal("has_integration before OAuth")
		}
		err := j.getRepo(j.ctx(), j.md(), repo)
		if st := status.Convert(err); st.Code() != codes.FailedPrecondition || reasonOf(st) != "INTEGRATION_MISSING" {
			j.t.Fatalf("action without integration: %v", err)
		}
	}},
	{"OAuth2 round trip", signedIn, func(j *journey) {
		j.oauth("github")
		j.oauth("google_drive")
		resp := call(j, "/bosa.v1.IntegrationService/CheckIntegration", &bosav1.CheckIntegrationRequest{Connector: "github"}, &bosav1.CheckIntegrationResponse{})
		if !resp.GetHasIntegration() {
			j.t.Fatal("no integration after OAuth")
		}
		list := call(j, "/bosa.v1.IntegrationService/ListIntegrations", &bosav1.ListIntegrationsRequest{Connector: "github"}, &bosav1.ListIntegrationsResponse{})
		if len(list.GetIntegrations()) != 1 || list.GetIntegrations()[0].GetUserIdentifier() != j.id+"-gh" || !list.GetIntegrations()[0].GetSelected() {
			j.t.Fatalf("integrations %v", list.GetIntegrations())
		}
		j.linked = true
	}},
	{"stored credentials are redacted", integrated, func(j *journey) {
		resp := call(j, "/bosa.v1.IntegrationService/GetIntegration",
			&bosav1.GetIntegrationRequest{Connector: "github", UserIdentifier: j.id + "-gh"}, &bosav1.Integration{})
		in := resp
		if in.GetAuthString() != "" || !in.GetAuthStringRedacted() || !in.GetSelected() || len(in.GetAuthScopes()) == 0 {
			j.t.Fatalf("integration %v", in)
		}
	}},
	{"execute", integrated, func(j *journey) {
		resp := j.execute(&bosav1.ExecuteActionRequest{Connector: "github", Action: "get_repository", Input: input(j.t, repo)})
		if field(resp.GetData(), "full_name").GetStringValue() != "acme/web" || resp.GetUpstreamStatus() != 200 {
			j.t.Fatalf("get_repository: %v", resp)
		}
	}},
	{"max_attempts retries a transient upstream failure", integrated, func(j *journey) {
		j.env.sb.Inject("github", "get_repository", sandbox.Fault{Status: 503, Times: 1})
		defer j.env.sb.ClearFaults()
		before := j.env.sb.Calls("github", "get_repository").Total
		resp := j.execute(&bosav1.ExecuteActionRequest{Connector: "github", Action: "get_repository", Input: input(j.t, repo), MaxAttempts: 2})
		if field(resp.GetData(), "full_name").GetStringValue() != "acme/web" {
			j.t.Fatalf("get_repository: %v", resp)
		}
		if n := j.env.sb.Calls("github", "get_repository").Total - before; n != 2 {
			j.t.Fatalf("%d upstream attempts, want 2", n)
		}
	}},
	{"custom integration, select, per-call choice, remove", integrated, func(j *journey) {
		call(j, "/bosa.v1.IntegrationService/ConfigureIntegration", &bosav1.ConfigureIntegrationRequest{
			Connector: "github", Configuration: input(j.t, map[string]any{"identifier": "ci-bot", "token": "ghp_secret"}),
		}, &bosav1.ConfigureIntegrationResponse{})
		viewer := func(kv ...string) string {
			r := j.execute(&bosav1.ExecuteActionRequest{Connector: "github", Action: "get_repository", Input: input(j.t, repo)}, kv...)
			return field(r.GetData(), "viewer_login").GetStringValue()
		}
		if v := viewer("x-bosa-integration", "ci-bot"); v != "ci-bot" {
			j.t.Fatalf("with x-bosa-integration: viewer %q", v)
		}
		if v := viewer(); v != j.id+"-gh" {
			j.t.Fatalf("default integration changed: viewer %q", v)
		}
		call(j, "/bosa.v1.IntegrationService/SelectIntegration", &bosav1.SelectIntegrationRequest{Connector: "github", UserIdentifier: "ci-bot"}, &bosav1.SelectIntegrationResponse{})
		if v := viewer(); v != "ci-bot" {
			j.t.Fatalf("after select: viewer %q", v)
		}
		call(j, "/bosa.v1.IntegrationService/DeleteIntegration", &bosav1.DeleteIntegrationRequest{Connector: "github", UserIdentifier: "ci-bot"}, &emptypb.Empty{})
		if v := viewer(); v != j.id+"-gh" {
			j.t.Fatalf("after remove: viewer %q", v)
		}
	}},
	{"a missing integration is NOT_FOUND on get, select and delete", signedIn, func(j *journey) {
		ref := func() (string, string) { return "github", "ghost" }
		for _, c := range []struct {
			method   string
			req, out proto.Message
		}{
			{"GetIntegration", &bosav1.GetIntegrationRequest{Connector: "github", UserIdentifier: "ghost"}, &bosav1.Integration{}},
			{"SelectIntegration", &bosav1.SelectIntegrationRequest{Connector: "github", UserIdentifier: "ghost"}, &bosav1.SelectIntegrationResponse{}},
			{"DeleteIntegration", &bosav1.DeleteIntegrationRequest{Connector: "github", UserIdentifier: "ghost"}, &emptypb.Empty{}},
		} {
			err := j.tr.call(j.ctx(), j.md(), "/bosa.v1.IntegrationService/"+c.method, c.req, c.out)
			st := status.Convert(err)
			if conn, uid := ref(); st.Code() != codes.NotFound || reasonOf(st) != "NOT_FOUND" || !strings.Contains(st.Message(), uid) || !strings.Contains(st.Message(), conn) {
				j.t.Errorf("%s of a missing integration: %v", c.method, err)
			}
		}
	}},
	{"integrations page by page", integrated, func(j *journey) {
		all := call(j, "/bosa.v1.IntegrationService/ListIntegrations", &bosav1.ListIntegrationsRequest{}, &bosav1.ListIntegrationsResponse{})
		if len(all.GetIntegrations()) != 2 || all.GetNextPageToken() != "" {
			j.t.Fatalf("integrations %v", all)
		}
		first := call(j, "/bosa.v1.IntegrationService/ListIntegrations", &bosav1.ListIntegrationsRequest{PageSize: 1}, &bosav1.ListIntegrationsResponse{})
		second := call(j, "/bosa.v1.IntegrationService/ListIntegrations", &bosav1.ListIntegrationsRequest{PageSize: 1, PageToken: first.GetNextPageToken()}, &bosav1.ListIntegrationsResponse{})
		if len(first.GetIntegrations()) != 1 || len(second.GetIntegrations()) != 1 || second.GetNextPageToken() != "" ||
			!proto.Equal(first.GetIntegrations()[0], all.GetIntegrations()[0]) || !proto.Equal(second.GetIntegrations()[0], all.GetIntegrations()[1]) {
			j.t.Fatalf("pages %v and %v, want %v", first, second, all)
		}
		// A token is bound to the connector filter it was issued with.
		err := j.tr.call(j.ctx(), j.md(), "/bosa.v1.IntegrationService/ListIntegrations",
			&bosav1.ListIntegrationsRequest{Connector: "github", PageToken: first.GetNextPageToken()}, &bosav1.ListIntegrationsResponse{})
		if st := status.Convert(err); st.Code() != codes.InvalidArgument || reasonOf(st) != "INVALID_PAGE_TOKEN" {
			j.t.Fatalf("token with another filter: %v", err)
		}
	}},
	{"paginate page-based, forward and backward", integrated, func(j *journey) {
		in := map[string]any{"owner": "acme", "repo": "web", "state": "all", "per_page": 50}
		fwd := j.paginate(&bosav1.PaginateRequest{Connector: "github", Action: "list_pull_requests", Input: input(j.t, in), Prefetch: 2})
		all := numbers(allItems(j.t, fwd), "number")
		if len(fwd) != 5 || len(all) != 237 || fwd[4].GetHasNext() || !fwd[3].GetHasNext() || fwd[4].GetNextPageToken() != "" {
			j.t.Fatalf("forward: %d pages, %d items", len(fwd), len(all))
		}
		in["page"] = 5
		back := j.paginate(&bosav1.PaginateRequest{Connector: "github", Action: "list_pull_requests", Input: input(j.t, in), Direction: bosav1.Direction_DIRECTION_BACKWARD})
		if len(back) != 5 || back[4].GetHasPrev() {
			j.t.Fatalf("backward: %d pages", len(back))
		}
		var rev []float64
		for i := len(back) - 1; i >= 0; i-- {
			rev = append(rev, numbers(items(j.t, back[i].GetData()), "number")...)
		}
		if !slices.Equal(rev, all) {
			j.t.Fatal("backward pages differ from forward pages")
		}
	}},
	{"paginate cursor-based, forward, resume and backward", integrated, func(j *journey) {
		in := map[string]any{"owner": "acme", "repo": "web", "per_page": 100}
		fwd := j.paginate(&bosav1.PaginateRequest{Connector: "github", Action: "list_commits", Input: input(j.t, in), Prefetch: 8})
		all := ids(allItems(j.t, fwd), "sha")
		if len(fwd) != 6 || len(all) != 523 || len(slices.Compact(slices.Clone(all))) != 523 {
			j.t.Fatalf("forward: %d pages, %d items", len(fwd), len(all))
		}
		head := j.paginate(&bosav1.PaginateRequest{Connector: "github", Action: "list_commits", Input: input(j.t, in), MaxPages: 2})
		if len(head) != 2 || head[1].GetNextPageToken() == "" {
			j.t.Fatalf("max_pages 2: %d pages", len(head))
		}
		rest := j.paginate(&bosav1.PaginateRequest{Connector: "github", Action: "list_commits", PageToken: head[1].GetNextPageToken()})
		if got := append(ids(allItems(j.t, head), "sha"), ids(allItems(j.t, rest), "sha")...); !slices.Equal(got, all) {
			j.t.Fatalf("resumed stream: %d items, want the same %d", len(got), len(all))
		}
		// Backward from the token that resumes after page 4: pages 5, 4, 3, 2, 1.
		mid := j.paginate(&bosav1.PaginateRequest{Connector: "github", Action: "list_commits", Input: input(j.t, in), MaxPages: 4})
		back := j.paginate(&bosav1.PaginateRequest{Connector: "github", Action: "list_commits", PageToken: mid[3].GetNextPageToken(), Direction: bosav1.Direction_DIRECTION_BACKWARD})
		var rev []string
		for i := len(back) - 1; i >= 0; i-- {
			rev = append(rev, ids(items(j.t, back[i].GetData()), "sha")...)
		}
		if len(back) != 5 || !slices.Equal(rev, all[:500]) {
			j.t.Fatalf("backward: %d pages, %d items", len(back), len(rev))
		}
	}},
	{"unary paging by page token", integrated, func(j *journey) {
		req := &bosav1.ExecuteActionRequest{Connector: "github", Action: "list_pull_requests", Input: input(j.t, map[string]any{"owner": "acme", "repo": "web", "state": "all", "per_page": 100})}
		first := j.execute(req)
		if first.GetPrevPageToken() != "" || first.GetNextPageToken() == "" {
			j.t.Fatalf("page 1 tokens: prev %q next %q", first.GetPrevPageToken(), first.GetNextPageToken())
		}
		n, cur := len(items(j.t, first.GetData())), first
		for cur.GetNextPageToken() != "" {
			cur = j.execute(&bosav1.ExecuteActionRequest{Connector: "github", Action: "list_pull_requests", PageToken: cur.GetNextPageToken()})
			n += len(items(j.t, cur.GetData()))
		}
		if n != 237 || field(structpb.NewStructValue(cur.GetMeta()), "page").GetNumberValue() != 3 {
			j.t.Fatalf("walked %d items, last meta %v", n, cur.GetMeta())
		}
		prev := j.execute(&bosav1.ExecuteActionRequest{Connector: "github", Action: "list_pull_requests", PageToken: cur.GetPrevPageToken()})
		if field(structpb.NewStructValue(prev.GetMeta()), "page").GetNumberValue() != 2 {
			j.t.Fatalf("prev page meta %v", prev.GetMeta())
		}
	}},
	{"file upload and byte-exact download", integrated, func(j *journey) {
		data := make([]byte, 2<<20) // base64 in a REST body: within the 4 MiB JSON limit
		_, _ = rand.Read(data)
		up := j.execute(&bosav1.ExecuteActionRequest{
			Connector: "google_drive", Action: "upload_file",
			Input: input(j.t, map[string]any{"description": "e2e"}),
			Files: []*bosav1.File{{Parameter: "file", Filename: "blob.bin", ContentType: "application/x-e2e", Data: data}},
		})
		j.fileID = field(up.GetData(), "id").GetStringValue()
		if j.fileID == "" || field(up.GetData(), "name").GetStringValue() != "blob.bin" {
			j.t.Fatalf("upload answer %v", up.GetData())
		}
		down := j.execute(&bosav1.ExecuteActionRequest{Connector: "google_drive", Action: "download_file", Input: input(j.t, map[string]any{"file_id": j.fileID})})
		f := down.GetFile()
		if f == nil || !bytes.Equal(f.GetData(), data) || f.GetFilename() != "blob.bin" || f.GetContentType() != "application/x-e2e" {
			j.t.Fatalf("download: file %q %q, %d bytes, equal %v", f.GetFilename(), f.GetContentType(), len(f.GetData()), bytes.Equal(f.GetData(), data))
		}
	}},
	{"response filters and fields", integrated, func(j *journey) {
		in := input(j.t, map[string]any{"owner": "acme", "repo": "web", "state": "all", "per_page": 100})
		resp := j.execute(&bosav1.ExecuteActionRequest{
			Connector: "github", Action: "list_pull_requests", Input: in,
			ResponseFields: []string{"number", "state"},
			ResponseFilters: []*bosav1.ResponseFilter{
				{Type: bosav1.ResponseFilterType_RESPONSE_FILTER_TYPE_STRING, FieldName: "state", Value: structpb.NewStringValue("CLOSED")},
				{Type: bosav1.ResponseFilterType_RESPONSE_FILTER_TYPE_NUMBER_RANGE, FieldName: "number", FromValue: proto.Float64(150)},
			},
		})
		got := items(j.t, resp.GetData())
		if len(got) == 0 {
			j.t.Fatal("filters removed everything")
		}
		for _, it := range got {
			f := it.GetStructValue().GetFields()
			if len(f) != 2 || f["state"].GetStringValue() != "closed" || f["number"].GetNumberValue() < 150 {
				j.t.Fatalf("item %v does not match the filters and fields", it)
			}
		}
		// Page tokens carry the filters: the next page is filtered the same way.
		if next := resp.GetNextPageToken(); next != "" {
			r2 := j.execute(&bosav1.ExecuteActionRequest{Connector: "github", Action: "list_pull_requests", PageToken: next})
			for _, it := range items(j.t, r2.GetData()) {
				if f := it.GetStructValue().GetFields(); len(f) != 2 || f["state"].GetStringValue() != "closed" {
					j.t.Fatalf("page 2 item %v is not filtered", it)
				}
			}
		}
	}},
	{"error mappings", integrated, func(j *journey) {
		for _, c := range errorCases {
			j.t.Run(c.name, func(t *testing.T) {
				t.Cleanup(j.env.sb.ClearFaults)
				if c.inject != nil {
					target := c.target
					if target[0] == "" {
						target = [2]string{"github", "get_repository"}
					}
					j.env.sb.Inject(target[0], target[1], *c.inject)
				}
				jj := *j
				jj.t = t
				err := c.call(&jj, jj.ctx())
				st := status.Convert(err)
				if st.Code() != c.code {
					t.Fatalf("code %v (%v), want %v", st.Code(), err, c.code)
				}
				ei := detail[*errdetails.ErrorInfo](st)
				if ei == nil || ei.GetReason() != c.reason || ei.GetDomain() != "bosa.dev" {
					t.Fatalf("ErrorInfo %v, want reason %s (status %v)", ei, c.reason, err)
				}
				for k, v := range c.meta {
					if ei.GetMetadata()[k] != v {
						t.Errorf("metadata[%s] = %q, want %q", k, ei.GetMetadata()[k], v)
					}
				}
				if strings.Contains(st.Message(), j.token) || strings.Contains(st.Message(), sandbox.DemoAPIKey) {
					t.Errorf("message leaks a credential: %q", st.Message())
				}
				if c.check != nil {
					c.check(t, st)
				}
			})
		}
	}},
}

func reasonOf(st *status.Status) string { return detail[*errdetails.ErrorInfo](st).GetReason() }

// TestJourney runs the whole user journey, one table of steps, over gRPC and over REST.
func TestJourney(t *testing.T) {
	for _, face := range []string{"grpc", "rest"} {
		t.Run(face, func(t *testing.T) {
			t.Parallel()
			e := startEnv(t)
			var tr transport = grpcTransport{conn: e.conn}
			if face == "rest" {
				tr = restTransport{base: e.httpBase, hc: &http.Client{}}
			}
			var hits atomic.Int32
			cb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Query().Get("error") == "" {
					hits.Add(1)
				}
				_, _ = w.Write([]byte("connected"))
			}))
			t.Cleanup(cb.Close)
			j := &journey{tr: tr, env: e, id: "alice-" + face, callback: cb, hits: &hits}
			ran := false
			for _, step := range journeySteps {
				t.Run(step.name, func(t *testing.T) {
					ran = true
					j.t = t
					j.setup(step.needs)
					step.run(j)
				})
			}
			// Logs (debug level included) never show credentials or payloads.
			logs := e.logs.String()
			if ran && !strings.Contains(logs, `"msg":"grpc call"`) {
				t.Fatal("the gateway logged no calls")
			}
			for name, secret := range map[string]string{"user secret": j.secret, "token": j.token, "API key": sandbox.DemoAPIKey, "custom credential": "ghp_secret"} {
				if secret != "" && strings.Contains(logs, secret) {
					t.Errorf("logs contain the %s", name)
				}
			}
		})
	}
}

// TestConnectorPathNames: names that a URL path would resolve ("..", ".") or split ("/") are
// INVALID_ARGUMENT on every RPC that takes a connector, and never reach BOSA. (Over REST such a
// name cannot be one path segment: the router refuses it before any RPC.)
func TestConnectorPathNames(t *testing.T) {
	e := startEnv(t)
	for _, name := range []string{"..", ".", "github/../users", "../github", "github/"} {
		t.Run(name, func(t *testing.T) {
			j := &journey{t: t, tr: grpcTransport{conn: e.conn}, env: e}
			c := badConnector("", name, codes.InvalidArgument, "INVALID_REQUEST")
			if st := status.Convert(c.call(j, j.ctx())); st.Code() != codes.InvalidArgument {
				t.Fatal(st)
			}
		})
	}
}
