package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	_ "google.golang.org/genproto/googleapis/rpc/errdetails" // registers detail types for protojson
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	bosav1 "bosa.dev/gateway/gen/bosa/v1"
	"bosa.dev/gateway/internal/logbuf"
	"bosa.dev/gateway/internal/server"
	"bosa.dev/gateway/sandbox"
)

// env is a running sandbox with a gateway in front of it, on real loopback sockets.
type env struct {
	logs     *logbuf.Buffer // everything the gateway logged, at debug level
	sb       *sandbox.Sandbox
	upstream *httptest.Server // serves sb to the gateway
	gw       *server.Server
	conn     *grpc.ClientConn
	httpBase string
}

// envOptions tune startEnvWith.
type envOptions struct {
	sandbox []sandbox.Option                // options of a new sandbox
	shared  *env                            // reuse this env's sandbox and upstream (and logs)
	wrap    func(http.Handler) http.Handler // wraps the upstream handler (to observe traffic)
	cfg     []func(*server.Config)          // applied to the gateway's Config
}

// startEnv starts a sandbox and a gateway (gRPC and HTTP on free ports) and stops both at cleanup.
func startEnv(t *testing.T, mutate ...func(*server.Config)) *env {
	t.Helper()
	return startEnvWith(t, envOptions{cfg: mutate})
}

// startEnvWith is startEnv with sandbox options, an upstream wrapper or a shared sandbox.
func startEnvWith(t *testing.T, o envOptions) *env {
	t.Helper()
	var (
		sb       *sandbox.Sandbox
		upstream *httptest.Server
		logs     *logbuf.Buffer
	)
	if o.shared != nil {
		sb, upstream, logs = o.shared.sb, o.shared.upstream, o.shared.logs
	} else {
		sb = sandbox.New(o.sandbox...)
		var h http.Handler = bodyFirst(sb)
		if o.wrap != nil {
			h = o.wrap(h)
		}
		upstream = httptest.NewServer(h)
		t.Cleanup(upstream.Close)
		logs = &logbuf.Buffer{}
	}
	cfg := server.Config{
		UpstreamURL: upstream.URL, APIKey: sandbox.DemoAPIKey,
		GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0",
		Logger:          slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		ShutdownTimeout: 2 * time.Second,
	}
	for _, m := range o.cfg {
		m(&cfg)
	}
	gw, err := cfg.Complete()
	if err != nil {
		t.Fatalf("Complete: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- gw.Run(ctx) }()
	conn, err := grpc.NewClient(gw.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(server.DefaultMaxMessageBytes), grpc.MaxCallSendMsgSize(server.DefaultMaxMessageBytes)))
	if err != nil {
		t.Fatalf("grpc.NewClient: %v", err)
	}
	t.Cleanup(func() {
		conn.Close()
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("Run did not return after cancel")
		}
	})
	return &env{logs: logs, sb: sb, upstream: upstream, gw: gw, conn: conn, httpBase: "http://" + gw.HTTPAddr()}
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

func insecureCreds() credentials.TransportCredentials { return insecure.NewCredentials() }

// bodyFirst reads the whole request body before calling h. net/http notices that a client went away
// (and cancels the request context) only once the body has been read, so without this the
// sandbox's injected latency could not observe the gateway cancelling an upstream call.
func bodyFirst(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(b))
		h.ServeHTTP(w, r)
	})
}

// transport calls the gateway's RPCs by full method name: over gRPC, or over REST with the same
// messages. Errors are gRPC status errors either way, so one table of cases checks both faces.
type transport interface {
	call(ctx context.Context, md metadata.MD, method string, req, resp proto.Message) error
	paginate(ctx context.Context, md metadata.MD, req *bosav1.PaginateRequest) ([]*bosav1.PaginateResponse, error)
}

type grpcTransport struct{ conn *grpc.ClientConn }

// sentDeadline reports a deadline that grpc-go sends as grpc-timeout, while the call itself may
// run a little longer (until its embedded context ends).
type sentDeadline struct {
	context.Context
	deadline time.Time
}

func (c sentDeadline) Deadline() (time.Time, bool) { return c.deadline, true }

