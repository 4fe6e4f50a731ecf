package shape

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// decode parses JSON test data; useNumber makes numbers json.Number, as the sandbox may.
func decode(t testing.TB, s string, useNumber bool) any {
	t.Helper()
	if s == "" {
		return nil
	}
	d := json.NewDecoder(strings.NewReader(s))
	if useNumber {
		d.UseNumber()
	}
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("bad test JSON %s: %v", s, err)
	}
	return v
}

func canon(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	var back any
	_ = json.Unmarshal(b, &back)
	b, _ = json.Marshal(back)
	return string(b)
}

// TestWorkedExample is the protocol's §7.3 example, verbatim.
func TestWorkedExample(t *testing.T) {
	params := decode(t, `{"response_filters": [
	   {"type": "string", "field_name": "state", "value": "OPEN"},
	   {"type": "date_range", "field_name": "created_at", "from_date": "2025-01-01", "to_date": "2025-03-31 23:59:59"},
	   {"type": "string_list", "root": "labels", "field_name": "name", "values": ["bug", "urgent"]}],
	 "response_fields": ["number", "labels.name"]}`, false).(map[string]any)
	before := `{"number": 7, "state": "open", "created_at": "2025-02-10T09:30:00Z", "labels": [{"name": "bug", "color": "d73a4a"}, {"name": "docs", "color": "0075ca"}]}`
	after := `{"number": 7, "labels": [{"name": "bug"}]}`
	filters, err := ParseFilters(params["response_filters"])
	if err != nil {
		t.Fatal(err)
	}
	fields, err := ParseFields(params["response_fields"])
	if err != nil {
		t.Fatal(err)
	}
	for _, useNumber := range []bool{false, true} {
		data := []any{decode(t, before, useNumber)}
		got := Apply(data, filters, fields)
		if want := canon(t, []any{decode(t, after, false)}); canon(t, got) != want {
			t.Errorf("useNumber=%v: got %s, want %s", useNumber, canon(t, got), want)
		}
	}
}

func ptr(f float64) *float64 { return &f }

const issues = `[
 {"id": 1, "state": "open", "title": "Straße", "score": 2.5, "n": 10, "flag": true, "created_at": "2025-03-31T23:30:00Z", "user": {"login": "Bob", "age": 30}},
 {"id": 2, "state": "OPEN", "title": "STRASSE", "score": 7, "n": "10", "flag": 1, "created_at": "2025-04-01 00:00:00", "user": {"login": "carol"}},
 {"id": 3, "state": "closed", "title": null, "score": null, "created_at": "2025-01-01", "user": null},
 {"id": 4, "state": 5, "created_at": "2024-12-31T23:59:59-01:00", "user.login": "dotted"},
 "scalar"
]`

