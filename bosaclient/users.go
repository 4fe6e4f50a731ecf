package bosaclient

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// User is a user of a client (spec §9). Secret is set only by CreateUser: the server returns it once.
// A User logged with slog shows no secret.
type User struct {
	ID            string        `json:"id"`
	ClientID      string        `json:"client_id"`
	Identifier    string        `json:"identifier"`
	Secret        string        `json:"secret"`
	SecretPreview string        `json:"secret_preview"`
	IsActive      bool          `json:"is_active"`
	Integrations  []Integration `json:"integrations"`
}

// LogValue hides the secret.
func (u User) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", u.ID), slog.String("identifier", u.Identifier),
		slog.String("secret_preview", u.SecretPreview), slog.Bool("is_active", u.IsActive))
}

// Token is a user token (spec §9.2). A Token logged with slog shows no token.
type Token struct {
	Token     string    `json:"token"`
	TokenType string    `json:"token_type"`
	ExpiresAt time.Time `json:"expires_at"`
	IsRevoked bool      `json:"is_revoked"`
	UserID    string    `json:"user_id"`
	ClientID  string    `json:"client_id"`
}

// LogValue hides the token.
func (t Token) LogValue() slog.Value {
	return slog.GroupValue(slog.String("token_type", t.TokenType), slog.Time("expires_at", t.ExpiresAt),
		slog.String("user_id", t.UserID))
}

// Expired reports whether the token has expired at now.
func (t *Token) Expired(now time.Time) bool { return !t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt) }

// UnmarshalJSON reads the wire form, whose expires_at is naive UTC with microseconds.
func (t *Token) UnmarshalJSON(b []byte) error {
	var w struct {
		Token     string `json:"token"`
		TokenType string `json:"token_type"`
		ExpiresAt string `json:"expires_at"`
		IsRevoked bool   `json:"is_revoked"`
		UserID    string `json:"user_id"`
		ClientID  string `json:"client_id"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	exp, err := parseTimestamp(w.ExpiresAt)
	if err != nil {
		return fmt.Errorf("expires_at: %w", err)
	}
	*t = Token{Token: w.Token, TokenType: w.TokenType, ExpiresAt: exp, IsRevoked: w.IsRevoked, UserID: w.UserID, ClientID: w.ClientID}
	return nil
}

// parseTimestamp parses ISO 8601 with or without zone (naive means UTC), with optional fractional seconds.
func parseTimestamp(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("unrecognised timestamp %q", s)
}

// CreateUser creates a user of the client that owns the API key (POST /users). The returned Secret is shown
// only once. An existing identifier is an error matching ErrAlreadyExists.
func (c *Client) CreateUser(ctx context.Context, identifier string, opts ...CallOption) (*User, error) {
	var u User
	if err := c.doJSON(ctx, "POST", "/users", map[string]string{"identifier": identifier}, &u, opts); err != nil {
		return nil, err
	}
	return &u, nil
}

// Authenticate exchanges a user's identifier and secret for a token (POST /auth/tokens). Wrong credentials
// are an error matching ErrUnauthenticated.
func (c *Client) Authenticate(ctx context.Context, identifier, secret string, opts ...CallOption) (*Token, error) {
	var t Token
	if err := c.doJSON(ctx, "POST", "/auth/tokens", map[string]string{"identifier": identifier, "secret": secret}, &t, opts); err != nil {
		return nil, err
	}
	return &t, nil
}

// CurrentUser returns the user of the token given with WithToken, with its integrations (GET /users/me).
func (c *Client) CurrentUser(ctx context.Context, opts ...CallOption) (*User, error) {
	var u User
	if err := c.doJSON(ctx, "GET", "/users/me", nil, &u, opts); err != nil {
		return nil, err
	}
	return &u, nil
}
