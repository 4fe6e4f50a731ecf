package server_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	bosav1 "bosa.dev/gateway/gen/bosa/v1"
	"bosa.dev/gateway/internal/server"
	"bosa.dev/gateway/sandbox"
)

// recording is a transport that keeps every error message the gateway returned.
type recording struct {
	transport
	mu   *sync.Mutex
	msgs *[]string
}

func (r recording) keep(err error) error {
	if err != nil {
		r.mu.Lock()
		*r.msgs = append(*r.msgs, err.Error(), status.Convert(err).Message(), status.Convert(err).Proto().String())
		r.mu.Unlock()
	}
	return err
}

func (r recording) call(ctx context.Context, md metadata.MD, method string, req, resp proto.Message) error {
	return r.keep(r.transport.call(ctx, md, method, req, resp))
}

func (r recording) paginate(ctx context.Context, md metadata.MD, req *bosav1.PaginateRequest) ([]*bosav1.PaginateResponse, error) {
	pages, err := r.transport.paginate(ctx, md, req)
	return pages, r.keep(err)
}

// TestSecretsNeverLeak runs the user journey (the e2e table, every error mapping included; not the
// file transfer) over gRPC, and its credential-bearing steps over REST, with debug logging, plus calls that carry wrong credentials, then checks that
// no API key, user secret, bearer token or stored integration credential appears in the logs, in
// any error message or detail returned, or in /metrics.
func TestSecretsNeverLeak(t *testing.T) {
	t.Parallel()
	e := startEnv(t)
	// A second gateway on the same BOSA and log, allowed to return stored credentials, so that the
	// test knows the OAuth credential BOSA stores and can look for it.
	exposing := startEnvWith(t, envOptions{shared: e, cfg: []func(*server.Config){func(c *server.Config) { c.ExposeCredentials = true }}})
	var mu sync.Mutex
	var msgs []string
	secrets := map[string]string{"API key": sandbox.DemoAPIKey, "custom integration credential": "ghp_secret"}
	for _, face := range []string{"grpc", "rest"} {
		var inner transport = grpcTransport{conn: e.conn}
		if face == "rest" {
			inner = restTransport{base: e.httpBase, hc: &http.Client{}}
		}
		tr := recording{transport: inner, mu: &mu, msgs: &msgs}
		var hits atomic.Int32
		cb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Query().Get("error") == "" {
				hits.Add(1)
			}
		}))
		t.Cleanup(cb.Close)
		j := &journey{tr: tr, env: e, id: "secretive-" + face, callback: cb, hits: &hits}
		ran := false
		ok := t.Run(face, func(t *testing.T) {
			ran = true
			// The steps run as one sweep, not as subtests: the checks below need all of them.
			j.t = t
			for _, step := range journeySteps {
				if strings.HasPrefix(step.name, "file") || face == "rest" && strings.HasPrefix(step.name, "paginate") {
					continue // megabytes of bytes that carry no credential but the token of every step
				}
				j.setup(step.needs)
				step.run(j)
			}
		})
		if !ok {
			t.FailNow()
		}
		if !ran {
			continue // -run selected the other face only
		}
		secrets[face+" user secret"] = j.secret
		secrets[face+" token"] = j.token
		// The OAuth credential BOSA stores for the user's GitHub integration.
		resp, err := bosav1.NewIntegrationServiceClient(exposing.conn).GetIntegration(
			metadata.NewOutgoingContext(context.Background(), j.md()),
			&bosav1.GetIntegrationRequest{Connector: "github", UserIdentifier: j.id + "-gh"})
		if err != nil || resp.GetAuthString() == "" {
			t.Fatalf("exposed GetIntegration: %v %v", resp, err)
		}
		secrets[face+" stored OAuth credential"] = resp.GetAuthString()

		// Wrong credentials of every kind: none of them is echoed back or logged either.
		wrong := map[string][2]string{
			"wrong secret":         {"", j.secret + "-wrong"},
			"tampered token":       {"authorization", "Bearer " + j.token + "x"},
			"unknown API key":      {"x-api-key", "sk-client-unknown-" + face},
			"malformed bearer":     {"authorization", "Token " + j.token},
			"token as integration": {"x-bosa-integration", j.token},
			// Not a credential the gateway knows: BOSA's INTEGRATION_NOT_FOUND message quotes it.
			"secret as integration": {"x-bosa-integration", "sk-user-sent-in-the-wrong-header-" + face},
		}
		for name, kv := range wrong {
			var err error
			if kv[0] == "" {
				err = tr.call(context.Background(), nil, "/bosa.v1.UserService/AuthenticateUser",
					&bosav1.AuthenticateUserRequest{Identifier: j.id, Secret: kv[1]}, &bosav1.AuthenticateUserResponse{})
				secrets[face+" "+name] = kv[1]
			} else {
				md := j.md()
				md.Set(kv[0], kv[1])
				err = tr.call(context.Background(), md, "/bosa.v1.ActionService/ExecuteAction",
					&bosav1.ExecuteActionRequest{Connector: "github", Action: "get_repository", Input: mustStruct(repo)}, &bosav1.ExecuteActionResponse{})
				secrets[face+" "+name] = strings.TrimPrefix(strings.TrimPrefix(kv[1], "Bearer "), "Token ")
			}
			if err == nil {
				t.Errorf("%s %s: call succeeded", face, name)
			}
		}
	}

	metrics := ""
	for _, env := range []*env{e, exposing} {
		resp, err := http.Get(env.httpBase + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		metrics += string(b)
	}
	logs := e.logs.String()
	if !strings.Contains(logs, `"level":"DEBUG"`) || !strings.Contains(logs, "grpc call error") || !strings.Contains(metrics, "grpc_server_handled_total") {
		t.Fatal("the check would be vacuous: no debug logs, error logs or metrics")
	}
	mu.Lock()
	errorText := strings.Join(msgs, "\n")
	mu.Unlock()
	if len(msgs) < 20 {
		t.Fatalf("only %d error messages recorded", len(msgs))
	}
	for name, secret := range secrets {
		if len(secret) < 8 {
			t.Fatalf("%s %q is too short to search for", name, secret)
		}
		for where, text := range map[string]string{"logs": logs, "error messages": errorText, "metrics": metrics} {
			if strings.Contains(text, secret) {
				t.Errorf("the %s appears in %s", name, where)
			}
		}
	}
	for _, marker := range []string{"Bearer", "sk-client", "sk-user", "eyJ"} {
		if strings.Contains(metrics, marker) {
			t.Errorf("/metrics contains %q", marker)
		}
	}
	t.Logf("searched %d secrets in %d KiB of debug logs, %d error messages and %d KiB of metrics", len(secrets), len(logs)>>10, len(msgs), len(metrics)>>10)
}
