package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"bosa.dev/gateway/internal/logbuf"
	"bosa.dev/gateway/internal/server"
)

// startSandboxMode runs the command as `bosa-gateway --sandbox` (on free ports) with extra
// arguments, waits for the session it prints and returns the REST base URL, the printed output and
// the logs. The command stops at cleanup.
func startSandboxMode(t *testing.T, args ...string) (base string, stdout, stderr *logbuf.Buffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr = &logbuf.Buffer{}, &logbuf.Buffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"--sandbox", "--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--log-level", "warn"}, args...), stdout, stderr)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("run did not return after cancel")
		}
	})
	re := regexp.MustCompile(`curl -s (http://127\.0\.0\.1:\d+)/healthz`)
	for end := time.Now().Add(10 * time.Second); base == ""; time.Sleep(20 * time.Millisecond) {
		if m := re.FindStringSubmatch(stdout.String()); m != nil {
			base = m[1]
		}
		if time.Now().After(end) {
			t.Fatalf("no session printed; stdout %q stderr %q", stdout.String(), stderr.String())
		}
	}
	return base, stdout, stderr
}

// createUser posts identifier to the gateway's REST /v1/users, with x-api-key when key is set.
func createUser(t *testing.T, base, key, identifier string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+"/v1/users", strings.NewReader(`{"identifier": "`+identifier+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("x-api-key", key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// TestSandboxMode runs the command as `bosa-gateway --sandbox` and uses the REST commands it
// prints: callers need no API key.
func TestSandboxMode(t *testing.T) {
	base, stdout, _ := startSandboxMode(t)
	out := stdout.String()
	for _, want := range []string{"grpcurl@v1.9.4 -plaintext 127.0.0.1:", " list", "bosa.v1.UserService/CreateUser", base + "/v1/connectors/github"} {
		if !strings.Contains(out, want) {
			t.Errorf("session lacks %q:\n%s", want, out)
		}
	}
	status, body := createUser(t, base, "", "bob")
	if status != http.StatusOK || !strings.Contains(body, `"secret":"sk-user-`) && !strings.Contains(body, `"secret": "sk-user-`) {
		t.Errorf("create user without x-api-key: %d %s", status, body)
	}
}

// TestSandboxModeSeededClients: with --sandbox-clients-file a caller's x-api-key of a seeded client
// reaches its own tenant of the embedded sandbox; the logs name the client but never show its key.
func TestSandboxModeSeededClients(t *testing.T) {
	const key = "sk-client-team-a-local-0123"
	path := filepath.Join(t.TempDir(), "clients.json")
	if err := os.WriteFile(path, []byte(`[{"name": "team-a", "api_key": "`+key+`"}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	base, stdout, stderr := startSandboxMode(t, "--sandbox-clients-file", path, "--log-level", "debug")
	for _, tc := range []struct {
		name, key string
		status    int
	}{
		{"seeded key", key, http.StatusOK},
		{"seeded key, same identifier again", key, http.StatusConflict}, // one tenant: ALREADY_EXISTS
		{"demo client (no key), same identifier", "", http.StatusOK},    // another tenant
		{"key not seeded", "sk-client-not-seeded", http.StatusUnauthorized},
	} {
		if status, body := createUser(t, base, tc.key, "carol"); status != tc.status {
			t.Errorf("%s: HTTP %d, want %d: %s", tc.name, status, tc.status, body)
		}
	}
	logs := stdout.String() + stderr.String()
	if !strings.Contains(logs, "team-a") {
		t.Errorf("logs do not name the seeded client:\n%s", logs)
	}
	if strings.Contains(logs, key) {
		t.Errorf("logs show a seeded key:\n%s", logs)
	}
}

func TestSandboxClientsFileErrors(t *testing.T) {
	dir := t.TempDir()
	dup := filepath.Join(dir, "dup.json")
	if err := os.WriteFile(dup, []byte(`[{"name": "a", "api_key": "k"}, {"name": "b", "api_key": "k"}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"without --sandbox", []string{"--sandbox-clients-file", dup}, "needs --sandbox"},
		{"missing file", []string{"--sandbox", "--sandbox-clients-file", filepath.Join(dir, "absent.json")}, "no such file"},
		{"duplicate key", []string{"--sandbox", "--sandbox-clients-file", dup}, "repeats the key of entry 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := parse(tc.args, io.Discard); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
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
