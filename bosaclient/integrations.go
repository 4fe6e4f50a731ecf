package bosaclient

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
)

// Integration is a stored third-party credential of a user for a connector (spec §10). AuthString is the
// credential itself: a logged Integration (slog) hides it.
type Integration struct {
	ID             string   `json:"id,omitempty"`
	ClientID       string   `json:"client_id,omitempty"`
	UserID         string   `json:"user_id,omitempty"`
	Connector      string   `json:"connector"`
	UserIdentifier string   `json:"user_identifier"`
	AuthString     string   `json:"auth_string,omitempty"`
	AuthScopes     []string `json:"auth_scopes,omitempty"`
	Selected       bool     `json:"selected"`
	// AuthStatus is the credential's state as the server reports it ("active", "needs_reconnect", …;
	// "" when it does not say).
	AuthStatus string `json:"auth_status,omitempty"`
	// Raw is the whole object as sent by the server.
	Raw map[string]any `json:"-"`
}

// LogValue hides AuthString.
func (i Integration) LogValue() slog.Value {
	return slog.GroupValue(slog.String("connector", i.Connector), slog.String("user_identifier", i.UserIdentifier),
		slog.Bool("selected", i.Selected))
}

// UnmarshalJSON fills the fields and Raw.
func (i *Integration) UnmarshalJSON(b []byte) error {
	type plain Integration
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*i = Integration(p)
	i.Raw = raw
	return nil
}

func integrationPath(connector string, uid ...string) string {
	p := "/connectors/" + url.PathEscape(connector)
	if len(uid) == 0 {
		return p + "/integrations"
	}
	return p + "/integrations/" + url.PathEscape(uid[0])
}

// HasIntegration reports whether the user of the token (WithToken) has any integration for connector.
func (c *Client) HasIntegration(ctx context.Context, connector string, opts ...CallOption) (bool, error) {
	var out struct {
		HasIntegration bool `json:"has_integration"`
	}
	if err := c.doJSON(ctx, http.MethodGet, "/connectors/"+url.PathEscape(connector)+"/integration-exists", nil, &out, opts); err != nil {
		return false, err
	}
	return out.HasIntegration, nil
}

// InitiateIntegration starts the OAuth2 flow for connector and returns the URL to send the user's browser
// to; after consent the server redirects to callbackURL. With WithReplaceDuplicate an existing integration
// of the same account has its credential replaced instead of the flow failing as a duplicate.
func (c *Client) InitiateIntegration(ctx context.Context, connector, callbackURL string, opts ...CallOption) (string, error) {
	var out struct {
		URL string `json:"url"`
	}
	cc := newCallConfig(opts)
	body := map[string]any{"callback_url": callbackURL, "replace_duplicate": cc.replaceDup}
	if err := c.doBody(ctx, http.MethodPost, integrationPath(connector), body, &out, cc); err != nil {
		return "", err
	}
	if out.URL == "" {
		return "", fmt.Errorf("bosaclient: initiate integration %s: response has no url", connector)
	}
	return out.URL, nil
}

// ConfigureIntegration stores a custom (non-OAuth2) integration, e.g. database credentials, and returns the
// server's answer. Name it with an "identifier" key in config. An existing one of that name is an error
// matching ErrAlreadyExists, unless WithReplaceDuplicate replaces its credential.
func (c *Client) ConfigureIntegration(ctx context.Context, connector string, config map[string]any, opts ...CallOption) (map[string]any, error) {
	var out map[string]any
	cc := newCallConfig(opts)
	body := map[string]any{"auth_type": "custom", "configuration": config, "replace_duplicate": cc.replaceDup}
	if err := c.doBody(ctx, http.MethodPost, integrationPath(connector), body, &out, cc); err != nil {
		return nil, err
	}
	return out, nil
}

// GetIntegration returns one integration of the user (uid is its user_identifier).
func (c *Client) GetIntegration(ctx context.Context, connector, uid string, opts ...CallOption) (*Integration, error) {
	var out Integration
	path := integrationPath(connector, uid)
	if err := c.doJSON(ctx, http.MethodGet, path, nil, &out, opts); err != nil {
		return nil, err
	}
	if ok, isBool := out.Raw["success"].(bool); isBool && !ok {
		// Error contract 1 answers a failed lookup with HTTP 200 and {"success": false, "error": …}.
		msg := asString(out.Raw["error"])
		if msg == "" {
			msg = "integration lookup failed"
		}
		return nil, &APIError{StatusCode: http.StatusOK, Message: msg, Method: http.MethodGet, Path: path}
	}
	if out.Connector == "" {
		out.Connector = connector
	}
	return &out, nil
}

// SelectIntegration makes uid the user's default integration for connector.
func (c *Client) SelectIntegration(ctx context.Context, connector, uid string, opts ...CallOption) error {
	return c.successCall(ctx, http.MethodPost, integrationPath(connector, uid), opts)
}

// RemoveIntegration deletes one integration of the user.
func (c *Client) RemoveIntegration(ctx context.Context, connector, uid string, opts ...CallOption) error {
	return c.successCall(ctx, http.MethodDelete, integrationPath(connector, uid), opts)
}

// successCall performs a select/remove call: a 200 {"success": false, "error": …} is an *APIError too.
func (c *Client) successCall(ctx context.Context, method, path string, opts []CallOption) error {
	var out struct {
		Success *bool  `json:"success"`
		Error   any    `json:"error"`
		Message string `json:"message"`
	}
	if err := c.doJSON(ctx, method, path, nil, &out, opts); err != nil {
		return err
	}
	if out.Success != nil && !*out.Success {
		msg := asString(out.Error)
		if msg == "" {
			msg = out.Message
		}
		if msg == "" {
			msg = "operation failed"
		}
		return &APIError{StatusCode: http.StatusOK, Message: msg, Method: method, Path: path}
	}
	return nil
}

// ListIntegrations returns the integrations of the user of the token (from CurrentUser), all of them when
// connector is empty.
func (c *Client) ListIntegrations(ctx context.Context, connector string, opts ...CallOption) ([]Integration, error) {
	u, err := c.CurrentUser(ctx, opts...)
	if err != nil {
		return nil, err
	}
	if connector == "" {
		return u.Integrations, nil
	}
	var out []Integration
	for _, i := range u.Integrations {
		if i.Connector == connector {
			out = append(out, i)
		}
	}
	return out, nil
}
