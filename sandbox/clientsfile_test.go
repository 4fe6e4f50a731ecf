package sandbox_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"bosa.dev/gateway/sandbox"
)

// writeClients writes content to a clients file in a fresh directory and returns its path.
func writeClients(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "clients.json")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadClients(t *testing.T) {
	path := writeClients(t, `[{"name": "team-a", "api_key": "sk-client-a"}, {"name": " team-b ", "api_key": " sk-client-b "}]`)
	got, err := sandbox.LoadClients(path)
	if err != nil {
		t.Fatal(err)
	}
	want := []sandbox.Client{{Name: "team-a", APIKey: "sk-client-a"}, {Name: "team-b", APIKey: "sk-client-b"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

// TestLoadClientsErrors: each bad file gets an error naming the file and what to fix, and no
// error shows a key.
func TestLoadClientsErrors(t *testing.T) {
	tests := []struct {
		name    string
		content string // the file; unused when missing
		missing bool
		want    []string // substrings of the error
	}{
		{name: "missing file", missing: true, want: []string{"clients file", "no such file"}},
		{name: "duplicate key", content: `[{"name": "a", "api_key": "sk-client-secret-1"}, {"name": "b", "api_key": "sk-client-secret-1"}]`,
			want: []string{`entry 2 ("b")`, "repeats the key of entry 1"}},
		{name: "duplicate key after trimming", content: `[{"name": "a", "api_key": "sk-client-secret-1"}, {"name": "b", "api_key": "sk-client-secret-1 "}]`,
			want: []string{`entry 2 ("b")`, "repeats the key of entry 1"}},
		{name: "empty key", content: `[{"name": "a", "api_key": "sk-client-secret-1"}, {"name": "b", "api_key": " "}]`,
			want: []string{`entry 2 ("b")`, `"api_key" is missing or empty`}},
		{name: "missing key", content: `[{"name": "a"}]`, want: []string{`entry 1 ("a")`, `"api_key" is missing or empty`}},
		{name: "empty name", content: `[{"name": "", "api_key": "sk-client-secret-1"}]`, want: []string{"entry 1:", `"name" is missing or empty`}},
		{name: "unknown field", content: `[{"name": "a", "apikey": "sk-client-secret-1"}]`, want: []string{"want a JSON array", `unknown field "apikey"`}},
		{name: "object instead of array", content: `{"name": "a", "api_key": "sk-client-secret-1"}`, want: []string{"want a JSON array"}},
		{name: "not JSON", content: `name=a`, want: []string{"want a JSON array"}},
		{name: "empty array", content: `[]`, want: []string{"no clients"}},
		{name: "trailing data", content: `[{"name": "a", "api_key": "sk-client-secret-1"}] []`, want: []string{"unexpected data after the JSON array"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "absent.json")
			if !tt.missing {
				path = writeClients(t, tt.content)
			}
			_, err := sandbox.LoadClients(path)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range append(tt.want, path) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "sk-client-secret") {
				t.Errorf("error shows a key: %q", err)
			}
		})
	}
}

// TestWithClients: seeded keys work over HTTP as separate clients, next to the demo key; a key
// also given to WithAPIKeys is one client.
func TestWithClients(t *testing.T) {
	srv := start(t, sandbox.WithAPIKeys(sandbox.DemoAPIKey, "sk-client-both"),
		sandbox.WithClients(sandbox.Client{Name: "team-a", APIKey: "sk-client-a"}, sandbox.Client{Name: "both", APIKey: "sk-client-both"}))
	c := newCaller(t, srv)
	ids := map[string]bool{}
	for _, key := range []string{sandbox.DemoAPIKey, "sk-client-a", "sk-client-both"} {
		_, u := newUser(c.with(key, ""), "alice")
		ids[u.get("/users/me").data(t)["client_id"].(string)] = true
	}
	if len(ids) != 3 {
		t.Fatalf("three keys, %d clients", len(ids))
	}
	c.with("sk-client-b", "").post("/users", map[string]any{"identifier": "x"}).wantError(t, 401, "INVALID_CLIENT")
	// A seeded client's id comes from its key: the same on every run.
	_, again := newUser(newCaller(t, start(t, sandbox.WithClients(sandbox.Client{Name: "team-a", APIKey: "sk-client-a"}))).with("sk-client-a", ""), "bob")
	if id := again.get("/users/me").data(t)["client_id"].(string); !ids[id] {
		t.Fatalf("client id %s differs between runs", id)
	}
}
