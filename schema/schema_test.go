package schema

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestUnmarshalMarshal(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string // re-encoded
	}{
		{"plain", `{"type": "string", "title": "T"}`, `{"title":"T","type":"string"}`},
		{"type list with null", `{"type": ["string", "null"], "format": "binary", "default": null, "description": "d"}`,
			`{"description":"d","anyOf":[{"type":"string","format":"binary"},{"type":"null"}],"default":null}`},
		{"type list of one", `{"type": ["integer"]}`, `{"type":"integer"}`},
		{"type null literal", `{"type": null}`, `{}`},
		{"additionalProperties bool", `{"type": "object", "additionalProperties": false}`, `{"type":"object","additionalProperties":false}`},
		{"additionalProperties schema", `{"type": "object", "additionalProperties": {"type": "integer"}}`,
			`{"type":"object","additionalProperties":{"type":"integer"}}`},
		{"additionalProperties null", `{"type": "object", "additionalProperties": null}`, `{"type":"object"}`},
		{"nested", `{"properties": {"a": {"type": ["array", "null"], "items": {"type": ["integer", "string"]}}}}`,
			`{"properties":{"a":{"anyOf":[{"type":"array","items":{"anyOf":[{"type":"integer"},{"type":"string"}]}},{"type":"null"}]}}}`},
		{"definitions and defs", `{"$defs": {"A": {"type": "string"}}, "definitions": {"B": {"$ref": "#/$defs/A"}}}`,
			`{"$defs":{"A":{"type":"string"}},"definitions":{"B":{"$ref":"#/$defs/A"}}}`},
	}
	for _, tt := range tests {
		var s Schema
		if err := json.Unmarshal([]byte(tt.in), &s); err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		b, err := json.Marshal(&s)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if string(b) != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, b, tt.want)
		}
	}
	for _, bad := range []string{`{"type": 5}`, `{"type": [5]}`, `{"additionalProperties": "x"}`, `{"properties": 1}`, `[]`} {
		var s Schema
		if err := json.Unmarshal([]byte(bad), &s); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
	s := mustSchema(t, `{"type": "object", "additionalProperties": {"type": "integer"}}`)
	if s.AdditionalProperties == nil || !*s.AdditionalProperties || s.AdditionalSchema.Type != "integer" {
		t.Errorf("additionalProperties schema: %+v", s)
	}
}

