package sandbox

import (
	"encoding/json"
	"sort"

	"bosa.dev/gateway/schema"
)

// Builders for the fully inlined parameter schemas of protocol §5.3.

var jsonNull = json.RawMessage("null")

func sString() *schema.Schema { return &schema.Schema{Type: "string"} }
func sInt() *schema.Schema    { return &schema.Schema{Type: "integer"} }
func sBinary() *schema.Schema { return &schema.Schema{Type: "string", Format: "binary"} }
func sObject() *schema.Schema { return &schema.Schema{Type: "object"} }
func sBool() *schema.Schema   { return &schema.Schema{Type: "boolean"} }
func sEnum(vals ...string) *schema.Schema {
	e := make([]any, len(vals))
	for i, v := range vals {
		e[i] = v
	}
	return &schema.Schema{Type: "string", Enum: e}
}
func sArray(items *schema.Schema) *schema.Schema { return &schema.Schema{Type: "array", Items: items} }

// optional makes a property optional the only way the reference client understands:
// anyOf [T, null] with default null (§5.3 rule 2).
func optional(s *schema.Schema) *schema.Schema {
	return &schema.Schema{AnyOf: []*schema.Schema{s, {Type: "null"}}, Default: jsonNull}
}

// withDesc sets a description and returns s.
func withDesc(s *schema.Schema, d string) *schema.Schema { s.Description = d; return s }

// paging adds the paging parameters of §5.3 rule 4.
type paging int

const (
	noPaging paging = iota
	pageBased
	cursorBased
)

// actionSchema builds an action body schema: the given properties, plus response_fields,
// response_filters and the paging parameters; required lists the plainly typed properties.
func actionSchema(title string, pg paging, sizeKey string, props map[string]*schema.Schema) *schema.Schema {
	all := map[string]*schema.Schema{
		"response_fields": withDesc(optional(sArray(sString())),
			"Dot paths of the fields to keep in each item of data (protocol §7.2)."),
		"response_filters": withDesc(optional(sArray(sObject())),
			"Filters applied to data before response_fields (protocol §7.1)."),
	}
	switch pg {
	case pageBased:
		all["page"] = withDesc(optional(sInt()), "1-based page number (default 1).")
		all[sizeKey] = withDesc(optional(sInt()), "Items per page (default 30, at most 100).")
	case cursorBased:
		all["cursor"] = withDesc(optional(sString()), "Opaque cursor from meta.forwards_cursor or meta.backwards_cursor; wins over page.")
		all["page"] = withDesc(optional(sInt()), "1-based page number, used only without cursor (default 1).")
		all[sizeKey] = withDesc(optional(sInt()), "Items per page (at most 100).")
	}
	for k, v := range props {
		all[k] = v
	}
	var req []string
	for k, v := range all {
		if v.Type != "" {
			req = append(req, k)
		}
	}
	sort.Strings(req)
	return &schema.Schema{Title: title, Type: "object", Required: req, Properties: all}
}
