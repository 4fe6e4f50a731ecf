package main

import (
	"io"
	"testing"
	"time"

	"bosa.dev/gateway/internal/server"
)

// TestLimitFlags: the protection, size-limit and transport-security settings have flags and
// environment variables, flags winning.
func TestLimitFlags(t *testing.T) {
	t.Setenv("BOSA_RATE_LIMIT", "2.5")
	t.Setenv("BOSA_MAX_UPSTREAM_CONCURRENCY", "16")
	t.Setenv("BOSA_TLS_CLIENT_CA", "/etc/bosa/env-ca.pem")
	t.Setenv("BOSA_HTTP_READ_HEADER_TIMEOUT", "3s")
	t.Setenv("BOSA_DEFAULT_ATTEMPTS", "3")
	o, err := parse([]string{"--rate-burst", "10", "--tls-client-ca", "/etc/bosa/ca.pem", "--max-retry-after", "5s",
		"--retry-base-delay", "100ms", "--http-read-timeout", "30s", "--http-idle-timeout", "1m", "--upstream-timeout", "7s"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	c := o.cfg
	if c.RateLimit != 2.5 || c.RateBurst != 10 || c.MaxUpstreamConcurrency != 16 || c.TLSClientCAFile != "/etc/bosa/ca.pem" {
		t.Errorf("limits: rate %v burst %d upstream %d client CA %q", c.RateLimit, c.RateBurst, c.MaxUpstreamConcurrency, c.TLSClientCAFile)
	}
	if c.ReadHeaderTimeout != 3*time.Second || c.ReadTimeout != 30*time.Second || c.IdleTimeout != time.Minute ||
		c.MaxRetryAfter != 5*time.Second || c.RetryBaseDelay != 100*time.Millisecond {
		t.Errorf("timeouts: %v %v %v %v %v", c.ReadHeaderTimeout, c.ReadTimeout, c.IdleTimeout, c.MaxRetryAfter, c.RetryBaseDelay)
	}
	if c.MaxJSONBodyBytes != server.DefaultMaxJSONBodyBytes {
		t.Errorf("JSON body limit %d without flag or variable, want the default", c.MaxJSONBodyBytes)
	}
	t.Setenv("BOSA_MAX_JSON_BODY_BYTES", "1048576")
	if o, err := parse(nil, io.Discard); err != nil || o.cfg.MaxJSONBodyBytes != 1<<20 {
		t.Errorf("BOSA_MAX_JSON_BODY_BYTES: %v, %+v", err, o)
	}
	if o, err := parse([]string{"--max-json-body-bytes", "2097152"}, io.Discard); err != nil || o.cfg.MaxJSONBodyBytes != 2<<20 {
		t.Errorf("--max-json-body-bytes over the variable: %v, %+v", err, o)
	}
	if c.DefaultAttempts != 3 || c.UpstreamTimeout != 7*time.Second {
		t.Errorf("upstream attempts: default %d, timeout %v", c.DefaultAttempts, c.UpstreamTimeout)
	}
	t.Setenv("BOSA_RATE_LIMIT", "fast")
	if _, err := parse(nil, io.Discard); err == nil {
		t.Error("BOSA_RATE_LIMIT=fast accepted")
	}
}
