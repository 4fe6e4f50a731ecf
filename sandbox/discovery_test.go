package sandbox_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
)

func TestNames(t *testing.T) {
	srv := start(t)
	c := newCaller(t, srv).with("", "")
	for _, path := range []string{"/connectors/names", "//connectors/names"} {
		r := c.get(path)
		r.ok(t)
		var names []string
		if err := json.Unmarshal(r.body, &names); err != nil {
			t.Fatalf("%s: not a bare array: %s", path, r.body)
		}
		if !reflect.DeepEqual(names, []string{"github", "google_drive"}) {
			t.Fatalf("%s: names %v", path, names)
		}
	}
	c.post("/connectors/names", nil).wantError(t, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED")
}

func TestListingPaths(t *testing.T) {
	srv := start(t)
	anon := newCaller(t, srv).with("", "")
	tests := []struct {
		name, path string
		hdr        []string
		want       []string
	}{
		{"all", "/connectors", nil, []string{"github", "google_drive"}},
		{"all trailing slash", "/connectors/", nil, []string{"github", "google_drive"}},
		{"reference client form", "/connectors/?modules=github", nil, []string{"github"}},
		{"without slash", "/connectors?modules=google_drive", nil, []string{"google_drive"}},
		{"comma list", "/connectors/?modules=github,google_drive", nil, []string{"github", "google_drive"}},
		{"unknown absent", "/connectors/?modules=github,nope", nil, []string{"github"}},
		{"only unknown", "/connectors/?modules=nope", nil, []string{}},
		{"double slash", "//connectors/?modules=github", nil, []string{"github"}},
		{"cli garbage bearer ignored", "/connectors", []string{"Authorization", "Bearer sk-client-whatever"}, []string{"github", "google_drive"}},
		{"wrong key ignored", "/connectors", []string{"X-API-Key", "nope"}, []string{"github", "google_drive"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := anon.get(tt.path, tt.hdr...)
			got := keys(r.obj(t))
			r.ok(t)
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("connectors %v, want %v", got, tt.want)
			}
		})
	}
}

