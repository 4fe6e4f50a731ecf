package mcp_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// mcpBody is a tools/call at protocol revision 2026-07-28 (one self-contained POST).
const mcpBody = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"github_get_repository_tool",` +
	`"arguments":{"owner":"acme","repo":"web"},` +
	`"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}`

// BenchmarkMCPCall and BenchmarkRESTCall run github get_repository one call at a time against a
// live gateway and sandbox, as a tool call and as REST ExecuteAction: the MCP face's cost is their
// difference (go test -bench 'MCPCall|RESTCall' -count 3 ./internal/mcp).
func BenchmarkMCPCall(b *testing.B)  { benchCalls(b, true) }
func BenchmarkRESTCall(b *testing.B) { benchCalls(b, false) }

func benchCalls(b *testing.B, mcpCall bool) {
	g := startGateway(b)
	token := g.user(b, "bench", "github")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var req *http.Request
		if mcpCall {
			req, _ = http.NewRequest(http.MethodPost, g.base+"/mcp", strings.NewReader(mcpBody))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json, text/event-stream")
			req.Header.Set("Mcp-Protocol-Version", "2026-07-28")
			req.Header.Set("Mcp-Method", "tools/call")
			req.Header.Set("Mcp-Name", "github_get_repository_tool")
		} else {
			req, _ = http.NewRequest(http.MethodPost, g.base+"/v1/connectors/github/actions/get_repository:execute",
				strings.NewReader(`{"input":{"owner":"acme","repo":"web"}}`))
		}
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), "acme/web") {
			b.Fatalf("%d %s", resp.StatusCode, body)
		}
	}
}
