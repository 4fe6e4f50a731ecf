package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"
)

// integration is a stored third-party credential of one user for one connector (§10).
type integration struct {
	id, connector, uid string
	authString         string
	scopes             []string
	selected           bool
	authStatus         string // "active"; "needs_reconnect" after SetIntegrationAuthStatus
}

// integrationView renders the integration as in /users/me (§9.3). Callers hold s.mu.
func integrationView(c *client, u *user, in *integration) map[string]any {
	return map[string]any{"id": in.id, "client_id": c.id, "user_id": u.id, "connector": in.connector,
		"user_identifier": in.uid, "selected": in.selected, "auth_status": in.authStatus}
}

// addIntegration stores a new integration; the user's first one for the connector is selected (§10.2).
// An existing one with the same uid is a duplicate (400 INTEGRATION_EXISTS) unless replace is
// set (replace_duplicate): then its credential is replaced and it keeps its id and selection.
func (s *Sandbox) addIntegration(c *client, u *user, conn, uid, authString string, scopes []string, replace bool) (map[string]any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	list := u.integrations[conn]
	for _, in := range list {
		if in.uid != uid {
			continue
		}
		if !replace {
			return nil, &apiError{Status: http.StatusBadRequest, Code: codeIntegrationExists,
				Message: "Integration " + uid + " already exists for connector " + conn +
					"; send replace_duplicate: true to replace its credential",
				Details: map[string]any{"connector": conn, "user_identifier": uid}}
		}
		in.authString, in.scopes, in.authStatus = authString, append([]string{}, scopes...), "active"
		return integrationView(c, u, in), nil
	}
	in := &integration{id: uuid.NewString(), connector: conn, uid: uid, authString: authString,
		scopes: append([]string{}, scopes...), selected: len(list) == 0, authStatus: "active"}
	u.integrations[conn] = append(list, in)
	return integrationView(c, u, in), nil
}

