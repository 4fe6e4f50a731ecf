package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	bosav1 "bosa.dev/gateway/gen/bosa/v1"
)

// Replay is the unary scenario's like-for-like baseline of the gRPC path: ghz → a plain grpc-go
// server (`bosa-bench -grpc-replay FILE`, its own process) that answers ExecuteAction with the
// gateway's recorded answer bytes and does nothing else. ghz then pays for the same answer as over
// the gateway (it decodes every answer into a dynamic message, which for the 1 KiB Struct costs it
// far more than for the empty call's few bytes), so grpc − replay − direct is what the gateway adds
// beyond a gRPC call with that answer and the upstream call.
const Replay Path = "replay"

// ReplayAnswer is the gateway's answer to a unary case, in protobuf wire form.
type ReplayAnswer struct {
	Case   string `json:"case"`
	Answer []byte `json:"answer"`
}

// replayCaseKey is the metadata key naming the case whose answer the replay server sends: the
// server reads no request body, so a case is chosen without decoding one.
const replayCaseKey = "bench-case"

// RecordAnswer calls the case once over the gateway's gRPC face and returns its answer for the
// replay server.
func (s *Session) RecordAnswer(ctx context.Context, uc UnaryCase) (ReplayAnswer, error) {
	in, err := s.grpcInput(uc.Req)
	if err != nil {
		return ReplayAnswer{}, err
	}
	call := &bosav1.ExecuteActionRequest{Connector: uc.Req.Connector, Action: uc.Req.Action, Input: in}
	resp, err := s.action.ExecuteAction(metadata.NewOutgoingContext(ctx, metadata.Pairs("authorization", "Bearer "+s.Token)), call)
	if err != nil {
		return ReplayAnswer{}, fmt.Errorf("bench: record %s: %w", uc.Name, err)
	}
	b, err := proto.Marshal(resp)
	if err != nil {
		return ReplayAnswer{}, fmt.Errorf("bench: record %s: %w", uc.Name, err)
	}
	return ReplayAnswer{Case: uc.Name, Answer: b}, nil
}

// rawFrame is a gRPC message kept in wire form: the replay server neither decodes requests nor
// encodes answers.
type rawFrame struct{ b []byte }

// replayCodec passes rawFrame through and is protobuf for every other message (the reflection
// service's).
type replayCodec struct{}

func (replayCodec) Name() string { return "proto" }

func (replayCodec) Marshal(v any) ([]byte, error) {
	if f, ok := v.(*rawFrame); ok {
		return f.b, nil
	}
	m, ok := v.(proto.Message)
	if !ok {
		return nil, fmt.Errorf("bench: replay codec: cannot marshal %T", v)
	}
	return proto.Marshal(m)
}

func (replayCodec) Unmarshal(data []byte, v any) error {
	if f, ok := v.(*rawFrame); ok {
		f.b = data
		return nil
	}
	m, ok := v.(proto.Message)
	if !ok {
		return fmt.Errorf("bench: replay codec: cannot unmarshal into %T", v)
	}
	return proto.Unmarshal(data, m)
}

// replayService is bosa.v1.ActionService with one method, ExecuteAction, answered with the recorded
// answer of the case the call's metadata names.
func replayService(answers map[string][]byte) *grpc.ServiceDesc {
	return &grpc.ServiceDesc{
		ServiceName: bosav1.ActionService_ServiceDesc.ServiceName,
		HandlerType: (*any)(nil),
		Methods: []grpc.MethodDesc{{
			MethodName: "ExecuteAction",
			Handler: func(_ any, ctx context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
				var in rawFrame
				if err := dec(&in); err != nil {
					return nil, err
				}
				md, _ := metadata.FromIncomingContext(ctx)
				if c := md.Get(replayCaseKey); len(c) == 1 {
					if b, ok := answers[c[0]]; ok {
						return &rawFrame{b: b}, nil
					}
				}
				return nil, status.Errorf(codes.NotFound, "bench: no recorded answer (metadata %s names the case)", replayCaseKey)
			},
		}},
		Metadata: bosav1.ActionService_ServiceDesc.Metadata,
	}
}

// ServeGRPCReplay serves the recorded answers of file (a JSON list of ReplayAnswer) on addr (port
// 0: any), with server reflection for ghz (the descriptors are bosa.v1's, linked in), printing "grpc replay serving on host:port" to stdout,
// until ctx ends.
func ServeGRPCReplay(ctx context.Context, file, addr string, stdout io.Writer) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("bench: grpc replay: %w", err)
	}
	var recorded []ReplayAnswer
	if err := json.Unmarshal(b, &recorded); err != nil {
		return fmt.Errorf("bench: grpc replay %s: %w", file, err)
	}
	answers := map[string][]byte{}
	for _, a := range recorded {
		answers[a.Case] = a.Answer
	}
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("bench: grpc replay: %w", err)
	}
	srv := grpc.NewServer(grpc.MaxRecvMsgSize(128<<20), grpc.MaxSendMsgSize(128<<20), grpc.ForceServerCodec(replayCodec{}))
	srv.RegisterService(replayService(answers), struct{}{})
	reflection.Register(srv)
	fmt.Fprintf(stdout, "grpc replay serving on %s\n", lis.Addr())
	go func() {
		<-ctx.Done()
		srv.Stop()
	}()
	return srv.Serve(lis)
}

// ReplayProcess is a running replay server (ServeGRPCReplay in a bosa-bench process).
type ReplayProcess struct {
	*Process
	Addr string
}

// StartGRPCReplay writes answers to file and runs `benchBin -grpc-replay file`, waiting for its
// address.
func StartGRPCReplay(ctx context.Context, benchBin, file string, answers []ReplayAnswer, logPath string) (*ReplayProcess, error) {
	b, err := json.Marshal(answers)
	if err != nil {
		return nil, fmt.Errorf("bench: grpc replay: %w", err)
	}
	if err := os.WriteFile(file, b, 0o600); err != nil {
		return nil, fmt.Errorf("bench: grpc replay: %w", err)
	}
	p, addr, err := startHelper(ctx, "grpc replay", exec.Command(benchBin, "-grpc-replay", file), logPath, "grpc replay serving on ")
	if err != nil {
		return nil, err
	}
	return &ReplayProcess{Process: p, Addr: addr}, nil
}
