package server

import (
	"net/http"
	"strings"

	"connectrpc.com/vanguard"
	"connectrpc.com/vanguard/vanguardgrpc"
)

// The browser protocols (Connect and gRPC-Web) are served on the HTTP listener, beside REST, under
// the gRPC paths (/bosa.v1.ConnectorService/ListConnectors, ...). Vanguard transcodes each call to
// gRPC and hands it to Server.internal, the grpc.Server that also serves the REST face: the same
// services and interceptor chain (request id, logging, scrubbing, metrics, recovery, rate limit,
// deadlines) as native gRPC. Native gRPC stays on the gRPC listener, on grpc-go's own transport.
// See docs/browser.md.

// No "json" gRPC codec is registered (vanguardgrpc's efficiency advice): ExecuteAction's data
// leaves the services as pre-encoded wire bytes (actions.go, dataWire), which protojson would drop.
// Vanguard asks the grpc.Server for binary protobuf and writes Connect's JSON from it instead.

// registerBrowserRoutes serves Connect and gRPC-Web for the bosa.v1 services on mux.
func (s *Server) registerBrowserRoutes(mux *http.ServeMux) error {
	t, err := vanguardgrpc.NewTranscoder(s.internal, vanguard.WithDefaultServiceOptions(
		vanguard.WithMaxMessageBufferBytes(uint32(s.cfg.MaxMessageBytes)),
	))
	if err != nil {
		return err
	}
	for name := range s.internal.GetServiceInfo() {
		if strings.HasPrefix(name, "bosa.v1.") {
			mux.Handle("POST /"+name+"/", t)
			mux.Handle("GET /"+name+"/", t) // Connect's GET for side-effect-free methods
		}
	}
	return nil
}
