package server

import (
	"net/http"
	"strings"

	"connectrpc.com/vanguard"
	"connectrpc.com/vanguard/vanguardgrpc"
	"google.golang.org/grpc/encoding"
	"google.golang.org/protobuf/encoding/protojson"
)

// The browser protocols (Connect and gRPC-Web) are served on the HTTP listener, beside REST, under
// the gRPC paths (/bosa.v1.ConnectorService/ListConnectors, ...). Vanguard transcodes each call to
// gRPC and hands it to Server.internal, the grpc.Server that also serves the REST face: the same
// services and interceptor chain (request id, logging, scrubbing, metrics, recovery, rate limit,
// deadlines) as native gRPC. Native gRPC stays on the gRPC listener, on grpc-go's own transport.
// See docs/browser.md.

func init() {
	// Vanguard passes JSON through to a grpc.Server that has a "json" codec, instead of
	// transcoding JSON to binary and back (vanguardgrpc's documentation). Registered once, at init,
	// as grpc's encoding package requires.
	encoding.RegisterCodec(vanguardgrpc.NewCodec(&vanguard.JSONCodec{
		MarshalOptions: protojson.MarshalOptions{EmitUnpopulated: true},
		// A browser built against a newer API may send fields this gateway does not know yet.
		UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: true},
	}))
}

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
