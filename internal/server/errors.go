package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"
	"google.golang.org/protobuf/types/known/durationpb"

	"bosa.dev/gateway/bosaclient"
	"bosa.dev/gateway/schema"
)

// ErrorDomain is the google.rpc.ErrorInfo domain of every error the gateway returns.
const ErrorDomain = "bosa.dev"

// Reasons are the stable google.rpc.ErrorInfo reasons the gateway returns. Callers branch on these,
// never on message text. Metadata keys "upstream_status" and "upstream_code" carry the upstream's
// HTTP status and error code when the error came from BOSA.
const (
	// ReasonInvalidParameters: the action input failed validation against the action's schema
	// (no upstream call was made); details carry a google.rpc.BadRequest with field violations.
	ReasonInvalidParameters = "INVALID_PARAMETERS"
	// ReasonInvalidRequest: a gateway request field is missing or malformed (BadRequest attached).
	ReasonInvalidRequest = "INVALID_REQUEST"
	// ReasonInvalidPageToken: a page token was altered, expired with a key rotation, or names another action.
	ReasonInvalidPageToken = "INVALID_PAGE_TOKEN"
	// ReasonUpstreamInvalidArgument: BOSA rejected the request (400/422).
	ReasonUpstreamInvalidArgument = "UPSTREAM_INVALID_ARGUMENT"
	// ReasonAPIKeyMissing: neither the gateway nor the caller (x-api-key) provided a BOSA API key.
	ReasonAPIKeyMissing = "API_KEY_MISSING"
	// ReasonMalformedAuthorization: the authorization metadata is not "Bearer <token>".
	ReasonMalformedAuthorization = "MALFORMED_AUTHORIZATION"
	// ReasonUnauthenticated: BOSA answered 401 (unknown key, bad or expired token, wrong secret).
	ReasonUnauthenticated = "UNAUTHENTICATED"
	// ReasonPermissionDenied: BOSA answered 403.
	ReasonPermissionDenied = "PERMISSION_DENIED"
	// ReasonNotFound: unknown connector, action, user or integration.
	ReasonNotFound = "NOT_FOUND"
	// ReasonIntegrationMissing: the action needs an integration the user does not have.
	ReasonIntegrationMissing = "INTEGRATION_MISSING"
	// ReasonAlreadyExists: the user or integration already exists.
	ReasonAlreadyExists = "ALREADY_EXISTS"
	// ReasonRateLimited: BOSA answered 429; a google.rpc.RetryInfo says when to retry.
	ReasonRateLimited = "RATE_LIMITED"
	// ReasonUpstreamUnavailable: BOSA answered 5xx or could not be reached.
	ReasonUpstreamUnavailable = "UPSTREAM_UNAVAILABLE"
	// ReasonDeadlineExceeded: the caller's deadline passed before BOSA answered.
	ReasonDeadlineExceeded = "DEADLINE_EXCEEDED"
	// ReasonCanceled: the caller cancelled the call.
	ReasonCanceled = "CANCELED"
	// ReasonResponseTooLarge: the upstream answer exceeds the gateway's size limit.
	ReasonResponseTooLarge = "RESPONSE_TOO_LARGE"
	// ReasonPagingStalled: the upstream reports another page but gives no way to reach it.
	ReasonPagingStalled = "UPSTREAM_PAGING_STALLED"
	// ReasonUpstreamMalformed: BOSA answered 2xx with a body that is not the JSON it promised (the
	// action may have run; the call is not retried).
	ReasonUpstreamMalformed = "UPSTREAM_MALFORMED_RESPONSE"
	// ReasonCallerRateLimited: the gateway's own per-caller rate limit (not BOSA's) was exceeded; a
	// google.rpc.RetryInfo says when to retry.
	ReasonCallerRateLimited = "CALLER_RATE_LIMITED"
	// ReasonShuttingDown: the gateway is shutting down and ended a Paginate stream at a page
	// boundary; resume elsewhere with the page_token of the last page received (also in the
	// ErrorInfo metadata "resume_page_token").
	ReasonShuttingDown = "GATEWAY_SHUTTING_DOWN"
	// ReasonUploadIdle: an UploadFiles stream sent no message (or did not end after finish) for
	// the gateway's upload idle timeout; the upload was aborted and nothing stored.
	ReasonUploadIdle = "UPLOAD_IDLE"
	// ReasonUpstreamError: any other upstream failure.
	ReasonUpstreamError = "UPSTREAM_ERROR"
	// ReasonInternal: a bug in the gateway (a recovered panic, an unexpected value).
	ReasonInternal = "INTERNAL"
)

