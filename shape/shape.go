// Package shape applies BOSA response shaping (protocol §7): response_filters remove or prune
// items of an action's data, then response_fields keep only the named dot paths.
//
// The sandbox applies shaping to every JSON action result; bosaclient builds Filter values with
// typed constructors and sends them as the response_filters parameter.
package shape

// Filter is one element of response_filters. Type is the discriminator: "string", "string_list",
// "number", "number_list", "number_range" or "date_range"; the other fields apply per type (§7.1).
type Filter struct {
	Type      string `json:"type"`
	FieldName string `json:"field_name"`
	Root      string `json:"root,omitempty"`
	// Value is the string or number compared by "string" and "number" filters.
	Value any `json:"value,omitempty"`
	// Values are the strings or numbers accepted by "string_list" and "number_list" filters.
	Values []any `json:"values,omitempty"`
	// IgnoreCase applies to string filters; nil means the default, true.
	IgnoreCase *bool    `json:"ignore_case,omitempty"`
	FromValue  *float64 `json:"from_value,omitempty"`
	ToValue    *float64 `json:"to_value,omitempty"`
	FromDate   string   `json:"from_date,omitempty"`
	ToDate     string   `json:"to_date,omitempty"`
}
