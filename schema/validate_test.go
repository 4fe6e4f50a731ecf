package schema

import (
	"encoding/json"
	"errors"
	"math"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"
)

// testFile stands in for bosaclient.File and uploaded parts.
type testFile struct{ name string }

func isTestFile(v any) bool { _, ok := v.(testFile); return ok }

func mustSchema(t testing.TB, s string) *Schema {
	t.Helper()
	var sc Schema
	if err := json.Unmarshal([]byte(s), &sc); err != nil {
		t.Fatalf("bad test schema %s: %v", s, err)
	}
	return &sc
}

func mustJSON(t testing.TB, s string, useNumber bool) map[string]any {
	t.Helper()
	if s == "" {
		return nil
	}
	d := json.NewDecoder(strings.NewReader(s))
	if useNumber {
		d.UseNumber()
	}
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		t.Fatalf("bad test JSON %s: %v", s, err)
	}
	return m
}

// prSchema is a list_pull_requests-like action schema with every construct Validate handles.
const prSchema = `{
 "title": "ListPullRequestsRequest", "type": "object", "required": ["owner", "repo"],
 "properties": {
  "owner": {"type": "string"}, "repo": {"type": "string"},
  "state": {"anyOf": [{"type": "string", "enum": ["open", "closed", "all"]}, {"type": "null"}], "default": null},
  "page": {"anyOf": [{"type": "integer"}, {"type": "null"}], "default": null},
  "ratio": {"anyOf": [{"type": "number"}, {"type": "null"}], "default": null},
  "draft": {"anyOf": [{"type": "boolean"}, {"type": "null"}], "default": null},
  "labels": {"anyOf": [{"type": "array", "items": {"type": "object", "required": ["name"],
      "properties": {"name": {"type": "string"}, "color": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": null}}}},
    {"type": "null"}], "default": null},
  "meta": {"anyOf": [{"type": "object"}, {"type": "null"}], "default": null},
  "extra": {"anyOf": [{"type": "object", "properties": {"a": {"type": "integer"}}, "additionalProperties": true}, {"type": "null"}], "default": null},
  "counts": {"anyOf": [{"type": "object", "additionalProperties": {"type": "integer"}}, {"type": "null"}], "default": null},
  "closed": {"anyOf": [{"type": "object", "properties": {"b": {"type": "boolean", "default": false}}, "additionalProperties": false}, {"type": "null"}], "default": null},
  "file": {"anyOf": [{"type": "string", "format": "binary"}, {"type": "null"}], "default": null},
  "files": {"anyOf": [{"type": "array", "items": {"type": "string", "format": "binary"}}, {"type": "null"}], "default": null},
  "id_or_name": {"anyOf": [{"type": "integer"}, {"type": "string"}, {"type": "null"}], "default": null},
  "level": {"anyOf": [{"type": "integer", "enum": [1, 2, 3]}, {"type": "null"}], "default": null},
  "nothing": {"anyOf": [{"type": "null"}], "default": null},
  "anything": {},
  "odd": {"anyOf": [{"type": "exotic"}, {"type": "null"}], "default": null},
  "response_fields": {"anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "null"}], "default": null},
  "response_filters": {"anyOf": [{"type": "array", "items": {"type": "object"}}, {"type": "null"}], "default": null}
 }}`

const prKnown = "anything, closed, counts, draft, extra, file, files, id_or_name, labels, level, meta, nothing, odd, owner, page, ratio, repo, response_fields, response_filters, state"

