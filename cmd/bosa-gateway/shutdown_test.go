package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"

	"bosa.dev/gateway/bosaclient"
	bosav1 "bosa.dev/gateway/gen/bosa/v1"
	"bosa.dev/gateway/sandbox"
)

// sandboxToken starts a sandbox and returns it with the token of a user who has a GitHub integration.
func sandboxToken(t *testing.T) (*sandbox.Server, string) {
	t.Helper()
	sb := sandbox.NewServer()
	t.Cleanup(sb.Close)
	c, err := bosaclient.New(sb.URL, sandbox.DemoAPIKey)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	u, err := c.CreateUser(ctx, "draining")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := c.Authenticate(ctx, "draining", u.Secret)
	if err != nil {
		t.Fatal(err)
	}
	authURL, err := c.InitiateIntegration(ctx, "github", "http://127.0.0.1:1/callback", bosaclient.WithToken(tok.Token))
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), "http://127.0.0.1:1/") {
			return http.ErrUseLastResponse // the integration is stored before BOSA redirects to the app
		}
		return nil
	}}
	resp, err := hc.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return sb, tok.Token
}

// buildGateway builds this command into a temporary directory.
func buildGateway(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "bosa-gateway")
	cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// outcome is how one call ended, and when it started relative to SIGTERM.
type outcome struct {
	kind      string
	beforeSig bool
	err       error
	pages     int
	lastToken string
}

