package bosaclient

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// The public catalog (docs/protocol.md §17.5): tools, MCP servers and curated skills, and a
// search over them. List answers are not wrapped in {data, meta}.

// CatalogQuery filters and pages a catalog list. Empty strings are omitted; Limit 0 means 50.
type CatalogQuery struct {
	// Q is a case-insensitive substring of the name or description.
	Q string
	// Connector keeps one connector's tools (tools only).
	Connector string
	// Category keeps items with this category tag (tools and MCP servers).
	Category string
	// Source keeps curated skills of one provenance: "agent" or "openclaw" (skills only).
	Source string
	// Limit is the page size, 1–200 (default 50); Offset the number of items skipped.
	Limit, Offset int
}

// CatalogMeta pages a catalog list.
type CatalogMeta struct {
	Total  int `json:"total"`
	Limit  int `json:"limit"`
	Offset int `json:"offset"`
}

// CatalogList is one page of a catalog list.
type CatalogList[T any] struct {
	Items []T `json:"items"`
	// Meta is nil when the server sends none.
	Meta *CatalogMeta `json:"meta"`
}

// CatalogTool is a connector action offered as a tool. Name equals the name the reference SDK's tool
// generator gives it: {connector}_{action, "-" → "_"}_tool.
type CatalogTool struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Connector   string   `json:"connector"`
	Categories  []string `json:"categories"`
	Source      string   `json:"source"`
	// Score is the search relevance; nil in lists.
	Score *float64 `json:"score"`
}

// MCPConfig is a ready-to-copy MCP connection: set Headers["Authorization"] to "Bearer <token>".
type MCPConfig struct {
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
}

// CatalogMCP is a connector offered as an MCP server.
type CatalogMCP struct {
	Name        string    `json:"name"`
	Description string    `json:"description"`
	MCPURL      string    `json:"mcp_url"`
	Config      MCPConfig `json:"config"`
	ToolCount   int       `json:"tool_count"`
	Categories  []string  `json:"categories"`
	Source      string    `json:"source"`
	Score       *float64  `json:"score"`
}

// CatalogSkill is a curated skill: Source "agent" installs from GitHub (URL), "openclaw" from ClawHub.
type CatalogSkill struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Source      string   `json:"source"`
	Author      string   `json:"author"`
	URL         string   `json:"url"`
	Score       *float64 `json:"score"`
}

// SearchBackend names the embedding backend that served a search.
type SearchBackend struct {
	Provider  string `json:"provider"`
	Model     string `json:"model"`
	Dimension int    `json:"dimension"`
}

// CatalogSearch is a grouped search answer. When the server's search backend is disabled or
// unreachable, Backend is nil and every group is empty (the endpoint never answers 5xx for that).
type CatalogSearch struct {
	Query   string         `json:"query"`
	Backend *SearchBackend `json:"backend"`
	Tools   []CatalogTool  `json:"tools"`
	MCP     []CatalogMCP   `json:"mcp"`
	Skills  []CatalogSkill `json:"skills"`
}

// SearchQuery is a catalog search: Q is required; Kinds a subset of "tools", "mcp", "skills" (all when
// empty); Count the top results per kind (server default when 0).
type SearchQuery struct {
	Q     string
	Kinds []string
	Count int
}

func (q CatalogQuery) values(keys ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(keys); i += 2 {
		if keys[i+1] != "" {
			v.Set(keys[i], keys[i+1])
		}
	}
	limit := q.Limit
	if limit == 0 {
		limit = 50
	}
	v.Set("limit", strconv.Itoa(limit))
	v.Set("offset", strconv.Itoa(q.Offset))
	return v
}

// CatalogTools lists the catalog's tools (GET /catalog/tools; public, no credentials are sent).
func (c *Client) CatalogTools(ctx context.Context, q CatalogQuery, opts ...CallOption) (*CatalogList[CatalogTool], error) {
	var out CatalogList[CatalogTool]
	v := q.values("q", q.Q, "connector", q.Connector, "category", q.Category)
	return &out, c.getUnwrapped(ctx, &request{path: "/catalog/tools?" + v.Encode(), noAuth: true}, opts, &out)
}

// CatalogMCPs lists the catalog's MCP servers (GET /catalog/mcp; public).
func (c *Client) CatalogMCPs(ctx context.Context, q CatalogQuery, opts ...CallOption) (*CatalogList[CatalogMCP], error) {
	var out CatalogList[CatalogMCP]
	v := q.values("q", q.Q, "category", q.Category)
	return &out, c.getUnwrapped(ctx, &request{path: "/catalog/mcp?" + v.Encode(), noAuth: true}, opts, &out)
}

// CatalogSkills lists the catalog's curated skills (GET /catalog/skills; public).
func (c *Client) CatalogSkills(ctx context.Context, q CatalogQuery, opts ...CallOption) (*CatalogList[CatalogSkill], error) {
	var out CatalogList[CatalogSkill]
	v := q.values("q", q.Q, "source", q.Source)
	return &out, c.getUnwrapped(ctx, &request{path: "/catalog/skills?" + v.Encode(), noAuth: true}, opts, &out)
}

// SearchCatalog searches tools, MCP servers and skills (GET /catalog/search). It needs a user token
// (WithToken); the client's key is sent too when it has one. An empty Q is rejected locally.
func (c *Client) SearchCatalog(ctx context.Context, q SearchQuery, opts ...CallOption) (*CatalogSearch, error) {
	if strings.TrimSpace(q.Q) == "" {
		return nil, fmt.Errorf("bosaclient: search the catalog: %w: the query is empty", ErrInvalidArgument)
	}
	v := url.Values{"q": {q.Q}}
	if len(q.Kinds) > 0 {
		v.Set("kinds", strings.Join(q.Kinds, ","))
	}
	if q.Count > 0 {
		v.Set("count", strconv.Itoa(q.Count))
	}
	var out CatalogSearch
	return &out, c.getUnwrapped(ctx, &request{path: "/catalog/search?" + v.Encode()}, opts, &out)
}

// getUnwrapped performs a GET whose 2xx body is the value itself (no {data, meta} envelope) and decodes
// it into out.
func (c *Client) getUnwrapped(ctx context.Context, req *request, opts []CallOption, out any) error {
	req.method = "GET"
	req.timeout = c.managementTimeout
	cc := newCallConfig(opts)
	resp, err := c.send(ctx, req, cc, cc.maxAttempts > 1)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(resp.body, out); err != nil {
		path, _, _ := strings.Cut(req.path, "?")
		return fmt.Errorf("bosaclient: GET %s: decode response: %w", path, err)
	}
	return nil
}