// resolveIntegration picks the integration an action runs with: the one named by
// X-Bosa-Integration or X-Integration (different values → 400), else the selected one.
func (s *Sandbox) resolveIntegration(r *http.Request, u *user, conn string) (string, *apiError) {
	h1, h2 := r.Header.Get("X-Bosa-Integration"), r.Header.Get("X-Integration")
	if h1 != "" && h2 != "" && h1 != h2 {
		return "", errValidation("X-Bosa-Integration and X-Integration name different integrations")
	}
	want := h1
	if want == "" {
		want = h2
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, in := range u.integrations[conn] {
		if (want != "" && in.uid == want) || (want == "" && in.selected) {
			return in.uid, nil
		}
	}
	if want != "" {
		return "", errIntegrationNotFound(want, conn)
	}
	ae := errIntegrationNotFound("DEFAULT", conn)
	ae.Message += ": the user has no integration; connect one with POST /connectors/" + conn + "/integrations"
	return "", ae
}

// keyAndUser runs the key and token checks shared by the integration routes.
func (s *Sandbox) keyAndUser(w http.ResponseWriter, r *http.Request) (*client, *user, bool) {
	c, aerr := s.clientFor(r)
	if aerr != nil {
		writeError(w, aerr)
		return nil, nil, false
	}
	u, aerr := s.userFor(r, c)
	if aerr != nil {
		writeError(w, aerr)
		return nil, nil, false
	}
	return c, u, true
}

func (s *Sandbox) handleIntegrationExists(w http.ResponseWriter, r *http.Request, conn *connector) {
	c, aerr := s.clientFor(r)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	if bearer(r) == "" { // §10.1: no token is "no integration", not an error
		writeData(w, map[string]any{"has_integration": false}, nil)
		return
	}
	u, aerr := s.userFor(r, c)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	s.mu.RLock()
	has := len(u.integrations[conn.name]) > 0
	s.mu.RUnlock()
	writeData(w, map[string]any{"has_integration": has}, nil)
}

func (s *Sandbox) handleStartIntegration(w http.ResponseWriter, r *http.Request, conn *connector) {
	c, u, ok := s.keyAndUser(w, r)
	if !ok {
		return
	}
	var req struct {
		AuthType         string         `json:"auth_type"`
		CallbackURL      string         `json:"callback_url"`
		Configuration    map[string]any `json:"configuration"`
		ReplaceDuplicate *bool          `json:"replace_duplicate"`
	}
	if aerr := readJSONObject(r, &req); aerr != nil {
		writeError(w, aerr)
		return
	}
	replace := req.ReplaceDuplicate != nil && *req.ReplaceDuplicate
	switch req.AuthType {
	case "", "oauth2":
		cb, err := url.Parse(req.CallbackURL)
		if req.CallbackURL == "" || err != nil || (cb.Scheme != "http" && cb.Scheme != "https") || cb.Host == "" {
			writeError(w, errValidation("Invalid parameters: callback_url: an absolute http(s) URL is required"))
			return
		}
		state := s.encodeState(oauthState{Client: c.id, User: u.id, Connector: conn.name, Callback: req.CallbackURL,
			Nonce: randomToken(16), Expires: s.cfg.now().Add(time.Hour).Unix(), Replace: replace})
		q := url.Values{"state": {state}, "login": {conn.defaultLogin(u.identifier)}}
		writeData(w, map[string]any{"url": s.baseURL(r) + "/sandbox/oauth/" + url.PathEscape(conn.name) + "/authorize?" + q.Encode()}, nil)
	case "custom":
		if !conn.customAuth {
			writeError(w, errValidation("Auth type custom is not supported by connector "+conn.name))
			return
		}
		if req.Configuration == nil {
			writeError(w, errValidation("Invalid parameters: configuration: an object is required"))
			return
		}
		uid, aerr := customIdentifier(req.Configuration)
		if aerr != nil {
			writeError(w, aerr)
			return
		}
		raw, _ := json.Marshal(req.Configuration)
		view, aerr := s.addIntegration(c, u, conn.name, uid, string(raw), nil, replace)
		if aerr != nil {
			writeError(w, aerr)
			return
		}
		writeData(w, view, nil)
	default:
		writeError(w, errValidation("Auth type "+req.AuthType+" is not supported by connector "+conn.name))
	}
}

// customIdentifier names a custom integration (§10.1): configuration.identifier, else
// driver:host:port:username:database from the fields or from configuration.url.
func customIdentifier(cfg map[string]any) (string, *apiError) {
	if id, _ := cfg["identifier"].(string); strings.TrimSpace(id) != "" {
		return strings.TrimSpace(id), nil
	}
	str := func(k string) string {
		if v, ok := cfg[k]; ok && v != nil {
			return fmt.Sprint(v)
		}
		return ""
	}
	if raw := str("url"); raw != "" {
		u, err := url.Parse(raw)
		if err != nil || u.Scheme == "" || u.Host == "" {
			return "", errValidation("Invalid parameters: configuration.url: not a connection URL")
		}
		return strings.Join([]string{u.Scheme, u.Hostname(), u.Port(), u.User.Username(), strings.TrimPrefix(u.Path, "/")}, ":"), nil
	}
	if str("driver") != "" && str("host") != "" {
		return strings.Join([]string{str("driver"), str("host"), str("port"), str("username"), str("database")}, ":"), nil
	}
	return "", errValidation("Invalid parameters: configuration: identifier is required (or driver and host, or url)")
}

// handleIntegration serves GET (read), POST (select) and DELETE (remove) on …/integrations/{uid}.
func (s *Sandbox) handleIntegration(w http.ResponseWriter, r *http.Request, conn *connector, uid string) {
	_, u, ok := s.keyAndUser(w, r)
	if !ok {
		return
	}
	if r.Method == http.MethodPost {
		var req struct {
			Selected *bool `json:"selected"`
		}
		if aerr := readJSONObject(r, &req); aerr != nil {
			writeError(w, aerr)
			return
		}
		if req.Selected != nil && !*req.Selected {
			writeError(w, errValidation("Invalid parameters: selected: only true is supported; select another integration instead"))
			return
		}
	}
	s.mu.Lock()
	list := u.integrations[conn.name]
	idx := -1
	for i, in := range list {
		if in.uid == uid {
			idx = i
		}
	}
	if idx < 0 {
		s.mu.Unlock()
		ae := errIntegrationNotFound(uid, conn.name)
		if contractOf(w) == 1 {
			// Contract 1 answers these three routes' failures with HTTP 200 and the legacy shape.
			writeData(w, map[string]any{"success": false, "error": ae.Message}, nil)
			return
		}
		writeError(w, ae)
		return
	}
	in := list[idx]
	switch r.Method {
	case http.MethodGet:
		view := map[string]any{"id": in.id, "connector": in.connector, "user_identifier": in.uid,
			"auth_string": in.authString, "auth_scopes": append([]string{}, in.scopes...), "selected": in.selected,
			"auth_status": in.authStatus}
		s.mu.Unlock()
		writeData(w, view, nil)
	case http.MethodPost:
		for _, other := range list {
			other.selected = other == in
		}
		s.mu.Unlock()
		writeData(w, map[string]any{"success": true}, nil)
	case http.MethodDelete:
		rest := append(append([]*integration{}, list[:idx]...), list[idx+1:]...)
		if in.selected && len(rest) > 0 {
			rest[len(rest)-1].selected = true // the most recently created remaining one (§10.2)
		}
		if len(rest) == 0 {
			delete(u.integrations, conn.name)
		} else {
			u.integrations[conn.name] = rest
		}
		s.mu.Unlock()
		writeData(w, map[string]any{"success": true, "message": "Integration removed"}, nil)
	}
}

// oauthState is the signed, opaque state of the emulated OAuth2 round trip (§10.3, §16 row 15).
type oauthState struct {
	Client    string `json:"c"`
	User      string `json:"u"`
	Connector string `json:"n"`
	Callback  string `json:"cb"`
	Nonce     string `json:"x"`
	Expires   int64  `json:"e"`
	Replace   bool   `json:"r,omitempty"` // replace_duplicate
}

// oauthCode is the fake authorization code the authorize page hands to the callback.
type oauthCode struct {
	Nonce string `json:"x"`
	Login string `json:"l"`
}

func (s *Sandbox) encodeSigned(domain string, v any) string {
	b, _ := json.Marshal(v)
	p := b64.EncodeToString(b)
	return p + "." + s.sign(domain, p)
}

func (s *Sandbox) decodeSigned(domain, raw string, v any) bool {
	p, sig, ok := strings.Cut(raw, ".")
	if !ok || !hmacEqual(sig, s.sign(domain, p)) {
		return false
	}
	b, err := b64.DecodeString(p)
	return err == nil && json.Unmarshal(b, v) == nil
}

func (s *Sandbox) encodeState(st oauthState) string { return s.encodeSigned("oauth-state", st) }

func (s *Sandbox) decodeState(raw string) (oauthState, bool) {
	var st oauthState
	ok := s.decodeSigned("oauth-state", raw, &st)
	return st, ok
}

// baseURL is the address the client used to reach the sandbox, with the path prefix, so URLs
// handed out work behind any address or proxy.
func (s *Sandbox) baseURL(r *http.Request) string { return hostURL(r) + s.PathPrefix() }

func hostURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p != "" {
		scheme = strings.TrimSpace(strings.Split(p, ",")[0])
	}
	host := r.Host
	if h := r.Header.Get("X-Forwarded-Host"); h != "" {
		host = strings.TrimSpace(strings.Split(h, ",")[0])
	}
	return scheme + "://" + host
}

