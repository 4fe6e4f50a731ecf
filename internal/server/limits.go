package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
)

// This file holds the gateway's protection limits: a bound on concurrent upstream requests per
// connector (protecting BOSA) and an optional per-caller rate limit (protecting both).

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
