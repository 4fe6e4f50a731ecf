package schema

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
)

// DecodeForm converts form fields (multipart or urlencoded, §6.2) to typed values using the
// schema s: integers and numbers from decimal text, booleans from True/False/true/false/1/0,
// repeated fields to arrays (a single value for an array property becomes a one-element array),
// an object property from JSON text, strings as they are. Fields the schema does not declare are
// kept as strings (or lists of strings), for Validate to judge. File parts are not form values:
// the caller adds them. Conversion failures are returned together as a *ValidationError.
func (s *Schema) DecodeForm(values url.Values) (map[string]any, error) {
	if s == nil {
		s = &Schema{}
	}
	w := &walker{root: s}
	if s = w.deref("", s); s == nil {
		return nil, &ValidationError{Violations: w.violations}
	}
	out := make(map[string]any, len(values))
	for _, k := range sortedKeys(values) {
		texts := values[k]
		if len(texts) == 0 {
			continue
		}
		p, known := s.Properties[k]
		if known {
			p = w.deref(k, p)
		}
		if !known || p == nil {
			if len(texts) == 1 {
				out[k] = texts[0]
			} else {
				list := make([]any, len(texts))
				for i, t := range texts {
					list[i] = t
				}
				out[k] = list
			}
			continue
		}
		if items, isArray := w.formArray(k, p); isArray {
			list := make([]any, 0, len(texts))
			for i, t := range texts {
				if v, ok := w.formValue(k+"["+strconv.Itoa(i)+"]", items, t); ok {
					list = append(list, v)
				}
			}
			out[k] = list
			continue
		}
		if len(texts) > 1 {
			w.fail(k, "takes one value, got %d", len(texts))
			continue
		}
		if v, ok := w.formValue(k, p, texts[0]); ok {
			out[k] = v
		}
	}
	if len(w.violations) > 0 {
		return nil, &ValidationError{Violations: w.violations}
	}
	return out, nil
}

// formArray reports whether a property takes a list, and the schema of its items.
func (w *walker) formArray(path string, p *Schema) (*Schema, bool) {
	if p.Type == "array" {
		return p.Items, true
	}
	quiet := w.sub(false, false) // formValue reports broken references
	for _, m := range p.AnyOf {
		if m = quiet.deref(path, m); m != nil && m.Type == "array" {
			return m.Items, true
		}
	}
	return nil, false
}

// formValue converts one form text to the type p describes.
func (w *walker) formValue(path string, p *Schema, text string) (any, bool) {
	if p == nil {
		return text, true
	}
	if p = w.deref(path, p); p == nil {
		return nil, false
	}
	if len(p.AnyOf) > 0 {
		var typed []*Schema
		for _, m := range p.AnyOf {
			if m = w.deref(path, m); m == nil || m.Type == "null" {
				continue
			}
			if m.Type == "string" || m.Type == "" {
				return text, true // text is an exact match for a string member
			}
			typed = append(typed, m)
		}
		for _, m := range typed {
			sw := w.sub(false, false)
			if v, ok := sw.formValue(path, m, text); ok {
				return v, true
			}
		}
		if len(typed) == 0 {
			return text, true
		}
		return w.formValue(path, typed[0], text) // reports the first member's complaint
	}
	switch p.Type {
	case "integer":
		if i, ok := toInt(text, true); ok {
			return i, true
		}
		w.fail(path, "must be an integer, got %s", describe(text))
	case "number":
		if f, ok := parseFloat(text); ok {
			return f, true
		}
		w.fail(path, "must be a number, got %s", describe(text))
	case "boolean":
		switch strings.TrimSpace(text) {
		case "True", "true", "1":
			return true, true
		case "False", "false", "0":
			return false, true
		}
		w.fail(path, "must be a boolean (True, False, true, false, 1 or 0), got %s", describe(text))
	case "object", "array":
		var v any
		if err := json.Unmarshal([]byte(text), &v); err == nil && kindMatches(p, v) {
			return v, true
		}
		w.fail(path, "must be %s, which a form field can carry only as JSON text; got %s", kindName(p), describe(text))
	default:
		return text, true
	}
	return nil, false
}
