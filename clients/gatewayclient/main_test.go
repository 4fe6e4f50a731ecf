package gatewayclient_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"bosa.dev/gateway/internal/server"
	"bosa.dev/gateway/sandbox"
)

// gatewayAddr is the gRPC address of the gateway TestMain starts (the examples dial it).
var gatewayAddr = "localhost:50051"

var upstreamURL string

// TestMain runs the tests and examples against a real gateway (gRPC over loopback) with the
// sandbox upstream.
func TestMain(m *testing.M) {
	sb := sandbox.NewServer()
	upstreamURL = sb.URL
	startGateway("127.0.0.1:0")
	code := m.Run()
	stopGateway()
	sb.Close()
	os.Exit(code)
}

// stopRunning stops the running gateway and waits until it has.
var stopRunning func()

// stopGateway stops the running gateway.
func stopGateway() {
	stopRunning()
	stopRunning = nil
}

// startGateway runs a gateway on addr and sets gatewayAddr.
func startGateway(addr string) {
	cfg := server.Config{
		UpstreamURL: upstreamURL, APIKey: sandbox.DemoAPIKey,
		GRPCAddr: addr, HTTPAddr: "127.0.0.1:0",
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
	stopRunning = func() {
		cancel()
		if err := <-done; err != nil {
			panic(err)
		}
	}
}

// browser plays the user's browser in OAuth2: it follows url's redirects to a local callback page.
func browser(t testing.TB, connect func(callbackURL string) string) {
	t.Helper()
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	defer page.Close()
	resp, err := http.Get(connect(page.URL + "/done"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Host != page.Listener.Addr().String() {
		t.Fatalf("OAuth2 ended at %s (%d), not the callback page", resp.Request.URL, resp.StatusCode)
	}
}

// TestDocsShowExample keeps docs/clients.md's Go example identical to example_test.go.
func TestDocsShowExample(t *testing.T) {
	example, err := os.ReadFile("example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	docs, err := os.ReadFile("../../docs/clients.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(docs), "```go\n"+string(example)+"```\n") {
		t.Error("docs/clients.md does not show clients/gatewayclient/example_test.go verbatim")
	}
}
