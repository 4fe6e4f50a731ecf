package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"time"

	middleware "github.com/grpc-ecosystem/go-grpc-middleware/v2"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/recovery"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

// The interceptor chain is, outermost first: request id → logging → credential scrubbing →
// metrics → recovery → per-caller rate limit (when configured) → deadline margin. Metrics sit outside recovery so that recovered panics are counted as INTERNAL; logging sits
// outside metrics so that every call is logged with its request id. Health checks are not logged.

type requestIDKey struct{}

// requestIDFrom returns the request id the interceptor chain assigned to ctx.
func requestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// validRequestID accepts caller-supplied ids of the BOSA API's request-id form, 1–128 of
// [A-Za-z0-9._:-] (docs/protocol.md §17.2), so that the same id reaches BOSA's logs and logs here
// cannot be forged with newlines or flooded.
func validRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, r := range id {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '.' || r == '_' || r == ':' || r == '-') {
			return false
		}
	}
	return true
}

func newRequestID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// withRequestID reads x-request-id from the caller (or makes one) and stores it in the context.
func withRequestID(ctx context.Context) context.Context {
	md, _ := metadata.FromIncomingContext(ctx)
	id := first(md, MDRequestID)
	if !validRequestID(id) {
		id = newRequestID()
	}
	return context.WithValue(ctx, requestIDKey{}, id)
}

// The request id goes back in the response headers of a call that succeeds, and in the trailers of
// one that fails before sending anything: headers would make the failure a headers-and-trailers
// answer, which gRPC clients treat as committed and never retry under the service config's policy.
func requestIDUnary(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	ctx = withRequestID(ctx)
	id := requestIDFrom(ctx)
	resp, err := h(ctx, req)
	if err != nil {
		_ = grpc.SetTrailer(ctx, metadata.Pairs(MDRequestID, id))
		return resp, stampRequestID(err, id)
	}
	_ = grpc.SetHeader(ctx, metadata.Pairs(MDRequestID, id))
	return resp, nil
}

func requestIDStream(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) error {
	w := &requestIDServerStream{WrappedServerStream: middleware.WrapServerStream(ss)}
	w.WrappedContext = withRequestID(ss.Context())
	id := requestIDFrom(w.WrappedContext)
	err := h(srv, w)
	if err != nil && !w.sent {
		w.SetTrailer(metadata.Pairs(MDRequestID, id))
	}
	return stampRequestID(err, id)
}

// requestIDServerStream sets the request id header just before the first thing the stream sends.
type requestIDServerStream struct {
	*middleware.WrappedServerStream
	sent bool
}

func (s *requestIDServerStream) header() {
	if !s.sent {
		s.sent = true
		_ = s.WrappedServerStream.SetHeader(metadata.Pairs(MDRequestID, requestIDFrom(s.WrappedContext)))
	}
}

func (s *requestIDServerStream) SendHeader(md metadata.MD) error {
	s.header()
	return s.WrappedServerStream.SendHeader(md)
}

func (s *requestIDServerStream) SendMsg(m any) error {
	s.header()
	return s.WrappedServerStream.SendMsg(m)
}

// stampRequestID adds the call's request id to the metadata of every ErrorInfo of err's status
// (key request_id), so that a caller holding only the error can quote it.
func stampRequestID(err error, id string) error {
	st, ok := status.FromError(err)
	if err == nil || !ok || id == "" {
		return err
	}
	p := st.Proto()
	changed := false
	for i, a := range p.GetDetails() {
		var ei errdetails.ErrorInfo
		if !a.MessageIs(&ei) || a.UnmarshalTo(&ei) != nil || ei.GetMetadata()["request_id"] == id {
			continue
		}
		if ei.Metadata == nil {
			ei.Metadata = map[string]string{}
		}
		ei.Metadata["request_id"] = id
		if na, err := anypb.New(&ei); err == nil {
			p.Details[i], changed = na, true
		}
	}
	if !changed {
		return err
	}
	return status.ErrorProto(p)
}

// callLogger logs one line per call: method, code, ErrorInfo reason, duration and request id. It never
// logs metadata (credentials) or payloads; status messages only at debug level, since validation
// messages may quote input values.
type callLogger struct{ log *slog.Logger }

func (l callLogger) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	start := time.Now()
	resp, err := h(ctx, req)
	l.record(ctx, info.FullMethod, start, err)
	return resp, err
}

func (l callLogger) stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
	start := time.Now()
	err := h(srv, ss)
	l.record(ss.Context(), info.FullMethod, start, err)
	return err
}

