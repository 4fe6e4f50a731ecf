package server_test

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"bosa.dev/gateway/internal/server"
	"bosa.dev/gateway/sandbox"
)

// TestHealthWatchEndsWhenDraining: an open health Watch (a load balancer's) sees SERVING, then ends
// with UNAVAILABLE when the drain begins, so it does not hold the graceful stop until the shutdown
// timeout (here far longer than the test waits).
func TestHealthWatchEndsWhenDraining(t *testing.T) {
	t.Parallel()
	gw, err := server.Config{
		UpstreamURL: "http://127.0.0.1:1", APIKey: sandbox.DemoAPIKey, GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0",
		Logger: discard(), ShutdownTimeout: 10 * time.Minute,
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
	watch, err := healthpb.NewHealthClient(conn).Watch(context.Background(), &healthpb.HealthCheckRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if resp, err := watch.Recv(); err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("first Watch answer: %v %v", resp, err)
	}
	stop()
	// NOT_SERVING may arrive first; then the stream ends.
	for {
		resp, err := watch.Recv()
		if err != nil {
			if status.Code(err) != codes.Unavailable {
				t.Errorf("Watch ended with %v, want UNAVAILABLE", err)
			}
			break
		}
		if resp.GetStatus() != healthpb.HealthCheckResponse_NOT_SERVING {
			t.Errorf("Watch during shutdown: %v", resp.GetStatus())
		}
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return: the Watch holds the graceful stop")
	}
}
