// Package schema models the JSON Schemas that BOSA discovery publishes for action parameters
// (parameters.request.schema, protocol §5.3) and validates parameter objects against them.
//
// It is the one place where parameter validation lives: the sandbox validates requests leniently,
// as the real server's pydantic models do, and bosaclient validates strictly before any HTTP call.
package schema

import "encoding/json"

// Schema is one node of a JSON Schema as used by BOSA discovery.
//
// Only the subset BOSA uses is modelled. Discovery emitted by the sandbox is fully inlined
// (no Ref, no Defs); schemas read from other servers may use $ref/$defs, which Resolve inlines.
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
	// AdditionalProperties, when true, allows keys not listed in Properties.
	AdditionalProperties *bool `json:"additionalProperties,omitempty"`
}
