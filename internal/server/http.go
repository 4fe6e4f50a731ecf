package server

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/experimental"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"

	bosav1 "bosa.dev/gateway/gen/bosa/v1"
	bosagw "bosa.dev/gateway/gen/gw/bosa/v1"
	"bosa.dev/gateway/gen/openapi"
	"bosa.dev/gateway/internal/mcp"
)

// gatewayConn is the REST face's gRPC connection for streaming calls (unary calls run directly, see
// directConn). It runs over an in-memory listener served by a grpc.Server with the same services
// and interceptors as the gRPC listener's (Server.internal), so REST streams are real gRPC calls:
// they pass the same interceptors (request id, logging, metrics, rate limit, recovery).
type gatewayConn struct {
	lis  *bufconn.Listener
	conn *grpc.ClientConn
}

// gatewayBuffer is the in-memory pipe's buffer size.
const gatewayBuffer = 256 << 10

// gatewayWindow is the HTTP/2 flow-control window of the in-memory pipe, per stream and per
// connection, on both ends. A fixed window turns off grpc-go's BDP estimation, which grows windows
// to 16 MiB on a fast pipe: a streamed file would then pile up in the pipe between a fast
// producer and a slower REST caller instead of being held back one chunk at a time.
const gatewayWindow = 256 << 10

// newGatewayConn connects to the in-memory listener. The pipe never leaves the process, so it
// speaks plain HTTP/2 even when the listeners use TLS.
func newGatewayConn(maxMsg int, extra ...grpc.DialOption) (*gatewayConn, error) {
	lis := bufconn.Listen(gatewayBuffer)
	conn, err := grpc.NewClient("passthrough:///bosa-gateway-internal", append([]grpc.DialOption{
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxMsg), grpc.MaxCallSendMsgSize(maxMsg)),
		grpc.WithInitialWindowSize(gatewayWindow), grpc.WithInitialConnWindowSize(gatewayWindow),
		experimental.WithBufferPool(bufferPool),
	}, extra...)...)
	if err != nil {
		lis.Close()
		return nil, err
	}
	return &gatewayConn{lis: lis, conn: conn}, nil
}

func (g *gatewayConn) serve(s *grpc.Server) error { return s.Serve(g.lis) }

func (g *gatewayConn) close() {
	g.conn.Close()
	g.lis.Close()
}

// forwardedHeaders are the request headers the REST face passes to the gRPC services as metadata.
var forwardedHeaders = map[string]bool{
	"Authorization": true, "X-Api-Key": true, "X-Bosa-Integration": true, "X-Request-Id": true,
}