func TestApplyFilters(t *testing.T) {
	tests := []struct {
		name    string
		data    string
		filters []Filter
		want    string // ids kept, or the whole result when data is an object
	}{
		{"no filters keeps all", issues, nil, `[1,2,3,4,"scalar"]`},
		{"string ignores case by default", issues, []Filter{String("state", "Open")}, `[1,2]`},
		{"string case-sensitive", issues, []Filter{String("state", "OPEN").CaseSensitive()}, `[2]`},
		{"string full case folding", issues, []Filter{String("title", "strasse")}, `[1,2]`},
		{"string compares strings only", issues, []Filter{String("state", "5")}, `[]`},
		{"string null and missing never match", issues, []Filter{String("title", "")}, `[]`},
		{"string dot path", issues, []Filter{String("user.login", "BOB")}, `[1]`},
		{"string literal dotted key wins", issues, []Filter{String("user.login", "dotted")}, `[4]`},
		{"string path through null", issues, []Filter{String("user.login", "x")}, `[]`},
		{"string_list", issues, []Filter{StringList("state", "closed", "open")}, `[1,2,3]`},
		{"string_list case-sensitive", issues, []Filter{StringList("state", "closed", "open").CaseSensitive()}, `[1,3]`},
		{"string_list empty disables", issues, []Filter{StringList("state")}, `[1,2,3,4,"scalar"]`},
		{"number", issues, []Filter{Number("score", 7)}, `[2]`},
		{"number fractional", issues, []Filter{Number("score", 2.5)}, `[1]`},
		{"number not from string", issues, []Filter{Number("n", 10)}, `[1]`},
		{"number matches 1 but not true", issues, []Filter{Number("flag", 1)}, `[2]`},
		{"number dot path", issues, []Filter{Number("user.age", 30)}, `[1]`},
		{"number_list", issues, []Filter{NumberList("id", 1, 3, 99)}, `[1,3]`},
		{"number_list empty disables", issues, []Filter{NumberList("id")}, `[1,2,3,4,"scalar"]`},
		{"number_range closed", issues, []Filter{NumberRange("id", ptr(2), ptr(3))}, `[2,3]`},
		{"number_range open from", issues, []Filter{NumberRange("id", nil, ptr(2))}, `[1,2]`},
		{"number_range open to", issues, []Filter{NumberRange("id", ptr(3), nil)}, `[3,4]`},
		{"number_range unbounded needs a number", issues, []Filter{NumberRange("score", nil, nil)}, `[1,2]`},
		{"date_range whole-day to_date", issues, []Filter{DateRange("created_at", "2025-01-01", "2025-03-31")}, `[1,3,4]`},
		{"date_range to_date with time is exact", issues, []Filter{DateRange("created_at", "", "2025-03-31 23:00:00")}, `[3,4]`},
		{"date_range from with offset", issues, []Filter{DateRange("created_at", "2025-04-01T00:00:00Z", "")}, `[2]`},
		{"date_range RFC 3339 bound with zone", issues, []Filter{DateRange("created_at", "2025-04-01T01:00:00+01:00", "2025-04-01T00:00:00.000Z")}, `[2]`},
		{"date_range open both ends needs a date", issues, []Filter{DateRange("created_at", "", "")}, `[1,2,3,4]`},
		{"date_range non-date field", issues, []Filter{DateRange("state", "2000-01-01", "")}, `[]`},
		{"date_range non-string field", issues, []Filter{DateRange("id", "2000-01-01", "")}, `[]`},
		{"filters are AND-combined", issues, []Filter{String("state", "open"), NumberRange("score", ptr(5), nil)}, `[2]`},
		{"non-root filters ignore object data", `{"state": "closed", "id": 9}`, []Filter{String("state", "open")}, `{"state": "closed", "id": 9}`},
	}
	for _, tt := range tests {
		for _, useNumber := range []bool{false, true} {
			data := decode(t, tt.data, useNumber)
			orig := canon(t, data)
			got := Apply(data, tt.filters, nil)
			if list, ok := got.([]any); ok {
				ids := make([]any, 0, len(list))
				for _, el := range list {
					if m, ok := el.(map[string]any); ok {
						ids = append(ids, m["id"])
					} else {
						ids = append(ids, el)
					}
				}
				got = ids
			}
			if g, w := canon(t, got), canon(t, decode(t, tt.want, false)); g != w {
				t.Errorf("%s (useNumber=%v): got %s, want %s", tt.name, useNumber, g, w)
			}
			if canon(t, data) != orig {
				t.Errorf("%s: input modified", tt.name)
			}
		}
	}
}

const mail = `[
 {"id": "m1", "payload": {"parts": [
    {"mime": "text/plain", "headers": [{"name": "From", "v": 1}, {"name": "To", "v": 2}]},
    {"mime": "text/html", "headers": [{"name": "from", "v": 3}, {"name": "Date", "v": 4}]},
    {"mime": "x/none"}]}},
 {"id": "m2", "payload": {"parts": "not an array"}},
 {"id": "m3"},
 {"id": "m4", "tags": ["a", "b"], "mixed": [{"name": "From"}, 5]},
 7
]`