// handleAuthorize is the sandbox's stand-in for the provider's consent page: it consents at
// once (or refuses with ?consent=deny) and redirects to the connector's callback route. Query
// login names the third-party account; the URL handed out carries a default, and a login
// appended to it overrides that.
func (s *Sandbox) handleAuthorize(w http.ResponseWriter, r *http.Request, conn *connector) {
	q := r.URL.Query()
	rawState := q.Get("state")
	st, ok := s.decodeState(rawState)
	if !ok || st.Connector != conn.name {
		writeError(w, errValidation("Invalid OAuth2 state"))
		return
	}
	back := url.Values{"state": {rawState}}
	if q.Get("consent") == "deny" {
		back.Set("error", "access_denied")
	} else {
		login := ""
		if all := q["login"]; len(all) > 0 {
			login = strings.TrimSpace(all[len(all)-1]) // the last one wins: append &login=… to pick another account
		}
		if login == "" {
			writeError(w, errValidation("Invalid parameters: login: the third-party account name is required"))
			return
		}
		back.Set("code", s.encodeSigned("oauth-code", oauthCode{Nonce: st.Nonce, Login: login}))
	}
	http.Redirect(w, r, s.baseURL(r)+"/connectors/"+url.PathEscape(conn.name)+"/success-authorize-callback?"+back.Encode(), http.StatusFound)
}

