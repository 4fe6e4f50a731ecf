package server

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// maxQuoted bounds how much of a caller's input an error message, a field violation or an
// ErrorInfo metadata value repeats: errors travel in gRPC trailers, which C-core clients cap
// (8 KiB by default), so an error quoting a long input whole would arrive as INTERNAL instead.
const maxQuoted = 128

// maxNameBytes is the longest connector name (or action name) the gateway accepts as a name; a
// longer well-formed one cannot exist upstream and is NOT_FOUND without an upstream call.
const maxNameBytes = 128

// maxMessageBytes bounds a whole error message (upstream messages included), for the same reason.
const maxMessageBytes = 1024

// quote returns s as a Go-quoted string, cut to its first maxQuoted bytes (on a UTF-8 boundary,
// invalid UTF-8 replaced) and marked with "..." when cut. Every message that repeats caller input
// goes through it.
func quote(s string) string {
	cut := clip(s, maxQuoted)
	if len(cut) < len(s) {
		return strconv.Quote(cut) + "..."
	}
	return strconv.Quote(cut)
}

// clip returns s as valid UTF-8 of at most n bytes, cut on a rune boundary.
func clip(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// bounded returns an error message cut to maxMessageBytes, marked with "..." when cut.
func bounded(msg string) string {
	cut := clip(msg, maxMessageBytes)
	if len(cut) < len(msg) {
		return cut + "..."
	}
	return cut
}

// checkName validates a connector or action name (field names the request field) before it is
// used: it becomes a path segment of BOSA's URLs, so "." and ".." and anything but letters,
// digits, '_', '-' and '.' are INVALID_ARGUMENT; a well-formed name longer than any name can be
// is NOT_FOUND.
func checkName(field, kind, name string) error {
	if name == "" {
		return invalidRequest(field, "is required")
	}
	if name == "." || name == ".." || strings.TrimLeft(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") != "" {
		return invalidRequest(field, quote(name)+" is not a "+kind+" name (letters, digits, '_', '-', '.')")
	}
	if len(name) > maxNameBytes {
		return &Error{Code: codes.NotFound, Reason: ReasonNotFound,
			Message: fmt.Sprintf("%s %s not found (names are at most %d bytes)", kind, quote(name), maxNameBytes)}
	}
	return nil
}

// checkConnector validates the connector field of a request.
func checkConnector(name string) error { return checkName("connector", "connector", name) }

// checkUserIdentifier validates an integration's user_identifier: any text (an e-mail, a login)
// but "." and "..", which a URL path would resolve.
func checkUserIdentifier(uid string) error {
	switch {
	case uid == "":
		return invalidRequest("user_identifier", "is required")
	case uid == "." || uid == "..":
		return invalidRequest("user_identifier", quote(uid)+" is not an integration name")
	case !utf8.ValidString(uid):
		return invalidRequest("user_identifier", "is not valid UTF-8")
	}
	return nil
}

// checkEnum rejects an enum value the API does not define (JSON names are checked by the JSON
// decoder; numbers on the wire are not).
func checkEnum(field string, v protoreflect.Enum) error {
	if v.Descriptor().Values().ByNumber(v.Number()) == nil {
		return invalidRequest(field, fmt.Sprintf("%d is not a value of %s", v.Number(), v.Descriptor().Name()))
	}
	return nil
}

// maxRequestIDBytes bounds a request_id (AIP-155): it is a key the gateway keeps in memory.
const maxRequestIDBytes = 128

// checkRequestID validates an optional request_id.
func checkRequestID(field, id string) error {
	if len(id) > maxRequestIDBytes || !utf8.ValidString(id) {
		return invalidRequest(field, fmt.Sprintf("must be valid UTF-8 of at most %d bytes (a UUID is recommended)", maxRequestIDBytes))
	}
	return nil
}
