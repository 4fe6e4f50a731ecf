package sandbox

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// client is a tenant: its key, its users.
type client struct {
	id, name, key string
	users         map[string]*user // by identifier
	usersByID     map[string]*user
}

func (c *client) public() Client { return Client{ID: c.id, Name: c.name, APIKey: c.key} }

// user is one end user of a client. Only a hash of its secret is kept.
type user struct {
	id, identifier string
	secretHash     [32]byte
	preview        string
	active         bool
	integrations   map[string][]*integration // by connector, in creation order
	files          map[string]*storedFile    // google_drive uploads, by id
	fileOrder      []string
}

// addClient registers a client under key. Seeded clients get an id derived from their key, so
// the demo client's id is stable across runs.
func (s *Sandbox) addClient(name, key string, seeded bool) *client {
	id := uuid.NewString()
	if seeded {
		id = uuid.NewSHA1(uuid.NameSpaceURL, []byte("bosa-sandbox:client:"+key)).String()
	}
	c := &client{id: id, name: name, key: key, users: map[string]*user{}, usersByID: map[string]*user{}}
	s.mu.Lock()
	s.clients[key] = c
	s.clientByID[id] = c
	s.mu.Unlock()
	return c
}

// clientForKey checks X-API-Key (any header casing) and returns its client: routes that need
// the key itself (POST /users, the control surface).
func (s *Sandbox) clientForKey(r *http.Request) (*client, *apiError) {
	key := r.Header.Get("X-API-Key")
	if key == "" {
		return nil, &apiError{Status: http.StatusUnauthorized, Code: codeInvalidClient, Message: "Missing X-API-Key header"}
	}
	return s.clientByKey(key)
}

// clientFor returns the client of X-API-Key or, without a key, of the bearer token's client_id
// claim: today's API takes a user token alone (the reference client sends no key unless one
// is configured). A key, when sent, must still belong to the token's client (userFor).
func (s *Sandbox) clientFor(r *http.Request) (*client, *apiError) {
	if r.Header.Get("X-API-Key") != "" {
		return s.clientForKey(r)
	}
	raw := bearer(r)
	if raw == "" {
		return nil, &apiError{Status: http.StatusUnauthorized, Code: codeInvalidClient,
			Message: "Missing credentials: send a user token (Authorization: Bearer …) or X-API-Key"}
	}
	claims, aerr := s.verifyToken(raw)
	if aerr != nil {
		return nil, aerr
	}
	s.mu.RLock()
	c := s.clientByID[claims.ClientID]
	s.mu.RUnlock()
	if c == nil {
		return nil, errUnauthorized("Invalid token")
	}
	return c, nil
}

// clientAndBody checks X-API-Key, then decodes the optional JSON object body into v; on failure it
// answers the error and returns false.
func (s *Sandbox) clientAndBody(w http.ResponseWriter, r *http.Request, v any) (*client, bool) {
	c, aerr := s.clientForKey(r)
	if aerr == nil {
		aerr = readJSONObject(r, v)
	}
	if aerr != nil {
		writeError(w, aerr)
		return nil, false
	}
	return c, true
}

// clientByKey returns the client of a key; 401 INVALID_CLIENT when there is none.
func (s *Sandbox) clientByKey(key string) (*client, *apiError) {
	s.mu.RLock()
	c := s.clients[key]
	s.mu.RUnlock()
	if c == nil {
		return nil, &apiError{Status: http.StatusUnauthorized, Code: codeInvalidClient, Message: "Client not found"}
	}
	return c, nil
}

// tokenClaims is the JWT payload of protocol §9.4.
type tokenClaims struct {
	ClientID   string `json:"client_id"`
	Identifier string `json:"identifier"`
	jwt.RegisteredClaims
}

// bearer returns the token of "Authorization: Bearer <token>", or "" when absent or not Bearer.
func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "Bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// userFor checks the bearer token against client c: 401 when missing, malformed, badly signed
// or expired, 403 when issued to another client or the user is inactive.
func (s *Sandbox) userFor(r *http.Request, c *client) (*user, *apiError) {
	raw := bearer(r)
	if raw == "" {
		return nil, errUnauthorized("Missing bearer token")
	}
	claims, aerr := s.verifyToken(raw)
	if aerr != nil {
		return nil, aerr
	}
	if claims.ClientID != c.id {
		return nil, &apiError{Status: http.StatusForbidden, Code: codeForbidden, Message: "Token was issued to another client"}
	}
	s.mu.RLock()
	u := c.usersByID[claims.Subject]
	active := u != nil && u.active
	s.mu.RUnlock()
	if u == nil {
		return nil, errUnauthorized("Invalid token")
	}
	if !active {
		return nil, errInactiveUser()
	}
	return u, nil
}

