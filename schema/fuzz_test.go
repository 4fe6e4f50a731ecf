package schema

import (
	"encoding/json"
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

// FuzzValidate runs arbitrary schemas and parameter objects through Validate in every mode:
// it must not panic, errors must be *ValidationError with actionable violations, results must
// encode as JSON, and validating a result again must return it unchanged.
// Seeds: testdata/fuzz/FuzzValidate and the f.Add calls below.
func FuzzValidate(f *testing.F) {
	f.Add(prSchema, `{"owner": "a", "repo": "b", "page": "2", "labels": [{"name": 1}], "x": null}`, byte(0))
	f.Add(prSchema, `{"owner": "a", "repo": "b", "page": "2", "draft": "True", "counts": {"a": "1"}, "zz": [1]}`, byte(2|4))
	f.Add(`{"$defs": {"N": {"type": "object", "properties": {"c": {"type": "array", "items": {"$ref": "#/$defs/N"}}}}}, "properties": {"n": {"$ref": "#/$defs/N"}}}`,
		`{"n": {"c": [{"c": []}, {"d": 1}]}}`, byte(1|8))
	f.Add(`{"required": ["z"], "additionalProperties": false, "properties": {"e": {"enum": [1, "a", null]}, "t": {"type": ["integer", "null"]}}}`,
		`{"z": {"q": null}, "e": 1.0, "t": 3}`, byte(3))
	f.Fuzz(func(t *testing.T, schemaJSON, paramsJSON string, mode byte) {
		var s Schema
		if json.Unmarshal([]byte(schemaJSON), &s) != nil {
			// Most mutations break the JSON: build a schema from the bytes instead.
			s = *genSchema([]byte(schemaJSON))
		}
		dec := json.NewDecoder(strings.NewReader(paramsJSON))
		if mode&1 != 0 {
			dec.UseNumber()
		}
		var params map[string]any
		if dec.Decode(&params) != nil {
			return
		}
		opts := Options{Lax: mode&2 != 0, Unknown: UnknownPolicy(mode >> 2 % 3), IsFile: isTestFile}
		out, err := s.Validate(params, opts)
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) || len(ve.Violations) == 0 || err.Error() == "" {
				t.Fatalf("bad error %#v", err)
			}
			for _, v := range ve.Violations {
				if v.Description == "" {
					t.Fatalf("empty description in %v", err)
				}
			}
			return
		}
		if _, err := json.Marshal(out); err != nil {
			t.Fatalf("result not JSON: %v", err)
		}
		again, err := s.Validate(out, opts)
		if err != nil {
			t.Fatalf("result does not validate again: %v\nresult: %#v", err, out)
		}
		if !reflect.DeepEqual(again, out) {
			t.Fatalf("validation not idempotent:\n%#v\n%#v", out, again)
		}
		// The introspection helpers must not panic either.
		_ = s.Parameters()
		_ = s.HasBinary()
		_, _ = s.Resolve()
	})
}

// FuzzDecodeForm decodes arbitrary form bodies against arbitrary schemas: no panic, errors are
// *ValidationError, results encode as JSON and survive a lax Validate without panicking.
// Seeds: testdata/fuzz/FuzzDecodeForm and the f.Add calls below.
func FuzzDecodeForm(f *testing.F) {
	f.Add(prSchema, "owner=a&repo=b&page=2&draft=True&labels=x&files=a&files=b")
	f.Add(`{"properties": {"n": {"anyOf": [{"type": "integer"}, {"type": "boolean"}]}, "o": {"type": "object"}, "l": {"items": {"type": "number"}, "type": "array"}}}`,
		"n=1&n=2&o=%7B%22a%22%3A1%7D&l=1.5&l=x")
	f.Fuzz(func(t *testing.T, schemaJSON, query string) {
		var s Schema
		if json.Unmarshal([]byte(schemaJSON), &s) != nil {
			return
		}
		values, _ := url.ParseQuery(query) // keeps what parsed
		out, err := s.DecodeForm(values)
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) || len(ve.Violations) == 0 {
				t.Fatalf("bad error %#v", err)
			}
			return
		}
		if _, err := json.Marshal(out); err != nil {
			t.Fatalf("result not JSON: %v", err)
		}
		_, _ = s.Validate(out, Options{Lax: true, Unknown: UnknownDrop})
	})
}

// genSchema builds an object schema with properties a, b, c and d from arbitrary bytes, so that
// every fuzz input exercises the validator, not only valid JSON schemas.
func genSchema(b []byte) *Schema {
	g := &gen{b: b}
	root := &Schema{Type: "object", Properties: map[string]*Schema{}, Defs: map[string]*Schema{
		"D": {Type: "object", Properties: map[string]*Schema{"a": {Ref: "#/$defs/D"}, "b": {Type: "integer"}}},
	}}
	for _, name := range []string{"a", "b", "c", "d"} {
		if c := g.next(); c%3 != 0 {
			root.Properties[name] = g.schema(0)
			if c%3 == 2 {
				root.Required = append(root.Required, name)
			}
		}
	}
	return root
}

type gen struct{ b []byte }

func (g *gen) next() byte {
	if len(g.b) == 0 {
		return 0
	}
	c := g.b[0]
	g.b = g.b[1:]
	return c
}

func (g *gen) schema(depth int) *Schema {
	c := g.next() % 12
	if depth > 4 {
		c %= 6
	}
	switch c {
	case 0:
		return &Schema{Type: "string"}
	case 1:
		return &Schema{Type: "integer"}
	case 2:
		return &Schema{Type: "number"}
	case 3:
		return &Schema{Type: "boolean"}
	case 4:
		return &Schema{Type: "null"}
	case 5:
		return &Schema{Type: "string", Format: "binary"}
	case 6:
		s := &Schema{Type: "object", Properties: map[string]*Schema{}}
		for i, name := range []string{"a", "b", "c"}[:g.next()%4] {
			s.Properties[name] = g.schema(depth + 1)
			if g.next()%2 == 0 {
				s.Required = append(s.Required, name)
			}
			if i == 0 && g.next()%4 == 0 {
				allow := g.next()%2 == 0
				s.AdditionalProperties = &allow
			}
		}
		return s
	case 7:
		return &Schema{Type: "array", Items: g.schema(depth + 1)}
	case 8:
		return &Schema{AnyOf: []*Schema{g.schema(depth + 1), g.schema(depth + 1)}}
	case 9:
		return &Schema{AnyOf: []*Schema{g.schema(depth + 1), {Type: "null"}}, Default: json.RawMessage("null")}
	case 10:
		all := []any{1.0, "a", true, nil, 2.5}
		return &Schema{Enum: all[:1+g.next()%5]}
	}
	return &Schema{Ref: "#/$defs/D"}
}