// defaultRetryDelay is advertised in RetryInfo for a 429 without Retry-After.
const defaultRetryDelay = time.Second

// Error is a gateway error with its gRPC code and ErrorInfo reason; it implements GRPCStatus, so
// returning it from a handler yields the full status with details.
type Error struct {
	Code    codes.Code
	Reason  string
	Message string
	// Metadata goes into ErrorInfo.metadata.
	Metadata map[string]string
	// Violations, when set, become a google.rpc.BadRequest detail.
	Violations []*errdetails.BadRequest_FieldViolation
	// RetryDelay, when positive, becomes a google.rpc.RetryInfo detail.
	RetryDelay time.Duration
}

// Error returns the public message.
func (e *Error) Error() string { return e.Message }

// GRPCStatus builds the status with ErrorInfo and the optional BadRequest and RetryInfo details.
// The message and violations are bounded (they may quote caller input, or BOSA quoting it).
func (e *Error) GRPCStatus() *status.Status {
	st := status.New(e.Code, bounded(e.Message))
	details := []protoadapt.MessageV1{&errdetails.ErrorInfo{Reason: e.Reason, Domain: ErrorDomain, Metadata: e.Metadata}}
	if len(e.Violations) > 0 {
		vs := make([]*errdetails.BadRequest_FieldViolation, len(e.Violations))
		for i, v := range e.Violations {
			vs[i] = &errdetails.BadRequest_FieldViolation{Field: bounded(v.GetField()), Description: bounded(v.GetDescription())}
		}
		details = append(details, &errdetails.BadRequest{FieldViolations: vs})
	}
	if e.RetryDelay > 0 {
		details = append(details, &errdetails.RetryInfo{RetryDelay: durationpb.New(e.RetryDelay)})
	}
	withDetails, err := st.WithDetails(details...)
	if err != nil {
		return st
	}
	return withDetails
}

// maxMessageBytes bounds a status message, and each field and description of a BadRequest.
const maxMessageBytes = 1 << 10

// bounded cuts s to maxMessageBytes (at a character boundary), saying so.
func bounded(s string) string {
	if len(s) <= maxMessageBytes {
		return s
	}
	cut := maxMessageBytes
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "… (cut at " + strconv.Itoa(maxMessageBytes) + " bytes)"
}

// invalidRequest is an INVALID_ARGUMENT for a malformed gateway request field.
func invalidRequest(field, description string) *Error {
	return &Error{
		Code: codes.InvalidArgument, Reason: ReasonInvalidRequest, Message: field + ": " + description,
		Violations: []*errdetails.BadRequest_FieldViolation{{Field: field, Description: description}},
	}
}

