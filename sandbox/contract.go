package sandbox

import (
	"net/http"
	"regexp"
	"strings"

	"github.com/google/uuid"
)

// Response headers of error contract 2 (docs/protocol.md §17.2), sent on every response.
const (
	headerContract  = "X-GL-Error-Contract"
	headerRequestID = "X-Request-ID"
)

// requestIDPattern is what clients keep as a request id; anything else is replaced.
var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

// resolveContract returns the error contract a request asked for: "2" (spaces trimmed) is
// contract 2, anything else, absent included, is contract 1, as an API that predates the
// header would answer.
func resolveContract(r *http.Request) int {
	if strings.TrimSpace(r.Header.Get(headerContract)) == "2" {
		return 2
	}
	return 1
}

// requestID keeps a caller's X-Request-ID when a client would keep it (the pattern, and not
// shaped like a credential, which the reference client drops), else makes a new one.
func requestID(r *http.Request) string {
	if v := strings.TrimSpace(r.Header.Get(headerRequestID)); requestIDPattern.MatchString(v) && !credentialShaped(v) {
		return v
	}
	return uuid.NewString()
}

// credentialShaped reports whether an id looks like a secret: a JWT or a GitHub token.
func credentialShaped(v string) bool {
	if strings.HasPrefix(v, "eyJ") && strings.Count(v, ".") >= 2 {
		return true
	}
	for _, p := range []string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "sk-user-", "sk-client-"} {
		if strings.HasPrefix(v, p) {
			return true
		}
	}
	return false
}

// stampResponse sets the contract and request-id headers before any handler writes; error
// bodies read both back from the header (writeError).
func stampResponse(w http.ResponseWriter, r *http.Request) (id string, contract int) {
	id, contract = requestID(r), resolveContract(r)
	h := w.Header()
	h.Set(headerRequestID, id)
	if contract == 2 {
		h.Set(headerContract, "2")
	} else {
		h.Set(headerContract, "1")
	}
	return id, contract
}

// contractOf returns the contract stamped on a response.
func contractOf(w http.ResponseWriter) int {
	if w.Header().Get(headerContract) == "2" {
		return 2
	}
	return 1
}
