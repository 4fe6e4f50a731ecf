package sandbox_test

import (
	"net/url"
	"reflect"
	"strings"
	"testing"
)

func TestActionRouting(t *testing.T) {
	srv := start(t)
	u := connected(t, srv, "alice")
	anon := u.with("", "")
	body := map[string]any{"owner": "acme", "repo": "web"}
	tests := []struct {
		name, method, path string
		c                  *caller
		status             int
		code               string
	}{
		{"unknown connector", "POST", "/connectors/nope/list_things", u, 404, "NOT_FOUND"},
		{"unknown action", "POST", "/connectors/github/list_issues", u, 404, "NOT_FOUND"},
		{"route checked before key", "POST", "/connectors/github/list_issues", anon, 404, "NOT_FOUND"},
		{"wrong method", "GET", "/connectors/github/list_pull_requests", u, 405, "METHOD_NOT_ALLOWED"},
		{"wrong method before key", "DELETE", "/connectors/github/list_pull_requests", anon, 405, "METHOD_NOT_ALLOWED"},
		{"missing key", "POST", "/connectors/github/list_pull_requests", anon, 401, "INVALID_CLIENT"},
		{"unknown path", "GET", "/nothing/here", u, 404, "NOT_FOUND"},
		{"connector without action", "GET", "/connectors/github", u, 404, "NOT_FOUND"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.c.do(tt.method, tt.path, body)
			r.wantError(t, tt.status, tt.code)
			if tt.status == 405 && r.header.Get("Allow") != "POST" {
				t.Fatalf("Allow %q", r.header.Get("Allow"))
			}
		})
	}
	// A trailing slash in the configured base URL yields "//connectors/…".
	if _, meta := u.post("//connectors/github/list_pull_requests", body).list(t); meta == nil {
		t.Fatal("no meta")
	}
}

func TestValidation(t *testing.T) {
	srv := start(t)
	u := connected(t, srv, "bob")
	tests := []struct {
		name   string
		action string
		body   any
		want   []string // fragments of the message
	}{
		{"missing required", "list_pull_requests", map[string]any{}, []string{"owner", "repo", "required"}},
		{"wrong type", "list_pull_requests", map[string]any{"owner": "acme", "repo": "web", "page": "abc"}, []string{"page", "integer"}},
		{"enum", "list_pull_requests", map[string]any{"owner": "acme", "repo": "web", "state": "merged"}, []string{"state"}},
		{"page below 1", "list_pull_requests", map[string]any{"owner": "acme", "repo": "web", "page": 0}, []string{"page"}},
		{"per_page below 1", "list_collaborators", map[string]any{"owner": "acme", "repo": "web", "per_page": -1}, []string{"per_page"}},
		{"bad cursor", "list_commits", map[string]any{"owner": "acme", "repo": "web", "cursor": "%%%"}, []string{"cursor"}},
		{"unknown filter type", "list_pull_requests", map[string]any{"owner": "acme", "repo": "web", "response_filters": []any{map[string]any{"type": "regex", "field_name": "title"}}}, []string{"response_filters"}},
		{"filter missing field", "list_pull_requests", map[string]any{"owner": "acme", "repo": "web", "response_filters": []any{map[string]any{"type": "string", "field_name": "state"}}}, []string{"response_filters"}},
		{"fields not a list", "list_pull_requests", map[string]any{"owner": "acme", "repo": "web", "response_fields": "number"}, []string{"response_fields"}},
		{"body not an object", "list_pull_requests", "[1, 2]", []string{"JSON object"}},
		{"body not JSON", "list_pull_requests", "{owner", []string{"JSON object"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r *resp
			if s, ok := tt.body.(string); ok {
				r = u.post("/connectors/github/"+tt.action, s, "Content-Type", "application/json")
			} else {
				r = u.post("/connectors/github/"+tt.action, tt.body)
			}
			msg := r.wantError(t, 400, "VALIDATION_ERROR")
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Fatalf("message %q lacks %q", msg, w)
				}
			}
		})
	}
	// Lax coercion and unknown keys, as pydantic: "2" → 2, extra keys ignored.
	_, meta := u.post("/connectors/github/list_pull_requests", map[string]any{"owner": "acme", "repo": "web", "page": "2", "per_page": "5", "colour": "blue"}).list(t)
	if num(t, meta["page"]) != 2 || num(t, meta["limit"]) != 5 {
		t.Fatalf("meta %v", meta)
	}
	// Unknown repository.
	u.post("/connectors/github/list_commits", map[string]any{"owner": "acme", "repo": "nope"}).wantError(t, 404, "NOT_FOUND")
	// Integration resolution (404) comes before validation (400).
	_, fresh := newUser(newCaller(t, srv), "nobody")
	fresh.post("/connectors/github/list_pull_requests", map[string]any{}).wantError(t, 404, "INTEGRATION_NOT_FOUND")
}

