package server

import (
	"context"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"

	"bosa.dev/gateway/bosaclient"
)

// Metadata keys (lower case, as gRPC sees them; over REST they are the HTTP headers of the same name).
const (
	// MDAuthorization carries "Bearer <user token>".
	MDAuthorization = "authorization"
	// MDAPIKey carries a BOSA client key that overrides the gateway's own.
	MDAPIKey = "x-api-key"
	// MDIntegration names the integration (user_identifier) to use for one call.
	MDIntegration = "x-bosa-integration"
	// MDRequestID carries the request id; the gateway sets it on responses and forwards it upstream.
	MDRequestID = "x-request-id"
)

// credentials are the caller's BOSA credentials, read from incoming metadata.
type credentials struct {
	token       string
	apiKey      string
	integration string
}

// String never shows the values, only whether each is present, so credentials are safe to log.
func (c credentials) String() string {
	return "credentials{token:" + present(c.token) + " api_key:" + present(c.apiKey) + " integration:" + present(c.integration) + "}"
}

func present(s string) string {
	if s == "" {
		return "absent"
	}
	return "present"
}

// credentialsFrom reads authorization, x-api-key and x-bosa-integration from ctx. A non-Bearer
// authorization is UNAUTHENTICATED.
func credentialsFrom(ctx context.Context) (credentials, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	var c credentials
	if v := first(md, MDAuthorization); v != "" {
		scheme, tok, ok := strings.Cut(v, " ")
		tok = strings.TrimSpace(tok)
		if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
			return c, &Error{Code: codes.Unauthenticated, Reason: ReasonMalformedAuthorization,
				Message: `authorization metadata must be "Bearer <user token>"`}
		}
		c.token = tok
	}
	c.apiKey = first(md, MDAPIKey)
	c.integration = first(md, MDIntegration)
	return c, nil
}

func first(md metadata.MD, key string) string {
	if v := md.Get(key); len(v) > 0 {
		return strings.TrimSpace(v[0])
	}
	return ""
}

// callOptions turns the caller's credentials into bosaclient call options. needKey says whether the
// call needs a BOSA key (every call but discovery); without one from the caller or the gateway the
// call is UNAUTHENTICATED before anything is sent upstream.
func (s *services) callOptions(ctx context.Context, needKey bool) ([]bosaclient.CallOption, error) {
	c, err := credentialsFrom(ctx)
	if err != nil {
		return nil, err
	}
	var opts []bosaclient.CallOption
	switch {
	case c.apiKey != "":
		opts = append(opts, bosaclient.WithAPIKey(c.apiKey))
	case needKey && !s.hasAPIKey:
		return nil, &Error{Code: codes.Unauthenticated, Reason: ReasonAPIKeyMissing,
			Message: "no BOSA API key: send x-api-key metadata (the gateway has none configured)"}
	}
	if c.token != "" {
		opts = append(opts, bosaclient.WithToken(c.token))
	}
	if c.integration != "" {
		opts = append(opts, bosaclient.WithIntegration(c.integration))
	}
	if id := requestIDFrom(ctx); id != "" {
		opts = append(opts, bosaclient.WithHeaders(map[string]string{"X-Request-Id": id}))
	}
	return opts, nil
}
