package server

import (
	"strconv"
	"testing"
	"time"
)

// TestCallerLimitsForgetIdleCallers: the per-caller buckets do not grow with every caller ever
// seen: a bucket idle long enough to be full again is dropped (a new one is equivalent).
func TestCallerLimitsForgetIdleCallers(t *testing.T) {
	c := newCallerLimits(10, 5) // refills in 0.5 s
	now := time.Now()
	for i := 0; i < 1000; i++ {
		if ok, _ := c.allow("caller-"+strconv.Itoa(i), now); !ok {
			t.Fatalf("caller %d refused its first call", i)
		}
	}
	for i := 0; i < 4; i++ {
		c.allow("busy", now)
	}
	if ok, _ := c.allow("busy", now); !ok {
		t.Fatal("the fifth call of a burst of 5 was refused")
	}
	if ok, wait := c.allow("busy", now); ok || wait <= 0 || wait > 100*time.Millisecond {
		t.Fatalf("sixth call: allowed %v, wait %v; want refused with a wait of at most 1/rate", ok, wait)
	}
	later := now.Add(2 * time.Second)
	c.allow("newcomer", later)
	if n := len(c.buckets); n != 1 {
		t.Errorf("%d buckets after every other caller went idle, want 1", n)
	}
}
