package bosaclient

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestRetryCause: the retry log line names the upstream's status and error code, never its message
// or body (they may echo what the caller sent).
func TestRetryCause(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		want, omit []string
	}{
		{"API error", &APIError{StatusCode: 503, Code: "UNAVAILABLE", Message: "cannot store sk-echoed-secret",
			Body: []byte(`{"detail": "sk-echoed-secret"}`)}, []string{"503", "UNAVAILABLE"}, []string{"sk-echoed-secret"}},
		{"wrapped API error", fmt.Errorf("bosaclient: attempt 1: %w", &APIError{StatusCode: 429, Message: "slow down, user-token-xyz"}),
			[]string{"429"}, []string{"user-token-xyz"}},
		{"network error", &NetworkError{Method: "POST", Path: "/connectors/github/actions/x", Err: errors.New("connection reset")},
			[]string{"connection reset", "/connectors/github/actions/x"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := retryCause(tt.err).String()
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("%q lacks %q", got, w)
				}
			}
			for _, o := range tt.omit {
				if strings.Contains(got, o) {
					t.Errorf("%q carries %q", got, o)
				}
			}
		})
	}
}
