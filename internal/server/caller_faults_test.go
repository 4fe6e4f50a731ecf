package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	bosav1 "bosa.dev/gateway/gen/bosa/v1"
	"bosa.dev/gateway/internal/server"
)

// Tests of the gateway's behaviour when callers misbehave, over real sockets.

// TestCallerBadInput: malformed requests get INVALID_ARGUMENT (or NOT_FOUND) with a message that
// names what to fix and, for field errors, a BadRequest; none of them reaches BOSA's action.
// One table, run over gRPC and over REST.
func TestCallerBadInput(t *testing.T) {
	t.Parallel()
	e := startEnv(t)
	md := userWithGitHub(t, e.conn, "careless")
	first, err := bosav1.NewActionServiceClient(e.conn).ExecuteAction(metadata.NewOutgoingContext(context.Background(), md),
		&bosav1.ExecuteActionRequest{Connector: "github", Action: "list_commits", Input: mustStruct(repo)})
	if err != nil {
		t.Fatal(err)
	}
	token := first.GetNextPageToken()
	tampered := []byte(token)
	tampered[len(tampered)-2] ^= 1
	exec := func(action string, in map[string]any) *bosav1.ExecuteActionRequest {
		return &bosav1.ExecuteActionRequest{Connector: "github", Action: action, Input: mustStruct(in)}
	}
	for _, tc := range []struct {
		name      string
		req       *bosav1.ExecuteActionRequest
		code      codes.Code
		reason    string
		field     string // the BadRequest field violation expected, if any
		mentions  string // the message names this, so a person knows what to fix
		paginated bool   // also run as Paginate
		grpcOnly  bool   // REST has no route without the path segment
	}{
		{"wrong type", exec("get_repository", map[string]any{"owner": "acme", "repo": 7}), codes.InvalidArgument, "INVALID_PARAMETERS", "input.repo", "repo", true, false},
		{"missing required parameter", exec("get_repository", map[string]any{"owner": "acme"}), codes.InvalidArgument, "INVALID_PARAMETERS", "input.repo", "repo", true, false},
		{"unknown parameter", exec("get_repository", map[string]any{"owner": "acme", "repo": "web", "colour": "red"}), codes.InvalidArgument, "INVALID_PARAMETERS", "input.colour", "colour", true, false},
		{"enum value out of range", exec("list_pull_requests", map[string]any{"owner": "acme", "repo": "web", "state": "sideways"}), codes.InvalidArgument, "INVALID_PARAMETERS", "input.state", "state", true, false},
		{"unknown connector", &bosav1.ExecuteActionRequest{Connector: "gitlab", Action: "get_repository"}, codes.NotFound, "NOT_FOUND", "", "gitlab", true, false},
		{"unknown action", exec("delete_everything", repo), codes.NotFound, "NOT_FOUND", "", "delete_everything", true, false},
		{"missing connector", &bosav1.ExecuteActionRequest{Action: "get_repository"}, codes.InvalidArgument, "INVALID_REQUEST", "connector", "connector", false, true},
		{"negative max_attempts", &bosav1.ExecuteActionRequest{Connector: "github", Action: "get_repository", Input: mustStruct(repo), MaxAttempts: -1}, codes.InvalidArgument, "INVALID_REQUEST", "max_attempts", "max_attempts", true, false},
		{"tampered page token", &bosav1.ExecuteActionRequest{Connector: "github", Action: "list_commits", PageToken: string(tampered)}, codes.InvalidArgument, "INVALID_PAGE_TOKEN", "", "page_token", true, false},
		{"garbage page token", &bosav1.ExecuteActionRequest{Connector: "github", Action: "list_commits", PageToken: "not a token"}, codes.InvalidArgument, "INVALID_PAGE_TOKEN", "", "page_token", true, false},
		{"page token of another action", &bosav1.ExecuteActionRequest{Connector: "github", Action: "list_pull_requests", PageToken: token}, codes.InvalidArgument, "INVALID_PAGE_TOKEN", "", "another connector or action", true, false},
	} {
		for _, face := range []string{"grpc", "rest"} {
			var tr transport = grpcTransport{conn: e.conn}
			if face == "rest" {
				if tc.grpcOnly {
					continue
				}
				tr = restTransport{base: e.httpBase, hc: &http.Client{}}
			}
			t.Run(face+"/"+tc.name, func(t *testing.T) {
				before := e.sb.Calls("github", "*").Total
				errs := []error{tr.call(context.Background(), md, "/bosa.v1.ActionService/ExecuteAction", tc.req, &bosav1.ExecuteActionResponse{})}
				if tc.paginated {
					_, err := tr.paginate(context.Background(), md, &bosav1.PaginateRequest{
						Connector: tc.req.GetConnector(), Action: tc.req.GetAction(), Input: tc.req.GetInput(),
						PageToken: tc.req.GetPageToken(), MaxAttempts: tc.req.GetMaxAttempts(),
					})
					errs = append(errs, err)
				}
				for _, err := range errs {
					st := wantStatus(t, err, tc.code, tc.reason)
					if !strings.Contains(st.Message(), tc.mentions) {
						t.Errorf("message %q does not mention %q", st.Message(), tc.mentions)
					}
					if tc.field != "" {
						br := detail[*errdetails.BadRequest](st)
						if br == nil || br.GetFieldViolations()[0].GetField() != tc.field || br.GetFieldViolations()[0].GetDescription() == "" {
							t.Errorf("BadRequest %v, want a described violation of %s", br, tc.field)
						}
					}
				}
				if n := e.sb.Calls("github", "*").Total - before; n != 0 {
					t.Errorf("%d upstream action calls for a bad request", n)
				}
			})
		}
	}
}

