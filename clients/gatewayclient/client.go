// Package gatewayclient calls the BOSA gateway's bosa.v1 gRPC API from Go: one connection with
// the caller's credentials, a default deadline and the published service config (retries of
// UNAVAILABLE on idempotent methods, per-method deadlines), plus helpers for error reasons,
// Paginate and file transfers. It is not bosaclient, which talks to BOSA's HTTP API itself.
package gatewayclient

import (
	"context"
	_ "embed"
	"fmt"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	bosav1 "bosa.dev/gateway/gen/bosa/v1"
)

// ServiceConfig is the gRPC service config published with the API (proto/bosa/v1/service_config.json,
// copied here by `make generate`); Dial applies it unless the target's resolver supplies one.
//
//go:embed service_config.json
var ServiceConfig string

// DefaultTimeout is the deadline Dial gives a call whose context has none.
const DefaultTimeout = 30 * time.Second

// Client is a connection to the gateway with the generated service clients on it.
type Client struct {
	Conn         *grpc.ClientConn
	Users        bosav1.UserServiceClient
	Connectors   bosav1.ConnectorServiceClient
	Actions      bosav1.ActionServiceClient
	Integrations bosav1.IntegrationServiceClient
}

type options struct {
	creds   Credentials
	tls     credentials.TransportCredentials
	timeout time.Duration
	dial    []grpc.DialOption
}

// An Option configures Dial.
type Option func(*options)

// WithToken sends a user's bearer token (authorization: Bearer ...) with every call.
func WithToken(token string) Option { return func(o *options) { o.creds.Token = token } }

// WithAPIKey sends a BOSA client key (x-api-key), for a gateway that has none of its own.
func WithAPIKey(key string) Option { return func(o *options) { o.creds.APIKey = key } }

// WithIntegration names the integration (x-bosa-integration) actions use.
func WithIntegration(id string) Option { return func(o *options) { o.creds.Integration = id } }

// WithTimeout sets the deadline of calls whose context has none (DefaultTimeout by default; 0: none).
// The service config's per-method timeouts still apply and the shorter wins.
func WithTimeout(d time.Duration) Option { return func(o *options) { o.timeout = d } }

// WithTLS dials with TLS; the default is plaintext.
func WithTLS(c credentials.TransportCredentials) Option { return func(o *options) { o.tls = c } }

// WithDialOptions adds grpc dial options (after the client's own, so they win).
func WithDialOptions(opts ...grpc.DialOption) Option {
	return func(o *options) { o.dial = append(o.dial, opts...) }
}

// Dial creates a client for the gateway at target ("host:port"); connections are made lazily.
func Dial(target string, opts ...Option) (*Client, error) {
	o := options{timeout: DefaultTimeout, tls: insecure.NewCredentials()}
	for _, opt := range opts {
		opt(&o)
	}
	dial := []grpc.DialOption{
		grpc.WithTransportCredentials(o.tls),
		grpc.WithDefaultServiceConfig(ServiceConfig),
		grpc.WithPerRPCCredentials(o.creds),
		grpc.WithChainUnaryInterceptor(deadlineUnary(o.timeout)),
		grpc.WithChainStreamInterceptor(deadlineStream(o.timeout)),
	}
	conn, err := grpc.NewClient(target, append(dial, o.dial...)...)
	if err != nil {
		return nil, fmt.Errorf("gatewayclient: dial %s: %w", target, err)
	}
	return &Client{
		Conn:         conn,
		Users:        bosav1.NewUserServiceClient(conn),
		Connectors:   bosav1.NewConnectorServiceClient(conn),
		Actions:      bosav1.NewActionServiceClient(conn),
		Integrations: bosav1.NewIntegrationServiceClient(conn),
	}, nil
}

// Close closes the connection.
func (c *Client) Close() error { return c.Conn.Close() }

// Credentials are the caller's credentials as per-RPC metadata; empty fields are not sent.
// Use it as grpc.PerCallCredentials to call with another user's token on the same connection.
type Credentials struct {
	Token, APIKey, Integration string
}

// GetRequestMetadata implements credentials.PerRPCCredentials.
func (c Credentials) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	md := map[string]string{}
	if c.Token != "" {
		md["authorization"] = "Bearer " + c.Token
	}
	if c.APIKey != "" {
		md["x-api-key"] = c.APIKey
	}
	if c.Integration != "" {
		md["x-bosa-integration"] = c.Integration
	}
	return md, nil
}

// RequireTransportSecurity implements credentials.PerRPCCredentials: false, so a local
// plaintext gateway (the sandbox) works; use WithTLS for a remote one.
func (Credentials) RequireTransportSecurity() bool { return false }

func deadlineUnary(d time.Duration) grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if _, ok := ctx.Deadline(); ok || d <= 0 {
			return invoker(ctx, method, req, reply, cc, opts...)
		}
		ctx, cancel := context.WithTimeout(ctx, d)
		defer cancel()
		return invoker(ctx, method, req, reply, cc, opts...)
	}
}

func deadlineStream(d time.Duration) grpc.StreamClientInterceptor {
	return func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
		if _, ok := ctx.Deadline(); ok || d <= 0 {
			return streamer(ctx, desc, cc, method, opts...)
		}
		ctx, cancel := context.WithTimeout(ctx, d)
		s, err := streamer(ctx, desc, cc, method, opts...)
		if err != nil {
			cancel()
			return nil, err
		}
		return &cancelStream{ClientStream: s, cancel: cancel}, nil
	}
}

// cancelStream releases its deadline's timer once the stream ends.
type cancelStream struct {
	grpc.ClientStream
	cancel context.CancelFunc
}

func (s *cancelStream) RecvMsg(m any) error {
	err := s.ClientStream.RecvMsg(m)
	if err != nil {
		s.cancel()
	}
	return err
}