func TestApplyRootFilters(t *testing.T) {
	tests := []struct {
		name    string
		data    string
		filters []Filter
		want    string
	}{
		{
			"root maps over arrays on the way and prunes in place", mail,
			[]Filter{String("name", "from").Under("payload.parts.headers")},
			`[
			 {"id": "m1", "payload": {"parts": [
			    {"mime": "text/plain", "headers": [{"name": "From", "v": 1}]},
			    {"mime": "text/html", "headers": [{"name": "from", "v": 3}]},
			    {"mime": "x/none"}]}},
			 {"id": "m2", "payload": {"parts": "not an array"}},
			 {"id": "m3"},
			 {"id": "m4", "tags": ["a", "b"], "mixed": [{"name": "From"}, 5]},
			 7]`,
		},
		{
			"root never removes top-level items, even when nothing matches", mail,
			[]Filter{String("name", "nobody").Under("payload.parts.headers")},
			`[
			 {"id": "m1", "payload": {"parts": [
			    {"mime": "text/plain", "headers": []},
			    {"mime": "text/html", "headers": []},
			    {"mime": "x/none"}]}},
			 {"id": "m2", "payload": {"parts": "not an array"}},
			 {"id": "m3"},
			 {"id": "m4", "tags": ["a", "b"], "mixed": [{"name": "From"}, 5]},
			 7]`,
		},
		{
			"root ending at an array of objects, case-sensitive, number", mail,
			[]Filter{String("mime", "text/html").CaseSensitive().Under("payload.parts"), Number("v", 4).Under("payload.parts.headers")},
			`[
			 {"id": "m1", "payload": {"parts": [{"mime": "text/html", "headers": [{"name": "Date", "v": 4}]}]}},
			 {"id": "m2", "payload": {"parts": "not an array"}},
			 {"id": "m3"},
			 {"id": "m4", "tags": ["a", "b"], "mixed": [{"name": "From"}, 5]},
			 7]`,
		},
		{
			"root at an array of scalars or a mixed array is skipped", mail,
			[]Filter{String("name", "x").Under("tags"), String("name", "x").Under("mixed"), String("name", "x").Under("id")},
			mail,
		},
		{
			"root on object data", `{"total": 2, "items": [{"k": "a"}, {"k": "b"}]}`,
			[]Filter{StringList("k", "B").Under("items")},
			`{"total": 2, "items": [{"k": "b"}]}`,
		},
		{
			"root and non-root together", `[{"s": "open", "l": [{"n": 1}, {"n": 2}]}, {"s": "closed", "l": [{"n": 1}]}]`,
			[]Filter{String("s", "open"), NumberRange("n", ptr(2), nil).Under("l")},
			`[{"s": "open", "l": [{"n": 2}]}]`,
		},
		{
			"root date_range", `{"events": [{"at": "2025-05-01"}, {"at": "2025-05-02T10:00:00"}, {"at": "2025-05-03 00:00:00"}]}`,
			[]Filter{DateRange("at", "2025-05-01", "2025-05-02").Under("events")},
			`{"events": [{"at": "2025-05-01"}, {"at": "2025-05-02T10:00:00"}]}`,
		},
		{
			"root string_list and number_list", `{"a": [{"x": "P"}, {"x": "q"}], "b": [{"y": 1}, {"y": 2.0}, {"y": "2"}]}`,
			[]Filter{StringList("x", "p").Under("a"), NumberList("y", 2).Under("b")},
			`{"a": [{"x": "P"}], "b": [{"y": 2}]}`,
		},
	}
	for _, tt := range tests {
		for _, useNumber := range []bool{false, true} {
			data := decode(t, tt.data, useNumber)
			orig := canon(t, data)
			got := Apply(data, tt.filters, nil)
			if g, w := canon(t, got), canon(t, decode(t, tt.want, false)); g != w {
				t.Errorf("%s (useNumber=%v):\n got %s\nwant %s", tt.name, useNumber, g, w)
			}
			if canon(t, data) != orig {
				t.Errorf("%s: input modified", tt.name)
			}
		}
	}
}

func TestApplyFields(t *testing.T) {
	const item = `{"id": 1, "title": "t", "user": {"login": "bob", "email": "b@x", "site": {"url": "u", "x": 1}},
		"labels": [{"name": "bug", "color": "red"}, {"name": "docs"}, "plain", [{"name": "nested"}]], "count": 5, "none": null}`
	tests := []struct {
		name   string
		data   string
		fields []string
		want   string
	}{
		{"nil keeps all", item, nil, item},
		{"empty keeps all", item, []string{}, item},
		{"top-level keys", item, []string{"id", "title"}, `{"id": 1, "title": "t"}`},
		{"nested key", item, []string{"user.login"}, `{"user": {"login": "bob"}}`},
		{"shared prefixes merge", item, []string{"user.login", "user.email", "user.site.url"},
			`{"user": {"login": "bob", "email": "b@x", "site": {"url": "u"}}}`},
		{"whole ancestor wins, either order", item, []string{"user.login", "user", "user.email"},
			`{"user": {"login": "bob", "email": "b@x", "site": {"url": "u", "x": 1}}}`},
		{"arrays are mapped", item, []string{"labels.name"},
			`{"labels": [{"name": "bug"}, {"name": "docs"}, "plain", [{"name": "nested"}]]}`},
		{"missing paths ignored", item, []string{"id", "nope", "user.nope", "labels.nope"},
			`{"id": 1, "user": {}, "labels": [{}, {}, "plain", [{}]]}`},
		{"a path through a scalar keeps the scalar", item, []string{"count.value", "title.x.y", "none.x"},
			`{"count": 5, "title": "t", "none": null}`},
		{"malformed paths ignored", item, []string{"", "user..login", ".id"}, item},
		{"array data: each element", `[{"a": 1, "b": 2}, {"a": 3}, 4]`, []string{"a"}, `[{"a": 1}, {"a": 3}, 4]`},
		{"scalar data unchanged", `"x"`, []string{"a"}, `"x"`},
	}
	for _, tt := range tests {
		data := decode(t, tt.data, true)
		orig := canon(t, data)
		got := Apply(data, nil, tt.fields)
		if g, w := canon(t, got), canon(t, decode(t, tt.want, false)); g != w {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, g, w)
		}
		if canon(t, data) != orig {
			t.Errorf("%s: input modified", tt.name)
		}
	}
}