func (l callLogger) record(ctx context.Context, method string, start time.Time, err error) {
	if strings.HasPrefix(method, "/grpc.health.v1.") {
		return
	}
	st := status.Convert(err)
	attrs := []slog.Attr{
		slog.String("method", method),
		slog.String("code", st.Code().String()),
		slog.Duration("duration", time.Since(start)),
		slog.String("request_id", requestIDFrom(ctx)),
	}
	for _, d := range st.Details() {
		if ei, ok := d.(*errdetails.ErrorInfo); ok {
			attrs = append(attrs, slog.String("reason", ei.GetReason()))
		}
	}
	level := slog.LevelInfo
	switch st.Code() {
	case codes.Internal, codes.Unknown, codes.Unavailable, codes.DataLoss:
		level = slog.LevelWarn
	}
	l.log.LogAttrs(ctx, level, "grpc call", attrs...)
	if err != nil {
		l.log.LogAttrs(ctx, slog.LevelDebug, "grpc call error", slog.String("request_id", requestIDFrom(ctx)),
			slog.String("message", st.Message()))
	}
}

// recoveryHandler turns a panic into INTERNAL, logging the stack (not the request).
func recoveryHandler(log *slog.Logger) recovery.RecoveryHandlerFuncContext {
	return func(ctx context.Context, p any) error {
		log.LogAttrs(ctx, slog.LevelError, "panic in handler", slog.String("request_id", requestIDFrom(ctx)),
			slog.String("panic", fmt.Sprint(p)), slog.String("stack", string(debug.Stack())))
		return (&Error{Code: codes.Internal, Reason: ReasonInternal, Message: "internal error"}).GRPCStatus().Err()
	}
}

// errServerClosed reports a listener closed by shutdown, which is not a failure.
func errServerClosed(err error) bool {
	return err == nil || errors.Is(err, grpc.ErrServerStopped)
}

// maxDeadlineMargin bounds how much earlier than the caller's deadline handlers give up.
const maxDeadlineMargin = 200 * time.Millisecond

// withDeadlineMargin gives handlers a deadline slightly before the caller's (a tenth of the time left,
// at most maxDeadlineMargin), so that a timed-out upstream call ends while the caller still listens
// and the caller receives the gateway's DEADLINE_EXCEEDED with its ErrorInfo, not only its own
// library's bare timeout.
func withDeadlineMargin(ctx context.Context) (context.Context, context.CancelFunc) {
	dl, ok := ctx.Deadline()
	if !ok {
		return ctx, func() {}
	}
	margin := min(time.Until(dl)/10, maxDeadlineMargin)
	return context.WithDeadline(ctx, dl.Add(-margin))
}

func deadlineUnary(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	ctx, cancel := withDeadlineMargin(ctx)
	defer cancel()
	return h(ctx, req)
}

func deadlineStream(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) error {
	ctx, cancel := withDeadlineMargin(ss.Context())
	defer cancel()
	w := middleware.WrapServerStream(ss)
	w.WrappedContext = ctx
	return h(srv, w)
}

// scrubUnary and scrubStream remove the caller's header values that reach BOSA (bearer token,
// x-api-key, x-bosa-integration) from error messages and details before they are logged or
// returned. The gateway never puts them there, but BOSA's messages quote request values (an
// integration name, for one), and a caller that sends a secret in the wrong header must not find
// it echoed into logs.
func scrubUnary(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	resp, err := h(ctx, req)
	return resp, scrub(ctx, err)
}

func scrubStream(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) error {
	return scrub(ss.Context(), h(srv, ss))
}

// scrub replaces every credential of the caller found in err's status with [REDACTED].
func scrub(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	md, _ := metadata.FromIncomingContext(ctx)
	var creds []string
	for _, k := range []string{MDAuthorization, MDAPIKey, MDIntegration} {
		for _, v := range md.Get(k) {
			v = strings.TrimSpace(v)
			if _, tok, ok := strings.Cut(v, " "); ok && k == MDAuthorization {
				v = strings.TrimSpace(tok)
			}
			if len(v) >= 8 { // shorter values would redact ordinary words
				creds = append(creds, v)
			}
		}
	}
	if len(creds) == 0 {
		return err
	}
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	p := st.Proto()
	b, merr := proto.Marshal(p)
	if merr != nil {
		return err
	}
	found := false
	for _, c := range creds {
		if strings.Contains(string(b), c) {
			found = true
		}
	}
	if !found {
		return err
	}
	for _, c := range creds {
		p.Message = strings.ReplaceAll(p.Message, c, "[REDACTED]")
	}
	// In details (ErrorInfo metadata quoting the upstream, say) a credential is overwritten with as
	// many asterisks, which keeps the encoded detail valid.
	for _, d := range p.Details {
		for _, c := range creds {
			d.Value = []byte(strings.ReplaceAll(string(d.Value), c, strings.Repeat("*", len(c))))
		}
	}
	return status.ErrorProto(p)
}
