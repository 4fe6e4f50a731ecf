package sandbox

import (
	"encoding/json"
	"net/http"
	"strings"
)

// discoveryCache holds the pre-rendered discovery bodies; discovery is public and clients
// repeat it on every tool call (§14.1), so it must be cheap.
type discoveryCache struct {
	names  []byte
	all    []byte
	byConn map[string]json.RawMessage
}

type endpoint struct {
	Method      string         `json:"method"`
	Path        string         `json:"path"`
	Docstring   string         `json:"docstring"`
	Parameters  map[string]any `json:"parameters"`
	RequestBody any            `json:"request_body,omitempty"`
}

func buildDiscovery(names []string, conns map[string]*connector) discoveryCache {
	d := discoveryCache{byConn: map[string]json.RawMessage{}}
	d.names, _ = json.Marshal(names)
	all := map[string]json.RawMessage{}
	for _, name := range names {
		c := conns[name]
		eps := map[string]endpoint{}
		for _, an := range c.order {
			a := c.actions[an]
			eps[an] = endpoint{
				Method: http.MethodPost, Path: "/connectors/" + name + "/" + an, Docstring: a.doc,
				Parameters:  map[string]any{"request": map[string]any{"schema": withRequired(a.schema)}},
				RequestBody: requestBody(a),
			}
		}
		base := "/connectors/" + name + "/"
		eps["integration-exists"] = endpoint{Method: http.MethodGet, Path: base + "integration-exists",
			Docstring: "Check whether the user has any integration for " + name + ".", Parameters: map[string]any{}}
		eps["integrations"] = endpoint{Method: http.MethodPost, Path: base + "integrations",
			Docstring: "Start an OAuth2 integration (callback_url) or store a custom configuration.", Parameters: map[string]any{}}
		eps["integrations/{user_identifier}"] = endpoint{Method: http.MethodGet, Path: base + "integrations/{user_identifier}",
			Docstring: "Read (GET), select (POST) or remove (DELETE) one integration.", Parameters: map[string]any{}}
		eps["success-authorize-callback"] = endpoint{Method: http.MethodGet, Path: base + "success-authorize-callback",
			Docstring: "OAuth2 return from the provider.", Parameters: map[string]any{}}
		raw, err := json.Marshal(eps)
		if err != nil {
			panic("sandbox: discovery: " + err.Error())
		}
		d.byConn[name] = raw
		all[name] = raw
	}
	d.all, _ = json.Marshal(all)
	return d
}

// requestBody renders the action's full JSON Schema the way FastAPI does: titled, with the filter
// items as a $ref into $defs. Only LLM tool generators read it (§5.2).
func requestBody(a *action) map[string]any {
	rb := withRequired(a.schema)
	props, _ := rb["properties"].(map[string]any)
	if props != nil {
		props["response_filters"] = map[string]any{
			"anyOf": []any{
				map[string]any{"type": "array", "items": map[string]any{"$ref": "#/$defs/CustomFieldFilter"}},
				map[string]any{"type": "null"},
			},
			"default": nil, "title": "Response Filters",
		}
	}
	rb["$defs"] = map[string]any{"CustomFieldFilter": map[string]any{"title": "CustomFieldFilter", "type": "object"}}
	return rb
}

func (s *Sandbox) handleNames(w http.ResponseWriter, _ *http.Request) {
	writeRawJSON(w, http.StatusOK, s.discovery.names)
}

// handleListing serves GET /connectors and /connectors/?modules=a,b (unknown names are absent).
func (s *Sandbox) handleListing(w http.ResponseWriter, r *http.Request) {
	var want []string
	for _, v := range r.URL.Query()["modules"] {
		for _, m := range strings.Split(v, ",") {
			if m = strings.TrimSpace(m); m != "" {
				want = append(want, m)
			}
		}
	}
	if len(want) == 0 {
		writeRawJSON(w, http.StatusOK, s.discovery.all)
		return
	}
	out := map[string]json.RawMessage{}
	for _, m := range want {
		if raw, ok := s.discovery.byConn[m]; ok {
			out[m] = raw
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// withRequired renders an action schema as a generic JSON object that always carries
// "required" (§5.3 rule 5), even when empty; schema.Schema omits an empty list.
func withRequired(s any) map[string]any {
	var m map[string]any
	raw, err := json.Marshal(s)
	if err != nil || json.Unmarshal(raw, &m) != nil {
		panic("sandbox: discovery schema does not encode")
	}
	if _, ok := m["required"]; !ok {
		m["required"] = []any{}
	}
	return m
}
