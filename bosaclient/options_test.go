package bosaclient

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"bosa.dev/gateway/sandbox"
	"bosa.dev/gateway/shape"
)

type countingTransport struct {
	n    atomic.Int64
	next http.RoundTripper
}

func (t *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	t.n.Add(1)
	return t.next.RoundTrip(r)
}

func TestOptions(t *testing.T) {
	e := newEnv(t, "optioned")
	ctx := context.Background()

	tr := &countingTransport{next: e.transport}
	c, _ := New(e.srv.URL, sandbox.DemoAPIKey, WithHTTPClient(&http.Client{Transport: tr}), WithHTTPClient(nil),
		WithTimeout(150*time.Millisecond), WithTimeout(0), WithManagementTimeout(150*time.Millisecond), WithManagementTimeout(-1),
		WithMaxPages(0), WithMaxResponseBytes(0), WithLogger(nil))
	if _, err := c.CurrentUser(ctx, WithToken(e.token)); err != nil {
		t.Fatal(err)
	}
	if tr.n.Load() != 1 {
		t.Fatalf("custom http.Client not used")
	}
	c.CloseIdleConnections()
	if c.maxPages != DefaultMaxPages || c.maxResponse != DefaultMaxResponseBytes || c.logger == nil {
		t.Fatal("zero values must keep the defaults")
	}

	tests := []struct {
		name   string
		inject func()
		call   func() error
	}{
		{"action timeout", func() {
			e.srv.Inject("github", "get_repository", sandbox.Fault{Latency: time.Second, Times: 1})
		}, func() error {
			_, err := c.Execute(ctx, "github", "get_repository", map[string]any{"owner": "acme", "repo": "web"}, WithToken(e.token))
			return err
		}},
		{"management timeout", func() {
			e.srv.Inject("", "users", sandbox.Fault{Latency: time.Second, Times: 1})
		}, func() error { _, err := c.CurrentUser(ctx, WithToken(e.token)); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.inject()
			start := time.Now()
			err := tt.call()
			if !IsUnavailable(err) {
				t.Fatalf("err = %v", err)
			}
			if el := time.Since(start); el > 900*time.Millisecond {
				t.Fatalf("timeout not applied: %v", el)
			}
		})
	}
}

func TestReadFileAndSave(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(p, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := ReadFile(p)
	if err != nil || f.Filename != "notes.txt" || f.ContentType != "text/plain; charset=utf-8" || string(f.Data) != "hello" {
		t.Fatalf("ReadFile: %+v %v", f, err)
	}
	q := filepath.Join(dir, "blob.unknownext")
	if err := (&File{Data: []byte{1, 2}}).Save(q); err != nil {
		t.Fatal(err)
	}
	g, err := ReadFile(q)
	if err != nil || g.ContentType != "application/octet-stream" || len(g.Data) != 2 {
		t.Fatalf("ReadFile unknown ext: %+v %v", g, err)
	}
	if _, err := ReadFile(filepath.Join(dir, "missing")); err == nil {
		t.Fatal("missing file: want error")
	}
}

func TestNormalizeValues(t *testing.T) {
	type custom struct {
		A int `json:"a"`
	}
	var nilFile *File
	var nilCustom *custom
	tests := []struct {
		in   any
		want string
	}{
		{int8(1), "1"}, {int16(2), "2"}, {int32(3), "3"}, {int64(4), "4"}, {uint(5), "5"}, {uint8(6), "6"},
		{uint16(7), "7"}, {uint32(8), "8"}, {uint64(9), "9"}, {float32(1.5), "1.5"},
		{int64(1) << 60, "1152921504606846976"}, {uint64(1) << 60, "1152921504606846976"},
		{[]string{"a"}, `["a"]`}, {map[string]any{"k": int16(1)}, `{"k":1}`}, {[]any{uint8(1)}, "[1]"},
		{custom{A: 1}, `{"a":1}`}, {&custom{A: 2}, `{"a":2}`}, {nilCustom, "null"}, {nilFile, "null"},
		{map[string]int{"x": 1}, `{"x":1}`}, {shape.Number("n", 1), `{"field_name":"n","type":"number","value":1}`},
	}
	for _, tt := range tests {
		got, err := normalizeValue(tt.in)
		if err != nil {
			t.Fatalf("%T: %v", tt.in, err)
		}
		b, _ := json.Marshal(got)
		if string(b) != tt.want {
			t.Errorf("normalizeValue(%#v) = %s, want %s", tt.in, b, tt.want)
		}
	}
	if _, err := normalizeValue([]any{func() {}}); err == nil {
		t.Error("func in a list: want error")
	}
	if _, err := normalizeValue(map[string]any{"f": func() {}}); err == nil {
		t.Error("func in a map: want error")
	}
	p, err := normalizeParams(map[string]any{"a": nil, "b": nilFile, "c": 1})
	if err != nil || len(p) != 1 {
		t.Fatalf("nils must be omitted: %v %v", p, err)
	}
}

func TestFileList(t *testing.T) {
	f := &File{Filename: "a"}
	tests := []struct {
		in    any
		n     int
		multi bool
	}{
		{File{}, 1, true}, {f, 1, true}, {(*File)(nil), 0, false}, {[]File{}, 0, false},
		{[]*File{f, f}, 2, true}, {[]*File{}, 0, false}, {[]any{File{}, f}, 2, true}, {[]any{}, 0, false},
		{[]any{File{}, "x"}, 0, false}, {[]byte("x"), 1, true}, {"x", 0, false},
	}
	for _, tt := range tests {
		files, ok := fileList(tt.in)
		if ok != tt.multi || len(files) != tt.n {
			t.Errorf("fileList(%T) = %d, %v", tt.in, len(files), ok)
		}
	}
	for _, v := range []any{int(3), int64(4), json.Number("5"), 2.25, true, "s"} {
		if _, err := formScalar(v); err != nil {
			t.Errorf("formScalar(%v): %v", v, err)
		}
	}
	if s, _ := formScalar(1e20); s != "1e+20" {
		t.Errorf("formScalar(1e20) = %s", s)
	}
	if got := fmt.Sprint(asString(map[string]any{"a": 1})); got != `{"a":1}` {
		t.Errorf("asString = %s", got)
	}
}
