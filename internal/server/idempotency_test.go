package server

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	bosav1 "bosa.dev/gateway/gen/bosa/v1"
)

// TestIdempotent covers the request_id cache: one run per id and caller, concurrent retries wait
// for the first call, failures are not kept, and the window and the memory bound hold.
func TestIdempotent(t *testing.T) {
	caller := func(key string) context.Context {
		return metadata.NewIncomingContext(context.Background(), metadata.Pairs(MDAPIKey, key))
	}
	var runs atomic.Int32
	create := func(r *requestIDs, ctx context.Context, id, identifier string) (*bosav1.User, error) {
		req := &bosav1.CreateUserRequest{Identifier: identifier, RequestId: id}
		return idempotent(ctx, r, "CreateUser", id, req, func() (*bosav1.User, error) {
			n := runs.Add(1)
			return &bosav1.User{Identifier: identifier, Id: fmt.Sprint(n)}, nil
		})
	}

	t.Run("concurrent retries run the call once", func(t *testing.T) {
		r, before := newRequestIDs(0, 0), runs.Load()
		var wg sync.WaitGroup
		answers := make([]*bosav1.User, 8)
		for i := range answers {
			wg.Go(func() {
				u, err := create(r, caller("k1"), "id-1", "alice")
				if err != nil {
					t.Error(err)
				}
				answers[i] = u
			})
		}
		wg.Wait()
		if n := runs.Load() - before; n != 1 {
			t.Fatalf("%d runs, want 1", n)
		}
		for _, a := range answers {
			if !proto.Equal(a, answers[0]) {
				t.Fatalf("answers differ: %v %v", a, answers[0])
			}
		}
	})
	t.Run("ids are per caller and per method", func(t *testing.T) {
		r, before := newRequestIDs(0, 0), runs.Load()
		create(r, caller("k1"), "id-1", "alice")
		create(r, caller("k2"), "id-1", "alice")
		if n := runs.Load() - before; n != 2 {
			t.Fatalf("%d runs for two callers, want 2", n)
		}
	})
	t.Run("another request under the same id is REQUEST_ID_REUSED", func(t *testing.T) {
		r := newRequestIDs(0, 0)
		create(r, caller("k1"), "id-1", "alice")
		_, err := create(r, caller("k1"), "id-1", "bob")
		if st := status.Convert(toStatus(err)); st.Code() != codes.InvalidArgument || err.(*Error).Reason != ReasonRequestIDReused {
			t.Fatalf("%v", err)
		}
	})
	t.Run("the same id through another integration is REQUEST_ID_REUSED", func(t *testing.T) {
		r := newRequestIDs(0, 0)
		create(r, caller("k1"), "id-1", "alice")
		ctx := metadata.NewIncomingContext(context.Background(), metadata.Pairs(MDAPIKey, "k1", MDIntegration, "work"))
		if _, err := create(r, ctx, "id-1", "alice"); err == nil || err.(*Error).Reason != ReasonRequestIDReused {
			t.Fatalf("%v", err)
		}
	})
	t.Run("a failure is not kept", func(t *testing.T) {
		r := newRequestIDs(0, 0)
		req := &bosav1.CreateUserRequest{Identifier: "carol", RequestId: "id-2"}
		_, err := idempotent(caller("k1"), r, "CreateUser", "id-2", req, func() (*bosav1.User, error) {
			return nil, &Error{Code: codes.Unavailable, Reason: ReasonUpstreamUnavailable, Message: "down"}
		})
		if err == nil || r.len() != 0 {
			t.Fatalf("err %v, %d entries kept", err, r.len())
		}
	})
	t.Run("answers leave after the window", func(t *testing.T) {
		r, before := newRequestIDs(time.Minute, 0), runs.Load()
		now := time.Now()
		r.now = func() time.Time { return now }
		create(r, caller("k1"), "id-1", "alice")
		now = now.Add(time.Minute)
		create(r, caller("k1"), "id-1", "alice")
		if n := runs.Load() - before; n != 2 {
			t.Fatalf("%d runs across the window, want 2", n)
		}
	})
	t.Run("memory is bounded, oldest answers leave first", func(t *testing.T) {
		r := newRequestIDs(0, 4096)
		for i := range 1000 {
			create(r, caller("k1"), fmt.Sprint("id-", i), "dave")
		}
		if n := r.len(); n > 4096/128 || r.bytes > 4096 {
			t.Fatalf("%d entries, %d bytes kept with a 4 KiB bound", n, r.bytes)
		}
		before := runs.Load()
		create(r, caller("k1"), "id-999", "dave")
		create(r, caller("k1"), "id-0", "dave")
		if n := runs.Load() - before; n != 1 {
			t.Fatalf("%d runs: the newest answer should be kept and the oldest dropped", n)
		}
	})
}