func TestBodyEncodings(t *testing.T) {
	srv := start(t)
	u := connected(t, srv, "carol")
	form := url.Values{"owner": {"acme"}, "repo": {"web"}, "page": {"3"}, "per_page": {"4"}, "state": {"all"},
		"response_fields": {"number", "user.login"}}
	items, meta := u.post("/connectors/github/list_pull_requests", form.Encode(), "Content-Type", "application/x-www-form-urlencoded").list(t)
	if num(t, meta["page"]) != 3 || len(items) != 4 {
		t.Fatalf("form: meta %v, %d items", meta, len(items))
	}
	want := map[string]any{"number": float64(237 - 8), "user": items[0].(map[string]any)["user"]}
	if !reflect.DeepEqual(items[0], want) || len(items[0].(map[string]any)["user"].(map[string]any)) != 1 {
		t.Fatalf("form item %v", items[0])
	}
	// curl -d without a Content-Type sends JSON as a form: say so.
	msg := u.post("/connectors/github/list_pull_requests", `{"owner": "acme", "repo": "web"}`, "Content-Type", "application/x-www-form-urlencoded").wantError(t, 400, "VALIDATION_ERROR")
	if !strings.Contains(msg, "application/json") {
		t.Fatalf("message %q", msg)
	}
	u.post("/connectors/github/list_pull_requests", "owner=acme", "Content-Type", "text/csv").wantError(t, 400, "VALIDATION_ERROR")
	u.post("/connectors/github/list_pull_requests", "page=x&owner=acme&repo=web", "Content-Type", "application/x-www-form-urlencoded").wantError(t, 400, "VALIDATION_ERROR")
}

func TestGetRepository(t *testing.T) {
	srv := start(t)
	u := connected(t, srv, "dave")
	r := u.post("/connectors/github/get_repository", map[string]any{"owner": "acme", "repo": "api"})
	if m := r.obj(t); m["meta"] != nil {
		t.Fatalf("meta %v", m["meta"])
	}
	d := r.data(t)
	if d["full_name"] != "acme/api" || d["default_branch"] != "main" || d["viewer_login"] != "dave-gh" {
		t.Fatalf("repo %v", d)
	}
	// response_fields apply to an object; non-root filters do nothing to it.
	d = u.post("/connectors/github/get_repository", map[string]any{"owner": "acme", "repo": "web",
		"response_fields":  []any{"full_name", "owner.login", "missing.path"},
		"response_filters": []any{map[string]any{"type": "string", "field_name": "name", "value": "zzz"}}}).data(t)
	if !reflect.DeepEqual(d, map[string]any{"full_name": "acme/web", "owner": map[string]any{"login": "acme"}}) {
		t.Fatalf("shaped repo %v", d)
	}
	u.post("/connectors/github/get_repository", map[string]any{"owner": "nope", "repo": "web"}).wantError(t, 404, "NOT_FOUND")
}

// walkPages pages forward with page+1 until has_next is false, then back with page-1 until
// has_prev is false, checking the page meta at every step; it returns the keys seen forward.
func walkPages(t *testing.T, u *caller, action string, body map[string]any, key string, total, per int) []any {
	t.Helper()
	var forward []any
	pages := (total + per - 1) / per
	page := 1
	byPage := map[int][]any{}
	for {
		b := clone(body)
		b["page"], b["per_page"] = page, per
		items, meta := u.post("/connectors/github/"+action, b).list(t)
		wantMeta := map[string]any{"page": float64(page), "limit": float64(per), "total": float64(total),
			"total_page": float64(pages), "has_next": page < pages, "has_prev": page > 1}
		if !reflect.DeepEqual(meta, wantMeta) {
			t.Fatalf("page %d meta %v, want %v", page, meta, wantMeta)
		}
		for _, it := range items {
			byPage[page] = append(byPage[page], it.(map[string]any)[key])
		}
		forward = append(forward, byPage[page]...)
		if !meta["has_next"].(bool) {
			break
		}
		page++
	}
	if page != max(pages, 1) || len(forward) != total {
		t.Fatalf("forward: ended on page %d with %d items, want %d pages, %d items", page, len(forward), pages, total)
	}
	for {
		b := clone(body)
		b["page"], b["per_page"] = page, per
		items, meta := u.post("/connectors/github/"+action, b).list(t)
		var got []any
		for _, it := range items {
			got = append(got, it.(map[string]any)[key])
		}
		if !reflect.DeepEqual(got, byPage[page]) {
			t.Fatalf("backward page %d differs", page)
		}
		if !meta["has_prev"].(bool) {
			break
		}
		page--
	}
	if page != 1 {
		t.Fatalf("backward stopped on page %d", page)
	}
	return forward
}

