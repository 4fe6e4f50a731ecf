package bosaclient

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"bosa.dev/gateway/internal/jsonlex"
)

// TestSplitEnvelope: splitEnvelope finds what json.Unmarshal puts in struct{Data, Meta
// json.RawMessage}, and refuses what it refuses.
func TestSplitEnvelope(t *testing.T) {
	tests := []struct {
		name, in   string
		data, meta string
		wantErr    bool
	}{
		{"data and meta", `{"data": [1, {"a": "b"}], "meta": {"page": 1}}`, `[1, {"a": "b"}]`, `{"page": 1}`, false},
		{"other keys skipped", `{"x": {"y": [true, false, null, -1.5e-3, "\"}"]}, "data": "s"}`, `"s"`, "", false},
		{"keys match case-insensitively, the later wins", `{"DATA": 1, "Meta": 2, "data": 3}`, `3`, `2`, false},
		{"escaped key", `{"\u0064ata": {}}`, `{}`, "", false},
		{"null data", `{"data": null}`, `null`, "", false},
		{"empty object", ` {} `, "", "", false},
		{"null body", `null`, "", "", false},
		{"number out of float range is not checked", `{"data": 1e999}`, `1e999`, "", false},
		{"array body", `[1]`, "", "", true},
		{"string body", `"x"`, "", "", true},
		{"empty body", ``, "", "", true},
		{"truncated", `{"data": [1, 2`, "", "", true},
		{"trailing comma", `{"data": 1,}`, "", "", true},
		{"two values", `{} {}`, "", "", true},
		{"bad escape", `{"data": "\x"}`, "", "", true},
		{"control character", "{\"data\": \"a\tb\"}", "", "", true},
		{"leading zero", `{"data": 01}`, "", "", true},
		{"too deep", `{"data": ` + strings.Repeat("[", jsonlex.MaxDepth) + strings.Repeat("]", jsonlex.MaxDepth) + `}`, "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, meta, err := splitEnvelope([]byte(tt.in))
			var ref struct{ Data, Meta json.RawMessage }
			refErr := json.Unmarshal([]byte(tt.in), &ref)
			if (err != nil) != tt.wantErr || (refErr != nil) != tt.wantErr {
				t.Fatalf("error %v (encoding/json: %v), want error: %v", err, refErr, tt.wantErr)
			}
			var se *json.SyntaxError
			var te *json.UnmarshalTypeError
			if tt.wantErr && !errors.As(err, &se) && !errors.As(err, &te) {
				t.Fatalf("error %v is not encoding/json's", err)
			}
			if string(data) != tt.data || string(meta) != tt.meta || string(ref.Data) != tt.data || string(ref.Meta) != tt.meta {
				t.Fatalf("data %q meta %q (encoding/json: %q %q), want %q %q", data, meta, ref.Data, ref.Meta, tt.data, tt.meta)
			}
		})
	}
}

func BenchmarkDecodeActionRaw(b *testing.B) {
	body := []byte(`{"data": [` + strings.Repeat(`{"id": 101, "title": "Fix the login redirect", "state": "open", "user": {"login": "alice"}, "labels": [{"name": "bug"}], "merged_at": null},`, 4) +
		`{"id": 1}], "meta": {"page": 1, "limit": 5, "has_next": true, "has_prev": false, "total": 74}}`)
	resp := &response{status: 200, header: map[string][]string{"Content-Type": {"application/json"}}, body: body}
	for _, raw := range []bool{false, true} {
		name := "decoded"
		if raw {
			name = "raw"
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := decodeAction(resp, raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("envelope via encoding/json", func(b *testing.B) {
		for b.Loop() {
			var env struct{ Data, Meta json.RawMessage }
			if err := json.Unmarshal(body, &env); err != nil {
				b.Fatal(err)
			}
		}
	})
}
