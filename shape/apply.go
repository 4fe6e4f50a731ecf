package shape

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/cases"
)

// Apply shapes data — the decoded JSON "data" value, a []any or a map[string]any — with the
// filters (AND-combined) and then the fields, and returns the result (§7). It never modifies
// data; the result may share unchanged subtrees with it. Numbers may be float64, json.Number or
// Go integers. Other Go values (structs, typed slices and maps) are first converted to their
// JSON form; a value that cannot be encoded as JSON, or a scalar, is returned unchanged.
func Apply(data any, filters []Filter, fields []string) any {
	if len(filters) == 0 && len(fields) == 0 {
		return data
	}
	if !isJSONTree(data, 0) {
		b, err := json.Marshal(data)
		if err != nil {
			return data
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		var plain any
		if dec.Decode(&plain) != nil {
			return data
		}
		data = plain
	}
	if len(filters) > 0 {
		data = applyFilters(data, filters)
	}
	if len(fields) > 0 {
		data = project(data, fields)
	}
	return data
}

func applyFilters(data any, filters []Filter) any {
	var plain, rooted []*matcher
	for i := range filters {
		m := newMatcher(&filters[i])
		if m.disabled {
			continue
		}
		if !slices.Contains(types, filters[i].Type) {
			continue // ParseFilters rejects these; a hand-built one is ignored
		}
		if filters[i].Root == "" {
			plain = append(plain, m)
		} else {
			rooted = append(rooted, m)
		}
	}
	if len(rooted) > 0 {
		data = deepCopy(data) // root filters prune nested arrays in place
	}
	if list, ok := data.([]any); ok && len(plain) > 0 {
		kept := make([]any, 0, len(list))
		for _, el := range list {
			if matchAll(plain, el) {
				kept = append(kept, el)
			}
		}
		data = kept
	}
	for _, m := range rooted {
		path := strings.Split(m.f.Root, ".")
		switch d := data.(type) {
		case []any:
			for _, el := range d {
				if obj, ok := el.(map[string]any); ok {
					prune(obj, path, m)
				}
			}
		case map[string]any:
			prune(d, path, m)
		}
	}
	return data
}

func matchAll(ms []*matcher, el any) bool {
	for _, m := range ms {
		if !m.match(el) {
			return false
		}
	}
	return true
}

// prune follows path from obj, mapping over arrays on the way, and filters the array of objects
// it ends at in place. A missing path, or one not ending at an array of objects, is skipped.
func prune(obj map[string]any, path []string, m *matcher) {
	v, ok := obj[path[0]]
	if !ok {
		return
	}
	if len(path) == 1 {
		list, ok := v.([]any)
		if !ok {
			return
		}
		kept := make([]any, 0, len(list))
		for _, el := range list {
			if _, isObj := el.(map[string]any); !isObj {
				return // not an array of objects
			}
			if m.match(el) {
				kept = append(kept, el)
			}
		}
		obj[path[0]] = kept
		return
	}
	descend(v, path[1:], m)
}

func descend(v any, rest []string, m *matcher) {
	switch x := v.(type) {
	case map[string]any:
		prune(x, rest, m)
	case []any:
		for _, el := range x {
			descend(el, rest, m)
		}
	}
}

// matcher is a Filter prepared for matching.
type matcher struct {
	f          *Filter
	disabled   bool // an empty values list disables a list filter
	ignoreCase bool
	strs       []string  // string, string_list: the accepted values (folded when ignoreCase)
	nums       []float64 // number, number_list
	from, to   time.Time // date_range bounds; zero means open
	toExcl     bool      // to is the exclusive start of the day after a date-only to_date
	caser      cases.Caser
}

func newMatcher(f *Filter) *matcher {
	m := &matcher{f: f, ignoreCase: f.IgnoreCase == nil || *f.IgnoreCase}
	if m.ignoreCase {
		m.caser = cases.Fold()
	}
	switch f.Type {
	case TypeString:
		if s, ok := f.Value.(string); ok {
			m.strs = []string{m.fold(s)}
		}
	case TypeStringList:
		m.disabled = len(f.Values) == 0
		for _, v := range f.Values {
			if s, ok := v.(string); ok {
				m.strs = append(m.strs, m.fold(s))
			}
		}
	case TypeNumber:
		if n, ok := toNumber(f.Value); ok {
			m.nums = []float64{n}
		}
	case TypeNumberList:
		m.disabled = len(f.Values) == 0
		for _, v := range f.Values {
			if n, ok := toNumber(v); ok {
				m.nums = append(m.nums, n)
			}
		}
	case TypeDateRange:
		if t, _, ok := parseTime(f.FromDate); ok {
			m.from = t
		}
		if t, dateOnly, ok := parseTime(f.ToDate); ok {
			m.to = t
			if dateOnly {
				m.to, m.toExcl = t.AddDate(0, 0, 1), true
			}
		}
	}
	return m
}

// fold case-folds s when the filter ignores case. ASCII takes a fast path.
func (m *matcher) fold(s string) string {
	if !m.ignoreCase {
		return s
	}
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return m.caser.String(s)
		}
	}
	return strings.ToLower(s)
}