// handleOAuthCallback is GET /connectors/{c}/success-authorize-callback (§10.3): it exchanges
// the code, stores the integration and redirects to the callback URL, with error=<code> on failure.
func (s *Sandbox) handleOAuthCallback(w http.ResponseWriter, r *http.Request, conn *connector) {
	q := r.URL.Query()
	rawState := q.Get("state")
	if rawState == "" && q.Get("code") == "" {
		// The CLI passes this route as its own callback_url, so the final redirect lands here.
		if e := q.Get("error"); e != "" {
			writeError(w, errValidation("Authorization failed: "+e))
			return
		}
		writeData(w, map[string]any{"success": true, "message": "Authorization complete"}, nil)
		return
	}
	st, ok := s.decodeState(rawState)
	if !ok || st.Connector != conn.name {
		writeError(w, errValidation("Invalid OAuth2 state"))
		return
	}
	fail := func(code string) {
		u, err := url.Parse(st.Callback)
		if err != nil {
			writeError(w, errValidation("Invalid callback URL"))
			return
		}
		v := u.Query()
		v.Set("error", code)
		u.RawQuery = v.Encode()
		http.Redirect(w, r, u.String(), http.StatusFound)
	}
	if e := q.Get("error"); e != "" {
		if e == "access_denied" {
			fail("cancelled_error")
		} else {
			fail("integration_error")
		}
		return
	}
	var code oauthCode
	if s.cfg.now().Unix() > st.Expires || !s.decodeSigned("oauth-code", q.Get("code"), &code) || code.Nonce != st.Nonce {
		fail("invalid_request")
		return
	}
	s.mu.Lock()
	used := s.usedStates[st.Nonce]
	s.usedStates[st.Nonce] = true
	c := s.clientByID[st.Client]
	var u *user
	if c != nil {
		u = c.usersByID[st.User]
	}
	s.mu.Unlock()
	switch {
	case used:
		fail("invalid_request")
		return
	case u == nil:
		fail("integration_error")
		return
	}
	cred, _ := json.Marshal(map[string]string{"access_token": conn.tokenPrefix + randomToken(24),
		"token_type": "bearer", "scope": strings.Join(conn.oauthScopes, " ")})
	if _, aerr := s.addIntegration(c, u, conn.name, code.Login, string(cred), conn.oauthScopes, st.Replace); aerr != nil {
		fail("duplicate_user_error")
		return
	}
	http.Redirect(w, r, st.Callback, http.StatusFound)
}

// SetIntegrationAuthStatus sets the auth_status that /users/me and the integration route report
// for one integration (e.g. "needs_reconnect", as for a revoked credential); replacing the
// credential (replace_duplicate) makes it "active" again. The error names what is unknown.
func (s *Sandbox) SetIntegrationAuthStatus(apiKey, identifier, connector, uid, status string) error {
	c, aerr := s.clientByKey(apiKey)
	if aerr != nil {
		return aerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := c.users[identifier]
	if u == nil {
		return errNotFound("User " + identifier + " not found")
	}
	for _, in := range u.integrations[connector] {
		if in.uid == uid {
			in.authStatus = status
			return nil
		}
	}
	return errIntegrationNotFound(uid, connector)
}
