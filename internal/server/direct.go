package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// directConn is the REST face's connection to the services. A unary call runs the service method
// in the caller's goroutine, through the same interceptor chain as the gRPC servers, with the
// metadata, peer, headers, trailers, size limits and status conversion a call over the in-process
// gRPC connection had: the REST face behaves as before, without a second HTTP/2 exchange and
// marshalling of the request and the answer inside the process. Streaming calls (Paginate) still
// go over that connection, served by Server.internal.
type directConn struct {
	streams *grpc.ClientConn
	methods map[string]directMethod // by full method name, e.g. /bosa.v1.ActionService/ExecuteAction
	chain   grpc.UnaryServerInterceptor
	peer    *peer.Peer
	maxMsg  int
	// wire says whether the caller takes answers whose data is still in wire form among their
	// unknown fields (resultMessage's dataWire): the REST face does (restMarshaler writes JSON from
	// it); other callers (the MCP face) get the data field decoded, as from a gRPC connection.
	wire bool
}

// wireAnswers returns c for a caller that writes answers from their wire form (see wire).
func (c *directConn) wireAnswers() *directConn {
	d := *c
	d.wire = true
	return &d
}

// directMethod is one unary method: its service implementation and generated handler.
type directMethod struct {
	srv     any
	handler grpc.MethodHandler
}

// directService is a service implementation with its description, as given to RegisterService.
type directService struct {
	desc *grpc.ServiceDesc
	impl any
}

// internalAuthority and internalUserAgent are what the in-process gRPC connection sent.
const internalAuthority = "bosa-gateway-internal"

var internalUserAgent = "grpc-go/" + grpc.Version

func newDirectConn(streams *grpc.ClientConn, addr net.Addr, maxMsg int, unary []grpc.UnaryServerInterceptor, services []directService) *directConn {
	c := &directConn{streams: streams, methods: map[string]directMethod{}, chain: chainUnary(unary),
		peer: &peer.Peer{Addr: addr, LocalAddr: addr}, maxMsg: maxMsg}
	for _, s := range services {
		for _, m := range s.desc.Methods {
			c.methods["/"+s.desc.ServiceName+"/"+m.MethodName] = directMethod{srv: s.impl, handler: m.Handler}
		}
	}
	return c
}

// NewStream opens a stream over the in-process gRPC connection.
func (c *directConn) NewStream(ctx context.Context, desc *grpc.StreamDesc, method string, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	return c.streams.NewStream(ctx, desc, method, opts...)
}

// Invoke runs a unary method directly (any other over the in-process gRPC connection).
func (c *directConn) Invoke(ctx context.Context, method string, args, reply any, opts ...grpc.CallOption) error {
	m, ok := c.methods[method]
	if !ok {
		return c.streams.Invoke(ctx, method, args, reply, opts...)
	}
	// What the gRPC client checked before sending.
	out, _ := metadata.FromOutgoingContext(ctx)
	if out == nil {
		out = metadata.MD{}
	}
	if err := validateMetadata(out); err != nil {
		return status.Error(codes.Internal, err.Error())
	}
	if err := ctx.Err(); err != nil {
		return status.FromContextError(err).Err()
	}
	in := args.(proto.Message)
	if n := proto.Size(in); n > c.maxMsg {
		return messageTooLarge(c.maxMsg).GRPCStatus().Err() // REST answers it with 413
	}

	// What the server saw: the metadata (plus the transport's own entries), the peer, a stream for
	// headers and trailers, and a context without the caller's outgoing metadata.
	out[":authority"] = []string{internalAuthority}
	out["content-type"] = []string{"application/grpc"}
	out["user-agent"] = []string{internalUserAgent}
	stream := &directStream{method: method}
	sctx := metadata.NewOutgoingContext(ctx, nil)
	sctx = metadata.NewIncomingContext(sctx, out)
	sctx = peer.NewContext(sctx, c.peer)
	sctx = grpc.NewContextWithServerTransportStream(sctx, stream)
	resp, err := m.handler(m.srv, sctx, func(v any) error {
		moveMessage(v.(proto.Message), in)
		return nil
	}, c.chain)
	msg, _ := resp.(proto.Message)
	if err == nil && msg == nil {
		err = status.Error(codes.Internal, "grpc: error while marshaling: proto: Marshal called with nil")
	}
	if err == nil {
		if n := messageSize(msg); n > c.maxMsg {
			err = status.Errorf(codes.ResourceExhausted, "trying to send message larger than max (%d vs. %d)", n, c.maxMsg)
		}
	}
	var st *status.Status
	if err != nil {
		var ok bool
		if st, ok = status.FromError(err); !ok {
			st = status.FromContextError(err)
		}
	}
	header, trailer := stream.received(st)
	for _, o := range opts {
		switch o := o.(type) {
		case grpc.HeaderCallOption:
			*o.HeaderAddr = header
		case grpc.TrailerCallOption:
			*o.TrailerAddr = trailer
		}
	}
	if st != nil {
		return st.Err()
	}
	moveMessage(reply.(proto.Message), msg)
	if !c.wire {
		if err := decodeUnknown(reply.(proto.Message)); err != nil {
			return status.Errorf(codes.Internal, "grpc: failed to unmarshal the received message: %v", err)
		}
	}
	return nil
}

