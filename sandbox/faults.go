package sandbox

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// FaultKind selects what an injected Fault does.
type FaultKind int

const (
	// FaultStatus answers with Fault.Status and the protocol's error body (the zero value;
	// with Status 0 the fault only adds Latency and the call then runs normally).
	FaultStatus FaultKind = iota
	// FaultMalformedJSON answers 200 (or Status) with Content-Type application/json and a
	// truncated, unparsable JSON body.
	FaultMalformedJSON
	// FaultNoContentType runs the call normally but sends its answer without a Content-Type header.
	FaultNoContentType
	// FaultDropConnection closes the connection without writing any response.
	FaultDropConnection
	// FaultOversizedBody answers 200 with a well-formed JSON envelope of OversizedBodySize bytes
	// (Content-Length set), to exercise clients' response size limits.
	FaultOversizedBody
	// FaultTruncatedBody runs the call normally but closes the connection after half of its
	// answer's body (Content-Length still announces the whole), as an upstream failing mid-file.
	FaultTruncatedBody
)

// OversizedBodySize is the size of the body sent by FaultOversizedBody.
const OversizedBodySize = 128 << 20

var faultKindNames = map[FaultKind]string{
	FaultStatus: "status", FaultMalformedJSON: "malformed_json", FaultNoContentType: "no_content_type",
	FaultDropConnection: "drop_connection", FaultOversizedBody: "oversized_body",
	FaultTruncatedBody: "truncated_body",
}

// String returns the kind's name as used by the HTTP control surface.
func (k FaultKind) String() string {
	if n, ok := faultKindNames[k]; ok {
		return n
	}
	return "FaultKind(" + strconv.Itoa(int(k)) + ")"
}

// Fault is an injected failure for the calls matching an Inject target.
type Fault struct {
	Status     int           // status for FaultStatus (e.g. 429, 500, 503), answered with the error body
	RetryAfter time.Duration // sent as Retry-After (whole seconds, rounded up) with Status
	Latency    time.Duration // delay before handling; abandoned when the client cancels
	Kind       FaultKind
	Times      int // the next Times matching calls; 0 = every matching call until ClearFaults
	// Retryable sets the error's recovery.retryable. Nil means the default: true for 429 and
	// 5xx (an injected failure stands for a transient one), false otherwise.
	Retryable *bool
}

// retryable is the recovery.retryable of the fault's error answer.
func (f Fault) retryable() bool {
	if f.Retryable != nil {
		return *f.Retryable
	}
	return f.Status == http.StatusTooManyRequests || f.Status >= 500
}

// CallCount counts the requests that reached one route (after routing, before auth) and how
// many of them the client cancelled before the answer was written.
type CallCount struct {
	Total     int `json:"total"`
	Cancelled int `json:"cancelled"`
}

type faultEntry struct {
	f         Fault
	remaining int // meaningful when f.Times > 0
}

type faultTable struct {
	mu     sync.Mutex
	queues map[callKey][]*faultEntry
}

func (t *faultTable) init() { t.queues = map[callKey][]*faultEntry{} }

// take consumes one use of the first fault queued under the first key that has one.
func (t *faultTable) take(keys []callKey) (Fault, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, k := range keys {
		q := t.queues[k]
		if len(q) == 0 {
			continue
		}
		e := q[0]
		if e.f.Times > 0 {
			e.remaining--
			if e.remaining <= 0 {
				if len(q) == 1 {
					delete(t.queues, k)
				} else {
					t.queues[k] = q[1:]
				}
			}
		}
		return e.f, true
	}
	return Fault{}, false
}

type counterTable struct {
	mu sync.Mutex
	m  map[callKey]*CallCount
}

func (t *counterTable) init() { t.m = map[callKey]*CallCount{} }

func (t *counterTable) add(keys []callKey, total, cancelled int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, k := range keys {
		c := t.m[k]
		if c == nil {
			c = &CallCount{}
			t.m[k] = c
		}
		c.Total += total
		c.Cancelled += cancelled
	}
}

// Inject queues f for the calls of connector/action. Action "*" matches every action of the
// connector (a fault on the action itself is used first). Connector "" with action "discovery",
// "users" (create user, current user), "auth" (tokens), "clients" (POST /clients) or
// "integrations" targets those routes; connector "github" with action "integrations" targets
// only that connector's integration routes (including the sandbox's OAuth authorize page).
// Faults on one target apply in the order injected; one with Times 0 stays until ClearFaults.
// A target that names no route is accepted and never matches.
func (s *Sandbox) Inject(connector, action string, f Fault) {
	if f.Times < 0 {
		f.Times = 0
	}
	k := callKey{connector, action}
	s.faults.mu.Lock()
	s.faults.queues[k] = append(s.faults.queues[k], &faultEntry{f: f, remaining: f.Times})
	s.faults.mu.Unlock()
}

// ClearFaults removes every injected fault.
func (s *Sandbox) ClearFaults() {
	s.faults.mu.Lock()
	s.faults.init()
	s.faults.mu.Unlock()
}

