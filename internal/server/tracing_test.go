package server_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc/metadata"

	bosav1 "bosa.dev/gateway/gen/bosa/v1"
	"bosa.dev/gateway/internal/server"
	"bosa.dev/gateway/internal/telemetry"
	"bosa.dev/gateway/sandbox"
)

// TestTracePropagation sends gRPC and REST calls with a known traceparent and checks that the
// gateway's server span continues that trace, that each BOSA request has a child span, that BOSA
// received the child span's traceparent, and that no span carries a key, token or user secret.
func TestTracePropagation(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	e := startEnv(t, func(c *server.Config) { c.TracerProvider, c.Propagator = tp, telemetry.Propagator() })
	users := bosav1.NewUserServiceClient(e.conn)

	const (
		grpcTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
		restTrace = "0af7651916cd43dd8448eb211c80319c"
	)
	traceparent := func(traceID string) string { return "00-" + traceID + "-" + parentSpan + "-01" }

	ctx := metadata.AppendToOutgoingContext(context.Background(),
		"traceparent", traceparent(grpcTrace), "x-api-key", sandbox.DemoAPIKey)
	created, err := users.CreateUser(ctx, &bosav1.CreateUserRequest{Identifier: "tracer"})
	if err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	checkTrace(t, exp, e.sb, grpcTrace, "bosa.v1.UserService/CreateUser")

	auth, err := users.AuthenticateUser(context.Background(), &bosav1.AuthenticateUserRequest{
		Identifier: "tracer", Secret: created.GetSecret()})
	if err != nil {
		t.Fatalf("AuthenticateUser: %v", err)
	}
	req, _ := http.NewRequest(http.MethodGet, e.httpBase+"/v1/users/me", nil)
	req.Header.Set("Traceparent", traceparent(restTrace))
	req.Header.Set("Authorization", "Bearer "+auth.GetToken())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET /v1/users/me: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /v1/users/me: %d %s", resp.StatusCode, body)
	}
	checkTrace(t, exp, e.sb, restTrace, "GET /v1/users/me")

	// A REST stream runs over the in-process gRPC connection: the trace goes along it to BOSA.
	const streamTrace = "5b8aa5a2d2c872e8321cf37308d69df2"
	req, _ = http.NewRequest(http.MethodPost, e.httpBase+"/v1/connectors/github/actions/list_commits:paginate",
		strings.NewReader(`{"input": {"owner": "acme", "repo": "web", "per_page": 5}, "max_pages": 1}`))
	req.Header.Set("Traceparent", traceparent(streamTrace))
	req.Header.Set("Authorization", "Bearer "+auth.GetToken())
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("REST paginate: %v", err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if got := e.sb.LastTraceparent(); !strings.HasPrefix(got, "00-"+streamTrace+"-") {
		t.Errorf("REST paginate (%d %.100s): BOSA received traceparent %q, want trace %s", resp.StatusCode, body, got, streamTrace)
	}

	secrets := map[string]string{"API key": sandbox.DemoAPIKey, "user secret": created.GetSecret(), "token": auth.GetToken()}
	for _, s := range exp.GetSpans() {
		var texts []string
		for _, a := range s.Attributes {
			texts = append(texts, string(a.Key)+"="+a.Value.Emit())
		}
		for _, ev := range s.Events {
			for _, a := range ev.Attributes {
				texts = append(texts, a.Value.Emit())
			}
		}
		texts = append(texts, s.Name, s.Status.Description)
		for what, secret := range secrets {
			for _, text := range texts {
				if strings.Contains(text, secret) {
					t.Errorf("span %q carries the %s: %s", s.Name, what, text)
				}
			}
		}
	}
}

// parentSpan is the caller's span id in the traceparent the tests send.
const parentSpan = "00f067aa0ba902b7"

