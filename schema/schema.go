// Package schema models the JSON Schemas that BOSA discovery publishes for action parameters
// (parameters.request.schema, docs/protocol.md §5.3) and validates parameter objects against them.
//
// It is the one place where parameter validation lives: the sandbox validates requests leniently,
// as the real server's pydantic models do, and bosaclient validates strictly before any HTTP call.
//
// The validator is a small hand-written walker rather than github.com/santhosh-tekuri/jsonschema,
// because it must also coerce values (pydantic lax mode), accept non-JSON file values, return a
// normalized copy and phrase one actionable message per field, none of which that library offers.
package schema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
)

// Schema is one node of a JSON Schema as used by BOSA discovery.
//
// Only the subset BOSA uses is modelled. Discovery emitted by the sandbox is fully inlined
// (no Ref, no Defs); schemas read from other servers may use $ref/$defs, which Resolve inlines.
// When decoding, a type list such as ["string", "null"] becomes the equivalent anyOf, and an
// additionalProperties schema is kept in AdditionalSchema (AdditionalProperties is then true).
type Schema struct {
	Title       string             `json:"title,omitempty"`
	Description string             `json:"description,omitempty"`
	Type        string             `json:"type,omitempty"`
	Format      string             `json:"format,omitempty"`
	Enum        []any              `json:"enum,omitempty"`
	Properties  map[string]*Schema `json:"properties,omitempty"`
	Required    []string           `json:"required,omitempty"`
	Items       *Schema            `json:"items,omitempty"`
	AnyOf       []*Schema          `json:"anyOf,omitempty"`
	// Default is the raw JSON default; optional properties carry "null" (§5.3 rule 2).
	Default json.RawMessage    `json:"default,omitempty"`
	Ref     string             `json:"$ref,omitempty"`
	Defs    map[string]*Schema `json:"$defs,omitempty"`
	// Definitions is the pre-2019 spelling of Defs, the target of "#/definitions/Name" references.
	Definitions map[string]*Schema `json:"definitions,omitempty"`
	// AdditionalProperties, when true, allows keys not listed in Properties.
	AdditionalProperties *bool `json:"additionalProperties,omitempty"`
	// AdditionalSchema, when set, is the schema of keys not listed in Properties
	// ("additionalProperties": {...}, as pydantic emits for dict fields).
	AdditionalSchema *Schema `json:"-"`
}

// UnmarshalJSON decodes a schema node, accepting the JSON Schema spellings the struct cannot hold
// directly: "type" as a list and "additionalProperties" as a schema.
func (s *Schema) UnmarshalJSON(b []byte) error {
	type plain Schema
	aux := struct {
		*plain
		Type                 json.RawMessage `json:"type"`
		AdditionalProperties json.RawMessage `json:"additionalProperties"`
	}{plain: (*plain)(s)}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	if ap := bytes.TrimSpace(aux.AdditionalProperties); len(ap) > 0 && !bytes.Equal(ap, []byte("null")) {
		var allowed bool
		if err := json.Unmarshal(ap, &allowed); err == nil {
			s.AdditionalProperties = &allowed
		} else {
			var sub Schema
			if err := json.Unmarshal(ap, &sub); err != nil {
				return fmt.Errorf("schema: additionalProperties: %w", err)
			}
			yes := true
			s.AdditionalProperties, s.AdditionalSchema = &yes, &sub
		}
	}
	t := bytes.TrimSpace(aux.Type)
	if len(t) == 0 || bytes.Equal(t, []byte("null")) {
		return nil
	}
	if t[0] != '[' {
		if err := json.Unmarshal(t, &s.Type); err != nil {
			return fmt.Errorf("schema: type: %w", err)
		}
		return nil
	}
	var types []string
	if err := json.Unmarshal(t, &types); err != nil {
		return fmt.Errorf("schema: type: %w", err)
	}
	switch {
	case len(types) == 1:
		s.Type = types[0]
	case len(types) > 1:
		// {"type": ["string", "null"], ...} means anyOf [{"type": "string", ...}, {"type": "null"}].
		members := make([]*Schema, 0, len(types))
		for _, typ := range types {
			m := &Schema{Type: typ}
			if typ != "null" {
				m.Format, m.Enum, m.Properties, m.Required = s.Format, s.Enum, s.Properties, s.Required
				m.Items, m.AdditionalProperties, m.AdditionalSchema = s.Items, s.AdditionalProperties, s.AdditionalSchema
			}
			members = append(members, m)
		}
		s.Format, s.Enum, s.Properties, s.Required = "", nil, nil, nil
		s.Items, s.AdditionalProperties, s.AdditionalSchema = nil, nil, nil
		s.AnyOf = append(members, s.AnyOf...)
	}
	return nil
}

