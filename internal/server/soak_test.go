package server_test

import (
	"context"
	"net/http"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/metadata"

	bosav1 "bosa.dev/gateway/gen/bosa/v1"
)

// soakDuration is the length of TestSoak's measured run: BOSA_SOAK_DURATION (a Go duration), else
// 20 s (5 s with -short). The documented long run is BOSA_SOAK_DURATION=60s.
func soakDuration(t *testing.T) time.Duration {
	if v := os.Getenv("BOSA_SOAK_DURATION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			t.Fatalf("BOSA_SOAK_DURATION=%q: %v", v, err)
		}
		return d
	}
	if testing.Short() {
		return 5 * time.Second
	}
	return 20 * time.Second
}

// snapshot is the process's goroutines and live heap after a full GC.
type snapshot struct {
	goroutines int
	heap       uint64
}

func measure() snapshot {
	var m runtime.MemStats
	for i := 0; i < 3; i++ {
		runtime.GC()
	}
	runtime.ReadMemStats(&m)
	return snapshot{goroutines: runtime.NumGoroutine(), heap: m.HeapAlloc}
}

// TestSoak runs mixed unary and streaming load, over gRPC and REST, at high concurrency against a
// gateway and the sandbox in this process, and checks that no call fails and that goroutines and
// live heap do not grow between the start and the end of the run (both measured after a warm-up
// at the same concurrency and a full GC, with idle connections closed). The numbers are logged.
func TestSoak(t *testing.T) {
	const workers = 48
	e := startEnv(t)
	md := userWithGitHub(t, e.conn, "soak")
	restClient := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
	rest := restTransport{base: e.httpBase, hc: restClient}
	grpcT := grpcTransport{conn: e.conn}

	var ops [4]atomic.Int64
	var unexpected atomic.Int64
	var firstErr atomic.Pointer[error] // errors of several types: atomic.Value would panic
	names := [4]string{"gRPC ExecuteAction", "gRPC Paginate (5 pages)", "gRPC GetConnector", "REST ExecuteAction+Paginate"}
	work := func(ctx context.Context, kind int) error {
		// A bound only a hang reaches: on a loaded machine (-race, other suites beside it) the 48
		// workers' calls queue for many seconds, which is slow, not failed.
		cctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		switch kind {
		case 0:
			_, err := getRepository(cctx, e.conn, md, 1)
			return err
		case 1:
			pages, err := grpcT.paginate(cctx, md, &bosav1.PaginateRequest{Connector: "github", Action: "list_pull_requests", Prefetch: 2,
				Input: mustStruct(map[string]any{"owner": "acme", "repo": "web", "state": "all", "per_page": 50})})
			if err == nil && len(pages) != 5 {
				t.Errorf("stream of %d pages, want 5", len(pages))
			}
			return err
		case 2:
			_, err := bosav1.NewConnectorServiceClient(e.conn).GetConnector(metadata.NewOutgoingContext(cctx, md), &bosav1.GetConnectorRequest{Connector: "github"})
			return err
		default:
			if err := rest.call(cctx, md, "/bosa.v1.ActionService/ExecuteAction",
				&bosav1.ExecuteActionRequest{Connector: "github", Action: "get_repository", Input: mustStruct(repo)}, &bosav1.ExecuteActionResponse{}); err != nil {
				return err
			}
			_, err := rest.paginate(cctx, md, &bosav1.PaginateRequest{Connector: "github", Action: "list_commits", MaxPages: 2,
				Input: mustStruct(map[string]any{"owner": "acme", "repo": "web", "per_page": 100})})
			return err
		}
	}
	load := func(d time.Duration, peak *atomic.Int64) {
		ctx, cancel := context.WithTimeout(context.Background(), d)
		defer cancel()
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func(kind int) {
				defer wg.Done()
				for ctx.Err() == nil {
					if err := work(ctx, kind); err != nil {
						unexpected.Add(1)
						firstErr.CompareAndSwap(nil, &err)
						continue
					}
					ops[kind].Add(1)
				}
			}(w % 4)
		}
		if peak != nil {
			for ctx.Err() == nil {
				peak.Store(max(peak.Load(), int64(runtime.NumGoroutine())))
				time.Sleep(100 * time.Millisecond)
			}
		}
		wg.Wait()
	}
	settle := func() snapshot {
		// Pooled connections are not leaks: close the test's REST connections and the gateway's
		// upstream ones (from the sandbox's side), then wait until the count stops falling as the
		// handlers of the last calls and the connections' goroutines return.
		restClient.CloseIdleConnections()
		e.upstream.CloseClientConnections()
		s := measure()
		for range 20 {
			time.Sleep(100 * time.Millisecond)
			next := measure()
			if next.goroutines >= s.goroutines {
				return next
			}
			s = next
		}
		return s
	}

	load(2*time.Second, nil) // warm-up: connection pools, discovery cache, lazy initialisation
	for i := range ops {
		ops[i].Store(0)
	}
	start := settle()
	d := soakDuration(t)
	var peak atomic.Int64
	began := time.Now()
	load(d, &peak)
	elapsed := time.Since(began)
	end := settle()

	var total int64
	for i := range ops {
		n := ops[i].Load()
		total += n
		t.Logf("soak: %-28s %7d calls", names[i], n)
	}
	t.Logf("soak: %d workers for %v: %d calls (%.0f/s), %d unexpected errors", workers, elapsed.Round(time.Millisecond), total, float64(total)/elapsed.Seconds(), unexpected.Load())
	t.Logf("soak: goroutines %d at start, %d peak, %d at end; live heap %.1f MiB at start, %.1f MiB at end",
		start.goroutines, peak.Load(), end.goroutines, float64(start.heap)/(1<<20), float64(end.heap)/(1<<20))
	if n := unexpected.Load(); n > 0 {
		t.Errorf("%d unexpected errors, the first: %v", n, *firstErr.Load())
	}
	for i := range ops {
		if ops[i].Load() == 0 {
			t.Errorf("no %s completed", names[i])
		}
	}
	// A leak grows with the number of calls (thousands here); pools and timers allow a little slack.
	if end.goroutines > start.goroutines+16 {
		t.Errorf("goroutines grew from %d to %d", start.goroutines, end.goroutines)
	}
	if end.heap > start.heap+start.heap/2+16<<20 {
		t.Errorf("live heap grew from %d to %d bytes", start.heap, end.heap)
	}
}