func TestValidate(t *testing.T) {
	s := mustSchema(t, prSchema)
	strict := Options{IsFile: isTestFile}
	lax := Options{Lax: true, Unknown: UnknownDrop, IsFile: isTestFile}
	tests := []struct {
		name   string
		params map[string]any // used when json is empty
		json   string
		opts   Options
		want   string // JSON of the normalized result
		errs   []string
	}{
		{name: "minimal", json: `{"owner": "acme", "repo": "web"}`, opts: strict, want: `{"owner": "acme", "repo": "web"}`},
		{name: "nulls omitted", json: `{"owner": "acme", "repo": "web", "page": null, "state": null, "bogus": null}`, opts: strict,
			want: `{"owner": "acme", "repo": "web"}`},
		{name: "everything valid", json: `{"owner": "a", "repo": "b", "state": "open", "page": 2, "ratio": 0.5, "draft": false,
			"labels": [{"name": "bug"}, {"name": "x", "color": null}], "meta": {"k": null, "l": [1, {"m": null}]},
			"extra": {"a": 1, "z": "kept"}, "counts": {"x": 1, "y": 2.0}, "closed": {"b": true}, "id_or_name": "web", "level": 2,
			"anything": [1, "x", null], "odd": {"q": 1}, "response_fields": ["number", "user.login"],
			"response_filters": [{"type": "string", "field_name": "state", "value": "open", "root": null}]}`, opts: strict,
			want: `{"owner": "a", "repo": "b", "state": "open", "page": 2, "ratio": 0.5, "draft": false,
			"labels": [{"name": "bug"}, {"name": "x"}], "meta": {"k": null, "l": [1, {"m": null}]},
			"extra": {"a": 1, "z": "kept"}, "counts": {"x": 1, "y": 2}, "closed": {"b": true}, "id_or_name": "web", "level": 2,
			"anything": [1, "x", null], "odd": {"q": 1}, "response_fields": ["number", "user.login"],
			"response_filters": [{"type": "string", "field_name": "state", "value": "open", "root": null}]}`},
		{name: "required", json: `{"owner": null}`, opts: strict, errs: []string{"owner: is required", "repo: is required"}},
		{name: "nil params", opts: strict, errs: []string{"owner: is required", "repo: is required"}},
		{name: "strict types", json: `{"owner": 5, "repo": ["x"], "page": "x", "ratio": "0.5", "draft": "true", "state": "merged",
			"labels": [{"name": 5}, {"color": "red", "bogus": 1}, "x"], "meta": [], "counts": {"a": "1"}, "closed": {"b": 1, "c": 2},
			"id_or_name": true, "level": 4, "nothing": 1, "response_fields": "number"}`, opts: strict,
			errs: []string{
				`closed.b: must be a boolean, got number 1`,
				`closed.c: is not a field of this object (known: b)`,
				`counts.a: must be an integer, got string "1"`,
				`draft: must be a boolean, got string "true"`,
				`id_or_name: must be an integer or a string, got boolean true`,
				`labels[0].name: must be a string, got number 5`,
				`labels[1].name: is required`,
				`labels[1].bogus: is not a field of this object (known: color, name)`,
				`labels[2]: must be an object, got string "x"`,
				`level: must be one of 1, 2, 3, got number 4`,
				`meta: must be an object, got array`,
				`nothing: must be null, got number 1`,
				`owner: must be a string, got number 5`,
				`page: must be an integer, got string "x"`,
				`ratio: must be a number, got string "0.5"`,
				`repo: must be a string, got array`,
				`response_fields: must be an array of strings, got string "number"`,
				`state: must be one of "open", "closed", "all", got string "merged"`,
			}},
		{name: "integers", json: `{"owner": "a", "repo": "b", "page": 5.0, "level": 3}`, opts: strict, want: `{"owner": "a", "repo": "b", "page": 5, "level": 3}`},
		{name: "fractional integer", json: `{"owner": "a", "repo": "b", "page": 2.5}`, opts: strict, errs: []string{`page: must be an integer, got number 2.5`}},
		{name: "huge integer", json: `{"owner": "a", "repo": "b", "page": 10000000000000000000}`, opts: strict, errs: []string{`page: must be an integer, got number 10000000000000000000`}},
		{name: "lax coercions", json: `{"owner": "a", "repo": "b", "page": " 5 ", "ratio": "2.5", "draft": "True", "level": "2.0",
			"counts": {"x": "7"}, "closed": {"b": "0"}, "id_or_name": "5", "labels": [{"name": "n", "zzz": 1}], "unknown": 1}`, opts: lax,
			want: `{"owner": "a", "repo": "b", "page": 5, "ratio": 2.5, "draft": true, "level": 2,
			"counts": {"x": 7}, "closed": {"b": false}, "id_or_name": "5", "labels": [{"name": "n"}]}`},
		{name: "lax booleans", json: `{"owner": "a", "repo": "b", "draft": "yes"}`, opts: lax, want: `{"owner": "a", "repo": "b", "draft": true}`},
		{name: "lax never turns numbers into strings", json: `{"owner": 5, "repo": true, "page": "five", "draft": "maybe", "ratio": "NaN", "level": "1e400"}`, opts: lax,
			errs: []string{
				`draft: must be a boolean, got string "maybe"`,
				`level: must be an integer, got string "1e400"`,
				`owner: must be a string, got number 5`,
				`page: must be an integer, got string "five"`,
				`ratio: must be a number, got string "NaN"`,
				`repo: must be a string, got boolean true`,
			}},
		{name: "unknown rejected", json: `{"owner": "a", "repo": "b", "cursor": "c"}`, opts: strict,
			errs: []string{`cursor: is not a parameter of this action (known: ` + prKnown + `)`}},
		{name: "unknown dropped", json: `{"owner": "a", "repo": "b", "cursor": "c", "labels": [{"name": "n", "x": 1}]}`,
			opts: Options{Unknown: UnknownDrop}, want: `{"owner": "a", "repo": "b", "labels": [{"name": "n"}]}`},
		{name: "unknown kept", json: `{"owner": "a", "repo": "b", "cursor": "c", "labels": [{"name": "n", "x": {"y": null}}]}`,
			opts: Options{Unknown: UnknownKeep}, want: `{"owner": "a", "repo": "b", "cursor": "c", "labels": [{"name": "n", "x": {"y": null}}]}`},
		{name: "additionalProperties false rejects even when keeping", json: `{"owner": "a", "repo": "b", "closed": {"c": 1}}`,
			opts: Options{Unknown: UnknownKeep}, errs: []string{`closed.c: is not a field of this object (known: b)`}},
		{name: "additionalProperties false drops when dropping", json: `{"owner": "a", "repo": "b", "closed": {"c": 1}}`,
			opts: Options{Unknown: UnknownDrop}, want: `{"owner": "a", "repo": "b", "closed": {}}`},
		{name: "files", params: map[string]any{"owner": "a", "repo": "b", "file": testFile{"a.pdf"},
			"files": []any{testFile{"b"}, "text", []byte("raw")}}, opts: strict,
			want: `{"owner": "a", "repo": "b", "file": {}, "files": [{}, "text", "cmF3"]}`},
		{name: "files rejected", params: map[string]any{"owner": "a", "repo": "b", "file": 5, "files": []any{testFile{"b"}, 5.0}}, opts: strict,
			errs: []string{`file: must be a file or a string, got number 5`, `files[1]: must be a file or a string, got number 5`}},
		{name: "file value without IsFile", params: map[string]any{"owner": "a", "repo": "b", "file": testFile{"a"}}, opts: Options{},
			errs: []string{`file: must be a file or a string, got a value of Go type schema.testFile`}},
		{name: "Go values", params: map[string]any{"owner": "a", "repo": "b", "page": int32(3), "ratio": float32(0.5), "level": uint8(1),
			"response_fields": []string{"a", "b"}, "meta": map[string]int{"x": 1}, "labels": []map[string]any{{"name": "n"}},
			"id_or_name": json.Number("12"), "counts": map[string]any{"u": uint64(7), "i": int64(-1), "j": json.Number("4.0")}}, opts: strict,
			want: `{"owner": "a", "repo": "b", "page": 3, "ratio": 0.5, "level": 1, "response_fields": ["a", "b"], "meta": {"x": 1},
			"labels": [{"name": "n"}], "id_or_name": 12, "counts": {"u": 7, "i": -1, "j": 4}}`},
		{name: "Go values rejected", params: map[string]any{"owner": "a", "repo": "b", "page": uint64(math.MaxUint64), "ratio": math.Inf(1),
			"level": struct{}{}, "counts": map[string]any{"x": json.Number("1.5"), "y": json.Number("zz")}}, opts: strict,
			errs: []string{
				`counts.x: must be an integer, got number 1.5`,
				`counts.y: must be an integer, got number zz`,
				`level: must be an integer, got a value of Go type struct {}`,
				`page: must be an integer, got number 18446744073709551615`,
				`ratio: must be a number, got a non-finite number`,
			}},
		{name: "long strings are not echoed", json: `{"owner": "a", "repo": "b", "page": "` + strings.Repeat("s", 100) + `"}`, opts: strict,
			errs: []string{`page: must be an integer, got a string of 100 bytes`}},
	}
	for _, tt := range tests {
		for _, useNumber := range []bool{false, true} {
			params := tt.params
			if tt.json != "" {
				params = mustJSON(t, tt.json, useNumber)
			}
			got, err := s.Validate(params, tt.opts)
			checkViolations(t, tt.name, err, tt.errs)
			if err == nil && tt.errs == nil {
				if g, w := canon(t, got), canon(t, mustJSON(t, tt.want, false)); g != w {
					t.Errorf("%s (useNumber=%v):\n got %s\nwant %s", tt.name, useNumber, g, w)
				}
			}
			if tt.params != nil {
				break
			}
		}
	}
}

