package bosaclient

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
)

// TestReadBody covers both ways a body is read: into an exact buffer when its length is announced,
// with io.ReadAll otherwise, and a body shorter than its Content-Length.
func TestReadBody(t *testing.T) {
	want := bytes.Repeat([]byte("0123456789"), 10000)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/length":
			w.Header().Set("Content-Length", strconv.Itoa(len(want)))
			_, _ = w.Write(want)
		case "/chunked":
			w.(http.Flusher).Flush() // headers out before the body: no Content-Length
			_, _ = w.Write(want)
		case "/short":
			w.Header().Set("Content-Length", strconv.Itoa(len(want)+10))
			_, _ = w.Write(want)
		}
	}))
	defer srv.Close()
	tests := []struct {
		path    string
		limit   int64
		wantLen int64 // announced length, -1 when unknown
		wantErr bool
	}{
		{"/length", 1 << 20, int64(len(want)), false},
		{"/chunked", 1 << 20, -1, false},
		{"/short", 1 << 20, int64(len(want) + 10), true},
		{"/length", 10, int64(len(want)), false}, // over the limit: read limit+1 bytes, the caller refuses
	}
	for _, tt := range tests {
		t.Run(tt.path+"/"+strconv.FormatInt(tt.limit, 10), func(t *testing.T) {
			resp, err := http.Get(srv.URL + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.ContentLength != tt.wantLen {
				t.Fatalf("ContentLength %d, want %d", resp.ContentLength, tt.wantLen)
			}
			got, err := readBody(resp, tt.limit)
			if tt.wantErr {
				if err == nil {
					t.Fatal("no error for a truncated body")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			exp := want
			if int64(len(want)) > tt.limit {
				exp = want[:tt.limit+1]
			}
			if !bytes.Equal(got, exp) {
				t.Errorf("got %d bytes, want %d", len(got), len(exp))
			}
		})
	}
}
