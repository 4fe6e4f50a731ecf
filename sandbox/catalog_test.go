package sandbox_test

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"bosa.dev/gateway/sandbox"
)

// listOf reads an unwrapped catalog list: its items and meta.
func listOf(t *testing.T, r *resp) ([]map[string]any, map[string]any) {
	t.Helper()
	r.ok(t)
	m := r.obj(t)
	if _, wrapped := m["data"]; wrapped {
		t.Fatalf("list body is wrapped: %.200s", r.body)
	}
	raw, _ := m["items"].([]any)
	items := make([]map[string]any, len(raw))
	for i, it := range raw {
		items[i] = it.(map[string]any)
	}
	meta, _ := m["meta"].(map[string]any)
	return items, meta
}

// TestCatalogLists: the three public lists, unwrapped with meta {total, limit, offset}, filtered
// and paged; no credentials needed; bad paging is 422.
func TestCatalogLists(t *testing.T) {
	srv := start(t)
	anon := newCaller(t, srv).with("", "")
	tools, meta := listOf(t, anon.get("/catalog/tools"))
	if num(t, meta["limit"]) != 50 || num(t, meta["offset"]) != 0 || num(t, meta["total"]) != len(tools) || len(tools) < 5 {
		t.Fatalf("tools meta %v, %d items", meta, len(tools))
	}
	names := map[string]bool{}
	for _, tl := range tools {
		names[tl["name"].(string)] = true
		if tl["source"] != "internal" || tl["score"] != nil {
			t.Fatalf("tool %v", tl)
		}
	}
	if !names["github_list_pull_requests_tool"] || !names["google_drive_upload_file_tool"] {
		t.Fatalf("tool names %v", names)
	}
	tests := []struct {
		query string
		check func([]map[string]any, map[string]any) bool
	}{
		{"?connector=github", func(it []map[string]any, _ map[string]any) bool {
			for _, x := range it {
				if x["connector"] != "github" {
					return false
				}
			}
			return len(it) > 0
		}},
		{"?q=PULL", func(it []map[string]any, _ map[string]any) bool {
			return len(it) > 0 && strings.Contains(it[0]["name"].(string), "pull")
		}},
		{"?category=storage", func(it []map[string]any, _ map[string]any) bool {
			return len(it) > 0 && it[0]["connector"] == "google_drive"
		}},
		{"?limit=2&offset=1", func(it []map[string]any, m map[string]any) bool {
			return len(it) == 2 && it[0]["name"] == tools[1]["name"] && num(t, m["total"]) == len(tools) && num(t, m["limit"]) == 2
		}},
		{"?offset=1000", func(it []map[string]any, m map[string]any) bool {
			return len(it) == 0 && num(t, m["total"]) == len(tools)
		}},
		{"?q=no-such-thing", func(it []map[string]any, m map[string]any) bool { return len(it) == 0 && num(t, m["total"]) == 0 }},
	}
	for _, tt := range tests {
		t.Run("tools"+tt.query, func(t *testing.T) {
			if it, m := listOf(t, anon.get("/catalog/tools"+tt.query)); !tt.check(it, m) {
				t.Fatalf("%v %v", it, m)
			}
		})
	}
	for _, bad := range []string{"?limit=0", "?limit=201", "?limit=x", "?offset=-1"} {
		anon.get("/catalog/tools"+bad).wantError(t, 422, "VALIDATION_ERROR")
	}
	mcps, _ := listOf(t, anon.get("/catalog/mcp"))
	if len(mcps) != 2 || mcps[0]["mcp_url"] != srv.URL+"/github/mcp" || num(t, mcps[0]["tool_count"]) == 0 {
		t.Fatalf("mcp %v", mcps)
	}
	if cfg := mcps[0]["config"].(map[string]any); cfg["url"] != mcps[0]["mcp_url"] {
		t.Fatalf("mcp config %v", cfg)
	}
	skills, _ := listOf(t, anon.get("/catalog/skills?source=openclaw"))
	for _, sk := range skills {
		if sk["source"] != "openclaw" {
			t.Fatalf("skills %v", skills)
		}
	}
	anon.get("/catalog/skills?source=npm").wantError(t, 422, "VALIDATION_ERROR")
}