// TestCallerBadREST: bodies that are not JSON, or have wrong JSON types or unknown fields, are
// 400 INVALID_ARGUMENT, reason INVALID_REQUEST, with a message that says what is wrong; unknown
// routes and methods are 404 and 405 with ErrorInfo and a message naming the route.
func TestCallerBadREST(t *testing.T) {
	t.Parallel()
	e := startEnv(t)
	url := e.httpBase + "/v1/connectors/github/actions/get_repository:execute"
	for _, tc := range []struct {
		name, body, mentions string
	}{
		{"truncated JSON", `{"input": {"owner": "acme", `, "unexpected EOF"},
		{"not JSON", `owner=acme&repo=web`, "invalid"},
		{"input is not an object", `{"input": ["acme", "web"]}`, "line 1:11"},
		{"max_attempts is a string", `{"input": {}, "max_attempts": "lots"}`, "maxAttempts"},
		{"unknown field", `{"input": {}, "max_attempt": 3}`, "max_attempt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := http.Post(url, "application/json", strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			err = restStatus(resp, b)
			st := wantStatus(t, err, codes.InvalidArgument, "INVALID_REQUEST")
			if resp.StatusCode != http.StatusBadRequest || !strings.HasPrefix(st.Message(), "request body: ") || !strings.Contains(st.Message(), tc.mentions) {
				t.Errorf("HTTP %d, message %q; want 400 saying the request body is wrong and mentioning %q", resp.StatusCode, st.Message(), tc.mentions)
			}
		})
	}
	for _, tc := range []struct {
		method, path string
		code         codes.Code
		reason       string
	}{
		{"GET", "/v1/connectors/github/actions", codes.NotFound, "NOT_FOUND"},
		{"PUT", "/v1/users", codes.Unimplemented, "INVALID_REQUEST"}, // HTTP 405: TestRESTConformance
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, e.httpBase+tc.path, nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			hr := resp
			if tc.code == codes.Unimplemented {
				hr = nil // a wrong method is HTTP 405 (with Allow), not 501: TestRESTConformance
			}
			st := wantStatus(t, restStatus(hr, b), tc.code, tc.reason)
			if !strings.Contains(st.Message(), tc.path) || !strings.Contains(st.Message(), "/openapi.json") {
				t.Errorf("message %q does not name the route and where the routes are", st.Message())
			}
		})
	}
}

