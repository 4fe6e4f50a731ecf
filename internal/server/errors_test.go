package server

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"bosa.dev/gateway/bosaclient"
	bosav1 "bosa.dev/gateway/gen/bosa/v1"
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
		reason bosav1.ErrorReason
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
		{"418", api(418, ""), codes.FailedPrecondition, ReasonUpstreamError, nil},
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
			if ei == nil || ei.GetReason() != tc.reason.String() || ei.GetDomain() != ErrorDomain {
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

// TestUpstreamStatuses maps every HTTP error status BOSA can send (400-451, 500-511, assigned or
// not) through the one table: none is UNKNOWN, and each named one has its specific code.
func TestUpstreamStatuses(t *testing.T) {
	want := map[int]codes.Code{
		400: codes.InvalidArgument, 401: codes.Unauthenticated, 402: codes.PermissionDenied, 403: codes.PermissionDenied,
		404: codes.NotFound, 405: codes.Unimplemented, 406: codes.FailedPrecondition, 408: codes.Unavailable,
		409: codes.AlreadyExists, 410: codes.NotFound, 412: codes.FailedPrecondition, 413: codes.InvalidArgument,
		414: codes.InvalidArgument, 415: codes.InvalidArgument, 416: codes.OutOfRange, 418: codes.FailedPrecondition,
		421: codes.Unavailable, 422: codes.InvalidArgument, 423: codes.Aborted, 425: codes.Unavailable,
		429: codes.ResourceExhausted, 431: codes.InvalidArgument, 451: codes.PermissionDenied,
		500: codes.Unavailable, 501: codes.Unimplemented, 502: codes.Unavailable, 503: codes.Unavailable,
		504: codes.Unavailable, 505: codes.Unimplemented, 507: codes.ResourceExhausted, 511: codes.Unavailable,
	}
	var statuses []int
	for s := 400; s <= 451; s++ {
		statuses = append(statuses, s)
	}
	for s := 500; s <= 511; s++ {
		statuses = append(statuses, s)
	}
	for _, s := range statuses {
		st := status.Convert(toStatus(&bosaclient.APIError{StatusCode: s}))
		if st.Code() == codes.Unknown || st.Code() == codes.OK {
			t.Errorf("HTTP %d: %v", s, st.Code())
		}
		if c, ok := want[s]; ok && st.Code() != c {
			t.Errorf("HTTP %d: %v, want %v", s, st.Code(), c)
		}
		if st.Message() == "" {
			t.Errorf("HTTP %d: empty message", s)
		}
		var ei *errdetails.ErrorInfo
		for _, d := range st.Details() {
			if v, ok := d.(*errdetails.ErrorInfo); ok {
				ei = v
			}
		}
		if ei.GetReason() == "" || ei.GetMetadata()["upstream_status"] != fmt.Sprint(s) {
			t.Errorf("HTTP %d: ErrorInfo %v", s, ei)
		}
	}
}

// TestErrorBounds: whatever input an error repeats, the status stays small and its details
// marshal (valid UTF-8), so it fits any client's trailers.
func TestErrorBounds(t *testing.T) {
	long := strings.Repeat("é", 8000) + "\xff"
	e := &Error{Code: codes.NotFound, Reason: ReasonNotFound, Message: "connector " + long,
		Metadata:   map[string]string{"connector": clip(long, maxQuoted)},
		Violations: []*errdetails.BadRequest_FieldViolation{{Field: long, Description: long}}}
	st := e.GRPCStatus()
	b, err := proto.Marshal(st.Proto())
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 2048 {
		t.Errorf("status is %d bytes, want at most 2 KiB", len(b))
	}
	if len(st.Details()) != 2 {
		t.Fatalf("details %v, want ErrorInfo and BadRequest", st.Details())
	}
	for _, s := range []string{st.Message(), quote(long)} {
		if !utf8.ValidString(s) {
			t.Errorf("%q is not valid UTF-8", s)
		}
	}
	if q := quote(long); len(q) > maxQuoted+8 || !strings.HasSuffix(q, "...") {
		t.Errorf("quote of a long input: %d bytes %q", len(q), q)
	}
	if q := quote("github"); q != `"github"` {
		t.Errorf("quote(github) = %s", q)
	}
}

// TestErrorReasons: every reason constant is the enum value of the same name, and the wire
// string is the enum value's name.
func TestErrorReasons(t *testing.T) {
	for n, name := range bosav1.ErrorReason_name {
		if n == 0 {
			continue
		}
		e := &Error{Code: codes.Internal, Reason: bosav1.ErrorReason(n), Message: "x"}
		var ei *errdetails.ErrorInfo
		for _, d := range e.GRPCStatus().Details() {
			ei, _ = d.(*errdetails.ErrorInfo)
		}
		if ei.GetReason() != name {
			t.Errorf("reason %d on the wire is %q, want %q", n, ei.GetReason(), name)
		}
	}
}