// TestCatalogSearch: a token is required; q must be non-empty; kinds and count shape the groups;
// with the backend off the answer is 200 with empty groups, never a 5xx.
func TestCatalogSearch(t *testing.T) {
	srv := start(t, sandbox.WithControl(true))
	c := newCaller(t, srv)
	_, u := newUser(c, "searcher")
	keyless := u.with("", u.token)
	c.get("/catalog/search?q=pull").wantError(t, 401, "UNAUTHORIZED")
	r := keyless.get("/catalog/search?q=pull+requests")
	r.ok(t)
	m := r.obj(t)
	tools := m["tools"].([]any)
	if m["query"] != "pull requests" || m["backend"] == nil || len(tools) == 0 {
		t.Fatalf("search: %s", r.body)
	}
	if first := tools[0].(map[string]any); first["score"].(float64) != 1 || !strings.Contains(first["name"].(string), "pull_requests") {
		t.Fatalf("best hit %v", first)
	}
	m = u.get("/catalog/search?q=drive&kinds=mcp&count=1").obj(t)
	if len(m["tools"].([]any)) != 0 || len(m["mcp"].([]any)) != 1 || len(m["skills"].([]any)) != 0 {
		t.Fatalf("kinds=mcp count=1: %v", m)
	}
	keyless.get("/catalog/search?q=").wantError(t, 422, "VALIDATION_ERROR")
	keyless.get("/catalog/search?q=x&kinds=tools,files").wantError(t, 422, "VALIDATION_ERROR")
	keyless.get("/catalog/search?q=x&count=0").wantError(t, 422, "VALIDATION_ERROR")
	other := srv.CreateClient("other")
	u.with(other.APIKey, u.token).get("/catalog/search?q=x").wantError(t, 403, "FORBIDDEN")

	c.post("/sandbox/control/search", map[string]any{"enabled": false}).data(t)
	m = keyless.get("/catalog/search?q=pull").obj(t)
	if m["backend"] != nil || len(m["tools"].([]any))+len(m["mcp"].([]any))+len(m["skills"].([]any)) != 0 {
		t.Fatalf("degraded search: %v", m)
	}
	srv.SetSearchEnabled(true)
	if m = keyless.get("/catalog/search?q=pull").obj(t); m["backend"] == nil {
		t.Fatalf("re-enabled search: %v", m)
	}
}

// checksum is the content_sha256 rule, written out independently of the sandbox's code.
func checksum(t *testing.T, data []byte, isZip bool) string {
	t.Helper()
	if !isZip {
		s := sha256.Sum256(data)
		return hex.EncodeToString(s[:])
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	entries := map[string][]byte{}
	var names []string
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, "/") {
			continue
		}
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		entries[f.Name] = b
		names = append(names, f.Name)
	}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		d := sha256.Sum256(entries[n])
		h.Write(append(append([]byte(n), 0), d[:]...))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// TestTenantSkills: list and get with a token alone; download URLs that need no headers and