func TestResolve(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
		err  string
	}{
		{name: "defs inlined, siblings override",
			in: `{"type": "object", "$defs": {"F": {"type": "object", "title": "F", "description": "a filter", "properties": {"k": {"$ref": "#/$defs/K"}}}, "K": {"type": "string", "enum": ["a"]}},
			  "properties": {"f": {"anyOf": [{"type": "array", "items": {"$ref": "#/$defs/F"}}, {"type": "null"}]},
			                 "g": {"$ref": "#/$defs/F", "description": "overridden", "title": "G", "default": {}}}}`,
			want: `{"type":"object","properties":{
			  "f":{"anyOf":[{"type":"array","items":{"title":"F","description":"a filter","type":"object","properties":{"k":{"type":"string","enum":["a"]}}}},{"type":"null"}]},
			  "g":{"title":"G","description":"overridden","type":"object","properties":{"k":{"type":"string","enum":["a"]}},"default":{}}}}`},
		{name: "definitions and escaped names",
			in:   `{"definitions": {"a/b": {"type": "integer"}, "c d": {"type": "boolean"}}, "properties": {"x": {"$ref": "#/definitions/a~1b"}, "y": {"$ref": "#/definitions/c%20d"}}}`,
			want: `{"properties":{"x":{"type":"integer"},"y":{"type":"boolean"}}}`},
		{name: "additional schema and root defs of a target dropped",
			in:   `{"$defs": {"M": {"type": "object", "additionalProperties": {"$ref": "#/$defs/V"}, "$defs": {"Z": {}}}, "V": {"type": "number"}}, "$ref": "#/$defs/M"}`,
			want: `{"type":"object","additionalProperties":{"type":"number"}}`},
		{name: "no refs", in: `{"type": "object", "required": ["a"], "properties": {"a": {"type": "string"}}, "additionalProperties": false}`,
			want: `{"type":"object","properties":{"a":{"type":"string"}},"required":["a"],"additionalProperties":false}`},
		{name: "self cycle", in: `{"$defs": {"N": {"type": "object", "properties": {"next": {"$ref": "#/$defs/N"}}}}, "properties": {"n": {"$ref": "#/$defs/N"}}}`,
			err: `schema: $ref cycle: #/$defs/N -> #/$defs/N`},
		{name: "mutual cycle", in: `{"$defs": {"A": {"items": {"$ref": "#/$defs/B"}}, "B": {"anyOf": [{"$ref": "#/$defs/A"}]}}, "items": {"$ref": "#/$defs/A"}}`,
			err: `schema: $ref cycle: #/$defs/A -> #/$defs/B -> #/$defs/A`},
		{name: "root cycle", in: `{"properties": {"again": {"$ref": "#"}}}`, err: `schema: $ref cycle: # -> #`},
		{name: "missing definition", in: `{"properties": {"a": {"$ref": "#/$defs/Nope"}}}`, err: `schema: $ref "#/$defs/Nope" points to no definition`},
		{name: "remote ref", in: `{"properties": {"a": {"$ref": "other.json#/x"}}}`, err: `schema: unsupported $ref "other.json#/x"`},
		{name: "exponential expansion", in: expansionBomb(), err: "expands to more than 100000 nodes"},
	}
	for _, tt := range tests {
		s := mustSchema(t, tt.in)
		before, _ := json.Marshal(s)
		got, err := s.Resolve()
		if after, _ := json.Marshal(s); string(after) != string(before) {
			t.Errorf("%s: Resolve modified its receiver", tt.name)
		}
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: got error %v, want %q", tt.name, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		b, _ := json.Marshal(got)
		var g, w any
		_ = json.Unmarshal(b, &g)
		if err := json.Unmarshal([]byte(tt.want), &w); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, b, tt.want)
		}
	}
	var nilSchema *Schema
	if got, err := nilSchema.Resolve(); got != nil || err != nil {
		t.Errorf("nil: %v %v", got, err)
	}
	// The copy is deep: changing it leaves the original alone.
	s := mustSchema(t, `{"properties": {"a": {"type": "string", "enum": ["x"]}}, "required": ["a"], "additionalProperties": true}`)
	c, _ := s.Resolve()
	c.Properties["a"].Enum[0] = "y"
	c.Required[0] = "b"
	*c.AdditionalProperties = false
	if s.Properties["a"].Enum[0] != "x" || s.Required[0] != "a" || !*s.AdditionalProperties {
		t.Error("Resolve's copy shares memory with the original")
	}
}

// expansionBomb has 20 definitions, each referring twice to the next: 2^20 nodes once inlined.
func expansionBomb() string {
	var b strings.Builder
	b.WriteString(`{"$defs": {`)
	for i := 0; i < 20; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		next := `{"type": "string"}`
		if i < 19 {
			next = `{"$ref": "#/$defs/D` + string(rune('a'+i+1)) + `"}`
		}
		b.WriteString(`"D` + string(rune('a'+i)) + `": {"anyOf": [` + next + `, ` + next + `]}`)
	}
	b.WriteString(`}, "properties": {"x": {"$ref": "#/$defs/Da"}}}`)
	return b.String()
}

