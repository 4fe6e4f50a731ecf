package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"

	"google.golang.org/protobuf/types/known/structpb"
)

// maxJSONDepth is encoding/json's nesting limit, kept so that both decoders refuse the same input.
const maxJSONDepth = 10000

// errJSONDepth is returned for JSON nested deeper than maxJSONDepth.
var errJSONDepth = errors.New("exceeded max depth")

// jsonToValue decodes one JSON value straight into a google.protobuf.Value: the result (or the
// refusal) is that of json.Unmarshal into an any followed by structpb.NewValue, without building the
// intermediate map[string]any tree. Numbers become float64 (a number out of its range is an error, as
// in encoding/json); a later duplicate key wins; invalid UTF-8 in strings becomes U+FFFD. An empty
// input is a null value (an answer without data).
func jsonToValue(b []byte) (*structpb.Value, error) {
	if len(b) == 0 {
		return structpb.NewNullValue(), nil
	}
	d := jsonDecoder{b: b, s: string(b)}
	v, err := d.value(0)
	if err == nil {
		d.space()
		if d.i != len(d.b) {
			err = d.syntax("after top-level value")
		}
	}
	if err != nil {
		return nil, fmt.Errorf("decode JSON: %w", err)
	}
	return v, nil
}

// jsonDecoder is a recursive-descent JSON parser over one buffer. It allocates values in batches,
// and plain strings are substrings of one copy of the input, s: a 1 KiB answer of a few dozen
// values then costs a handful of allocations besides the maps.
type jsonDecoder struct {
	b []byte
	s string // the input, copied once
	i int

	vals []structpb.Value
	strs []structpb.Value_StringValue
	nums []structpb.Value_NumberValue
}

// batch is how many values of a kind are allocated at once.
const batch = 16

func (d *jsonDecoder) newValue() *structpb.Value {
	if len(d.vals) == 0 {
		d.vals = make([]structpb.Value, batch)
	}
	v := &d.vals[0]
	d.vals = d.vals[1:]
	return v
}

func (d *jsonDecoder) stringValue(s string) *structpb.Value {
	if len(d.strs) == 0 {
		d.strs = make([]structpb.Value_StringValue, batch)
	}
	k := &d.strs[0]
	d.strs = d.strs[1:]
	k.StringValue = s
	v := d.newValue()
	v.Kind = k
	return v
}

func (d *jsonDecoder) numberValue(f float64) *structpb.Value {
	if len(d.nums) == 0 {
		d.nums = make([]structpb.Value_NumberValue, batch)
	}
	k := &d.nums[0]
	d.nums = d.nums[1:]
	k.NumberValue = f
	v := d.newValue()
	v.Kind = k
	return v
}

func (d *jsonDecoder) syntax(where string) error {
	if d.i >= len(d.b) {
		return fmt.Errorf("unexpected end of JSON input %s", where)
	}
	return fmt.Errorf("invalid character %q at offset %d %s", d.b[d.i], d.i, where)
}

func (d *jsonDecoder) space() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *jsonDecoder) value(depth int) (*structpb.Value, error) {
	d.space()
	if d.i >= len(d.b) {
		return nil, d.syntax("looking for a value")
	}
	switch c := d.b[d.i]; {
	case c == '{':
		if depth >= maxJSONDepth {
			return nil, errJSONDepth
		}
		s, err := d.object(depth + 1)
		if err != nil {
			return nil, err
		}
		v := d.newValue()
		v.Kind = &structpb.Value_StructValue{StructValue: s}
		return v, nil
	case c == '[':
		if depth >= maxJSONDepth {
			return nil, errJSONDepth
		}
		l, err := d.array(depth + 1)
		if err != nil {
			return nil, err
		}
		v := d.newValue()
		v.Kind = &structpb.Value_ListValue{ListValue: l}
		return v, nil
	case c == '"':
		s, err := d.str()
		if err != nil {
			return nil, err
		}
		return d.stringValue(s), nil
	case c == '-' || (c >= '0' && c <= '9'):
		f, err := d.number()
		if err != nil {
			return nil, err
		}
		return d.numberValue(f), nil
	case c == 't':
		if err := d.literal("true"); err != nil {
			return nil, err
		}
		return &structpb.Value{Kind: &structpb.Value_BoolValue{BoolValue: true}}, nil
	case c == 'f':
		if err := d.literal("false"); err != nil {
			return nil, err
		}
		return &structpb.Value{Kind: &structpb.Value_BoolValue{BoolValue: false}}, nil
	case c == 'n':
		if err := d.literal("null"); err != nil {
			return nil, err
		}
		return &structpb.Value{Kind: &structpb.Value_NullValue{}}, nil
	}
	return nil, d.syntax("looking for a value")
}

func (d *jsonDecoder) literal(lit string) error {
	if len(d.b)-d.i < len(lit) || string(d.b[d.i:d.i+len(lit)]) != lit {
		return d.syntax("in literal " + lit)
	}
	d.i += len(lit)
	return nil
}

