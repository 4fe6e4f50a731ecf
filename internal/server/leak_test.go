package server_test

import (
	"net"
	"testing"

	"go.uber.org/goleak"

	"bosa.dev/gateway/internal/server"
	"bosa.dev/gateway/sandbox"
)

// TestMain fails the package when a test leaves goroutines behind.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestCompleteAndCloseLeakNothing: every path that builds the servers stops them. Close releases a
// Server that never ran, and a Complete that fails after the gRPC servers (and their stream
// workers) started stops them before it returns.
func TestCompleteAndCloseLeakNothing(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	for _, tc := range []struct {
		name               string
		grpcAddr, httpAddr string
		fails              bool
	}{
		{"Complete then Close", "127.0.0.1:0", "127.0.0.1:0", false},
		{"gRPC address in use", busy.Addr().String(), "127.0.0.1:0", true},
		{"HTTP address in use", "127.0.0.1:0", busy.Addr().String(), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
			gw, err := server.Config{UpstreamURL: "http://127.0.0.1:1", APIKey: sandbox.DemoAPIKey,
				GRPCAddr: tc.grpcAddr, HTTPAddr: tc.httpAddr, Logger: discard()}.Complete()
			if tc.fails {
				if err == nil {
					gw.Close()
					t.Fatal("Complete succeeded on an address in use")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := gw.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
	}
}
