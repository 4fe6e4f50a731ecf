package sandbox

import (
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
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

// NewServer starts a sandbox on 127.0.0.1 with a free port, for tests. Close stops it. Like
// httptest.NewServer it panics when it cannot listen; programs use Listen, which returns the error.
func NewServer(opts ...Option) *Server {
	s, err := Listen("127.0.0.1:0", opts...)
	if err != nil {
		panic(err.Error())
	}
	return s
}

// Listen starts a sandbox on addr (host:port; port 0 picks a free one). Close stops it.
func Listen(addr string, opts ...Option) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("sandbox: listen: %w", err)
	}
	s := &Server{URL: "http://" + ln.Addr().String(), Sandbox: New(opts...)}
	s.srv = &http.Server{Handler: http.HandlerFunc(s.serveTracked), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
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
