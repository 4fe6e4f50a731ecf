package sandbox

import (
	"net/http"
	"sort"
	"strconv"
	"time"
)

// The HTTP control surface (WithControl(true)); its requests are neither counted nor faulted.
//
//	POST   /sandbox/control/faults   {"connector", "action", "kind", "status", "retry_after_seconds", "latency_ms", "times", "retryable"}
//	DELETE /sandbox/control/faults   clear every fault
//	GET    /sandbox/control/faults   the faults still queued
//	GET    /sandbox/control/calls    every counter; ?connector=github&action=list_commits for one ("*" sums a connector)
//	DELETE /sandbox/control/calls    reset the counters
//	POST   /sandbox/control/clients  {"name"} → a new client with its key
//	POST   /sandbox/control/users    {"identifier", "is_active"}, X-API-Key naming the client → the user
//	POST   /sandbox/control/search   {"enabled"}: false makes /catalog/search degrade as with its backend down
//
// kind is one of status (default), malformed_json, no_content_type, drop_connection, oversized_body, truncated_body.

type faultSpec struct {
	Connector         string  `json:"connector"`
	Action            string  `json:"action"`
	Kind              string  `json:"kind,omitempty"`
	Status            int     `json:"status,omitempty"`
	RetryAfterSeconds float64 `json:"retry_after_seconds,omitempty"`
	LatencyMS         float64 `json:"latency_ms,omitempty"`
	Times             int     `json:"times"`
	Retryable         *bool   `json:"retryable,omitempty"`
}

func (s *Sandbox) controlRoute(method string, segs []string) (routed, *apiError) {
	if len(segs) != 1 {
		return routed{}, errNotFound("Not found")
	}
	var h map[string]http.HandlerFunc
	switch segs[0] {
	case "faults":
		h = map[string]http.HandlerFunc{http.MethodPost: s.ctlInject, http.MethodDelete: s.ctlClearFaults, http.MethodGet: s.ctlListFaults}
	case "calls":
		h = map[string]http.HandlerFunc{http.MethodGet: s.ctlCalls, http.MethodDelete: s.ctlResetCalls}
	case "clients":
		h = map[string]http.HandlerFunc{http.MethodPost: s.ctlCreateClient}
	case "users":
		h = map[string]http.HandlerFunc{http.MethodPost: s.ctlSetUserActive}
	case "search":
		h = map[string]http.HandlerFunc{http.MethodPost: s.ctlSearch}
	default:
		return routed{}, errNotFound("Not found")
	}
	if f, ok := h[method]; ok {
		return routed{handle: f}, nil
	}
	var allow []string
	for m := range h {
		allow = append(allow, m)
	}
	sort.Strings(allow)
	return routed{}, errMethod(allow...)
}

func (s *Sandbox) ctlInject(w http.ResponseWriter, r *http.Request) {
	var spec faultSpec
	if aerr := readJSONObject(r, &spec); aerr != nil {
		writeError(w, aerr)
		return
	}
	kind := FaultStatus
	if spec.Kind != "" {
		found := false
		for k, n := range faultKindNames {
			if n == spec.Kind {
				kind, found = k, true
			}
		}
		if !found {
			writeError(w, errValidation("Invalid parameters: kind: one of status, malformed_json, no_content_type, drop_connection, oversized_body, truncated_body"))
			return
		}
	}
	if spec.Action == "" {
		writeError(w, errValidation("Invalid parameters: action: required (an action name, \"*\", or with connector \"\" one of discovery, users, auth, clients, integrations, catalog, skills)"))
		return
	}
	if !s.validTarget(spec.Connector, spec.Action) {
		writeError(w, errValidation("Invalid parameters: no route matches connector "+strconv.Quote(spec.Connector)+
			" and action "+strconv.Quote(spec.Action)))
		return
	}
	if spec.Status != 0 && (spec.Status < 100 || spec.Status > 599) {
		writeError(w, errValidation("Invalid parameters: status: not an HTTP status"))
		return
	}
	f := Fault{Status: spec.Status, Kind: kind, Times: spec.Times, Retryable: spec.Retryable,
		RetryAfter: time.Duration(spec.RetryAfterSeconds * float64(time.Second)),
		Latency:    time.Duration(spec.LatencyMS * float64(time.Millisecond))}
	s.Inject(spec.Connector, spec.Action, f)
	writeData(w, map[string]any{"success": true}, nil)
}