// MarshalJSON encodes the schema node, writing AdditionalSchema as "additionalProperties".
func (s Schema) MarshalJSON() ([]byte, error) {
	type plain Schema
	aux := struct {
		plain
		AdditionalProperties any `json:"additionalProperties,omitempty"`
	}{plain: plain(s)}
	switch {
	case s.AdditionalSchema != nil:
		aux.AdditionalProperties = s.AdditionalSchema
	case s.AdditionalProperties != nil:
		aux.AdditionalProperties = *s.AdditionalProperties
	}
	return json.Marshal(aux)
}

// maxResolvedNodes bounds the size of a resolved schema, so that a small schema whose
// definitions reference each other many times over cannot expand exponentially.
const maxResolvedNodes = 100_000

// Resolve returns a deep copy of s with every $ref (to "#", "#/$defs/Name" or
// "#/definitions/Name") inlined and Defs/Definitions removed. Keywords next to a $ref (title,
// description, default) override those of the target. A reference cycle, an unknown target or
// an expansion beyond 100 000 nodes is an error. Validate does not need a resolved schema (it
// follows references itself, so recursive schemas validate); the introspection methods do.
func (s *Schema) Resolve() (*Schema, error) {
	if s == nil {
		return nil, nil
	}
	r := resolver{root: s}
	out, err := r.copy(s, nil)
	if err != nil {
		return nil, err
	}
	out.Defs, out.Definitions = nil, nil
	return out, nil
}

type resolver struct {
	root  *Schema
	nodes int
}

func (r *resolver) copy(n *Schema, stack []string) (*Schema, error) {
	if n == nil {
		return nil, nil
	}
	if r.nodes++; r.nodes > maxResolvedNodes {
		return nil, fmt.Errorf("schema: resolving $ref expands to more than %d nodes", maxResolvedNodes)
	}
	if n.Ref != "" {
		if slices.Contains(stack, n.Ref) {
			return nil, fmt.Errorf("schema: $ref cycle: %s", strings.Join(append(stack, n.Ref), " -> "))
		}
		target, err := lookupRef(r.root, n.Ref)
		if err != nil {
			return nil, err
		}
		out, err := r.copy(target, append(stack, n.Ref))
		if err != nil {
			return nil, err
		}
		out.Defs, out.Definitions = nil, nil
		if n.Title != "" {
			out.Title = n.Title
		}
		if n.Description != "" {
			out.Description = n.Description
		}
		if len(n.Default) > 0 {
			out.Default = slices.Clone(n.Default)
		}
		return out, nil
	}
	c := *n
	c.Defs, c.Definitions = nil, nil
	c.Enum = slices.Clone(n.Enum)
	c.Required = slices.Clone(n.Required)
	c.Default = slices.Clone(n.Default)
	if n.AdditionalProperties != nil {
		v := *n.AdditionalProperties
		c.AdditionalProperties = &v
	}
	var err error
	if n.Properties != nil {
		c.Properties = make(map[string]*Schema, len(n.Properties))
		for _, k := range sortedKeys(n.Properties) {
			if c.Properties[k], err = r.copy(n.Properties[k], stack); err != nil {
				return nil, err
			}
		}
	}
	if c.Items, err = r.copy(n.Items, stack); err != nil {
		return nil, err
	}
	if c.AdditionalSchema, err = r.copy(n.AdditionalSchema, stack); err != nil {
		return nil, err
	}
	if n.AnyOf != nil {
		c.AnyOf = make([]*Schema, len(n.AnyOf))
		for i, m := range n.AnyOf {
			if c.AnyOf[i], err = r.copy(m, stack); err != nil {
				return nil, err
			}
		}
	}
	return &c, nil
}

// lookupRef finds the target of a local reference in root.
func lookupRef(root *Schema, ref string) (*Schema, error) {
	if ref == "#" {
		return root, nil
	}
	var defs map[string]*Schema
	var name string
	switch {
	case strings.HasPrefix(ref, "#/$defs/"):
		defs, name = root.Defs, ref[len("#/$defs/"):]
	case strings.HasPrefix(ref, "#/definitions/"):
		defs, name = root.Definitions, ref[len("#/definitions/"):]
	default:
		return nil, fmt.Errorf("schema: unsupported $ref %q (only local #/$defs/ and #/definitions/ references)", ref)
	}
	if unescaped, err := url.PathUnescape(name); err == nil {
		name = unescaped
	}
	name = strings.ReplaceAll(strings.ReplaceAll(name, "~1", "/"), "~0", "~")
	target, ok := defs[name]
	if !ok || target == nil {
		return nil, fmt.Errorf("schema: $ref %q points to no definition", ref)
	}
	return target, nil
}

