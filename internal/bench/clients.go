package bench

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/types/known/structpb"

	"bosa.dev/gateway/bosaclient"
	bosav1 "bosa.dev/gateway/gen/bosa/v1"
	"bosa.dev/gateway/sandbox"
)

// Path is one of the three ways the benchmark calls an action.
type Path string

// The paths of the issue: (a) bosaclient → sandbox, (b) gRPC → gateway → sandbox, (c) REST → gateway
// → sandbox.
const (
	Direct Path = "direct"
	GRPC   Path = "grpc"
	REST   Path = "rest"
)

// FileUpload is a file sent with an action.
type FileUpload struct {
	Parameter, Filename, ContentType string
	Data                             []byte
}

// Request is an action call, prepared once per path (Prepare) and then sent many times concurrently.
type Request struct {
	Connector, Action string
	Input             map[string]any
	Files             []FileUpload
}

// Result is what a call returned, reduced to what the harness checks.
type Result struct {
	Items     int // len(data) when data is a list
	FileBytes int // length of the file, for file answers
	IsFile    bool
	// FileData is the file of a buffered answer (not copied); SHA256 the hash of a streamed one,
	// taken as it arrived.
	FileData []byte
	SHA256   [sha256.Size]byte
	// Object is data when it is a JSON object (an upload's answer), else nil.
	Object map[string]any
}

// Session is a signed-in sandbox user with GitHub and Google Drive integrations, and a client per path.
type Session struct {
	SandboxURL string
	Token      string
	// FloorURL is the floor proxy's base URL, when one runs.
	FloorURL string
	// ReplayAddr is the grpc replay server's address, when one runs (AttachReplay).
	ReplayAddr string
	replay     bosav1.ActionServiceClient
	replayConn *grpc.ClientConn

	direct   *bosaclient.Client
	conn     *grpc.ClientConn
	grpcAddr string
	action   bosav1.ActionServiceClient
	rest     *http.Client
	base     string // gateway REST base URL
}

// NewSession creates a user on the sandbox at sandboxURL (directly), connects GitHub and Google Drive
// for it, and opens clients to the sandbox and to the gateway (grpcAddr, httpAddr; empty skips them).
func NewSession(ctx context.Context, sandboxURL, grpcAddr, httpAddr string) (*Session, error) {
	c, err := bosaclient.New(sandboxURL, sandbox.DemoAPIKey)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	id := fmt.Sprintf("bench-%08x", rand.Uint32())
	user, err := c.CreateUser(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("bench: create user: %w", err)
	}
	tok, err := c.Authenticate(ctx, id, user.Secret)
	if err != nil {
		return nil, fmt.Errorf("bench: authenticate: %w", err)
	}
	for _, connector := range []string{"github", "google_drive"} {
		callback := sandboxURL + "/connectors/" + connector + "/success-authorize-callback"
		u, err := c.InitiateIntegration(ctx, connector, callback, bosaclient.WithToken(tok.Token))
		if err != nil {
			return nil, fmt.Errorf("bench: integrate %s: %w", connector, err)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return nil, fmt.Errorf("bench: integrate %s: %w", connector, err)
		}
		resp, err := http.DefaultClient.Do(req) // the browser's consent round trip
		if err != nil {
			return nil, fmt.Errorf("bench: integrate %s: %w", connector, err)
		}
		resp.Body.Close()
	}
	s := &Session{SandboxURL: sandboxURL, Token: tok.Token, direct: c}
	if err := s.Attach(grpcAddr, httpAddr); err != nil {
		return nil, err
	}
	return s, nil
}

// Attach points the session's gateway clients at a (new) gateway, closing the previous ones. Empty
// addresses leave that client unset.
func (s *Session) Attach(grpcAddr, httpAddr string) error {
	s.detach()
	if grpcAddr != "" {
		conn, err := grpc.NewClient(grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()),
			grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(128<<20), grpc.MaxCallSendMsgSize(128<<20)))
		if err != nil {
			return fmt.Errorf("bench: dial gateway: %w", err)
		}
		s.conn, s.action, s.grpcAddr = conn, bosav1.NewActionServiceClient(conn), grpcAddr
	}
	if httpAddr != "" {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConns, tr.MaxIdleConnsPerHost = 256, 256
		s.rest, s.base = &http.Client{Transport: tr}, "http://"+httpAddr
	}
	return nil
}

func (s *Session) detach() {
	if s.conn != nil {
		s.conn.Close()
	}
	if s.rest != nil {
		s.rest.CloseIdleConnections()
	}
	s.conn, s.action, s.grpcAddr, s.rest, s.base = nil, nil, "", nil, ""
}

