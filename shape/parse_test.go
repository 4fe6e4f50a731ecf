package shape

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"bosa.dev/gateway/schema"
)

func TestParseFilters(t *testing.T) {
	tests := []struct {
		name string
		raw  string // JSON; "" means nil
		want string // JSON of the parsed filters, when valid
		errs []string
	}{
		{name: "nil", raw: "", want: `null`},
		{name: "empty", raw: `[]`, want: `[]`},
		{name: "every type", raw: `[
			{"type": "string", "field_name": "s", "value": "v", "ignore_case": false, "root": "r", "extra": 1},
			{"type": "string_list", "field_name": "s", "values": ["a", "b"]},
			{"type": "string_list", "field_name": "s", "values": null, "ignore_case": null, "root": null},
			{"type": "number", "field_name": "n", "value": 2},
			{"type": "number", "field_name": "n", "value": "2.5"},
			{"type": "number_list", "field_name": "n", "values": [1, 2.5]},
			{"type": "number_range", "field_name": "n", "from_value": 1, "to_value": null},
			{"type": "date_range", "field_name": "d", "from_date": "2025-01-01", "to_date": "2025-01-31T10:00:00+02:00"}]`,
			want: `[
			{"type": "string", "field_name": "s", "root": "r", "value": "v", "ignore_case": false},
			{"type": "string_list", "field_name": "s", "values": ["a", "b"]},
			{"type": "string_list", "field_name": "s"},
			{"type": "number", "field_name": "n", "value": 2},
			{"type": "number", "field_name": "n", "value": 2.5},
			{"type": "number_list", "field_name": "n", "values": [1, 2.5]},
			{"type": "number_range", "field_name": "n", "from_value": 1},
			{"type": "date_range", "field_name": "d", "from_date": "2025-01-01", "to_date": "2025-01-31T10:00:00+02:00"}]`},
		{name: "not an array", raw: `{"type": "string"}`, errs: []string{`response_filters: must be an array of filter objects, got object`}},
		{name: "every bad element is reported", raw: `[
			"x",
			{"field_name": "a"},
			{"type": "regex", "field_name": "a"},
			{"type": 5, "field_name": "a"},
			{"type": "string", "value": "v"},
			{"type": "string", "field_name": "a"},
			{"type": "number", "field_name": "a", "value": true},
			{"type": "number", "field_name": "a"},
			{"type": "string", "field_name": 3, "value": 4, "ignore_case": "yes", "root": 1},
			{"type": "string_list", "field_name": "a", "values": "a"},
			{"type": "string_list", "field_name": "a", "values": ["a", 1]},
			{"type": "number_list", "field_name": "a", "values": [1, "x", null]},
			{"type": "number_range", "field_name": "a", "from_value": "low"},
			{"type": "date_range", "field_name": "a", "from_date": "01/02/2025", "to_date": 20250101}]`,
			errs: []string{
				`response_filters[0]: must be a filter object, got string "x"`,
				`response_filters[1].type: is required (one of string, string_list, number, number_list, number_range, date_range)`,
				`response_filters[2].type: must be one of string, string_list, number, number_list, number_range, date_range, got "regex"`,
				`response_filters[3].type: must be a string, got number 5`,
				`response_filters[4].field_name: is required`,
				`response_filters[5].value: is required`,
				`response_filters[6].value: must be a number, got boolean true`,
				`response_filters[7].value: is required`,
				`response_filters[8].field_name: must be a string, got number 3`,
				`response_filters[8].root: must be a string, got number 1`,
				`response_filters[8].value: must be a string, got number 4`,
				`response_filters[8].ignore_case: must be a boolean, got string "yes"`,
				`response_filters[9].values: must be an array, got string "a"`,
				`response_filters[10].values[1]: must be a string, got number 1`,
				`response_filters[11].values[1]: must be a number, got string "x"`,
				`response_filters[11].values[2]: must not be null`,
				`response_filters[12].from_value: must be a number, got string "low"`,
				`response_filters[13].from_date: must be a date like 2025-01-31, 2025-01-31 23:59:59 or 2025-01-31T23:59:59Z, got "01/02/2025"`,
				`response_filters[13].to_date: must be a string, got number 20250101`,
			}},
	}
	for _, tt := range tests {
		var raw any
		if tt.raw != "" {
			raw = decode(t, tt.raw, true)
		}
		got, err := ParseFilters(raw)
		checkErr(t, tt.name, err, tt.errs)
		if err == nil {
			if g, w := canon(t, got), canon(t, decode(t, tt.want, false)); g != w {
				t.Errorf("%s:\n got %s\nwant %s", tt.name, g, w)
			}
		}
	}
}