// httpHandler serves the REST routes (grpc-gateway), /openapi.json, /healthz and /metrics.
func (s *Server) httpHandler() (http.Handler, error) {
	routes, err := newRouteTable()
	if err != nil {
		return nil, err
	}
	marshaler := &runtime.JSONPb{
		// Field names as in the protos (and as BOSA spells them); unset fields shown, so that
		// has_next: false and similar are explicit over REST.
		MarshalOptions: protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true},
		// Unknown fields are rejected: a misspelt field over REST must not be silently ignored.
		UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: false},
	}
	mux := runtime.NewServeMux(
		runtime.WithMarshalerOption(runtime.MIMEWildcard, restMarshaler{marshaler}),
		runtime.WithIncomingHeaderMatcher(func(h string) (string, bool) {
			if forwardedHeaders[textproto.CanonicalMIMEHeaderKey(h)] {
				return strings.ToLower(h), true
			}
			return runtime.DefaultHeaderMatcher(h)
		}),
		runtime.WithOutgoingHeaderMatcher(func(h string) (string, bool) {
			switch h {
			case MDRequestID, "content-type": // X-Request-Id is set before the call (below)
				return "", false
			}
			return runtime.MetadataHeaderPrefix + h, true
		}),
		runtime.WithErrorHandler(restErrorHandler(int64(s.cfg.MaxJSONBodyBytes), s.cfg.MaxMessageBytes)),
		runtime.WithRoutingErrorHandler(restRoutingError(routes)),
		// A form POST is not a GET: every route takes JSON (or multipart for :upload).
		runtime.WithDisablePathLengthFallback(),
		runtime.WithMiddlewares(restRouteName),
	)
	ctx := context.Background()
	conn := s.direct.wireAnswers() // restMarshaler writes data from its wire form
	for _, register := range []func(context.Context, *runtime.ServeMux, grpc.ClientConnInterface) error{
		viaClient(bosagw.RegisterConnectorServiceHandlerClient, bosav1.NewConnectorServiceClient),
		viaClient(bosagw.RegisterActionServiceHandlerClient, bosav1.NewActionServiceClient),
		viaClient(bosagw.RegisterUserServiceHandlerClient, bosav1.NewUserServiceClient),
		viaClient(bosagw.RegisterIntegrationServiceHandlerClient, bosav1.NewIntegrationServiceClient),
		viaClient(bosagw.RegisterCatalogServiceHandlerClient, bosav1.NewCatalogServiceClient),
		viaClient(bosagw.RegisterSkillServiceHandlerClient, bosav1.NewSkillServiceClient),
	} {
		if err := register(ctx, mux, conn); err != nil {
			return nil, err
		}
	}

	root := http.NewServeMux()
	if err := s.registerBrowserRoutes(root); err != nil { // browser.go: Connect and gRPC-Web
		return nil, err
	}
	if err := s.registerFileRoutes(mux); err != nil {
		return nil, err
	}
	limited := limitBody(mux, mux, int64(s.cfg.MaxJSONBodyBytes)) // limits.go
	root.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead {
			// HEAD is GET without the body (net/http discards what the handler writes for HEAD).
			r = r.Clone(r.Context())
			r.Method = http.MethodGet
		}
		if err := validRequestText(r); err != nil {
			_, outbound := runtime.MarshalerForRequest(mux, r)
			runtime.HTTPError(r.Context(), mux, outbound, w, r, err)
			return
		}
		// The request id is settled here, so that every REST answer carries it, errors included
		// (the gRPC side returns it in the trailers of a failed call, which REST would not show).
		if !validRequestID(r.Header.Get("X-Request-Id")) {
			r.Header.Set("X-Request-Id", newRequestID())
		}
		w.Header().Set("X-Request-Id", r.Header.Get("X-Request-Id"))
		if strings.HasSuffix(r.URL.Path, ":paginate") {
			w = &streamErrorWriter{ResponseWriter: w}
		}
		if isUploadRoute(r) {
			mux.ServeHTTP(w, r) // streamed: bounded by --http-read-timeout, not by the body limit
			return
		}
		limited.ServeHTTP(w, r)
	}))
	root.HandleFunc("GET /openapi.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(openapi.JSON)
	})
	root.HandleFunc("GET /healthz", s.healthz)
	if !s.cfg.MetricsOnAdminOnly {
		root.Handle("GET /metrics", promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{}))
	}
	// MCP: tool calls run ExecuteAction over the REST face's connection (same interceptors).
	s.mcp = mcp.New(mcp.Config{
		Conn: s.direct, Connectors: s.svc.client.Connectors, Connector: s.svc.client.Connector,
		MaxFileBytes: s.cfg.MCPMaxFileBytes, MaxRequestBytes: int64(s.cfg.MaxJSONBodyBytes),
		Logger: s.log.With(slog.String("component", "mcp")),
	})
	s.mcp.Register(root)
	return s.cfg.httpTracing(corsHandler(s.cfg.CORSAllowedOrigins, root)), nil
}

// healthz answers 200 SERVING or 503 NOT_SERVING, as the gRPC health service does (draining included).
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	resp, err := s.health.Check(r.Context(), &healthpb.HealthCheckRequest{})
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("NOT_SERVING\n"))
		return
	}
	_, _ = w.Write([]byte("SERVING\n"))
}

// viaClient registers a service's REST routes over a connection (the generated RegisterXHandler
// takes only a *grpc.ClientConn).
func viaClient[C any](register func(context.Context, *runtime.ServeMux, C) error, client func(grpc.ClientConnInterface) C) func(context.Context, *runtime.ServeMux, grpc.ClientConnInterface) error {
	return func(ctx context.Context, mux *runtime.ServeMux, cc grpc.ClientConnInterface) error {
		return register(ctx, mux, client(cc))
	}
}

