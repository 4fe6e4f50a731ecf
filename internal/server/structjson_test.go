package server

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
)

// referenceValue is the conversion jsonToValue replaces: encoding/json into an any, then structpb.
func referenceValue(b []byte) (*structpb.Value, error) {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, err
	}
	return structpb.NewValue(v)
}

func TestJSONToValue(t *testing.T) {
	deep := strings.Repeat("[", maxJSONDepth) + strings.Repeat("]", maxJSONDepth)
	tooDeep := strings.Repeat("[", maxJSONDepth+1) + strings.Repeat("]", maxJSONDepth+1)
	tests := []struct {
		name, in string
		wantErr  bool
	}{
		{"object", `{"a": 1, "b": "x", "c": true, "d": null, "e": [1, 2.5, -3e2], "f": {}}`, false},
		{"list of objects", ` [ {"id": 1, "title": "Fix"} , {"id": 2} ] `, false},
		{"empty list", `[]`, false},
		{"scalars", `"plain"`, false},
		{"false", `false`, false},
		{"null", `null`, false},
		{"duplicate key: the last wins", `{"a": 1, "a": 2}`, false},
		{"escapes", `"a\"b\\c\/d\b\f\n\r\t\u00e9\ud83d\ude00"`, false},
		{"lone surrogate becomes U+FFFD", `"\ud800x"`, false},
		{"UTF-8", `"héllo wörld ✓"`, false},
		{"invalid UTF-8 becomes U+FFFD", "\"a\xffb\"", false},
		{"invalid UTF-8 in a key", "{\"k\xc3\": 1}", false},
		{"numbers", `[0, -0, 1.5, 1e10, 1E+2, 2e-3, 123456789012345678901234567890, 5e-400]`, false},
		{"as deep as encoding/json allows", deep, false},
		{"deeper than encoding/json allows", tooDeep, true},
		{"number out of range", `1e400`, true},
		{"leading zero", `01`, true},
		{"bare minus", `-`, true},
		{"dot without digits", `1.`, true},
		{"exponent without digits", `1e+`, true},
		{"plus sign", `+1`, true},
		{"trailing comma in list", `[1,]`, true},
		{"trailing comma in object", `{"a":1,}`, true},
		{"missing colon", `{"a" 1}`, true},
		{"non-string key", `{1: 2}`, true},
		{"unterminated string", `"abc`, true},
		{"control character in string", "\"a\nb\"", true},
		{"bad escape", `"\x"`, true},
		{"short unicode escape", `"\u12"`, true},
		{"bad literal", `tru`, true},
		{"two values", `1 2`, true},
		{"unclosed object", `{"a": 1`, true},
		{"unclosed list", `[1`, true},
		{"only space", `  `, true},
		{"single quotes", `'a'`, true},
		{"NaN", `NaN`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := jsonToValue([]byte(tt.in))
			want, refErr := referenceValue([]byte(tt.in))
			if (err != nil) != tt.wantErr || (refErr != nil) != tt.wantErr {
				t.Fatalf("error %v (reference: %v), want error: %v", err, refErr, tt.wantErr)
			}
			if !tt.wantErr && !proto.Equal(got, want) {
				t.Fatalf("got %v, want %v", got, want)
			}
			_, wireErr := jsonToWire([]byte(tt.in), func(int) []byte { return nil })
			if tt.wantErr && (!malformedJSON(err) || !malformedJSON(wireErr)) {
				t.Fatalf("errors %v / %v are not encoding/json's, so not mapped to UPSTREAM_MALFORMED_RESPONSE", err, wireErr)
			}
			checkWire(t, []byte(tt.in), want, refErr)
			if refErr == nil {
				checkREST(t, want)
			}
		})
	}
}

func TestJSONToValueEmptyIsNull(t *testing.T) {
	got, err := jsonToValue(nil)
	if err != nil || !proto.Equal(got, structpb.NewNullValue()) {
		t.Fatalf("got %v, %v; want a null value", got, err)
	}
}

// FuzzJSONToValue: jsonToValue accepts exactly what json.Unmarshal + structpb.NewValue accept, and
// gives the same value.
func FuzzJSONToValue(f *testing.F) {
	for _, s := range []string{
		`{"data": [{"id": 1, "title": "x", "labels": ["a", "b"], "merged": false, "body": null}]}`,
		`[1.5e3, -0.0, "\u00e9\n", {"a": {"b": []}}]`, `"\ud83d\ude00"`, "\"\xff\"", `{"a":1,"a":2}`,
		`1e999`, `[1,]`, `"\u12`, ` true `, `nul`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) == 0 {
			return // an absent data is null by definition, where json.Unmarshal refuses it
		}
		got, err := jsonToValue(b)
		want, refErr := referenceValue(b)
		if (err != nil) != (refErr != nil) {
			t.Fatalf("%q: error %v, reference error %v", b, err, refErr)
		}
		if err == nil && !proto.Equal(got, want) {
			t.Fatalf("%q: got %v, want %v", b, got, want)
		}
		checkWire(t, b, want, refErr)
		if refErr == nil {
			checkREST(t, want)
		}
	})
}

