package sandbox

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"unicode"
)

// The public catalog (docs/protocol.md §17.5): the connectors' tools and MCP servers,
// and a curated list of skills. List bodies are not wrapped in {data, meta}: they are
// {"items": […], "meta": {"total", "limit", "offset"}}.

// catalogData is built once from the connectors.
type catalogData struct {
	tools []catalogTool
	mcps  []catalogMCP
}

type catalogTool struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Connector   string   `json:"connector"`
	Categories  []string `json:"categories"`
	Source      string   `json:"source"`
	Score       *float64 `json:"score"`
}

type catalogMCP struct {
	Name        string         `json:"name"`
	Description string         `json:"description"`
	MCPURL      string         `json:"mcp_url"`
	Config      map[string]any `json:"config"`
	ToolCount   int            `json:"tool_count"`
	Categories  []string       `json:"categories"`
	Source      string         `json:"source"`
	Score       *float64       `json:"score"`
}

type catalogSkill struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Source      string   `json:"source"`
	Author      string   `json:"author"`
	URL         string   `json:"url"`
	Score       *float64 `json:"score"`
}

// connectorCategories tags each demo connector for the category filter.
var connectorCategories = map[string][]string{
	"github":       {"developer-tools", "code"},
	"google_drive": {"productivity", "storage"},
}

// curatedSkills is the sandbox's curated skill list: agent skills install from GitHub,
// openclaw ones from ClawHub.
var curatedSkills = []catalogSkill{
	{Name: "changelog-writer", Description: "Draft release notes and changelogs from merged pull requests.",
		Source: "agent", Author: "acme", URL: "https://github.com/acme/skills/tree/main/changelog-writer"},
	{Name: "pdf-reader", Description: "Extract text and tables from PDF files stored in a drive.",
		Source: "agent", Author: "acme", URL: "https://github.com/acme/skills/tree/main/pdf-reader"},
	{Name: "repo-onboarding", Description: "Summarise a repository for a new contributor: layout, build and tests.",
		Source: "agent", Author: "acme", URL: "https://github.com/acme/skills/tree/main/repo-onboarding"},
	{Name: "issue-triage", Description: "Label and route new GitHub issues to the right team.",
		Source: "openclaw", Author: "clawhub", URL: "https://clawhub.ai/skills/issue-triage"},
	{Name: "weekly-digest", Description: "Collect the week's documents and commits into one digest.",
		Source: "openclaw", Author: "clawhub", URL: "https://clawhub.ai/skills/weekly-digest"},
}

// toolName is the name the reference client's tool generator gives an action's tool.
func toolName(connector, action string) string {
	return connector + "_" + strings.ReplaceAll(action, "-", "_") + "_tool"
}

func buildCatalog(names []string, conns map[string]*connector) catalogData {
	var d catalogData
	for _, name := range names {
		c := conns[name]
		cats := connectorCategories[name]
		if cats == nil {
			cats = []string{}
		}
		for _, an := range c.order {
			first, _, _ := strings.Cut(c.actions[an].doc, "\n")
			d.tools = append(d.tools, catalogTool{Name: toolName(name, an), Description: strings.TrimSpace(first),
				Connector: name, Categories: cats, Source: "internal"})
		}
		d.mcps = append(d.mcps, catalogMCP{Name: name, Description: "The " + name + " connector's actions as MCP tools.",
			ToolCount: len(c.order), Categories: cats, Source: "internal"})
	}
	return d
}

// SetSearchEnabled turns the catalog's search backend on (the default) or off. Off, /catalog/search
// answers as the real service does when its embedding backend is disabled or unreachable: 200
// with empty groups and "backend": null, never a 5xx.
func (s *Sandbox) SetSearchEnabled(on bool) { s.searchEnabled.Store(on) }

func (s *Sandbox) catalogHandler(kind string) http.HandlerFunc {
	switch kind {
	case "tools":
		return s.handleCatalogTools
	case "mcp":
		return s.handleCatalogMCP
	case "skills":
		return s.handleCatalogSkills
	case "search":
		return s.handleCatalogSearch
	}
	return nil
}