// Close closes the session's connections.
func (s *Session) Close() {
	s.detach()
	if s.replayConn != nil {
		_ = s.replayConn.Close()
		s.replayConn, s.replay, s.ReplayAddr = nil, nil, ""
	}
	s.direct.CloseIdleConnections()
}

// AttachReplay connects the session to the grpc replay server at addr (see Replay).
func (s *Session) AttachReplay(addr string) error {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(128<<20)))
	if err != nil {
		return fmt.Errorf("bench: dial grpc replay: %w", err)
	}
	if s.replayConn != nil {
		_ = s.replayConn.Close()
	}
	s.ReplayAddr, s.replay, s.replayConn = addr, bosav1.NewActionServiceClient(conn), conn
	return nil
}

// Prepare builds the call of req over path once (request messages, JSON bodies), so that the load
// loop measures calls, not request building. The returned function is safe for concurrent use.
func (s *Session) Prepare(path Path, req Request) (func(ctx context.Context) (Result, error), error) {
	switch path {
	case Direct:
		return s.prepareDirect(req), nil
	case GRPC:
		return s.prepareGRPC(s.action, req, nil)
	case REST:
		return s.prepareREST(req)
	}
	return nil, fmt.Errorf("bench: unknown path %q", path)
}

// PrepareEmpty returns the empty gRPC call: the gateway's health check (same server and
// interceptors as ExecuteAction, no upstream call).
func (s *Session) PrepareEmpty() (func(ctx context.Context) (Result, error), error) {
	if s.conn == nil {
		return nil, errors.New("bench: no gateway gRPC address")
	}
	hc := healthpb.NewHealthClient(s.conn)
	return func(ctx context.Context) (Result, error) {
		resp, err := hc.Check(ctx, &healthpb.HealthCheckRequest{})
		if err != nil {
			return Result{}, err
		}
		if resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			return Result{}, fmt.Errorf("bench: gateway health %s", resp.GetStatus())
		}
		return Result{}, nil
	}, nil
}

func (s *Session) prepareDirect(req Request) func(ctx context.Context) (Result, error) {
	params := make(map[string]any, len(req.Input)+len(req.Files))
	for k, v := range req.Input {
		params[k] = v
	}
	for _, f := range req.Files {
		params[f.Parameter] = bosaclient.NewFile(f.Filename, f.ContentType, f.Data)
	}
	opt := bosaclient.WithToken(s.Token)
	return func(ctx context.Context) (Result, error) {
		r, err := s.direct.Execute(ctx, req.Connector, req.Action, params, opt)
		if err != nil {
			return Result{}, err
		}
		if r.File != nil {
			return Result{IsFile: true, FileBytes: len(r.File.Data), FileData: r.File.Data}, nil
		}
		obj, _ := r.Data.(map[string]any)
		return Result{Items: len(r.Items()), Object: obj}, nil
	}
}

// PrepareReplay returns the call of a case to the grpc replay server (see Replay).
func (s *Session) PrepareReplay(uc UnaryCase) (func(ctx context.Context) (Result, error), error) {
	if s.replay == nil {
		return nil, errors.New("bench: no grpc replay server")
	}
	return s.prepareGRPC(s.replay, uc.Req, metadata.Pairs(replayCaseKey, uc.Name))
}

// prepareGRPC prepares req as an ExecuteAction call with client (the gateway's, or the replay
// server's), with extra metadata.
func (s *Session) prepareGRPC(client bosav1.ActionServiceClient, req Request, extra metadata.MD) (func(ctx context.Context) (Result, error), error) {
	in, err := s.grpcInput(req)
	if err != nil {
		return nil, err
	}
	msg := &bosav1.ExecuteActionRequest{Connector: req.Connector, Action: req.Action, Input: in}
	for _, f := range req.Files {
		msg.Files = append(msg.Files, &bosav1.File{Parameter: f.Parameter, Filename: f.Filename, ContentType: f.ContentType, Data: f.Data})
	}
	md := metadata.Join(metadata.Pairs("authorization", "Bearer "+s.Token), extra)
	return func(ctx context.Context) (Result, error) {
		resp, err := client.ExecuteAction(metadata.NewOutgoingContext(ctx, md), msg)
		if err != nil {
			return Result{}, err
		}
		if f := resp.GetFile(); f != nil {
			return Result{IsFile: true, FileBytes: len(f.GetData()), FileData: f.GetData()}, nil
		}
		var obj map[string]any
		if st := resp.GetData().GetStructValue(); st != nil {
			obj = st.AsMap()
		}
		return Result{Items: len(resp.GetData().GetListValue().GetValues()), Object: obj}, nil
	}, nil
}

