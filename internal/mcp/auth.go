package mcp

import (
	"context"
	"crypto/sha256"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/oauthex"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	bosav1 "bosa.dev/gateway/gen/bosa/v1"
)

// verifiedTTL is how long a token BOSA accepted is taken as valid without asking again (less when
// the token expires sooner).
const verifiedTTL = time.Minute

// maxVerified bounds the cache of accepted tokens.
const maxVerified = 10000

// verifier checks a bearer token with BOSA (UserService.GetCurrentUser, through the services, so
// the check is logged, counted and rate limited like any call) and remembers accepted tokens.
type verifier struct {
	users bosav1.UserServiceClient

	mu   sync.Mutex
	seen map[[32]byte]verified // by hash of token and x-api-key; never the token itself
}

// verified is an accepted token's user, valid until a time.
type verified struct {
	info  *auth.TokenInfo
	until time.Time
}

func newVerifier(users bosav1.UserServiceClient) *verifier {
	return &verifier{users: users, seen: map[[32]byte]verified{}}
}

// authError is a failed verification: the HTTP status, a message without the token, and when
// to retry (seconds, 0 for no Retry-After).
type authError struct {
	status     int
	msg        string
	retryAfter int
}

func (v *verifier) verify(r *http.Request, token string) (*auth.TokenInfo, *authError) {
	key := sha256.Sum256([]byte(token + "\x00" + r.Header.Get("X-Api-Key")))
	now := time.Now()
	v.mu.Lock()
	seen, ok := v.seen[key]
	v.mu.Unlock()
	if ok && now.Before(seen.until) {
		return seen.info, nil
	}
	md := headerMetadata(r.Header)
	delete(md, "x-bosa-integration")
	resp, err := v.users.GetCurrentUser(metadata.NewOutgoingContext(r.Context(), md), &bosav1.GetCurrentUserRequest{})
	if err != nil {
		st := status.Convert(err)
		switch st.Code() {
		case codes.Unauthenticated, codes.PermissionDenied:
			return nil, &authError{http.StatusUnauthorized, "BOSA did not accept the bearer token: " + st.Message(), 0}
		case codes.ResourceExhausted:
			return nil, &authError{http.StatusTooManyRequests, st.Message(), retryAfter(st)}
		case codes.Canceled, codes.DeadlineExceeded:
			return nil, &authError{http.StatusServiceUnavailable, "verifying the bearer token with BOSA did not finish: " + st.Message(), 5}
		}
		return nil, &authError{http.StatusServiceUnavailable, "could not verify the bearer token with BOSA: " + st.Message(), 5}
	}
	until := now.Add(verifiedTTL)
	info := &auth.TokenInfo{UserID: resp.GetId()}
	// The gateway cannot check BOSA's signature; the expiry only shortens how long the answer is kept.
	if tok, _, err := jwt.NewParser().ParseUnverified(token, jwt.MapClaims{}); err == nil {
		if exp, err := tok.Claims.GetExpirationTime(); err == nil && exp != nil {
			info.Expiration = exp.Time
			if exp.Time.Before(until) {
				until = exp.Time
			}
		}
	}
	v.mu.Lock()
	if len(v.seen) >= maxVerified {
		for k, s := range v.seen {
			if !now.Before(s.until) {
				delete(v.seen, k)
			}
		}
		if len(v.seen) >= maxVerified {
			clear(v.seen)
		}
	}
	v.seen[key] = verified{info, until}
	v.mu.Unlock()
	return info, nil
}

// retryAfter is the whole seconds of a status's RetryInfo, rounded up (0 without one).
func retryAfter(st *status.Status) int {
	for _, d := range st.Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok && ri.GetRetryDelay() != nil {
			return max(int(math.Ceil(ri.GetRetryDelay().AsDuration().Seconds())), 1)
		}
	}
	return 0
}

// protect answers a request without a bearer token BOSA accepts with 401 and a WWW-Authenticate
// challenge naming the protected-resource metadata (RFC 9728), as the MCP authorization spec asks.
// Accepted requests go on through the SDK's auth.RequireBearerToken, which puts the token's user
// in the context: the streamable handler then refuses a session to any other user.
func (h *Handler) protect(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		challenge := func(status int, msg string) {
			w.Header().Set("WWW-Authenticate", fmt.Sprintf("Bearer resource_metadata=%q", metadataURL(r)))
			http.Error(w, msg, status)
		}
		scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		token = strings.TrimSpace(token)
		if !strings.EqualFold(scheme, "Bearer") || token == "" {
			challenge(http.StatusUnauthorized, `send the BOSA user token as "Authorization: Bearer <token>" `+
				`(UserService.AuthenticateUser, REST POST /v1/auth/tokens, issues one)`)
			return
		}
		info, aerr := h.auth.verify(r, token)
		if aerr != nil {
			if aerr.status == http.StatusUnauthorized {
				challenge(aerr.status, aerr.msg)
				return
			}
			if aerr.retryAfter > 0 {
				w.Header().Set("Retry-After", strconv.Itoa(aerr.retryAfter))
			}
			http.Error(w, aerr.msg, aerr.status)
			return
		}
		auth.RequireBearerToken(func(context.Context, string, *http.Request) (*auth.TokenInfo, error) { return info, nil },
			&auth.RequireBearerTokenOptions{ResourceMetadataURL: metadataURL(r), AllowMissingExpiration: true, ClockSkew: time.Minute})(next).ServeHTTP(w, r)
	})
}

// resourceURL is the URL of the MCP endpoint a request is for, or whose metadata it asks for.
func resourceURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	path := "/mcp"
	if c := r.PathValue("connector"); c != "" {
		path += "/" + c
	}
	return scheme + "://" + r.Host + path
}

// metadataURL is where the protected-resource metadata of a request's endpoint is served (RFC 9728
// §3.1: the well-known prefix inserted before the resource's path).
func metadataURL(r *http.Request) string {
	u := resourceURL(r)
	i := strings.Index(u, "/mcp")
	return u[:i] + "/.well-known/oauth-protected-resource" + u[i:]
}

// serveMetadata serves the protected-resource metadata of /mcp or /mcp/{connector}. BOSA issues its
// user tokens itself (AuthenticateUser), not through an OAuth authorization server, so the document
// names none; it says where the token goes (docs/mcp.md says how to get one).
func (h *Handler) serveMetadata(w http.ResponseWriter, r *http.Request) {
	auth.ProtectedResourceMetadataHandler(&oauthex.ProtectedResourceMetadata{
		Resource:               resourceURL(r),
		BearerMethodsSupported: []string{"header"},
		ResourceName:           "BOSA gateway (MCP): connector actions as tools",
	}).ServeHTTP(w, r)
}