// callContext is ctx with md, for one call. A deadline of ctx is sent to the gateway, but the call
// waits a little longer for the answer, as the REST transport does: the tests check the gateway's
// answer to a deadline (DEADLINE_EXCEEDED with ErrorInfo, sent just before it), not whether a
// loaded machine delivers that answer before the caller's own timer fires.
func (g grpcTransport) callContext(ctx context.Context, md metadata.MD) (context.Context, context.CancelFunc) {
	ctx = metadata.NewOutgoingContext(ctx, md)
	dl, ok := ctx.Deadline()
	if !ok {
		return ctx, func() {}
	}
	longer, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Until(dl)+5*time.Second)
	return sentDeadline{longer, dl}, cancel
}

func (g grpcTransport) call(ctx context.Context, md metadata.MD, method string, req, resp proto.Message) error {
	ctx, cancel := g.callContext(ctx, md)
	defer cancel()
	return g.conn.Invoke(ctx, method, req, resp)
}

func (g grpcTransport) paginate(ctx context.Context, md metadata.MD, req *bosav1.PaginateRequest) ([]*bosav1.PaginateResponse, error) {
	ctx, cancel := g.callContext(ctx, md)
	defer cancel()
	stream, err := bosav1.NewActionServiceClient(g.conn).Paginate(ctx, req)
	if err != nil {
		return nil, err
	}
	var pages []*bosav1.PaginateResponse
	for {
		p, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return pages, nil
		}
		if err != nil {
			return pages, err
		}
		pages = append(pages, p)
	}
}

// restRoute is the HTTP rule of one RPC, as in proto/bosa/v1/gateway.yaml.
type restRoute struct {
	method, path string
	body         bool
}

var restRoutes = map[string]restRoute{
	"/bosa.v1.ConnectorService/ListConnectors":         {"GET", "/v1/connectors", false},
	"/bosa.v1.ConnectorService/GetConnector":           {"GET", "/v1/connectors/{connector}", false},
	"/bosa.v1.ActionService/ExecuteAction":             {"POST", "/v1/connectors/{connector}/actions/{action}:execute", true},
	"/bosa.v1.ActionService/Paginate":                  {"POST", "/v1/connectors/{connector}/actions/{action}:paginate", true},
	"/bosa.v1.UserService/CreateUser":                  {"POST", "/v1/users", true},
	"/bosa.v1.UserService/AuthenticateUser":            {"POST", "/v1/auth/tokens", true},
	"/bosa.v1.UserService/GetCurrentUser":              {"GET", "/v1/users/me", false},
	"/bosa.v1.IntegrationService/CheckIntegration":     {"GET", "/v1/connectors/{connector}/integration-exists", false},
	"/bosa.v1.IntegrationService/InitiateIntegration":  {"POST", "/v1/connectors/{connector}/integrations:initiate", true},
	"/bosa.v1.IntegrationService/ConfigureIntegration": {"POST", "/v1/connectors/{connector}/integrations:configure", true},
	"/bosa.v1.IntegrationService/ListIntegrations":     {"GET", "/v1/integrations", false},
	"/bosa.v1.IntegrationService/GetIntegration":       {"GET", "/v1/connectors/{connector}/integrations/{user_identifier}", false},
	"/bosa.v1.IntegrationService/SelectIntegration":    {"POST", "/v1/connectors/{connector}/integrations/{user_identifier}:select", false},
	"/bosa.v1.IntegrationService/DeleteIntegration":    {"DELETE", "/v1/connectors/{connector}/integrations/{user_identifier}", false},
}

type restTransport struct {
	base string
	hc   *http.Client
}