// serve bytes matching content_sha256; the error cases of the id, the key and the URL.
func TestTenantSkills(t *testing.T) {
	clk := &clock{t: time.Now()}
	srv := start(t, sandbox.WithClock(clk.now), sandbox.WithMasterKey("sk-master"))
	c := newCaller(t, srv)
	_, u := newUser(c, "skiller")
	tok := u.with("", u.token)
	items, meta := listOf(t, tok.get("/api/skills"))
	if len(items) != 5 || num(t, meta["total"]) != 5 {
		t.Fatalf("skills %v %v", items, meta)
	}
	kinds := map[string]int{}
	for _, it := range items {
		kinds[it["source_type"].(string)]++
		d := tok.get("/api/skills/" + it["id"].(string)).data(t)
		if d["name"] != it["name"] || d["client_id"] != it["client_id"] {
			t.Fatalf("detail %v for %v", d, it)
		}
		if d["download_url"] == nil {
			if d["source_type"] != "github" || d["content_sha256"] != nil {
				t.Fatalf("pending skill %v", d)
			}
			continue
		}
		res, err := http.Get(d["download_url"].(string)) // no headers at all
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		isZip := d["source_type"] == "upload_zip" || d["source_type"] == "github"
		if res.StatusCode != 200 || checksum(t, body, isZip) != d["content_sha256"] {
			t.Fatalf("%s: status %d, checksum %s, recorded %v", d["name"], res.StatusCode, checksum(t, body, isZip), d["content_sha256"])
		}
		if isZip != (res.Header.Get("Content-Type") == "application/zip") {
			t.Fatalf("%s: Content-Type %s", d["name"], res.Header.Get("Content-Type"))
		}
	}
	if kinds["upload_zip"] != 1 || kinds["github"] != 2 || kinds["upload_md"] != 1 || kinds["manual"] != 1 {
		t.Fatalf("seeded kinds %v", kinds)
	}
	if got, _ := listOf(t, tok.get("/api/skills?limit=2&offset=4")); len(got) != 1 {
		t.Fatalf("paged: %v", got)
	}
	id := items[0]["id"].(string)
	tok.get("/api/skills/not-a-uuid").wantError(t, 404, "NOT_FOUND")
	tok.get("/api/skills/00000000-0000-4000-8000-000000000000").wantError(t, 404, "NOT_FOUND")
	if m := tok.get("/api/skills/agent").obj(t); m["data"] != nil || m["items"] == nil {
		t.Fatalf("/api/skills/agent: %v", m)
	}
	c.with("", "").get("/api/skills").wantError(t, 401, "UNAUTHORIZED")
	u.get("/api/skills").wantError(t, 401, "INVALID_CLIENT") // a client key selects the master-key path
	other := srv.CreateClient("other")
	_, ou := newUser(c.with(other.APIKey, ""), "stranger")
	ou.with("", ou.token).get("/api/skills/"+id).wantError(t, 404, "NOT_FOUND")
	master := c.with("sk-master", "")
	master.get("/api/skills").wantError(t, 422, "VALIDATION_ERROR")
	if got, _ := listOf(t, master.get("/api/skills?client_id="+items[0]["client_id"].(string))); len(got) != 5 {
		t.Fatalf("master-key list: %v", got)
	}

	d := tok.get("/api/skills/" + id).data(t)
	dl := d["download_url"].(string)
	tampered := strings.Replace(dl, "signature=", "signature=x", 1)
	for _, bad := range []string{tampered, strings.Replace(dl, id, items[1]["id"].(string), 1)} {
		res, err := http.Get(bad)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 403 {
			t.Fatalf("%s: %d", bad, res.StatusCode)
		}
	}
	clk.add(2 * time.Hour)
	res, err := http.Get(dl)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 403 {
		t.Fatalf("expired URL: %d", res.StatusCode)
	}

	// AddSkill seeds more, hostile ones included; the checksum can be overridden.
	bad := "0000"
	sid, err := srv.AddSkill(sandbox.DemoAPIKey, sandbox.Skill{Name: "odd", SourceType: "upload_md",
		Files: map[string][]byte{"SKILL.md": []byte("# odd\n")}, ContentSHA256: &bad})
	if err != nil {
		t.Fatal(err)
	}
	if d := tok.get("/api/skills/" + sid).data(t); d["content_sha256"] != "0000" {
		t.Fatalf("override: %v", d)
	}
	if _, err := srv.AddSkill("sk-client-nope", sandbox.Skill{Name: "x", SourceType: "manual"}); err == nil {
		t.Fatal("AddSkill to an unknown client succeeded")
	}
}

// TestSkillChecksum pins SkillChecksum to the rule on a known archive.
func TestSkillChecksum(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range []string{"b.txt", "dir/", "a.txt", "dir/é.md"} {
		w, _ := zw.Create(n)
		if !strings.HasSuffix(n, "/") {
			_, _ = w.Write([]byte("content of " + n))
		}
	}
	_ = zw.Close()
	got, err := sandbox.SkillChecksum(buf.Bytes(), true)
	if err != nil || got != checksum(t, buf.Bytes(), true) {
		t.Fatalf("zip checksum %s, %v", got, err)
	}
	if got, _ := sandbox.SkillChecksum([]byte("# x\n"), false); got != checksum(t, []byte("# x\n"), false) {
		t.Fatalf("single-file checksum %s", got)
	}
	if _, err := sandbox.SkillChecksum([]byte("not a zip"), true); err == nil {
		t.Fatal("no error for a non-zip")
	}
}
