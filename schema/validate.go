package schema

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// UnknownPolicy says what Validate does with object keys the schema does not declare.
type UnknownPolicy int

const (
	// UnknownReject reports each unknown key as a violation (the Go client's default, §14.2).
	UnknownReject UnknownPolicy = iota
	// UnknownDrop silently removes unknown keys (the reference client and pydantic's default).
	UnknownDrop
	// UnknownKeep passes unknown keys through unchanged.
	UnknownKeep
)

// Options tune Validate.
type Options struct {
	// Lax coerces like pydantic's lax mode: numeric strings become integers or numbers,
	// "true"/"false"/"1"/"0" (and pydantic's other spellings, any case) become booleans.
	// Integral floats are accepted as integers in both modes; numbers never become strings.
	Lax bool
	// Unknown applies to keys not in an object's properties, at the top level and in nested
	// objects that declare properties, unless the object allows additional properties. A nested
	// object schema without properties is free-form.
	Unknown UnknownPolicy
	// IsFile reports whether v is a file value (an upload, a bosaclient file). Such values are
	// accepted for binary fields, which also accept a string or []byte.
	IsFile func(v any) bool
}

// Violation is one reason a parameter object is invalid.
type Violation struct {
	// Field is the path of the offending value, like "labels[2].name"; empty for the object itself.
	Field string
	// Description is a sentence a person can act on, like `must be an integer, got string "abc"`.
	Description string
}

// ValidationError lists every violation found in a parameter object.
type ValidationError struct {
	Violations []Violation
}

// Error formats all violations on one line:
// `invalid parameters: owner: is required; page: must be an integer, got string "x"`.
func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("invalid parameters")
	for i, v := range e.Violations {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		if v.Field != "" {
			b.WriteString(v.Field)
			b.WriteString(": ")
		}
		b.WriteString(v.Description)
	}
	return b.String()
}

// maxDepth bounds nesting, so that self-referencing Go values cannot recurse forever.
const maxDepth = 256

// maxRefHops bounds a chain of references that reach no concrete schema.
const maxRefHops = 64

// Validate checks params (a decoded JSON object; numbers may be float64, json.Number or any Go
// integer or float type; Go slices and string-keyed maps are accepted as arrays and objects)
// against the object schema s, following $ref to its $defs.
//
// It returns a normalized copy: null values of object keys omitted, integers as int64, numbers
// as float64, arrays as []any, objects as map[string]any, lax coercions applied and unknown keys
// handled per opts.Unknown. Otherwise it returns a *ValidationError listing every violation.
func (s *Schema) Validate(params map[string]any, opts Options) (map[string]any, error) {
	if s == nil {
		s = &Schema{}
	}
	w := &walker{opts: opts, root: s, coerce: opts.Lax, steps: new(int)}
	var out map[string]any
	if top := w.deref("", s); top != nil {
		out, _ = w.object("", top, params, true, 0)
	}
	if *w.steps > maxSteps {
		return nil, &ValidationError{Violations: []Violation{{
			Description: fmt.Sprintf("too complex to check against this schema (more than %d steps)", maxSteps)}}}
	}
	if len(w.violations) > 0 {
		return nil, &ValidationError{Violations: w.violations}
	}
	if out == nil {
		out = map[string]any{}
	}
	return out, nil
}

type walker struct {
	opts       Options
	root       *Schema
	coerce     bool // lax coercions allowed in this pass
	violations []Violation
	// quiet walkers try anyOf members: they stop at the first violation and skip its message.
	quiet bool
	steps *int // checks made by quiet walkers, shared by all walkers of one call
}

// maxSteps bounds the speculative work of one Validate call: trying the anyOf members of a
// recursive schema against deeply nested data could otherwise take exponential time.
var maxSteps = 1 << 18

func (w *walker) fail(path, format string, args ...any) {
	if w.quiet {
		w.violations = append(w.violations, Violation{Field: path})
		return
	}
	w.violations = append(w.violations, Violation{Field: path, Description: fmt.Sprintf(format, args...)})
}