func TestApplyDoesNotModifyInput(t *testing.T) {
	data := decode(t, mail, false)
	keep := decode(t, mail, false)
	out := Apply(data, []Filter{String("mime", "x").Under("payload.parts"), String("id", "m1")}, []string{"payload.parts.mime"})
	if !reflect.DeepEqual(data, keep) {
		t.Fatal("Apply modified its input")
	}
	if canon(t, out) != `[{"payload":{"parts":[]}}]` {
		t.Fatalf("unexpected result %s", canon(t, out))
	}
}

func TestConstructors(t *testing.T) {
	tests := []struct {
		f    Filter
		want string
	}{
		{String("state", "open"), `{"type":"string","field_name":"state","value":"open"}`},
		{String("state", "").CaseSensitive(), `{"type":"string","field_name":"state","value":"","ignore_case":false}`},
		{StringList("name", "bug", "urgent").Under("labels"), `{"type":"string_list","field_name":"name","root":"labels","values":["bug","urgent"]}`},
		{Number("n", 0), `{"type":"number","field_name":"n","value":0}`},
		{NumberList("n", 1, 2.5), `{"type":"number_list","field_name":"n","values":[1,2.5]}`},
		{NumberRange("n", ptr(1), nil), `{"type":"number_range","field_name":"n","from_value":1}`},
		{NumberRange("n", nil, ptr(2)), `{"type":"number_range","field_name":"n","to_value":2}`},
		{DateRange("d", "2025-01-01", "2025-01-31"), `{"type":"date_range","field_name":"d","from_date":"2025-01-01","to_date":"2025-01-31"}`},
	}
	for _, tt := range tests {
		b, err := json.Marshal(tt.f)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != tt.want {
			t.Errorf("got %s, want %s", b, tt.want)
		}
		// What a constructor builds survives the wire: ParseFilters accepts it unchanged.
		back, err := ParseFilters([]any{decode(t, string(b), false)})
		if err != nil {
			t.Errorf("%s: %v", b, err)
			continue
		}
		if nb, _ := json.Marshal(back[0]); string(nb) != tt.want {
			t.Errorf("round trip: got %s, want %s", nb, tt.want)
		}
	}
	from := 1.0
	f := NumberRange("n", &from, nil)
	from = 5
	if *f.FromValue != 1 {
		t.Error("NumberRange keeps a pointer to the caller's variable")
	}
}

func TestApplyGoValues(t *testing.T) {
	type label struct {
		Name string `json:"name"`
	}
	type issue struct {
		Number int     `json:"number"`
		State  string  `json:"state"`
		Labels []label `json:"labels"`
	}
	data := []issue{{1, "open", []label{{"bug"}, {"docs"}}}, {2, "closed", nil}}
	got := Apply(data, []Filter{String("state", "OPEN"), String("name", "bug").Under("labels")}, []string{"number", "labels"})
	if g := canon(t, got); g != `[{"labels":[{"name":"bug"}],"number":1}]` {
		t.Errorf("got %s", g)
	}
	if data[0].Labels[1].Name != "docs" {
		t.Error("input modified")
	}
	// Go integers in decoded-style data are numbers; unencodable values come back unchanged.
	if got := Apply([]any{map[string]any{"n": int64(3)}, map[string]any{"n": 4}}, []Filter{NumberList("n", 3, 4)}, nil); len(got.([]any)) != 2 {
		t.Errorf("Go integers: got %v", got)
	}
	ch := make(chan int)
	if got := Apply(ch, []Filter{String("a", "b")}, nil); got != ch {
		t.Errorf("unencodable value: got %v", got)
	}
	if got := Apply("scalar", nil, []string{"a"}); got != "scalar" {
		t.Errorf("scalar: got %v", got)
	}
	// Time zones without a colon, and a space before the zone.
	got = Apply([]any{map[string]any{"d": "2025-01-01T01:00:00+0200"}, map[string]any{"d": "2025-01-01 00:30:00+00:00"}},
		[]Filter{DateRange("d", "", "2024-12-31T23:30:00Z")}, nil)
	if g := canon(t, got); g != `[{"d":"2025-01-01T01:00:00+0200"}]` {
		t.Errorf("zones: got %s", g)
	}
}

func TestApplyIgnoresUnknownTypes(t *testing.T) {
	data := decode(t, `[{"a": 1}, {"a": 2}]`, false)
	if got := Apply(data, []Filter{{Type: "regex", FieldName: "a"}, {}}, nil); canon(t, got) != `[{"a":1},{"a":2}]` {
		t.Errorf("got %s", canon(t, got))
	}
}
