// Package shape applies BOSA response shaping (docs/protocol.md §7): response_filters remove or prune
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

// Filter types, the values of Filter.Type.
const (
	TypeString      = "string"
	TypeStringList  = "string_list"
	TypeNumber      = "number"
	TypeNumberList  = "number_list"
	TypeNumberRange = "number_range"
	TypeDateRange   = "date_range"
)

// String matches elements whose field is a string equal to value, ignoring case.
func String(field, value string) Filter {
	return Filter{Type: TypeString, FieldName: field, Value: value}
}

// StringList matches elements whose field is a string equal to one of values, ignoring case.
// No values disables the filter.
func StringList(field string, values ...string) Filter {
	f := Filter{Type: TypeStringList, FieldName: field}
	for _, v := range values {
		f.Values = append(f.Values, v)
	}
	return f
}

// Number matches elements whose field is a number equal to value.
func Number(field string, value float64) Filter {
	return Filter{Type: TypeNumber, FieldName: field, Value: value}
}

// NumberList matches elements whose field is a number equal to one of values. No values
// disables the filter.
func NumberList(field string, values ...float64) Filter {
	f := Filter{Type: TypeNumberList, FieldName: field}
	for _, v := range values {
		f.Values = append(f.Values, v)
	}
	return f
}

// NumberRange matches elements whose field is a number with from ≤ field ≤ to; a nil bound is open.
func NumberRange(field string, from, to *float64) Filter {
	f := Filter{Type: TypeNumberRange, FieldName: field}
	if from != nil {
		v := *from
		f.FromValue = &v
	}
	if to != nil {
		v := *to
		f.ToValue = &v
	}
	return f
}

// DateRange matches elements whose field is a date or time within [from, to]; an empty bound is
// open. Bounds are YYYY-MM-DD, "YYYY-MM-DD HH:MM:SS", YYYY-MM-DDTHH:MM:SSZ or RFC 3339; a
// date-only to covers that whole day.
func DateRange(field, from, to string) Filter {
	return Filter{Type: TypeDateRange, FieldName: field, FromDate: from, ToDate: to}
}

// Under returns a copy of f that prunes the array at the dot path root inside each item instead
// of removing items (§7.1).
func (f Filter) Under(root string) Filter {
	f.Root = root
	return f
}

// CaseSensitive returns a copy of the string filter f that compares case-sensitively.
func (f Filter) CaseSensitive() Filter {
	no := false
	f.IgnoreCase = &no
	return f
}