func TestParseFiltersTypedInput(t *testing.T) {
	got, err := ParseFilters([]Filter{String("a", "b").Under("r"), NumberList("n", 1)})
	if err != nil || len(got) != 2 || got[0].Root != "r" || got[1].Values[0] != 1.0 {
		t.Fatalf("got %+v, %v", got, err)
	}
	_, err = ParseFilters([]Filter{{Type: "bogus", FieldName: "a"}})
	checkErr(t, "typed bogus", err, []string{`response_filters[0].type: must be one of string, string_list, number, number_list, number_range, date_range, got "bogus"`})
	got, err = ParseFilters([]map[string]any{{"type": "string", "field_name": "a", "value": "b"}})
	if err != nil || len(got) != 1 || got[0].Value != "b" {
		t.Fatalf("[]map: got %+v, %v", got, err)
	}
	// Go numbers of any type are numbers; a NaN is not.
	got, err = ParseFilters([]any{map[string]any{"type": "number", "field_name": "a", "value": int32(3)}})
	if err != nil || got[0].Value != 3.0 {
		t.Fatalf("int32: got %+v, %v", got, err)
	}
}

func TestParseFields(t *testing.T) {
	tests := []struct {
		name string
		raw  any
		want []string
		errs []string
	}{
		{name: "nil", raw: nil, want: nil},
		{name: "strings", raw: []any{"a", "b.c"}, want: []string{"a", "b.c"}},
		{name: "typed", raw: []string{"x"}, want: []string{"x"}},
		{name: "empty", raw: []any{}, want: []string{}},
		{name: "not an array", raw: "a", errs: []string{`response_fields: must be an array of dot paths, got string "a"`}},
		{name: "bad elements", raw: []any{"a", 1.0, nil, map[string]any{}, []any{}, true, uint8(1), struct{}{}},
			errs: []string{
				`response_fields[1]: must be a string, got number 1`,
				`response_fields[2]: must be a string, got null`,
				`response_fields[3]: must be a string, got object`,
				`response_fields[4]: must be a string, got array`,
				`response_fields[5]: must be a string, got boolean true`,
				`response_fields[6]: must be a string, got number 1`,
				`response_fields[7]: must be a string, got a value of Go type struct {}`,
			}},
		{name: "long string", raw: strings.Repeat("x", 50), errs: []string{`response_fields: must be an array of dot paths, got a string of 50 bytes`}},
	}
	for _, tt := range tests {
		got, err := ParseFields(tt.raw)
		checkErr(t, tt.name, err, tt.errs)
		if err == nil {
			if g, w := canon(t, got), canon(t, tt.want); g != w {
				t.Errorf("%s: got %s, want %s", tt.name, g, w)
			}
		}
	}
}

// checkErr asserts err is nil (want empty) or a *schema.ValidationError with exactly want.
func checkErr(t *testing.T, name string, err error, want []string) {
	t.Helper()
	if len(want) == 0 {
		if err != nil {
			t.Errorf("%s: unexpected error %v", name, err)
		}
		return
	}
	var ve *schema.ValidationError
	if !errors.As(err, &ve) {
		t.Errorf("%s: got %v, want a *schema.ValidationError", name, err)
		return
	}
	var got []string
	for _, v := range ve.Violations {
		got = append(got, v.Field+": "+v.Description)
	}
	g, _ := json.MarshalIndent(got, "", " ")
	w, _ := json.MarshalIndent(want, "", " ")
	if string(g) != string(w) {
		t.Errorf("%s: violations\n got %s\nwant %s", name, g, w)
	}
}
