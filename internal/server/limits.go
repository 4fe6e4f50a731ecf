package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
)

// This file holds the gateway's protection limits: a bound on concurrent upstream requests per
// connector (protecting BOSA), an optional per-caller rate limit (protecting both), and the request
// size limits (protecting the gateway's memory).

// connectorLimiter is an http.RoundTripper that lets at most limit requests per connector reach
// the upstream at once; the others wait for a slot until their context ends. A slot is held until
// the response body is closed, so reading a large answer counts as in flight. Discovery
// (/connectors, /connectors/names) and user routes are not limited.
type connectorLimiter struct {
	base  http.RoundTripper
	limit int
	mu    sync.Mutex
	sems  map[string]chan struct{}
	// inFlight and waiting are per connector (names come from discovery, so they are bounded).
	inFlight, waiting *prometheus.GaugeVec
}

func newConnectorLimiter(base http.RoundTripper, limit int) *connectorLimiter {
	return &connectorLimiter{base: base, limit: limit, sems: map[string]chan struct{}{},
		inFlight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "bosa_gateway_upstream_requests_in_flight",
			Help: "Requests in flight to BOSA per connector (bounded by --max-upstream-concurrency).",
		}, []string{"connector"}),
		waiting: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "bosa_gateway_upstream_requests_waiting",
			Help: "Requests waiting for a slot under --max-upstream-concurrency, per connector.",
		}, []string{"connector"}),
	}
}

// connectorOf returns the connector of an upstream path /connectors/{connector}/..., or "".
func connectorOf(path string) string {
	rest, ok := strings.CutPrefix(path, "/connectors/")
	if !ok {
		return ""
	}
	name, _, ok := strings.Cut(rest, "/")
	if !ok {
		return "" // /connectors/names
	}
	return name
}

func (l *connectorLimiter) sem(connector string) chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.sems[connector]
	if s == nil {
		s = make(chan struct{}, l.limit)
		l.sems[connector] = s
	}
	return s
}

// RoundTrip implements http.RoundTripper.
func (l *connectorLimiter) RoundTrip(req *http.Request) (*http.Response, error) {
	connector := connectorOf(req.URL.Path)
	if connector == "" {
		return l.base.RoundTrip(req)
	}
	sem := l.sem(connector)
	waiting, inFlight := l.waiting.WithLabelValues(connector), l.inFlight.WithLabelValues(connector)
	waiting.Inc()
	select {
	case sem <- struct{}{}:
		waiting.Dec()
	case <-req.Context().Done():
		waiting.Dec()
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, req.Context().Err()
	}
	inFlight.Inc()
	release := func() { inFlight.Dec(); <-sem }
	resp, err := l.base.RoundTrip(req)
	if err != nil {
		release()
		return nil, err
	}
	resp.Body = &releaseOnClose{ReadCloser: resp.Body, release: release}
	return resp, nil
}

// releaseOnClose frees a connector slot when the response body is closed (once).
type releaseOnClose struct {
	io.ReadCloser
	once    sync.Once
	release func()
}

func (r *releaseOnClose) Close() error {
	err := r.ReadCloser.Close()
	r.once.Do(r.release)
	return err
}

// callerLimits is the optional per-caller rate limit: a token bucket per caller, where the caller is
// its bearer token, else its x-api-key, else its IP address. Buckets are keyed by a hash, so no
// credential is kept in memory as a map key. A bucket that has refilled is forgotten (it is then equivalent to a new one), which bounds
// memory by the callers of the recent past.
type callerLimits struct {
	limit rate.Limit
	burst int
	// refill is how long an unused bucket takes to be full again.
	refill time.Duration

	mu      sync.Mutex
	buckets map[string]*bucket
	sweepAt time.Time
	// rejected counts refused calls per method (never per caller: callers are credentials).
	rejected *prometheus.CounterVec
}

type bucket struct {
	lim  *rate.Limiter
	used time.Time
}

func newCallerLimits(perSecond float64, burst int) *callerLimits {
	if burst <= 0 {
		burst = max(1, int(perSecond+0.999))
	}
	refill := time.Duration(float64(burst) / perSecond * float64(time.Second))
	return &callerLimits{limit: rate.Limit(perSecond), burst: burst, refill: refill, buckets: map[string]*bucket{},
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bosa_gateway_rate_limited_total",
			Help: "Calls refused by the per-caller rate limit (--rate-limit), per method.",
		}, []string{"method"}),
	}
}

