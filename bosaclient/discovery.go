package bosaclient

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"bosa.dev/gateway/schema"
)

// Connector is one connector as listed by discovery (spec §5.2), with its actions sorted by name.
type Connector struct {
	Name    string
	Actions []*Action
}

// Action returns the named action, or nil.
func (c *Connector) Action(name string) *Action {
	for _, a := range c.Actions {
		if a.Name == name {
			return a
		}
	}
	return nil
}

// ActionNames returns the names of the actions, sorted.
func (c *Connector) ActionNames() []string {
	names := make([]string, len(c.Actions))
	for i, a := range c.Actions {
		names[i] = a.Name
	}
	return names
}

// Action is one action of a connector: a POST route taking one flat parameter object.
type Action struct {
	// Connector is the connector's name.
	Connector string
	// Name is the endpoint name (the route path below the connector).
	Name string
	// Method is the HTTP method, POST for actions.
	Method string
	// Path is the absolute path the client calls verbatim.
	Path string
	// Docstring is the full documentation; Summary is its first line.
	Docstring, Summary string
	// Schema is parameters.request.schema with any $ref resolved; never nil.
	Schema *schema.Schema
	// Parameters is the flattened parameter list with required flags (like the SDK's get_action_parameters).
	Parameters []schema.Parameter
}

// discovery caches the listing per connector, with a TTL, sharing one upstream fetch among concurrent callers.
type discovery struct {
	c   *Client
	ttl time.Duration

	mu       sync.Mutex
	conns    map[string]cached[*Connector]
	names    cached[[]string]
	all      time.Time // when the full listing was last fetched
	inflight map[string]*flight
}

type cached[T any] struct {
	v  T
	at time.Time
}

type flight struct {
	done    chan struct{}
	err     error
	waiters int
	cancel  context.CancelFunc
}

func newDiscovery(c *Client) *discovery {
	return &discovery{c: c, ttl: DefaultDiscoveryTTL, conns: map[string]cached[*Connector]{}, inflight: map[string]*flight{}}
}

func (d *discovery) fresh(at time.Time) bool {
	return !at.IsZero() && d.ttl > 0 && time.Since(at) < d.ttl
}

// share runs fetch once for all concurrent callers of the same key, unless hit (called under the lock)
// reports that the cache already answers. Checking the cache under the same lock that joins or starts
// a flight matters: a caller that saw a miss may reach share after another caller's flight has filled
// the cache and gone, and must not fetch again. The fetch runs detached from any one caller's
// cancellation (bounded by the discovery timeout), so a caller that gives up does not fail the others;
// each caller returns as soon as its own context ends, and when every caller has gone the fetch is
// cancelled.
func (d *discovery) share(ctx context.Context, key string, hit func() bool, fetch func(context.Context) error) error {
	d.mu.Lock()
	if hit() {
		d.mu.Unlock()
		return nil
	}
	f, ok := d.inflight[key]
	if !ok {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.c.actionTimeout)
		f = &flight{done: make(chan struct{}), cancel: cancel}
		d.inflight[key] = f
		go func() {
			defer cancel()
			err := fetch(fctx)
			d.mu.Lock()
			f.err = err
			if d.inflight[key] == f {
				delete(d.inflight, key)
			}
			d.mu.Unlock()
			close(f.done)
		}()
	}
	f.waiters++
	d.mu.Unlock()
	select {
	case <-f.done:
		return f.err
	case <-ctx.Done():
		d.mu.Lock()
		f.waiters--
		if f.waiters == 0 {
			// Nobody waits any more: stop the fetch, and let the next caller start a fresh one.
			f.cancel()
			if d.inflight[key] == f {
				delete(d.inflight, key)
			}
		}
		d.mu.Unlock()
		return fmt.Errorf("bosaclient: discovery: %w", ctx.Err())
	}
}