func clone(m map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	return out
}

// openPRs counts the open pull requests of a seeded repository with n of them: number k is
// open when k%4 == 0 or it is among the 20 newest.
func openPRs(n int) int {
	open := 0
	for k := 1; k <= n; k++ {
		if k%4 == 0 || k > n-20 {
			open++
		}
	}
	return open
}

func TestPageBasedPagination(t *testing.T) {
	srv := start(t)
	u := connected(t, srv, "erin")
	tests := []struct {
		name   string
		action string
		body   map[string]any
		key    string
		total  int
		per    int
	}{
		{"all pull requests", "list_pull_requests", map[string]any{"owner": "acme", "repo": "web", "state": "all"}, "number", 237, 25},
		{"open pull requests", "list_pull_requests", map[string]any{"owner": "acme", "repo": "web"}, "number", openPRs(237), 30},
		{"closed pull requests, one per page", "list_pull_requests", map[string]any{"owner": "acme", "repo": "api", "state": "closed"}, "number", 64 - openPRs(64), 1},
		{"collaborators", "list_collaborators", map[string]any{"owner": "acme", "repo": "web"}, "login", 42, 10},
		{"empty repository", "list_pull_requests", map[string]any{"owner": "acme", "repo": "empty", "state": "all"}, "number", 0, 30},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.total == 0 {
				items, meta := u.post("/connectors/github/"+tt.action, tt.body).list(t)
				if len(items) != 0 || meta["has_next"] != false || meta["has_prev"] != false || num(t, meta["total"]) != 0 {
					t.Fatalf("empty: %v %v", items, meta)
				}
				return
			}
			seen := walkPages(t, u, tt.action, tt.body, tt.key, tt.total, tt.per)
			uniq := map[any]bool{}
			for _, k := range seen {
				uniq[k] = true
			}
			if len(uniq) != tt.total {
				t.Fatalf("%d distinct of %d", len(uniq), tt.total)
			}
			if tt.key == "number" {
				for i := 1; i < len(seen); i++ {
					if seen[i].(float64) >= seen[i-1].(float64) {
						t.Fatalf("not newest first at %d", i)
					}
				}
			}
		})
	}
	// Past the end: empty, no next, a previous page.
	items, meta := u.post("/connectors/github/list_pull_requests", map[string]any{"owner": "acme", "repo": "web", "state": "all", "page": 99}).list(t)
	if len(items) != 0 || meta["has_next"] != false || meta["has_prev"] != true {
		t.Fatalf("past end: %d items, %v", len(items), meta)
	}
	// per_page is capped at 100; the default is 30.
	_, meta = u.post("/connectors/github/list_pull_requests", map[string]any{"owner": "acme", "repo": "web", "per_page": 500}).list(t)
	if num(t, meta["limit"]) != 100 {
		t.Fatalf("cap: %v", meta)
	}
	_, meta = u.post("/connectors/github/list_pull_requests", map[string]any{"owner": "acme", "repo": "web"}).list(t)
	if num(t, meta["limit"]) != 30 || num(t, meta["page"]) != 1 {
		t.Fatalf("defaults: %v", meta)
	}
}

// walkCursor follows forwards_cursor to the end, then backwards_cursor to the start, and
// returns the ids seen going forward.
func walkCursor(t *testing.T, u *caller, path string, body map[string]any, sizeKey string, per, total int) []string {
	t.Helper()
	var pages [][]string
	b := clone(body)
	b[sizeKey] = per
	for {
		items, meta := u.post(path, b).list(t)
		var ids []string
		for _, it := range items {
			m := it.(map[string]any)
			id, _ := m["sha"].(string)
			if id == "" {
				id, _ = m["id"].(string)
			}
			ids = append(ids, id)
		}
		pages = append(pages, ids)
		if num(t, meta["total"]) != total || meta["has_prev"] != (len(pages) > 1) {
			t.Fatalf("page %d meta %v", len(pages), meta)
		}
		if !meta["has_next"].(bool) {
			if meta["forwards_cursor"] != nil {
				t.Fatalf("last page has a forwards_cursor: %v", meta)
			}
			break
		}
		cur, _ := meta["forwards_cursor"].(string)
		if cur == "" {
			t.Fatalf("has_next without forwards_cursor: %v", meta)
		}
		b["cursor"] = cur
		b["page"] = len(pages) + 50 // the client keeps a stale page; the cursor must win
	}
	var forward []string
	for _, p := range pages {
		forward = append(forward, p...)
	}
	if len(forward) != total || len(pages) != (total+per-1)/per {
		t.Fatalf("forward: %d items in %d pages, want %d", len(forward), len(pages), total)
	}
	// Backwards from the last page.
	i := len(pages) - 1
	for {
		items, meta := u.post(path, b).list(t)
		if len(items) != len(pages[i]) {
			t.Fatalf("backward page %d: %d items, want %d", i, len(items), len(pages[i]))
		}
		if !meta["has_prev"].(bool) {
			if meta["backwards_cursor"] != nil {
				t.Fatalf("first page has a backwards_cursor: %v", meta)
			}
			break
		}
		cur, _ := meta["backwards_cursor"].(string)
		if cur == "" {
			t.Fatalf("has_prev without backwards_cursor: %v", meta)
		}
		b["cursor"] = cur
		i--
	}
	if i != 0 {
		t.Fatalf("backward walk stopped at page %d", i)
	}
	return forward
}

