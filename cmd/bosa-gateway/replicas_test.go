package main

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	_ "google.golang.org/grpc/health" // client-side health checking (the service config's healthCheckConfig)
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/resolver"
	"google.golang.org/grpc/resolver/manual"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"

	bosav1 "bosa.dev/gateway/gen/bosa/v1"
	"bosa.dev/gateway/internal/logbuf"
	"bosa.dev/gateway/sandbox"
)

// serviceConfigFile is the published gRPC service config clients use (round_robin, health
// checking, retries for UNAVAILABLE on idempotent methods, per-method deadlines).
const serviceConfigFile = "../../proto/bosa/v1/service_config.json"

// replica is one gateway process on a fixed gRPC port, restartable on the same port.
type replica struct {
	bin, addr string
	env       []string
	cmd       *exec.Cmd
	logs      *logbuf.Buffer
	exited    chan error
}

func (r *replica) start(t *testing.T) {
	t.Helper()
	r.logs = &logbuf.Buffer{}
	r.cmd = exec.Command(r.bin, "--grpc-addr", r.addr, "--http-addr", "127.0.0.1:0",
		"--drain-delay", "1s", "--shutdown-timeout", "10s", "--log-level", "warn")
	r.cmd.Env, r.cmd.Stderr = r.env, r.logs
	if err := r.cmd.Start(); err != nil {
		t.Fatalf("start replica %s: %v", r.addr, err)
	}
	r.exited = make(chan error, 1)
	go func() { r.exited <- r.cmd.Wait() }()
	conn, err := grpc.NewClient(r.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for end := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
		cancel()
		if err == nil && resp.GetStatus() == healthpb.HealthCheckResponse_SERVING {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("replica %s not SERVING: %v; logs:\n%s", r.addr, err, r.logs)
		}
	}
}