// verifyToken checks a token's signature and expiry and returns its claims.
func (s *Sandbox) verifyToken(raw string) (tokenClaims, *apiError) {
	claims, ok := s.verified.get(raw, s.cfg.now())
	if ok {
		return claims, nil
	}
	_, err := jwt.ParseWithClaims(raw, &claims, func(*jwt.Token) (any, error) { return s.signingKey, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithTimeFunc(s.cfg.now), jwt.WithExpirationRequired())
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return claims, &apiError{Status: http.StatusUnauthorized, Code: codeTokenExpired, Message: "Token has expired"}
	case err != nil:
		return claims, errUnauthorized("Invalid token")
	}
	s.verified.put(raw, claims)
	return claims, nil
}

// errInactiveUser answers the calls of a deactivated user (protocol §12, §16 row 4).
func errInactiveUser() *apiError {
	return &apiError{Status: http.StatusForbidden, Code: codeForbidden, Message: "User is inactive"}
}

// SetUserActive deactivates (active false) or reactivates the user named identifier of the client
// whose key is apiKey. While inactive, the user's tokens are refused on every user-scoped route and
// new tokens are not issued, both with 403 FORBIDDEN (protocol §12, §16 row 4); reactivating
// restores access, tokens issued before included. The error names an unknown client or user.
func (s *Sandbox) SetUserActive(apiKey, identifier string, active bool) error {
	c, aerr := s.clientByKey(apiKey)
	if aerr == nil {
		_, aerr = s.setUserActive(c, identifier, active)
	}
	if aerr != nil {
		return aerr
	}
	return nil
}

// setUserActive sets the user's is_active and returns its view (protocol §9.3).
func (s *Sandbox) setUserActive(c *client, identifier string, active bool) (map[string]any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := c.users[identifier]
	if u == nil {
		return nil, errNotFound("User " + identifier + " not found")
	}
	u.active = active
	return s.userView(c, u), nil
}

// verifiedTokens remembers the claims of tokens whose signature was checked, so that a client's
// every call does not parse and verify its token again (about a tenth of a sandbox call's CPU).
// Only the expiry is checked again on a hit; a token with a not-before time is never kept.
type verifiedTokens struct {
	mu sync.Mutex
	m  map[string]tokenClaims
}

// maxVerifiedTokens bounds the cache; when full it starts over.
const maxVerifiedTokens = 4096

// get returns the claims of a verified token that has not expired at now.
func (v *verifiedTokens) get(raw string, now time.Time) (tokenClaims, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	c, ok := v.m[raw]
	if ok && !now.Before(c.ExpiresAt.Time) {
		delete(v.m, raw) // expired: the full check reports it
		ok = false
	}
	return c, ok
}

func (v *verifiedTokens) put(raw string, c tokenClaims) {
	if c.ExpiresAt == nil || c.NotBefore != nil {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.m == nil || len(v.m) >= maxVerifiedTokens {
		v.m = make(map[string]tokenClaims)
	}
	v.m[raw] = c
}

// b64 is base64url without padding, as used by secrets, cursors and OAuth state.
var b64 = base64.RawURLEncoding

func (s *Sandbox) sign(domain string, parts ...string) string {
	m := hmac.New(sha256.New, s.signingKey)
	m.Write([]byte(domain))
	for _, p := range parts {
		m.Write([]byte{0})
		m.Write([]byte(p))
	}
	return b64.EncodeToString(m.Sum(nil))
}

// newSecret returns sk-user-<b64(user id)>.<b64(identifier)>.<HMAC-SHA256 of the first two parts>.
func (s *Sandbox) newSecret(userID, identifier string) string {
	head := b64.EncodeToString([]byte(userID)) + "." + b64.EncodeToString([]byte(identifier))
	m := hmac.New(sha256.New, s.signingKey)
	m.Write([]byte(head))
	return "sk-user-" + head + "." + b64.EncodeToString(m.Sum(nil))
}

// readJSONObject decodes an optional JSON object body into v; an empty body leaves v unchanged.
func readJSONObject(r *http.Request, v any) *apiError {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return errValidation("Could not read the request body")
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return errValidation("Request body must be a JSON object: " + err.Error())
	}
	return nil
}

func (s *Sandbox) handleCreateUser(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Identifier *string `json:"identifier"`
	}
	c, ok := s.clientAndBody(w, r, &req)
	if !ok {
		return
	}
	if req.Identifier == nil || strings.TrimSpace(*req.Identifier) == "" {
		writeError(w, errValidation("Invalid parameters: identifier: field required"))
		return
	}
	ident := strings.TrimSpace(*req.Identifier)
	u := &user{id: uuid.NewString(), identifier: ident, active: true,
		integrations: map[string][]*integration{}, files: map[string]*storedFile{}}
	secret := s.newSecret(u.id, ident)
	u.secretHash = sha256.Sum256([]byte(secret))
	u.preview = "sk-user-..." + secret[len(secret)-8:]
	s.mu.Lock()
	if c.users[ident] != nil {
		s.mu.Unlock()
		writeError(w, &apiError{Status: http.StatusBadRequest, Code: codeUserExists, Message: "User already exists"})
		return
	}
	c.users[ident] = u
	c.usersByID[u.id] = u
	view := s.userView(c, u)
	s.mu.Unlock()
	view["secret"] = secret
	writeData(w, view, nil)
}

