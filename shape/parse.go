package shape

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"bosa.dev/gateway/schema"
)

// ParseFilters decodes the response_filters parameter value — a []any of objects as decoded from
// JSON, a []Filter, or nil — into Filters, with Value and Values normalized to string or float64.
// An unknown type, a missing required field (value for string and number filters, field_name
// always), a wrongly typed field or an unparseable date is reported in a *schema.ValidationError
// with a Field like "response_filters[1].value"; every bad element is reported. Keys a filter type
// does not use are ignored, as pydantic ignores them.
func ParseFilters(raw any) ([]Filter, error) {
	if raw == nil {
		return nil, nil
	}
	if fs, ok := raw.([]Filter); ok { // re-check typed filters through their JSON form
		b, err := json.Marshal(fs)
		if err != nil {
			return nil, fmt.Errorf("shape: encode filters: %w", err)
		}
		var decoded []any
		if err := json.Unmarshal(b, &decoded); err != nil {
			return nil, fmt.Errorf("shape: decode filters: %w", err)
		}
		raw = decoded
	}
	list, ok := toList(raw)
	if !ok {
		return nil, invalid(schema.Violation{Field: "response_filters",
			Description: "must be an array of filter objects, got " + kind(raw)})
	}
	p := parser{}
	filters := make([]Filter, 0, len(list))
	for i, el := range list {
		if f, ok := p.filter(fmt.Sprintf("response_filters[%d]", i), el); ok {
			filters = append(filters, f)
		}
	}
	if len(p.violations) > 0 {
		return nil, invalid(p.violations...)
	}
	return filters, nil
}

// ParseFields decodes the response_fields parameter value (a []any of strings, a []string, or
// nil). Elements that are not strings are reported in a *schema.ValidationError.
func ParseFields(raw any) ([]string, error) {
	if raw == nil {
		return nil, nil
	}
	if fs, ok := raw.([]string); ok {
		return append([]string(nil), fs...), nil
	}
	list, ok := toList(raw)
	if !ok {
		return nil, invalid(schema.Violation{Field: "response_fields",
			Description: "must be an array of dot paths, got " + kind(raw)})
	}
	p := parser{}
	fields := make([]string, 0, len(list))
	for i, el := range list {
		s, ok := el.(string)
		if !ok {
			p.fail(fmt.Sprintf("response_fields[%d]", i), "must be a string, got %s", kind(el))
			continue
		}
		fields = append(fields, s)
	}
	if len(p.violations) > 0 {
		return nil, invalid(p.violations...)
	}
	return fields, nil
}

func invalid(vs ...schema.Violation) error { return &schema.ValidationError{Violations: vs} }

type parser struct{ violations []schema.Violation }

func (p *parser) fail(field, format string, args ...any) {
	p.violations = append(p.violations, schema.Violation{Field: field, Description: fmt.Sprintf(format, args...)})
}

var types = []string{TypeString, TypeStringList, TypeNumber, TypeNumberList, TypeNumberRange, TypeDateRange}

func (p *parser) filter(path string, el any) (Filter, bool) {
	m, ok := toMap(el)
	if !ok {
		p.fail(path, "must be a filter object, got %s", kind(el))
		return Filter{}, false
	}
	before := len(p.violations)
	var f Filter
	switch t := m["type"].(type) {
	case nil:
		p.fail(path+".type", "is required (one of %s)", strings.Join(types, ", "))
	case string:
		f.Type = t
		if !slices.Contains(types, t) {
			p.fail(path+".type", "must be one of %s, got %q", strings.Join(types, ", "), t)
		}
	default:
		p.fail(path+".type", "must be a string, got %s", kind(t))
	}
	f.FieldName, _ = p.str(path+".field_name", m["field_name"], true)
	f.Root, _ = p.str(path+".root", m["root"], false)
	switch f.Type {
	case TypeString:
		if s, ok := p.str(path+".value", m["value"], true); ok {
			f.Value = s
		}
		f.IgnoreCase = p.boolean(path+".ignore_case", m["ignore_case"])
	case TypeStringList:
		f.Values = p.list(path+".values", m["values"], func(field string, v any) (any, bool) { return p.str(field, v, true) })
		f.IgnoreCase = p.boolean(path+".ignore_case", m["ignore_case"])
	case TypeNumber:
		if n := p.number(path+".value", m["value"], true); n != nil {
			f.Value = *n
		}
	case TypeNumberList:
		f.Values = p.list(path+".values", m["values"], func(field string, v any) (any, bool) {
			n := p.number(field, v, true)
			if n == nil {
				return nil, false
			}
			return *n, true
		})
	case TypeNumberRange:
		f.FromValue = p.number(path+".from_value", m["from_value"], false)
		f.ToValue = p.number(path+".to_value", m["to_value"], false)
	case TypeDateRange:
		f.FromDate = p.date(path+".from_date", m["from_date"])
		f.ToDate = p.date(path+".to_date", m["to_date"])
	}
	return f, len(p.violations) == before
}

