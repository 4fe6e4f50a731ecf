package server

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"bosa.dev/gateway/bosaclient"
	"bosa.dev/gateway/schema"
)

// TestToStatus covers the mapping table of errors.go, including cases the sandbox cannot produce
// (409, a 200 "success": false, oversized answers).
func TestToStatus(t *testing.T) {
	api := func(status int, code string) error {
		return fmt.Errorf("wrapped: %w", &bosaclient.APIError{StatusCode: status, Code: code, Message: "upstream says no"})
	}
	for _, tc := range []struct {
		name   string
		err    error
		code   codes.Code
		reason string
		meta   map[string]string
	}{
		{"401", api(401, "UNAUTHORIZED"), codes.Unauthenticated, ReasonUnauthenticated, map[string]string{"upstream_status": "401", "upstream_code": "UNAUTHORIZED"}},
		{"403", api(403, "FORBIDDEN"), codes.PermissionDenied, ReasonPermissionDenied, map[string]string{"upstream_status": "403"}},
		{"404", api(404, "NOT_FOUND"), codes.NotFound, ReasonNotFound, map[string]string{"upstream_status": "404"}},
		{"404 integration", api(404, "INTEGRATION_NOT_FOUND"), codes.FailedPrecondition, ReasonIntegrationMissing, map[string]string{"upstream_code": "INTEGRATION_NOT_FOUND"}},
		{"409", api(409, ""), codes.AlreadyExists, ReasonAlreadyExists, map[string]string{"upstream_status": "409"}},
		{"400 exists", api(400, "INTEGRATION_EXISTS"), codes.AlreadyExists, ReasonAlreadyExists, nil},
		{"400", api(400, "VALIDATION_ERROR"), codes.InvalidArgument, ReasonUpstreamInvalidArgument, nil},
		{"422", api(422, ""), codes.InvalidArgument, ReasonUpstreamInvalidArgument, map[string]string{"upstream_status": "422"}},
		{"429", api(429, "RATE_LIMITED"), codes.ResourceExhausted, ReasonRateLimited, nil},
		{"502", api(502, "UPSTREAM_ERROR"), codes.Unavailable, ReasonUpstreamUnavailable, nil},
		{"200 success false", api(200, ""), codes.FailedPrecondition, ReasonUpstreamError, nil},
		{"418", api(418, ""), codes.Unknown, ReasonUpstreamError, nil},
		{"network", &bosaclient.NetworkError{Method: "POST", Path: "/x", Err: errors.New("connection refused")}, codes.Unavailable, ReasonUpstreamUnavailable, nil},
		{"attempt timeout", &bosaclient.NetworkError{Err: fmt.Errorf("attempt timed out: %w", context.DeadlineExceeded)}, codes.Unavailable, ReasonUpstreamUnavailable, nil},
		{"deadline", fmt.Errorf("x: %w", context.DeadlineExceeded), codes.DeadlineExceeded, ReasonDeadlineExceeded, nil},
		{"canceled", context.Canceled, codes.Canceled, ReasonCanceled, nil},
		{"validation", &bosaclient.ValidationError{Err: &schema.ValidationError{Violations: []schema.Violation{{Field: "owner", Description: "is required"}}}}, codes.InvalidArgument, ReasonInvalidParameters, nil},
		{"unknown action", fmt.Errorf("bosaclient: action a/b: %w", bosaclient.ErrNotFound), codes.NotFound, ReasonNotFound, nil},
		{"too large", fmt.Errorf("x: %w", bosaclient.ErrResponseTooLarge), codes.ResourceExhausted, ReasonResponseTooLarge, nil},
		{"no progress", bosaclient.ErrNoProgress, codes.Internal, ReasonPagingStalled, nil},
		{"bug", errors.New("something odd"), codes.Internal, ReasonInternal, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := status.Convert(toStatus(tc.err))
			if st.Code() != tc.code {
				t.Fatalf("code %v, want %v", st.Code(), tc.code)
			}
			var ei *errdetails.ErrorInfo
			for _, d := range st.Details() {
				if v, ok := d.(*errdetails.ErrorInfo); ok {
					ei = v
				}
			}
			if ei == nil || ei.GetReason() != tc.reason || ei.GetDomain() != ErrorDomain {
				t.Fatalf("ErrorInfo %v, want reason %s", ei, tc.reason)
			}
			for k, v := range tc.meta {
				if ei.GetMetadata()[k] != v {
					t.Errorf("metadata[%s] = %q, want %q", k, ei.GetMetadata()[k], v)
				}
			}
			if st.Message() == "something odd" {
				t.Error("internal error text leaked into the status")
			}
		})
	}
}

func TestRetryInfoDelay(t *testing.T) {
	for _, tc := range []struct {
		after, want time.Duration
	}{{0, defaultRetryDelay}, {7 * time.Second, 7 * time.Second}} {
		st := status.Convert(toStatus(&bosaclient.APIError{StatusCode: 429, RetryAfter: tc.after}))
		var got time.Duration
		for _, d := range st.Details() {
			if ri, ok := d.(*errdetails.RetryInfo); ok {
				got = ri.GetRetryDelay().AsDuration()
			}
		}
		if got != tc.want {
			t.Errorf("Retry-After %v: RetryInfo %v, want %v", tc.after, got, tc.want)
		}
	}
}