// restFile is the JSON form of bosa.v1.File (bytes are base64).
type restFile struct {
	Parameter   string `json:"parameter,omitempty"`
	Filename    string `json:"filename,omitempty"`
	ContentType string `json:"content_type,omitempty"`
	Data        []byte `json:"data"`
}

func (s *Session) prepareREST(req Request) (func(ctx context.Context) (Result, error), error) {
	if s.rest == nil {
		return nil, errors.New("bench: no gateway HTTP address")
	}
	body := map[string]any{"input": req.Input}
	if len(req.Files) > 0 {
		files := make([]restFile, len(req.Files))
		for i, f := range req.Files {
			files[i] = restFile{Parameter: f.Parameter, Filename: f.Filename, ContentType: f.ContentType, Data: f.Data}
		}
		body["files"] = files
	}
	raw, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("bench: REST body: %w", err)
	}
	url := s.base + "/v1/connectors/" + req.Connector + "/actions/" + req.Action + ":execute"
	auth := "Bearer " + s.Token
	return func(ctx context.Context) (Result, error) {
		hr, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(raw))
		if err != nil {
			return Result{}, err
		}
		hr.Header.Set("Content-Type", "application/json")
		hr.Header.Set("Authorization", auth)
		resp, err := s.rest.Do(hr)
		if err != nil {
			return Result{}, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			return Result{}, err
		}
		if resp.StatusCode != http.StatusOK {
			return Result{}, fmt.Errorf("bench: REST %s: %d %s", req.Action, resp.StatusCode, truncate(b, 300))
		}
		var out struct {
			Data any       `json:"data"`
			File *restFile `json:"file"`
		}
		if err := json.Unmarshal(b, &out); err != nil {
			return Result{}, fmt.Errorf("bench: REST answer: %w", err)
		}
		if out.File != nil {
			return Result{IsFile: true, FileBytes: len(out.File.Data), FileData: out.File.Data}, nil
		}
		list, _ := out.Data.([]any)
		obj, _ := out.Data.(map[string]any)
		return Result{Items: len(list), Object: obj}, nil
	}, nil
}

// restStream posts a Paginate request over REST and calls onPage for every {"result": …} line.
func (s *Session) restStream(ctx context.Context, connector, action string, body map[string]any, onPage func(index int) error) error {
	raw, err := json.Marshal(body)
	if err != nil {
		return err
	}
	url := s.base + "/v1/connectors/" + connector + "/actions/" + action + ":paginate"
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(raw))
	if err != nil {
		return err
	}
	hr.Header.Set("Content-Type", "application/json")
	hr.Header.Set("Authorization", "Bearer "+s.Token)
	resp, err := s.rest.Do(hr)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("bench: REST paginate: %d %s", resp.StatusCode, truncate(b, 300))
	}
	dec := json.NewDecoder(resp.Body)
	for i := 0; ; i++ {
		var line struct {
			Result *struct {
				Index int `json:"index"`
			} `json:"result"`
			Error json.RawMessage `json:"error"`
		}
		if err := dec.Decode(&line); err == io.EOF {
			return nil
		} else if err != nil {
			return fmt.Errorf("bench: REST paginate line %d: %w", i, err)
		}
		if line.Error != nil {
			return fmt.Errorf("bench: REST paginate: %s", truncate(line.Error, 300))
		}
		if line.Result == nil {
			return fmt.Errorf("bench: REST paginate line %d has no result", i)
		}
		if err := onPage(line.Result.Index); err != nil {
			return err
		}
	}
}

// control posts a fault spec to the sandbox's fault-control surface (or deletes all faults when
// spec is nil).
func control(ctx context.Context, sandboxURL string, spec map[string]any) error {
	method, body := http.MethodDelete, []byte(nil)
	if spec != nil {
		method = http.MethodPost
		var err error
		if body, err = json.Marshal(spec); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, sandboxURL+"/sandbox/control/faults", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("bench: sandbox control: %w", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("bench: sandbox control: %d %s", resp.StatusCode, truncate(b, 300))
	}
	return nil
}

func truncate(b []byte, n int) string {
	s := strings.TrimSpace(string(b))
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// payload returns n deterministic pseudo-random bytes (incompressible, like real files).
func payload(n int, seed string) []byte {
	var key [32]byte
	copy(key[:], seed)
	b := make([]byte, n)
	_, _ = rand.NewChaCha8(key).Read(b)
	return b
}

// grpcInput checks that the session has a gateway gRPC connection and converts a request's input.
func (s *Session) grpcInput(req Request) (*structpb.Struct, error) {
	if s.action == nil {
		return nil, errors.New("bench: no gateway gRPC address")
	}
	in, err := structpb.NewStruct(req.Input)
	if err != nil {
		return nil, fmt.Errorf("bench: input: %w", err)
	}
	return in, nil
}
