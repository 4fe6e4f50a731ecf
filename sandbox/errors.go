package sandbox

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"bosa.dev/gateway/schema"
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

// apiError is an error answered with the canonical body {"error": {"message", "code"}}.
type apiError struct {
	Status  int
	Code    string
	Message string
	allow   []string // for 405
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
		Message: "Integration " + uid + " not found for connector " + connector}
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
		for _, v := range ve.Violations {
			if v.Field == "" {
				parts = append(parts, v.Description)
			} else {
				parts = append(parts, v.Field+": "+v.Description)
			}
		}
		return errValidation("Invalid parameters: " + strings.Join(parts, "; "))
	}
	return &apiError{Status: http.StatusInternalServerError, Code: codeInternal, Message: "Internal error"}
}

func writeError(w http.ResponseWriter, err error) {
	ae := asAPIError(err)
	if len(ae.allow) > 0 {
		w.Header().Set("Allow", strings.Join(ae.allow, ", "))
	}
	writeJSON(w, ae.Status, map[string]any{"error": map[string]string{"message": ae.Message, "code": ae.Code}})
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
