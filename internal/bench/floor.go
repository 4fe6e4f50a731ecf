package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"
)

// ServeFloorProxy is the floor the gateway is measured against: a plain httputil.ReverseProxy in
// front of upstream, what any Go hop costs at least. It listens on addr (port 0: any), prints
// "floor proxy serving on http://host:port" to stdout and serves until ctx ends. `bosa-bench
// -floor-proxy URL` runs it as its own process, so that its CPU time is its own.
func ServeFloorProxy(ctx context.Context, upstream, addr string, stdout io.Writer) error {
	u, err := url.Parse(upstream)
	if err != nil {
		return fmt.Errorf("bench: floor proxy upstream: %w", err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	// As the gateway's upstream client: keep-alive connections for every concurrent call (the
	// default transport keeps 2 per host, which would turn a c=64 load into new connections).
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 256
	proxy.Transport = tr
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("bench: floor proxy: %w", err)
	}
	// Full duplex: net/http's HTTP/1 server otherwise drains or closes a request body the handler
	// has not read to its end when the response starts, which races with the transport still
	// sending that body upstream and breaks large answers mid-copy (golang/go#15527).
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = http.NewResponseController(w).EnableFullDuplex()
		proxy.ServeHTTP(w, r)
	})
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "floor proxy serving on http://%s\n", lis.Addr())
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	if err := srv.Serve(lis); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
