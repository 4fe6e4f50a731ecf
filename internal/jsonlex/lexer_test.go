package jsonlex

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
)

// skip runs SkipValue over the whole input, as a reader of one JSON document does.
func skip(b []byte) error {
	l := Lexer{B: b}
	if err := l.SkipValue(0); err != nil {
		return err
	}
	return l.End()
}

// TestSkipValue: the lexer accepts exactly what json.Valid accepts.
func TestSkipValue(t *testing.T) {
	deep := strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth)
	tooDeep := "[" + deep + "]"
	valid := []string{
		`{"a": 1, "b": [true, false, null], "c": {"d": "e"}}`, " \t\r\n[ 1 , 2 ]\n", `[{}, [], {"a": []}]`,
		`"a\"b\\c\/d\b\f\n\r\t\u00e9\ud83d\ude00"`, "\"a\xffb\"",
		`[0, -0, 1.5, 1e10, 1E+2, 2e-3, 123456789012345678901234567890, 1e999]`, deep,
	}
	invalid := []string{
		tooDeep, ``, `  `, `01`, `-`, `1.`, `1e+`, `+1`, `[1,]`, `{"a":1,}`, `{"a" 1}`, `{1: 2}`, `"abc`,
		"\"a\nb\"", `"\x"`, `"\u12"`, `tru`, `1 2`, `[1}`, `{"a": 1`,
	}
	for _, in := range append(valid, invalid...) {
		want := slices.Contains(valid, in)
		if json.Valid([]byte(in)) != want {
			t.Fatalf("%.40q: json.Valid disagrees with the table", in)
		}
		if err := skip([]byte(in)); (err == nil) != want {
			t.Errorf("%.40q: error %v, want valid: %v", in, err, want)
		}
	}
	if err := skip([]byte(tooDeep)); !errors.Is(err, ErrDepth) {
		t.Fatalf("too deep: error %v, want ErrDepth", err)
	}
}

// TestKeyAndScalar: Key and Scalar report where literals are and whether a string needs decoding,
// and Unquote decodes as encoding/json does.
func TestKeyAndScalar(t *testing.T) {
	tests := []struct {
		name, in string
		kind     byte
		plain    bool
		text     string // a string's content
	}{
		{"plain", `{"k": "abc"}`, '"', true, "abc"},
		{"non-ASCII", `{"k": "héllo"}`, '"', true, "héllo"},
		{"escaped", `{"k": "a\nb\u00e9"}`, '"', false, "a\nbé"},
		{"invalid UTF-8", "{\"k\": \"a\xffb\"}", '"', false, "a\uFFFDb"},
		{"lone surrogate", `{"k": "\ud800"}`, '"', false, "\uFFFD"},
		{"number", `{"k": -1.5e3}`, '0', false, ""},
		{"true", `{"k": true}`, 't', false, ""},
		{"false", `{"k": false}`, 'f', false, ""},
		{"null", `{"k": null}`, 'n', false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := Lexer{B: []byte(tt.in)}
			if closer, err := l.Open(0); err != nil || closer != '}' || l.Close(closer) {
				t.Fatalf("Open: %q, %v", closer, err)
			}
			start, end, plain, err := l.Key()
			if err != nil || tt.in[start:end] != `"k"` || !plain {
				t.Fatalf("Key: %q, plain %v, %v", tt.in[start:end], plain, err)
			}
			kind, start, plain, err := l.Scalar()
			if err != nil || kind != tt.kind || plain != tt.plain {
				t.Fatalf("Scalar: kind %q plain %v, %v; want %q, %v", kind, plain, err, tt.kind, tt.plain)
			}
			lit := tt.in[start:l.I]
			var want any
			if err := json.Unmarshal([]byte(lit), &want); err != nil {
				t.Fatalf("literal %q: %v", lit, err)
			}
			if kind == '"' {
				got := lit[1 : len(lit)-1]
				if !plain {
					if got, err = l.Unquote(start, l.I); err != nil {
						t.Fatal(err)
					}
				}
				if got != tt.text || got != want {
					t.Fatalf("text %q, want %q (encoding/json: %q)", got, tt.text, want)
				}
			}
			if more, err := l.More('}'); more || err != nil {
				t.Fatalf("More: %v, %v", more, err)
			}
			if err := l.End(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// FuzzSkipValue: the lexer accepts exactly what json.Valid accepts.
func FuzzSkipValue(f *testing.F) {
	for _, s := range []string{
		`{"data": [{"id": 1, "title": "x", "labels": ["a", "b"], "merged": false, "body": null}]}`,
		`[1.5e3, -0.0, "\u00e9\n", {"a": {"b": []}}]`, `"\ud83d\ude00"`, "\"\xff\"", `{"a":1,"a":2}`,
		`1e999`, `[1,]`, `"\u12`, ` true `, `nul`, `{"a" 1}`, `01`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := skip(b); (err == nil) != json.Valid(b) {
			t.Fatalf("%q: error %v, json.Valid %v", b, err, json.Valid(b))
		}
	})
}