// sub returns a walker collecting its own violations, for trying anyOf members.
func (w *walker) sub(coerce, quiet bool) *walker {
	return &walker{opts: w.opts, root: w.root, coerce: coerce, quiet: quiet, steps: w.steps}
}

// deref follows $ref chains; it returns nil (after reporting) for a broken reference.
func (w *walker) deref(path string, s *Schema) *Schema {
	for hops := 0; s != nil && s.Ref != ""; hops++ {
		if hops == maxRefHops {
			w.fail(path, "cannot be checked: the schema's $ref chain %q does not end", s.Ref)
			return nil
		}
		t, err := lookupRef(w.root, s.Ref)
		if err != nil {
			w.fail(path, "cannot be checked: the schema has a broken $ref %q", s.Ref)
			return nil
		}
		s = t
	}
	return s
}

func (w *walker) isFile(v any) bool { return w.opts.IsFile != nil && w.opts.IsFile(v) }

// value checks v against s and returns the normalized value; ok is false when it reported.
func (w *walker) value(path string, s *Schema, v any, depth int) (any, bool) {
	if s != nil && s.Ref != "" {
		if s = w.deref(path, s); s == nil {
			return nil, false
		}
	}
	if depth > maxDepth {
		w.fail(path, "is nested more than %d levels deep", maxDepth)
		return nil, false
	}
	if w.quiet && w.steps != nil {
		if *w.steps++; *w.steps > maxSteps {
			w.fail(path, "is too complex to check")
			return nil, false
		}
	}
	if s == nil {
		return w.free(v, depth), true
	}
	if v == nil {
		if allowsNull(s) {
			return nil, true
		}
		w.fail(path, "must be %s, got null", w.want(s))
		return nil, false
	}
	if len(s.AnyOf) > 0 {
		return w.anyOf(path, s, v, depth)
	}
	var out any
	var ok bool
	switch {
	case s.Type == "string" && s.Format == "binary":
		switch v.(type) {
		case string, []byte:
			out, ok = v, true
		default:
			if out, ok = v, w.isFile(v); !ok {
				w.fail(path, "must be a file or a string, got %s", describe(v))
			}
		}
	case s.Type == "string":
		if out, ok = v.(string); !ok {
			w.fail(path, "must be a string, got %s", describe(v))
		}
	case s.Type == "integer":
		if out, ok = toInt(v, w.coerce); !ok {
			w.fail(path, "must be an integer, got %s", describe(v))
		}
	case s.Type == "number":
		if out, ok = toFloat(v, w.coerce); !ok {
			w.fail(path, "must be a number, got %s", describe(v))
		}
	case s.Type == "boolean":
		if out, ok = toBool(v, w.coerce); !ok {
			w.fail(path, "must be a boolean, got %s", describe(v))
		}
	case s.Type == "null":
		w.fail(path, "must be null, got %s", describe(v))
	case s.Type == "object", s.Type == "" && s.Properties != nil:
		out, ok = w.object(path, s, v, false, depth)
	case s.Type == "array", s.Type == "" && s.Items != nil:
		out, ok = w.array(path, s, v, depth)
	default: // no type, or one BOSA does not use: anything goes
		out, ok = w.free(v, depth), true
	}
	if ok && len(s.Enum) > 0 && !inEnum(out, s.Enum) {
		w.fail(path, "must be one of %s, got %s", enumList(s.Enum), describe(v))
		return nil, false
	}
	return out, ok
}

// anyOf accepts v when a member accepts it. Members are first tried without coercion, so that
// an exact match wins (pydantic's smart mode): "5" stays a string for anyOf [string, integer].
func (w *walker) anyOf(path string, s *Schema, v any, depth int) (any, bool) {
	if nn := s.NonNull(); nn != s && len(s.Enum) == 0 {
		return w.value(path, nn, v, depth+1) // v is not null: only T of anyOf [T, null] can take it
	}
	passes := []bool{false}
	if w.coerce {
		passes = append(passes, true)
	}
	for _, coerce := range passes {
		for _, m := range s.AnyOf {
			sw := w.sub(coerce, true)
			out, ok := sw.value(path, m, v, depth+1)
			if ok && len(sw.violations) == 0 {
				if len(s.Enum) > 0 && !inEnum(out, s.Enum) {
					continue
				}
				return out, true
			}
		}
	}
	// Report the member of the value's own kind: its nested messages say the most.
	for _, m := range s.AnyOf {
		m := w.deref(path, m)
		if m != nil && kindMatches(m, v) {
			sw := w.sub(w.coerce, w.quiet)
			if _, ok := sw.value(path, m, v, depth+1); !ok || len(sw.violations) > 0 {
				w.violations = append(w.violations, sw.violations...)
				return nil, false
			}
		}
	}
	w.fail(path, "must be %s, got %s", w.want(s), describe(v))
	return nil, false
}