// object parses {...} at d.i.
func (d *jsonDecoder) object(depth int) (*structpb.Struct, error) {
	d.i++ // {
	s := &structpb.Struct{Fields: map[string]*structpb.Value{}}
	d.space()
	if d.i < len(d.b) && d.b[d.i] == '}' {
		d.i++
		return s, nil
	}
	for {
		d.space()
		if d.i >= len(d.b) || d.b[d.i] != '"' {
			return nil, d.syntax("looking for an object key")
		}
		k, err := d.str()
		if err != nil {
			return nil, err
		}
		d.space()
		if d.i >= len(d.b) || d.b[d.i] != ':' {
			return nil, d.syntax("after object key")
		}
		d.i++
		v, err := d.value(depth)
		if err != nil {
			return nil, err
		}
		s.Fields[k] = v
		d.space()
		if d.i >= len(d.b) {
			return nil, d.syntax("after object value")
		}
		switch d.b[d.i] {
		case ',':
			d.i++
		case '}':
			d.i++
			return s, nil
		default:
			return nil, d.syntax("after object value")
		}
	}
}

// array parses [...] at d.i.
func (d *jsonDecoder) array(depth int) (*structpb.ListValue, error) {
	d.i++ // [
	l := &structpb.ListValue{}
	d.space()
	if d.i < len(d.b) && d.b[d.i] == ']' {
		d.i++
		return l, nil
	}
	for {
		v, err := d.value(depth)
		if err != nil {
			return nil, err
		}
		l.Values = append(l.Values, v)
		d.space()
		if d.i >= len(d.b) {
			return nil, d.syntax("after array element")
		}
		switch d.b[d.i] {
		case ',':
			d.i++
		case ']':
			d.i++
			return l, nil
		default:
			return nil, d.syntax("after array element")
		}
	}
}

// str parses a string at d.i. Plain strings (no escape, valid UTF-8) are sliced; the others go
// through encoding/json, which unescapes them and replaces invalid UTF-8 as json.Unmarshal does.
func (d *jsonDecoder) str() (string, error) {
	start := d.i
	d.i++ // "
	ascii := true
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c == '"':
			d.i++
			if ascii || utf8.Valid(d.b[start+1:d.i-1]) {
				return d.s[start+1 : d.i-1], nil
			}
			return d.slowString(start)
		case c == '\\':
			return d.escapedString(start)
		case c < 0x20:
			return "", d.syntax("in string literal")
		case c >= utf8.RuneSelf:
			ascii = false
		}
		d.i++
	}
	return "", d.syntax("in string literal")
}

// escapedString finds the end of a string with escapes that starts at start, d.i being at a backslash.
func (d *jsonDecoder) escapedString(start int) (string, error) {
	for d.i < len(d.b) {
		switch c := d.b[d.i]; {
		case c == '\\':
			d.i++
			if d.i >= len(d.b) {
				return "", d.syntax("in string escape code")
			}
			switch d.b[d.i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				d.i++
			case 'u':
				d.i++
				for range 4 {
					if d.i >= len(d.b) || !isHex(d.b[d.i]) {
						return "", d.syntax("in \\u hexadecimal character escape")
					}
					d.i++
				}
			default:
				return "", d.syntax("in string escape code")
			}
		case c == '"':
			d.i++
			return d.slowString(start)
		case c < 0x20:
			return "", d.syntax("in string literal")
		default:
			d.i++
		}
	}
	return "", d.syntax("in string literal")
}

// slowString decodes the well-formed string literal d.b[start:d.i] with encoding/json.
func (d *jsonDecoder) slowString(start int) (string, error) {
	var s string
	if err := json.Unmarshal(d.b[start:d.i], &s); err != nil {
		return "", err
	}
	return s, nil
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// number parses a JSON number at d.i (RFC 8259 grammar) into a float64.
func (d *jsonDecoder) number() (float64, error) {
	start := d.i
	if d.b[d.i] == '-' {
		d.i++
	}
	switch {
	case d.i < len(d.b) && d.b[d.i] == '0':
		d.i++
	case d.i < len(d.b) && d.b[d.i] >= '1' && d.b[d.i] <= '9':
		for d.i < len(d.b) && isDigit(d.b[d.i]) {
			d.i++
		}
	default:
		return 0, d.syntax("in numeric literal")
	}
	if d.i < len(d.b) && d.b[d.i] == '.' {
		d.i++
		if d.i >= len(d.b) || !isDigit(d.b[d.i]) {
			return 0, d.syntax("after decimal point in numeric literal")
		}
		for d.i < len(d.b) && isDigit(d.b[d.i]) {
			d.i++
		}
	}
	if d.i < len(d.b) && (d.b[d.i] == 'e' || d.b[d.i] == 'E') {
		d.i++
		if d.i < len(d.b) && (d.b[d.i] == '+' || d.b[d.i] == '-') {
			d.i++
		}
		if d.i >= len(d.b) || !isDigit(d.b[d.i]) {
			return 0, d.syntax("in exponent of numeric literal")
		}
		for d.i < len(d.b) && isDigit(d.b[d.i]) {
			d.i++
		}
	}
	f, err := strconv.ParseFloat(d.s[start:d.i], 64)
	if err != nil {
		return 0, fmt.Errorf("number %s: %w", d.b[start:d.i], err)
	}
	return f, nil
}