func TestCursorPagination(t *testing.T) {
	srv := start(t)
	u := connected(t, srv, "frank")
	shas := walkCursor(t, u, "/connectors/github/list_commits", map[string]any{"owner": "acme", "repo": "web"}, "per_page", 40, 523)
	if len(shas[0]) != 40 || shas[0] == shas[1] {
		t.Fatalf("shas %v", shas[:2])
	}
	walkCursor(t, u, "/connectors/github/list_commits", map[string]any{"owner": "acme", "repo": "api"}, "per_page", 100, 150)
	// Without a cursor, page selects the window.
	items, meta := u.post("/connectors/github/list_commits", map[string]any{"owner": "acme", "repo": "web", "page": 2, "per_page": 10}).list(t)
	if items[0].(map[string]any)["sha"] != shas[10] || meta["has_prev"] != true {
		t.Fatalf("page 2: %v %v", items[0], meta)
	}
	// Empty repository.
	items, meta = u.post("/connectors/github/list_commits", map[string]any{"owner": "acme", "repo": "empty"}).list(t)
	if len(items) != 0 || meta["has_next"] != false || meta["has_prev"] != false {
		t.Fatalf("empty: %v", meta)
	}
}

func TestResponseShaping(t *testing.T) {
	srv := start(t)
	u := connected(t, srv, "grace")
	base := map[string]any{"owner": "acme", "repo": "web", "state": "all", "per_page": 100}
	_, plainMeta := u.post("/connectors/github/list_pull_requests", base).list(t)

	// The §7.3 worked example.
	b := clone(base)
	b["response_filters"] = []any{
		map[string]any{"type": "string", "field_name": "state", "value": "OPEN"},
		map[string]any{"type": "date_range", "field_name": "created_at", "from_date": "2025-01-01", "to_date": "2025-02-28 23:59:59"},
		map[string]any{"type": "string_list", "root": "labels", "field_name": "name", "values": []any{"bug", "urgent"}},
	}
	b["response_fields"] = []any{"number", "labels.name"}
	items, meta := u.post("/connectors/github/list_pull_requests", b).list(t)
	if !reflect.DeepEqual(meta, plainMeta) {
		t.Fatalf("filters changed meta: %v vs %v", meta, plainMeta)
	}
	if len(items) == 0 || len(items) >= 100 {
		t.Fatalf("%d items after filtering", len(items))
	}
	for _, raw := range items {
		it := raw.(map[string]any)
		if len(it) > 2 {
			t.Fatalf("fields not applied: %v", it)
		}
		for _, l := range it["labels"].([]any) {
			lm := l.(map[string]any)
			if len(lm) != 1 || (lm["name"] != "bug" && lm["name"] != "urgent") {
				t.Fatalf("labels not pruned: %v", it)
			}
		}
	}
	// Cross-check the filter against the unshaped page.
	all, _ := u.post("/connectors/github/list_pull_requests", base).list(t)
	want := 0
	for _, raw := range all {
		it := raw.(map[string]any)
		c := it["created_at"].(string)
		if it["state"] == "open" && c >= "2025-01-01" && c <= "2025-02-28T23:59:59Z" {
			want++
		}
	}
	if len(items) != want {
		t.Fatalf("%d items, want %d", len(items), want)
	}
	// Number filters and an empty fields list (keep everything).
	b = clone(base)
	b["response_filters"] = []any{map[string]any{"type": "number_range", "field_name": "number", "from_value": 200, "to_value": 209}}
	b["response_fields"] = []any{}
	items, _ = u.post("/connectors/github/list_pull_requests", b).list(t)
	if len(items) != 10 || len(items[0].(map[string]any)) < 5 {
		t.Fatalf("number_range: %d items, first %v", len(items), items[0])
	}
}