// object checks an object; top is the parameter object itself.
func (w *walker) object(path string, s *Schema, v any, top bool, depth int) (map[string]any, bool) {
	m, ok := asMap(v)
	if !ok {
		w.fail(path, "must be %s, got %s", kindName(s), describe(v))
		return nil, false
	}
	before := len(w.violations)
	required := s.requiredNames()
	if w.quiet { // cheap checks first, to reject a wrong anyOf member before descending
		for _, name := range required {
			if m[name] == nil {
				w.fail(join(path, name), "is required")
				return nil, false
			}
		}
	}
	out := make(map[string]any, len(m))
	var unknown []string
	policy := w.opts.Unknown
	if policy == UnknownKeep && s.AdditionalProperties != nil && !*s.AdditionalProperties {
		policy = UnknownReject // the schema forbids extra keys: keeping them would be invalid
	}
	for _, k := range sortedKeys(m) {
		if w.quiet && len(w.violations) > before {
			return nil, false
		}
		val := m[k]
		p, known := s.Properties[k]
		if !known && slices.Contains(required, k) {
			known = true // required but not described: any value
		}
		switch {
		case val == nil && (top || known || !allowsExtra(s, top)):
			// null means absent (§6.1: nulls are omitted); only free-form content keeps them
		case known:
			if nv, ok := w.value(join(path, k), p, val, depth+1); ok {
				out[k] = nv
			}
		case s.AdditionalSchema != nil:
			if nv, ok := w.value(join(path, k), s.AdditionalSchema, val, depth+1); ok {
				out[k] = nv
			}
		case allowsExtra(s, top):
			out[k] = w.free(val, depth+1)
		case policy == UnknownKeep:
			out[k] = w.free(val, depth+1)
		case policy == UnknownReject:
			unknown = append(unknown, k)
		}
	}
	for _, name := range required {
		if m[name] == nil {
			w.fail(join(path, name), "is required")
		}
	}
	if len(unknown) > 0 {
		known := "none"
		if len(s.Properties) > 0 {
			known = strings.Join(sortedKeys(s.Properties), ", ")
		}
		what := "is not a field of this object"
		if top {
			what = "is not a parameter of this action"
		}
		for _, k := range unknown {
			w.fail(join(path, k), "%s (known: %s)", what, known)
		}
	}
	return out, len(w.violations) == before
}

func (w *walker) array(path string, s *Schema, v any, depth int) ([]any, bool) {
	items, ok := asSlice(v)
	if !ok {
		w.fail(path, "must be %s, got %s", kindName(s), describe(v))
		return nil, false
	}
	out := make([]any, len(items))
	all := true
	for i, it := range items {
		nv, ok := w.value(fmt.Sprintf("%s[%d]", path, i), s.Items, it, depth+1)
		out[i], all = nv, all && ok
		if w.quiet && !all {
			return nil, false
		}
	}
	return out, all
}

// free normalizes a value no schema describes: Go slices and maps become []any and
// map[string]any (copied), everything else is kept.
func (w *walker) free(v any, depth int) any {
	if depth > maxDepth || v == nil || w.isFile(v) {
		return v
	}
	if m, ok := asMap(v); ok {
		out := make(map[string]any, len(m))
		for k, x := range m {
			out[k] = w.free(x, depth+1)
		}
		return out
	}
	if items, ok := asSlice(v); ok {
		out := make([]any, len(items))
		for i, x := range items {
			out[i] = w.free(x, depth+1)
		}
		return out
	}
	return v
}

