package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"
	"google.golang.org/protobuf/types/known/durationpb"

	"bosa.dev/gateway/bosaclient"
	bosav1 "bosa.dev/gateway/gen/bosa/v1"
	"bosa.dev/gateway/schema"
)

// ErrorDomain is the google.rpc.ErrorInfo domain of every error the gateway returns.
const ErrorDomain = "bosa.dev"

// Reasons are the stable google.rpc.ErrorInfo reasons the gateway returns: the values of the API's
// bosa.v1.ErrorReason enum (documented there), whose String() is the reason on the wire, so every
// generated client has them as constants. Callers branch on these, never on message text.
const (
	ReasonInvalidParameters       = bosav1.ErrorReason_INVALID_PARAMETERS
	ReasonInvalidRequest          = bosav1.ErrorReason_INVALID_REQUEST
	ReasonInvalidPageToken        = bosav1.ErrorReason_INVALID_PAGE_TOKEN
	ReasonUpstreamInvalidArgument = bosav1.ErrorReason_UPSTREAM_INVALID_ARGUMENT
	ReasonAPIKeyMissing           = bosav1.ErrorReason_API_KEY_MISSING
	ReasonMalformedAuthorization  = bosav1.ErrorReason_MALFORMED_AUTHORIZATION
	ReasonUnauthenticated         = bosav1.ErrorReason_UNAUTHENTICATED
	ReasonPermissionDenied        = bosav1.ErrorReason_PERMISSION_DENIED
	ReasonNotFound                = bosav1.ErrorReason_NOT_FOUND
	ReasonIntegrationMissing      = bosav1.ErrorReason_INTEGRATION_MISSING
	ReasonAlreadyExists           = bosav1.ErrorReason_ALREADY_EXISTS
	ReasonRateLimited             = bosav1.ErrorReason_RATE_LIMITED
	ReasonUpstreamUnavailable     = bosav1.ErrorReason_UPSTREAM_UNAVAILABLE
	ReasonDeadlineExceeded        = bosav1.ErrorReason_DEADLINE_EXCEEDED
	ReasonCanceled                = bosav1.ErrorReason_CANCELED
	ReasonResponseTooLarge        = bosav1.ErrorReason_RESPONSE_TOO_LARGE
	ReasonPagingStalled           = bosav1.ErrorReason_UPSTREAM_PAGING_STALLED
	ReasonUpstreamMalformed       = bosav1.ErrorReason_UPSTREAM_MALFORMED_RESPONSE
	ReasonCallerRateLimited       = bosav1.ErrorReason_CALLER_RATE_LIMITED
	ReasonShuttingDown            = bosav1.ErrorReason_GATEWAY_SHUTTING_DOWN
	ReasonUploadIdle              = bosav1.ErrorReason_UPLOAD_IDLE
	ReasonUpstreamError           = bosav1.ErrorReason_UPSTREAM_ERROR
	ReasonInternal                = bosav1.ErrorReason_INTERNAL
	ReasonRequestIDReused         = bosav1.ErrorReason_REQUEST_ID_REUSED
	ReasonSkillChecksumMismatch   = bosav1.ErrorReason_SKILL_CHECKSUM_MISMATCH
	ReasonSkillArchiveUnsafe      = bosav1.ErrorReason_SKILL_ARCHIVE_UNSAFE
	ReasonSkillNotDownloadable    = bosav1.ErrorReason_SKILL_NOT_DOWNLOADABLE
	ReasonRequestTooLarge         = bosav1.ErrorReason_REQUEST_TOO_LARGE
)

// maxViolations bounds the field violations one error carries.
const maxViolations = 20

// defaultRetryDelay is advertised in RetryInfo for a retryable failure (or a 429) without a wait.
const defaultRetryDelay = time.Second

