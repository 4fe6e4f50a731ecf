package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"bosa.dev/gateway/sandbox"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestParseConfig(t *testing.T) {
	dir := t.TempDir()
	clientsFile := filepath.Join(dir, "clients.json")
	if err := os.WriteFile(clientsFile, []byte(`[{"name": "team-a", "api_key": "sk-client-team-a"}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	dupFile := filepath.Join(dir, "dup.json")
	if err := os.WriteFile(dupFile, []byte(`[{"name": "a", "api_key": "k"}, {"name": "b", "api_key": "k"}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	seeded := []sandbox.Client{{Name: "team-a", APIKey: "sk-client-team-a"}}
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want config
	}{
		{"defaults", nil, nil, config{addr: DefaultAddr, tokenLifetime: 24 * time.Hour, maxUpload: sandbox.DefaultMaxUploadSize}},
		{"flags", []string{"--addr", "127.0.0.1:0", "--api-key", "sk-client-a", "--api-key", "sk-client-b", "--control",
			"--token-lifetime", "5m", "--master-key", "m", "--max-upload", "10", "--verbose"}, nil,
			config{addr: "127.0.0.1:0", apiKeys: []string{"sk-client-a", "sk-client-b"}, control: true, tokenLifetime: 5 * time.Minute,
				masterKey: "m", maxUpload: 10, verbose: true}},
		{"environment", nil, map[string]string{"BOSA_SANDBOX_ADDR": ":9999", "BOSA_SANDBOX_API_KEYS": "sk-client-a, sk-client-b",
			"BOSA_SANDBOX_CONTROL": "true", "BOSA_SANDBOX_TOKEN_LIFETIME": "1h", "BOSA_SANDBOX_MASTER_KEY": "m",
			"BOSA_SANDBOX_MAX_UPLOAD": "100", "BOSA_SANDBOX_VERBOSE": "1"},
			config{addr: ":9999", apiKeys: []string{"sk-client-a", "sk-client-b"}, control: true, tokenLifetime: time.Hour,
				masterKey: "m", maxUpload: 100, verbose: true}},
		{"clients file", []string{"--clients-file", clientsFile}, nil,
			config{addr: DefaultAddr, clientsFile: clientsFile, clients: seeded, tokenLifetime: 24 * time.Hour, maxUpload: sandbox.DefaultMaxUploadSize}},
		{"clients file from environment", nil, map[string]string{"BOSA_SANDBOX_CLIENTS_FILE": clientsFile},
			config{addr: DefaultAddr, clientsFile: clientsFile, clients: seeded, tokenLifetime: 24 * time.Hour, maxUpload: sandbox.DefaultMaxUploadSize}},
		{"flags win over environment", []string{"--addr", "127.0.0.1:1", "--api-key", "sk-client-f", "--control=false"},
			map[string]string{"BOSA_SANDBOX_ADDR": ":9999", "BOSA_SANDBOX_API_KEYS": "sk-client-e", "BOSA_SANDBOX_CONTROL": "true"},
			config{addr: "127.0.0.1:1", apiKeys: []string{"sk-client-f"}, tokenLifetime: 24 * time.Hour, maxUpload: sandbox.DefaultMaxUploadSize}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseConfig(tt.args, env(tt.env), io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
	bad := []struct {
		name string
		args []string
		env  map[string]string
	}{
		{"bad duration", []string{"--token-lifetime", "soon"}, nil},
		{"negative lifetime", []string{"--token-lifetime", "-1s"}, nil},
		{"empty key", []string{"--api-key", " "}, nil},
		{"stray argument", []string{"serve"}, nil},
		{"bad env bool", nil, map[string]string{"BOSA_SANDBOX_CONTROL": "maybe"}},
		{"bad env duration", nil, map[string]string{"BOSA_SANDBOX_TOKEN_LIFETIME": "x"}},
		{"bad env size", nil, map[string]string{"BOSA_SANDBOX_MAX_UPLOAD": "big"}},
		{"zero upload", []string{"--max-upload", "0"}, nil},
		{"missing clients file", []string{"--clients-file", filepath.Join(dir, "absent.json")}, nil},
		{"missing clients file from environment", nil, map[string]string{"BOSA_SANDBOX_CLIENTS_FILE": filepath.Join(dir, "absent.json")}},
		{"invalid clients file", []string{"--clients-file", dupFile}, nil},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := parseConfig(tt.args, env(tt.env), io.Discard); err == nil {
				t.Fatal("no error")
			}
		})
	}
}

// readURL reads the first output line and returns the URL it announces.
func readURL(t *testing.T, sc *bufio.Scanner) string {
	t.Helper()
	if !sc.Scan() {
		t.Fatalf("no output: %v", sc.Err())
	}
	line := sc.Text()
	const prefix = "BOSA sandbox serving on "
	if !strings.HasPrefix(line, prefix) {
		t.Fatalf("first line %q", line)
	}
	return strings.TrimPrefix(line, prefix)
}

func TestRunServesAndStops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--addr", "127.0.0.1:0", "--control"}, env(nil), pw, io.Discard)
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	base := readURL(t, sc)
	go func() { _, _ = io.Copy(io.Discard, pr) }() // drain the rest of the output

	res, err := http.Get(base + "/connectors/names")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	_ = json.NewDecoder(res.Body).Decode(&names)
	res.Body.Close()
	if !reflect.DeepEqual(names, []string{"github", "google_drive"}) {
		t.Fatalf("names %v", names)
	}
	res, err = http.Post(base+"/users", "application/json", strings.NewReader(`{"identifier": "x"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("no key: status %d", res.StatusCode)
	}
	res, err = http.Get(base + "/sandbox/control/calls")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("control surface: status %d", res.StatusCode)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after cancel")
	}
	if _, err := http.Get(base + "/connectors/names"); err == nil {
		t.Fatal("still serving after shutdown")
	}
}

func TestRunRejectsBusyAddress(t *testing.T) {
	srv := sandbox.NewServer()
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	if err := run(context.Background(), []string{"--addr", addr}, env(nil), io.Discard, io.Discard); err == nil {
		t.Fatal("listening on a busy address succeeded")
	}
}

// TestSignals runs the real main in a child process and stops it with SIGINT and SIGTERM.
func TestSignals(t *testing.T) {
	if os.Getenv("BOSA_SANDBOX_CHILD") == "1" {
		os.Args = []string{"bosa-sandbox", "--addr", "127.0.0.1:0"}
		main()
		return
	}
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestSignals$")
			cmd.Env = append(os.Environ(), "BOSA_SANDBOX_CHILD=1")
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			sc := bufio.NewScanner(out)
			base := readURL(t, sc)
			if !sc.Scan() || sc.Text() != "demo client key (X-API-Key): "+sandbox.DemoAPIKey {
				t.Fatalf("second line %q", sc.Text())
			}
			res, err := http.Get(base + "/connectors/names")
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			var rest strings.Builder
			for sc.Scan() {
				rest.WriteString(sc.Text() + "\n")
			}
			if err := cmd.Wait(); err != nil {
				t.Fatalf("exit: %v; output %s", err, rest.String())
			}
			if !strings.Contains(rest.String(), "BOSA sandbox stopped") {
				t.Fatalf("output %q", rest.String())
			}
		})
	}
}

// TestRunSeededClients starts the command with a clients file: a seeded key works over HTTP, a key
// not in the file does not, and the output names the clients but never shows a key.
func TestRunSeededClients(t *testing.T) {
	const key = "sk-client-team-a-local-0123"
	path := filepath.Join(t.TempDir(), "clients.json")
	if err := os.WriteFile(path, []byte(`[{"name": "team-a", "api_key": "`+key+`"}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() { // stdout and stderr (verbose request logs) both go to the pipe
		done <- run(ctx, []string{"--addr", "127.0.0.1:0", "--clients-file", path, "--verbose"}, env(nil), pw, pw)
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	base := readURL(t, sc)
	var output strings.Builder
	read := make(chan struct{})
	go func() {
		for sc.Scan() {
			output.WriteString(sc.Text() + "\n")
		}
		close(read)
	}()

	for _, tc := range []struct {
		key    string
		status int
	}{{key, http.StatusOK}, {"sk-client-not-seeded", http.StatusUnauthorized}} {
		req, _ := http.NewRequest(http.MethodPost, base+"/users", strings.NewReader(`{"identifier": "alice"}`))
		req.Header.Set("X-API-Key", tc.key)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != tc.status {
			t.Errorf("POST /users with key %.14s…: status %d, want %d", tc.key, res.StatusCode, tc.status)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	<-read
	out := output.String()
	if !strings.Contains(out, "seeded clients from "+path+": team-a") || !strings.Contains(out, "/users") {
		t.Errorf("output lacks the seeded clients or the request log:\n%s", out)
	}
	if strings.Contains(out, key) {
		t.Errorf("output shows a seeded key:\n%s", out)
	}
}
