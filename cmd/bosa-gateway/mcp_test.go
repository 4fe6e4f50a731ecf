package main

import (
	"io"
	"testing"

	"bosa.dev/gateway/internal/mcp"
)

func TestMCPMaxFileBytes(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  string
		args []string
		want int
	}{
		{"default", "", nil, mcp.DefaultMaxFileBytes},
		{"environment", "2048", nil, 2048},
		{"flag wins", "2048", []string{"--mcp-max-file-bytes", "4096"}, 4096},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("BOSA_MCP_MAX_FILE_BYTES", tc.env)
			o, err := parse(tc.args, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if o.cfg.MCPMaxFileBytes != tc.want {
				t.Errorf("MCPMaxFileBytes %d, want %d", o.cfg.MCPMaxFileBytes, tc.want)
			}
		})
	}
}