// want describes what a non-null value must be, for messages: "an integer", "a string or an integer".
func (w *walker) want(s *Schema) string {
	if len(s.AnyOf) == 0 {
		return kindName(s)
	}
	var names []string
	quiet := w.sub(false, true) // broken references were reported where they were followed
	for _, m := range s.AnyOf {
		if m = quiet.deref("", m); m == nil || m.Type == "null" {
			continue
		}
		if n := kindName(m); !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	switch len(names) {
	case 0:
		if s.Nullable() {
			return "null"
		}
		return "a valid value"
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

func kindName(s *Schema) string {
	switch {
	case s.Type == "string" && s.Format == "binary":
		return "a file or a string"
	case s.Type == "array" && s.Items != nil && s.Items.Type != "" && len(s.Items.AnyOf) == 0:
		return "an array of " + plural(s.Items)
	case s.Type == "integer", s.Type == "object", s.Type == "array", s.Type == "" && s.Properties != nil:
		if s.Type == "" {
			return "an object"
		}
		return "an " + s.Type
	case s.Type == "null":
		return "null"
	case s.Type != "":
		return "a " + s.Type
	case len(s.Enum) > 0:
		return "one of " + enumList(s.Enum)
	}
	return "a valid value"
}

func plural(s *Schema) string {
	switch {
	case s.Type == "string" && s.Format == "binary":
		return "files"
	case s.Type == "null":
		return "nulls"
	}
	return s.Type + "s"
}

// kindMatches reports whether v is of the JSON kind s describes, ignoring details.
func kindMatches(s *Schema, v any) bool {
	switch s.Type {
	case "object":
		_, ok := asMap(v)
		return ok
	case "array":
		_, ok := asSlice(v)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "integer", "number":
		_, ok := toFloat(v, false)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	}
	return false
}

func allowsNull(s *Schema) bool {
	if s.Type == "null" {
		return true
	}
	if s.Type == "" && len(s.AnyOf) == 0 && s.Properties == nil && s.Items == nil && len(s.Enum) == 0 {
		return true
	}
	for _, e := range s.Enum {
		if e == nil {
			return true
		}
	}
	return s.Nullable()
}

func allowsExtra(s *Schema, top bool) bool {
	if s.AdditionalProperties != nil {
		return *s.AdditionalProperties
	}
	return !top && len(s.Properties) == 0
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// asMap returns v as a map when it is a map with string keys.
func asMap(v any) (map[string]any, bool) {
	if m, ok := v.(map[string]any); ok {
		return m, true
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Map || rv.Type().Key().Kind() != reflect.String {
		return nil, false
	}
	m := make(map[string]any, rv.Len())
	for it := rv.MapRange(); it.Next(); {
		m[it.Key().String()] = it.Value().Interface()
	}
	return m, true
}

// asSlice returns v as a list when it is a slice or array other than []byte.
func asSlice(v any) ([]any, bool) {
	if s, ok := v.([]any); ok {
		return s, true
	}
	if _, ok := v.([]byte); ok {
		return nil, false
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
		return nil, false
	}
	s := make([]any, rv.Len())
	for i := range s {
		s[i] = rv.Index(i).Interface()
	}
	return s, true
}

// toFloat converts any Go or JSON number (and, when coerce, a numeric string) to a finite float64.
func toFloat(v any, coerce bool) (float64, bool) {
	var f float64
	switch x := v.(type) {
	case float64:
		f = x
	case float32:
		f = float64(x)
	case int:
		f = float64(x)
	case int8:
		f = float64(x)
	case int16:
		f = float64(x)
	case int32:
		f = float64(x)
	case int64:
		f = float64(x)
	case uint:
		f = float64(x)
	case uint8:
		f = float64(x)
	case uint16:
		f = float64(x)
	case uint32:
		f = float64(x)
	case uint64:
		f = float64(x)
	case json.Number:
		var err error
		if f, err = strconv.ParseFloat(string(x), 64); err != nil {
			return 0, false
		}
	case string:
		if !coerce {
			return 0, false
		}
		return parseFloat(x)
	default:
		return 0, false
	}
	return f, !math.IsNaN(f) && !math.IsInf(f, 0)
}

// parseFloat parses decimal text (surrounding spaces allowed) to a finite float64.
func parseFloat(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if s == "" || strings.ContainsAny(s, "xXpP_") { // no hex floats or digit separators
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil && !math.IsNaN(f) && !math.IsInf(f, 0)
}

// toInt converts an integral number (and, when coerce, integral decimal text) to int64.
func toInt(v any, coerce bool) (int64, bool) {
	switch x := v.(type) {
	case int:
		return int64(x), true
	case int8:
		return int64(x), true
	case int16:
		return int64(x), true
	case int32:
		return int64(x), true
	case int64:
		return x, true
	case uint:
		return int64(x), uint64(x) <= math.MaxInt64
	case uint8:
		return int64(x), true
	case uint16:
		return int64(x), true
	case uint32:
		return int64(x), true
	case uint64:
		return int64(x), x <= math.MaxInt64
	case json.Number:
		if i, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return i, true
		}
	case string:
		if !coerce {
			return 0, false
		}
		if i, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64); err == nil {
			return i, true
		}
		f, ok := parseFloat(x)
		return floatToInt(f, ok)
	}
	return floatToInt(toFloat(v, false))
}

func floatToInt(f float64, ok bool) (int64, bool) {
	if !ok || f != math.Trunc(f) || f < -(1<<63) || f >= 1<<63 {
		return 0, false
	}
	return int64(f), true
}

// toBool accepts a bool and, when coerce, pydantic's boolean spellings in any case.
func toBool(v any, coerce bool) (bool, bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case string:
		if !coerce {
			return false, false
		}
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "true", "1", "t", "y", "yes", "on":
			return true, true
		case "false", "0", "f", "n", "no", "off":
			return false, true
		}
	}
	return false, false
}

func inEnum(v any, enum []any) bool {
	for _, e := range enum {
		if equalJSON(v, e) {
			return true
		}
	}
	return false
}

// equalJSON compares two scalars as JSON values: numbers by value, others exactly.
func equalJSON(a, b any) bool {
	if _, isBool := a.(bool); !isBool {
		if fa, ok := toFloat(a, false); ok {
			fb, ok := toFloat(b, false)
			_, bBool := b.(bool)
			return ok && !bBool && fa == fb
		}
	}
	switch a.(type) {
	case string, bool, nil:
		return a == b
	}
	return false
}

func enumList(enum []any) string {
	parts := make([]string, len(enum))
	for i, e := range enum {
		if e == nil {
			parts[i] = "null"
			continue
		}
		b, err := json.Marshal(e)
		if err != nil {
			parts[i] = fmt.Sprint(e)
			continue
		}
		parts[i] = string(b)
	}
	return strings.Join(parts, ", ")
}

// describe names a value for messages, quoting short scalars: `string "abc"`, `number 2.5`.
func describe(v any) string {
	const maxQuoted = 40
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		if len(x) > maxQuoted {
			return "a string of " + strconv.Itoa(len(x)) + " bytes"
		}
		return "string " + strconv.Quote(x)
	case bool:
		return "boolean " + strconv.FormatBool(x)
	case json.Number:
		return "number " + truncate(string(x), maxQuoted)
	case []byte:
		return "bytes"
	}
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "number " + strconv.FormatInt(rv.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return "number " + strconv.FormatUint(rv.Uint(), 10)
	}
	if f, ok := toFloat(v, false); ok {
		if math.Abs(f) < 1e21 {
			return "number " + strconv.FormatFloat(f, 'f', -1, 64)
		}
		return "number " + strconv.FormatFloat(f, 'g', -1, 64)
	}
	if _, ok := v.(float64); ok {
		return "a non-finite number"
	}
	if _, ok := v.(float32); ok {
		return "a non-finite number"
	}
	if _, ok := asMap(v); ok {
		return "object"
	}
	if _, ok := asSlice(v); ok {
		return "array"
	}
	return fmt.Sprintf("a value of Go type %T", v)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