func TestValidateResultTypes(t *testing.T) {
	s := mustSchema(t, prSchema)
	got, err := s.Validate(mustJSON(t, `{"owner": "a", "repo": "b", "page": "3", "ratio": 1, "response_fields": ["x"]}`, true), Options{Lax: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := got["page"].(int64); !ok {
		t.Errorf("page is %T, want int64", got["page"])
	}
	if _, ok := got["ratio"].(float64); !ok {
		t.Errorf("ratio is %T, want float64", got["ratio"])
	}
	if _, ok := got["response_fields"].([]any); !ok {
		t.Errorf("response_fields is %T, want []any", got["response_fields"])
	}
	// The result is a copy: changing it leaves the input alone.
	in := map[string]any{"owner": "a", "repo": "b", "meta": map[string]any{"k": []any{1.0}}}
	out, err := s.Validate(in, Options{})
	if err != nil {
		t.Fatal(err)
	}
	out["meta"].(map[string]any)["k"].([]any)[0] = 2.0
	if in["meta"].(map[string]any)["k"].([]any)[0] != 1.0 {
		t.Error("Validate's result shares memory with its input")
	}
}

func TestValidateSchemas(t *testing.T) {
	tree := `{"type": "object", "required": [], "$defs": {
	    "Node": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"},
	      "children": {"anyOf": [{"type": "array", "items": {"$ref": "#/$defs/Node"}}, {"type": "null"}]}}},
	    "A": {"$ref": "#/$defs/B"}, "B": {"$ref": "#/$defs/A"}},
	  "properties": {"tree": {"$ref": "#/$defs/Node"}, "loop": {"anyOf": [{"$ref": "#/$defs/A"}, {"type": "null"}]},
	    "broken": {"anyOf": [{"$ref": "#/$defs/Missing"}, {"type": "null"}]}, "remote": {"$ref": "https://x/y.json"}}}`
	tests := []struct {
		name   string
		schema string
		params string
		opts   Options
		want   string
		errs   []string
	}{
		{name: "no required list: the convention", schema: `{"type": "object", "properties": {"a": {"type": "string"},
			"b": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": null}, "c": {"type": "integer", "default": 3}, "d": {}}}`,
			params: `{}`, errs: []string{"a: is required"}},
		{name: "empty required list: nothing required", schema: `{"type": "object", "required": [], "properties": {"a": {"type": "string"}}}`,
			params: `{}`, want: `{}`},
		{name: "required names a property not declared", schema: `{"type": "object", "required": ["z", "z"]}`,
			params: `{}`, errs: []string{"z: is required"}},
		{name: "empty schema takes no parameters", schema: `{}`, params: `{"x": 1}`,
			errs: []string{"x: is not a parameter of this action (known: none)"}},
		{name: "empty schema, unknown dropped", schema: `{}`, params: `{"x": 1}`, opts: Options{Unknown: UnknownDrop}, want: `{}`},
		{name: "top-level additionalProperties", schema: `{"type": "object", "additionalProperties": true, "properties": {"a": {"type": "integer"}}}`,
			params: `{"a": 1, "b": [2]}`, want: `{"a": 1, "b": [2]}`},
		{name: "top-level additionalProperties false beats keep", schema: `{"type": "object", "additionalProperties": false}`,
			params: `{"b": 1}`, opts: Options{Unknown: UnknownKeep}, errs: []string{"b: is not a parameter of this action (known: none)"}},
		{name: "recursive $ref", schema: tree,
			params: `{"tree": {"name": "root", "children": [{"name": "a", "children": [{"name": "a1"}, {"name": 5}]}, {"x": 1}]}}`,
			errs: []string{
				`tree.children[0].children[1].name: must be a string, got number 5`,
				`tree.children[1].name: is required`,
				`tree.children[1].x: is not a field of this object (known: children, name)`,
			}},
		{name: "recursive $ref valid", schema: tree, params: `{"tree": {"name": "r", "children": [{"name": "a", "children": null}]}}`,
			want: `{"tree": {"name": "r", "children": [{"name": "a"}]}}`},
		{name: "broken $ref", schema: tree, params: `{"broken": 1, "loop": 2, "remote": 3}`,
			errs: []string{
				`broken: cannot be checked: the schema has a broken $ref "#/$defs/Missing"`,
				`loop: cannot be checked: the schema's $ref chain "#/$defs/A" does not end`,
				`remote: cannot be checked: the schema has a broken $ref "https://x/y.json"`,
			}},
		{name: "type list", schema: `{"type": "object", "properties": {"a": {"type": ["integer", "null"], "enum": [1, 2, null]}}}`,
			params: `{"a": 2}`, want: `{"a": 2}`},
		{name: "type list rejects", schema: `{"type": "object", "properties": {"a": {"type": ["integer", "string"]}}}`,
			params: `{"a": false}`, errs: []string{`a: must be an integer or a string, got boolean false`}},
		{name: "untyped properties mean object, untyped items mean array", schema: `{"properties": {"o": {"properties": {"x": {"type": "integer"}}}, "l": {"items": {"type": "integer"}}}}`,
			params: `{"o": {"x": "1"}, "l": [1, "2"]}`, errs: []string{`l[1]: must be an integer, got string "2"`, `o.x: must be an integer, got string "1"`}},
		{name: "enum alone", schema: `{"properties": {"e": {"enum": ["a", 1, true, null]}}}`,
			params: `{"e": "b"}`, errs: []string{`e: must be one of "a", 1, true, null, got string "b"`}},
		{name: "enum alone accepts", schema: `{"properties": {"e": {"enum": ["a", 1, true, null]}, "f": {"enum": [1, true]}}}`,
			params: `{"e": 1.0, "f": true}`, want: `{"e": 1, "f": true}`},
		{name: "enum number is not boolean", schema: `{"properties": {"f": {"enum": [1]}, "g": {"enum": [true]}}}`,
			params: `{"f": true, "g": 1}`, errs: []string{`f: must be one of 1, got boolean true`, `g: must be one of true, got number 1`}},
		{name: "anyOf of objects reports the object member", schema: `{"properties": {"x": {"anyOf": [{"type": "string"},
			{"type": "object", "required": ["k"], "properties": {"k": {"type": "integer"}}}]}}}`,
			params: `{"x": {"k": "v"}}`, errs: []string{`x.k: must be an integer, got string "v"`}},
		{name: "anyOf with enum", schema: `{"properties": {"x": {"anyOf": [{"type": "string"}, {"type": "integer"}], "enum": ["a", 1]}}}`,
			params: `{"x": "b"}`, errs: []string{`x: must be a string or an integer, got string "b"`}},
		{name: "null inside arrays", schema: `{"properties": {"l": {"type": "array", "items": {"type": "integer"}}, "n": {"type": "array", "items": {"anyOf": [{"type": "integer"}, {"type": "null"}]}}}}`,
			params: `{"l": [1, null], "n": [null, 1]}`, errs: []string{`l[1]: must be an integer, got null`}},
		{name: "array without items", schema: `{"properties": {"l": {"type": "array"}}}`, params: `{"l": [1, {"a": null}]}`, want: `{"l": [1, {"a": null}]}`},
		{name: "array of arrays message", schema: `{"properties": {"l": {"type": "array", "items": {"type": "array", "items": {"type": "string"}}}, "b": {"type": "array", "items": {"type": "null"}}, "f": {"type": "array", "items": {"type": "string", "format": "binary"}}}}`,
			params: `{"l": 1, "b": 2, "f": 3}`, errs: []string{`b: must be an array of nulls, got number 2`, `f: must be an array of files, got number 3`, `l: must be an array of arrays, got number 1`}},
	}
	for _, tt := range tests {
		s := mustSchema(t, tt.schema)
		got, err := s.Validate(mustJSON(t, tt.params, false), tt.opts)
		checkViolations(t, tt.name, err, tt.errs)
		if err == nil && tt.errs == nil {
			if g, w := canon(t, got), canon(t, mustJSON(t, tt.want, false)); g != w {
				t.Errorf("%s:\n got %s\nwant %s", tt.name, g, w)
			}
		}
	}
}

func TestValidateNeverRecursesForever(t *testing.T) {
	s := mustSchema(t, `{"required": [], "$defs": {"N": {"type": "object", "properties": {"n": {"$ref": "#/$defs/N"}}}},
		"properties": {"n": {"$ref": "#/$defs/N"}, "free": {}}}`)
	cyclic := map[string]any{}
	cyclic["n"] = cyclic
	_, err := s.Validate(map[string]any{"n": cyclic}, Options{})
	var ve *ValidationError
	if !errors.As(err, &ve) || !strings.Contains(ve.Violations[0].Description, "nested more than 256 levels") {
		t.Fatalf("got %v", err)
	}
	// Free-form cyclic values are copied to a bounded depth, not forever.
	if _, err := s.Validate(map[string]any{"free": cyclic}, Options{}); err != nil {
		t.Fatal(err)
	}
	var nilSchema *Schema
	if out, err := nilSchema.Validate(nil, Options{Unknown: UnknownDrop}); err != nil || len(out) != 0 {
		t.Fatalf("nil schema: %v %v", out, err)
	}
}

func TestValidationErrorString(t *testing.T) {
	e := &ValidationError{Violations: []Violation{{"owner", "is required"}, {"page", `must be an integer, got string "x"`}, {"", "must be an object"}}}
	want := `invalid parameters: owner: is required; page: must be an integer, got string "x"; must be an object`
	if e.Error() != want {
		t.Errorf("got %s\nwant %s", e.Error(), want)
	}
	if (&ValidationError{}).Error() != "invalid parameters" {
		t.Error("empty error")
	}
}

func checkViolations(t *testing.T, name string, err error, want []string) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Errorf("%s: unexpected error %v", name, err)
		}
		return
	}
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Errorf("%s: got %v, want a *ValidationError", name, err)
		return
	}
	var got []string
	for _, v := range ve.Violations {
		got = append(got, v.Field+": "+v.Description)
	}
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", " ")
		w, _ := json.MarshalIndent(want, "", " ")
		t.Errorf("%s: violations\n got %s\nwant %s", name, g, w)
	}
}