// TestGracefulShutdownUnderLoad runs the real binary under unary and streaming load over gRPC and
// REST and sends it SIGTERM: every call accepted before the signal completes; calls made after it
// either complete (during the drain delay) or are refused with UNAVAILABLE; Paginate streams end
// with a clean status (OK, or UNAVAILABLE GATEWAY_SHUTTING_DOWN carrying the token to resume after
// the last page received), never a cut connection; and the process exits 0 within the drain delay
// plus the shutdown timeout.
func TestGracefulShutdownUnderLoad(t *testing.T) {
	bin := buildGateway(t)
	sb, token := sandboxToken(t)
	sb.Inject("github", "get_repository", sandbox.Fault{Latency: 800 * time.Millisecond})
	sb.Inject("github", "list_commits", sandbox.Fault{Latency: 150 * time.Millisecond})
	const drain, grace = 300 * time.Millisecond, 5 * time.Second

	cmd := exec.Command(bin, "--upstream-url", sb.URL, "--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0",
		"--drain-delay", drain.String(), "--shutdown-timeout", grace.String(), "--log-format", "json", "--log-level", "info")
	cmd.Env = append(os.Environ(), "BOSA_API_KEY="+sandbox.DemoAPIKey)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	var grpcAddr, httpAddr string
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		var line map[string]any
		if json.Unmarshal(sc.Bytes(), &line) == nil && line["msg"] == "gateway serving" {
			grpcAddr, httpAddr = line["grpc"].(string), line["http"].(string)
			break
		}
	}
	if grpcAddr == "" {
		t.Fatal("the gateway did not report its addresses")
	}
	go func() { _, _ = io.Copy(io.Discard, stderr) }()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	conn, err := grpc.NewClient(grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	md := metadata.Pairs("authorization", "Bearer "+token)
	repoIn, _ := structpb.NewStruct(map[string]any{"owner": "acme", "repo": "web"})
	commitsIn, _ := structpb.NewStruct(map[string]any{"owner": "acme", "repo": "web", "per_page": 5})

	var (
		mu       sync.Mutex
		outcomes []outcome
		sigAt    time.Time
		sigMu    sync.RWMutex
		stop     = make(chan struct{})
		wg       sync.WaitGroup
	)
	sent := func() bool { sigMu.RLock(); defer sigMu.RUnlock(); return !sigAt.IsZero() }
	record := func(o outcome) { mu.Lock(); outcomes = append(outcomes, o); mu.Unlock() }
	ctx := metadata.NewOutgoingContext(context.Background(), md)
	unaryGRPC := func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			before := !sent()
			_, err := bosav1.NewActionServiceClient(conn).ExecuteAction(ctx, &bosav1.ExecuteActionRequest{Connector: "github", Action: "get_repository", Input: repoIn})
			record(outcome{kind: "grpc unary", beforeSig: before, err: err})
			if err != nil {
				return
			}
		}
	}
	unaryREST := func() {
		hc := &http.Client{}
		for {
			select {
			case <-stop:
				return
			default:
			}
			before := !sent()
			req, _ := http.NewRequest("POST", "http://"+httpAddr+"/v1/connectors/github/actions/get_repository:execute",
				strings.NewReader(`{"input": {"owner": "acme", "repo": "web"}}`))
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := hc.Do(req)
			if err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					err = errors.New("HTTP " + resp.Status)
				}
			}
			record(outcome{kind: "rest unary", beforeSig: before, err: err})
			if err != nil {
				return
			}
		}
	}
	streamGRPC := func() {
		o := outcome{kind: "grpc stream", beforeSig: true}
		stream, err := bosav1.NewActionServiceClient(conn).Paginate(ctx, &bosav1.PaginateRequest{Connector: "github", Action: "list_commits", Input: commitsIn, Prefetch: 2})
		for err == nil {
			var p *bosav1.PaginateResponse
			if p, err = stream.Recv(); err == nil {
				o.pages++
				o.lastToken = p.GetNextPageToken()
			}
		}
		if errors.Is(err, io.EOF) {
			err = nil
		}
		o.err = err
		record(o)
	}
	streamREST := func() {
		o := outcome{kind: "rest stream", beforeSig: true}
		req, _ := http.NewRequest("POST", "http://"+httpAddr+"/v1/connectors/github/actions/list_commits:paginate",
			strings.NewReader(`{"input": {"owner": "acme", "repo": "web", "per_page": 5}, "prefetch": 2}`))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			o.err = err
			record(o)
			return
		}
		defer resp.Body.Close()
		lines := bufio.NewScanner(resp.Body)
		lines.Buffer(make([]byte, 1<<20), 1<<20)
		for lines.Scan() {
			var line struct {
				Result *struct {
					PageToken string `json:"next_page_token"`
				} `json:"result"`
				Error json.RawMessage `json:"error"`
			}
			if err := json.Unmarshal(lines.Bytes(), &line); err != nil {
				o.err = err
				break
			}
			if line.Error != nil {
				var st spb.Status
				if err := protojson.Unmarshal(line.Error, &st); err != nil {
					o.err = err
				} else {
					o.err = status.ErrorProto(&st)
				}
				break
			}
			o.pages++
			o.lastToken = line.Result.PageToken
		}
		if o.err == nil && lines.Err() != nil {
			o.err = lines.Err()
		}
		record(o)
	}
	for i := 0; i < 12; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); unaryGRPC() }()
	}
	for i := 0; i < 4; i++ {
		wg.Add(2)
		go func() { defer wg.Done(); unaryREST() }()
		go func() { defer wg.Done(); streamGRPC() }()
	}
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); streamREST() }()
	}

	time.Sleep(1500 * time.Millisecond) // calls and streams in flight
	sigMu.Lock()
	sigAt = time.Now()
	sigMu.Unlock()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	var exitErr error
	select {
	case exitErr = <-exited:
	case <-time.After(drain + grace + 5*time.Second):
		t.Fatal("the gateway did not exit")
	}
	took := time.Since(sigAt)
	close(stop)
	wg.Wait()

	if exitErr != nil {
		t.Errorf("exit: %v, want status 0", exitErr)
	}
	if took > drain+grace+time.Second {
		t.Errorf("exited %v after SIGTERM, want within drain %v + grace %v", took, drain, grace)
	}
	counts := map[string]int{}
	for _, o := range outcomes {
		key := o.kind
		if o.err != nil {
			key += " ended by shutdown"
		}
		counts[key]++
		switch {
		case o.kind == "grpc unary" || o.kind == "rest unary":
			if o.err == nil {
				continue
			}
			if o.beforeSig {
				t.Errorf("%s accepted before SIGTERM was lost: %v", o.kind, o.err)
			} else if o.kind == "rest unary" {
				if strings.HasPrefix(o.err.Error(), "HTTP ") && !strings.HasPrefix(o.err.Error(), "HTTP 503") {
					t.Errorf("REST call after SIGTERM: %v, want success or a refusal", o.err)
				}
				t.Logf("REST call after SIGTERM refused: %v", o.err)
			} else if o.kind == "grpc unary" && status.Code(o.err) != codes.Unavailable {
				t.Errorf("%s after SIGTERM: %v, want success or UNAVAILABLE (refused)", o.kind, o.err)
			}
		default: // streams
			if o.err == nil {
				continue
			}
			st, ok := status.FromError(o.err)
			var ei *errdetails.ErrorInfo
			if ok {
				for _, d := range st.Details() {
					if v, isEI := d.(*errdetails.ErrorInfo); isEI {
						ei = v
					}
				}
			}
			if !ok || st.Code() != codes.Unavailable || ei.GetReason() != "GATEWAY_SHUTTING_DOWN" {
				t.Errorf("%s ended with %v, want a clean GATEWAY_SHUTTING_DOWN status", o.kind, o.err)
			} else if o.pages > 0 && ei.GetMetadata()["resume_page_token"] != o.lastToken {
				t.Errorf("%s: resume_page_token is not the token of the last page received", o.kind)
			}
		}
	}
	t.Logf("shutdown: exit %v after SIGTERM; outcomes %v", took.Round(time.Millisecond), counts)
	if counts["grpc unary"] == 0 || counts["rest unary"] == 0 || counts["grpc stream ended by shutdown"] == 0 || counts["rest stream ended by shutdown"] == 0 {
		t.Errorf("the load did not exercise every kind of call: %v", counts)
	}
}
