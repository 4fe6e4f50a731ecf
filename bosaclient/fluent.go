package bosaclient

import (
	"context"
	"maps"
	"time"

	"bosa.dev/gateway/shape"
)

// ConnectorRef is a connector bound to a client, the start of the fluent interface (the SDK's connect()).
type ConnectorRef struct {
	c    *Client
	name string
}

// Connect starts a fluent call chain on a connector:
//
//	c.Connect("github").Action("list_pull_requests").Params(p).Token(tok).MaxAttempts(3).Run(ctx)
func (c *Client) Connect(connector string) *ConnectorRef { return &ConnectorRef{c: c, name: connector} }

// Name returns the connector name.
func (r *ConnectorRef) Name() string { return r.name }

// Actions returns the connector's actions from discovery.
func (r *ConnectorRef) Actions(ctx context.Context) ([]*Action, error) {
	return r.c.Actions(ctx, r.name)
}

// Action starts a call of the named action.
func (r *ConnectorRef) Action(name string) *ActionCall {
	return &ActionCall{c: r.c, connector: r.name, action: name, params: map[string]any{}, cc: &callConfig{}}
}

// ActionCall is an action call being built. Every method returns a new ActionCall and leaves the receiver
// unchanged, so a partly built call can be reused and shared between goroutines. Params and Headers merge
// into what was set before (the SDK replaces).
type ActionCall struct {
	c                 *Client
	connector, action string
	params            map[string]any
	cc                *callConfig
}

func (a *ActionCall) with(f func(n *ActionCall)) *ActionCall {
	n := &ActionCall{c: a.c, connector: a.connector, action: a.action, params: maps.Clone(a.params), cc: a.cc.clone()}
	f(n)
	return n
}

// Params merges parameters into the call.
func (a *ActionCall) Params(p map[string]any) *ActionCall {
	return a.with(func(n *ActionCall) { maps.Copy(n.params, p) })
}

// Param sets one parameter.
func (a *ActionCall) Param(name string, value any) *ActionCall {
	return a.with(func(n *ActionCall) { n.params[name] = value })
}

// Headers merges custom headers into the call (auth headers still win).
func (a *ActionCall) Headers(h map[string]string) *ActionCall {
	return a.with(func(n *ActionCall) { WithHeaders(h)(n.cc) })
}

// Token sets the user token.
func (a *ActionCall) Token(token string) *ActionCall {
	return a.with(func(n *ActionCall) { n.cc.token = token })
}

// Identifier picks the integration (user_identifier) for this call.
func (a *ActionCall) Identifier(uid string) *ActionCall {
	return a.with(func(n *ActionCall) { n.cc.integration = uid })
}

// APIKey overrides the client's API key for this call.
func (a *ActionCall) APIKey(key string) *ActionCall {
	return a.with(func(n *ActionCall) { WithAPIKey(key)(n.cc) })
}

// MaxAttempts sets the number of attempts (1 = no retry).
func (a *ActionCall) MaxAttempts(n int) *ActionCall {
	return a.with(func(x *ActionCall) { x.cc.maxAttempts = n })
}

// ReplayUnsafe replays on 429, 5xx and network errors whatever the server's recovery advice says
// (WithUnsafeReplays); only for idempotent actions.
func (a *ActionCall) ReplayUnsafe() *ActionCall {
	return a.with(func(n *ActionCall) { n.cc.unsafe = true })
}

// Timeout sets the per-attempt timeout.
func (a *ActionCall) Timeout(d time.Duration) *ActionCall {
	return a.with(func(n *ActionCall) { n.cc.timeout = d })
}

// Fields sets response_fields: the dot paths to keep in data (spec §7.2).
func (a *ActionCall) Fields(paths ...string) *ActionCall {
	return a.with(func(n *ActionCall) { n.params["response_fields"] = append([]string(nil), paths...) })
}

// Filters sets response_filters (spec §7.1); build them with the shape package's constructors.
func (a *ActionCall) Filters(filters ...shape.Filter) *ActionCall {
	return a.with(func(n *ActionCall) { n.params["response_filters"] = append([]shape.Filter(nil), filters...) })
}

// Execute runs the call; see Client.Execute.
func (a *ActionCall) Execute(ctx context.Context) (*ActionResponse, error) {
	return a.c.execute(ctx, a.connector, a.action, maps.Clone(a.params), a.cc.clone())
}

// Run runs the call and requires a JSON answer; see Client.Run.
func (a *ActionCall) Run(ctx context.Context) (*ActionResponse, error) {
	return a.c.Run(ctx, a.connector, a.action, maps.Clone(a.params), func(cc *callConfig) { *cc = *a.cc.clone() })
}