func (s *Sandbox) ctlClearFaults(w http.ResponseWriter, _ *http.Request) {
	s.ClearFaults()
	writeData(w, map[string]any{"success": true}, nil)
}

func (s *Sandbox) ctlListFaults(w http.ResponseWriter, _ *http.Request) {
	out := []faultSpec{}
	s.faults.mu.Lock()
	for k, q := range s.faults.queues {
		for _, e := range q {
			times := 0
			if e.f.Times > 0 {
				times = e.remaining
			}
			out = append(out, faultSpec{Connector: k.connector, Action: k.action, Kind: e.f.Kind.String(), Status: e.f.Status,
				RetryAfterSeconds: e.f.RetryAfter.Seconds(), LatencyMS: float64(e.f.Latency) / float64(time.Millisecond), Times: times,
				Retryable: e.f.Retryable})
		}
	}
	s.faults.mu.Unlock()
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Connector != out[j].Connector {
			return out[i].Connector < out[j].Connector
		}
		return out[i].Action < out[j].Action
	})
	writeData(w, out, nil)
}

type callRow struct {
	Connector string `json:"connector"`
	Action    string `json:"action"`
	CallCount
}

func (s *Sandbox) ctlCalls(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Has("action") {
		writeData(w, s.Calls(q.Get("connector"), q.Get("action")), nil)
		return
	}
	rows := []callRow{}
	s.counters.mu.Lock()
	for k, c := range s.counters.m {
		rows = append(rows, callRow{Connector: k.connector, Action: k.action, CallCount: *c})
	}
	s.counters.mu.Unlock()
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].Connector != rows[j].Connector {
			return rows[i].Connector < rows[j].Connector
		}
		return rows[i].Action < rows[j].Action
	})
	writeData(w, rows, nil)
}

func (s *Sandbox) ctlResetCalls(w http.ResponseWriter, _ *http.Request) {
	s.ResetCalls()
	writeData(w, map[string]any{"success": true}, nil)
}

func (s *Sandbox) ctlCreateClient(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Name string `json:"name"`
	}
	if aerr := readJSONObject(r, &req); aerr != nil {
		writeError(w, aerr)
		return
	}
	if req.Name == "" {
		req.Name = "client"
	}
	c := s.CreateClient(req.Name)
	writeData(w, map[string]any{"id": c.ID, "name": c.Name, "api_key": c.APIKey, "is_active": true}, nil)
}

// ctlSetUserActive deactivates or reactivates a user of the client named by X-API-Key and answers
// the user as GET /users/me would show it.
func (s *Sandbox) ctlSetUserActive(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Identifier string `json:"identifier"`
		IsActive   *bool  `json:"is_active"`
	}
	c, ok := s.clientAndBody(w, r, &req)
	if !ok {
		return
	}
	if req.Identifier == "" || req.IsActive == nil {
		writeError(w, errValidation(`Invalid parameters: identifier and is_active are required, e.g. {"identifier": "alice", "is_active": false}`))
		return
	}
	view, aerr := s.setUserActive(c, req.Identifier, *req.IsActive)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	writeData(w, view, nil)
}

// validTarget reports whether connector/action names something Inject can match, so that a
// typo over HTTP is an error rather than a fault that never fires.
func (s *Sandbox) validTarget(connector, action string) bool {
	if connector == "" {
		switch action {
		case groupDiscovery, groupUsers, groupAuth, groupClients, groupIntegrations, groupCatalog, groupSkills:
			return true
		}
		return false
	}
	c := s.connectors[connector]
	if c == nil {
		return false
	}
	return action == "*" || action == groupIntegrations || c.actions[action] != nil
}

// ctlSearch turns the catalog's search backend on or off.
func (s *Sandbox) ctlSearch(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Enabled *bool `json:"enabled"`
	}
	if aerr := readJSONObject(r, &req); aerr != nil {
		writeError(w, aerr)
		return
	}
	if req.Enabled == nil {
		writeError(w, errValidation(`Invalid parameters: enabled is required, e.g. {"enabled": false}`))
		return
	}
	s.SetSearchEnabled(*req.Enabled)
	writeData(w, map[string]any{"enabled": *req.Enabled}, nil)
}
