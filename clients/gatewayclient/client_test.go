package gatewayclient_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"io"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"

	"bosa.dev/gateway/clients/gatewayclient"
	bosav1 "bosa.dev/gateway/gen/bosa/v1"
	"bosa.dev/gateway/sandbox"
)

// user dials the gateway as a new user and returns the client carrying its token.
func user(t *testing.T, opts ...gatewayclient.Option) *gatewayclient.Client {
	t.Helper()
	anon, err := gatewayclient.Dial(gatewayAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer anon.Close()
	ctx := context.Background()
	id := "go-client-" + rand.Text()[:10]
	created, err := anon.Users.CreateUser(ctx, &bosav1.CreateUserRequest{Identifier: id})
	if err != nil {
		t.Fatal(err)
	}
	auth, err := anon.Users.AuthenticateUser(ctx, &bosav1.AuthenticateUserRequest{Identifier: id, Secret: created.GetSecret()})
	if err != nil {
		t.Fatal(err)
	}
	c, err := gatewayclient.Dial(gatewayAddr, append([]gatewayclient.Option{gatewayclient.WithToken(auth.GetToken())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func githubIntegration(t *testing.T, c *gatewayclient.Client) {
	t.Helper()
	cfg, _ := structpb.NewStruct(map[string]any{"identifier": "gh-" + rand.Text()[:8], "token": "ghp_test"})
	if _, err := c.Integrations.ConfigureIntegration(context.Background(), &bosav1.ConfigureIntegrationRequest{Connector: "github", Configuration: cfg}); err != nil {
		t.Fatal(err)
	}
}

func prs(t *testing.T, perPage int) *structpb.Struct {
	t.Helper()
	s, err := structpb.NewStruct(map[string]any{"owner": "acme", "repo": "web", "state": "all", "per_page": perPage})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestErrorsDecoded(t *testing.T) {
	c := user(t)
	ctx := context.Background()
	tests := []struct {
		name       string
		req        *bosav1.ExecuteActionRequest
		code       codes.Code
		reason     bosav1.ErrorReason
		violations map[string]string
	}{
		{"no integration", &bosav1.ExecuteActionRequest{Connector: "github", Action: "list_pull_requests", Input: prs(t, 5)},
			codes.FailedPrecondition, bosav1.ErrorReason_INTEGRATION_MISSING, nil},
		{"unknown connector", &bosav1.ExecuteActionRequest{Connector: "nope", Action: "x"},
			codes.NotFound, bosav1.ErrorReason_NOT_FOUND, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.Actions.ExecuteAction(ctx, tc.req)
			if status.Code(err) != tc.code || gatewayclient.ReasonOf(err) != tc.reason {
				t.Fatalf("got %v (reason %v), want %v %v", err, gatewayclient.ReasonOf(err), tc.code, tc.reason)
			}
		})
	}
	t.Run("field violations", func(t *testing.T) {
		githubIntegration(t, c)
		in, _ := structpb.NewStruct(map[string]any{"owner": "acme"})
		_, err := c.Actions.ExecuteAction(ctx, &bosav1.ExecuteActionRequest{Connector: "github", Action: "get_repository", Input: in})
		if got := gatewayclient.ReasonOf(err); got != bosav1.ErrorReason_INVALID_PARAMETERS {
			t.Fatalf("reason %v of %v", got, err)
		}
		if v := gatewayclient.FieldViolations(err); v["input.repo"] != "is required" {
			t.Errorf("field violations %v", v)
		}
		if _, ok := gatewayclient.RetryDelay(err); ok {
			t.Error("RetryDelay of an invalid request")
		}
	})
	t.Run("not a status", func(t *testing.T) {
		err := errors.New("plain")
		if gatewayclient.ReasonOf(err) != bosav1.ErrorReason_ERROR_REASON_UNSPECIFIED || gatewayclient.FieldViolations(err) != nil {
			t.Error("a plain error has a reason or violations")
		}
	})
}

func TestPaginate(t *testing.T) {
	c := user(t)
	githubIntegration(t, c)
	ctx := context.Background()
	t.Run("every page", func(t *testing.T) {
		pages, items := 0, 0
		for page, err := range c.Paginate(ctx, &bosav1.PaginateRequest{Connector: "github", Action: "list_pull_requests", Input: prs(t, 50)}) {
			if err != nil {
				t.Fatal(err)
			}
			pages++
			items += len(page.GetData().GetListValue().GetValues())
		}
		if pages != 5 || items != 237 {
			t.Errorf("%d pages, %d items; want 5, 237", pages, items)
		}
	})
	t.Run("break cancels the stream", func(t *testing.T) {
		var ended stats.End
		var mu sync.Mutex
		var once sync.Once
		endSeen := make(chan struct{})
		h := &statsHandler{end: func(e *stats.End) {
			mu.Lock()
			ended = *e
			mu.Unlock()
			once.Do(func() { close(endSeen) })
		}}
		c := user(t, gatewayclient.WithDialOptions(grpc.WithStatsHandler(h)))
		githubIntegration(t, c)
		h.on.Store(true)
		n := 0
		for _, err := range c.Paginate(ctx, &bosav1.PaginateRequest{Connector: "github", Action: "list_pull_requests", Input: prs(t, 5)}) {
			if err != nil {
				t.Fatal(err)
			}
			n++
			if n == 2 {
				break
			}
		}
		<-endSeen
		mu.Lock()
		defer mu.Unlock()
		if status.Code(ended.Error) != codes.Canceled {
			t.Errorf("the stream ended with %v, want Canceled", ended.Error)
		}
	})
	t.Run("error yielded", func(t *testing.T) {
		var got error
		for _, err := range c.Paginate(ctx, &bosav1.PaginateRequest{Connector: "github", Action: "nope"}) {
			got = err
		}
		if status.Code(got) != codes.NotFound {
			t.Errorf("got %v, want NotFound", got)
		}
	})
}

func TestFiles(t *testing.T) {
	c := user(t)
	browser(t, func(callback string) string {
		r, err := c.Integrations.InitiateIntegration(context.Background(), &bosav1.InitiateIntegrationRequest{Connector: "google_drive", CallbackUrl: callback})
		if err != nil {
			t.Fatal(err)
		}
		return r.GetUrl()
	})
	ctx := context.Background()
	input := func(m map[string]any) *structpb.Struct { s, _ := structpb.NewStruct(m); return s }

	var buf bytes.Buffer
	meta, err := c.Download(ctx, &bosav1.DownloadFileRequest{Connector: "google_drive", Action: "download_file", Input: input(map[string]any{"file_id": "f-1m"})}, &buf)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := sandbox.DemoFileContent("f-1m")
	if meta.GetFilename() != "sample-1MiB.bin" || meta.GetSize() != 1<<20 || !bytes.Equal(buf.Bytes(), want) {
		t.Fatalf("downloaded %v, %d bytes (equal: %v)", meta, buf.Len(), bytes.Equal(buf.Bytes(), want))
	}

	content := bytes.Repeat([]byte("0123456789abcdef"), 10_000) // several chunks, the last short
	res, err := c.Upload(ctx, &bosav1.UploadFilesHeader{Connector: "google_drive", Action: "upload_file", Input: input(map[string]any{})},
		gatewayclient.File{Parameter: "file", Filename: "copy.bin", ContentType: "application/octet-stream", Size: int64(len(content)), Content: bytes.NewReader(content)})
	if err != nil {
		t.Fatal(err)
	}
	id := res.GetData().GetStructValue().GetFields()["id"].GetStringValue()
	buf.Reset()
	if _, err := c.Download(ctx, &bosav1.DownloadFileRequest{Connector: "google_drive", Action: "download_file", Input: input(map[string]any{"file_id": id})}, &buf); err != nil {
		t.Fatal(err)
	}
	if sha256.Sum256(buf.Bytes()) != sha256.Sum256(content) {
		t.Errorf("the uploaded file came back different (%d bytes)", buf.Len())
	}

	t.Run("read error stores nothing", func(t *testing.T) {
		before := countFiles(t, c)
		bad := io.MultiReader(bytes.NewReader(content[:100_000]), iotestErr{})
		_, err := c.Upload(ctx, &bosav1.UploadFilesHeader{Connector: "google_drive", Action: "upload_file", Input: input(map[string]any{})},
			gatewayclient.File{Parameter: "file", Filename: "bad.bin", Size: -1, Content: bad})
		if !errors.Is(err, errRead) {
			t.Fatalf("got %v, want the read error", err)
		}
		if after := countFiles(t, c); after != before {
			t.Errorf("%d files before, %d after a failed upload", before, after)
		}
	})
}

var errRead = errors.New("disk on fire")

type iotestErr struct{}

func (iotestErr) Read([]byte) (int, error) { return 0, errRead }

func countFiles(t *testing.T, c *gatewayclient.Client) int {
	t.Helper()
	n := 0
	in, _ := structpb.NewStruct(map[string]any{"page_size": 100})
	for page, err := range c.Paginate(context.Background(), &bosav1.PaginateRequest{Connector: "google_drive", Action: "list_files", Input: in}) {
		if err != nil {
			t.Fatal(err)
		}
		n += len(page.GetData().GetListValue().GetValues())
	}
	return n
}

func TestDefaultDeadline(t *testing.T) {
	c, err := gatewayclient.Dial(gatewayAddr, gatewayclient.WithTimeout(time.Nanosecond))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = c.Connectors.ListConnectors(context.Background(), &bosav1.ListConnectorsRequest{})
	if status.Code(err) != codes.DeadlineExceeded {
		t.Errorf("got %v, want DeadlineExceeded", err)
	}
	if _, err := user(t).Connectors.ListConnectors(context.Background(), &bosav1.ListConnectorsRequest{}); err != nil {
		t.Errorf("with the default deadline: %v", err)
	}
}

// TestRetryAcrossRestart: with the gateway stopped, a call's first attempt fails UNAVAILABLE; the
// gateway starts again on the same port before the next attempt (the stats handler holds the
// retry until then) and the service config's retry policy makes the call succeed. CreateUser,
// not idempotent and not retried, fails the same way.
func TestRetryAcrossRestart(t *testing.T) {
	addr := gatewayAddr
	h := &statsHandler{}
	c, err := gatewayclient.Dial(addr, gatewayclient.WithDialOptions(grpc.WithStatsHandler(h)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	if _, err := c.Connectors.ListConnectors(ctx, &bosav1.ListConnectorsRequest{}); err != nil {
		t.Fatal(err)
	}
	stopGateway()
	var attempts []error
	h.end = func(e *stats.End) {
		attempts = append(attempts, e.Error)
		if len(attempts) == 1 && status.Code(e.Error) == codes.Unavailable {
			startGateway(addr)
			waitReady(t, c.Conn)
		}
	}
	h.on.Store(true)
	if _, err := c.Connectors.ListConnectors(ctx, &bosav1.ListConnectorsRequest{}); err != nil {
		t.Fatalf("ListConnectors across a restart: %v (attempts %v)", err, attempts)
	}
	h.on.Store(false)
	if len(attempts) != 2 || status.Code(attempts[0]) != codes.Unavailable || attempts[1] != nil {
		t.Errorf("attempts %v, want UNAVAILABLE then success", attempts)
	}

	t.Run("not retried when not idempotent", func(t *testing.T) {
		stopGateway()
		defer startGateway(addr)
		attempts = nil
		h.end = func(e *stats.End) { attempts = append(attempts, e.Error) }
		h.on.Store(true)
		defer h.on.Store(false)
		_, err := c.Users.CreateUser(ctx, &bosav1.CreateUserRequest{Identifier: "never-" + rand.Text()[:8]})
		if status.Code(err) != codes.Unavailable || len(attempts) != 1 {
			t.Errorf("got %v after %d attempts, want UNAVAILABLE after 1", err, len(attempts))
		}
	})
}

func waitReady(t *testing.T, conn *grpc.ClientConn) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for s := conn.GetState(); s != connectivity.Ready; s = conn.GetState() {
		conn.Connect()
		if !conn.WaitForStateChange(ctx, s) {
			t.Errorf("the connection never got ready after the restart (%v)", s)
			return
		}
	}
}

// statsHandler reports the end of each call attempt while on.
type statsHandler struct {
	on  atomic.Bool
	end func(*stats.End)
}

func (h *statsHandler) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context { return ctx }
func (h *statsHandler) HandleRPC(_ context.Context, s stats.RPCStats) {
	if e, ok := s.(*stats.End); ok && h.on.Load() {
		h.end(e)
	}
}
func (h *statsHandler) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context {
	return ctx
}
func (h *statsHandler) HandleConn(context.Context, stats.ConnStats) {}

// TestStubsWithoutGatewayRuntime: the stubs package does not import grpc-gateway.
func TestStubsWithoutGatewayRuntime(t *testing.T) {
	for _, pkg := range []string{"bosa.dev/gateway/gen/bosa/v1", "bosa.dev/gateway/clients/gatewayclient"} {
		out, err := exec.Command("go", "list", "-deps", pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list: %v\n%s", err, out)
		}
		if strings.Contains(string(out), "grpc-ecosystem/grpc-gateway") {
			t.Errorf("%s imports grpc-gateway", pkg)
		}
	}
}
