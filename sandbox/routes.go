package sandbox

import (
	"net/http"
	"net/url"
	"strconv"
)

// callKey names a route for call counters and fault injection: an action is
// {connector, action}; other routes use connector "" and a group name (see Inject).
type callKey struct{ connector, action string }

// Route groups for non-action routes (connector "").
const (
	groupDiscovery    = "discovery"
	groupUsers        = "users"
	groupAuth         = "auth"
	groupIntegrations = "integrations"
	groupClients      = "clients"
	groupCatalog      = "catalog"
	groupSkills       = "skills"
)

// routed is a resolved route.
type routed struct {
	counts []callKey // counters incremented when the request reaches the route
	faults []callKey // fault queues consulted, most specific first; nil for control routes
	handle http.HandlerFunc
}

func (s *Sandbox) route(method string, segs []string) (routed, *apiError) {
	if len(segs) == 0 {
		return routed{}, errNotFound("Not found")
	}
	group := func(g string, allow string, h http.HandlerFunc) (routed, *apiError) {
		if method != allow {
			return routed{}, errMethod(allow)
		}
		k := callKey{"", g}
		return routed{counts: []callKey{k}, faults: []callKey{k}, handle: h}, nil
	}
	switch segs[0] {
	case "connectors":
		switch {
		case len(segs) == 1:
			return group(groupDiscovery, http.MethodGet, s.handleListing)
		case len(segs) == 2 && segs[1] == "names":
			return group(groupDiscovery, http.MethodGet, s.handleNames)
		case len(segs) < 3:
			return routed{}, errNotFound("Not found")
		}
		conn := s.connectors[segs[1]]
		if conn == nil {
			return routed{}, errNotFound("Connector " + segs[1] + " not found")
		}
		integ := func(allow []string, h http.HandlerFunc) (routed, *apiError) {
			for _, m := range allow {
				if m == method {
					ck := callKey{conn.name, groupIntegrations}
					all := callKey{"", groupIntegrations}
					return routed{counts: []callKey{ck, all}, faults: []callKey{ck, all}, handle: h}, nil
				}
			}
			return routed{}, errMethod(allow...)
		}
		if len(segs) == 4 && segs[2] == "integrations" {
			uid := segs[3]
			return integ([]string{http.MethodGet, http.MethodPost, http.MethodDelete}, func(w http.ResponseWriter, r *http.Request) {
				s.handleIntegration(w, r, conn, uid)
			})
		}
		if len(segs) != 3 {
			return routed{}, errNotFound("Not found")
		}
		switch segs[2] {
		case "integration-exists":
			return integ([]string{http.MethodGet}, func(w http.ResponseWriter, r *http.Request) { s.handleIntegrationExists(w, r, conn) })
		case "integrations":
			return integ([]string{http.MethodPost}, func(w http.ResponseWriter, r *http.Request) { s.handleStartIntegration(w, r, conn) })
		case "success-authorize-callback":
			return integ([]string{http.MethodGet}, func(w http.ResponseWriter, r *http.Request) { s.handleOAuthCallback(w, r, conn) })
		}
		act := conn.actions[segs[2]]
		if act == nil {
			return routed{}, errNotFound("Action " + segs[2] + " not found for connector " + conn.name)
		}
		if method != http.MethodPost {
			return routed{}, errMethod(http.MethodPost)
		}
		k := callKey{conn.name, act.name}
		return routed{
			counts: []callKey{k},
			faults: []callKey{k, {conn.name, "*"}},
			handle: func(w http.ResponseWriter, r *http.Request) { s.runAction(w, r, act) },
		}, nil
	case "users":
		switch {
		case len(segs) == 1:
			return group(groupUsers, http.MethodPost, s.handleCreateUser)
		case len(segs) == 2 && segs[1] == "me":
			return group(groupUsers, http.MethodGet, s.handleMe)
		}
	case "auth":
		if len(segs) == 2 && segs[1] == "tokens" {
			return group(groupAuth, http.MethodPost, s.handleToken)
		}
	case "clients":
		switch {
		case len(segs) == 1 && s.cfg.masterKey != "":
			return group(groupClients, http.MethodPost, s.handleCreateClient)
		case len(segs) == 2 && segs[1] == "register-user":
			return group(groupUsers, http.MethodPost, s.handleCreateUser)
		case len(segs) == 2 && segs[1] == "user":
			return group(groupUsers, http.MethodGet, s.handleMe)
		case len(segs) == 2 && segs[1] == "oauth-token":
			return group(groupAuth, http.MethodPost, s.handleToken)
		}
	case "catalog":
		if len(segs) == 2 {
			if h := s.catalogHandler(segs[1]); h != nil {
				return group(groupCatalog, http.MethodGet, h)
			}
		}
	case "api":
		switch {
		case len(segs) == 2 && segs[1] == "skills":
			return group(groupSkills, http.MethodGet, s.handleListSkills)
		case len(segs) == 3 && segs[1] == "skills":
			id := segs[2]
			return group(groupSkills, http.MethodGet, func(w http.ResponseWriter, r *http.Request) { s.handleGetSkill(w, r, id) })
		}
	case "sandbox":
		if len(segs) == 4 && segs[1] == "skills" && segs[3] == "download" {
			id := segs[2]
			return group(groupSkills, http.MethodGet, func(w http.ResponseWriter, r *http.Request) { s.handleSkillDownload(w, r, id) })
		}
		if len(segs) == 4 && segs[1] == "oauth" && segs[3] == "authorize" {
			conn := s.connectors[segs[2]]
			if conn == nil {
				return routed{}, errNotFound("Connector " + segs[2] + " not found")
			}
			if method != http.MethodGet {
				return routed{}, errMethod(http.MethodGet)
			}
			ck := callKey{conn.name, groupIntegrations}
			all := callKey{"", groupIntegrations}
			return routed{counts: []callKey{ck, all}, faults: []callKey{ck, all},
				handle: func(w http.ResponseWriter, r *http.Request) { s.handleAuthorize(w, r, conn) }}, nil
		}
		if len(segs) >= 2 && segs[1] == "control" && s.cfg.control {
			return s.controlRoute(method, segs[2:])
		}
	}
	return routed{}, errNotFound("Not found")
}

func pathUnescape(s string) (string, error) { return url.PathUnescape(s) }

func itoa(i int) string { return strconv.Itoa(i) }
