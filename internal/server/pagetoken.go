package server

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"google.golang.org/grpc/codes"
)

// pageTokenVersion is bumped when the token payload changes incompatibly.
const pageTokenVersion = 1

// pageState is what a page token carries: the complete upstream parameters of the page it leads to
// (as derived by bosaclient from the previous page's meta), bound to one connector and action.
// File parameters are not carried: callers send files again with the token.
type pageState struct {
	Version   int            `json:"v"`
	Connector string         `json:"c"`
	Action    string         `json:"a"`
	Params    map[string]any `json:"p"`
}

// pageTokens signs and verifies page tokens with HMAC-SHA256. Tokens are opaque to callers but not
// encrypted: they hold the caller's own parameters, which the caller already knows.
type pageTokens struct {
	key []byte
	// shared is true when key is the configured secret (--page-token-secret): other replicas and
	// restarts that have it accept these tokens. A random key dies with the process.
	shared bool
}

// Messages say plainly where a token is accepted: only a shared secret lets another instance, or
// this one after a restart, accept it.
const (
	msgTokenNotShared = "page_token is invalid here: it was altered, or issued by another gateway instance or before a " +
		"restart, and gateways accept each other's page tokens only when they share --page-token-secret, which this one " +
		"does not; start again without the token"
	msgTokenShared = "page_token is invalid: it was altered, or signed with another --page-token-secret"
)

// encode returns "<base64url(json)>.<base64url(hmac)>".
func (t pageTokens) encode(connector, action string, params map[string]any) (string, error) {
	payload, err := json.Marshal(pageState{Version: pageTokenVersion, Connector: connector, Action: action, Params: withoutFiles(params)})
	if err != nil {
		return "", fmt.Errorf("encode page token: %w", err)
	}
	enc := base64.RawURLEncoding
	return enc.EncodeToString(payload) + "." + enc.EncodeToString(t.sign(payload)), nil
}

// decode verifies a token and checks that it belongs to connector/action. Any failure is an
// INVALID_ARGUMENT with reason INVALID_PAGE_TOKEN and no detail about which check failed.
func (t pageTokens) decode(token, connector, action string) (map[string]any, error) {
	bad := &Error{Code: codes.InvalidArgument, Reason: ReasonInvalidPageToken, Message: "page_token is invalid"}
	body, sig, ok := strings.Cut(token, ".")
	if !ok {
		return nil, bad
	}
	enc := base64.RawURLEncoding
	payload, err1 := enc.DecodeString(body)
	mac, err2 := enc.DecodeString(sig)
	if err1 != nil || err2 != nil || !hmac.Equal(mac, t.sign(payload)) {
		bad.Message = msgTokenNotShared
		if t.shared {
			bad.Message = msgTokenShared
		}
		return nil, bad
	}
	dec := json.NewDecoder(strings.NewReader(string(payload)))
	var st pageState
	if err := dec.Decode(&st); err != nil || st.Version != pageTokenVersion {
		return nil, bad
	}
	if st.Connector != connector || st.Action != action {
		bad.Message = "page_token was issued for another connector or action"
		return nil, bad
	}
	if st.Params == nil {
		st.Params = map[string]any{}
	}
	return st.Params, nil
}

func (t pageTokens) sign(payload []byte) []byte {
	m := hmac.New(sha256.New, t.key)
	m.Write([]byte("bosa.v1.page_token\x00"))
	m.Write(payload)
	return m.Sum(nil)
}

// List methods (ListConnectors, ListIntegrations) page over a list the gateway holds whole: the
// default and largest page sizes of AIP-158.
const (
	defaultListPageSize = 100
	maxListPageSize     = 1000
)

// listPage returns the bounds [lo, hi) of the page of n items that a List request asks for, and the
// token of the next page ("" on the last). Its tokens are page tokens like the actions' (signed),
// bound to the method and its filter (e.g. ListIntegrations' connector) and holding the offset.
func (t pageTokens) listPage(method, filter string, size int32, token string, n int) (lo, hi int, next string, err error) {
	switch {
	case size < 0:
		return 0, 0, "", invalidRequest("page_size", "must not be negative")
	case size == 0:
		size = defaultListPageSize
	case size > maxListPageSize:
		size = maxListPageSize
	}
	off, err := t.offset(method, filter, token)
	if err != nil {
		return 0, 0, "", err
	}
	lo = min(off, n)
	hi = min(lo+int(size), n)
	if hi < n {
		if next, err = t.encode(filter, method, map[string]any{"offset": hi}); err != nil {
			return 0, 0, "", err
		}
	}
	return lo, hi, next, nil
}

// Lists the gateway pages through BOSA's offset paging (the catalog, tenant skills): BOSA's default
// and largest page sizes.
const (
	defaultOffsetPageSize = 50
	maxOffsetPageSize     = 200
)

// offsetPage returns the upstream offset and limit of the page a List request over an offset-paged
// upstream list asks for. Its tokens are listPage's, bound to the method and its filters.
func (t pageTokens) offsetPage(method, filter string, size int32, token string) (offset, limit int, err error) {
	switch {
	case size < 0:
		return 0, 0, invalidRequest("page_size", "must not be negative")
	case size == 0:
		size = defaultOffsetPageSize
	case size > maxOffsetPageSize:
		size = maxOffsetPageSize
	}
	if offset, err = t.offset(method, filter, token); err != nil {
		return 0, 0, err
	}
	return offset, int(size), nil
}

// offset is the list offset a List page token holds (0 for no token).
func (t pageTokens) offset(method, filter, token string) (int, error) {
	if token == "" {
		return 0, nil
	}
	p, err := t.decode(token, filter, method)
	if err != nil {
		return 0, err
	}
	off, ok := p["offset"].(float64)
	if !ok || off < 0 || off != float64(int(off)) {
		return 0, &Error{Code: codes.InvalidArgument, Reason: ReasonInvalidPageToken, Message: "page_token is invalid"}
	}
	return int(off), nil
}

// nextOffset returns the token of the page after the got items read at offset ("" on the last page):
// the last when the upstream's total says so or, without a total, when the page came back short.
func (t pageTokens) nextOffset(method, filter string, offset, limit, got, total int) (string, error) {
	next := offset + got
	if got == 0 || (total >= 0 && next >= total) || (total < 0 && got < limit) {
		return "", nil
	}
	return t.encode(filter, method, map[string]any{"offset": next})
}