// allow takes one token from the caller's bucket; when there is none it returns how long to wait.
func (c *callerLimits) allow(key string, now time.Time) (bool, time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if now.After(c.sweepAt) {
		for k, b := range c.buckets {
			if now.Sub(b.used) > c.refill {
				delete(c.buckets, k)
			}
		}
		c.sweepAt = now.Add(c.refill + time.Second)
	}
	b := c.buckets[key]
	if b == nil {
		b = &bucket{lim: rate.NewLimiter(c.limit, c.burst)}
		c.buckets[key] = b
	}
	b.used = now
	r := b.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// callerKey identifies the caller of ctx for rate limiting (see callerLimits).
func callerKey(ctx context.Context) string {
	md, _ := metadata.FromIncomingContext(ctx)
	if c, err := credentialsFrom(ctx); err == nil && c.token != "" {
		// The whole token, not its claimed subject: the gateway cannot verify BOSA's signature and
		// callers may all share its API key, so a token forged with a user's id would otherwise
		// spend that user's bucket.
		return hashKey("token", c.token)
	}
	if k := first(md, MDAPIKey); k != "" {
		return hashKey("key", k)
	}
	// REST calls arrive over the in-memory connection: the REST face appends the HTTP peer's
	// address as the last x-forwarded-for entry.
	if p, ok := peer.FromContext(ctx); ok && p.Addr != nil && p.Addr.Network() == "bufconn" {
		if xff := md.Get("x-forwarded-for"); len(xff) > 0 {
			parts := strings.Split(xff[len(xff)-1], ",")
			return hashKey("ip", strings.TrimSpace(parts[len(parts)-1]))
		}
	} else if ok && p.Addr != nil {
		host, _, err := net.SplitHostPort(p.Addr.String())
		if err != nil {
			host = p.Addr.String()
		}
		return hashKey("ip", host)
	}
	return "anonymous"
}

func hashKey(kind, v string) string {
	h := sha256.Sum256([]byte(kind + "\x00" + v))
	return kind + ":" + hex.EncodeToString(h[:12])
}

// limited reports whether method is subject to the rate limit: the bosa.v1 services, not health
// checks or reflection.
func limited(method string) bool { return strings.HasPrefix(method, "/bosa.v1.") }

func (c *callerLimits) check(ctx context.Context, method string) error {
	if !limited(method) {
		return nil
	}
	if ok, wait := c.allow(callerKey(ctx), time.Now()); !ok {
		c.rejected.WithLabelValues(method).Inc()
		wait = wait.Round(time.Millisecond) + time.Millisecond
		return (&Error{
			Code: codes.ResourceExhausted, Reason: ReasonCallerRateLimited,
			Message:    "the gateway's per-caller rate limit is exceeded; retry after the delay in RetryInfo (REST: Retry-After)",
			RetryDelay: wait,
		}).GRPCStatus().Err()
	}
	return nil
}

func (c *callerLimits) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	if err := c.check(ctx, info.FullMethod); err != nil {
		return nil, err
	}
	return h(ctx, req)
}

func (c *callerLimits) stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
	if err := c.check(ss.Context(), info.FullMethod); err != nil {
		return err
	}
	return h(srv, ss)
}

// The request size limits. A REST body on every route but the streamed :upload is bounded by
// --max-json-body-bytes: refused from its Content-Length before any of it is read, or, sent without
// one, when reading passes the limit; the answer is 413, RESOURCE_EXHAUSTED, reason
// REQUEST_TOO_LARGE, the limit and its flag in ErrorInfo metadata. A gRPC message is bounded by
// --max-message-bytes (grpc.MaxRecvMsgSize): grpc-go reads the 5-byte length prefix and refuses a
// larger message without reading it, with its own status, RESOURCE_EXHAUSTED "grpc: received
// message larger than max (<size> vs. <limit>)". That status carries no ErrorInfo and cannot be
// given one: grpc-go writes it inside ServerStream.RecvMsg, before any handler or interceptor
// sees the error, and offers no hook (grpc-java behaves alike, grpc/grpc-java#11802).

// requestTooLarge is the error for a request over a size limit; flag names the setting.
func requestTooLarge(what string, limit int64, flag, hint string) *Error {
	return &Error{
		Code:   codes.ResourceExhausted,
		Reason: ReasonRequestTooLarge,
		Message: what + " is larger than the gateway's limit of " + strconv.FormatInt(limit, 10) + " bytes (" + flag + "); " +
			hint,
		Metadata: map[string]string{"limit_bytes": strconv.FormatInt(limit, 10), "limit": flag},
	}
}

// messageTooLarge is the error for a request message over --max-message-bytes that the gateway
// detects itself: a REST body within the JSON limit whose decoded request is larger.
func messageTooLarge(limit int) *Error {
	return requestTooLarge("the request message", int64(limit), "--max-message-bytes",
		"send files with UploadFiles (REST: POST …:upload), which streams them in chunks")
}

