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
	mu       sync.Mutex // guards closed and the transitions of inflight from zero
	closed   bool
	inflight sync.WaitGroup
}

// NewServer starts a sandbox on 127.0.0.1 with a free port. Close stops it.
func NewServer(opts ...Option) *Server {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic("sandbox: listen: " + err.Error())
	}
	s := &Server{URL: "http://" + ln.Addr().String(), Sandbox: New(opts...)}
	s.srv = &http.Server{Handler: http.HandlerFunc(s.serveTracked)}
	go func() { _ = s.srv.Serve(ln) }()
	return s
}

func (s *Server) serveTracked(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		panic(http.ErrAbortHandler) // closing: drop the request
	}
	s.inflight.Add(1)
	s.mu.Unlock()
	defer s.inflight.Done()
	s.Sandbox.ServeHTTP(w, r)
}

// Close closes the listener and every connection, then waits for running handlers to return.
// It may be called more than once.
func (s *Server) Close() {
	s.mu.Lock()
	already := s.closed
	s.closed = true
	s.mu.Unlock()
	if already {
		return
	}
	_ = s.srv.Close()
	s.inflight.Wait()
}
