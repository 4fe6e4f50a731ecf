package server

import (
	"context"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

// drainingHealth is grpc-go's health service whose Watch streams end, with UNAVAILABLE, when the
// drain begins: GracefulStop waits for every open stream, and a load balancer's Watch would
// otherwise hold the shutdown until its timeout. Watchers have seen NOT_SERVING since shutdown
// began (health.Server.Shutdown, before the drain delay).
type drainingHealth struct {
	*health.Server
	draining <-chan struct{}
}

// Watch implements healthpb.HealthServer.
func (h drainingHealth) Watch(req *healthpb.HealthCheckRequest, stream healthpb.Health_WatchServer) error {
	ctx, cancel := context.WithCancel(stream.Context())
	defer cancel()
	go func() {
		select {
		case <-h.draining:
			cancel()
		case <-ctx.Done():
		}
	}()
	err := h.Server.Watch(req, watchStream{stream, ctx})
	select {
	case <-h.draining:
		return status.Error(codes.Unavailable, "the gateway is shutting down; watch another instance")
	default:
		return err
	}
}

// watchStream is a Watch stream with a context that also ends when the drain begins.
type watchStream struct {
	healthpb.Health_WatchServer
	ctx context.Context
}

func (w watchStream) Context() context.Context { return w.ctx }