// errQuery is a query-parameter validation error; the catalog answers them with 422 as FastAPI does.
func errQuery(field, msg string) *apiError {
	return &apiError{Status: http.StatusUnprocessableEntity, Code: codeValidation,
		Message: "Invalid query parameter " + field + ": " + msg,
		Details: map[string]any{"errors": []any{map[string]any{"field": field, "message": msg}}}}
}

// intParam reads an optional integer query parameter within [lo, hi].
func intParam(q url.Values, name string, def, lo, hi int) (int, *apiError) {
	if !q.Has(name) {
		return def, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(q.Get(name)))
	if err != nil {
		return 0, errQuery(name, "must be an integer")
	}
	if n < lo || n > hi {
		return 0, errQuery(name, "must be between "+strconv.Itoa(lo)+" and "+strconv.Itoa(hi))
	}
	return n, nil
}

// page reads limit (1–200, default 50) and offset (≥ 0, default 0).
func page(q url.Values) (limit, offset int, aerr *apiError) {
	if limit, aerr = intParam(q, "limit", 50, 1, 200); aerr != nil {
		return 0, 0, aerr
	}
	offset, aerr = intParam(q, "offset", 0, 0, 1<<30)
	return limit, offset, aerr
}

// listBody is the unwrapped list body with its meta.
func listBody[T any](items []T, limit, offset int) map[string]any {
	total := len(items)
	lo, hi := min(offset, total), min(offset+limit, total)
	return map[string]any{"items": items[lo:hi], "meta": map[string]int{"total": total, "limit": limit, "offset": offset}}
}

// matches reports whether q (lower-cased) is a substring of name or description.
func matches(q, name, desc string) bool {
	return q == "" || strings.Contains(strings.ToLower(name), q) || strings.Contains(strings.ToLower(desc), q)
}

func has(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func (s *Sandbox) filterTools(q url.Values) []catalogTool {
	needle := strings.ToLower(strings.TrimSpace(q.Get("q")))
	conn, cat := q.Get("connector"), q.Get("category")
	out := []catalogTool{}
	for _, t := range s.catalog.tools {
		if matches(needle, t.Name, t.Description) && (conn == "" || t.Connector == conn) && (cat == "" || has(t.Categories, cat)) {
			out = append(out, t)
		}
	}
	return out
}

// mcps returns the MCP servers with URLs on the address the caller used.
func (s *Sandbox) mcps(r *http.Request, q url.Values) []catalogMCP {
	needle := strings.ToLower(strings.TrimSpace(q.Get("q")))
	cat := q.Get("category")
	out := []catalogMCP{}
	for _, m := range s.catalog.mcps {
		if !matches(needle, m.Name, m.Description) || (cat != "" && !has(m.Categories, cat)) {
			continue
		}
		m.MCPURL = s.baseURL(r) + "/" + url.PathEscape(m.Name) + "/mcp"
		m.Config = map[string]any{"url": m.MCPURL, "headers": map[string]string{}}
		out = append(out, m)
	}
	return out
}

func filterSkills(q url.Values) []catalogSkill {
	needle := strings.ToLower(strings.TrimSpace(q.Get("q")))
	src := q.Get("source")
	out := []catalogSkill{}
	for _, sk := range curatedSkills {
		if matches(needle, sk.Name, sk.Description) && (src == "" || sk.Source == src) {
			out = append(out, sk)
		}
	}
	return out
}

func (s *Sandbox) handleCatalogTools(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, offset, aerr := page(q)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	writeJSON(w, http.StatusOK, listBody(s.filterTools(q), limit, offset))
}

func (s *Sandbox) handleCatalogMCP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, offset, aerr := page(q)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	writeJSON(w, http.StatusOK, listBody(s.mcps(r, q), limit, offset))
}