func (m *matcher) match(el any) bool {
	v, ok := lookup(el, m.f.FieldName)
	if !ok || v == nil {
		return false
	}
	switch m.f.Type {
	case TypeString, TypeStringList:
		s, ok := v.(string)
		if !ok {
			return false
		}
		s = m.fold(s)
		for _, want := range m.strs {
			if s == want {
				return true
			}
		}
		return false
	case TypeNumber, TypeNumberList:
		n, ok := toNumber(v)
		if !ok {
			return false
		}
		for _, want := range m.nums {
			if n == want {
				return true
			}
		}
		return false
	case TypeNumberRange:
		n, ok := toNumber(v)
		return ok && (m.f.FromValue == nil || *m.f.FromValue <= n) && (m.f.ToValue == nil || n <= *m.f.ToValue)
	case TypeDateRange:
		s, ok := v.(string)
		if !ok {
			return false
		}
		t, _, ok := parseTime(s)
		if !ok || (!m.from.IsZero() && t.Before(m.from)) {
			return false
		}
		if m.to.IsZero() {
			return true
		}
		if m.toExcl {
			return t.Before(m.to)
		}
		return !t.After(m.to)
	}
	return false
}

// lookup finds field in el: a key of that exact name, else a dot path through nested objects.
func lookup(el any, field string) (any, bool) {
	obj, ok := el.(map[string]any)
	if !ok {
		return nil, false
	}
	if v, ok := obj[field]; ok {
		return v, true
	}
	head, rest, found := strings.Cut(field, ".")
	if !found {
		return nil, false
	}
	next, ok := obj[head]
	if !ok {
		return nil, false
	}
	return lookup(next, rest)
}

// dateLayouts are the accepted date and time forms; a time without zone is UTC. Go's parser
// also accepts fractional seconds after the seconds field of each layout.
var dateLayouts = []string{
	"2006-01-02 15:04:05",
	"2006-01-02T15:04:05",
	time.RFC3339, // includes ...Z
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02T15:04:05Z0700",
	"2006-01-02 15:04:05Z0700",
}

// parseTime parses a filter date or a data value; dateOnly reports the YYYY-MM-DD form.
func parseTime(s string) (t time.Time, dateOnly, ok bool) {
	s = strings.TrimSpace(s)
	if len(s) == len("2006-01-02") {
		t, err := time.Parse(time.DateOnly, s)
		return t, true, err == nil
	}
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), false, true
		}
	}
	return time.Time{}, false, false
}

// project keeps the dot paths of fields in each element of an array, or in an object.
func project(data any, fields []string) any {
	tree := pathTree{}
	for _, f := range fields {
		tree.add(f)
	}
	if len(tree) == 0 {
		return data
	}
	switch d := data.(type) {
	case []any:
		out := make([]any, len(d))
		for i, el := range d {
			out[i] = tree.apply(el)
		}
		return out
	case map[string]any:
		return tree.apply(d)
	}
	return data
}

// pathTree merges dot paths by prefix; a nil subtree keeps the whole value.
type pathTree map[string]pathTree

func (t pathTree) add(path string) {
	segs := strings.Split(path, ".")
	for _, s := range segs {
		if s == "" {
			return // malformed path: ignored
		}
	}
	node := t
	for i, s := range segs {
		child, seen := node[s]
		if seen && child == nil {
			return // an ancestor is already kept whole
		}
		if i == len(segs)-1 {
			node[s] = nil
			return
		}
		if !seen {
			child = pathTree{}
			node[s] = child
		}
		node = child
	}
}

// apply keeps the paths of t in v: objects are cut down, arrays mapped, scalars kept.
func (t pathTree) apply(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, sub := range t {
			val, ok := x[k]
			if !ok {
				continue
			}
			if sub == nil {
				out[k] = val
			} else {
				out[k] = sub.apply(val)
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, el := range x {
			out[i] = t.apply(el)
		}
		return out
	}
	return v
}

func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = deepCopy(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = deepCopy(e)
		}
		return out
	}
	return v
}

// isJSONTree reports whether v holds only the types encoding/json decodes to (and Go integers).
func isJSONTree(v any, depth int) bool {
	if depth > 10_000 {
		return false
	}
	switch x := v.(type) {
	case map[string]any:
		for _, e := range x {
			if !isJSONTree(e, depth+1) {
				return false
			}
		}
		return true
	case []any:
		for _, e := range x {
			if !isJSONTree(e, depth+1) {
				return false
			}
		}
		return true
	case nil, string, bool, float64, json.Number, int, int64:
		return true
	}
	return false
}
