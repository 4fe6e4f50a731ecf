package bosaclient

import (
	"regexp"
	"strings"
	"testing"
)

// TestValidRequestID: a request id is kept when it is 1–128 of [A-Za-z0-9._:-] (the reference
// client's pattern) and does not look like a credential; anything else is dropped.
func TestValidRequestID(t *testing.T) {
	pattern := regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`) // the reference client's
	tests := []struct{ in, want string }{
		{"req-123", "req-123"},
		{"  a.b_c:d-E9  ", "a.b_c:d-E9"}, // trimmed
		{"3f2c1a9e-1b2c-4d5e-8f90-123456789abc", "3f2c1a9e-1b2c-4d5e-8f90-123456789abc"},
		{strings.Repeat("x", 128), strings.Repeat("x", 128)},
		{strings.Repeat("x", 129), ""},
		{"", ""},
		{"has space", ""},
		{"new\nline", ""},
		{"trailing\n", "trailing"}, // trimmed first
		{"slash/x", ""},
		{"é", ""},
		{"a+b", ""},
		{"eyJhbGciOi.eyJzdWIi.sig", ""}, // a JWT
		{"ghp_abcdef", ""},
		{"github_pat_abc", ""},
	}
	for _, tt := range tests {
		if got := validRequestID(tt.in); got != tt.want {
			t.Errorf("validRequestID(%q) = %q, want %q", tt.in, got, tt.want)
		}
		trimmed := strings.TrimSpace(tt.in)
		if isRequestID(trimmed) != pattern.MatchString(trimmed) {
			t.Errorf("isRequestID(%q) = %v, the pattern says %v", trimmed, isRequestID(trimmed), !isRequestID(trimmed))
		}
	}
	for c := 0; c < 256; c++ {
		s := "a" + string(rune(c)) + "b"
		if isRequestID(s) != pattern.MatchString(s) {
			t.Errorf("character %q: isRequestID %v, the pattern %v", rune(c), isRequestID(s), pattern.MatchString(s))
		}
	}
}
