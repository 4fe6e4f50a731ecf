package sandbox_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"bosa.dev/gateway/sandbox"
)

// A test starts a sandbox, injects a fault and checks how many calls reached it.
func Example() {
	srv := sandbox.NewServer() // 127.0.0.1:<free port>, like httptest.NewServer
	defer srv.Close()
	srv.Inject("", "discovery", sandbox.Fault{Status: 503, RetryAfter: time.Second, Times: 1})
	for range 2 {
		res, err := http.Get(srv.URL + "/connectors/names")
		if err != nil {
			panic(err)
		}
		var body struct {
			Error struct {
				Code     string `json:"code"`
				Recovery struct {
					Retryable bool `json:"retryable"`
				} `json:"recovery"`
			} `json:"error"`
		}
		_ = json.NewDecoder(res.Body).Decode(&body)
		res.Body.Close()
		fmt.Println(res.StatusCode, res.Header.Get("Retry-After"), body.Error.Code, body.Error.Recovery.Retryable)
	}
	fmt.Println(srv.Calls("", "discovery").Total)
	// Output:
	// 503 1 UPSTREAM_ERROR true
	// 200   false
	// 2
}
