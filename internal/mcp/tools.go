package mcp

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"bosa.dev/gateway/bosaclient"
)

// scope is the MCP server of /mcp (every connector) or /mcp/{connector} (one), with the tools it
// last built from discovery.
type scope struct {
	server *sdk.Server
	// The SDK serves protocol revision 2026-07-28 (sessionless: server/discover, subscriptions/listen)
	// only on a stateless handler, and the sessions of earlier revisions (initialize, Mcp-Session-Id,
	// the GET event stream) only on a stateful one; serveHTTP routes by revision.
	sessions, stateless *sdk.StreamableHTTPHandler
	handler             *Handler

	mu    sync.Mutex
	conns []*bosaclient.Connector // as last synced; the discovery cache replaces them on refresh
	tools map[string]string       // tool name → its definition's JSON, to add only what changed
}

// sessionless is the first protocol revision without sessions.
const sessionless = "2026-07-28"

// serveHTTP hands a request to the handler of its protocol revision. A request of an earlier
// revision carries no MCP-Protocol-Version (initialize) or an earlier one; revision dates compare
// as strings, as the SDK compares them.
func (s *scope) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Mcp-Protocol-Version") >= sessionless {
		s.stateless.ServeHTTP(w, r)
		return
	}
	s.sessions.ServeHTTP(w, r)
}

func (s *scope) synced() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns != nil
}

// sync makes the server's tools those of conns. The discovery cache hands out the same values
// until it refreshes, so an unchanged listing costs one comparison; after a refresh only tools
// whose definition changed are replaced, so sessions get a list_changed notification only then.
func (s *scope) sync(conns []*bosaclient.Connector) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conns != nil && samePointers(s.conns, conns) {
		return
	}
	want := map[string]bool{}
	for _, c := range conns {
		for _, a := range c.Actions {
			t := toolOf(a)
			want[t.Name] = true
			def, err := json.Marshal(t)
			if err != nil {
				s.handler.cfg.Logger.Error("mcp: tool definition", "tool", t.Name, "error", err)
				continue
			}
			if s.tools[t.Name] == string(def) {
				continue
			}
			s.server.AddTool(t, s.handler.call(a, paginated(a)))
			s.tools[t.Name] = string(def)
		}
	}
	var gone []string
	for name := range s.tools {
		if !want[name] {
			gone = append(gone, name)
			delete(s.tools, name)
		}
	}
	if len(gone) > 0 {
		s.server.RemoveTools(gone...)
	}
	s.conns = conns
}

func samePointers(a, b []*bosaclient.Connector) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// ToolName is the name the reference SDK (gl-connectors-sdk) gives an action's generated tool:
// {connector}_{action}_tool, with the action's hyphens as underscores.
func ToolName(connector, action string) string {
	return connector + "_" + strings.ReplaceAll(action, "-", "_") + "_tool"
}

// PageTokenProperty is the input property that carries a page token.
const PageTokenProperty = "page_token"

// paginated reports whether an action pages (BOSA's paging parameters, page or cursor, are in its
// schema).
func paginated(a *bosaclient.Action) bool {
	if a.Schema == nil {
		return false
	}
	_, page := a.Schema.Properties["page"]
	_, cursor := a.Schema.Properties["cursor"]
	return page || cursor
}

// toolOf describes an action as a tool: its docstring, and its parameter schema as the input
// schema (response_fields and response_filters are in it), plus page_token when it pages.
func toolOf(a *bosaclient.Action) *sdk.Tool {
	in := map[string]any{}
	if a.Schema != nil {
		if b, err := json.Marshal(a.Schema); err == nil {
			_ = json.Unmarshal(b, &in)
		}
	}
	in["type"] = "object"
	if paginated(a) {
		props, _ := in["properties"].(map[string]any)
		if props == nil {
			props = map[string]any{}
			in["properties"] = props
		}
		props[PageTokenProperty] = map[string]any{
			"type": "string",
			"description": "Token of the page to fetch: the next_page_token of the previous result. " +
				"With it, the other parameters are those of the first call and are ignored.",
		}
	}
	desc := strings.TrimSpace(a.Docstring)
	if desc == "" {
		desc = a.Summary
	}
	return &sdk.Tool{
		Name:        ToolName(a.Connector, a.Name),
		Description: desc,
		InputSchema: in,
		Annotations: &sdk.ToolAnnotations{OpenWorldHint: ptr(true)}, // it acts on third-party services
	}
}

func ptr[T any](v T) *T { return &v }
