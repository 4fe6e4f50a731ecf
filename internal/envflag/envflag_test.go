package envflag

import (
	"bytes"
	"errors"
	"flag"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	type values struct {
		addr   string
		n      int
		on     bool
		wait   time.Duration
		secret string
	}
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    values
		wantErr string
	}{
		{"defaults", nil, nil, values{addr: "127.0.0.1:1", n: 3, wait: time.Second}, ""},
		{"environment", nil, map[string]string{"T_ADDR": ":2", "T_N": "4", "T_ON": "true", "T_WAIT": "1m", "T_SECRET": "s"},
			values{addr: ":2", n: 4, on: true, wait: time.Minute, secret: "s"}, ""},
		{"flags win", []string{"--addr", ":5", "--on=false"}, map[string]string{"T_ADDR": ":2", "T_ON": "true"},
			values{addr: ":5", n: 3, wait: time.Second}, ""},
		{"empty variable is unset", nil, map[string]string{"T_N": ""}, values{addr: "127.0.0.1:1", n: 3, wait: time.Second}, ""},
		{"malformed variable", nil, map[string]string{"T_N": "many"}, values{}, "T_N: "},
		{"malformed flag", []string{"--wait", "soon"}, nil, values{}, "invalid value"},
		{"positional argument", []string{"serve"}, nil, values{}, "unexpected arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got values
			s := New("t", func(k string) string { return tt.env[k] }, &bytes.Buffer{})
			s.String(&got.addr, "addr", "T_ADDR", "127.0.0.1:1", "address")
			s.Int(&got.n, "n", "T_N", 3, "count")
			s.Bool(&got.on, "on", "T_ON", "switch")
			s.Duration(&got.wait, "wait", "T_WAIT", time.Second, "wait")
			s.String(&got.secret, "secret", "T_SECRET", "", "secret")
			err := s.Parse(tt.args)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestHelp: -help names each variable and never shows a variable's value.
func TestHelp(t *testing.T) {
	var out bytes.Buffer
	var key string
	s := New("t", func(string) string { return "sk-secret-from-env" }, &out)
	s.String(&key, "api-key", "T_API_KEY", "", "the key")
	if err := s.Parse([]string{"-help"}); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("-help: %v", err)
	}
	if !strings.Contains(out.String(), "(env T_API_KEY)") || strings.Contains(out.String(), "sk-secret-from-env") {
		t.Errorf("help:\n%s", out.String())
	}
}
