package server

import (
	"container/list"
	"context"
	"crypto/sha256"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
)

// Idempotency defaults (AIP-155): how long an answer is kept for retries, and the memory the kept
// answers may hold together.
const (
	DefaultIdempotencyWindow   = 10 * time.Minute
	DefaultIdempotencyMaxBytes = 16 << 20
)

// requestIDs remembers the answers of calls that carried a request_id (CreateUser,
// ConfigureIntegration, UploadFiles), so that a retry with the same id gets the first call's
// answer and creates nothing twice. An id is scoped to its method and its caller (a hash of the
// x-api-key and bearer token, never the values). Only successful answers are kept: a call that
// failed can be retried with the same id and runs again. A retry that arrives while the first call
// runs waits for it. Memory is bounded: answers leave after the window, oldest first when the
// kept answers exceed maxBytes; an answer larger than maxBytes is not kept.
type requestIDs struct {
	window   time.Duration
	maxBytes int
	now      func() time.Time // time.Now; tests move it

	mu      sync.Mutex
	entries map[[32]byte]*requestEntry
	kept    *list.List // of *requestEntry with an answer, oldest first
	bytes   int
}

// requestEntry is one request_id: in flight until done is closed, then answered or forgotten.
type requestEntry struct {
	key         [32]byte
	fingerprint [32]byte
	done        chan struct{}
	answer      proto.Message // nil when the call failed
	size        int
	expires     time.Time
	elem        *list.Element
}

func newRequestIDs(window time.Duration, maxBytes int) *requestIDs {
	if window <= 0 {
		window = DefaultIdempotencyWindow
	}
	if maxBytes <= 0 {
		maxBytes = DefaultIdempotencyMaxBytes
	}
	return &requestIDs{window: window, maxBytes: maxBytes, now: time.Now, entries: map[[32]byte]*requestEntry{}, kept: list.New()}
}

// idempotent runs call once per (method, caller, id) within the window and returns its answer to
// every call with that id; req (its request_id included) must be the same each time, else the call
// is INVALID_ARGUMENT with reason REQUEST_ID_REUSED. An empty id just runs call.
func idempotent[T proto.Message](ctx context.Context, r *requestIDs, method, id string, req proto.Message, call func() (T, error)) (T, error) {
	var zero T
	if id == "" || r == nil {
		return call()
	}
	key, fp, err := requestKey(ctx, method, id, req)
	if err != nil {
		return zero, err
	}
	for {
		e, leader, err := r.claim(key, fp)
		if err != nil {
			return zero, err
		}
		if leader {
			out, err := call()
			r.finish(e, out, err)
			return out, err
		}
		select {
		case <-e.done:
		case <-ctx.Done():
			return zero, ctx.Err()
		}
		if e.answer != nil {
			return proto.Clone(e.answer).(T), nil
		}
		// The first call failed and was forgotten: run again (or wait for another retry).
	}
}

// requestKey hashes the method, the caller's credentials and the id into the cache key, and the
// request with the integration it acts through (x-bosa-integration) into its fingerprint.
func requestKey(ctx context.Context, method, id string, req proto.Message) (key, fp [32]byte, err error) {
	c, err := credentialsFrom(ctx)
	if err != nil {
		return key, fp, err
	}
	h := sha256.New()
	for _, s := range []string{method, c.apiKey, c.token, id} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	copy(key[:], h.Sum(nil))
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(req)
	if err != nil {
		return key, fp, err
	}
	return key, sha256.Sum256(append([]byte(c.integration+"\x00"), b...)), nil
}

// claim returns the entry of key, creating it (leader true) when there is none.
func (r *requestIDs) claim(key, fp [32]byte) (*requestEntry, bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.expire(r.now())
	if e, ok := r.entries[key]; ok {
		if e.fingerprint != fp {
			return nil, false, &Error{Code: codes.InvalidArgument, Reason: ReasonRequestIDReused,
				Message: "request_id was already used for a different request; use a new one"}
		}
		return e, false, nil
	}
	e := &requestEntry{key: key, fingerprint: fp, done: make(chan struct{})}
	r.entries[key] = e
	return e, true, nil
}

// finish records the leader's outcome and wakes the waiting retries.
func (r *requestIDs) finish(e *requestEntry, out proto.Message, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	defer close(e.done)
	if err != nil {
		delete(r.entries, e.key)
		return
	}
	e.size = proto.Size(out) + 128 // the entry's own overhead, roughly
	if e.size > r.maxBytes {
		delete(r.entries, e.key)
		return
	}
	e.answer = proto.Clone(out)
	e.expires = r.now().Add(r.window)
	e.elem = r.kept.PushBack(e)
	r.bytes += e.size
	for r.bytes > r.maxBytes {
		r.drop(r.kept.Front().Value.(*requestEntry))
	}
}

// expire drops the answers whose window has passed.
func (r *requestIDs) expire(now time.Time) {
	for f := r.kept.Front(); f != nil; f = r.kept.Front() {
		e := f.Value.(*requestEntry)
		if now.Before(e.expires) {
			return
		}
		r.drop(e)
	}
}

func (r *requestIDs) drop(e *requestEntry) {
	r.kept.Remove(e.elem)
	r.bytes -= e.size
	delete(r.entries, e.key)
}

// len reports the entries held (tests).
func (r *requestIDs) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.entries)
}
