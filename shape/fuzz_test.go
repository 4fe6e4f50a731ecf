package shape

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// FuzzApply feeds arbitrary data, filters and fields through ParseFilters, ParseFields and Apply:
// nothing may panic, the input must stay unchanged, and filtering and projecting are idempotent.
// Seeds: testdata/fuzz/FuzzApply and the f.Add calls below.
func FuzzApply(f *testing.F) {
	f.Add(`[{"number": 7, "state": "open", "created_at": "2025-02-10T09:30:00Z", "labels": [{"name": "bug", "color": "d73a4a"}, {"name": "docs"}]}]`,
		`[{"type": "string", "field_name": "state", "value": "OPEN"}, {"type": "date_range", "field_name": "created_at", "from_date": "2025-01-01", "to_date": "2025-03-31 23:59:59"}, {"type": "string_list", "root": "labels", "field_name": "name", "values": ["bug", "urgent"]}]`,
		`["number", "labels.name"]`, false)
	f.Add(`{"items": [{"n": 1}, {"n": 2.5}, {"n": "3"}]}`, `[{"type": "number_range", "root": "items", "field_name": "n", "from_value": 2}]`, `["items.n.x"]`, true)
	f.Add(`[{"a": {"b": [{"c": 1}]}}, 5, null]`, `[{"type": "number_list", "root": "a.b", "field_name": "c", "values": [1, 2]}, {"type": "string", "field_name": "a.b", "value": "x", "ignore_case": false}]`, `["a", "a.b.c", ""]`, false)
	f.Fuzz(func(t *testing.T, data, filters, fields string, useNumber bool) {
		d, ok := decodeFuzz(data, useNumber)
		if !ok {
			return
		}
		rf, _ := decodeFuzz(filters, useNumber)
		rl, _ := decodeFuzz(fields, useNumber)
		fs, errF := ParseFilters(rf)
		fl, errL := ParseFields(rl)
		if errF != nil {
			fs = nil
		}
		if errL != nil {
			fl = nil
		}
		before, _ := json.Marshal(d)
		out := Apply(d, fs, fl)
		if after, _ := json.Marshal(d); string(after) != string(before) {
			t.Fatalf("input modified:\n%s\n%s", before, after)
		}
		if _, err := json.Marshal(out); err != nil {
			t.Fatalf("result not JSON: %v", err)
		}
		filtered := Apply(d, fs, nil)
		if again := Apply(filtered, fs, nil); !reflect.DeepEqual(again, filtered) {
			t.Fatalf("filtering not idempotent")
		}
		projected := Apply(d, nil, fl)
		if again := Apply(projected, nil, fl); !reflect.DeepEqual(again, projected) {
			t.Fatalf("projection not idempotent")
		}
	})
}

func decodeFuzz(s string, useNumber bool) (any, bool) {
	dec := json.NewDecoder(strings.NewReader(s))
	if useNumber {
		dec.UseNumber()
	}
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	return v, true
}
