package gatewayclient

import (
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/status"

	bosav1 "bosa.dev/gateway/gen/bosa/v1"
)

// Domain is the google.rpc.ErrorInfo domain of the gateway's own errors.
const Domain = "bosa.dev"

// ErrorInfo returns the error's google.rpc.ErrorInfo, or nil.
func ErrorInfo(err error) *errdetails.ErrorInfo {
	return detail[*errdetails.ErrorInfo](err)
}

// ReasonOf returns the gateway's ErrorInfo reason of err as the generated enum;
// ERROR_REASON_UNSPECIFIED when err carries none, another domain's, or one newer than this client.
func ReasonOf(err error) bosav1.ErrorReason {
	info := ErrorInfo(err)
	if info == nil || info.GetDomain() != Domain {
		return bosav1.ErrorReason_ERROR_REASON_UNSPECIFIED
	}
	return bosav1.ErrorReason(bosav1.ErrorReason_value[info.GetReason()])
}

// RetryDelay returns how long to wait before retrying (google.rpc.RetryInfo), and whether err says.
func RetryDelay(err error) (time.Duration, bool) {
	info := detail[*errdetails.RetryInfo](err)
	if info == nil {
		return 0, false
	}
	return info.GetRetryDelay().AsDuration(), true
}

// FieldViolations returns the google.rpc.BadRequest field violations as field -> description.
func FieldViolations(err error) map[string]string {
	bad := detail[*errdetails.BadRequest](err)
	if bad == nil {
		return nil
	}
	out := make(map[string]string, len(bad.GetFieldViolations()))
	for _, v := range bad.GetFieldViolations() {
		out[v.GetField()] = v.GetDescription()
	}
	return out
}

func detail[T any](err error) T {
	var zero T
	st, ok := status.FromError(err)
	if !ok {
		return zero
	}
	for _, d := range st.Details() {
		if v, ok := d.(T); ok {
			return v
		}
	}
	return zero
}