// userView renders a user as in protocol §9.1/§9.3 (secret null). Callers hold s.mu.
func (s *Sandbox) userView(c *client, u *user) map[string]any {
	integs := []map[string]any{}
	for _, name := range s.names {
		for _, in := range u.integrations[name] {
			integs = append(integs, map[string]any{
				"id": in.id, "client_id": c.id, "user_id": u.id, "connector": in.connector,
				"user_identifier": in.uid, "selected": in.selected, "auth_status": in.authStatus,
			})
		}
	}
	return map[string]any{
		"id": u.id, "client_id": c.id, "identifier": u.identifier, "secret": nil,
		"secret_preview": u.preview, "is_active": u.active, "integrations": integs,
	}
}

func (s *Sandbox) handleToken(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Identifier string `json:"identifier"`
		Secret     string `json:"secret"`
	}
	if aerr := readJSONObject(r, &req); aerr != nil {
		writeError(w, aerr)
		return
	}
	if req.Identifier == "" || req.Secret == "" {
		writeError(w, errValidation("Invalid parameters: identifier and secret are required"))
		return
	}
	// Today's API issues a token from identifier and secret alone: the secret names its user,
	// and so its client. A key, when sent, must be that client's.
	var c *client
	if r.Header.Get("X-API-Key") != "" {
		var aerr *apiError
		if c, aerr = s.clientForKey(r); aerr != nil {
			writeError(w, aerr)
			return
		}
	} else if c = s.clientOfSecret(req.Secret); c == nil {
		writeError(w, errUnauthorized("Invalid identifier or secret"))
		return
	}
	s.mu.RLock()
	u := c.users[req.Identifier]
	active := u != nil && u.active
	s.mu.RUnlock()
	h := sha256.Sum256([]byte(req.Secret))
	if u == nil || subtle.ConstantTimeCompare(h[:], u.secretHash[:]) != 1 {
		writeError(w, errUnauthorized("Invalid identifier or secret"))
		return
	}
	if !active {
		writeError(w, errInactiveUser())
		return
	}
	now := s.cfg.now().UTC()
	exp := now.Add(s.cfg.tokenLifetime)
	claims := tokenClaims{
		ClientID: c.id, Identifier: u.identifier,
		RegisteredClaims: jwt.RegisteredClaims{Subject: u.id, ID: uuid.NewString(), ExpiresAt: jwt.NewNumericDate(exp.Truncate(time.Second))},
	}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(s.signingKey)
	if err != nil {
		writeError(w, err)
		return
	}
	writeData(w, map[string]any{
		"token": tok, "token_type": "Bearer", "expires_at": exp.Format("2006-01-02T15:04:05.000000"),
		"is_revoked": false, "user_id": u.id, "client_id": c.id,
	}, nil)
}

// clientOfSecret finds the client of the user a secret names (sk-user-<b64 user id>.…); nil when
// none. The secret itself is checked by the caller.
func (s *Sandbox) clientOfSecret(secret string) *client {
	head, ok := strings.CutPrefix(secret, "sk-user-")
	if !ok {
		return nil
	}
	enc, _, _ := strings.Cut(head, ".")
	id, err := b64.DecodeString(enc)
	if err != nil {
		return nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, c := range s.clients {
		if c.usersByID[string(id)] != nil {
			return c
		}
	}
	return nil
}

func (s *Sandbox) handleMe(w http.ResponseWriter, r *http.Request) {
	c, aerr := s.clientFor(r)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	u, aerr := s.userFor(r, c)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	s.mu.RLock()
	view := s.userView(c, u)
	s.mu.RUnlock()
	writeData(w, view, nil)
}

// handleCreateClient serves POST /clients (protocol §9.5, §16 row 7).
func (s *Sandbox) handleCreateClient(w http.ResponseWriter, r *http.Request) {
	key := r.Header.Get("X-API-Key")
	if key == "" || subtle.ConstantTimeCompare([]byte(key), []byte(s.cfg.masterKey)) != 1 {
		writeError(w, errUnauthorized("Invalid master key"))
		return
	}
	var req struct {
		Name string `json:"name"`
	}
	if aerr := readJSONObject(r, &req); aerr != nil {
		writeError(w, aerr)
		return
	}
	if strings.TrimSpace(req.Name) == "" {
		writeError(w, errValidation("Invalid parameters: name: field required"))
		return
	}
	c := s.CreateClient(strings.TrimSpace(req.Name))
	writeData(w, map[string]any{"id": c.ID, "name": c.Name, "api_key": c.APIKey, "is_active": true}, nil)
}

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// randomToken returns n random alphanumeric characters.
func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// hmacEqual compares two MACs in constant time.
func hmacEqual(a, b string) bool { return hmac.Equal([]byte(a), []byte(b)) }