// stop sends SIGTERM and waits for a clean exit (the drain finished within its timeout).
func (r *replica) stop(t *testing.T) {
	t.Helper()
	if err := r.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM %s: %v", r.addr, err)
	}
	select {
	case err := <-r.exited:
		if err != nil {
			t.Errorf("replica %s exited with %v; logs:\n%s", r.addr, err, r.logs)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("replica %s did not exit after SIGTERM", r.addr)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// tally counts calls and failures per method.
type tally struct {
	mu       sync.Mutex
	calls    map[string]int
	failures map[string][]string
}

func (c *tally) add(method string, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls[method]++
	if err != nil {
		c.failures[method] = append(c.failures[method], err.Error())
	}
}

// upload is one UploadFiles call of the load: its file name, content and outcome.
type upload struct {
	name string
	data []byte
	err  error
}

// TestReplicasAsOne runs three gateway processes with one page-token secret in front of one sandbox,
// and a client balancing round_robin over them with the published service config. Under steady
// load one replica is stopped (SIGTERM) and restarted, then a second: no call the retry policy
// covers fails, every upload is stored once and whole (or not at all), Paginate streams cut by a
// drain resume on another replica, and a page token from one replica continues on another.
func TestReplicasAsOne(t *testing.T) {
	bin := buildGateway(t)
	sb := sandbox.NewServer()
	t.Cleanup(sb.Close)
	const pageTokenSecret = "replicas-share-this-page-token-secret"
	env := append(os.Environ(), "BOSA_API_URL="+sb.URL, "BOSA_API_KEY="+sandbox.DemoAPIKey,
		"BOSA_PAGE_TOKEN_SECRET="+pageTokenSecret, "OTEL_TRACES_EXPORTER=none")
	reps := make([]*replica, 3)
	var addrs []resolver.Address
	for i := range reps {
		reps[i] = &replica{bin: bin, addr: freeAddr(t), env: env}
		reps[i].start(t)
		addrs = append(addrs, resolver.Address{Addr: reps[i].addr})
	}
	t.Cleanup(func() {
		for _, r := range reps {
			_ = r.cmd.Process.Kill()
		}
	})

	serviceConfig, err := os.ReadFile(serviceConfigFile)
	if err != nil {
		t.Fatal(err)
	}
	res := manual.NewBuilderWithScheme("replicas")
	res.InitialState(resolver.State{Addresses: addrs})
	conn, err := grpc.NewClient(res.Scheme()+":///bosa-gateway", grpc.WithResolvers(res),
		grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithDefaultServiceConfig(string(serviceConfig)))
	if err != nil {
		t.Fatalf("client with the published service config: %v", err)
	}
	defer conn.Close()
	md := driveUser(t, conn)

	t.Run("a page token from one replica continues on another", func(t *testing.T) {
		items := 0
		token := ""
		for i, r := range []*replica{reps[0], reps[2], reps[1]} {
			direct, err := grpc.NewClient(r.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
			if err != nil {
				t.Fatal(err)
			}
			req := &bosav1.PaginateRequest{Connector: "github", Action: "list_commits", MaxPages: 1, PageToken: token}
			if token == "" {
				req.Input = mustStruct(t, map[string]any{"owner": "acme", "repo": "web", "per_page": 100})
			}
			pages, _, err := paginate(metadata.NewOutgoingContext(context.Background(), md), direct, req, 0)
			direct.Close()
			if err != nil || len(pages) != 1 {
				t.Fatalf("step %d on replica %s: %d pages, %v", i, r.addr, len(pages), err)
			}
			items += len(pages[0].GetData().GetListValue().GetValues())
			token = pages[0].GetNextPageToken()
		}
		if items != 300 || token == "" {
			t.Errorf("three pages over three replicas: %d items, next token %q; want 300 and a token", items, token)
		}
	})

	// Steady load: covered methods (GetConnector, GetCurrentUser, Paginate), ExecuteAction and uploads.
	var (
		c       = &tally{calls: map[string]int{}, failures: map[string][]string{}}
		stop    = make(chan struct{})
		wg      sync.WaitGroup
		upMu    sync.Mutex
		uploads []upload
		resumed atomic.Int32
		seq     atomic.Int32
	)
	ctx := metadata.NewOutgoingContext(context.Background(), md)
	loop := func(f func()) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				f()
				time.Sleep(2 * time.Millisecond)
			}
		}()
	}
	connectors, users := bosav1.NewConnectorServiceClient(conn), bosav1.NewUserServiceClient(conn)
	actions := bosav1.NewActionServiceClient(conn)
	loop(func() {
		_, err := connectors.GetConnector(ctx, &bosav1.GetConnectorRequest{Connector: "github"})
		c.add("GetConnector", err)
	})
	loop(func() {
		_, err := users.GetCurrentUser(ctx, &bosav1.GetCurrentUserRequest{})
		c.add("GetCurrentUser", err)
	})
	loop(func() {
		_, err := actions.ExecuteAction(ctx, &bosav1.ExecuteActionRequest{Connector: "github", Action: "get_repository",
			Input: mustStruct(t, map[string]any{"owner": "acme", "repo": "web"})})
		c.add("ExecuteAction", err)
	})
	loop(func() {
		// A whole walk; a drain ends the stream with the token to resume from, on any replica.
		req := &bosav1.PaginateRequest{Connector: "github", Action: "list_commits",
			Input: mustStruct(t, map[string]any{"owner": "acme", "repo": "web", "per_page": 20})}
		shas := map[string]bool{}
		for {
			pages, resume, err := paginate(ctx, conn, req, 0)
			for _, p := range pages {
				for _, v := range p.GetData().GetListValue().GetValues() {
					shas[v.GetStructValue().GetFields()["sha"].GetStringValue()] = true
				}
			}
			if err != nil && resume != "" {
				resumed.Add(1)
				req = &bosav1.PaginateRequest{Connector: "github", Action: "list_commits", PageToken: resume}
				continue
			}
			if err == nil && len(shas) != 523 {
				err = fmt.Errorf("walk saw %d distinct commits, want 523", len(shas))
			}
			c.add("Paginate", err)
			return
		}
	})
	loop(func() {
		n := seq.Add(1)
		u := upload{name: fmt.Sprintf("replica-upload-%04d.bin", n), data: []byte(strings.Repeat(fmt.Sprintf("%04d", n), 40_000))}
		u.err = uploadFile(ctx, actions, u)
		c.add("UploadFiles", u.err)
		upMu.Lock()
		uploads = append(uploads, u)
		upMu.Unlock()
	})

	time.Sleep(time.Second)
	for i, r := range reps[:2] {
		var cut <-chan error
		if i == 0 {
			cut = walkAcrossDrain(ctx, r, conn)
		}
		r.stop(t)
		time.Sleep(300 * time.Millisecond) // load runs on the other two
		r.start(t)
		if cut != nil {
			if err := <-cut; err != nil {
				t.Errorf("Paginate cut by the drain of %s: %v", r.addr, err)
			}
		}
		time.Sleep(time.Second) // and again on three
	}
	close(stop)
	wg.Wait()

	c.mu.Lock()
	t.Logf("calls %v; Paginate walks resumed after a drain: %d", c.calls, resumed.Load())
	for _, m := range []string{"GetConnector", "GetCurrentUser", "Paginate"} {
		if c.calls[m] == 0 {
			t.Errorf("no %s call ran", m)
		}
		if f := c.failures[m]; len(f) > 0 {
			t.Errorf("%s (covered by the retry policy): %d of %d calls failed, e.g. %s", m, len(f), c.calls[m], f[0])
		}
	}
	for _, m := range []string{"ExecuteAction", "UploadFiles"} {
		if f := c.failures[m]; len(f) > 0 {
			t.Logf("%s (not retried: not idempotent): %d of %d calls failed, e.g. %s", m, len(f), c.calls[m], f[0])
		}
	}
	c.mu.Unlock()

	// Every upload is stored once and whole when it succeeded, and at most once and whole when not.
	for _, u := range uploads {
		stored := storedFiles(t, actions, ctx, u.name)
		want := hexMD5(u.data)
		whole := 0
		for _, f := range stored {
			if f["md5Checksum"] == want {
				whole++
			}
		}
		switch {
		case len(stored) != whole:
			t.Errorf("%s stored half: %v", u.name, stored)
		case u.err == nil && len(stored) != 1:
			t.Errorf("%s succeeded and is stored %d times", u.name, len(stored))
		case u.err != nil && len(stored) > 1:
			t.Errorf("%s failed (%v) and is stored %d times", u.name, u.err, len(stored))
		}
	}
	if len(uploads) == 0 {
		t.Error("no upload ran")
	}
}

