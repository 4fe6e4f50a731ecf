package bosaclient

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestDiscoveryConcurrentMissesFetchOnce: callers that all miss the cache at once share one fetch,
// including a caller that saw the miss but reached the fetch after another caller's fetch had
// already filled the cache and finished. A tiny listing served at once and many rounds make that
// interleaving likely: before the cache was rechecked where flights are joined, a few rounds in
// 300 fetched twice.
func TestDiscoveryConcurrentMissesFetchOnce(t *testing.T) {
	var fetches atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"github": {"list_commits": {"method": "POST", "path": "/connectors/github/list_commits"}}}`))
	}))
	defer srv.Close()
	ctx := context.Background()
	for round := range 300 {
		fetches.Store(0)
		c, err := New(srv.URL, "sk-client-test", WithDiscoveryTTL(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make(chan error, 64)
		for range 64 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := c.Action(ctx, "github", "list_commits"); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if n := fetches.Load(); n != 1 {
			t.Fatalf("round %d: discovery fetched %d times, want 1", round, n)
		}
	}
}