// TestOversizedMessages: a REST body over MaxJSONBodyBytes (from its Content-Length, or sent chunked
// without one) is refused with 413, RESOURCE_EXHAUSTED, reason REQUEST_TOO_LARGE, the limit and its
// flag in ErrorInfo metadata and message; a REST body within the JSON limit whose request exceeds
// MaxMessageBytes gets the same naming that limit; a gRPC message over MaxMessageBytes, unary or in
// a stream, gets grpc-go's RESOURCE_EXHAUSTED naming size and limit. None reaches BOSA, and the
// gateway keeps serving.
func TestOversizedMessages(t *testing.T) {
	t.Parallel()
	const msgLimit, jsonLimit = 1 << 20, 2 << 20
	e := startEnv(t, func(c *server.Config) { c.MaxMessageBytes, c.MaxJSONBodyBytes = msgLimit, jsonLimit })
	md := userWithGitHub(t, e.conn, "bulky")
	ctx := metadata.NewOutgoingContext(context.Background(), md)
	wantLimit := func(t *testing.T, st *status.Status, limit int, flag string) {
		t.Helper()
		for _, d := range st.Details() {
			if ei, ok := d.(*errdetails.ErrorInfo); ok {
				if ei.GetMetadata()["limit_bytes"] != strconv.Itoa(limit) || ei.GetMetadata()["limit"] != flag {
					t.Errorf("ErrorInfo metadata %v, want limit_bytes %d, limit %s", ei.GetMetadata(), limit, flag)
				}
			}
		}
		if !strings.Contains(st.Message(), strconv.Itoa(limit)) || !strings.Contains(st.Message(), flag) {
			t.Errorf("message %q does not name the limit %d and %s", st.Message(), limit, flag)
		}
	}
	// grpc-go refuses the message from its length prefix with its own status, which no handler or
	// interceptor can add ErrorInfo to (internal/server/limits.go); it names size and limit.
	grpcTooLarge := func(t *testing.T, err error) {
		t.Helper()
		st := wantStatus(t, err, codes.ResourceExhausted, "")
		if want := " vs. " + strconv.Itoa(msgLimit) + ")"; !strings.HasPrefix(st.Message(), "grpc: received message larger than max (") ||
			!strings.HasSuffix(st.Message(), want) {
			t.Errorf("message %q, want grpc-go's \"grpc: received message larger than max (<size>%s\"", st.Message(), want)
		}
	}
	big := bytes.Repeat([]byte("x"), 2<<20)
	t.Run("gRPC unary message", func(t *testing.T) {
		_, err := bosav1.NewActionServiceClient(e.conn).ExecuteAction(ctx, &bosav1.ExecuteActionRequest{
			Connector: "google_drive", Action: "upload_file", Files: []*bosav1.File{{Parameter: "file", Filename: "big.bin", Data: big}},
		})
		grpcTooLarge(t, err)
	})
	t.Run("gRPC stream message", func(t *testing.T) {
		_, err := upload(ctx, e, md, header(&bosav1.UploadFilesHeader{Files: []*bosav1.FileMetadata{{Parameter: "file", Filename: "big.bin", Size: -1}}}),
			chunk(0, big))
		grpcTooLarge(t, err)
	})
	rest := func(t *testing.T, route string, body io.Reader, limit int, flag string) {
		t.Helper()
		req, _ := http.NewRequest("POST", e.httpBase+"/v1/connectors/google_drive/actions/upload_file"+route, body)
		req.Header.Set("authorization", md.Get("authorization")[0])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("HTTP %d %s, want 413", resp.StatusCode, b)
		}
		var sp spb.Status
		if err := protojson.Unmarshal(b, &sp); err != nil {
			t.Fatalf("body %s is not a google.rpc.Status: %v", b, err)
		}
		wantLimit(t, wantStatus(t, status.ErrorProto(&sp), codes.ResourceExhausted, "REQUEST_TOO_LARGE"), limit, flag)
	}
	files := func(n int) string {
		return `{"files": [{"parameter": "file", "data": "` + strings.Repeat("A", n) + `"}]}`
	}
	t.Run("REST body over the JSON limit, with Content-Length", func(t *testing.T) {
		rest(t, ":execute", strings.NewReader(files(3<<20)), jsonLimit, "--max-json-body-bytes")
	})
	t.Run("REST body over the JSON limit, chunked", func(t *testing.T) {
		rest(t, ":execute", io.MultiReader(strings.NewReader(files(3<<20))), jsonLimit, "--max-json-body-bytes")
	})
	t.Run("REST download body over the JSON limit, chunked", func(t *testing.T) {
		rest(t, ":download", io.MultiReader(strings.NewReader(`{"input": {"file_id": "`+strings.Repeat("x", 3<<20)+`"}}`)), jsonLimit, "--max-json-body-bytes")
	})
	t.Run("REST body within the JSON limit, request over the message limit", func(t *testing.T) {
		rest(t, ":execute", strings.NewReader(files(1800<<10)), msgLimit, "--max-message-bytes")
	})
	if n := e.sb.Calls("google_drive", "upload_file").Total; n != 0 {
		t.Errorf("%d uploads reached BOSA", n)
	}
	if _, err := getRepository(context.Background(), e.conn, md, 1); err != nil {
		t.Errorf("gateway after oversized messages: %v", err)
	}
}

