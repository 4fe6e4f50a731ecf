package sandbox_test

import (
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"

	"bosa.dev/gateway/sandbox"
)

// TestListen: Listen serves on the address it is given, and a listen error is returned, not a panic.
func TestListen(t *testing.T) {
	srv, err := sandbox.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/connectors/names")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /connectors/names: %d", resp.StatusCode)
	}

	busy := strings.TrimPrefix(srv.URL, "http://")
	again, err := sandbox.Listen(busy)
	if err == nil {
		again.Close()
		t.Fatalf("Listen on the busy address %s succeeded", busy)
	}
	var opErr *net.OpError
	if !errors.As(err, &opErr) || !strings.Contains(err.Error(), "sandbox: listen") {
		t.Errorf("error %v, want the wrapped listen error", err)
	}
}