// restErrorHandler writes gRPC errors as grpc-gateway does (the google.rpc.Status JSON with
// details, so ErrorInfo is visible), adding Retry-After when a RetryInfo is present. Errors the REST
// face makes itself, before any gRPC call (a body that does not decode), get the ErrorInfo every
// gateway error carries and a message that says what to fix; a body over the size limit is 413
// (restTooLarge).
func restErrorHandler(bodyLimit int64, msgLimit int) runtime.ErrorHandlerFunc {
	return func(ctx context.Context, mux *runtime.ServeMux, m runtime.Marshaler, w http.ResponseWriter, r *http.Request, err error) {
		err = restTooLarge(err, bodyLimit, msgLimit)
		if st, ok := status.FromError(err); ok {
			if !hasErrorInfo(st) && st.Code() == codes.InvalidArgument {
				msg := strings.TrimPrefix(strings.ReplaceAll(st.Message(), "\u00a0", " "), "proto: ")
				err = (&Error{Code: codes.InvalidArgument, Reason: ReasonInvalidRequest, Message: "request body: " + msg}).GRPCStatus().Err()
				st, _ = status.FromError(err)
			}
			if fixed := validUTF8Status(st); fixed != st {
				st = fixed
				var hse *runtime.HTTPStatusError
				if errors.As(err, &hse) {
					err = &runtime.HTTPStatusError{HTTPStatus: hse.HTTPStatus, Err: st.Err()}
				} else {
					err = st.Err()
				}
			}
			for _, d := range st.Details() {
				if ri, ok := d.(*errdetails.RetryInfo); ok && ri.GetRetryDelay() != nil {
					secs := int(ri.GetRetryDelay().AsDuration().Seconds() + 0.999)
					w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
				}
			}
		}
		runtime.DefaultHTTPErrorHandler(ctx, mux, m, w, r, err)
	}
}

// restRoutingError answers an unknown route with NOT_FOUND (404), and a wrong method with 405 and
// the Allow header (UNIMPLEMENTED in the Status), with ErrorInfo and a message naming the route.
func restRoutingError(routes routeTable) runtime.RoutingErrorHandlerFunc {
	return func(ctx context.Context, mux *runtime.ServeMux, m runtime.Marshaler, w http.ResponseWriter, r *http.Request, httpStatus int) {
		path := quote(r.URL.Path)
		e := &Error{Code: codes.NotFound, Reason: ReasonNotFound, Message: "no REST route " + quote(r.Method) + " " + path + " (see /openapi.json)"}
		var err error = e.GRPCStatus().Err()
		allow := routes.allow(r.URL.Path)
		if httpStatus == http.StatusNotFound && len(allow) > 0 {
			httpStatus = http.StatusMethodNotAllowed // e.g. POST /openapi.json: a route outside grpc-gateway's mux
		}
		switch httpStatus {
		case http.StatusMethodNotAllowed:
			w.Header().Set("Allow", strings.Join(allow, ", "))
			e.Code, e.Reason, e.Message = codes.Unimplemented, ReasonInvalidRequest, "method "+quote(r.Method)+" is not allowed on "+path+" (allowed: "+strings.Join(allow, ", ")+"; see /openapi.json)"
			err = &runtime.HTTPStatusError{HTTPStatus: http.StatusMethodNotAllowed, Err: e.GRPCStatus().Err()}
		case http.StatusBadRequest:
			e.Code, e.Reason, e.Message = codes.InvalidArgument, ReasonInvalidRequest, "malformed request path "+path
			err = e.GRPCStatus().Err()
		}
		runtime.HTTPError(ctx, mux, m, w, r, err)
	}
}

// validRequestText refuses a request whose path or query is not UTF-8 (such text cannot become a
// proto string field), or whose forwarded headers are not printable ASCII (gRPC metadata cannot
// carry them: grpc-gateway would drop the header silently). Values are never quoted: they may be
// secrets.
func validRequestText(r *http.Request) error {
	for _, s := range []string{r.URL.Path, r.URL.RawQuery} {
		if u, err := url.PathUnescape(s); err == nil && !utf8.ValidString(u) || !utf8.ValidString(s) {
			return invalidRequest("URL", "is not valid UTF-8 once percent-decoded").GRPCStatus().Err()
		}
	}
	for name := range forwardedHeaders {
		for _, v := range r.Header.Values(name) {
			if strings.IndexFunc(v, func(c rune) bool { return c < 0x20 || c > 0x7e }) >= 0 {
				return invalidRequest(name, "header must be printable ASCII").GRPCStatus().Err()
			}
		}
	}
	return nil
}

