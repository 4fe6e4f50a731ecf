package server

import (
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"bosa.dev/gateway/bosaclient"
)

func TestPageTokens(t *testing.T) {
	pt := pageTokens{key: []byte("secret-1")}
	params := map[string]any{"owner": "acme", "page": 2.0, "file": bosaclient.NewFile("a.txt", "text/plain", []byte("bytes"))}
	tok, err := pt.encode("github", "list_pull_requests", params)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pt.decode(tok, "github", "list_pull_requests")
	if err != nil {
		t.Fatal(err)
	}
	if got["owner"] != "acme" || got["page"] != 2.0 || got["file"] != nil {
		t.Errorf("decoded %v: want the parameters without the file", got)
	}
	body, sig, _ := strings.Cut(tok, ".")
	for name, bad := range map[string]string{
		"empty":          "",
		"no signature":   body,
		"flipped byte":   body[:5] + string(body[5]^1) + body[6:] + "." + sig,
		"other key":      mustEncode(t, pageTokens{key: []byte("secret-2")}),
		"other action":   mustEncode(t, pt),
		"bad base64":     "!!!." + sig,
		"signature only": "." + sig,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := pt.decode(bad, "github", "list_pull_requests")
			st := status.Convert(toStatus(err))
			if st.Code() != codes.InvalidArgument || !strings.Contains(st.Message(), "page_token") {
				t.Errorf("decode: %v", err)
			}
		})
	}
}

// mustEncode makes a token for github/list_commits with key pt.
func mustEncode(t *testing.T, pt pageTokens) string {
	tok, err := pt.encode("github", "list_commits", map[string]any{"cursor": "x"})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