// Calls returns the counters of one target, named as for Inject. Action "*" sums every action of
// the connector; connector "" with "integrations" sums the integration routes of all connectors.
func (s *Sandbox) Calls(connector, action string) CallCount {
	s.counters.mu.Lock()
	defer s.counters.mu.Unlock()
	if action == "*" {
		var sum CallCount
		if c := s.connectors[connector]; c != nil {
			for name := range c.actions {
				if n := s.counters.m[callKey{connector, name}]; n != nil {
					sum.Total += n.Total
					sum.Cancelled += n.Cancelled
				}
			}
		}
		return sum
	}
	if n := s.counters.m[callKey{connector, action}]; n != nil {
		return *n
	}
	return CallCount{}
}

// ResetCalls sets every counter to zero.
func (s *Sandbox) ResetCalls() {
	s.counters.mu.Lock()
	s.counters.init()
	s.counters.mu.Unlock()
}

// dispatch counts the call, applies any injected fault, runs the route and records whether the
// client went away before the answer was written.
func (s *Sandbox) dispatch(w http.ResponseWriter, r *http.Request, rt routed) {
	s.counters.add(rt.counts, 1, 0)
	defer func() {
		if r.Context().Err() != nil {
			s.counters.add(rt.counts, 0, 1)
		}
	}()
	f, ok := s.faults.take(rt.faults)
	if !ok {
		rt.handle(w, r)
		return
	}
	if f.Latency > 0 {
		// net/http notices a client going away only once the request body has been read, so
		// buffer it before waiting.
		if b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.maxUpload+maxFormBytes)); err == nil {
			r.Body = io.NopCloser(bytes.NewReader(b))
		}
		t := time.NewTimer(f.Latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	switch f.Kind {
	case FaultStatus:
		if f.Status == 0 {
			rt.handle(w, r)
			return
		}
		msg := http.StatusText(f.Status)
		if msg == "" {
			msg = "Injected fault"
		}
		retry := f.retryable()
		writeError(w, &apiError{Status: f.Status, Code: codeForStatus(f.Status), Message: msg + " (injected fault)",
			Retryable: &retry, RetryAfter: int((f.RetryAfter + time.Second - 1) / time.Second)})
	case FaultMalformedJSON:
		status := f.Status
		if status == 0 {
			status = http.StatusOK
		}
		writeRawJSON(w, status, []byte(`{"data": [{"id": "1", "name": "trunc`))
	case FaultNoContentType:
		rt.handle(&noContentTypeWriter{ResponseWriter: w}, r)
	case FaultDropConnection:
		dropConnection(w)
	case FaultOversizedBody:
		writeOversized(w)
	case FaultTruncatedBody:
		rt.handle(&truncatingWriter{ResponseWriter: w}, r)
	default:
		rt.handle(w, r)
	}
}

// noContentTypeWriter strips Content-Type; a nil header value also stops net/http from sniffing one.
type noContentTypeWriter struct {
	http.ResponseWriter
	wrote bool
}

func (w *noContentTypeWriter) WriteHeader(code int) {
	if !w.wrote {
		w.wrote = true
		w.Header()["Content-Type"] = nil
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *noContentTypeWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

func (w *noContentTypeWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// truncatingWriter passes the first half of a body announced by Content-Length (none without
// one), then aborts the connection.
type truncatingWriter struct {
	http.ResponseWriter
	wrote bool
	left  int64
}

func (w *truncatingWriter) WriteHeader(code int) {
	if !w.wrote {
		w.wrote = true
		if n, err := strconv.ParseInt(w.Header().Get("Content-Length"), 10, 64); err == nil {
			w.left = n / 2
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *truncatingWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	if int64(len(b)) > w.left {
		_, _ = w.ResponseWriter.Write(b[:w.left])
		_ = http.NewResponseController(w.ResponseWriter).Flush()
		panic(http.ErrAbortHandler)
	}
	w.left -= int64(len(b))
	return w.ResponseWriter.Write(b)
}

func (w *truncatingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func dropConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler) // e.g. HTTP/2: abort the stream instead
	}
	_ = conn.Close()
}

// writeOversized streams {"data": {"padding": "xxx…"}, "meta": null} of exactly OversizedBodySize bytes.
func writeOversized(w http.ResponseWriter) {
	const head, tail = `{"data": {"padding": "`, `"}, "meta": null}`
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(OversizedBodySize))
	w.WriteHeader(http.StatusOK)
	if _, err := w.Write([]byte(head)); err != nil {
		return
	}
	chunk := make([]byte, 64<<10)
	for i := range chunk {
		chunk[i] = 'x'
	}
	left := OversizedBodySize - len(head) - len(tail)
	for left > 0 {
		n := min(left, len(chunk))
		if _, err := w.Write(chunk[:n]); err != nil {
			return
		}
		left -= n
	}
	_, _ = w.Write([]byte(tail))
}