// checkREST: valueSize is proto.Size, and appendValueJSON writes JSON that parses to what
// protojson's output parses to.
func checkREST(t *testing.T, v *structpb.Value) {
	t.Helper()
	if got, want := valueSize(v), proto.Size(v); got != want {
		t.Fatalf("valueSize %d, proto.Size %d", got, want)
	}
	ref, refErr := protojson.Marshal(v)
	got, err := appendValueJSON(nil, v, 0)
	if (err != nil) != (refErr != nil) {
		t.Fatalf("appendValueJSON error %v, protojson error %v", err, refErr)
	}
	if err != nil {
		return
	}
	var gotV, refV any
	if err := json.Unmarshal(got, &gotV); err != nil {
		t.Fatalf("appendValueJSON wrote invalid JSON %q: %v", got, err)
	}
	if err := json.Unmarshal(ref, &refV); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gotV, refV) {
		t.Fatalf("appendValueJSON %s, protojson %s", got, ref)
	}
}

// checkWire: jsonToWire refuses what the reference refuses, and otherwise writes bytes that decode
// to the reference's value, after the prefix it asked for with the right size.
func checkWire(t *testing.T, in []byte, want *structpb.Value, refErr error) {
	t.Helper()
	size := -1
	b, err := jsonToWire(in, func(n int) []byte { size = n; return []byte("prefix") })
	if (err != nil) != (refErr != nil) {
		t.Fatalf("%q: jsonToWire error %v, reference error %v", in, err, refErr)
	}
	if err != nil {
		return
	}
	if string(b[:6]) != "prefix" || len(b)-6 != size {
		t.Fatalf("%q: %d bytes after the prefix, measured %d", in, len(b)-6, size)
	}
	var got structpb.Value
	// Deep JSON nests twice as deep in protobuf (Value, ListValue, Value...): lift the default limit.
	if err := (proto.UnmarshalOptions{RecursionLimit: 4 * maxJSONDepth}).Unmarshal(b[6:], &got); err != nil {
		t.Fatalf("%q: the wire bytes do not decode: %v", in, err)
	}
	if !proto.Equal(&got, want) {
		t.Fatalf("%q: wire decodes to %v, want %v", in, &got, want)
	}
	// The REST face writes the wire form as JSON (wireJSON): byte for byte what appendValueJSON
	// writes for the decoded value, or the same refusal.
	w := wireJSON{}
	wireErr := w.value(b[6:], 0)
	ref, refJSONErr := appendValueJSON(nil, want, 0)
	if (wireErr != nil) != (refJSONErr != nil) {
		t.Fatalf("%q: wireJSON error %v, appendValueJSON error %v", in, wireErr, refJSONErr)
	}
	if wireErr == nil && string(w.out) != string(ref) {
		t.Fatalf("%q: wireJSON wrote %s, appendValueJSON %s", in, w.out, ref)
	}
}

func TestJSONToWireAbsentIsNull(t *testing.T) {
	b, err := jsonToWire(nil, func(int) []byte { return nil })
	var got structpb.Value
	if err != nil || proto.Unmarshal(b, &got) != nil || !proto.Equal(&got, structpb.NewNullValue()) {
		t.Fatalf("got %x, %v; want a null value", b, err)
	}
}

func BenchmarkJSONToValue(b *testing.B) {
	in := []byte(`[{"id": 101, "number": 12, "title": "Fix the login redirect", "state": "open", "draft": false,
		"user": {"login": "alice", "id": 1}, "labels": [{"name": "bug"}, {"name": "p1"}], "body": null,
		"created_at": "2026-01-01T10:00:00Z", "merged_at": null, "comments": 3}]`)
	b.Run("direct", func(b *testing.B) {
		for b.Loop() {
			if _, err := jsonToValue(in); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("wire", func(b *testing.B) {
		for b.Loop() {
			if _, err := jsonToWire(in, func(int) []byte { return nil }); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("tree+marshal", func(b *testing.B) {
		for b.Loop() {
			v, err := jsonToValue(in)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := proto.Marshal(v); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("reference", func(b *testing.B) {
		for b.Loop() {
			if _, err := referenceValue(in); err != nil {
				b.Fatal(err)
			}
		}
	})
}