// decodeUnknown decodes the unknown fields of m into its fields, as unmarshalling m's wire form
// does: the data an answer carries in wire form becomes its data field. JSON nests up to
// maxJSONDepth, twice as deep in protobuf (Value, ListValue, Value...).
func decodeUnknown(m proto.Message) error {
	r := m.ProtoReflect()
	u := r.GetUnknown()
	if len(u) == 0 {
		return nil
	}
	r.SetUnknown(nil)
	return proto.UnmarshalOptions{Merge: true, RecursionLimit: 4 * maxJSONDepth}.Unmarshal(u, m)
}

// moveMessage sets dst's fields to src's, sharing (not copying) what they point to; src is not used
// afterwards.
func moveMessage(dst, src proto.Message) {
	d, s := dst.ProtoReflect(), src.ProtoReflect()
	s.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		d.Set(fd, v)
		return true
	})
	// Unknown fields too, as a marshal and unmarshal would keep them: an answer's data travels in
	// wire form among them (dataWire).
	if u := s.GetUnknown(); len(u) > 0 {
		d.SetUnknown(u)
	}
}

// chainUnary composes interceptors as grpc.ChainUnaryInterceptor does: the first is outermost.
func chainUnary(ics []grpc.UnaryServerInterceptor) grpc.UnaryServerInterceptor {
	if len(ics) == 0 {
		return nil
	}
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		return ics[0](ctx, req, info, chainedHandler(ics, 0, info, handler))
	}
}

func chainedHandler(ics []grpc.UnaryServerInterceptor, cur int, info *grpc.UnaryServerInfo, final grpc.UnaryHandler) grpc.UnaryHandler {
	if cur == len(ics)-1 {
		return final
	}
	return func(ctx context.Context, req any) (any, error) {
		return ics[cur+1](ctx, req, info, chainedHandler(ics, cur+1, info, final))
	}
}

// validateMetadata is the gRPC client's check of outgoing metadata: keys in [0-9a-z-_.], values
// of non-binary keys printable ASCII.
func validateMetadata(md metadata.MD) error {
	for k, vals := range md {
		if k == "" {
			return errors.New("there is an empty key in the header")
		}
		if k[0] == ':' {
			continue
		}
		for i := 0; i < len(k); i++ {
			r := k[i]
			if !(r >= 'a' && r <= 'z') && !(r >= '0' && r <= '9') && r != '.' && r != '-' && r != '_' {
				return fmt.Errorf("header key %q contains illegal characters not in [0-9a-z-_.]", k)
			}
		}
		if strings.HasSuffix(k, "-bin") {
			continue
		}
		for _, v := range vals {
			for i := 0; i < len(v); i++ {
				if v[i] < 0x20 || v[i] > 0x7e {
					return fmt.Errorf("header key %q contains value with non-printable ASCII characters", k)
				}
			}
		}
	}
	return nil
}

// directStream collects what a handler sets with grpc.SetHeader, SendHeader and SetTrailer.
type directStream struct {
	method string

	mu              sync.Mutex
	header, trailer metadata.MD
	headerSent      bool
}

func (s *directStream) Method() string { return s.method }

func (s *directStream) SetHeader(md metadata.MD) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.headerSent {
		return status.Error(codes.Internal, "transport: the stream is done or WriteHeader was already called")
	}
	s.header = metadata.Join(s.header, md)
	return nil
}

func (s *directStream) SendHeader(md metadata.MD) error {
	if err := s.SetHeader(md); err != nil {
		return err
	}
	s.mu.Lock()
	s.headerSent = true
	s.mu.Unlock()
	return nil
}

func (s *directStream) SetTrailer(md metadata.MD) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.trailer = metadata.Join(s.trailer, md)
	return nil
}

// received returns the header and trailer metadata a gRPC client would have received for a call
// that ended with st (nil: success). As grpc-go's server does: headers go out before the status
// when there are any (or the call succeeded); a call that fails with none is answered
// "trailers-only", its content type among the trailers. The status details travel as a trailer.
func (s *directStream) received(st *status.Status) (header, trailer metadata.MD) {
	s.mu.Lock()
	defer s.mu.Unlock()
	contentType := metadata.Pairs("content-type", "application/grpc")
	if st == nil || s.headerSent || len(s.header) > 0 {
		header = metadata.Join(contentType, s.header)
		trailer = s.trailer.Copy()
		if trailer == nil {
			trailer = metadata.MD{}
		}
	} else {
		trailer = metadata.Join(contentType, s.trailer)
	}
	if st != nil && len(st.Proto().GetDetails()) > 0 {
		if b, err := proto.Marshal(st.Proto()); err == nil {
			trailer.Append("grpc-status-details-bin", string(b))
		}
	}
	return header, trailer
}