func TestIntrospection(t *testing.T) {
	s := mustSchema(t, prSchema)
	tests := []struct {
		prop                                      string
		nullable, binary, required, nonNullIsSelf bool
	}{
		{prop: "owner", required: true, nonNullIsSelf: true},
		{prop: "state", nullable: true},
		{prop: "file", nullable: true, binary: true},
		{prop: "files", nullable: true, binary: true},
		{prop: "id_or_name", nullable: true, nonNullIsSelf: true},
		{prop: "nothing", nullable: true, nonNullIsSelf: true},
		{prop: "anything", nonNullIsSelf: true},
	}
	for _, tt := range tests {
		p := s.Properties[tt.prop]
		if p.Nullable() != tt.nullable || p.IsBinary() != tt.binary || s.IsRequired(tt.prop) != tt.required || (p.NonNull() == p) != tt.nonNullIsSelf {
			t.Errorf("%s: nullable %v binary %v required %v nonNullIsSelf %v", tt.prop, p.Nullable(), p.IsBinary(), s.IsRequired(tt.prop), p.NonNull() == p)
		}
	}
	if nn := s.Properties["page"].NonNull(); nn.Type != "integer" {
		t.Errorf("NonNull(page) = %+v", nn)
	}
	if nn := mustSchema(t, `{"anyOf": [{"type": "null"}, {"type": "boolean"}]}`).NonNull(); nn.Type != "boolean" {
		t.Errorf("NonNull with null first = %+v", nn)
	}
	if !s.HasBinary() || mustSchema(t, `{"properties": {"a": {"type": "string"}}}`).HasBinary() {
		t.Error("HasBinary")
	}
	if s.IsRequired("nope") || !mustSchema(t, `{"properties": {"r": {"$ref": "#/$defs/R"}}}`).IsRequired("r") {
		t.Error("IsRequired")
	}
	conv := mustSchema(t, `{"properties": {"a": {"type": "string"}, "b": {"type": "string", "default": "x"},
		"c": {"anyOf": [{"type": "string"}, {"type": "null"}]}, "d": {}, "e": {"anyOf": [{"type": "integer"}, {"type": "string"}]}, "f": null}}`)
	for name, want := range map[string]bool{"a": true, "b": false, "c": false, "d": false, "e": true, "f": false, "g": false} {
		if conv.IsRequired(name) != want {
			t.Errorf("convention: IsRequired(%s) = %v", name, !want)
		}
	}
	var nilSchema *Schema
	if nilSchema.Nullable() || nilSchema.IsBinary() || nilSchema.HasBinary() || nilSchema.IsRequired("a") || nilSchema.NonNull() != nil || nilSchema.Parameters() != nil {
		t.Error("nil schema")
	}
}

func TestParameters(t *testing.T) {
	s := mustSchema(t, `{"type": "object", "required": ["owner"], "properties": {
		"owner": {"type": "string", "description": "Repository owner"},
		"state": {"anyOf": [{"type": "string", "enum": ["open", "closed"]}, {"type": "null"}], "default": null, "title": "State"},
		"file": {"anyOf": [{"type": "string", "format": "binary", "description": "The upload"}, {"type": "null"}], "default": null},
		"files": {"type": "array", "items": {"type": "string", "format": "binary"}},
		"id": {"anyOf": [{"type": "integer"}, {"type": "string", "format": "uuid"}, {"type": "integer"}]},
		"empty": null}}`)
	got := s.Parameters()
	var names []string
	for _, p := range got {
		names = append(names, p.Name)
	}
	if strings.Join(names, ",") != "empty,file,files,id,owner,state" {
		t.Fatalf("names %v", names)
	}
	want := map[string]Parameter{
		"empty": {Name: "empty"},
		"file":  {Name: "file", Type: "string", Format: "binary", Description: "The upload", Nullable: true, Binary: true, Default: json.RawMessage("null")},
		"files": {Name: "files", Type: "array", Binary: true},
		"id":    {Name: "id", Type: "integer|string", Format: "uuid"},
		"owner": {Name: "owner", Type: "string", Description: "Repository owner", Required: true},
		"state": {Name: "state", Type: "string", Description: "State", Nullable: true, Enum: []any{"open", "closed"}, Default: json.RawMessage("null")},
	}
	for _, p := range got {
		if p.Schema == nil {
			t.Errorf("%s: no schema", p.Name)
		}
		p.Schema = nil
		if !reflect.DeepEqual(p, want[p.Name]) {
			t.Errorf("%s:\n got %+v\nwant %+v", p.Name, p, want[p.Name])
		}
	}
}
