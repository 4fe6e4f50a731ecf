package sandbox

import (
	"net"
	"net/http"
	"sync"
)

// Server is a Sandbox listening on a loopback port, like httptest.Server.
type Server struct {
	// URL is the base URL, http://127.0.0.1:port, with no trailing slash.
	URL string
	*Sandbox

	srv      *http.Server
	inflight sync.WaitGroup
	once     sync.Once
}

// NewServer starts a sandbox on 127.0.0.1 with a free port. Close stops it.
func NewServer(opts ...Option) *Server {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic("sandbox: listen: " + err.Error())
	}
	s := &Server{URL: "http://" + ln.Addr().String(), Sandbox: New(opts...)}
	s.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.inflight.Add(1)
		defer s.inflight.Done()
		s.Sandbox.ServeHTTP(w, r)
	})}
	go func() { _ = s.srv.Serve(ln) }()
	return s
}

// Close closes the listener and every connection, then waits for running handlers to return.
func (s *Server) Close() {
	s.once.Do(func() {
		_ = s.srv.Close()
		s.inflight.Wait()
	})
}
