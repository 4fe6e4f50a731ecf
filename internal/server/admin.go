package server

import (
	"net/http"
	"net/http/pprof"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"bosa.dev/gateway/internal/buildinfo"
)

// adminHandler serves the admin listener: pprof, /metrics and /healthz. It is a listener of its own, off by
// default, so profiles (which reveal code paths and can cost CPU) need not be reachable by callers.
func (s *Server) adminHandler() http.Handler {
	// No /debug/pprof/cmdline: the command line may hold --api-key.
	mux := http.NewServeMux()
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{}))
	// A plain-HTTP health check for kubelet probes when the public listeners use (mutual) TLS.
	mux.HandleFunc("GET /healthz", s.healthz)
	return mux
}

// buildInfoMetric is bosa_gateway_build_info{version, commit, build_date, goversion} 1.
func buildInfoMetric(b buildinfo.Info) prometheus.Collector {
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "bosa_gateway_build_info",
		Help: "The running build: always 1, labelled with version, commit, build date and Go version.",
		ConstLabels: prometheus.Labels{"version": b.Version, "commit": b.Commit, "build_date": b.Date,
			"goversion": b.GoVersion},
	})
	g.Set(1)
	return g
}
