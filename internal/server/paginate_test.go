package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/types/known/structpb"

	"bosa.dev/gateway/bosaclient"
	bosav1 "bosa.dev/gateway/gen/bosa/v1"
	"bosa.dev/gateway/sandbox"
)

// blockingStream is a Paginate stream whose caller reads only when the test releases a page.
type blockingStream struct {
	grpc.ServerStream
	ctx     context.Context
	release chan struct{}
	sent    chan *bosav1.PaginateResponse
}

func (s *blockingStream) Context() context.Context { return s.ctx }

func (s *blockingStream) Send(m *bosav1.PaginateResponse) error {
	select {
	case <-s.release:
		s.sent <- m
		return nil
	case <-s.ctx.Done():
		return s.ctx.Err()
	}
}

// sandboxUser returns a bosaclient for a fresh sandbox and the token of a user with a GitHub integration.
func sandboxUser(t *testing.T) (*sandbox.Server, *bosaclient.Client, string) {
	t.Helper()
	sb := sandbox.NewServer()
	t.Cleanup(sb.Close)
	cb := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(cb.Close)
	c, err := bosaclient.New(sb.URL, sandbox.DemoAPIKey)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	u, err := c.CreateUser(ctx, "pager")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := c.Authenticate(ctx, "pager", u.Secret)
	if err != nil {
		t.Fatal(err)
	}
	authURL, err := c.InitiateIntegration(ctx, "github", cb.URL, bosaclient.WithToken(tok.Token))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return sb, c, tok.Token
}

// TestPaginatePrefetchBound drives Paginate with a caller that has taken exactly two pages (one
// sent, one stuck in Send) and checks how many upstream pages were fetched: prefetch pages in the
// buffer plus the one the producer holds, or, without prefetch, none beyond what the caller took.
func TestPaginatePrefetchBound(t *testing.T) {
	sb, client, token := sandboxUser(t)
	for _, tc := range []struct {
		prefetch int32
		want     int
	}{
		{prefetch: 0, want: 2},
		{prefetch: 3, want: 2 + 3 + 1},
	} {
		sb.ResetCalls()
		svc := &actionService{services: &services{client: client, hasAPIKey: true, tokens: pageTokens{key: []byte("k")},
			maxPages: 1000, maxPrefetch: 8, maxAttempts: 1, defaultAttempts: 1}}
		ctx, cancel := context.WithCancel(metadata.NewIncomingContext(context.Background(), metadata.Pairs("authorization", "Bearer "+token)))
		stream := &blockingStream{ctx: ctx, release: make(chan struct{}, 1), sent: make(chan *bosav1.PaginateResponse, 100)}
		in, _ := structpb.NewStruct(map[string]any{"owner": "acme", "repo": "web", "per_page": 5})
		done := make(chan error, 1)
		go func() {
			done <- svc.Paginate(&bosav1.PaginateRequest{Connector: "github", Action: "list_commits", Input: in, Prefetch: tc.prefetch}, stream)
		}()
		stream.release <- struct{}{}
		<-stream.sent
		// Let the producer run as far ahead as it may.
		deadline := time.Now().Add(2 * time.Second)
		for sb.Calls("github", "list_commits").Total < tc.want && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(200 * time.Millisecond)
		if got := sb.Calls("github", "list_commits").Total; got != tc.want {
			t.Errorf("prefetch %d: %d upstream pages fetched while the caller took 2, want %d", tc.prefetch, got, tc.want)
		}
		cancel()
		select {
		case <-done: // Paginate waits for its producer, so no fetch outlives it
		case <-time.After(5 * time.Second):
			t.Fatalf("prefetch %d: Paginate did not return after cancel", tc.prefetch)
		}
		after := sb.Calls("github", "list_commits").Total
		time.Sleep(100 * time.Millisecond)
		if got := sb.Calls("github", "list_commits").Total; got != after {
			t.Errorf("prefetch %d: fetching went on after Paginate returned (%d → %d)", tc.prefetch, after, got)
		}
	}
}
