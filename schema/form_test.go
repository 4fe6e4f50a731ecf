package schema

import (
	"net/url"
	"testing"
)

func TestDecodeForm(t *testing.T) {
	s := mustSchema(t, `{"type": "object", "required": ["folder_id"], "$defs": {"Int": {"type": "integer"}}, "properties": {
		"folder_id": {"type": "string"},
		"overwrite": {"anyOf": [{"type": "boolean"}, {"type": "null"}], "default": null},
		"count": {"type": "integer"}, "ref_count": {"$ref": "#/$defs/Int"},
		"ratio": {"anyOf": [{"type": "number"}, {"type": "null"}]},
		"tags": {"anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "null"}]},
		"ids": {"type": "array", "items": {"type": "integer"}},
		"flags": {"type": "array", "items": {"type": "boolean"}},
		"id_or_name": {"anyOf": [{"type": "integer"}, {"type": "string"}]},
		"num_or_bool": {"anyOf": [{"type": "integer"}, {"type": "boolean"}, {"type": "null"}]},
		"only_null": {"anyOf": [{"type": "null"}]},
		"opts": {"type": "object", "properties": {"a": {"type": "integer"}}},
		"matrix": {"type": "array", "items": {"type": "array", "items": {"type": "integer"}}},
		"file": {"type": "string", "format": "binary"},
		"free": {}}}`)
	tests := []struct {
		name  string
		query string
		want  string
		errs  []string
	}{
		{name: "spec example", query: "folder_id=1AbCdEfGh&overwrite=False&tags=finance&tags=q3",
			want: `{"folder_id": "1AbCdEfGh", "overwrite": false, "tags": ["finance", "q3"]}`},
		{name: "typed scalars", query: "count=5&ref_count=6&ratio=2.5&overwrite=True&folder_id=7&file=abc&free=x",
			want: `{"count": 5, "ref_count": 6, "ratio": 2.5, "overwrite": true, "folder_id": "7", "file": "abc", "free": "x"}`},
		{name: "boolean spellings", query: "flags=True&flags=False&flags=true&flags=false&flags=1&flags=0",
			want: `{"flags": [true, false, true, false, true, false]}`},
		{name: "single value for an array", query: "tags=one&ids=3", want: `{"tags": ["one"], "ids": [3]}`},
		{name: "integral decimal text is an integer", query: "count=5.0", want: `{"count": 5}`},
		{name: "anyOf: string member keeps text", query: "id_or_name=5", want: `{"id_or_name": "5"}`},
		{name: "anyOf: first typed member that converts", query: "num_or_bool=True", want: `{"num_or_bool": true}`},
		{name: "anyOf: integer", query: "num_or_bool=2", want: `{"num_or_bool": 2}`},
		{name: "anyOf of null only keeps text", query: "only_null=x", want: `{"only_null": "x"}`},
		{name: "objects and nested arrays as JSON text", query: `opts={"a":1}&matrix=[1,2]&matrix=[3]`,
			want: `{"opts": {"a": 1}, "matrix": [[1, 2], [3]]}`},
		{name: "unknown fields kept as strings", query: "x=1&y=a&y=b", want: `{"x": "1", "y": ["a", "b"]}`},
		{name: "bad values, all reported", query: "count=five&ratio=NaN&overwrite=yes&ids=1&ids=x&folder_id=a&folder_id=b&opts=[1]&num_or_bool=maybe&ref_count=",
			errs: []string{
				`count: must be an integer, got string "five"`,
				`folder_id: takes one value, got 2`,
				`ids[1]: must be an integer, got string "x"`,
				`num_or_bool: must be an integer, got string "maybe"`,
				`opts: must be an object, which a form field can carry only as JSON text; got string "[1]"`,
				`overwrite: must be a boolean (True, False, true, false, 1 or 0), got string "yes"`,
				`ratio: must be a number, got string "NaN"`,
				`ref_count: must be an integer, got string ""`,
			}},
	}
	for _, tt := range tests {
		values, err := url.ParseQuery(tt.query)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.DecodeForm(values)
		checkViolations(t, tt.name, err, tt.errs)
		if err == nil && tt.errs == nil {
			if g, w := canon(t, got), canon(t, mustJSON(t, tt.want, false)); g != w {
				t.Errorf("%s:\n got %s\nwant %s", tt.name, g, w)
			}
		}
	}
	// Empty value lists are skipped; a nil schema keeps everything as text.
	var nilSchema *Schema
	got, err := nilSchema.DecodeForm(url.Values{"a": {"1"}, "b": {}})
	if err != nil || canon(t, got) != `{"a":"1"}` {
		t.Errorf("nil schema: %v %v", got, err)
	}
	// A broken $ref is reported, not followed.
	broken := mustSchema(t, `{"properties": {"a": {"anyOf": [{"$ref": "#/$defs/X"}]}, "b": {"items": {"$ref": "#/$defs/X"}, "type": "array"}}}`)
	_, err = broken.DecodeForm(url.Values{"a": {"1"}, "b": {"2"}})
	checkViolations(t, "broken ref", err, []string{
		`a: cannot be checked: the schema has a broken $ref "#/$defs/X"`,
		`b[0]: cannot be checked: the schema has a broken $ref "#/$defs/X"`,
	})
}

// TestDecodeFormThenValidate is the sandbox's path for a form body: decode, then validate leniently.
func TestDecodeFormThenValidate(t *testing.T) {
	s := mustSchema(t, `{"type": "object", "required": ["folder_id", "file"], "properties": {
		"folder_id": {"type": "string"}, "file": {"type": "string", "format": "binary"},
		"overwrite": {"anyOf": [{"type": "boolean"}, {"type": "null"}], "default": null}}}`)
	form, err := s.DecodeForm(url.Values{"folder_id": {"f"}, "overwrite": {"True"}, "junk": {"x"}})
	if err != nil {
		t.Fatal(err)
	}
	form["file"] = testFile{"q3.pdf"}
	got, err := s.Validate(form, Options{Lax: true, Unknown: UnknownDrop, IsFile: isTestFile})
	if err != nil {
		t.Fatal(err)
	}
	if got["overwrite"] != true || got["file"] != (testFile{"q3.pdf"}) || got["junk"] != nil {
		t.Errorf("got %v", got)
	}
}
