package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"bosa.dev/gateway/server"
)

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestSandboxMode runs the command as `bosa-gateway --sandbox` (on free ports) and uses the REST
// commands it prints: callers need no API key.
func TestSandboxMode(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--sandbox", "--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--log-level", "warn"}, &stdout, &stderr)
	}()
	var base string
	re := regexp.MustCompile(`curl -s (http://127\.0\.0\.1:\d+)/healthz`)
	for end := time.Now().Add(10 * time.Second); base == ""; time.Sleep(20 * time.Millisecond) {
		if m := re.FindStringSubmatch(stdout.String()); m != nil {
			base = m[1]
		}
		if time.Now().After(end) {
			t.Fatalf("no session printed; stdout %q stderr %q", stdout.String(), stderr.String())
		}
	}
	out := stdout.String()
	for _, want := range []string{"grpcurl@v1.9.4 -plaintext 127.0.0.1:", " list", "bosa.v1.UserService/CreateUser", base + "/v1/connectors/github"} {
		if !strings.Contains(out, want) {
			t.Errorf("session lacks %q:\n%s", want, out)
		}
	}
	resp, err := http.Post(base+"/v1/users", "application/json", strings.NewReader(`{"identifier": "bob"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"secret":"sk-user-`) && !strings.Contains(string(body), `"secret": "sk-user-`) {
		t.Errorf("create user without x-api-key: %d %s", resp.StatusCode, body)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after cancel")
	}
}

func TestFlagsAndEnvironment(t *testing.T) {
	t.Setenv("BOSA_API_URL", "http://upstream.example")
	t.Setenv("BOSA_API_KEY", "sk-client-env")
	t.Setenv("BOSA_GRPC_ADDR", "127.0.0.1:1111")
	t.Setenv("BOSA_MAX_MESSAGE_BYTES", "1024")
	t.Setenv("BOSA_EXPOSE_CREDENTIALS", "true")
	o, err := parse([]string{"--grpc-addr", "127.0.0.1:2222", "--max-pages", "7"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	c := o.cfg
	if c.UpstreamURL != "http://upstream.example" || c.APIKey != "sk-client-env" || c.MaxMessageBytes != 1024 || !c.ExposeCredentials {
		t.Errorf("environment not applied: %+v", c)
	}
	if c.GRPCAddr != "127.0.0.1:2222" || c.MaxPages != 7 || c.HTTPAddr != server.DefaultHTTPAddr {
		t.Errorf("flags or defaults wrong: grpc %q http %q pages %d", c.GRPCAddr, c.HTTPAddr, c.MaxPages)
	}
	var help bytes.Buffer
	if _, err := parse([]string{"-help"}, &help); err == nil || strings.Contains(help.String(), "sk-client-env") || !strings.Contains(help.String(), "BOSA_API_KEY") {
		t.Errorf("-help: err %v; it must name BOSA_API_KEY but not show its value", err)
	}
	if _, err := parse([]string{"extra"}, io.Discard); err == nil {
		t.Error("positional arguments accepted")
	}
}

func TestInvalidEnvironmentFails(t *testing.T) {
	t.Setenv("BOSA_MAX_PAGES", "many")
	if _, err := parse(nil, io.Discard); err == nil {
		t.Error("BOSA_MAX_PAGES=many accepted")
	}
}
