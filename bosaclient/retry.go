package bosaclient

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// RetryPolicy controls retries; it is the only place where they are decided. Retries are opt-in: with
// MaxAttempts 1 (the default, as in the Python SDK) nothing is retried.
//
// Retried: 429, every 5xx, and network errors (*NetworkError, including a per-attempt timeout) — POSTs
// included, because the caller opted in — but never a 2xx whose body was cut off: the action ran, and
// replaying it could run it twice. The wait before retry k (k = 0, 1, …) is
// min(BaseDelay·2^k, MaxDelay) with "equal jitter" (half fixed, half uniform random); when the answer carries
// Retry-After (seconds or an HTTP date) that value is used instead, capped at MaxRetryAfter. A wait that would
// end after the context deadline is not started: the last error is returned at once. Cancelling the context
// aborts both an attempt in flight and a wait.
type RetryPolicy struct {
	// MaxAttempts is the total number of attempts, at least 1.
	MaxAttempts int
	// BaseDelay is the first backoff (default 500 ms).
	BaseDelay time.Duration
	// MaxDelay caps one backoff (default 30 s).
	MaxDelay time.Duration
	// MaxRetryAfter caps a server's Retry-After (default 60 s).
	MaxRetryAfter time.Duration
}

// DefaultRetryPolicy returns the defaults: 1 attempt, 500 ms base, 30 s cap, 60 s Retry-After cap.
func DefaultRetryPolicy() RetryPolicy { return RetryPolicy{MaxAttempts: 1}.withDefaults() }

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts < 1 {
		p.MaxAttempts = 1
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = 500 * time.Millisecond
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = 30 * time.Second
	}
	if p.MaxDelay < p.BaseDelay {
		p.MaxDelay = p.BaseDelay
	}
	if p.MaxRetryAfter <= 0 {
		p.MaxRetryAfter = 60 * time.Second
	}
	return p
}

// backoff is the wait before retry k (0-based) without Retry-After.
func (p RetryPolicy) backoff(k int) time.Duration {
	d := p.BaseDelay
	for i := 0; i < k && d < p.MaxDelay; i++ {
		d *= 2
	}
	if d > p.MaxDelay {
		d = p.MaxDelay
	}
	half := d / 2
	return half + rand.N(half+1)
}

// retryable reports whether err deserves another attempt, and the server's requested wait if any.
func retryable(err error) (bool, time.Duration) {
	var ae *APIError
	if errors.As(err, &ae) {
		if ae.StatusCode == http.StatusTooManyRequests || ae.StatusCode >= 500 {
			return true, ae.RetryAfter
		}
		return false, 0
	}
	var ne *NetworkError
	if errors.As(err, &ne) {
		return ne.Status < 200 || ne.Status > 299, 0 // a cut-off 2xx: the action ran
	}
	return false, 0
}

// do runs fn up to attempts times. fn gets the 1-based attempt number.
func (p RetryPolicy) do(ctx context.Context, log *slog.Logger, req *request, attempts int,
	fn func(ctx context.Context, attempt int) (*response, error)) (*response, error) {
	if attempts < 1 {
		attempts = 1
	}
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("bosaclient: %s %s: %w", req.method, req.path, err)
		}
		resp, err := fn(ctx, attempt)
		if err == nil {
			return resp, nil
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			// The caller's context ended during the attempt: report that, not a transport error.
			return nil, fmt.Errorf("bosaclient: %s %s: %w", req.method, req.path, ctxErr)
		}
		retry, after := retryable(err)
		if !retry || attempt >= attempts {
			return nil, err
		}
		wait := after
		if wait > 0 {
			wait = min(wait, p.MaxRetryAfter)
		} else {
			wait = p.backoff(attempt - 1)
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			log.LogAttrs(ctx, slog.LevelWarn, "bosa retry skipped: wait exceeds deadline",
				slog.String("path", req.path), slog.Int("attempt", attempt), slog.Duration("wait", wait))
			return nil, err
		}
		log.LogAttrs(ctx, slog.LevelWarn, "bosa retry", slog.String("path", req.path),
			slog.Int("attempt", attempt), slog.Duration("wait", wait), retryCause(err))
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("bosaclient: %s %s: %w", req.method, req.path, ctx.Err())
		case <-t.C:
		}
	}
}

// parseRetryAfter parses a Retry-After header: delta seconds or an HTTP date. Invalid or past values are 0.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if !(secs > 0) { // also NaN
			return 0
		}
		if secs >= float64(math.MaxInt64)/float64(time.Second) {
			return time.Duration(math.MaxInt64) // a huge value must not overflow into a negative wait
		}
		return time.Duration(secs * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// retryCause describes a retried failure for the log without the upstream's own words: its message
// and body may echo what the caller sent, so only the status and error code are logged.
func retryCause(err error) slog.Attr {
	var ae *APIError
	if errors.As(err, &ae) {
		return slog.Group("upstream", slog.Int("status", ae.StatusCode), slog.String("code", ae.Code))
	}
	return slog.String("error", err.Error()) // a NetworkError: method, path and the transport's error
}