// walkAcrossDrain starts a slow Paginate walk on replica r (a connection of its own) and returns once
// its first page arrived. The walk outlasts r's drain delay, so r's drain must end it with
// GATEWAY_SHUTTING_DOWN and a resume token, which the walk then uses through the balanced conn
// (another replica). The channel gets nil when all 523 commits were seen, each once.
func walkAcrossDrain(ctx context.Context, r *replica, balanced grpc.ClientConnInterface) <-chan error {
	done, started := make(chan error, 1), make(chan struct{})
	go func() {
		direct, err := grpc.NewClient(r.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			close(started)
			done <- err
			return
		}
		defer direct.Close()
		stream, err := bosav1.NewActionServiceClient(direct).Paginate(ctx, &bosav1.PaginateRequest{Connector: "github", Action: "list_commits",
			Input: &structpb.Struct{Fields: map[string]*structpb.Value{"owner": structpb.NewStringValue("acme"),
				"repo": structpb.NewStringValue("web"), "per_page": structpb.NewNumberValue(5)}}})
		if err != nil {
			close(started)
			done <- err
			return
		}
		seen := map[string]int{}
		var resume string
		for i := 0; ; i++ {
			p, err := stream.Recv()
			if i == 0 {
				close(started)
			}
			if err != nil {
				st := status.Convert(err)
				for _, d := range st.Details() {
					if ei, ok := d.(*errdetails.ErrorInfo); ok && ei.GetReason() == "GATEWAY_SHUTTING_DOWN" {
						resume = ei.GetMetadata()["resume_page_token"]
					}
				}
				if resume == "" {
					done <- fmt.Errorf("the stream ended with %v after %d pages, not GATEWAY_SHUTTING_DOWN with a resume token", err, i)
					return
				}
				break
			}
			for _, v := range p.GetData().GetListValue().GetValues() {
				seen[v.GetStructValue().GetFields()["sha"].GetStringValue()]++
			}
			time.Sleep(50 * time.Millisecond) // 105 pages: far longer than the drain delay
		}
		pages, _, err := paginate(ctx, balanced, &bosav1.PaginateRequest{Connector: "github", Action: "list_commits", PageToken: resume}, 0)
		if err != nil {
			done <- fmt.Errorf("resume on another replica: %w", err)
			return
		}
		for _, p := range pages {
			for _, v := range p.GetData().GetListValue().GetValues() {
				seen[v.GetStructValue().GetFields()["sha"].GetStringValue()]++
			}
		}
		for sha, n := range seen {
			if n != 1 {
				done <- fmt.Errorf("commit %s seen %d times across the resume", sha, n)
				return
			}
		}
		if len(seen) != 523 {
			done <- fmt.Errorf("%d commits seen across the resume, want 523", len(seen))
			return
		}
		done <- nil
	}()
	<-started
	return done
}

