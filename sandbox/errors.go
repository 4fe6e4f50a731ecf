package sandbox

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"bosa.dev/gateway/schema"
	"github.com/google/uuid"
)

// Error codes of protocol §12.
const (
	codeValidation          = "VALIDATION_ERROR"
	codeUserExists          = "USER_ALREADY_EXISTS"
	codeIntegrationExists   = "INTEGRATION_EXISTS"
	codeInvalidClient       = "INVALID_CLIENT"
	codeUnauthorized        = "UNAUTHORIZED"
	codeTokenExpired        = "TOKEN_EXPIRED"
	codeForbidden           = "FORBIDDEN"
	codeNotFound            = "NOT_FOUND"
	codeIntegrationNotFound = "INTEGRATION_NOT_FOUND"
	codeRateLimited         = "RATE_LIMITED"
	codeInternal            = "INTERNAL_ERROR"
	codeUpstream            = "UPSTREAM_ERROR"
	codeMethodNotAllowed    = "METHOD_NOT_ALLOWED"
)

// errorTypes names the exception class behind each code (the envelope's "type").
var errorTypes = map[string]string{
	codeValidation: "ValidationError", codeUserExists: "UserAlreadyExists", codeIntegrationExists: "IntegrationExists",
	codeInvalidClient: "InvalidClient", codeUnauthorized: "Unauthorized", codeTokenExpired: "TokenExpired",
	codeForbidden: "Forbidden", codeNotFound: "NotFound", codeIntegrationNotFound: "IntegrationDoesNotExist",
	codeRateLimited: "RateLimited", codeInternal: "InternalError", codeUpstream: "UpstreamError",
	codeMethodNotAllowed: "MethodNotAllowed",
}

// apiError is an error answered with the error envelope {"error": {"message", "code", "type",
// "request_id", "recovery", "details"}}.
type apiError struct {
	Status  int
	Code    string
	Message string
	// Retryable overrides the default recovery of the code (retryableCode).
	Retryable *bool
	// RetryAfter is recovery.retry_after_seconds (and Retry-After) when positive.
	RetryAfter int
	// Details is the envelope's details object; its keys never name secrets.
	Details map[string]any
	allow   []string // for 405
}

// retryableCode says whether a retry can fix a failure with this code when nothing else is
// known: a rate limit and an upstream outage pass; a bad request, missing credentials or a
// sandbox bug (INTERNAL_ERROR) answer the same again.
func retryableCode(code string) bool { return code == codeRateLimited || code == codeUpstream }

func (e *apiError) retryable() bool {
	if e.Retryable != nil {
		return *e.Retryable
	}
	return retryableCode(e.Code)
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func errValidation(msg string) *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: codeValidation, Message: msg}
}
func errNotFound(msg string) *apiError {
	return &apiError{Status: http.StatusNotFound, Code: codeNotFound, Message: msg}
}
func errUnauthorized(msg string) *apiError {
	return &apiError{Status: http.StatusUnauthorized, Code: codeUnauthorized, Message: msg}
}
func errMethod(allow ...string) *apiError {
	return &apiError{Status: http.StatusMethodNotAllowed, Code: codeMethodNotAllowed, Message: "Method not allowed", allow: allow}
}
func errIntegrationNotFound(uid, connector string) *apiError {
	return &apiError{Status: http.StatusNotFound, Code: codeIntegrationNotFound,
		Message: "Integration " + uid + " not found for connector " + connector,
		Details: map[string]any{"connector": connector, "user_identifier": uid}}
}

// codeForStatus picks the §12 code for an injected fault status.
func codeForStatus(status int) string {
	switch {
	case status == http.StatusTooManyRequests:
		return codeRateLimited
	case status == http.StatusBadRequest || status == http.StatusUnprocessableEntity:
		return codeValidation
	case status == http.StatusUnauthorized:
		return codeUnauthorized
	case status == http.StatusForbidden:
		return codeForbidden
	case status == http.StatusNotFound:
		return codeNotFound
	case status == http.StatusBadGateway || status == http.StatusServiceUnavailable || status == http.StatusGatewayTimeout:
		return codeUpstream
	default:
		return codeInternal
	}
}

// asAPIError maps any handler error to an apiError; schema violations become 400 listing them.
func asAPIError(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	var ve *schema.ValidationError
	if errors.As(err, &ve) {
		parts := make([]string, 0, len(ve.Violations))
		list := make([]any, 0, len(ve.Violations))
		for _, v := range ve.Violations {
			if v.Field == "" {
				parts = append(parts, v.Description)
			} else {
				parts = append(parts, v.Field+": "+v.Description)
			}
			list = append(list, map[string]any{"field": v.Field, "message": v.Description})
		}
		ae := errValidation("Invalid parameters: " + strings.Join(parts, "; "))
		ae.Details = map[string]any{"errors": list}
		return ae
	}
	return &apiError{Status: http.StatusInternalServerError, Code: codeInternal, Message: "Internal error"}
}

// writeError answers the error envelope, with the request id stamped on the response
// (stampResponse); a request that was never stamped gets a fresh one.
func writeError(w http.ResponseWriter, err error) {
	ae := asAPIError(err)
	h := w.Header()
	if len(ae.allow) > 0 {
		h.Set("Allow", strings.Join(ae.allow, ", "))
	}
	id := h.Get(headerRequestID)
	if id == "" {
		id = uuid.NewString()
		h.Set(headerRequestID, id)
	}
	recovery := map[string]any{"retryable": ae.retryable()}
	if ae.RetryAfter > 0 {
		recovery["retry_after_seconds"] = ae.RetryAfter
		h.Set("Retry-After", strconv.Itoa(ae.RetryAfter))
	}
	typ := errorTypes[ae.Code]
	if typ == "" {
		typ = "APIError"
	}
	body := map[string]any{"message": ae.Message, "code": ae.Code, "type": typ, "request_id": id, "recovery": recovery}
	if len(ae.Details) > 0 {
		body["details"] = ae.Details
	}
	writeJSON(w, ae.Status, map[string]any{"error": body})
}

// envelope is the JSON body of every non-discovery success (protocol §3.3).
type envelope struct {
	Data any `json:"data"`
	Meta any `json:"meta"`
}

func writeData(w http.ResponseWriter, data, meta any) {
	writeJSON(w, http.StatusOK, envelope{Data: data, Meta: meta})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error": {"message": "Internal error", "code": "INTERNAL_ERROR"}}`)
	}
	writeRawJSON(w, status, b)
}

// writeRawJSON sends b followed by a newline, so that bodies printed by curl end their line.
// b may be shared (pre-rendered discovery) and is not modified.
func writeRawJSON(w http.ResponseWriter, status int, b []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	if _, err := w.Write(b); err == nil {
		_, _ = w.Write(newline)
	}
}

var newline = []byte("\n")
