package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"bosa.dev/gateway/gen/openapi"
)

// routeTable knows the REST routes from the served OpenAPI document, to answer a wrong method with
// 405 and the Allow header (grpc-gateway knows that the path exists, not which methods it has).
type routeTable []route

type route struct {
	segments []string // literal segments, or "" for a {parameter}
	verb     string   // the custom method after ':' in the last segment, e.g. "execute"
	methods  []string
}

// newRouteTable reads the paths of the generated OpenAPI document.
func newRouteTable() (routeTable, error) {
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openapi.JSON, &doc); err != nil {
		return nil, fmt.Errorf("openapi: generated document: %w", err)
	}
	var t routeTable
	for p, ops := range doc.Paths {
		rt := route{}
		segs := strings.Split(strings.TrimPrefix(p, "/"), "/")
		last := segs[len(segs)-1]
		if i := strings.LastIndexByte(last, ':'); i > strings.LastIndexByte(last, '}') {
			segs[len(segs)-1], rt.verb = last[:i], last[i+1:]
		}
		for _, s := range segs {
			if strings.HasPrefix(s, "{") {
				s = ""
			}
			rt.segments = append(rt.segments, s)
		}
		for m := range ops {
			m = strings.ToUpper(m)
			rt.methods = append(rt.methods, m)
			if m == http.MethodGet {
				rt.methods = append(rt.methods, http.MethodHead)
			}
		}
		t = append(t, rt)
	}
	// The listener's own GET routes (http.go).
	for _, p := range []string{"/openapi.json", "/healthz", "/metrics"} {
		t = append(t, route{segments: []string{p[1:]}, methods: []string{http.MethodGet, http.MethodHead}})
	}
	return t, nil
}

// allow lists the methods of the routes that match path, sorted; none when no route does.
func (t routeTable) allow(path string) []string {
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	var out []string
	for _, rt := range t {
		if rt.match(segs) {
			out = append(out, rt.methods...)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func (rt route) match(segs []string) bool {
	if len(segs) != len(rt.segments) {
		return false
	}
	for i, s := range segs {
		if i == len(segs)-1 && rt.verb != "" {
			var ok bool
			if s, ok = strings.CutSuffix(s, ":"+rt.verb); !ok {
				return false
			}
		}
		if rt.segments[i] == "" && s == "" || rt.segments[i] != "" && rt.segments[i] != s {
			return false
		}
	}
	return true
}