func (s *Sandbox) handleCatalogSkills(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if src := q.Get("source"); src != "" && src != "agent" && src != "openclaw" {
		writeError(w, errQuery("source", "must be agent or openclaw"))
		return
	}
	limit, offset, aerr := page(q)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	writeJSON(w, http.StatusOK, listBody(filterSkills(q), limit, offset))
}

// handleCatalogSearch is GET /catalog/search: a user token is required (an X-API-Key, when sent,
// must be its client's). The sandbox's "semantic" search ranks by word overlap, deterministically.
func (s *Sandbox) handleCatalogSearch(w http.ResponseWriter, r *http.Request) {
	if bearer(r) == "" {
		writeError(w, errUnauthorized("Search needs a user token: send Authorization: Bearer <token>"))
		return
	}
	c, aerr := s.clientFor(r)
	if aerr == nil {
		_, aerr = s.userFor(r, c)
	}
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	q := r.URL.Query()
	query := strings.TrimSpace(q.Get("q"))
	if query == "" {
		writeError(w, errQuery("q", "is required and must not be empty"))
		return
	}
	kinds := map[string]bool{"tools": true, "mcp": true, "skills": true}
	if raw := strings.TrimSpace(q.Get("kinds")); raw != "" {
		kinds = map[string]bool{}
		for _, k := range strings.Split(raw, ",") {
			k = strings.TrimSpace(k)
			if k != "tools" && k != "mcp" && k != "skills" {
				writeError(w, errQuery("kinds", "a comma-separated subset of tools, mcp, skills"))
				return
			}
			kinds[k] = true
		}
	}
	count, aerr := intParam(q, "count", 5, 1, 50)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	out := map[string]any{"query": query, "backend": nil, "tools": []any{}, "mcp": []any{}, "skills": []any{}}
	if !s.searchEnabled.Load() {
		writeJSON(w, http.StatusOK, out)
		return
	}
	out["backend"] = map[string]any{"provider": "sandbox", "model": "word-overlap", "dimension": 0}
	words := searchWords(query)
	all := url.Values{}
	if kinds["tools"] {
		out["tools"] = ranked(s.filterTools(all), words, count, func(t *catalogTool) (string, string, **float64) {
			return t.Name, t.Description, &t.Score
		})
	}
	if kinds["mcp"] {
		out["mcp"] = ranked(s.mcps(r, all), words, count, func(m *catalogMCP) (string, string, **float64) {
			return m.Name, m.Description, &m.Score
		})
	}
	if kinds["skills"] {
		out["skills"] = ranked(filterSkills(all), words, count, func(sk *catalogSkill) (string, string, **float64) {
			return sk.Name, sk.Description, &sk.Score
		})
	}
	writeJSON(w, http.StatusOK, out)
}

// searchWords splits a query into lower-case words.
func searchWords(q string) []string {
	return strings.FieldsFunc(strings.ToLower(q), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// ranked scores items by the share of query words found in their name or description, keeps
// those that score, best first (then by name), and returns the top count.
func ranked[T any](items []T, words []string, count int, fields func(*T) (name, desc string, score **float64)) []T {
	out := []T{}
	scores := map[int]float64{}
	for i := range items {
		name, desc, score := fields(&items[i])
		text := strings.ToLower(strings.ReplaceAll(name, "_", " ") + " " + desc)
		hit := 0
		for _, wd := range words {
			if strings.Contains(text, wd) {
				hit++
			}
		}
		if hit == 0 || len(words) == 0 {
			continue
		}
		v := float64(hit) / float64(len(words))
		*score = &v
		scores[len(out)] = v
		out = append(out, items[i])
	}
	idx := make([]int, len(out))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		if scores[idx[a]] != scores[idx[b]] {
			return scores[idx[a]] > scores[idx[b]]
		}
		na, _, _ := fields(&out[idx[a]])
		nb, _, _ := fields(&out[idx[b]])
		return na < nb
	})
	sorted := make([]T, 0, min(count, len(out)))
	for _, i := range idx[:min(count, len(idx))] {
		sorted = append(sorted, out[i])
	}
	return sorted
}
