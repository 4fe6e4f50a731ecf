package sandbox_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
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
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		fmt.Println(res.StatusCode, res.Header.Get("Retry-After"), strings.TrimSpace(string(body)))
	}
	fmt.Println(srv.Calls("", "discovery").Total)
	// Output:
	// 503 1 {"error":{"code":"UPSTREAM_ERROR","message":"Service Unavailable (injected fault)"}}
	// 200  ["github","google_drive"]
	// 2
}