// paginate reads a Paginate stream to its end; on an error it returns the pages received and the
// resume_page_token of a drain (GATEWAY_SHUTTING_DOWN), if any.
func paginate(ctx context.Context, conn grpc.ClientConnInterface, req *bosav1.PaginateRequest, pageDelay time.Duration) ([]*bosav1.PaginateResponse, string, error) {
	stream, err := bosav1.NewActionServiceClient(conn).Paginate(ctx, req)
	if err != nil {
		return nil, "", err
	}
	var pages []*bosav1.PaginateResponse
	for {
		p, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return pages, "", nil
		}
		if err != nil {
			resume := ""
			if st := status.Convert(err); st.Code() == codes.Unavailable {
				for _, d := range st.Details() {
					if ei, ok := d.(*errdetails.ErrorInfo); ok && ei.GetReason() == "GATEWAY_SHUTTING_DOWN" {
						resume = ei.GetMetadata()["resume_page_token"]
					}
				}
			}
			return pages, resume, err
		}
		pages = append(pages, p)
		time.Sleep(pageDelay)
	}
}

func uploadFile(ctx context.Context, actions bosav1.ActionServiceClient, u upload) error {
	stream, err := actions.UploadFiles(ctx)
	if err != nil {
		return err
	}
	msgs := []*bosav1.UploadFilesRequest{{Part: &bosav1.UploadFilesRequest_Header{Header: &bosav1.UploadFilesHeader{
		Connector: "google_drive", Action: "upload_file",
		Files: []*bosav1.FileMetadata{{Parameter: "file", Filename: u.name, Size: int64(len(u.data))}}}}}}
	for off := 0; off < len(u.data); off += 32 << 10 {
		msgs = append(msgs, &bosav1.UploadFilesRequest{Part: &bosav1.UploadFilesRequest_Chunk{
			Chunk: &bosav1.FileChunk{FileIndex: 0, Data: u.data[off:min(off+32<<10, len(u.data))]}}})
	}
	msgs[len(msgs)-1].Finish = true
	for _, m := range msgs {
		if err := stream.Send(m); err != nil {
			break // CloseAndRecv has the status
		}
	}
	_, err = stream.CloseAndRecv()
	return err
}

func storedFiles(t *testing.T, actions bosav1.ActionServiceClient, ctx context.Context, name string) []map[string]any {
	t.Helper()
	resp, err := actions.ExecuteAction(ctx, &bosav1.ExecuteActionRequest{Connector: "google_drive", Action: "list_files",
		Input: mustStruct(t, map[string]any{"name_contains": name, "page_size": 100})})
	if err != nil {
		t.Fatalf("list_files %s: %v", name, err)
	}
	var out []map[string]any
	for _, f := range resp.GetData().GetListValue().AsSlice() {
		if m := f.(map[string]any); m["name"] == name {
			out = append(out, m)
		}
	}
	return out
}

func hexMD5(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}

func mustStruct(t *testing.T, m map[string]any) *structpb.Struct {
	s, err := structpb.NewStruct(m)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// driveUser creates a user with GitHub and Google Drive integrations (the sandbox's OAuth flow)
// through the gateway and returns its bearer token as metadata.
func driveUser(t *testing.T, conn *grpc.ClientConn) metadata.MD {
	t.Helper()
	ctx := context.Background()
	users := bosav1.NewUserServiceClient(conn)
	u, err := users.CreateUser(ctx, &bosav1.CreateUserRequest{Identifier: "replicas"})
	if err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	tok, err := users.AuthenticateUser(ctx, &bosav1.AuthenticateUserRequest{Identifier: "replicas", Secret: u.GetSecret()})
	if err != nil {
		t.Fatalf("AuthenticateUser: %v", err)
	}
	md := metadata.Pairs("authorization", "Bearer "+tok.GetToken())
	const callback = "http://callback.invalid/connected"
	hc := &http.Client{CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), callback) {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	for _, connector := range []string{"github", "google_drive"} {
		init, err := bosav1.NewIntegrationServiceClient(conn).InitiateIntegration(metadata.NewOutgoingContext(ctx, md),
			&bosav1.InitiateIntegrationRequest{Connector: connector, CallbackUrl: callback})
		if err != nil {
			t.Fatalf("InitiateIntegration %s: %v", connector, err)
		}
		resp, err := hc.Get(init.GetUrl())
		if err != nil {
			t.Fatalf("OAuth flow of %s: %v", connector, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusFound {
			t.Fatalf("OAuth flow of %s ended with %d", connector, resp.StatusCode)
		}
	}
	return md
}