// checkTrace waits for the server span named name in traceID (spans end just after the answer is
// sent), then checks its parent, its BOSA child span and the traceparent BOSA last received.
func checkTrace(t *testing.T, exp *tracetest.InMemoryExporter, sb *sandbox.Sandbox, traceID, name string) {
	t.Helper()
	var srv, upstream *tracetest.SpanStub
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		srv, upstream = nil, nil
		spans := exp.GetSpans()
		for i := range spans {
			s := &spans[i]
			if s.SpanContext.TraceID().String() != traceID {
				continue
			}
			switch {
			case s.SpanKind == trace.SpanKindServer && s.Name == name:
				srv = s
			case s.SpanKind == trace.SpanKindClient && strings.HasPrefix(s.Name, "BOSA "):
				upstream = s
			}
		}
		if srv != nil && upstream != nil {
			break
		}
	}
	if srv == nil || upstream == nil {
		t.Fatalf("trace %s: server span %q found: %v, BOSA span found: %v; spans: %v", traceID, name, srv != nil, upstream != nil, spanNames(exp))
	}
	if got := srv.Parent.SpanID().String(); got != parentSpan || !srv.Parent.IsRemote() {
		t.Errorf("server span %q: parent %s (remote %v), want the caller's span %s", name, got, srv.Parent.IsRemote(), parentSpan)
	}
	if upstream.Parent.SpanID() != srv.SpanContext.SpanID() {
		t.Errorf("BOSA span %q: parent %s, want the server span %s", upstream.Name, upstream.Parent.SpanID(), srv.SpanContext.SpanID())
	}
	want := "00-" + traceID + "-" + upstream.SpanContext.SpanID().String() + "-01"
	if got := sb.LastTraceparent(); got != want {
		t.Errorf("BOSA received traceparent %q, want %q (the BOSA span's)", got, want)
	}
}

func spanNames(exp *tracetest.InMemoryExporter) []string {
	var names []string
	for _, s := range exp.GetSpans() {
		names = append(names, s.Name+"@"+s.SpanContext.TraceID().String())
	}
	return names
}

// TestTraceContextWithoutTracing: with no TracerProvider (OTEL_TRACES_EXPORTER unset or none) the
// gateway makes no span, and BOSA receives the caller's own traceparent, over gRPC, REST and a REST stream.
func TestTraceContextWithoutTracing(t *testing.T) {
	e := startEnv(t)
	users := bosav1.NewUserServiceClient(e.conn)
	traceparent := func(traceID string) string { return "00-" + traceID + "-" + parentSpan + "-01" }

	tp := traceparent("4bf92f3577b34da6a3ce929d0e0e4736")
	created, err := users.CreateUser(metadata.AppendToOutgoingContext(context.Background(), "traceparent", tp),
		&bosav1.CreateUserRequest{Identifier: "untraced"})
	if err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	if got := e.sb.LastTraceparent(); got != tp {
		t.Errorf("gRPC: BOSA received traceparent %q, want the caller's %q", got, tp)
	}
	auth, err := users.AuthenticateUser(context.Background(), &bosav1.AuthenticateUserRequest{Identifier: "untraced", Secret: created.GetSecret()})
	if err != nil {
		t.Fatalf("AuthenticateUser: %v", err)
	}
	for _, c := range []struct{ method, path, body, traceID string }{
		{http.MethodGet, "/v1/users/me", "", "0af7651916cd43dd8448eb211c80319c"},
		{http.MethodPost, "/v1/connectors/github/actions/list_commits:paginate",
			`{"input": {"owner": "acme", "repo": "web", "per_page": 5}, "max_pages": 1}`, "5b8aa5a2d2c872e8321cf37308d69df2"},
	} {
		req, _ := http.NewRequest(c.method, e.httpBase+c.path, strings.NewReader(c.body))
		req.Header.Set("Traceparent", traceparent(c.traceID))
		req.Header.Set("Authorization", "Bearer "+auth.GetToken())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", c.method, c.path, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if got := e.sb.LastTraceparent(); got != traceparent(c.traceID) {
			t.Errorf("REST %s %s: BOSA received traceparent %q, want the caller's %q", c.method, c.path, got, traceparent(c.traceID))
		}
	}
}
