package server_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"bosa.dev/gateway/internal/buildinfo"
	"bosa.dev/gateway/internal/server"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// TestAdminListener: pprof and /metrics (with bosa_gateway_build_info) on --admin-addr; with
// MetricsOnAdminOnly the public HTTP listener has no /metrics; no pprof on the public listener.
func TestAdminListener(t *testing.T) {
	build := buildinfo.Info{Version: "v9.8.7", Commit: "abc123", Date: "2026-12-06T00:00:00Z", GoVersion: "go1.26.8"}
	for _, adminOnly := range []bool{false, true} {
		e := startEnv(t, func(c *server.Config) { c.AdminAddr, c.MetricsOnAdminOnly, c.Build = "127.0.0.1:0", adminOnly, build })
		admin := "http://" + e.gw.AdminAddr()
		if code, body := get(t, admin+"/debug/pprof/"); code != http.StatusOK || !strings.Contains(body, "goroutine") {
			t.Errorf("admin /debug/pprof/: %d %.200s", code, body)
		}
		if code, body := get(t, admin+"/healthz"); code != http.StatusOK || body != "SERVING\n" {
			t.Errorf("admin /healthz: %d %q", code, body)
		}
		if code, _ := get(t, admin+"/debug/pprof/cmdline"); code != http.StatusNotFound {
			t.Errorf("admin /debug/pprof/cmdline (the command line may hold --api-key): %d, want 404", code)
		}
		want := `bosa_gateway_build_info{build_date="2026-12-06T00:00:00Z",commit="abc123",goversion="go1.26.8",version="v9.8.7"} 1`
		if code, body := get(t, admin+"/metrics"); code != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("admin /metrics: %d, lacks %s", code, want)
		}
		code, body := get(t, e.httpBase+"/metrics")
		if adminOnly && (code == http.StatusOK || strings.Contains(body, "bosa_gateway_build_info")) {
			t.Errorf("public /metrics with MetricsOnAdminOnly: %d %.100s, want no metrics", code, body)
		}
		if !adminOnly && (code != http.StatusOK || !strings.Contains(body, want)) {
			t.Errorf("public /metrics: %d, lacks %s", code, want)
		}
		if code, _ := get(t, e.httpBase+"/debug/pprof/"); code == http.StatusOK {
			t.Errorf("public /debug/pprof/: %d, want no pprof on the public listener", code)
		}
	}
}

// TestMetricsAdminOnlyNeedsAdminAddr: the option without an admin listener is refused, not ignored.
func TestMetricsAdminOnlyNeedsAdminAddr(t *testing.T) {
	_, err := server.Config{GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", MetricsOnAdminOnly: true}.Complete()
	if err == nil || !strings.Contains(err.Error(), "admin") {
		t.Fatalf("Complete: %v, want an error naming the admin address", err)
	}
}
