package goexample_test

import (
	"context"
	"log/slog"
	"os"
	"strings"
	"testing"

	"bosa.dev/gateway/internal/server"
	"bosa.dev/gateway/sandbox"
)

// TestMain runs Example against a real gateway (gRPC over loopback) with the sandbox upstream.
func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	sb := sandbox.NewServer()
	defer sb.Close()
	cfg := server.Config{
		UpstreamURL: sb.URL, APIKey: sandbox.DemoAPIKey,
		GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0",
		Logger: slog.New(slog.DiscardHandler),
	}
	srv, err := cfg.Complete()
	if err != nil {
		panic(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	gatewayAddr = srv.GRPCAddr()
	code := m.Run()
	cancel()
	if err := <-done; err != nil {
		panic(err)
	}
	return code
}

// TestReadmeShowsExample keeps the README's Go stubs example identical to example_test.go.
func TestReadmeShowsExample(t *testing.T) {
	example, err := os.ReadFile("example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "```go\n"+string(example)+"```\n") {
		t.Error("README.md does not show clients/goexample/example_test.go verbatim")
	}
}