// validUTF8Status replaces invalid UTF-8 in st's message and details (caller input quoted in an
// error): JSON cannot carry it, and the error would become a 500.
func validUTF8Status(st *status.Status) *status.Status {
	p := st.Proto()
	if utf8.ValidString(p.GetMessage()) && !slices.ContainsFunc(p.GetDetails(), func(a *anypb.Any) bool { return !utf8.Valid(a.GetValue()) }) {
		return st // the common case: nothing to fix (a detail with only valid bytes has valid strings)
	}
	p.Message = strings.ToValidUTF8(p.GetMessage(), "\ufffd")
	for i, a := range p.GetDetails() {
		m, err := a.UnmarshalNew()
		if err != nil {
			continue
		}
		validUTF8Message(m.ProtoReflect())
		if fixed, err := anypb.New(m); err == nil {
			p.Details[i] = fixed
		}
	}
	return status.FromProto(p)
}

// validUTF8Message replaces invalid UTF-8 in every string field of m, nested messages included.
func validUTF8Message(m protoreflect.Message) {
	fix := func(v protoreflect.Value) protoreflect.Value {
		return protoreflect.ValueOfString(strings.ToValidUTF8(v.String(), "\ufffd"))
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsMap():
			fixed := map[string]protoreflect.Value{}
			v.Map().Range(func(k protoreflect.MapKey, e protoreflect.Value) bool {
				switch fd.MapValue().Kind() {
				case protoreflect.StringKind:
					e = fix(e)
				case protoreflect.MessageKind:
					validUTF8Message(e.Message())
				}
				if fd.MapKey().Kind() == protoreflect.StringKind {
					v.Map().Clear(k)
					fixed[strings.ToValidUTF8(k.String(), "\ufffd")] = e
				} else {
					v.Map().Set(k, e)
				}
				return true
			})
			for k, e := range fixed {
				v.Map().Set(protoreflect.ValueOfString(k).MapKey(), e)
			}
		case fd.IsList():
			for i := range v.List().Len() {
				if fd.Kind() == protoreflect.StringKind {
					v.List().Set(i, fix(v.List().Get(i)))
				} else if fd.Kind() == protoreflect.MessageKind {
					validUTF8Message(v.List().Get(i).Message())
				}
			}
		case fd.Kind() == protoreflect.StringKind:
			m.Set(fd, fix(v))
		case fd.Kind() == protoreflect.MessageKind:
			validUTF8Message(v.Message())
		}
		return true
	})
}

func hasErrorInfo(st *status.Status) bool {
	for _, d := range st.Details() {
		if _, ok := d.(*errdetails.ErrorInfo); ok {
			return true
		}
	}
	return false
}

// streamErrorWriter unwraps the error of a stream that fails before its first line: grpc-gateway
// writes it as {"error": Status} with the error's HTTP status, where every other error response is
// the bare Status. Errors after the first line keep the {"error": …} line (documented in the
// OpenAPI document), since the 200 status line is already sent.
type streamErrorWriter struct {
	http.ResponseWriter
	failed bool
}

func (w *streamErrorWriter) WriteHeader(code int) {
	w.failed = code != http.StatusOK
	w.ResponseWriter.WriteHeader(code)
}

func (w *streamErrorWriter) Write(b []byte) (int, error) {
	if w.failed {
		var line struct {
			Error json.RawMessage `json:"error"`
		}
		if json.Unmarshal(b, &line) == nil && len(line.Error) > 0 {
			w.failed = false // once: the delimiter that follows is written as it is
			if _, err := w.ResponseWriter.Write(line.Error); err != nil {
				return 0, err
			}
			return len(b), nil
		}
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's Flush.
func (w *streamErrorWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
