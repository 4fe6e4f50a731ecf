package server_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"

	bosav1 "bosa.dev/gateway/gen/bosa/v1"
	"bosa.dev/gateway/internal/server"
	"bosa.dev/gateway/sandbox"
)

// TestPageTokensAcrossInstances: gateways that share PageTokenSecret (replicas, or one gateway
// before and after a restart) accept each other's page tokens, the resume token of a stream ended
// by shutdown included, and the shutdown message says so; without a shared secret the shutdown
// message says to start again, and another instance refuses the token with a message naming the
// missing secret.
func TestPageTokensAcrossInstances(t *testing.T) {
	t.Parallel()
	const secret = "replica-secret-0123456789"
	withSecret := func(c *server.Config) { c.PageTokenSecret = []byte(secret) }
	replica := startEnv(t, withSecret)
	other := startEnvWith(t, envOptions{shared: replica}) // no secret
	md := userWithGitHub(t, replica.conn, "roamer")
	in := mustStruct(map[string]any{"owner": "acme", "repo": "web", "per_page": 100})

	for _, tc := range []struct {
		name    string
		secret  string
		message string // in the shutdown status
	}{
		{"shared secret", secret, "gateways that share --page-token-secret accept each other's tokens"},
		{"no secret", "", "this gateway has no --page-token-secret, so no other instance (nor this one after a restart) accepts its page tokens"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			first, st := pageThenShutdown(t, replica, tc.secret, md, in)
			if !strings.Contains(st.Message(), tc.message) {
				t.Errorf("shutdown message %q, want it to say %q", st.Message(), tc.message)
			}
			resume := detail[*errdetails.ErrorInfo](st).GetMetadata()["resume_page_token"]
			if resume == "" || resume != first.GetNextPageToken() {
				t.Fatalf("resume_page_token %q, want the first page's token %q", resume, first.GetNextPageToken())
			}
			resumeOn := replica // shares the secret
			if tc.secret == "" {
				resumeOn = other // as every other instance, has a secret of its own
			}
			rest, err := grpcTransport{conn: resumeOn.conn}.paginate(context.Background(), md,
				&bosav1.PaginateRequest{Connector: "github", Action: "list_commits", PageToken: resume})
			if tc.secret == "" {
				st := wantStatus(t, err, codes.InvalidArgument, "INVALID_PAGE_TOKEN")
				if !strings.Contains(st.Message(), "share --page-token-secret, which this one does not") {
					t.Errorf("message %q does not say that a shared secret is missing", st.Message())
				}
				return
			}
			if err != nil {
				t.Fatalf("the replica refused the resume token: %v", err)
			}
			got := len(items(t, first.GetData()))
			for _, p := range rest {
				got += len(items(t, p.GetData()))
			}
			if got != 523 {
				t.Errorf("%d commits across the two instances, want all 523", got)
			}
		})
	}

	t.Run("unary token on a replica, refused without the secret", func(t *testing.T) {
		page := &bosav1.ExecuteActionResponse{}
		req := &bosav1.ExecuteActionRequest{Connector: "github", Action: "list_commits", Input: in}
		if err := (grpcTransport{conn: replica.conn}).call(context.Background(), md, "/bosa.v1.ActionService/ExecuteAction", req, page); err != nil {
			t.Fatal(err)
		}
		restarted := startEnvWith(t, envOptions{shared: replica, cfg: []func(*server.Config){withSecret}})
		next := &bosav1.ExecuteActionRequest{Connector: "github", Action: "list_commits", PageToken: page.GetNextPageToken()}
		if err := (grpcTransport{conn: restarted.conn}).call(context.Background(), md, "/bosa.v1.ActionService/ExecuteAction", next, &bosav1.ExecuteActionResponse{}); err != nil {
			t.Errorf("a gateway with the same secret refused the token: %v", err)
		}
		err := grpcTransport{conn: other.conn}.call(context.Background(), md, "/bosa.v1.ActionService/ExecuteAction", next, &bosav1.ExecuteActionResponse{})
		if st := wantStatus(t, err, codes.InvalidArgument, "INVALID_PAGE_TOKEN"); !strings.Contains(st.Message(), "--page-token-secret") {
			t.Errorf("message %q does not name --page-token-secret", st.Message())
		}
	})
}

// pageThenShutdown starts a gateway with secret on env's upstream, receives the first page of a
// Paginate stream over gRPC, shuts the gateway down while the second page is pending upstream, and
// returns the first page and the status that ended the stream.
func pageThenShutdown(t *testing.T, e *env, secret string, md metadata.MD, in *structpb.Struct) (*bosav1.PaginateResponse, *status.Status) {
	t.Helper()
	gw, err := server.Config{
		UpstreamURL: e.upstream.URL, APIKey: sandbox.DemoAPIKey, GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0",
		Logger: discard(), ShutdownTimeout: 10 * time.Second, PageTokenSecret: []byte(secret),
	}.Complete()
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	done := make(chan error, 1)
	go func() { done <- gw.Run(ctx) }()
	conn, err := grpc.NewClient(gw.GRPCAddr(), grpc.WithTransportCredentials(insecureCreds()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// The first page passes; the second waits upstream until the shutdown cancels it.
	e.sb.Inject("github", "list_commits", sandbox.Fault{Times: 1})
	e.sb.Inject("github", "list_commits", sandbox.Fault{Latency: time.Minute, Times: 1})
	defer e.sb.ClearFaults()
	stream, err := bosav1.NewActionServiceClient(conn).Paginate(metadata.NewOutgoingContext(context.Background(), md),
		&bosav1.PaginateRequest{Connector: "github", Action: "list_commits", Input: in})
	if err != nil {
		t.Fatal(err)
	}
	first, err := stream.Recv()
	if err != nil {
		t.Fatalf("first page: %v", err)
	}
	stop()
	_, err = stream.Recv()
	if err == nil || errors.Is(err, io.EOF) {
		t.Fatalf("the stream went on after shutdown: %v", err)
	}
	st := wantStatus(t, err, codes.Unavailable, "GATEWAY_SHUTTING_DOWN")
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
	return first, st
}