// do sends one REST request built from req per its route. Metadata become headers; a context
// deadline becomes a Grpc-Timeout header (the HTTP exchange itself gets a little longer, so that
// the gateway's DEADLINE_EXCEEDED answer can be read).
func (r restTransport) do(ctx context.Context, md metadata.MD, method string, req proto.Message) (*http.Response, context.CancelFunc, error) {
	route, ok := restRoutes[method]
	if !ok {
		return nil, nil, fmt.Errorf("no REST route for %s", method)
	}
	path := route.path
	query := url.Values{}
	fields := req.ProtoReflect().Descriptor().Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		name := string(fd.Name())
		if (fd.Kind() != protoreflect.StringKind && fd.Kind() != protoreflect.Int32Kind) || fd.IsList() {
			continue
		}
		v := req.ProtoReflect().Get(fd).String()
		if fd.Kind() == protoreflect.Int32Kind {
			if v = fmt.Sprint(req.ProtoReflect().Get(fd).Int()); v == "0" {
				v = ""
			}
		}
		if strings.Contains(path, "{"+name+"}") {
			path = strings.ReplaceAll(path, "{"+name+"}", url.PathEscape(v))
		} else if !route.body && v != "" {
			query.Set(name, v)
		}
	}
	if len(query) > 0 {
		path += "?" + query.Encode()
	}
	var body io.Reader
	if route.body {
		b, err := protojson.Marshal(req)
		if err != nil {
			return nil, nil, err
		}
		body = bytes.NewReader(b)
	}
	httpCtx, cancel := context.WithCancel(ctx)
	var timeout string
	if dl, ok := ctx.Deadline(); ok {
		timeout = fmt.Sprintf("%dm", max(time.Until(dl).Milliseconds(), 1))
		cancel()
		httpCtx, cancel = context.WithTimeout(context.WithoutCancel(ctx), time.Until(dl)+5*time.Second)
	}
	hr, err := http.NewRequestWithContext(httpCtx, route.method, r.base+path, body)
	if err != nil {
		cancel()
		return nil, nil, err
	}
	if body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	if timeout != "" {
		hr.Header.Set("Grpc-Timeout", timeout)
	}
	for k, vs := range md {
		for _, v := range vs {
			hr.Header.Add(k, v)
		}
	}
	resp, err := r.hc.Do(hr)
	if err != nil {
		cancel()
		return nil, nil, err
	}
	return resp, cancel, nil
}

func (r restTransport) call(ctx context.Context, md metadata.MD, method string, req, resp proto.Message) error {
	hr, cancel, err := r.do(ctx, md, method, req)
	if err != nil {
		return err
	}
	defer cancel()
	defer hr.Body.Close()
	b, err := io.ReadAll(hr.Body)
	if err != nil {
		return err
	}
	if hr.StatusCode != http.StatusOK {
		return restStatus(hr, b)
	}
	if hr.Header.Get("X-Request-Id") == "" {
		return errors.New("REST answer has no X-Request-Id")
	}
	return protojson.Unmarshal(b, resp)
}

// restStatus turns a REST error body (a google.rpc.Status in JSON) back into a status error and
// checks that the HTTP status is the one grpc-gateway assigns to the code.
// hr is nil for an error line inside a stream.
func restStatus(hr *http.Response, b []byte) error {
	var st spb.Status
	if err := protojson.Unmarshal(b, &st); err != nil {
		return fmt.Errorf("REST error body is not a google.rpc.Status: %v: %s", err, b)
	}
	if want := runtime.HTTPStatusFromCode(status.FromProto(&st).Code()); hr != nil && hr.StatusCode != want {
		return fmt.Errorf("HTTP status %d for gRPC code %v, want %d", hr.StatusCode, status.FromProto(&st).Code(), want)
	}
	return status.ErrorProto(&st)
}

func (r restTransport) paginate(ctx context.Context, md metadata.MD, req *bosav1.PaginateRequest) ([]*bosav1.PaginateResponse, error) {
	hr, cancel, err := r.do(ctx, md, "/bosa.v1.ActionService/Paginate", req)
	if err != nil {
		return nil, err
	}
	defer cancel()
	defer hr.Body.Close()
	if hr.StatusCode != http.StatusOK {
		// An error before the first line is a bare Status, as on every route (docs/rest.md).
		b, _ := io.ReadAll(hr.Body)
		if ct := hr.Header.Get("Content-Type"); ct != "application/json" {
			return nil, fmt.Errorf("HTTP %d: stream error with Content-Type %q, want application/json", hr.StatusCode, ct)
		}
		return nil, restStatus(hr, b)
	}
	if ct := hr.Header.Get("Content-Type"); ct != "application/x-ndjson" {
		return nil, fmt.Errorf("Paginate answered Content-Type %q, want application/x-ndjson", ct)
	}
	var pages []*bosav1.PaginateResponse
	sc := bufio.NewScanner(hr.Body)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var line struct {
			Result json.RawMessage `json:"result"`
			Error  json.RawMessage `json:"error"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			return pages, fmt.Errorf("NDJSON line: %w", err)
		}
		if line.Error != nil {
			return pages, restStatus(nil, line.Error)
		}
		p := &bosav1.PaginateResponse{}
		if err := protojson.Unmarshal(line.Result, p); err != nil {
			return pages, err
		}
		pages = append(pages, p)
	}
	return pages, sc.Err()
}
