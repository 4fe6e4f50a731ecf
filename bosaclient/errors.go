package bosaclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"bosa.dev/gateway/schema"
)

// Sentinel categories. Every error returned by the client that falls in a category matches it with errors.Is,
// and the Is* predicates are shorthands for that. An *APIError matches by status and code; local errors
// (validation, unknown connector or action, network failures) wrap the matching sentinel.
var (
	// ErrNotFound: 404, or a connector or action that discovery does not list.
	ErrNotFound = errors.New("not found")
	// ErrUnauthenticated: 401 (unknown key, bad or expired token, wrong identifier or secret).
	ErrUnauthenticated = errors.New("unauthenticated")
	// ErrPermissionDenied: 403 (token of another client, inactive user).
	ErrPermissionDenied = errors.New("permission denied")
	// ErrRateLimited: 429.
	ErrRateLimited = errors.New("rate limited")
	// ErrIntegrationMissing: 404 INTEGRATION_NOT_FOUND (no integration, or an unknown one selected).
	ErrIntegrationMissing = errors.New("integration missing")
	// ErrInvalidArgument: 400 or 422 other than "already exists", and local validation or encoding failures.
	ErrInvalidArgument = errors.New("invalid argument")
	// ErrAlreadyExists: 409, or 400 with USER_ALREADY_EXISTS or INTEGRATION_EXISTS.
	ErrAlreadyExists = errors.New("already exists")
	// ErrUnavailable: 5xx and network failures (connection refused, reset, attempt timeout).
	ErrUnavailable = errors.New("unavailable")
	// ErrNoProgress: a page says has_next/has_prev but gives neither a new cursor nor a page number.
	ErrNoProgress = errors.New("paging would not advance")
	// ErrTooManyPages: AllItems or Pages reached the max pages bound.
	ErrTooManyPages = errors.New("too many pages")
	// ErrResponseTooLarge: a response body exceeded WithMaxResponseBytes.
	ErrResponseTooLarge = errors.New("response too large")
	// ErrNotJSON: Run got a file answer where a JSON envelope was required.
	ErrNotJSON = errors.New("response is not JSON")
)

// IsNotFound reports whether err is (or wraps) a not-found error, including a missing integration.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

// IsUnauthenticated reports whether err is a 401.
func IsUnauthenticated(err error) bool { return errors.Is(err, ErrUnauthenticated) }

// IsPermissionDenied reports whether err is a 403.
func IsPermissionDenied(err error) bool { return errors.Is(err, ErrPermissionDenied) }

// IsRateLimited reports whether err is a 429.
func IsRateLimited(err error) bool { return errors.Is(err, ErrRateLimited) }

// IsIntegrationMissing reports whether err says the needed integration does not exist.
func IsIntegrationMissing(err error) bool { return errors.Is(err, ErrIntegrationMissing) }

// IsInvalidArgument reports whether err is a 400/422 or a local validation or encoding failure.
func IsInvalidArgument(err error) bool { return errors.Is(err, ErrInvalidArgument) }

// IsAlreadyExists reports whether err says the user or integration already exists.
func IsAlreadyExists(err error) bool { return errors.Is(err, ErrAlreadyExists) }

// IsConflict is IsAlreadyExists.
func IsConflict(err error) bool { return IsAlreadyExists(err) }

// IsUnavailable reports whether err is a 5xx or a network failure.
func IsUnavailable(err error) bool { return errors.Is(err, ErrUnavailable) }

// Upstream error codes of spec §12 that change an error's category.
const (
	CodeUserAlreadyExists   = "USER_ALREADY_EXISTS"
	CodeIntegrationExists   = "INTEGRATION_EXISTS"
	CodeIntegrationNotFound = "INTEGRATION_NOT_FOUND"
)

// APIError is a non-2xx answer of the BOSA API, or a 200 select/remove answer with "success": false.
type APIError struct {
	// StatusCode is the HTTP status (200 for a "success": false answer).
	StatusCode int
	// Code is the upstream error code (error.code), if any.
	Code string
	// Message is the upstream message, extracted per spec §12, or the status text.
	Message string
	// RetryAfter is the parsed Retry-After header, zero when absent.
	RetryAfter time.Duration
	// Body is the raw response body (at most 64 KiB of it).
	Body []byte
	// Connector and Action name the action called, when the call was an action.
	Connector, Action string
	// Method and Path name the request.
	Method, Path string

	// The error envelope of error contract 2 (each field only when well-formed, else zero):
	// RequestID is error.request_id, else the X-Request-ID header; Type is error.type (the
	// server's exception class); Recovery is error.recovery; Details is error.details (a
	// non-object value is kept as {"raw": text}); ErrorContract is the X-GL-Error-Contract the
	// server echoed (1 or 2), 0 for an API that predates contracts.
	RequestID     string
	Type          string
	Recovery      *Recovery
	Details       map[string]any
	ErrorContract int
}