// ConnectorNames returns the connector names (GET /connectors/names), cached.
func (c *Client) ConnectorNames(ctx context.Context) ([]string, error) {
	d := c.disc
	err := d.share(ctx, "names", func() bool { return d.fresh(d.names.at) }, func(ctx context.Context) error {
		body, err := c.getDiscovery(ctx, "/connectors/names")
		if err != nil {
			return err
		}
		var names []string
		if err := json.Unmarshal(body, &names); err != nil {
			return fmt.Errorf("bosaclient: GET /connectors/names: decode: %w", err)
		}
		sort.Strings(names)
		d.mu.Lock()
		d.names = cached[[]string]{v: names, at: time.Now()}
		d.mu.Unlock()
		return nil
	})
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.names.v...), nil
}

// Connectors returns every connector (GET /connectors), sorted by name, cached.
func (c *Client) Connectors(ctx context.Context) ([]*Connector, error) {
	d := c.disc
	err := d.share(ctx, "*", func() bool { return d.fresh(d.all) }, func(ctx context.Context) error {
		return c.loadListing(ctx, "/connectors", func(now time.Time) { d.all = now })
	})
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]*Connector, 0, len(d.conns))
	for _, e := range d.conns {
		out = append(out, e.v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Connector returns one connector (GET /connectors/?modules=name), cached. An unknown connector is an
// error matching ErrNotFound. The returned value is shared: do not modify it.
func (c *Client) Connector(ctx context.Context, name string) (*Connector, error) {
	d := c.disc
	// A hit is a fresh entry, or a fresh full listing that does not have it.
	hit := func() bool { e, ok := d.conns[name]; return ok && d.fresh(e.at) || !ok && d.fresh(d.all) }
	err := d.share(ctx, "c:"+name, hit, func(ctx context.Context) error {
		return c.loadListing(ctx, "/connectors/?modules="+url.QueryEscape(name), nil)
	})
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	e, ok := d.conns[name]
	d.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("bosaclient: connector %q: %w", name, ErrNotFound)
	}
	return e.v, nil
}

// loadListing fetches a discovery listing and caches every connector in it. stamp, when not nil, runs
// under the cache lock with the caching time (the full listing records it as d.all).
func (c *Client) loadListing(ctx context.Context, path string, stamp func(now time.Time)) error {
	body, err := c.getDiscovery(ctx, path)
	if err != nil {
		return err
	}
	conns, err := c.parseListing(body)
	if err != nil {
		return err
	}
	d := c.disc
	now := time.Now()
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, cn := range conns {
		d.conns[cn.Name] = cached[*Connector]{v: cn, at: now}
	}
	if stamp != nil {
		stamp(now)
	}
	return nil
}

// Action returns one action of a connector. An unknown connector or action is an error matching ErrNotFound.
func (c *Client) Action(ctx context.Context, connector, action string) (*Action, error) {
	cn, err := c.Connector(ctx, connector)
	if err != nil {
		return nil, err
	}
	a := cn.Action(action)
	if a == nil {
		return nil, fmt.Errorf("bosaclient: action %s/%s: %w", connector, action, ErrNotFound)
	}
	return a, nil
}

// Actions returns the actions of a connector (like the SDK's get_actions).
func (c *Client) Actions(ctx context.Context, connector string) ([]*Action, error) {
	cn, err := c.Connector(ctx, connector)
	if err != nil {
		return nil, err
	}
	return cn.Actions, nil
}

// ActionParameters returns the flattened parameter list of an action (like the SDK's get_action_parameters).
func (c *Client) ActionParameters(ctx context.Context, connector, action string) ([]schema.Parameter, error) {
	a, err := c.Action(ctx, connector, action)
	if err != nil {
		return nil, err
	}
	return a.Parameters, nil
}

// Refresh drops every cached discovery result; the next call fetches again.
func (c *Client) Refresh(ctx context.Context) error {
	d := c.disc
	d.mu.Lock()
	d.conns = map[string]cached[*Connector]{}
	d.names = cached[[]string]{}
	d.all = time.Time{}
	d.mu.Unlock()
	_, err := c.Connectors(ctx)
	return err
}

// getDiscovery GETs a public discovery route, with no key (spec §5.2), retried per the client's policy
// (it is an idempotent GET).
func (c *Client) getDiscovery(ctx context.Context, path string) ([]byte, error) {
	req := &request{method: "GET", path: path, noAuth: true, timeout: c.actionTimeout}
	resp, err := c.send(ctx, req, &callConfig{}, true)
	if err != nil {
		return nil, err
	}
	return resp.body, nil
}

// rawEndpoint is one entry of the listing.
type rawEndpoint struct {
	Method     string `json:"method"`
	Path       string `json:"path"`
	Docstring  string `json:"docstring"`
	Parameters map[string]struct {
		Schema json.RawMessage `json:"schema"`
	} `json:"parameters"`
}

// nonActionPrefixes are endpoint names that are integration routes, not actions (spec §5.2).
var nonActionPrefixes = []string{"integrations", "integration-exists", "success-authorize-callback"}

// parseListing turns a discovery body into connectors. Malformed entries are skipped (and logged) rather
// than failing the whole connector, unlike the reference client.
func (c *Client) parseListing(body []byte) ([]*Connector, error) {
	var raw map[string]map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, fmt.Errorf("bosaclient: discovery: decode: %w", err)
	}
	out := make([]*Connector, 0, len(raw))
	for cname, eps := range raw {
		cn := &Connector{Name: cname}
	entries:
		for ename, rawEp := range eps {
			for _, p := range nonActionPrefixes {
				if strings.HasPrefix(ename, p) {
					continue entries
				}
			}
			var ep rawEndpoint
			if err := json.Unmarshal(rawEp, &ep); err != nil {
				c.logger.Warn("bosa discovery: skipping malformed endpoint", slog.String("connector", cname),
					slog.String("endpoint", ename), slog.String("error", err.Error()))
				continue
			}
			if !strings.EqualFold(ep.Method, "POST") {
				continue
			}
			a, err := newAction(cname, ename, &ep)
			if err != nil {
				c.logger.Warn("bosa discovery: skipping endpoint", slog.String("connector", cname),
					slog.String("endpoint", ename), slog.String("error", err.Error()))
				continue
			}
			cn.Actions = append(cn.Actions, a)
		}
		sort.Slice(cn.Actions, func(i, j int) bool { return cn.Actions[i].Name < cn.Actions[j].Name })
		out = append(out, cn)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func newAction(connector, name string, ep *rawEndpoint) (*Action, error) {
	a := &Action{
		Connector: connector,
		Name:      name,
		Method:    "POST",
		Path:      ep.Path,
		Docstring: ep.Docstring,
	}
	if a.Path == "" {
		a.Path = "/connectors/" + url.PathEscape(connector) + "/" + url.PathEscape(name)
	}
	if !strings.HasPrefix(a.Path, "/") {
		a.Path = "/" + a.Path
	}
	a.Summary, _, _ = strings.Cut(strings.TrimSpace(ep.Docstring), "\n")
	a.Summary = strings.TrimSpace(a.Summary)
	s := &schema.Schema{Type: "object"}
	if req, ok := ep.Parameters["request"]; ok && len(req.Schema) > 0 && string(req.Schema) != "null" {
		var raw schema.Schema
		if err := json.Unmarshal(req.Schema, &raw); err != nil {
			return nil, fmt.Errorf("decode schema: %w", err)
		}
		resolved, err := raw.Resolve()
		if err != nil {
			return nil, fmt.Errorf("resolve schema: %w", err)
		}
		s = resolved
	}
	if s.Type == "" && len(s.Properties) == 0 {
		s.Type = "object"
	}
	a.Schema = s
	a.Parameters = s.Parameters()
	return a, nil
}