func (p *parser) str(field string, v any, required bool) (string, bool) {
	switch s := v.(type) {
	case nil:
		if required {
			p.fail(field, "is required")
		}
		return "", false
	case string:
		return s, true
	}
	p.fail(field, "must be a string, got %s", kind(v))
	return "", false
}

func (p *parser) boolean(field string, v any) *bool {
	switch b := v.(type) {
	case nil:
		return nil
	case bool:
		return &b
	}
	p.fail(field, "must be a boolean, got %s", kind(v))
	return nil
}

// number accepts a JSON number (or numeric text, as pydantic's lax mode does); never a boolean.
func (p *parser) number(field string, v any, required bool) *float64 {
	if v == nil {
		if required {
			p.fail(field, "is required")
		}
		return nil
	}
	f, ok := toNumber(v)
	if !ok {
		if s, isStr := v.(string); isStr {
			f, ok = parseNumberText(s)
		}
	}
	if !ok {
		p.fail(field, "must be a number, got %s", kind(v))
		return nil
	}
	return &f
}

func (p *parser) list(field string, v any, elem func(string, any) (any, bool)) []any {
	if v == nil {
		return nil
	}
	items, ok := toList(v)
	if !ok {
		p.fail(field, "must be an array, got %s", kind(v))
		return nil
	}
	out := make([]any, 0, len(items))
	for i, it := range items {
		if it == nil {
			p.fail(fmt.Sprintf("%s[%d]", field, i), "must not be null")
			continue
		}
		if x, ok := elem(fmt.Sprintf("%s[%d]", field, i), it); ok {
			out = append(out, x)
		}
	}
	return out
}

func (p *parser) date(field string, v any) string {
	s, ok := p.str(field, v, false)
	if !ok {
		return ""
	}
	if _, _, ok := parseTime(s); !ok {
		p.fail(field, "must be a date like 2025-01-31, 2025-01-31 23:59:59 or 2025-01-31T23:59:59Z, got %q", s)
		return ""
	}
	return s
}

func parseNumberText(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if s == "" || strings.ContainsAny(s, "xXpP_") {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil && !math.IsNaN(f) && !math.IsInf(f, 0)
}

// toNumber returns v as a float64 when it is a JSON number (float64, json.Number) or any Go
// integer or float type; booleans and strings are not numbers.
func toNumber(v any) (float64, bool) {
	var f float64
	switch x := v.(type) {
	case float64:
		f = x
	case json.Number:
		var err error
		if f, err = strconv.ParseFloat(string(x), 64); err != nil {
			return 0, false
		}
	case int:
		f = float64(x)
	case int64:
		f = float64(x)
	default:
		rv := reflect.ValueOf(v)
		switch rv.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			f = float64(rv.Int())
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
			f = float64(rv.Uint())
		case reflect.Float32, reflect.Float64:
			f = rv.Float()
		default:
			return 0, false
		}
	}
	return f, !math.IsNaN(f) && !math.IsInf(f, 0)
}

func toList(v any) ([]any, bool) {
	if l, ok := v.([]any); ok {
		return l, true
	}
	if l, ok := v.([]map[string]any); ok {
		out := make([]any, len(l))
		for i, m := range l {
			out[i] = m
		}
		return out, true
	}
	return nil, false
}

func toMap(v any) (map[string]any, bool) {
	m, ok := v.(map[string]any)
	return m, ok
}

func kind(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		if len(x) > 40 {
			return "a string of " + strconv.Itoa(len(x)) + " bytes"
		}
		return "string " + strconv.Quote(x)
	case bool:
		return "boolean " + strconv.FormatBool(x)
	case map[string]any:
		return "object"
	case []any:
		return "array"
	}
	if n, ok := v.(json.Number); ok {
		return "number " + string(n)
	}
	if f, ok := toNumber(v); ok {
		return "number " + formatNumber(f)
	}
	return fmt.Sprintf("a value of Go type %T", v)
}

// formatNumber writes f as JSON would: no exponent below 1e21.
func formatNumber(f float64) string {
	if math.Abs(f) < 1e21 {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}