// bodyTooLarge is the error for a REST body over --max-json-body-bytes.
func bodyTooLarge(limit int64) *Error {
	return requestTooLarge("the request body", limit, "--max-json-body-bytes",
		"send files with POST …:upload (multipart/form-data, streamed)")
}

// limitBody refuses REST bodies over limit with 413 REQUEST_TOO_LARGE before decoding them: from
// the Content-Length without reading, else (a chunked body) once reading passes the limit. A chunked
// body is read first into pooled chunks, so that eight oversized bodies at once cost at most eight
// limits of reused memory, not a JSON decoder's doubling buffers and their garbage.
func limitBody(next http.Handler, mux *runtime.ServeMux, limit int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tooLarge := func() {
			_, outbound := runtime.MarshalerForRequest(mux, r)
			if r.ProtoMajor == 1 {
				// The rest of the body is left unread: the connection closes after the answer (as
				// net/http would find out itself, rather than drain the body).
				w.Header().Set("Connection", "close")
			}
			runtime.HTTPError(r.Context(), mux, outbound, w, r, bodyTooLarge(limit).GRPCStatus().Err())
		}
		if r.ContentLength > limit {
			tooLarge()
			return
		}
		if r.ContentLength < 0 {
			body, err := readPooled(r.Body, limit)
			defer body.release()
			var maxErr *http.MaxBytesError
			switch {
			case errors.As(err, &maxErr):
				tooLarge()
				return
			case err != nil:
				runtime.HTTPError(r.Context(), mux, &runtime.JSONPb{}, w, r,
					status.Errorf(codes.InvalidArgument, "request body: %v", err))
				return
			}
			r.Body, r.ContentLength = io.NopCloser(body.reader()), body.size
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		next.ServeHTTP(w, r)
	})
}

// bodyChunkSize is the size of the pooled chunks that chunked REST bodies are read into.
const bodyChunkSize = 32 << 10

var bodyChunks = sync.Pool{New: func() any { return new([bodyChunkSize]byte) }}

// pooledBody is a body read into pooled chunks; release returns them.
type pooledBody struct {
	chunks []*[bodyChunkSize]byte
	size   int64
}

// readPooled reads r into pooled chunks, failing with *http.MaxBytesError past limit bytes.
func readPooled(r io.Reader, limit int64) (*pooledBody, error) {
	b := &pooledBody{}
	for {
		c := bodyChunks.Get().(*[bodyChunkSize]byte)
		b.chunks = append(b.chunks, c)
		n, err := io.ReadFull(r, c[:])
		b.size += int64(n)
		if b.size > limit {
			return b, &http.MaxBytesError{Limit: limit}
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

// reader reads the body back.
func (b *pooledBody) reader() io.Reader {
	readers := make([]io.Reader, 0, len(b.chunks))
	for i, c := range b.chunks {
		n := min(int64(bodyChunkSize), b.size-int64(i)*bodyChunkSize)
		readers = append(readers, bytes.NewReader(c[:n]))
	}
	return io.MultiReader(readers...)
}

func (b *pooledBody) release() {
	for _, c := range b.chunks {
		bodyChunks.Put(c)
	}
	b.chunks = nil
}

// restTooLarge turns the REST face's size errors into REQUEST_TOO_LARGE answered with HTTP 413: a
// body that passed the JSON limit while it was read (grpc-gateway reports INVALID_ARGUMENT "http:
// request body too large"), a decoded request over the message limit (REQUEST_TOO_LARGE from
// directConn, grpc-go's "trying to send message larger than max" from the in-process connection),
// which grpc-gateway would map to 429, as it maps every RESOURCE_EXHAUSTED. Other errors are
// returned as they are.
func restTooLarge(err error, bodyLimit int64, msgLimit int) error {
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	switch {
	case st.Code() == codes.InvalidArgument && !hasErrorInfo(st) && strings.Contains(st.Message(), "request body too large"):
		err = bodyTooLarge(bodyLimit).GRPCStatus().Err()
	case st.Code() == codes.ResourceExhausted && !hasErrorInfo(st) && strings.HasPrefix(st.Message(), "trying to send message larger than max ("):
		// grpc-go's client check on the in-process connection (a streaming route's request).
		err = messageTooLarge(msgLimit).GRPCStatus().Err()
	case errorReason(st) != ReasonRequestTooLarge.String():
		return err
	}
	return &runtime.HTTPStatusError{HTTPStatus: http.StatusRequestEntityTooLarge, Err: err}
}

// errorReason returns the ErrorInfo reason of st, or "".
func errorReason(st *status.Status) string {
	for _, d := range st.Details() {
		if ei, ok := d.(*errdetails.ErrorInfo); ok {
			return ei.GetReason()
		}
	}
	return ""
}
