package main

import (
	"context"
	"io"
	"regexp"
	"testing"

	"bosa.dev/gateway/internal/logbuf"
)

// TestVersion: --version prints the build (the Go build information when no -ldflags -X) and exits.
func TestVersion(t *testing.T) {
	out := &logbuf.Buffer{}
	if err := run(context.Background(), []string{"--version"}, out, io.Discard); err != nil {
		t.Fatalf("run --version: %v", err)
	}
	re := regexp.MustCompile(`^bosa-gateway \S+ \(commit \S+, built \S+, go1\.\d+[^)]*\)\n$`)
	if !re.MatchString(out.String()) {
		t.Errorf("--version printed %q, want a match for %s", out.String(), re)
	}
}
