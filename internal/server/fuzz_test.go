package server

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	"bosa.dev/gateway/bosaclient"
)

// FuzzJSONValue: any JSON value BOSA may send converts to a protobuf Value (dataAndMeta), and
// survives the wire (binary protobuf) and the REST face (protojson) unchanged.
func FuzzJSONValue(f *testing.F) {
	for _, s := range []string{
		`null`, `true`, `0`, `-1.5e-7`, `1e308`, `12345678901234567890`, `"é\u2028\ud83d\ude00"`, `"\u0000"`,
		`[]`, `{}`, `[1, "a", null, {"b": [true]}]`, `{"data": {"": {"x": []}}, "meta": {"has_next": true}}`,
		`{"a": {"a": {"a": {"a": [[[[]]]]}}}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 4096 || !json.Valid(b) {
			return
		}
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			return // numbers beyond float64
		}
		meta, _ := v.(map[string]any)
		data, gotMeta, err := dataAndMeta(&bosaclient.ActionResponse{Data: v, Meta: meta})
		if err != nil {
			t.Fatalf("dataAndMeta(%s): %v", b, err)
		}
		if !reflect.DeepEqual(data.AsInterface(), v) {
			t.Fatalf("Value of %s is %v", b, data.AsInterface())
		}
		if meta != nil && !reflect.DeepEqual(gotMeta.AsMap(), meta) {
			t.Fatalf("meta of %s is %v", b, gotMeta.AsMap())
		}
		wire, err := proto.Marshal(data)
		if err != nil {
			t.Fatal(err)
		}
		back := &structpb.Value{}
		if err := proto.Unmarshal(wire, back); err != nil || !proto.Equal(back, data) {
			t.Fatalf("binary round trip of %s: %v", b, err)
		}
		js, err := protojson.Marshal(data)
		if err != nil {
			t.Fatalf("protojson of %s: %v", b, err)
		}
		var again any
		if err := json.Unmarshal(js, &again); err != nil || !reflect.DeepEqual(again, v) {
			t.Fatalf("REST form of %s is %s (%v)", b, js, err)
		}
	})
}

// FuzzPageToken: decoding never panics and refuses anything the gateway did not sign with its
// key for that connector and action; a token round trips its parameters, and an altered token is
// refused (or, when base64 ignores the altered bits, decodes to the very same parameters).
func FuzzPageToken(f *testing.F) {
	tokens := pageTokens{key: []byte("fuzz key")}
	good, _ := tokens.encode("github", "list_commits", map[string]any{"cursor": "abc", "per_page": 5.0})
	f.Add(good, "github", "list_commits", []byte(`{"cursor": "abc", "per_page": 5}`), 3)
	f.Add("e30.AAAA", "github", "x", []byte(`{}`), 0)
	f.Add("..", "", "", []byte(`{"page": 2, "response_filters": [{"type": "string"}]}`), 1)
	f.Add(good+"x", "google_drive", "list_files", []byte(`{"q": "\u00e9"}`), 100)
	f.Fuzz(func(t *testing.T, token, connector, action string, params []byte, flip int) {
		if p, err := tokens.decode(token, connector, action); err == nil {
			// Only a token signed with the key decodes; the fuzzer cannot forge HMAC-SHA256, so
			// this is a token the seed corpus got from encode: it must re-encode to the same params.
			re, _ := tokens.encode(connector, action, p)
			if p2, err := tokens.decode(re, connector, action); err != nil || !reflect.DeepEqual(p, p2) {
				t.Fatalf("re-encoded token: %v", err)
			}
		} else if !isPageTokenError(err) {
			t.Fatalf("decode error %v is not INVALID_PAGE_TOKEN", err)
		}
		var m map[string]any
		if json.Unmarshal(params, &m) != nil || m == nil || !utf8.ValidString(connector) || !utf8.ValidString(action) {
			return // protobuf strings (connector, action) are valid UTF-8
		}
		tok, err := tokens.encode(connector, action, m)
		if err != nil {
			t.Fatalf("encode: %v", err)
		}
		p, err := tokens.decode(tok, connector, action)
		if err != nil || !reflect.DeepEqual(p, m) {
			t.Fatalf("round trip of %s: %v %v", params, p, err)
		}
		if _, err := tokens.decode(tok, connector, action+"x"); err == nil {
			t.Fatal("a token decoded for another action")
		}
		if _, err := (pageTokens{key: []byte("other key")}).decode(tok, connector, action); err == nil {
			t.Fatal("a token decoded with another key")
		}
		if len(tok) > 0 {
			b := []byte(tok)
			i := (flip%len(b) + len(b)) % len(b)
			b[i] ^= 1 << (uint(flip) % 7)
			if p2, err := tokens.decode(string(b), connector, action); err == nil && !reflect.DeepEqual(p2, m) {
				t.Fatalf("an altered token decoded to other parameters: %v", p2)
			}
		}
	})
}

func isPageTokenError(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Reason == ReasonInvalidPageToken
}