// toStatus is THE one place that maps errors of bosaclient, schema and the context to gRPC status
// errors. Every handler returns its errors through it. Messages are the upstream's public message or a
// fixed text: never keys, tokens or request bodies.
func toStatus(err error) error {
	if err == nil {
		return nil
	}
	var ge *Error
	if errors.As(err, &ge) {
		return ge.GRPCStatus().Err()
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	return classify(err).GRPCStatus().Err()
}

// classify turns a non-gateway error into an *Error.
func classify(err error) *Error {
	var (
		ve  *schema.ValidationError
		api *bosaclient.APIError
		ne  *bosaclient.NetworkError
	)
	switch {
	case errors.Is(err, context.DeadlineExceeded) && !errors.As(err, &ne):
		return &Error{Code: codes.DeadlineExceeded, Reason: ReasonDeadlineExceeded, Message: "deadline exceeded before BOSA answered"}
	case errors.Is(err, context.Canceled):
		return &Error{Code: codes.Canceled, Reason: ReasonCanceled, Message: "call cancelled"}
	case errors.As(err, &ve):
		e := &Error{Code: codes.InvalidArgument, Reason: ReasonInvalidParameters, Message: ve.Error()}
		for _, v := range ve.Violations {
			field := "input"
			if v.Field != "" {
				field = "input." + v.Field
			}
			e.Violations = append(e.Violations, &errdetails.BadRequest_FieldViolation{Field: field, Description: v.Description})
		}
		return e
	case errors.As(err, &api):
		return classifyAPIError(api)
	case errors.As(err, &ne):
		return &Error{Code: codes.Unavailable, Reason: ReasonUpstreamUnavailable, Message: "BOSA is unreachable"}
	case errors.Is(err, bosaclient.ErrResponseTooLarge):
		return &Error{Code: codes.ResourceExhausted, Reason: ReasonResponseTooLarge, Message: "BOSA response exceeds the gateway's size limit"}
	case errors.Is(err, bosaclient.ErrNotFile):
		return &Error{Code: codes.FailedPrecondition, Reason: ReasonUpstreamError,
			Message: "the action returned JSON data, not a file; call it with ExecuteAction"}
	case errors.Is(err, bosaclient.ErrNoProgress):
		return &Error{Code: codes.Internal, Reason: ReasonPagingStalled, Message: "BOSA reports another page but gives no way to reach it"}
	case errors.Is(err, bosaclient.ErrNotFound):
		// Discovery does not list the connector or action; bosaclient's message names it.
		return &Error{Code: codes.NotFound, Reason: ReasonNotFound, Message: trimClientPrefix(err.Error())}
	case errors.Is(err, bosaclient.ErrInvalidArgument):
		return &Error{Code: codes.InvalidArgument, Reason: ReasonInvalidParameters, Message: trimClientPrefix(err.Error())}
	case malformedJSON(err):
		return &Error{Code: codes.Unknown, Reason: ReasonUpstreamMalformed,
			Message: "BOSA answered with malformed JSON; the action may have run upstream, so it was not retried"}
	}
	return &Error{Code: codes.Internal, Reason: ReasonInternal, Message: "internal error"}
}

// classifyAPIError maps a non-2xx BOSA answer per the table of the gateway issue.
func classifyAPIError(api *bosaclient.APIError) *Error {
	e := &Error{Message: api.Message, Metadata: map[string]string{"upstream_status": strconv.Itoa(api.StatusCode)}}
	if api.Code != "" {
		e.Metadata["upstream_code"] = api.Code
	}
	switch {
	case api.Is(bosaclient.ErrIntegrationMissing):
		e.Code, e.Reason = codes.FailedPrecondition, ReasonIntegrationMissing
	case api.Is(bosaclient.ErrNotFound):
		e.Code, e.Reason = codes.NotFound, ReasonNotFound
	case api.Is(bosaclient.ErrUnauthenticated):
		e.Code, e.Reason = codes.Unauthenticated, ReasonUnauthenticated
	case api.Is(bosaclient.ErrPermissionDenied):
		e.Code, e.Reason = codes.PermissionDenied, ReasonPermissionDenied
	case api.Is(bosaclient.ErrAlreadyExists):
		e.Code, e.Reason = codes.AlreadyExists, ReasonAlreadyExists
	case api.Is(bosaclient.ErrInvalidArgument):
		e.Code, e.Reason = codes.InvalidArgument, ReasonUpstreamInvalidArgument
	case api.Is(bosaclient.ErrRateLimited):
		e.Code, e.Reason = codes.ResourceExhausted, ReasonRateLimited
		e.RetryDelay = api.RetryAfter
		if e.RetryDelay <= 0 {
			e.RetryDelay = defaultRetryDelay
		}
	case api.Is(bosaclient.ErrUnavailable):
		e.Code, e.Reason = codes.Unavailable, ReasonUpstreamUnavailable
	case api.StatusCode == http.StatusOK:
		// A select/remove answer with "success": false.
		e.Code, e.Reason = codes.FailedPrecondition, ReasonUpstreamError
	default:
		e.Code, e.Reason = codes.Unknown, ReasonUpstreamError
	}
	if e.Message == "" {
		e.Message = http.StatusText(api.StatusCode)
	}
	if e.Reason == ReasonIntegrationMissing && api.Connector != "" {
		// BOSA's message quotes the integration named in x-bosa-integration (a header value, never
		// echoed) and names BOSA's own routes: say it in the gateway's words, with the fix.
		e.Metadata["connector"] = api.Connector
		e.Message = "no " + api.Connector + " integration to act with: the user has linked none, or none by the name sent in " +
			"x-bosa-integration; link an account with IntegrationService.InitiateIntegration (REST: POST /v1/connectors/" +
			api.Connector + "/integrations:initiate), or name a linked one in x-bosa-integration (ListIntegrations shows them)"
	}
	return e
}

// malformedJSON reports an upstream body that failed to decode: the only JSON the gateway decodes
// with encoding/json is upstream answers.
func malformedJSON(err error) bool {
	var (
		se *json.SyntaxError
		te *json.UnmarshalTypeError
	)
	return errors.As(err, &se) || errors.As(err, &te)
}

// trimClientPrefix drops bosaclient's "bosaclient: " prefix from a local error's message.
func trimClientPrefix(s string) string {
	const p = "bosaclient: "
	if len(s) > len(p) && s[:len(p)] == p {
		return s[len(p):]
	}
	return s
}