// Error is a gateway error with its gRPC code and ErrorInfo reason; it implements GRPCStatus, so
// returning it from a handler yields the full status with details.
type Error struct {
	Code    codes.Code
	Reason  bosav1.ErrorReason
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
// The message and violations are bounded (see maxQuoted), so that no error outgrows the trailers
// whatever input it repeats, and everything is made valid UTF-8, so that the details marshal.
// Metadata values are the gateway's own (a resume token must stay whole); those that repeat input
// are clipped where they are set.
func (e *Error) GRPCStatus() *status.Status {
	st := status.New(e.Code, bounded(e.Message))
	var md map[string]string
	if len(e.Metadata) > 0 {
		md = make(map[string]string, len(e.Metadata))
		for k, v := range e.Metadata {
			md[strings.ToValidUTF8(k, "\uFFFD")] = strings.ToValidUTF8(v, "\uFFFD")
		}
	}
	details := []protoadapt.MessageV1{&errdetails.ErrorInfo{Reason: e.Reason.String(), Domain: ErrorDomain, Metadata: md}}
	if len(e.Violations) > 0 {
		bad := &errdetails.BadRequest{}
		for i, v := range e.Violations {
			if i == maxViolations {
				break
			}
			bad.FieldViolations = append(bad.FieldViolations, &errdetails.BadRequest_FieldViolation{
				Field: clip(v.GetField(), maxQuoted), Description: clip(v.GetDescription(), 2*maxQuoted+64)})
		}
		details = append(details, bad)
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
	case errors.Is(err, bosaclient.ErrChecksumMismatch):
		return &Error{Code: codes.DataLoss, Reason: ReasonSkillChecksumMismatch,
			Message: "the skill's artifact does not match its content_sha256; a tenant admin should refresh the skill"}
	case errors.Is(err, bosaclient.ErrUnsafeArchive):
		return &Error{Code: codes.FailedPrecondition, Reason: ReasonSkillArchiveUnsafe, Message: bounded(trimClientPrefix(err.Error()))}
	case errors.Is(err, bosaclient.ErrSkillNotDownloadable):
		return &Error{Code: codes.FailedPrecondition, Reason: ReasonSkillNotDownloadable, Message: bounded(trimClientPrefix(err.Error()))}
	case errors.Is(err, bosaclient.ErrNoProgress):
		return &Error{Code: codes.Internal, Reason: ReasonPagingStalled, Message: "BOSA reports another page but gives no way to reach it"}
	case errors.Is(err, bosaclient.ErrNotFound):
		// Discovery does not list the connector or action; bosaclient's message names it.
		return &Error{Code: codes.NotFound, Reason: ReasonNotFound, Message: bounded(trimClientPrefix(err.Error()))}
	case errors.Is(err, bosaclient.ErrInvalidArgument):
		return &Error{Code: codes.InvalidArgument, Reason: ReasonInvalidParameters, Message: trimClientPrefix(err.Error())}
	case malformedJSON(err):
		return &Error{Code: codes.Unknown, Reason: ReasonUpstreamMalformed,
			Message: "BOSA answered with malformed JSON; the action may have run upstream, so it was not retried"}
	}
	return &Error{Code: codes.Internal, Reason: ReasonInternal, Message: "internal error"}
}

// classifyAPIError maps a non-2xx BOSA answer: BOSA's error codes first (an integration or user
// that exists or is missing), then upstreamCodes by HTTP status.
func classifyAPIError(api *bosaclient.APIError) *Error {
	e := &Error{Message: api.Message, Metadata: map[string]string{"upstream_status": strconv.Itoa(api.StatusCode)}}
	if api.Code != "" {
		e.Metadata["upstream_code"] = clip(api.Code, maxQuoted)
	}
	switch {
	case api.Is(bosaclient.ErrIntegrationMissing):
		e.Code, e.Reason = codes.FailedPrecondition, ReasonIntegrationMissing
	case api.Is(bosaclient.ErrAlreadyExists):
		e.Code, e.Reason = codes.AlreadyExists, ReasonAlreadyExists
	case api.StatusCode == http.StatusOK:
		// A select/remove answer with "success": false.
		e.Code, e.Reason = codes.FailedPrecondition, ReasonUpstreamError
	default:
		e.Code, e.Reason = upstreamCode(api.StatusCode)
	}
	if api.RequestID != "" {
		e.Metadata["upstream_request_id"] = api.RequestID
	}
	switch rec := api.Recovery; {
	case rec != nil:
		// BOSA's own advice (error contract 2): RetryInfo exactly when a retry can succeed.
		if rec.Retryable {
			e.RetryDelay = api.RetryAfter
			if rec.RetryAfterSeconds != nil {
				e.RetryDelay = time.Duration(*rec.RetryAfterSeconds) * time.Second
			}
			if e.RetryDelay <= 0 {
				e.RetryDelay = defaultRetryDelay
			}
		}
	case e.Reason == ReasonRateLimited:
		e.RetryDelay = api.RetryAfter
		if e.RetryDelay <= 0 {
			e.RetryDelay = defaultRetryDelay
		}
	}
	if e.Message == "" {
		e.Message = http.StatusText(api.StatusCode)
	}
	if e.Message == "" {
		e.Message = "BOSA answered HTTP " + strconv.Itoa(api.StatusCode)
	}
	if e.Reason == ReasonIntegrationMissing && api.Connector != "" {
		// BOSA's message quotes the integration named in x-bosa-integration (a header value, never
		// echoed) and names BOSA's own routes: say it in the gateway's words, with the fix.
		connector := clip(api.Connector, maxQuoted)
		e.Metadata["connector"] = connector
		e.Message = "no " + connector + " integration to act with: the user has linked none, or none by the name sent in " +
			"x-bosa-integration; link an account with IntegrationService.InitiateIntegration (REST: POST /v1/connectors/" +
			connector + "/integrations:initiate), or name a linked one in x-bosa-integration (ListIntegrations shows them)"
	}
	return e
}

// upstreamCodes maps BOSA's HTTP error statuses to gRPC codes and reasons; statuses not listed
// fall back by class in upstreamCode, so no 4xx or 5xx answer is UNKNOWN. docs/api-design.md
// has the table.
var upstreamCodes = map[int]struct {
	code   codes.Code
	reason bosav1.ErrorReason
}{
	http.StatusBadRequest:                   {codes.InvalidArgument, ReasonUpstreamInvalidArgument},
	http.StatusUnauthorized:                 {codes.Unauthenticated, ReasonUnauthenticated},
	http.StatusPaymentRequired:              {codes.PermissionDenied, ReasonPermissionDenied},
	http.StatusForbidden:                    {codes.PermissionDenied, ReasonPermissionDenied},
	http.StatusNotFound:                     {codes.NotFound, ReasonNotFound},
	http.StatusMethodNotAllowed:             {codes.Unimplemented, ReasonUpstreamError},
	http.StatusRequestTimeout:               {codes.Unavailable, ReasonUpstreamUnavailable},
	http.StatusConflict:                     {codes.AlreadyExists, ReasonAlreadyExists},
	http.StatusGone:                         {codes.NotFound, ReasonNotFound},
	http.StatusRequestEntityTooLarge:        {codes.InvalidArgument, ReasonUpstreamInvalidArgument},
	http.StatusRequestURITooLong:            {codes.InvalidArgument, ReasonUpstreamInvalidArgument},
	http.StatusUnsupportedMediaType:         {codes.InvalidArgument, ReasonUpstreamInvalidArgument},
	http.StatusRequestedRangeNotSatisfiable: {codes.OutOfRange, ReasonUpstreamInvalidArgument},
	http.StatusUnprocessableEntity:          {codes.InvalidArgument, ReasonUpstreamInvalidArgument},
	http.StatusLocked:                       {codes.Aborted, ReasonUpstreamError},
	http.StatusTooEarly:                     {codes.Unavailable, ReasonUpstreamUnavailable},
	http.StatusTooManyRequests:              {codes.ResourceExhausted, ReasonRateLimited},
	http.StatusRequestHeaderFieldsTooLarge:  {codes.InvalidArgument, ReasonUpstreamInvalidArgument},
	http.StatusUnavailableForLegalReasons:   {codes.PermissionDenied, ReasonPermissionDenied},
	http.StatusMisdirectedRequest:           {codes.Unavailable, ReasonUpstreamUnavailable},
	http.StatusNotImplemented:               {codes.Unimplemented, ReasonUpstreamError},
	http.StatusHTTPVersionNotSupported:      {codes.Unimplemented, ReasonUpstreamError},
	http.StatusInsufficientStorage:          {codes.ResourceExhausted, ReasonUpstreamError},
	http.StatusGatewayTimeout:               {codes.Unavailable, ReasonUpstreamUnavailable},
}

// upstreamCode returns the code and reason of an upstream HTTP status: upstreamCodes, else other
// 4xx are FAILED_PRECONDITION (BOSA refused the request as it stands) and other 5xx UNAVAILABLE
// (BOSA failed; retry with backoff). Anything else is UNKNOWN.
func upstreamCode(status int) (codes.Code, bosav1.ErrorReason) {
	if c, ok := upstreamCodes[status]; ok {
		return c.code, c.reason
	}
	switch {
	case status >= 400 && status < 500:
		return codes.FailedPrecondition, ReasonUpstreamError
	case status >= 500 && status < 600:
		return codes.Unavailable, ReasonUpstreamUnavailable
	}
	return codes.Unknown, ReasonUpstreamError
}

// notFoundIfMissing makes an upstream "integration not found" NOT_FOUND: for an action it is
// INTEGRATION_MISSING (link one first), but GetIntegration, SelectIntegration and
// DeleteIntegration name the integration, so its absence is NOT_FOUND (AIP-131, AIP-135).
func notFoundIfMissing(err error, connector, uid string) error {
	if !errors.Is(err, bosaclient.ErrIntegrationMissing) {
		return err
	}
	e := classify(err)
	e.Code, e.Reason = codes.NotFound, ReasonNotFound
	e.Message = "integration " + quote(uid) + " of connector " + quote(connector) + " not found"
	delete(e.Metadata, "connector")
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