// Recovery is the server's advice on retrying a failed request.
type Recovery struct {
	// Retryable says whether sending the same request again can succeed.
	Retryable bool
	// RetryAfterSeconds is how long to wait first, when the server says (nil otherwise).
	RetryAfterSeconds *int
}

const maxErrorBody = 64 << 10

// Error returns "bosaclient: <call>: <status> <code>: <message>".
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("bosaclient: ")
	if e.Connector != "" && e.Action != "" {
		b.WriteString(e.Connector + "/" + e.Action)
	} else {
		b.WriteString(e.Method + " " + e.Path)
	}
	fmt.Fprintf(&b, ": %d", e.StatusCode)
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	return b.String()
}

// Is makes an *APIError match the sentinel categories.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound || e.Code == CodeIntegrationNotFound
	case ErrIntegrationMissing:
		return e.Code == CodeIntegrationNotFound
	case ErrUnauthenticated:
		return e.StatusCode == http.StatusUnauthorized
	case ErrPermissionDenied:
		return e.StatusCode == http.StatusForbidden
	case ErrRateLimited:
		return e.StatusCode == http.StatusTooManyRequests
	case ErrAlreadyExists:
		return e.StatusCode == http.StatusConflict || e.Code == CodeUserAlreadyExists || e.Code == CodeIntegrationExists
	case ErrInvalidArgument:
		return (e.StatusCode == http.StatusBadRequest || e.StatusCode == http.StatusUnprocessableEntity) &&
			e.Code != CodeUserAlreadyExists && e.Code != CodeIntegrationExists
	case ErrUnavailable:
		return e.StatusCode >= 500
	}
	return false
}

func newAPIError(req *request, r *response) *APIError {
	e := &APIError{
		StatusCode: r.status,
		Connector:  req.connector,
		Action:     req.action,
		Method:     req.method,
		Path:       req.path,
		RetryAfter: parseRetryAfter(r.header.Get("Retry-After"), time.Now()),
	}
	body := r.body
	if len(body) > maxErrorBody {
		body = body[:maxErrorBody]
	}
	e.Body = append([]byte(nil), body...)
	e.Code, e.Message = extractError(r.body)
	if e.Message == "" {
		e.Message = http.StatusText(r.status)
	}
	e.RequestID, e.ErrorContract = responseIDs(r.header)
	readEnvelope(e, r.body)
	return e
}

// isRequestID reports whether v looks as a request id must to be kept (as the reference client
// does): 1 to 128 of [A-Za-z0-9._:-]. A loop, not a regexp: it runs on every answer.
func isRequestID(v string) bool {
	if len(v) == 0 || len(v) > 128 {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == ':' || c == '-') {
			return false
		}
	}
	return true
}

// validRequestID returns v when it is a well-formed request id that does not look like a
// credential (a JWT or a GitHub token, which a misbehaving proxy might echo), else "".
func validRequestID(v string) string {
	v = strings.TrimSpace(v)
	if !isRequestID(v) || (strings.HasPrefix(v, "eyJ") && strings.Count(v, ".") >= 2) {
		return ""
	}
	for _, p := range []string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"} {
		if strings.HasPrefix(v, p) {
			return ""
		}
	}
	return v
}

// responseIDs reads X-Request-ID and X-GL-Error-Contract from response headers.
func responseIDs(h http.Header) (requestID string, contract int) {
	switch strings.TrimSpace(h.Get("X-GL-Error-Contract")) {
	case "1":
		contract = 1
	case "2":
		contract = 2
	}
	return validRequestID(h.Get("X-Request-ID")), contract
}

var errorTypePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.]{0,127}$`)

// readEnvelope fills the contract-2 fields of e from body's error object, keeping only
// well-formed values: a valid request_id overrides the header's; recovery needs a JSON bool
// retryable and an integer retry_after_seconds ≥ 0.
func readEnvelope(e *APIError, body []byte) {
	var v struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(body, &v) != nil || len(v.Error) == 0 || v.Error[0] != '{' {
		return
	}
	var env struct {
		Type      any             `json:"type"`
		RequestID any             `json:"request_id"`
		Recovery  json.RawMessage `json:"recovery"`
		Details   json.RawMessage `json:"details"`
	}
	if json.Unmarshal(v.Error, &env) != nil {
		return
	}
	if t, ok := env.Type.(string); ok && errorTypePattern.MatchString(t) {
		e.Type = t
	}
	if id, ok := env.RequestID.(string); ok && validRequestID(id) != "" {
		e.RequestID = validRequestID(id)
	}
	var rec struct {
		Retryable         json.RawMessage `json:"retryable"`
		RetryAfterSeconds json.RawMessage `json:"retry_after_seconds"`
	}
	if json.Unmarshal(env.Recovery, &rec) == nil {
		var retry bool
		if s := string(rec.Retryable); (s == "true" || s == "false") && json.Unmarshal(rec.Retryable, &retry) == nil {
			e.Recovery = &Recovery{Retryable: retry}
			var n int
			if json.Unmarshal(rec.RetryAfterSeconds, &n) == nil && n >= 0 {
				e.Recovery.RetryAfterSeconds = &n
			}
		}
	}
	if len(env.Details) > 0 && string(env.Details) != "null" {
		if json.Unmarshal(env.Details, &e.Details) != nil {
			e.Details = map[string]any{"raw": string(env.Details)}
		}
	}
}

// extractError reads code and message from an error body in the order of spec §12: error.message (or a string
// error), then a top-level message, then a FastAPI detail (list of {msg} or a string).
func extractError(body []byte) (code, message string) {
	var v struct {
		Error   json.RawMessage `json:"error"`
		Message any             `json:"message"`
		Code    any             `json:"code"`
		Detail  json.RawMessage `json:"detail"`
		Data    *struct {
			Error   any `json:"error"`
			Message any `json:"message"`
		} `json:"data"`
	}
	if json.Unmarshal(body, &v) != nil {
		return "", ""
	}
	code = asString(v.Code)
	if len(v.Error) > 0 {
		var obj struct {
			Message any `json:"message"`
			Code    any `json:"code"`
		}
		var s string
		if json.Unmarshal(v.Error, &obj) == nil {
			if c := asString(obj.Code); c != "" {
				code = c
			}
			message = asString(obj.Message)
		} else if json.Unmarshal(v.Error, &s) == nil {
			message = s
		}
	}
	if message == "" {
		message = asString(v.Message)
	}
	if message == "" && len(v.Detail) > 0 {
		var list []struct {
			Loc []any  `json:"loc"`
			Msg string `json:"msg"`
		}
		var s string
		if json.Unmarshal(v.Detail, &list) == nil {
			parts := make([]string, 0, len(list))
			for _, d := range list {
				loc := make([]string, 0, len(d.Loc))
				for _, l := range d.Loc {
					loc = append(loc, fmt.Sprint(l))
				}
				if len(loc) > 0 {
					parts = append(parts, strings.Join(loc, ".")+": "+d.Msg)
				} else {
					parts = append(parts, d.Msg)
				}
			}
			message = strings.Join(parts, "; ")
		} else if json.Unmarshal(v.Detail, &s) == nil {
			message = s
		}
	}
	if message == "" && v.Data != nil {
		message = asString(v.Data.Error)
		if message == "" {
			message = asString(v.Data.Message)
		}
	}
	return code, message
}

func asString(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	default:
		b, _ := json.Marshal(t)
		return string(b)
	}
}

// NetworkError is a failed exchange with no whole HTTP answer: connection refused or reset, DNS failure, a
// per-attempt timeout, a truncated body. It matches ErrUnavailable; it does not match when the caller's own
// context ended, in which case the client returns the context's error instead.
type NetworkError struct {
	Method, Path string
	// Status is the HTTP status of an answer whose body failed mid-way; 0 when no answer arrived.
	Status int
	Err    error
}

// Error describes the failed request without any header values.
func (e *NetworkError) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("bosaclient: %s %s: network error reading the %d answer: %v", e.Method, e.Path, e.Status, e.Err)
	}
	return fmt.Sprintf("bosaclient: %s %s: network error: %v", e.Method, e.Path, e.Err)
}

// Unwrap returns the transport error.
func (e *NetworkError) Unwrap() error { return e.Err }

// Is makes a NetworkError match ErrUnavailable.
func (e *NetworkError) Is(target error) bool { return target == ErrUnavailable }

// networkError classifies a transport error: when the parent context is done, it is the context's error;
// otherwise a *NetworkError (which includes the per-attempt timeout). status is the status of an answer
// whose body failed, 0 when no answer arrived.
func networkError(req *request, attemptCtx context.Context, status int, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil {
		// *url.Error embeds the full URL; keep only the inner error, the path is added below.
		err = ue.Err
	}
	if errors.Is(err, context.DeadlineExceeded) && attemptCtx.Err() != nil {
		err = fmt.Errorf("attempt timed out: %w", err)
	}
	return &NetworkError{Method: req.method, Path: req.path, Status: status, Err: err}
}

// ValidationError is returned by Execute when the parameters do not match the action schema; no request is
// sent. It wraps the *schema.ValidationError (errors.As works for both) and matches ErrInvalidArgument.
type ValidationError struct {
	Connector, Action string
	Err               *schema.ValidationError
}

// Error lists every violation.
func (e *ValidationError) Error() string {
	return fmt.Sprintf("bosaclient: %s/%s: %v", e.Connector, e.Action, e.Err)
}

// Unwrap returns the schema's error.
func (e *ValidationError) Unwrap() error { return e.Err }

// Is makes a ValidationError match ErrInvalidArgument.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalidArgument }

// Violations returns the field violations.
func (e *ValidationError) Violations() []schema.Violation {
	if e.Err == nil {
		return nil
	}
	return e.Err.Violations
}