// TestPaginateCallerLeavesREST: a REST caller that closes the response mid-stream stops the
// upstream fetching (the gRPC case is TestPaginateStopsWhenCallerLeaves).
func TestPaginateCallerLeavesREST(t *testing.T) {
	t.Parallel()
	e := startEnv(t)
	md := userWithGitHub(t, e.conn, "restleaver")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", e.httpBase+"/v1/connectors/github/actions/list_commits:paginate",
		strings.NewReader(`{"input": {"owner": "acme", "repo": "web", "per_page": 5}, "prefetch": 2}`))
	req.Header.Set("authorization", md.Get("authorization")[0])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for i := 0; i < 2; i++ {
		if !sc.Scan() {
			t.Fatalf("line %d: %v", i, sc.Err())
		}
	}
	cancel()
	resp.Body.Close()
	stable := plateau(t, func() int { return e.sb.Calls("github", "list_commits").Total })
	if stable >= 105 {
		t.Errorf("all %d pages were fetched although the caller left after 2", stable)
	}
}

// TestSlowConsumerBounded: a caller that stops reading a stream holds the producer: upstream
// fetching stops at a bound (the prefetch buffer plus what transport flow-control windows hold)
// instead of running through all pages into memory. Pages are padded to 256 KiB upstream, so that
// the 523 pages (130 MiB) dwarf any buffer. With a 64 KiB gRPC window (no BDP growth) the bound is
// exact: the page sent, one in the client's window, prefetch pages and the one being fetched.
func TestSlowConsumerBounded(t *testing.T) {
	t.Parallel()
	const pad = 256 << 10
	e := startEnvWith(t, envOptions{wrap: padPages("/connectors/github/list_commits", pad)})
	md := userWithGitHub(t, e.conn, "sloth")
	const prefetch = 4
	in := map[string]any{"owner": "acme", "repo": "web", "per_page": 1}
	for _, face := range []string{"grpc", "rest"} {
		t.Run(face, func(t *testing.T) {
			e.sb.ResetCalls()
			ctx, cancel := context.WithCancel(metadata.NewOutgoingContext(context.Background(), md))
			defer cancel()
			bound := 523
			if face == "grpc" {
				conn, err := grpc.NewClient(e.gw.GRPCAddr(), grpc.WithTransportCredentials(insecureCreds()),
					grpc.WithInitialWindowSize(64<<10), grpc.WithInitialConnWindowSize(64<<10))
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close()
				stream, err := bosav1.NewActionServiceClient(conn).Paginate(ctx, &bosav1.PaginateRequest{
					Connector: "github", Action: "list_commits", Prefetch: prefetch, Input: mustStruct(in),
				}, grpc.MaxCallRecvMsgSize(4<<20))
				if err != nil {
					t.Fatal(err)
				}
				if _, err := stream.Recv(); err != nil {
					t.Fatal(err)
				}
				// received, in the client's window, queued in the transport, blocked in Send, buffered, being fetched
				bound = 1 + 1 + 1 + 1 + prefetch + 1
			} else {
				body := `{"input": {"owner": "acme", "repo": "web", "per_page": 1}, "prefetch": 4}`
				req, _ := http.NewRequestWithContext(ctx, "POST", e.httpBase+"/v1/connectors/github/actions/list_commits:paginate", strings.NewReader(body))
				req.Header.Set("authorization", md.Get("authorization")[0])
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				if _, err := resp.Body.Read(make([]byte, 1)); err != nil {
					t.Fatal(err)
				}
				// REST adds the in-memory gRPC connection's window, the HTTP writer and the kernel's
				// socket buffers, all bounded in bytes (the gRPC window at most 16 MiB = 64 pages).
				bound = 100
			}
			stable := plateau(t, func() int { return e.sb.Calls("github", "list_commits").Total })
			t.Logf("%s: the producer stopped after %d of 523 pages (%d MiB) while the caller read one", face, stable, stable*pad>>20)
			if stable > bound {
				t.Errorf("%d pages fetched for a caller that reads one, want at most %d", stable, bound)
			}
		})
	}
}

// padPages wraps an upstream handler: answers on path get a padding field of n bytes in each item.
func padPages(path string, n int) func(http.Handler) http.Handler {
	padding := strings.Repeat("p", n)
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != path {
				h.ServeHTTP(w, r)
				return
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			var env map[string]any
			if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &env) != nil {
				for k, v := range rec.Header() {
					w.Header()[k] = v
				}
				w.WriteHeader(rec.Code)
				_, _ = w.Write(rec.Body.Bytes())
				return
			}
			if list, ok := env["data"].([]any); ok {
				for _, it := range list {
					if m, ok := it.(map[string]any); ok {
						m["padding"] = padding
					}
				}
			}
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(env)
		})
	}
}

// plateau waits until f stops changing (unchanged over 300 ms, within 5 s) and returns its value.
func plateau(t *testing.T, f func() int) int {
	t.Helper()
	last := f()
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); {
		time.Sleep(300 * time.Millisecond)
		now := f()
		if now == last {
			return now
		}
		last = now
	}
	t.Errorf("value kept changing: %d", last)
	return last
}