// Nullable reports whether the node accepts null: type "null", or an anyOf with a nullable member.
func (s *Schema) Nullable() bool {
	if s == nil {
		return false
	}
	if s.Type == "null" {
		return true
	}
	for _, m := range s.AnyOf {
		if m.Nullable() {
			return true
		}
	}
	return false
}

// NonNull returns the non-null member when the node is anyOf [T, null] (in any order); otherwise s.
func (s *Schema) NonNull() *Schema {
	if s == nil || len(s.AnyOf) == 0 {
		return s
	}
	var only *Schema
	for _, m := range s.AnyOf {
		if m == nil || m.Type == "null" {
			continue
		}
		if only != nil {
			return s
		}
		only = m
	}
	if only == nil || len(s.AnyOf) == 1 {
		return s
	}
	return only
}

// IsBinary reports whether the node is a binary input: {"type": "string", "format": "binary"},
// directly, as an anyOf member or as the items of an array.
func (s *Schema) IsBinary() bool {
	if s == nil {
		return false
	}
	if s.Type == "string" && s.Format == "binary" {
		return true
	}
	if s.Type == "array" && s.Items.IsBinary() {
		return true
	}
	for _, m := range s.AnyOf {
		if m.IsBinary() {
			return true
		}
	}
	return false
}

// HasBinary reports whether any top-level property of the object schema s is binary.
func (s *Schema) HasBinary() bool {
	if s == nil {
		return false
	}
	for _, p := range s.Properties {
		if p.IsBinary() {
			return true
		}
	}
	return false
}

// IsRequired reports whether the property name is required. When the schema has a Required list
// (even an empty one) that list decides. Without one, the reference client's convention applies
// (protocol §14.1 item 3): a declared property is required when it is typed, not nullable and has no default.
func (s *Schema) IsRequired(name string) bool {
	if s == nil {
		return false
	}
	if s.Required != nil {
		return slices.Contains(s.Required, name)
	}
	p, ok := s.Properties[name]
	if !ok || p == nil {
		return false
	}
	return (p.Type != "" || len(p.AnyOf) > 0 || p.Ref != "") && !p.Nullable() && len(p.Default) == 0
}

// requiredNames lists the properties IsRequired reports, sorted.
func (s *Schema) requiredNames() []string {
	if s.Required != nil {
		names := slices.Clone(s.Required)
		sort.Strings(names)
		return slices.Compact(names)
	}
	var names []string
	for _, k := range sortedKeys(s.Properties) {
		if s.IsRequired(k) {
			names = append(names, k)
		}
	}
	return names
}

// Parameter is one top-level parameter of an action, flattened for introspection (like the
// Python SDK's get_action_parameters).
type Parameter struct {
	Name string
	// Type is the JSON type of the non-null member ("string", "integer", "array", ...); several
	// non-null alternatives are joined with "|", e.g. "integer|string".
	Type   string
	Format string
	// Description is the property's description, or its title when it has none.
	Description string
	Required    bool
	Nullable    bool
	Binary      bool
	Enum        []any
	// Default is the raw JSON default, as published ("null" for optional parameters).
	Default json.RawMessage
	// Schema is the property's full schema node.
	Schema *Schema
}

// Parameters returns the top-level parameters of the object schema s, sorted by name. Call it
// on a resolved schema (see Resolve); a $ref property otherwise reports no type.
func (s *Schema) Parameters() []Parameter {
	if s == nil {
		return nil
	}
	params := make([]Parameter, 0, len(s.Properties))
	for _, name := range sortedKeys(s.Properties) {
		p := s.Properties[name]
		if p == nil {
			p = &Schema{}
		}
		nn := p.NonNull()
		param := Parameter{
			Name:        name,
			Type:        nn.Type,
			Format:      nn.Format,
			Description: p.Description,
			Required:    s.IsRequired(name),
			Nullable:    p.Nullable(),
			Binary:      p.IsBinary(),
			Enum:        nn.Enum,
			Default:     p.Default,
			Schema:      p,
		}
		if param.Description == "" {
			param.Description = nn.Description
		}
		if param.Description == "" {
			param.Description = p.Title
		}
		if len(nn.AnyOf) > 0 && nn.Type == "" {
			var types []string
			for _, m := range nn.AnyOf {
				if m != nil && m.Type != "" && m.Type != "null" && !slices.Contains(types, m.Type) {
					types = append(types, m.Type)
				}
				if m != nil && m.Format != "" && param.Format == "" {
					param.Format = m.Format
				}
			}
			param.Type = strings.Join(types, "|")
		}
		params = append(params, param)
	}
	return params
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
