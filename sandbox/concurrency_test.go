package sandbox_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"bosa.dev/gateway/sandbox"
)

// send is a request helper safe to call from any goroutine: it reports errors instead of
// failing the test.
func send(hc *http.Client, u *caller, path, contentType string, body []byte, hdr ...string) (int, []byte, error) {
	req, err := http.NewRequest(http.MethodPost, u.base+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("X-API-Key", u.key)
	if u.token != "" {
		req.Header.Set("Authorization", "Bearer "+u.token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, b, err
}

// TestConcurrentTraffic sends thousands of concurrent requests of every kind, while faults are
// injected and cleared and counters read, and checks every answer.
func TestConcurrentTraffic(t *testing.T) {
	srv := start(t)
	const users, perUser = 20, 100 // 2000 concurrent calls
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256}, Timeout: 60 * time.Second}
	defer hc.CloseIdleConnections()
	callers := make([]*caller, users)
	for i := range callers {
		_, u := newUser(newCaller(t, srv), fmt.Sprintf("user-%02d", i))
		connect(u, "github", fmt.Sprintf("gh-%02d", i))
		connect(u, "github", fmt.Sprintf("gh-%02d-b", i))
		connect(u, "google_drive", fmt.Sprintf("u%02d@example.com", i))
		callers[i] = u
	}
	srv.ResetCalls()

	var bad atomic.Int64
	var firstErr sync.Once
	var errMsg string
	fail := func(format string, args ...any) {
		bad.Add(1)
		firstErr.Do(func() { errMsg = fmt.Sprintf(format, args...) })
	}
	stop := make(chan struct{})
	var chaos sync.WaitGroup
	chaos.Add(1)
	go func() { // faults on an action nobody else calls, and counter reads, all the time
		defer chaos.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			srv.Inject("github", "list_collaborators", sandbox.Fault{Status: 503, Times: 1})
			_ = srv.Calls("github", "*")
			srv.ClearFaults()
		}
	}()
	asJSON := func(v any) []byte { b, _ := json.Marshal(v); return b }
	var wg sync.WaitGroup
	for i, u := range callers {
		for j := 0; j < perUser; j++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				switch j % 5 {
				case 0:
					page := j%8 + 1
					st, b, err := send(hc, u, "/connectors/github/list_pull_requests", "application/json",
						asJSON(map[string]any{"owner": "acme", "repo": "web", "state": "all", "page": page, "per_page": 10}))
					var env struct {
						Data []any          `json:"data"`
						Meta map[string]any `json:"meta"`
					}
					if err != nil || st != 200 || json.Unmarshal(b, &env) != nil || len(env.Data) != 10 || env.Meta["page"] != float64(page) {
						fail("list_pull_requests: %d %v %.200s", st, err, b)
					}
				case 1:
					who := fmt.Sprintf("gh-%02d-b", i)
					st, b, err := send(hc, u, "/connectors/github/get_repository", "application/json",
						asJSON(map[string]any{"owner": "acme", "repo": "api"}), "X-Bosa-Integration", who)
					if err != nil || st != 200 || !bytes.Contains(b, []byte(`"viewer_login":"`+who+`"`)) {
						fail("get_repository: %d %v %.200s", st, err, b)
					}
				case 2:
					st, b, err := send(hc, u, fmt.Sprintf("/connectors/github/integrations/gh-%02d", i), "application/json", nil)
					if err != nil || st != 200 {
						fail("select: %d %v %.200s", st, err, b)
					}
				case 3:
					content := fmt.Sprintf("user %d call %d", i, j)
					body, ct := multipartBody(nil, filePart{"file", "f.txt", "text/plain", []byte(content)})
					st, b, err := send(hc, u, "/connectors/google_drive/upload_file", ct, body)
					var env struct {
						Data struct {
							ID string `json:"id"`
						} `json:"data"`
					}
					if err != nil || st != 200 || json.Unmarshal(b, &env) != nil {
						fail("upload: %d %v %.200s", st, err, b)
						return
					}
					st, b, err = send(hc, u, "/connectors/google_drive/download_file", "application/json", asJSON(map[string]any{"file_id": env.Data.ID}))
					if err != nil || st != 200 || string(b) != content {
						fail("download: %d %v %q", st, err, b)
					}
				case 4:
					st, b, err := send(hc, u.with(u.key, ""), "/users", "application/json", asJSON(map[string]any{"identifier": fmt.Sprintf("extra-%d-%d", i, j)}))
					if err != nil || st != 200 {
						fail("create user: %d %v %.200s", st, err, b)
					}
				}
			}()
		}
	}
	wg.Wait()
	close(stop)
	chaos.Wait()
	if n := bad.Load(); n > 0 {
		t.Fatalf("%d bad answers; first: %s", n, errMsg)
	}
	for _, k := range [][2]string{{"github", "list_pull_requests"}, {"github", "get_repository"},
		{"google_drive", "upload_file"}, {"google_drive", "download_file"}, {"", "users"}} {
		if c := srv.Calls(k[0], k[1]); c.Total != users*perUser/5 || c.Cancelled != 0 {
			t.Fatalf("%s/%s: %+v, want %d", k[0], k[1], c, users*perUser/5)
		}
	}
}
