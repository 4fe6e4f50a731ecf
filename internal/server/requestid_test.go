package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	bosav1 "bosa.dev/gateway/gen/bosa/v1"
	"bosa.dev/gateway/sandbox"
)

// upstreamIDs records the X-Request-Id of every request reaching the upstream, by path.
type upstreamIDs struct {
	mu sync.Mutex
	m  map[string][]string
}

func (u *upstreamIDs) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.mu.Lock()
		u.m[r.URL.Path] = append(u.m[r.URL.Path], r.Header.Get("X-Request-Id"))
		u.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

func (u *upstreamIDs) last(path string) string {
	u.mu.Lock()
	defer u.mu.Unlock()
	ids := u.m[path]
	if len(ids) == 0 {
		return ""
	}
	return ids[len(ids)-1]
}

// TestRequestIDPropagation: a caller's x-request-id (or a generated one) is sent upstream, returned in
// the response headers and set in the metadata of every error's ErrorInfo, over gRPC and REST.
func TestRequestIDPropagation(t *testing.T) {
	seen := &upstreamIDs{m: map[string][]string{}}
	e := startEnvWith(t, envOptions{wrap: seen.wrap})
	users := bosav1.NewUserServiceClient(e.conn)
	// call returns the request id the gateway answered with: in the headers of a success, in the
	// trailers of a failure (which must stay trailers-only: see TestFailedCallsAreRetried).
	call := func(id string) (metadata.MD, error) {
		var hdr, trl metadata.MD
		ctx := context.Background()
		if id != "" {
			ctx = metadata.AppendToOutgoingContext(ctx, "x-request-id", id)
		}
		_, err := users.CreateUser(ctx, &bosav1.CreateUserRequest{Identifier: "rid-user"}, grpc.Header(&hdr), grpc.Trailer(&trl))
		if err != nil {
			if got := first(hdr, "x-request-id"); got != "" {
				t.Errorf("a failed call sent the request id %q in its headers", got)
			}
			return trl, err
		}
		return hdr, err
	}
	if _, err := call("trace-create:1"); err != nil {
		t.Fatal(err)
	}
	if got := seen.last("/users"); got != "trace-create:1" {
		t.Fatalf("upstream saw X-Request-Id %q", got)
	}

	tests := []struct {
		name, sent string
		kept       bool
	}{
		{"kept", "trace-dup.2", true},
		{"generated", "", false},
		{"not of the protocol's form", "trace/with/slash", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hdr, err := call(tt.sent) // a duplicate: the upstream answers 400 USER_ALREADY_EXISTS
			st := status.Convert(err)
			id := first(hdr, "x-request-id")
			if st.Code() != codes.AlreadyExists || id == "" || (tt.kept && id != tt.sent) || (!tt.kept && id == tt.sent) {
				t.Fatalf("%v, x-request-id %q", err, id)
			}
			if got := detail[*errdetails.ErrorInfo](st).GetMetadata()["request_id"]; got != id {
				t.Fatalf("ErrorInfo request_id %q, header %q", got, id)
			}
			if got := seen.last("/users"); got != id {
				t.Fatalf("upstream saw %q, the caller got %q", got, id)
			}
		})
	}

	t.Run("a gateway-side error", func(t *testing.T) {
		var hdr metadata.MD
		ctx := metadata.AppendToOutgoingContext(context.Background(), "x-request-id", "trace-local-3")
		_, err := bosav1.NewConnectorServiceClient(e.conn).GetConnector(ctx, &bosav1.GetConnectorRequest{}, grpc.Header(&hdr))
		st := status.Convert(err)
		if st.Code() != codes.InvalidArgument || detail[*errdetails.ErrorInfo](st).GetMetadata()["request_id"] != "trace-local-3" {
			t.Fatalf("%v %v", err, st.Details())
		}
	})

	t.Run("REST", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, e.httpBase+"/v1/users", bytes.NewReader([]byte(`{"identifier": "rid-user"}`)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Request-Id", "rest-trace-4")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		var st struct {
			Details []struct {
				Type     string            `json:"@type"`
				Metadata map[string]string `json:"metadata"`
			} `json:"details"`
		}
		if err := json.Unmarshal(body, &st); err != nil {
			t.Fatalf("%d: %s", res.StatusCode, body)
		}
		found := false
		for _, d := range st.Details {
			if d.Type == "type.googleapis.com/google.rpc.ErrorInfo" {
				found = d.Metadata["request_id"] == "rest-trace-4"
			}
		}
		if res.StatusCode != http.StatusConflict || len(res.Header.Values("X-Request-Id")) != 1 ||
			res.Header.Get("X-Request-Id") != "rest-trace-4" || !found || seen.last("/users") != "rest-trace-4" {
			t.Fatalf("%d %q upstream %q: %s", res.StatusCode, res.Header.Values("X-Request-Id"), seen.last("/users"), body)
		}
	})

	t.Run("REST success, generated id", func(t *testing.T) {
		res, err := http.Get(e.httpBase + "/v1/connectors")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if ids := res.Header.Values("X-Request-Id"); res.StatusCode != http.StatusOK || len(ids) != 1 || !validRequestIDForTest(ids[0]) {
			t.Fatalf("%d, X-Request-Id %q", res.StatusCode, ids)
		}
	})
}

// validRequestIDForTest mirrors the gateway's accepted id form: 1–128 of [A-Za-z0-9._:-].
func validRequestIDForTest(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	return strings.Trim(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:-") == ""
}

// TestFailedCallsAreRetried: a failure the gateway answers itself (UNAVAILABLE, BOSA answering 503)
// is a trailers-only answer, so that a client under the published service config retries it.
func TestFailedCallsAreRetried(t *testing.T) {
	e := startEnv(t)
	cfg, err := os.ReadFile("../../proto/bosa/v1/service_config.json")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := grpc.NewClient(e.conn.Target(), grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultServiceConfig(string(cfg)))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	e.sb.Inject("", "discovery", sandbox.Fault{Status: 503, Times: 1})
	if _, err := bosav1.NewConnectorServiceClient(conn).ListConnectors(context.Background(), &bosav1.ListConnectorsRequest{}); err != nil {
		t.Fatalf("ListConnectors was not retried past one 503: %v", err)
	}
	if n := e.sb.Calls("", "discovery").Total; n != 2 {
		t.Fatalf("discovery fetched %d times, want 2 (the 503, then the retry)", n)
	}
}
