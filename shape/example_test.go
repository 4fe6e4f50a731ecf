package shape_test

import (
	"encoding/json"
	"fmt"

	"bosa.dev/gateway/shape"
)

// The protocol's worked example (§7.3): open items created in Q1 2025, keeping only the bug and
// urgent labels, then only the number and the label names.
func ExampleApply() {
	filters := []shape.Filter{
		shape.String("state", "OPEN"),
		shape.DateRange("created_at", "2025-01-01", "2025-03-31 23:59:59"),
		shape.StringList("name", "bug", "urgent").Under("labels"),
	}
	fields := []string{"number", "labels.name"}

	var data any
	_ = json.Unmarshal([]byte(`[
	  {"number": 7, "state": "open", "created_at": "2025-02-10T09:30:00Z",
	   "labels": [{"name": "bug", "color": "d73a4a"}, {"name": "docs", "color": "0075ca"}]},
	  {"number": 8, "state": "closed", "created_at": "2025-02-11T10:00:00Z", "labels": []}]`), &data)

	out, _ := json.Marshal(shape.Apply(data, filters, fields))
	fmt.Println(string(out))
	// Output: [{"labels":[{"name":"bug"}],"number":7}]
}

// The filters travel as the response_filters parameter; this is their JSON form.
func ExampleFilter() {
	from := 10.0
	filters := []shape.Filter{
		shape.String("state", "open").CaseSensitive(),
		shape.NumberRange("comments", &from, nil),
		shape.StringList("name", "bug", "urgent").Under("labels"),
	}
	body, _ := json.Marshal(map[string]any{"response_filters": filters, "response_fields": []string{"number", "labels.name"}})
	fmt.Println(string(body))
	// Output: {"response_fields":["number","labels.name"],"response_filters":[{"type":"string","field_name":"state","value":"open","ignore_case":false},{"type":"number_range","field_name":"comments","from_value":10},{"type":"string_list","field_name":"name","root":"labels","values":["bug","urgent"]}]}
}

// The sandbox's side: parse both parameters, reporting bad ones as field violations.
func ExampleParseFilters() {
	var params map[string]any
	_ = json.Unmarshal([]byte(`{"response_filters": [{"type": "regex", "field_name": "title"}, {"type": "number", "field_name": "n"}]}`), &params)
	_, err := shape.ParseFilters(params["response_filters"])
	fmt.Println(err)
	// Output: invalid parameters: response_filters[0].type: must be one of string, string_list, number, number_list, number_range, date_range, got "regex"; response_filters[1].value: is required
}