func keys(m map[string]any) []string {
	out := []string{}
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestListingEntries(t *testing.T) {
	srv := start(t)
	listing := newCaller(t, srv).with("", "").get("/connectors").obj(t)
	wantActions := map[string][]string{
		"github":       {"get_repository", "list_collaborators", "list_commits", "list_pull_requests"},
		"google_drive": {"download_file", "list_files", "upload_file"},
	}
	paging := map[string]string{
		"github/list_collaborators": "page", "github/list_pull_requests": "page", "github/list_commits": "cursor",
		"google_drive/list_files": "cursor",
	}
	for conn, want := range wantActions {
		eps := listing[conn].(map[string]any)
		var actions []string
		for name, raw := range eps {
			ep := raw.(map[string]any)
			for _, f := range []string{"method", "path", "docstring", "parameters"} {
				if _, ok := ep[f]; !ok {
					t.Fatalf("%s/%s lacks %s", conn, name, f)
				}
			}
			if !strings.HasPrefix(ep["path"].(string), "/connectors/"+conn+"/") {
				t.Fatalf("%s/%s path %v", conn, name, ep["path"])
			}
			// The reference client's rule for "is an action" (§5.2).
			isAction := ep["method"] == "POST" && !strings.HasPrefix(name, "integrations") &&
				!strings.HasPrefix(name, "integration-exists") && !strings.HasPrefix(name, "success-authorize-callback")
			if !isAction {
				continue
			}
			actions = append(actions, name)
			if ep["path"] != "/connectors/"+conn+"/"+name {
				t.Fatalf("%s path %v", name, ep["path"])
			}
			s := ep["parameters"].(map[string]any)["request"].(map[string]any)["schema"].(map[string]any)
			checkActionSchema(t, conn+"/"+name, s, paging[conn+"/"+name])
			rb, ok := ep["request_body"].(map[string]any)
			if !ok || rb["title"] == nil {
				t.Fatalf("%s: request_body missing or untitled", name)
			}
		}
		sort.Strings(actions)
		if !reflect.DeepEqual(actions, want) {
			t.Fatalf("%s actions %v, want %v", conn, actions, want)
		}
		for _, route := range []string{"integration-exists", "integrations", "success-authorize-callback"} {
			if _, ok := eps[route]; !ok {
				t.Fatalf("%s: integration route %s not listed", conn, route)
			}
		}
	}
}

// checkActionSchema asserts the §5.3 rules on one action body schema.
func checkActionSchema(t *testing.T, name string, s map[string]any, paging string) {
	t.Helper()
	if s["type"] != "object" {
		t.Fatalf("%s: schema type %v", name, s["type"])
	}
	props := s["properties"].(map[string]any)
	var plain []string
	for p, raw := range props {
		node := raw.(map[string]any)
		checkNode(t, name+"."+p, node)
		if _, typed := node["type"]; typed {
			plain = append(plain, p)
			continue
		}
		members := node["anyOf"].([]any)
		if len(members) != 2 || members[1].(map[string]any)["type"] != "null" {
			t.Fatalf("%s.%s: optional property is not anyOf [T, null]: %v", name, p, node)
		}
		if v, ok := node["default"]; !ok || v != nil {
			t.Fatalf("%s.%s: optional property lacks default null", name, p)
		}
	}
	var req []string
	for _, r := range s["required"].([]any) {
		req = append(req, r.(string))
	}
	sort.Strings(plain)
	sort.Strings(req)
	if !reflect.DeepEqual(plain, req) {
		t.Fatalf("%s: required %v, plainly typed %v", name, req, plain)
	}
	want := []string{"response_fields", "response_filters"}
	switch paging {
	case "page":
		want = append(want, "page", "per_page")
	case "cursor":
		want = append(want, "cursor")
	}
	for _, p := range want {
		if _, ok := props[p]; !ok {
			t.Fatalf("%s: does not declare %s", name, p)
		}
	}
	items := props["response_filters"].(map[string]any)["anyOf"].([]any)[0].(map[string]any)["items"].(map[string]any)
	if !reflect.DeepEqual(items, map[string]any{"type": "object"}) {
		t.Fatalf("%s: response_filters items %v", name, items)
	}
}

// checkNode asserts rule 1: typed, inlined, no $ref/$defs/allOf/oneOf, enum only next to type.
func checkNode(t *testing.T, path string, node map[string]any) {
	t.Helper()
	for _, bad := range []string{"$ref", "$defs", "allOf", "oneOf"} {
		if _, ok := node[bad]; ok {
			t.Fatalf("%s: has %s", path, bad)
		}
	}
	if _, ok := node["enum"]; ok && node["type"] == nil {
		t.Fatalf("%s: enum without type", path)
	}
	if members, ok := node["anyOf"].([]any); ok {
		for i, m := range members {
			mm := m.(map[string]any)
			if mm["type"] == nil {
				t.Fatalf("%s: anyOf member %d untyped", path, i)
			}
			checkNode(t, path, mm)
		}
		return
	}
	typ, ok := node["type"].(string)
	if !ok {
		t.Fatalf("%s: no type", path)
	}
	switch typ {
	case "array":
		checkNode(t, path+"[]", node["items"].(map[string]any))
	case "object":
		if props, ok := node["properties"].(map[string]any); ok {
			for k, v := range props {
				checkNode(t, path+"."+k, v.(map[string]any))
			}
		}
	case "string":
		if f, ok := node["format"]; ok && f != "binary" {
			t.Fatalf("%s: format %v", path, f)
		}
	}
	if !slices.Contains([]string{"string", "integer", "number", "boolean", "array", "object", "null"}, typ) {
		t.Fatalf("%s: type %q", path, typ)
	}
}