func canon(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	var back any
	_ = json.Unmarshal(b, &back)
	b, _ = json.Marshal(back)
	return string(b)
}

func TestValidateBoundedWork(t *testing.T) {
	s := mustSchema(t, `{"required": [], "$defs": {"Node": {"anyOf": [
		{"type": "object", "required": ["x"], "properties": {"a": {"$ref": "#/$defs/Node"}}},
		{"type": "object", "required": ["y"], "properties": {"a": {"$ref": "#/$defs/Node"}}}]}},
		"properties": {"n": {"$ref": "#/$defs/Node"}}}`)
	deep := map[string]any{}
	for range 60 {
		deep = map[string]any{"a": deep}
	}
	start := time.Now()
	_, err := s.Validate(map[string]any{"n": deep}, Options{Lax: true})
	var ve *ValidationError
	if !errors.As(err, &ve) || len(ve.Violations) != 61 || ve.Violations[60].Field != "n.x" || ve.Violations[60].Description != "is required" {
		t.Errorf("cheap checks first: got %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
	// Every level satisfies the first member's required field, so each level's failure is found
	// only at the bottom: exponential without the step budget.
	deep = map[string]any{"bad": true}
	for range 60 {
		deep = map[string]any{"x": 1, "a": deep}
	}
	defer func(n int) { maxSteps = n }(maxSteps)
	maxSteps = 10_000
	start = time.Now()
	_, err = s.Validate(map[string]any{"n": deep}, Options{Lax: true})
	checkViolations(t, "budget", err, []string{": too complex to check against this schema (more than 10000 steps)"})
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
	// Shallow data against the same schema still gets precise messages.
	_, err = s.Validate(map[string]any{"n": map[string]any{"x": 1, "a": map[string]any{"z": 1}}}, Options{})
	checkViolations(t, "shallow", err, []string{"n.a.x: is required", "n.a.z: is not a field of this object (known: a)"})
}

func TestValidateRootRef(t *testing.T) {
	s := mustSchema(t, `{"$ref": "#/$defs/Req", "$defs": {"Req": {"type": "object", "required": ["n"], "properties": {"n": {"type": "integer"}}}}}`)
	got, err := s.Validate(map[string]any{"n": "4"}, Options{Lax: true})
	if err != nil || got["n"] != int64(4) {
		t.Errorf("got %v, %v", got, err)
	}
	form, err := s.DecodeForm(url.Values{"n": {"5"}})
	if err != nil || form["n"] != int64(5) {
		t.Errorf("form: got %v, %v", form, err)
	}
	broken := mustSchema(t, `{"$ref": "#/$defs/Nope"}`)
	_, err = broken.Validate(map[string]any{}, Options{})
	checkViolations(t, "broken root", err, []string{`: cannot be checked: the schema has a broken $ref "#/$defs/Nope"`})
	_, err = broken.DecodeForm(url.Values{})
	checkViolations(t, "broken root form", err, []string{`: cannot be checked: the schema has a broken $ref "#/$defs/Nope"`})
}

func TestNumberConversions(t *testing.T) {
	tests := []struct {
		v       any
		coerce  bool
		i       int64
		intOK   bool
		f       float64
		floatOK bool
	}{
		{v: 3, i: 3, intOK: true, f: 3, floatOK: true},
		{v: int8(-3), i: -3, intOK: true, f: -3, floatOK: true},
		{v: int16(300), i: 300, intOK: true, f: 300, floatOK: true},
		{v: int32(7), i: 7, intOK: true, f: 7, floatOK: true},
		{v: int64(1 << 40), i: 1 << 40, intOK: true, f: 1 << 40, floatOK: true},
		{v: uint(5), i: 5, intOK: true, f: 5, floatOK: true},
		{v: uint8(5), i: 5, intOK: true, f: 5, floatOK: true},
		{v: uint16(5), i: 5, intOK: true, f: 5, floatOK: true},
		{v: uint32(5), i: 5, intOK: true, f: 5, floatOK: true},
		{v: uint64(5), i: 5, intOK: true, f: 5, floatOK: true},
		{v: float32(1.5), f: 1.5, floatOK: true},
		{v: float32(2), i: 2, intOK: true, f: 2, floatOK: true},
		{v: 2.0, i: 2, intOK: true, f: 2, floatOK: true},
		{v: math.NaN()},
		{v: json.Number("12"), i: 12, intOK: true, f: 12, floatOK: true},
		{v: json.Number("1e2"), i: 100, intOK: true, f: 100, floatOK: true},
		{v: json.Number("x")},
		{v: "12"},
		{v: "12", coerce: true, i: 12, intOK: true, f: 12, floatOK: true},
		{v: " -1.0 ", coerce: true, i: -1, intOK: true, f: -1, floatOK: true},
		{v: "0x10", coerce: true},
		{v: "1_000", coerce: true},
		{v: "", coerce: true},
		{v: "Inf", coerce: true},
		{v: true, coerce: true},
		{v: nil},
	}
	for _, tt := range tests {
		i, iok := toInt(tt.v, tt.coerce)
		f, fok := toFloat(tt.v, tt.coerce)
		if iok != tt.intOK || (iok && i != tt.i) || fok != tt.floatOK || (fok && f != tt.f) {
			t.Errorf("%T %v (coerce %v): int %v %v, float %v %v", tt.v, tt.v, tt.coerce, i, iok, f, fok)
		}
	}
	if _, ok := toInt(uint(math.MaxUint64), false); ok {
		t.Error("uint overflow accepted")
	}
}

func TestMessages(t *testing.T) {
	tests := []struct {
		schema string
		value  any
		want   string // "" when valid
	}{
		{`{"type": "string"}`, nil, "must be a string, got null"},
		{`{"type": "null"}`, nil, ""},
		{`{}`, nil, ""},
		{`{"enum": ["a", null]}`, nil, ""},
		{`{"enum": ["a"]}`, nil, `must be one of "a", got null`},
		{`{"type": "boolean"}`, nil, "must be a boolean, got null"},
		{`{"type": "number"}`, []byte("x"), "must be a number, got bytes"},
		{`{"type": "string", "format": "binary"}`, nil, "must be a file or a string, got null"},
		{`{"properties": {"a": {}}}`, nil, "must be an object, got null"},
		{`{"type": "array", "items": {"type": "string", "format": "binary"}}`, nil, "must be an array of files, got null"},
		{`{"type": "array", "items": {"anyOf": [{"type": "string"}]}}`, nil, "must be an array, got null"},
		{`{"anyOf": [{"type": "string"}, {"type": "integer"}, {"type": "integer"}, {"$ref": "#/$defs/Nope"}]}`, nil, "must be a string or an integer, got null"},
		{`{"anyOf": [{"$ref": "#/$defs/Nope"}]}`, nil, "must be a valid value, got null"},
		{`{"type": "custom"}`, nil, "must be a custom, got null"},
		{`{"type": "string"}`, float32(math.Inf(1)), "must be a string, got a non-finite number"},
		{`{"type": "string"}`, json.Number(strings.Repeat("9", 50)), "must be a string, got number " + strings.Repeat("9", 40) + "..."},
		{`{"type": "string"}`, 1e300, "must be a string, got number 1e+300"},
		{`{"type": "string"}`, []int{1}, "must be a string, got array"},
		{`{"type": "array"}`, "x", "must be an array, got string \"x\""},
		{`{"anyOf": [{"type": "integer"}, {"type": "boolean"}]}`, 2.5, "must be an integer, got number 2.5"},
		{`{"anyOf": [{"type": "string", "enum": ["a"]}, {"type": "integer"}]}`, "b", `must be one of "a", got string "b"`},
	}
	for _, tt := range tests {
		s := mustSchema(t, `{"type": "object", "required": [], "properties": {"p": {"type": "array", "items": `+tt.schema+`}}}`)
		_, err := s.Validate(map[string]any{"p": []any{tt.value}}, Options{})
		var want []string
		if tt.want != "" {
			want = []string{"p[0]: " + tt.want}
		}
		checkViolations(t, tt.schema, err, want)
	}
	if got := enumList([]any{func() {}, nil, 1.5}); !strings.HasPrefix(got, "0x") || !strings.HasSuffix(got, ", null, 1.5") {
		t.Errorf("enumList: %s", got)
	}
}
